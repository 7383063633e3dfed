/* /proc/sys/fs/pipe-max-size and pipe-user-pages-soft written by a root guest, and what
 * new pipes and F_SETPIPE_SZ then do. It changes system settings: only ever run under
 * umlskas (tests/behaviour/test_pipes.py passes "under-umlskas"), never natively. */
#include "common.h"
#include <sys/wait.h>

static void put(const char *name, const char *value)
{
    char path[96], l[128];
    snprintf(path, sizeof path, "/proc/sys/fs/%s", name);
    int fd = open(path, O_WRONLY);
    snprintf(l, sizeof l, "write %s %s", name, value);
    res(l, fd < 0 ? -1 : write(fd, value, strlen(value)));
    if (fd >= 0)
        close(fd);
}

static void show(const char *name)
{
    char path[96], buf[64] = "";
    snprintf(path, sizeof path, "/proc/sys/fs/%s", name);
    int fd = open(path, O_RDONLY);
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    say("%s: %s", name, n > 0 ? buf : "?\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "under-umlskas")) {
        fprintf(stderr, "refusing to change the host's /proc/sys/fs\n");
        return 2;
    }
    int p[2];
    put("pipe-max-size", "abc");
    put("pipe-max-size", "5000");
    show("pipe-max-size");
    put("pipe-max-size", "0");
    show("pipe-max-size");
    put("pipe-max-size", "4294967296");
    put("pipe-max-size", "8192");
    show("pipe-max-size");
    pipe(p);
    res("root pipe size", fcntl(p[0], F_GETPIPE_SZ));
    res("root SETPIPE_SZ 16384", fcntl(p[1], F_SETPIPE_SZ, 16384));
    close(p[0]);
    close(p[1]);
    put("pipe-max-size", "1048576");
    put("pipe-user-pages-soft", "40");
    show("pipe-user-pages-soft");
    if (fork() == 0) {
        setresgid(54321, 54321, 54321);
        setresuid(54321, 54321, 54321);
        put("pipe-max-size", "65536");
        pipe(p);
        res("user pipe size", fcntl(p[0], F_GETPIPE_SZ));
        res("user SETPIPE_SZ 4096", fcntl(p[1], F_SETPIPE_SZ, 4096));
        int q[4][2];
        for (int i = 0; i < 4; i++) {
            pipe(q[i]);
            say("pipe %d: %d\n", i, fcntl(q[i][0], F_GETPIPE_SZ));
        }
        _exit(0);
    }
    int st;
    wait(&st);
    put("pipe-user-pages-hard", "50");
    show("pipe-user-pages-hard");
    if (fork() == 0) {
        setresgid(54321, 54321, 54321);
        setresuid(54321, 54321, 54321);
        int q[40][2], i;
        for (i = 0; i < 40; i++)
            if (pipe(q[i]) != 0)
                break;
        say("pipes under the hard limit: %d (%s)\n", i, ename(errno));
        res("grow the first", fcntl(q[0][1], F_SETPIPE_SZ, 8192));
        _exit(0);
    }
    wait(&st);
    put("pipe-max-size", "1048576");
    put("pipe-user-pages-soft", "16384");
    put("pipe-user-pages-hard", "0");
    return 0;
}
