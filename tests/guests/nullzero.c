/* /dev/null and /dev/zero as mem.c has them: a write is its count whatever the buffer
 * holds (only the range is checked), a read of /dev/zero writes zeros as far as the
 * buffer takes them. (The kernel answers both without copying the guest's buffer.) */
#include "common.h"
#include <sys/mman.h>
#include <sys/uio.h>

int main(void)
{
    int z = open("/dev/zero", O_RDWR), n = open("/dev/null", O_RDWR), f = open("/dev/full", O_RDWR);
    char *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 'x', 8192);
    mprotect(p + 4096, 4096, PROT_READ);
    res("read zero across a read-only page", read(z, p + 4000, 200));
    say("first %d last %d after %d\n", p[4000], p[4095], p[4096]);
    res("read zero into read-only", read(z, p + 4096, 10));
    res("read zero NULL", read(z, NULL, 10));
    res("read zero kernel address", read(z, KERNPTR, 10));
    res("read zero count past the user range", read(z, p, 0x7ffffffff000UL));
    res("pread zero", pread(z, p, 16, 12345));
    say("zeroed %d\n", p[0] == 0 && p[15] == 0 && p[16] == 'x');
    memset(p, 'x', 64);
    res("read full", read(f, p, 16));
    say("zeroed %d\n", p[0] == 0 && p[15] == 0 && p[16] == 'x');
    res("write null NULL", write(n, NULL, 5));
    res("write null kernel address", write(n, KERNPTR, 5));
    res("write null count past the user range", write(n, p, 0x7ffff0000000UL));
    res("write null bad pointer", write(n, BADPTR, 3));
    res("write zero NULL", write(z, NULL, 7));
    res("pwrite null", pwrite(n, NULL, 9, 5));
    res("pwrite null negative offset", pwrite(n, p, 9, -1));
    res("write full", write(f, p, 3));
    struct iovec v[2] = {{NULL, 3}, {BADPTR, 4}};
    res("writev null bad buffers", writev(n, v, 2));
    struct iovec k[1] = {{KERNPTR, 4}};
    res("writev null kernel address", writev(n, k, 1));
    res("write null 0 bytes", write(n, BADPTR, 0));
    close(n);
    res("write closed", write(n, p, 1));
    return 0;
}
