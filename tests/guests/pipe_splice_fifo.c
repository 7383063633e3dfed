/* splice(2) and tee(2) with FIFOs as with pipes: FIFO<->pipe, FIFO<->file,
 * FIFO<->FIFO, tee between pipes and FIFOs, ESPIPE for offsets, EINVAL cases. */
#include "common.h"
#include <signal.h>

static void drain(const char *label, int fd)
{
    char buf[128];
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    long n = read(fd, buf, sizeof buf);
    fcntl(fd, F_SETFL, fl);
    if (n < 0)
        res(label, n);
    else
        print_escaped(label, buf, n);
}

static void fifo_pair(const char *name, int *r, int *w)
{
    mkfifo(name, 0600);
    *r = open(name, O_RDONLY | O_NONBLOCK);
    *w = open(name, O_WRONLY);
    fcntl(*r, F_SETFL, 0);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    int p[2], q[2], fr, fw, gr, gw;
    pipe(p);
    pipe(q);
    fifo_pair("f", &fr, &fw);
    fifo_pair("g", &gr, &gw);
    int file = open("data", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(file, "0123456789", 10);

    say("== splice\n");
    write(p[1], "pipe->fifo", 10);
    res("pipe to fifo", splice(p[0], NULL, fw, NULL, 100, 0));
    drain("fifo got", fr);
    write(fw, "fifo->pipe", 10);
    res("fifo to pipe", splice(fr, NULL, p[1], NULL, 4, 0));
    drain("pipe got", p[0]);
    drain("fifo rest", fr);
    loff_t off = 2;
    res("file to fifo", splice(file, &off, fw, NULL, 5, 0));
    say("off now %ld\n", (long)off);
    drain("fifo got", fr);
    write(fw, "XYZ", 3);
    off = 8;
    res("fifo to file", splice(fr, NULL, file, &off, 3, 0));
    say("off now %ld\n", (long)off);
    char buf[32] = "";
    long n = pread(file, buf, sizeof buf, 0);
    print_escaped("file", buf, n);
    write(fw, "ab", 2);
    res("fifo to fifo", splice(fr, NULL, gw, NULL, 10, 0));
    drain("g got", gr);
    off = 0;
    res("fifo off_in", splice(fr, &off, p[1], NULL, 1, 0));
    res("fifo off_out", splice(p[0], NULL, fw, &off, 1, 0));
    res("fifo to itself", splice(fr, NULL, fw, NULL, 1, SPLICE_F_NONBLOCK));
    res("empty fifo nonblock", splice(fr, NULL, p[1], NULL, 1, SPLICE_F_NONBLOCK));
    res("fifo wrong end in", splice(fw, NULL, p[1], NULL, 1, 0));
    res("fifo wrong end out", splice(p[0], NULL, fr, NULL, 1, 0));
    res("fifo bad flags", splice(fr, NULL, p[1], NULL, 1, 0x100));

    say("== tee\n");
    write(p[1], "tee-data", 8);
    res("tee pipe to fifo", tee(p[0], fw, 100, 0));
    drain("fifo got", fr);
    drain("pipe kept", p[0]);
    write(fw, "fifo-tee", 8);
    res("tee fifo to pipe", tee(fr, q[1], 4, 0));
    drain("q got", q[0]);
    drain("fifo kept", fr);
    write(gw, "gg", 2);
    res("tee fifo to fifo", tee(gr, fw, 10, 0));
    drain("f got", fr);
    drain("g kept", gr);
    res("tee fifo itself", tee(fr, fw, 1, 0));
    res("tee file", tee(file, fw, 1, 0));
    res("tee to file", tee(fr, file, 1, 0));
    res("tee empty nonblock", tee(fr, q[1], 1, SPLICE_F_NONBLOCK));

    say("== no reader\n");
    close(gr);
    write(p[1], "z", 1);
    res("splice to readerless fifo", splice(p[0], NULL, gw, NULL, 1, 0));
    write(q[1], "z", 1);
    res("tee to readerless fifo", tee(q[0], gw, 1, 0));
    close(gw);
    close(fw);
    res("splice from writerless fifo", splice(fr, NULL, p[1], NULL, 1, 0));
    return 0;
}
