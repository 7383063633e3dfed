/* vmsplice(2): user pages into a pipe (one buffer per user page piece, so the free
 * slots bound it), a pipe's data out to user memory, the errors in Linux's order
 * (flags, fd, direction, iovec), SIGPIPE/EPIPE, EAGAIN, and FIFOs like pipes. */
#include "common.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>

static char *area;

static void queued(const char *label, int r)
{
    int n = -1;
    ioctl(r, FIONREAD, &n);
    say("%s queued: %d\n", label, n);
}

static void drain(int r)
{
    static char sink[1 << 17];
    int fl = fcntl(r, F_GETFL);
    fcntl(r, F_SETFL, fl | O_NONBLOCK);
    while (read(r, sink, sizeof sink) > 0)
        ;
    fcntl(r, F_SETFL, fl);
}

static void run(const char *what, int r, int w)
{
    char l[96];
    struct iovec v[3];
#define T(lbl, call) do { snprintf(l, sizeof l, "%s %s", what, lbl); res(l, call); } while (0)
    v[0] = (struct iovec){area + 100, 10};
    v[1] = (struct iovec){area + 5000, 3};
    T("to pipe", vmsplice(w, v, 2, 0));
    char buf[64] = "";
    struct iovec out = {buf, sizeof buf};
    T("to user", vmsplice(r, &out, 1, 0));
    print_escaped("got", buf, 13);
    T("to user, empty, NONBLOCK", vmsplice(r, &out, 1, SPLICE_F_NONBLOCK));
    v[0] = (struct iovec){area + 100, 20000};
    T("20000 from page offset 100", vmsplice(w, v, 1, SPLICE_F_NONBLOCK));
    queued(what, r);
    drain(r);
    v[0] = (struct iovec){area, 16 * 4096 + 10};
    T("16 pages + 10", vmsplice(w, v, 1, SPLICE_F_NONBLOCK));
    T("full, NONBLOCK", vmsplice(w, v, 1, SPLICE_F_NONBLOCK));
    fcntl(w, F_SETFL, O_NONBLOCK);
    T("full, write 1", write(w, "x", 1));
    fcntl(w, F_SETFL, 0);
    drain(r);
    for (int i = 0; i < 3; i++)
        v[i] = (struct iovec){area + i * 4096 + 4000, 200};
    T("3 segments across pages", vmsplice(w, v, 3, 0));
    T("then write 4000", write(w, area, 4000));
    queued(what, r);
    drain(r);
    T("bad flags", vmsplice(w, v, 1, 0x10));
    T("bad iov pointer", vmsplice(w, BADPTR, 1, 0));
    T("nr_segs 1025", vmsplice(w, v, 1025, 0));
    T("nr_segs 0", vmsplice(w, v, 0, 0));
    v[0] = (struct iovec){BADPTR, 10};
    T("bad base", vmsplice(w, v, 1, 0));
    v[0] = (struct iovec){area, 10};
    v[1] = (struct iovec){BADPTR, 10};
    T("good then bad base", vmsplice(w, v, 2, 0));
    drain(r);
    out = (struct iovec){BADPTR, 10};
    write(w, "abc", 3);
    T("to bad user memory", vmsplice(r, &out, 1, 0));
    drain(r);
#undef T
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    area = mmap(NULL, 32 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 32 * 4096; i++)
        area[i] = 'a' + i % 26;
    int p[2];
    pipe(p);
    run("pipe", p[0], p[1]);
    struct iovec v = {area, 10};
    int f = open("file", O_RDWR | O_CREAT, 0600);
    res("regular file", vmsplice(f, &v, 1, 0));
    res("bad fd", vmsplice(99, &v, 1, 0));
    int opath = open("file", O_PATH);
    res("O_PATH", vmsplice(opath, &v, 1, 0));
    close(p[0]);
    res("no reader", vmsplice(p[1], &v, 1, 0));
    close(p[1]);

    mkfifo("fifo", 0600);
    int r = open("fifo", O_RDONLY | O_NONBLOCK);
    int w = open("fifo", O_WRONLY);
    fcntl(r, F_SETFL, 0);
    run("fifo", r, w);
    return 0;
}
