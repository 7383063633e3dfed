/* mmap flag rules of mm/mmap.c: MAP_SHARED|MAP_PRIVATE (MAP_SHARED_VALIDATE) on
 * anonymous and file mappings with known and unknown flags, MAP_32BIT placement
 * below 2 GiB, MAP_FIXED_NOREPLACE, and the open mode against PROT_WRITE of
 * shared file mappings (mmap and mprotect).  argv[1]: scratch directory. */
#include "common.h"
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif

#define ANON (MAP_ANONYMOUS)
#define MB (1UL << 20)

static void below_2g(const char *label, void *p, size_t len)
{
    if (p == MAP_FAILED) {
        say("%s: -1 %s\n", label, ename(errno));
        return;
    }
    uintptr_t a = (uintptr_t)p;
    say("%s: %s\n", label, a >= 0x40000000UL && a + len <= 0x80000000UL ? "in [1G, 2G)" : "BAD outside");
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    int rw = open("data", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (rw < 0 || ftruncate(rw, 4 * PG) != 0)
        return 5;
    int ro = open("data", O_RDONLY);
    int wo = open("data", O_WRONLY);

    say("== MAP_SHARED|MAP_PRIVATE\n");
    pok("anon SHARED|PRIVATE", mmap(NULL, PG, PROT_READ, MAP_SHARED | MAP_PRIVATE | ANON, -1, 0));
    pok("anon SHARED_VALIDATE unknown flag", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | ANON | 0x200, -1, 0));
    pok("anon type 0", mmap(NULL, PG, PROT_READ, ANON, -1, 0));
    pok("anon type 4", mmap(NULL, PG, PROT_READ, 0x04 | ANON, -1, 0));
    pok("anon type 0x0f", mmap(NULL, PG, PROT_READ, 0x0f | ANON, -1, 0));
    pok("file SHARED_VALIDATE", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, rw, 0));
    pok("file SHARED_VALIDATE unknown 0x200", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | 0x200, rw, 0));
    pok("file SHARED_VALIDATE unknown 0x8000000", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | 0x8000000, rw, 0));
    pok("file SHARED_VALIDATE MAP_SYNC", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, rw, 0));
    pok("file SHARED_VALIDATE MAP_32BIT", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_32BIT, rw, 0));
    pok("file SHARED_VALIDATE NORESERVE|POPULATE", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_NORESERVE | MAP_POPULATE, rw, 0));
    pok("file SHARED_VALIDATE FIXED_NOREPLACE", mmap((void *)0x500000000UL, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, rw, 0));
    pok("file SHARED unknown 0x200 ignored", mmap(NULL, PG, PROT_READ, MAP_SHARED | 0x200, rw, 0));
    pok("file SHARED MAP_SYNC ignored", mmap(NULL, PG, PROT_READ, MAP_SHARED | MAP_SYNC, rw, 0));
    pok("file SHARED_VALIDATE unknown on O_WRONLY", mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE | 0x200, wo, 0));
    pok("file type 0", mmap(NULL, PG, PROT_READ, 0, rw, 0));
    pok("file PRIVATE unknown 0x200", mmap(NULL, PG, PROT_READ, MAP_PRIVATE | 0x200, rw, 0));
    pok("file HUGETLB", mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_HUGETLB, rw, 0));
    pok("file GROWSDOWN", mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, rw, 0));
    pok("anon SHARED GROWSDOWN", mmap(NULL, PG, PROT_READ, MAP_SHARED | ANON | MAP_GROWSDOWN, -1, 0));

    say("== MAP_DROPPABLE\n");
    char *dr = mmap(NULL, PG, PROT_READ | PROT_WRITE, 0x08 | ANON, -1, 0);
    pok("anon DROPPABLE", dr);
    pok("anon DROPPABLE|LOCKED", mmap(NULL, PG, PROT_READ, 0x08 | ANON | MAP_LOCKED, -1, 0));
    pok("anon DROPPABLE|GROWSDOWN", mmap(NULL, PG, PROT_READ, 0x08 | ANON | MAP_GROWSDOWN, -1, 0));
    pok("file DROPPABLE", mmap(NULL, PG, PROT_READ, 0x08, rw, 0));
    if (dr != MAP_FAILED) {
        dr[0] = 'd';
        pid_t c = fork();
        if (c == 0)
            _exit(dr[0]);
        int st;
        waitpid(c, &st, 0);
        say("DROPPABLE in a fork child: %d, in the parent: %c\n", WEXITSTATUS(st), dr[0]);
    }

    say("== open mode\n");
    pok("SHARED PROT_WRITE O_RDONLY", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
    pok("SHARED_VALIDATE PROT_WRITE O_RDONLY", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, ro, 0));
    pok("SHARED PROT_READ O_WRONLY", mmap(NULL, PG, PROT_READ, MAP_SHARED, wo, 0));
    pok("SHARED PROT_WRITE O_WRONLY", mmap(NULL, PG, PROT_WRITE, MAP_SHARED, wo, 0));
    pok("PRIVATE PROT_WRITE O_WRONLY", mmap(NULL, PG, PROT_WRITE, MAP_PRIVATE, wo, 0));
    pok("PRIVATE PROT_WRITE O_RDONLY", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0));
    void *s = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, ro, 0);
    pok("SHARED PROT_READ O_RDONLY", s);
    res("mprotect WRITE shared O_RDONLY", mprotect(s, 2 * PG, PROT_READ | PROT_WRITE));
    res("mprotect WRITE second page", mprotect((char *)s + PG, PG, PROT_WRITE));
    res("mprotect EXEC shared O_RDONLY", mprotect(s, 2 * PG, PROT_READ | PROT_EXEC));
    res("mprotect NONE", mprotect(s, 2 * PG, PROT_NONE));
    void *pr = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, ro, 0);
    res("mprotect WRITE private O_RDONLY", mprotect(pr, PG, PROT_READ | PROT_WRITE));
    void *sw = mmap(NULL, PG, PROT_READ, MAP_SHARED, rw, 0);
    res("mprotect WRITE shared O_RDWR", mprotect(sw, PG, PROT_READ | PROT_WRITE));
    /* A range over a writable-capable VMA then a read-only shared one: the first
     * changes, then EACCES. */
    unsigned char *two = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | ANON, -1, 0);
    mmap(two + PG, PG, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0);
    res("mprotect anon+shared O_RDONLY", mprotect(two, 2 * PG, PROT_READ | PROT_WRITE));
    int w = 0;
    {
        /* read(2) into the page: EFAULT unless it became writable */
        int pfd[2];
        if (pipe(pfd) == 0) {
            w = write(pfd[1], "x", 1) == 1 && read(pfd[0], two, 1) == 1;
            close(pfd[0]);
            close(pfd[1]);
        }
    }
    check("first page made writable", w);

    say("== MAP_32BIT\n");
    void *a = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | ANON | MAP_32BIT, -1, 0);
    below_2g("anon 32BIT 1 page", a, PG);
    void *b = mmap(NULL, 512 * MB, PROT_NONE, MAP_PRIVATE | ANON | MAP_32BIT | MAP_NORESERVE, -1, 0);
    below_2g("anon 32BIT 512M", b, 512 * MB);
    void *c = mmap(NULL, 600 * MB, PROT_NONE, MAP_PRIVATE | ANON | MAP_32BIT | MAP_NORESERVE, -1, 0);
    pok("anon 32BIT 600M more", c);
    void *d = mmap(NULL, 16 * PG, PROT_READ, MAP_SHARED | MAP_32BIT, rw, 0);
    below_2g("file 32BIT", d, 16 * PG);
    void *e = mmap((void *)0x500000000UL, PG, PROT_READ, MAP_PRIVATE | ANON | MAP_32BIT | MAP_FIXED, -1, 0);
    check("32BIT|FIXED keeps the fixed address", e == (void *)0x500000000UL);
    munmap(e, PG);
    munmap(b, 512 * MB);
    void *f = mmap(NULL, 400 * MB, PROT_NONE, MAP_PRIVATE | ANON | MAP_32BIT | MAP_NORESERVE, -1, 0);
    below_2g("anon 32BIT 400M in the freed hole", f, 400 * MB);
    f = mmap(NULL, 900 * MB, PROT_NONE, MAP_PRIVATE | ANON | MAP_32BIT | MAP_NORESERVE, -1, 0);
    pok("anon 32BIT 900M more", f);

    say("== MAP_FIXED_NOREPLACE\n");
    unsigned char *r = mmap(NULL, 8 * PG, PROT_READ, MAP_PRIVATE | ANON, -1, 0);
    munmap(r + 4 * PG, 4 * PG);
    pok("NOREPLACE on mapping", mmap(r, PG, PROT_READ, MAP_PRIVATE | ANON | MAP_FIXED_NOREPLACE, -1, 0));
    pok("NOREPLACE overlapping end", mmap(r + 3 * PG, 2 * PG, PROT_READ, MAP_PRIVATE | ANON | MAP_FIXED_NOREPLACE, -1, 0));
    void *g = mmap(r + 4 * PG, 2 * PG, PROT_READ, MAP_PRIVATE | ANON | MAP_FIXED_NOREPLACE, -1, 0);
    check("NOREPLACE in the hole", g == r + 4 * PG);
    pok("NOREPLACE unaligned", mmap(r + 6 * PG + 1, PG, PROT_READ, MAP_PRIVATE | ANON | MAP_FIXED_NOREPLACE, -1, 0));
    pok("NOREPLACE|FIXED on mapping", mmap(r, PG, PROT_READ, MAP_PRIVATE | ANON | MAP_FIXED | MAP_FIXED_NOREPLACE, -1, 0));
    pok("NOREPLACE file on mapping", mmap(r, PG, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, rw, 0));
    say("done\n");
    return 0;
}
