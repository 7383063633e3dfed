/* Non-blocking pipe writes that do not fit: Linux fills whole free page slots (a write's
 * tail under a page merges into the last page first), so partial counts and POLLOUT
 * follow the pages, not the bytes; reads free a page only when it is emptied. */
#include "common.h"
#include <poll.h>
#include <sys/ioctl.h>

static char big[1 << 18];

static void state(const char *label, int r, int w)
{
    int n = -1;
    struct pollfd p = {w, POLLOUT, 0};
    poll(&p, 1, 0);
    ioctl(r, FIONREAD, &n);
    say("%s: queued %d POLLOUT %d\n", label, n, !!(p.revents & POLLOUT));
}

static void drain(int r)
{
    while (read(r, big, sizeof big) > 0)
        ;
}

int main(void)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    int r = p[0], w = p[1];
    char l[80];
    long sizes[] = {1, 100, 4095, 4096, 4097, 8191, 65535, 65536, 65537, 100000};
    for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        snprintf(l, sizeof l, "1 byte then %ld", sizes[i]);
        write(w, "x", 1);
        res(l, write(w, big, sizes[i]));
        state(l, r, w);
        snprintf(l, sizeof l, "  and 1 more byte");
        res(l, write(w, "y", 1));
        snprintf(l, sizeof l, "  and 4096 more");
        res(l, write(w, big, 4096));
        drain(r);
    }
    say("== fill with small writes\n");
    long total = 0, n;
    while ((n = write(w, big, 1000)) > 0)
        total += n;
    say("1000-byte writes: %ld then %s\n", total, ename(errno));
    state("full", r, w);
    res("read 100", read(r, big, 100));
    state("after read 100", r, w);
    res("write 1", write(w, "z", 1));
    res("read 4000", read(r, big, 4000));
    state("after read 4000", r, w);
    res("write 5000", write(w, big, 5000));
    res("write 4096", write(w, big, 4096));
    res("write 10", write(w, big, 10));
    drain(r);
    say("== pipe of one page\n");
    res("SETPIPE_SZ 4096", fcntl(w, F_SETPIPE_SZ, 4096));
    res("write 10", write(w, big, 10));
    state("one page, 10 bytes", r, w);
    res("write 4086", write(w, big, 4086));
    res("write 4087", write(w, big, 4087));
    res("write 5000", write(w, big, 5000));
    res("read 10", read(r, big, 10));
    res("write 20", write(w, big, 20));
    drain(r);
    res("write 5000 empty", write(w, big, 5000));
    drain(r);
    res("write 4096 empty", write(w, big, 4096));
    res("write 1 full", write(w, big, 1));
    return 0;
}
