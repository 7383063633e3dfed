/* Output paths to stdout: write, writev, many small writes, a large write. */
#include "common.h"
#include <sys/uio.h>

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    res("write", write(1, "plain write\n", 12));
    struct iovec iov[4] = {{"writev ", 7}, {"in ", 3}, {"", 0}, {"pieces\n", 7}};
    /* the result line goes after the text */
    long r = writev(1, iov, 4);
    res("writev result", r);
    for (int i = 0; i < 50; i++) {
        char c = 'a' + i % 26;
        write(1, &c, 1);
    }
    write(1, "\n", 1);
    static char big[200000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (i % 64 == 63) ? '\n' : "0123456789abcdef"[i % 16];
    size_t done = 0;
    while (done < sizeof big) {
        long n = write(1, big + done, sizeof big - done);
        if (n <= 0)
            break;
        done += n;
    }
    printf("\nwrote big: %zu\n", done);
    res("write len 0", write(1, big, 0));
    res("writev iovcnt 0", writev(1, iov, 0));
    return 0;
}
