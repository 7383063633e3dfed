/* build: static static-pie no-pie */
/* mmap/munmap/mprotect/mremap/madvise, anonymous and file-backed.
 * argv[1]: scratch directory prepared by the test (pattern.bin is
 * 3*4096+100 bytes, byte i == i % 251).  Accessibility is probed through
 * syscalls (EFAULT), never by faulting. */
#include "common.h"
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define PAT_SIZE (3 * 4096 + 100)

static void access_line(const char *label, void *p)
{
    say("%s: %s\n", label, mem_writable(p) ? "rw" : mem_readable(p) ? "r" : "none");
}

static int is_pattern(const unsigned char *p, size_t off, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)((off + i) % 251))
            return 0;
    return 1;
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    probe_file();

    say("== anonymous\n");
    unsigned char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pok("mmap anon 3 pages", p);
    check("page aligned", ((uintptr_t)p & (PG - 1)) == 0);
    check("zero filled", all_zero(p, 3 * PG));
    memset(p, 0xab, 3 * PG);
    check("writable", p[3 * PG - 1] == 0xab);
    res("munmap unaligned", munmap(p + 1, PG));
    res("munmap len 0", munmap(p, 0));
    res("munmap middle page", munmap(p + PG, PG));
    access_line("page 0", p);
    access_line("page 1 (unmapped)", p + PG);
    access_line("page 2", p + 2 * PG);
    check("page 2 intact", p[2 * PG] == 0xab);
    res("munmap already unmapped", munmap(p + PG, PG));
    res("munmap unaligned length", munmap(p + 2 * PG, 100));
    access_line("page 2 after munmap len 100", p + 2 * PG);
    res("munmap rest", munmap(p, 3 * PG));
    res("munmap kernel address", munmap(KERNPTR, PG));

    say("== argument errors\n");
    pok("mmap len 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    pok("mmap no SHARED/PRIVATE", mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0));
    pok("mmap huge len", mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    pok("mmap anon fd ignored", mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 999, 0));
    pok("mmap bad fd", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0));
    pok("mmap shared anon", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    pok("mmap populate+noreserve", mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_NORESERVE, -1, 0));

    say("== MAP_FIXED and hints\n");
    unsigned char *r = mmap(NULL, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pok("reserve 16 pages PROT_NONE", r);
    access_line("PROT_NONE page", r);
    unsigned char *q = mmap(r + 2 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("MAP_FIXED at requested address", q == r + 2 * PG);
    q[0] = 1;
    access_line("fixed page", q);
    access_line("neighbour still PROT_NONE", r + 3 * PG);
    pok("MAP_FIXED unaligned", mmap(r + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    pok("MAP_FIXED_NOREPLACE on mapping", mmap(r + 4 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    pok("MAP_FIXED_NOREPLACE partial overlap", mmap(r - PG, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    munmap(r + 5 * PG, 2 * PG);
    void *nr = mmap(r + 5 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    check("MAP_FIXED_NOREPLACE in a hole", nr == r + 5 * PG);
    void *h = mmap(r + 6 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("free hint honoured", h == r + 6 * PG);
    h = mmap(r + 8 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("busy hint moved elsewhere", h != MAP_FAILED && h != r + 8 * PG);
    munmap(h, PG);
    /* MAP_FIXED replaces contents of an existing mapping */
    q[0] = 0x55;
    q = mmap(r + 2 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("MAP_FIXED over mapping gives fresh zero page", q[0] == 0);

    say("== mprotect\n");
    memset(q, 'q', PG);
    res("mprotect PROT_READ", mprotect(q, PG, PROT_READ));
    access_line("after PROT_READ", q);
    check("content kept", q[100] == 'q');
    res("mprotect PROT_NONE", mprotect(q, PG, PROT_NONE));
    access_line("after PROT_NONE", q);
    res("mprotect RW", mprotect(q, PG, PROT_READ | PROT_WRITE));
    access_line("after RW", q);
    check("content kept again", q[PG - 1] == 'q');
    res("mprotect unaligned", mprotect(q + 1, PG, PROT_READ));
    res("mprotect bad prot", mprotect(q, PG, 0x100));
    res("mprotect len 0", mprotect(q, 0, PROT_READ));
    unsigned char *hole = mmap(NULL, 3 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole + PG, 2 * PG); /* known hole, checked before anything else is mapped */
    res("mprotect unmapped range", mprotect(hole + PG, PG, PROT_READ));
    res("mprotect straddling a hole", mprotect(hole, 2 * PG, PROT_READ));
    munmap(hole, PG);
    res("mprotect part of mapping", mprotect(r + 9 * PG, PG, PROT_READ | PROT_WRITE));
    access_line("page 9", r + 9 * PG);
    access_line("page 10 unchanged", r + 10 * PG);
    munmap(r, 16 * PG);

    say("== executable memory\n");
    unsigned char *code = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static const unsigned char fn[] = {0xb8, 42, 0, 0, 0, 0xc3}; /* mov $42,%eax; ret */
    memcpy(code, fn, sizeof fn);
    res("mprotect R|X", mprotect(code, PG, PROT_READ | PROT_EXEC));
    res("call generated code", ((int (*)(void))code)());
    res("mprotect RWX", mprotect(code, PG, PROT_READ | PROT_WRITE | PROT_EXEC));
    code[1] = 7;
    res("call modified code", ((int (*)(void))code)());
    munmap(code, PG);

    say("== mremap\n");
    unsigned char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < 2 * PG; i++)
        m[i] = (unsigned char)(i % 253);
    unsigned char *m2 = mremap(m, 2 * PG, 64 * PG, MREMAP_MAYMOVE);
    pok("mremap grow MAYMOVE", m2);
    int okc = 1;
    for (size_t i = 0; i < 2 * PG; i++)
        if (m2[i] != (unsigned char)(i % 253))
            okc = 0;
    check("contents preserved", okc);
    check("new tail zero", all_zero(m2 + 2 * PG, 62 * PG));
    m2[64 * PG - 1] = 1;
    unsigned char *m3 = mremap(m2, 64 * PG, PG, 0);
    check("mremap shrink in place", m3 == m2);
    access_line("shrunk tail", m2 + PG);
    check("shrunk keeps data", m3[PG - 1] == (unsigned char)((PG - 1) % 253));
    /* block growth in place: map something right after */
    void *blk = mmap(m3 + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    check("blocker mapped", blk == m3 + PG);
    pok("mremap grow without MAYMOVE blocked", mremap(m3, PG, 2 * PG, 0));
    pok("mremap unaligned old", mremap(m3 + 1, PG, 2 * PG, MREMAP_MAYMOVE));
    pok("mremap bad flags", mremap(m3, PG, 2 * PG, 0x80));
    pok("mremap new size 0", mremap(m3, PG, 0, MREMAP_MAYMOVE));
    pok("mremap FIXED without MAYMOVE", mremap(m3, PG, PG, MREMAP_FIXED, m3 + 8 * PG));
    pok("mremap unmapped old", mremap(m3 + 4 * PG, PG, 2 * PG, MREMAP_MAYMOVE));
    unsigned char *tgt = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *m4 = mremap(m3, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, tgt + PG);
    check("mremap FIXED to target", m4 == tgt + PG);
    check("moved data", m4[PG - 1] == (unsigned char)((PG - 1) % 253));
    access_line("old address after move", m3);
    access_line("target neighbour still PROT_NONE", tgt);
    munmap(tgt, 4 * PG);
    munmap(blk, PG);

    say("== madvise\n");
    unsigned char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(a, 'a', 4 * PG);
    res("MADV_DONTNEED", madvise(a, PG, MADV_DONTNEED));
    check("DONTNEED zeroed page 0", all_zero(a, PG));
    check("page 1 untouched", a[PG] == 'a');
    res("MADV_NORMAL", madvise(a, 4 * PG, MADV_NORMAL));
    res("MADV_WILLNEED", madvise(a, 4 * PG, MADV_WILLNEED));
    res("MADV_SEQUENTIAL", madvise(a, 4 * PG, MADV_SEQUENTIAL));
    res("MADV_RANDOM", madvise(a, 4 * PG, MADV_RANDOM));
    res("MADV_FREE", madvise(a + 2 * PG, PG, MADV_FREE));
    res("madvise bad advice", madvise(a, PG, 9999));
    res("madvise unaligned", madvise(a + 1, PG, MADV_NORMAL));
    res("madvise len 0", madvise(a, 0, MADV_NORMAL));
    munmap(a + 3 * PG, PG);
    res("madvise over hole", madvise(a, 4 * PG, MADV_NORMAL));
    munmap(a, 3 * PG);

    say("== file-backed\n");
    int fd = open("pattern.bin", O_RDWR);
    unsigned char *f = mmap(NULL, PAT_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    pok("mmap file private", f);
    check("file contents", is_pattern(f, 0, PAT_SIZE));
    check("tail of last page zero", all_zero(f + PAT_SIZE, 4 * PG - PAT_SIZE));
    munmap(f, PAT_SIZE);
    f = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 2 * PG);
    check("offset 2 pages", f != MAP_FAILED && is_pattern(f, 2 * PG, 100));
    munmap(f, PG);
    pok("mmap unaligned offset", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100));
    pok("mmap offset far beyond eof", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 1000 * PG));
    f = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    f[0] = 'P';
    char c;
    pread(fd, &c, 1, 0);
    check("MAP_PRIVATE write not in file", c == 0);
    res("MADV_DONTNEED private file page", madvise(f, PG, MADV_DONTNEED));
    check("reverts to file contents", f[0] == 0 && is_pattern(f, 0, PG));
    munmap(f, PG);

    unsigned char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pok("mmap file shared", s);
    s[0] = 'S';
    pread(fd, &c, 1, 0);
    check("MAP_SHARED write visible via pread", c == 'S');
    pwrite(fd, "W", 1, 1);
    check("pwrite visible in MAP_SHARED", s[1] == 'W');
    unsigned char *s2 = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
    check("second shared mapping coherent", s2[0] == 'S' && s2[1] == 'W');
    munmap(s2, PG);
    munmap(s, PG);
    close(fd);
    /* the mapping outlives the fd */
    fd = open("pattern.bin", O_RDONLY);
    f = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    check("mapping survives close", f[0] == 'S' && f[2] == 2);
    munmap(f, PG);

    fd = open("pattern.bin", O_RDONLY);
    pok("MAP_SHARED PROT_WRITE on O_RDONLY", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    pok("MAP_PRIVATE PROT_WRITE on O_RDONLY", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
    close(fd);
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    pok("mmap directory", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, dfd, 0));
    close(dfd);

    say("== large\n");
    size_t big = 256UL << 20;
    unsigned char *g = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pok("mmap 256MB", g);
    unsigned long sum = 0;
    for (size_t off = 0; off < big; off += 1 << 20)
        g[off] = (unsigned char)(off >> 20);
    for (size_t off = 0; off < big; off += 1 << 20)
        sum += g[off];
    say("touched 256 pages, sum %lu\n", sum);
    res("munmap 256MB", munmap(g, big));
    return 0;
}
