/* RLIMIT_NOFILE is each process's own: EMFILE comes at the caller's limit
 * (open, dup, dup2, F_DUPFD, pipe, socketpair), a child's limit is its own, and
 * setrlimit above /proc/sys/fs/nr_open is EPERM even for root.  Many files are
 * open at once across two processes, far below what the system allows. */
#include "common.h"
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

static long nr_open(void)
{
    FILE *f = fopen("/proc/sys/fs/nr_open", "r");
    long n = -1;
    if (f) {
        if (fscanf(f, "%ld", &n) != 1)
            n = -1;
        fclose(f);
    }
    return n;
}

static int fill(const char *label)
{
    int last = -1;
    for (;;) {
        int fd = open("/", O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
            say("%s: last fd %d, then %s\n", label, last, ename(errno));
            return last;
        }
        last = fd;
    }
}

static void set_nofile(const char *label, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    res(label, setrlimit(RLIMIT_NOFILE, &rl));
}

int main(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    check("cur <= max", rl.rlim_cur <= rl.rlim_max);
    long nro = nr_open();
    check("nr_open readable", nro > 0);
    check("max <= nr_open", (long)rl.rlim_max <= nro);
    if (getuid() == 0) {
        set_nofile("hard = nr_open + 1", nro + 1, nro + 1);
        set_nofile("soft 10, hard = nr_open + 1", 10, nro + 1);
        set_nofile("soft > hard", 20, 10);
    } else {
        set_nofile("soft 3000", 3000, rl.rlim_max);
    }
    set_nofile("soft 3000, hard 4000", 3000, 4000);
    int last = fill("limit 3000");
    res("dup at the limit", dup(0));
    res("dup2 to 2999 (open)", dup2(0, 2999));
    res("dup2 to 3000", dup2(0, 3000));
    res("F_DUPFD from 0", fcntl(0, F_DUPFD, 0));
    int p[2];
    res("pipe at the limit", pipe(p));
    res("socketpair at the limit", socketpair(AF_UNIX, SOCK_STREAM, 0, p));
    close(last);
    res("pipe with one free fd", pipe(p));
    set_nofile("raise soft to 4000", 4000, 4000);
    res("pipe after raising", pipe(p) == 0 ? p[1] - p[0] : -1);

    pid_t c = fork();
    if (c == 0) {
        for (int fd = 3; fd < 4000; fd++)
            close(fd);
        set_nofile("child: soft 100", 100, 4000);
        fill("child limit 100");
        set_nofile("child: soft 3500", 3500, 4000);
        fill("child limit 3500");
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    check("child exit 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    getrlimit(RLIMIT_NOFILE, &rl);
    say("parent's limit after the child's change: %lu\n", (unsigned long)rl.rlim_cur);
    fill("parent fills to 4000");
    say("done\n");
    return 0;
}
