/* fork + pipe: parent/child round trips, a bulk transfer, EOF and EPIPE. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static int readn(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += r;
    }
    return 0;
}

int main(void)
{
    int up[2], down[2];
    if (pipe(up) || pipe(down))
        return 1;
    pid_t c = fork();
    if (c == 0) {
        close(down[1]);
        close(up[0]);
        /* echo service: read a number, answer number*2+1; 0 ends */
        unsigned v;
        while (readn(down[0], &v, sizeof v) == 0 && v) {
            unsigned a = v * 2 + 1;
            write(up[1], &a, sizeof a);
        }
        /* then a bulk transfer: 1 MiB of a pattern */
        static unsigned char big[1 << 20];
        for (size_t i = 0; i < sizeof big; i++)
            big[i] = (unsigned char)(i * 7 + i / 4096);
        size_t off = 0;
        while (off < sizeof big) {
            ssize_t w = write(up[1], big + off, sizeof big - off);
            if (w <= 0)
                _exit(9);
            off += w;
        }
        close(up[1]);
        /* wait for the parent to close its write end: EOF */
        char b;
        ssize_t r = read(down[0], &b, 1);
        _exit(r == 0 ? 0 : 8);
    }
    close(down[0]);
    close(up[1]);
    int bad = 0;
    for (unsigned i = 1; i <= 1000; i++) {
        unsigned a;
        write(down[1], &i, sizeof i);
        if (readn(up[0], &a, sizeof a) || a != i * 2 + 1)
            bad++;
    }
    say("round trips: 1000, wrong answers: %d\n", bad);
    unsigned zero = 0;
    write(down[1], &zero, sizeof zero);

    static unsigned char got[1 << 20];
    size_t total = 0;
    ssize_t r;
    while ((r = read(up[0], got + total, sizeof got - total)) > 0)
        total += r;
    say("bulk bytes received: %zu\n", total);
    size_t mism = 0;
    for (size_t i = 0; i < total; i++)
        if (got[i] != (unsigned char)(i * 7 + i / 4096))
            mism++;
    say("bulk mismatches: %zu\n", mism);
    res("read after EOF", read(up[0], got, 1));
    close(down[1]);
    int st;
    waitpid(c, &st, 0);
    say("child status (0 = saw EOF): %d\n", WEXITSTATUS(st));
    /* all readers gone: EPIPE (SIGPIPE ignored) */
    signal(SIGPIPE, SIG_IGN);
    close(up[0]);
    int q[2];
    pipe(q);
    close(q[0]);
    res("write to a pipe whose reader closed", write(q[1], "x", 1));
    return 0;
}
