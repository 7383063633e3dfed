/* pipe2(O_DIRECT): packet mode. Each write (each page of a longer one) is a packet, a
 * read returns at most one packet and drops what it did not take; O_DIRECT shows in
 * F_GETFL and F_SETFL turns it on and off per open file. */
#include "common.h"
#include <sys/ioctl.h>

static void rd(const char *label, int fd, size_t n)
{
    char buf[10000];
    long r = read(fd, buf, n);
    if (r < 0)
        res(label, r);
    else
        print_escaped(label, buf, r > 16 ? 16 : r);
    if (r > 16)
        say("%s length: %ld\n", label, r);
}

int main(void)
{
    int p[2], n;
    static char big[10000];
    memset(big, 'b', sizeof big);
    res("pipe2 O_DIRECT", pipe2(p, O_DIRECT | O_NONBLOCK));
    say("F_GETFL r has O_DIRECT: %d\n", !!(fcntl(p[0], F_GETFL) & O_DIRECT));
    say("F_GETFL w has O_DIRECT: %d\n", !!(fcntl(p[1], F_GETFL) & O_DIRECT));
    res("write abc", write(p[1], "abc", 3));
    res("write defgh", write(p[1], "defgh", 5));
    res("write 10000", write(p[1], big, sizeof big));
    ioctl(p[0], FIONREAD, &n);
    say("FIONREAD: %d\n", n);
    rd("read 2 of abc", p[0], 2);
    rd("read 100", p[0], 100);
    rd("read 100 of the big one", p[0], 100);
    rd("read 10000", p[0], 10000);
    rd("read 10000 again", p[0], 10000);
    rd("read empty", p[0], 10);
    say("== packet writer, plain reader flag off\n");
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    say("F_GETFL r has O_DIRECT: %d\n", !!(fcntl(p[0], F_GETFL) & O_DIRECT));
    write(p[1], "123", 3);
    write(p[1], "456", 3);
    rd("read 2 (packets are the buffer's)", p[0], 2);
    rd("read 10", p[0], 10);
    say("== plain writer\n");
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    write(p[1], "123", 3);
    write(p[1], "456", 3);
    rd("read 10 merged", p[0], 10);
    fcntl(p[1], F_SETFL, O_NONBLOCK | O_DIRECT);
    res("F_SETFL O_DIRECT", fcntl(p[1], F_GETFL) & O_DIRECT ? 0 : -1);
    write(p[1], "xy", 2);
    write(p[1], "zw", 2);
    rd("read 10 after F_SETFL", p[0], 10);
    say("== fill with packets\n");
    long total = 0, k;
    int count = 0;
    while ((k = write(p[1], "p", 1)) > 0) {
        total += k;
        count++;
    }
    say("1-byte packets: %d then %s\n", count, ename(errno));
    return 0;
}
