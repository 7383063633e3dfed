/* vmsplice(2): user memory into a pipe and pipe data into user memory, gathering and
 * scattering over iovecs, SPLICE_F_NONBLOCK on a full or empty pipe, EOF, and the
 * errors in Linux's order. */
#include "common.h"
#include <sys/uio.h>
#include <sys/wait.h>

int main(void)
{
    int p[2];
    pipe(p);
    char a[] = "hello ", b[] = "vmsplice";
    struct iovec in[2] = {{a, 6}, {b, 8}};
    res("to pipe", vmsplice(p[1], in, 2, 0));
    char x[5] = {0}, y[20] = {0};
    struct iovec out[2] = {{x, 4}, {y, 19}};
    res("to user", vmsplice(p[0], out, 2, 0));
    say("got: '%s' '%s'\n", x, y);
    res("empty, nonblocking", vmsplice(p[0], out, 2, SPLICE_F_NONBLOCK));
    res("bad flags", vmsplice(p[1], in, 2, 0x10));
    res("bad fd", vmsplice(999, in, 2, 0));
    res("not a pipe", vmsplice(0, in, 2, 0));
    res("iov EFAULT", vmsplice(p[1], BADPTR, 2, 0));
    res("nr_segs 1025", vmsplice(p[1], in, 1025, 0));
    res("nothing", vmsplice(p[1], in, 0, 0));
    struct iovec bad = {BADPTR, 10};
    res("buffer EFAULT", vmsplice(p[1], &bad, 1, 0));
    int fd = open("/dev/null", O_WRONLY);
    res("/dev/null", vmsplice(fd, in, 2, 0));
    fcntl(p[1], F_SETPIPE_SZ, 4096);
    static char big[8192];
    struct iovec whole = {big, sizeof big};
    res("fill nonblocking", vmsplice(p[1], &whole, 1, SPLICE_F_NONBLOCK));
    res("full nonblocking", vmsplice(p[1], &whole, 1, SPLICE_F_NONBLOCK));
    say("flags unchanged: %s\n", fcntl(p[1], F_GETFL) & O_NONBLOCK ? "BAD" : "yes");
    pid_t pid = fork();
    if (pid == 0) {
        char sink[8192];
        close(p[1]);
        usleep(50000);
        while (read(p[0], sink, sizeof sink) > 0)
            ;
        _exit(0);
    }
    res("blocking write of 8 KiB", vmsplice(p[1], &whole, 1, 0));
    close(p[1]);
    close(p[0]);
    waitpid(pid, NULL, 0);
    int q[2];
    pipe(q);
    close(q[1]);
    res("EOF", vmsplice(q[0], out, 2, 0));
    return 0;
}
