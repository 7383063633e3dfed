/* build: static static-pie no-pie */
/* brk: query, grow, shrink, invalid requests.  argv[1]: scratch directory. */
#include "common.h"

static long sbrk_raw(unsigned long addr)
{
    return syscall(SYS_brk, addr);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    probe_file();
    say("brk test\n"); /* allocates the stdio buffer before we look at the break */
    unsigned long cur = sbrk_raw(0);
    check("brk(0) > 0", cur > 0);
    check("brk(0) stable", (unsigned long)sbrk_raw(0) == cur);
    unsigned long base = (cur + PG - 1) & ~(PG - 1);

    long n = sbrk_raw(base + 10 * PG);
    say("grow by 10 pages: delta %ld\n", n - (long)base);
    char *p = (char *)base;
    memset(p, 'b', 10 * PG);
    check("grown area writable", mem_writable(p + 10 * PG - 1));
    check("beyond break not accessible", !mem_readable(p + 10 * PG));

    n = sbrk_raw(base + 5 * PG);
    say("shrink to 5 pages: delta %ld\n", n - (long)base);
    check("kept area intact", p[5 * PG - 1] == 'b');
    check("released area not accessible", !mem_readable(p + 5 * PG));

    n = sbrk_raw(base + 10 * PG);
    say("regrow: delta %ld\n", n - (long)base);
    check("regrown area is zero", p[6 * PG] == 0);

    n = sbrk_raw(base + 5 * PG + 123);
    say("unaligned request: delta %ld\n", n - (long)base);
    check("page of unaligned break accessible", mem_writable(p + 5 * PG + 200));

    n = sbrk_raw(1);
    say("brk(1) returns current: %s\n", n == (long)(base + 5 * PG + 123) ? "yes" : "BAD");
    n = sbrk_raw(cur - 1000 * PG);
    say("brk below start returns current: %s\n", n == (long)(base + 5 * PG + 123) ? "yes" : "BAD");
    n = sbrk_raw(0x7fffffffffffUL);
    say("brk huge returns current: %s\n", n == (long)(base + 5 * PG + 123) ? "yes" : "BAD");

    n = sbrk_raw(base + (64UL << 20));
    say("grow 64MB: delta %ld\n", n - (long)base);
    for (unsigned long off = 0; off < (64UL << 20); off += PG)
        p[off] = 1;
    check("64MB touched", p[(64UL << 20) - PG] == 1);
    n = sbrk_raw(base);
    say("shrink to base: delta %ld\n", n - (long)base);

    /* glibc sbrk on top */
    void *s0 = sbrk(0);
    void *s1 = sbrk(3 * PG);
    check("sbrk returns old break", s0 == s1);
    check("sbrk moved break", (char *)sbrk(0) == (char *)s0 + 3 * PG);
    memset(s1, 0, 3 * PG);
    say("ok\n");
    return 0;
}
