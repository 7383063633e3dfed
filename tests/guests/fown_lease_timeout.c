/* UMLSKAS ONLY (it writes /proc/sys/fs/lease-break-time, which natively is the host's):
 * a holder that never answers the break loses its lease after lease-break-time seconds, and
 * the blocked opener then proceeds. argv[1]: a scratch directory. */
#include "common.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
    const char *f = path_in(argc > 1 ? argv[1] : "/tmp", "leased");
    close(open(f, O_CREAT | O_WRONLY, 0644));
    int p = open("/proc/sys/fs/lease-break-time", O_WRONLY);
    res("write lease-break-time", write(p, "1\n", 2));
    close(p);
    FILE *r = fopen("/proc/sys/fs/lease-break-time", "r");
    int t = 0;
    fscanf(r, "%d", &t);
    fclose(r);
    res("lease-break-time", t);
    signal(SIGIO, SIG_IGN);
    int fd = open(f, O_RDONLY);
    res("write lease", fcntl(fd, F_SETLEASE, F_WRLCK));
    struct timeval a, b;
    gettimeofday(&a, NULL);
    pid_t child = fork();
    if (child == 0) {
        int w = open(f, O_WRONLY);
        say("writer's open: %s\n", w >= 0 ? "done" : "failed");
        _exit(0);
    }
    waitpid(child, NULL, 0);
    gettimeofday(&b, NULL);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_usec - a.tv_usec) / 1e6;
    say("waited about the break time: %s\n", s > 0.8 && s < 5 ? "yes" : "BAD");
    res("lease after the break time", fcntl(fd, F_GETLEASE));
    say("done\n");
    return 0;
}
