/* mremap(2) rules of mm/mremap.c: flag combinations (MREMAP_FIXED and
 * MREMAP_DONTUNMAP need MREMAP_MAYMOVE, DONTUNMAP keeps the size), the new
 * address checks, MREMAP_DONTUNMAP on private, shared and file mappings (what the
 * old range holds afterwards), old_size 0 duplicating a shared mapping (refused
 * for private ones), EFAULT for ranges past a VMA, and shrinking across VMAs.
 * argv[1]: scratch directory. */
#include "common.h"
#include <sys/mman.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static void *rm(void *old, size_t os, size_t ns, int flags, void *na)
{
    return (void *)syscall(SYS_mremap, old, os, ns, flags, na);
}

static void same(const char *label, void *got, void *want)
{
    if (got == MAP_FAILED)
        say("%s: -1 %s\n", label, ename(errno));
    else
        say("%s: %s\n", label, got == want ? "same address" : "moved");
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    /* Mappings sit inside PROT_NONE reservations, so no neighbour merges with them. */
    char *r = mmap(NULL, 64 * PG, PROT_NONE, ANON, -1, 0);
    char *p = mmap(r + PG, 4 * PG, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
    char *t = mmap(NULL, 8 * PG, PROT_NONE, ANON, -1, 0);
    memset(p, 'p', 4 * PG);
    munmap(r + 40 * PG, PG);

    say("== flags\n");
    pok("unknown flag 8", rm(p, PG, PG, 8, NULL));
    pok("FIXED without MAYMOVE", rm(p, PG, PG, MREMAP_FIXED, t));
    pok("DONTUNMAP without MAYMOVE", rm(p, PG, PG, MREMAP_DONTUNMAP, NULL));
    pok("DONTUNMAP growing", rm(p, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL));
    pok("DONTUNMAP unaligned hint", rm(p, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, t + 1));
    pok("FIXED unaligned", rm(p, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, t + 1));
    pok("FIXED overlapping the source", rm(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + PG));
    pok("unaligned old", rm(p + 1, PG, PG, MREMAP_MAYMOVE, NULL));
    pok("new size 0", rm(p, PG, 0, MREMAP_MAYMOVE, NULL));
    pok("unmapped old", rm(r + 40 * PG, PG, 2 * PG, MREMAP_MAYMOVE, NULL));
    pok("old range past the VMA, growing", rm(p, 5 * PG, 6 * PG, MREMAP_MAYMOVE, NULL));
    same("same size", rm(p, 4 * PG, 4 * PG, 0, NULL), p);

    say("== DONTUNMAP\n");
    char *q = rm(p, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    pok("private anon", q);
    if (q != MAP_FAILED) {
        check("content moved", q[0] == 'p');
        check("old page still mapped and empty", p[0] == 0);
    }
    char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    s[0] = 's';
    char *s2 = rm(s, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    pok("shared anon", s2);
    if (s2 != MAP_FAILED)
        say("shared anon: new %c, old %d\n", s2[0], s[0]);
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "file", 4);
    ftruncate(fd, PG);
    char *f = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    f[0] = 'F';
    char *f2 = rm(f, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    pok("private file", f2);
    if (f2 != MAP_FAILED)
        say("private file: new %c, old %c\n", f2[0], f[0]);
    char *g = rm(p + PG, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, t + 2 * PG);
    same("DONTUNMAP|FIXED to the target", g, t + 2 * PG);
    if (g != MAP_FAILED)
        check("fixed target has the content", g[0] == 'p');

    say("== old_size 0\n");
    pok("old_size 0, private", rm(p + 2 * PG, 0, PG, MREMAP_MAYMOVE, NULL));
    char *sh = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sh[0] = 'a';
    sh[PG] = 'b';
    pok("old_size 0, shared, no MAYMOVE", rm(sh, 0, PG, 0, NULL));
    char *dup = rm(sh + PG, 0, PG, MREMAP_MAYMOVE, NULL);
    pok("old_size 0, shared", dup);
    if (dup != MAP_FAILED) {
        check("duplicate shows the page", dup[0] == 'b');
        dup[1] = 'c';
        check("writes are shared", sh[PG + 1] == 'c');
        check("original still mapped", sh[0] == 'a');
    }
    char *dup2 = rm(sh, 0, 2 * PG, MREMAP_MAYMOVE, NULL);
    pok("old_size 0, shared, bigger", dup2);
    if (dup2 != MAP_FAILED)
        check("bigger duplicate shows both pages", dup2[0] == 'a' && dup2[PG] == 'b');

    say("== shrinking and growing\n");
    char *a = mmap(r + 20 * PG, 4 * PG, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
    mprotect(a + 2 * PG, 2 * PG, PROT_READ);
    same("shrink across two VMAs", rm(a, 4 * PG, PG, 0, NULL), a);
    check("rest unmapped", mmap(a + PG, 3 * PG, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0) == a + PG);
    munmap(a + PG, 3 * PG);
    /* a hole of 3 pages after a, then a PROT_NONE page of the reservation */
    same("grow in place into the hole", rm(a, PG, 3 * PG, 0, NULL), a);
    mmap(a + 3 * PG, PG, PROT_READ, ANON | MAP_FIXED, -1, 0);
    pok("grow blocked, no MAYMOVE", rm(a, 3 * PG, 4 * PG, 0, NULL));
    same("grow blocked, MAYMOVE", rm(a, 3 * PG, 4 * PG, MREMAP_MAYMOVE, NULL), a);
    char *m = mmap(r + 30 * PG, 6 * PG, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
    m[2 * PG] = 'm';
    char *m2 = rm(m + 2 * PG, PG, 3 * PG, MREMAP_MAYMOVE, NULL);
    pok("grow a page from the middle", m2);
    if (m2 != MAP_FAILED)
        check("middle page content", m2[0] == 'm');
    say("done\n");
    return 0;
}
