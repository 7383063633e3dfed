/* The per-user pipe page accounting (pipe-user-pages-soft, 16384 pages by default)
 * for an unprivileged user: F_SETPIPE_SZ EPERM past it, new pipes of 2 pages while
 * over it, shrinking always allowed, and the pages back when pipes close.
 * Runs as uid 54321, a user nothing else on the machine has pipes of. */
#include "common.h"
#include <sys/wait.h>

#define MAXP 80

int main(void)
{
    if (fork() == 0) {
        if (setresgid(54321, 54321, 54321) || setresuid(54321, 54321, 54321)) {
            say("drop: BAD\n");
            _exit(1);
        }
        int p[MAXP][2], n = 0, ok = 0;
        long r = 0;
        for (; n < MAXP; n++) {
            if (pipe(p[n]) != 0) {
                res("pipe", -1);
                break;
            }
            r = fcntl(p[n][1], F_SETPIPE_SZ, 1 << 20);
            if (r < 0)
                break;
            ok++;
        }
        say("resized to 1M: %d\n", ok);
        res("next resize", r);
        res("failed pipe size", fcntl(p[n][0], F_GETPIPE_SZ));
        res("same size again", fcntl(p[0][1], F_SETPIPE_SZ, 1 << 20));
        res("shrink one", fcntl(p[1][1], F_SETPIPE_SZ, 4096));
        res("grow it back", fcntl(p[1][1], F_SETPIPE_SZ, 1 << 20));
        int q[2];
        rok("pipe over soft limit", pipe(q));
        res("its size", fcntl(q[0], F_GETPIPE_SZ));
        res("grow it", fcntl(q[1], F_SETPIPE_SZ, 65536));
        res("grow it 8192", fcntl(q[1], F_SETPIPE_SZ, 8192));
        res("write 5000 into it", write(q[1], (char[5000]){0}, 5000));
        close(q[0]);
        close(q[1]);
        for (int i = 0; i < 8; i++) {
            close(p[i][0]);
            close(p[i][1]);
        }
        rok("pipe after closing 8", pipe(q));
        res("its size", fcntl(q[0], F_GETPIPE_SZ));
        res("resize to 1M", fcntl(q[1], F_SETPIPE_SZ, 1 << 20));
        /* only one end closed: the pipe (and its pages) lives on */
        close(p[10][0]);
        rok("pipe after closing a read end", pipe(q));
        res("its size", fcntl(q[0], F_GETPIPE_SZ));
        _exit(0);
    }
    int st;
    wait(&st);
    say("child: %d\n", WEXITSTATUS(st));
    return 0;
}
