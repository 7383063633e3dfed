/* getdents64 and getdents: a buffer that runs into an unmapped guard page gets the
 * records that fit before it (EFAULT only when none fits), counts of 2^31 and more,
 * too small a buffer, O_PATH and non-directory fds, and the position afterwards. */
#include "common.h"
#include <sys/mman.h>

#define NAMES 40

static long dents(int nr, int fd, void *buf, unsigned long count)
{
    return syscall(nr, fd, buf, count);
}

/* entries left in the directory from the current position on */
static int rest(int nr, int fd)
{
    static char big[65536];
    int n = 0;
    long r;
    while ((r = dents(nr, fd, big, sizeof big)) > 0)
        n += r / 24;            /* every record here is 24 bytes long */
    return r < 0 ? -1 : n;
}

static void run(const char *tag, int nr, char *page)
{
    char l[80];
    int fd = open("d", O_RDONLY | O_DIRECTORY);
#define T(lbl, call) do { snprintf(l, sizeof l, "%s %s", tag, lbl); res(l, call); } while (0)
    T("tail 100 before guard", dents(nr, fd, page + PG - 100, 4096));
    T("entries left", rest(nr, fd));
    lseek(fd, 0, SEEK_SET);
    T("tail 30, count 4096", dents(nr, fd, page + PG - 30, 4096));
    T("tail 10, count 4096", dents(nr, fd, page + PG - 10, 4096));
    T("tail 10, count 10", dents(nr, fd, page + PG - 10, 10));
    T("entries left", rest(nr, fd));
    lseek(fd, 0, SEEK_SET);
    T("guard only", dents(nr, fd, page + PG, 4096));
    T("count 0", dents(nr, fd, page, 0));
    T("count 1", dents(nr, fd, page, 1));
    T("count 23", dents(nr, fd, page, 23));
    T("count 24", dents(nr, fd, page, 24));
    T("count 2^31", dents(nr, fd, page, 1UL << 31));
    T("count 2^32-1", dents(nr, fd, page, 0xffffffffUL));
    T("count 2^32+48", dents(nr, fd, page, (1UL << 32) + 48));
    T("count 2^31-1 tail", dents(nr, fd, page + PG - 48, (1UL << 31) - 1));
    T("entries left", rest(nr, fd));
    T("at end", dents(nr, fd, page, 4096));
    T("bad pointer", dents(nr, fd, BADPTR, 4096));
    T("kernel pointer", dents(nr, fd, KERNPTR, 4096));
    lseek(fd, 0, SEEK_SET);
    T("bad pointer at start", dents(nr, fd, BADPTR, 4096));
    T("entries left", rest(nr, fd));
    close(fd);
    fd = open("d", O_PATH | O_DIRECTORY);
    T("O_PATH", dents(nr, fd, page, 4096));
    close(fd);
    fd = open("d/a000", O_RDONLY);
    T("regular file", dents(nr, fd, page, 4096));
    close(fd);
    T("bad fd", dents(nr, 999, page, 4096));
    fd = open("d", O_WRONLY);
    T("open dir wronly", fd);
#undef T
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    mkdir("d", 0755);
    for (int i = 0; i < NAMES - 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "d/a%03d", i);
        close(open(name, O_CREAT | O_WRONLY, 0600));
    }
    char *page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page + PG, PG);
    run("getdents64", SYS_getdents64, page);
    run("getdents", SYS_getdents, page);
    return 0;
}
