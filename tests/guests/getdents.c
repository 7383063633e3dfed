/* getdents64: listing, small buffers, resumption, rewind, errors.
 * argv[1]: scratch directory prepared by the test. */
#include "common.h"

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static const char *dtype(unsigned t)
{
    switch (t) {
    case 4: return "dir";
    case 8: return "reg";
    case 10: return "lnk";
    case 0: return "unknown";
    default: return "other";
    }
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list a directory with a given buffer size; returns number of entries */
static int list(const char *label, int fd, size_t bufsz, int print)
{
    static char *names[4096];
    int n = 0, calls = 0, bad = 0;
    char *buf = malloc(bufsz);
    for (;;) {
        long r = syscall(SYS_getdents64, fd, buf, bufsz);
        if (r == -1) {
            res(label, r);
            free(buf);
            return -1;
        }
        calls++;
        if (r == 0)
            break;
        for (long off = 0; off < r;) {
            struct linux_dirent64 *d = (void *)(buf + off);
            if (d->d_reclen == 0 || d->d_reclen % 8 || off + d->d_reclen > r) {
                bad = 1;
                break;
            }
            if (d->d_ino == 0)
                bad = 1;
            char *s;
            asprintf(&s, "%s %s", d->d_name, dtype(d->d_type));
            if (n < 4096)
                names[n++] = s;
            off += d->d_reclen;
        }
        if (bad)
            break;
    }
    free(buf);
    qsort(names, n, sizeof names[0], cmpstr);
    say("%s: %d entries%s\n", label, n, bad ? " BAD record" : "");
    if (print)
        for (int i = 0; i < n; i++)
            say("  %s\n", names[i]);
    int dup = 0;
    for (int i = 1; i < n; i++)
        if (!strcmp(names[i - 1], names[i]))
            dup = 1;
    check("  no duplicates", !dup);
    for (int i = 0; i < n; i++)
        free(names[i]);
    (void)calls;
    return n;
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    int fd = open("sub", O_RDONLY | O_DIRECTORY);
    list("sub 4096", fd, 4096, 1);
    char buf[4096];
    res("at end", syscall(SYS_getdents64, fd, buf, sizeof buf));
    res("rewind", lseek(fd, 0, SEEK_SET));
    list("sub 32-byte buffer", fd, 32, 1);
    lseek(fd, 0, SEEK_SET);
    res("buffer too small (8)", syscall(SYS_getdents64, fd, buf, 8));
    res("buffer 0", syscall(SYS_getdents64, fd, buf, 0));
    close(fd);

    fd = open("many", O_RDONLY | O_DIRECTORY);
    list("many 65536", fd, 65536, 0);
    lseek(fd, 0, SEEK_SET);
    list("many 1024", fd, 1024, 0);
    lseek(fd, 0, SEEK_SET);
    list("many 200", fd, 200, 0);
    /* read part, rewind, read all again */
    lseek(fd, 0, SEEK_SET);
    syscall(SYS_getdents64, fd, buf, 512);
    lseek(fd, 0, SEEK_SET);
    list("many after partial+rewind", fd, 4096, 0);
    close(fd);

    fd = open(".", O_RDONLY | O_DIRECTORY);
    list("scratch dir", fd, 4096, 1);
    close(fd);

    fd = open("data.txt", O_RDONLY);
    res("getdents64 on file", syscall(SYS_getdents64, fd, buf, sizeof buf));
    close(fd);
    fd = open("sub", O_RDONLY | O_DIRECTORY);
    res("getdents64 bad buf", syscall(SYS_getdents64, fd, BADPTR, sizeof buf));
    close(fd);
    fd = open("sub", O_PATH);
    res("getdents64 on O_PATH dir", syscall(SYS_getdents64, fd, buf, sizeof buf));
    close(fd);
    res("getdents64 closed fd", syscall(SYS_getdents64, fd, buf, sizeof buf));
    return 0;
}
