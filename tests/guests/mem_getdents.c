/* getdents64 against the caller's buffer (fs/readdir.c filldir64): entries are
 * written one by one, so a buffer that runs into an unmapped page returns what
 * fit before it (EFAULT only when not even one fits) and the next call goes on
 * from there; a count of 2^31 or more is EINVAL while entries remain (0 at the
 * end); an O_PATH fd is EBADF.  argv[1]: scratch directory. */
#include "common.h"
#include <sys/mman.h>

static long gd(int fd, void *buf, unsigned long count)
{
    return syscall(SYS_getdents64, fd, buf, count);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    mkdir("d", 0755);
    for (int i = 0; i < 30; i++) {
        char name[128];
        snprintf(name, sizeof name, "d/entry-with-a-rather-long-name-number-%02d", i);
        close(open(name, O_CREAT | O_WRONLY, 0600));
    }
    char *two = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + PG, PG);
    char *edge = two + PG - 200;      /* 200 bytes before an unmapped page */

    int fd = open("d", O_RDONLY | O_DIRECTORY);
    res("count 2^31", gd(fd, two, 0x80000000UL));
    res("count 2^32-1", gd(fd, two, 0xffffffffUL));
    res("count 10 (too small)", gd(fd, two, 10));
    res("buffer unmapped", gd(fd, two + PG, 4096));
    res("buffer unmapped, count 10", gd(fd, two + PG, 10));
    res("buffer kernel address", gd(fd, KERNPTR, 4096));
    int seen = 0, calls = 0, short_calls = 0;
    for (;;) {
        long n = gd(fd, edge, 4096);
        if (n < 0) {
            say("edge read: -1 %s\n", ename(errno));
            break;
        }
        if (n == 0)
            break;
        calls++;
        if (n <= 200)
            short_calls++;
        for (long off = 0; off < n;) {
            unsigned short reclen;
            memcpy(&reclen, edge + off + 16, 2);
            seen++;
            off += reclen;
        }
    }
    say("entries seen through a 200-byte window: %d\n", seen);
    check("every call filled at most 200 bytes", short_calls == calls && calls > 1);
    say("== at the end\n");
    res("count 2^31 at the end", gd(fd, two, 0x80000000UL));
    res("buffer unmapped at the end", gd(fd, two + PG, 4096));
    res("count 10 at the end", gd(fd, two, 10));
    lseek(fd, 0, SEEK_SET);
    mprotect(two, PG, PROT_READ);
    res("read-only buffer", gd(fd, two, 4096));
    mprotect(two, PG, PROT_READ | PROT_WRITE);
    long n = gd(fd, two, 4096);
    check("rewound directory still reads", n > 0);
    int op = open("d", O_PATH | O_DIRECTORY);
    res("O_PATH fd", gd(op, two, 4096));
    res("O_PATH fd, count 2^31", gd(op, two, 0x80000000UL));
    int file = open("d/entry-with-a-rather-long-name-number-00", O_RDONLY);
    res("regular file", gd(file, two, 4096));
    res("regular file, count 2^31", gd(file, two, 0x80000000UL));
    say("done\n");
    return 0;
}
