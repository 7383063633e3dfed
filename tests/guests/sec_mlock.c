/* mlock, munlock, mlock2, mlockall, munlockall: Linux's answers against the
 * guest's own mappings. The stub's pages (0x7ffbe0000000 under umlskas) are
 * not the guest's: natively that address is simply unmapped, so ENOMEM in
 * both. Also an unmapped hole inside a range, the page rounding, the
 * argument-check order (mlock2's flags EINVAL first, len 0, a wrapping range)
 * and, as an unprivileged child, EPERM and RLIMIT_MEMLOCK.
 */
/* build: static */
#include "common.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define STUB_ADDR ((void *)0x7ffbe0000000UL)
#define STUB_OPS ((void *)0x7ffbe0100000UL)

static long mlock2_(void *a, size_t n, int flags)
{
    return syscall(SYS_mlock2, a, n, flags);
}

static void unprivileged(void)
{
    struct rlimit none = {0, 0}, one = {PG, PG};
    char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pid_t c = fork();
    if (c == 0) {
        setrlimit(RLIMIT_MEMLOCK, &none);
        if (setuid(65534) != 0) {
            printf("setuid: failed\n");
            _exit(1);
        }
        res("nobody, MEMLOCK 0: mlock", mlock(p, PG));
        res("nobody, MEMLOCK 0: mlock2", mlock2_(p, PG, 0));
        res("nobody, MEMLOCK 0: mlockall", mlockall(MCL_CURRENT));
        res("nobody, MEMLOCK 0: mlock2 bad flags (EINVAL first)", mlock2_(p, PG, 8));
        res("nobody, MEMLOCK 0: mlockall bad flags (EINVAL first)", mlockall(8));
        res("nobody, MEMLOCK 0: mlock stub (EPERM first)", mlock(STUB_ADDR, PG));
        res("nobody, MEMLOCK 0: munlock", munlock(p, PG));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    c = fork();
    if (c == 0) {
        setrlimit(RLIMIT_MEMLOCK, &one);
        if (setuid(65534) != 0)
            _exit(1);
        res("nobody, MEMLOCK 1 page: mlock 2 pages", mlock(p, 2 * PG));
        res("nobody, MEMLOCK 1 page: mlock 2 pages, unmapped", mlock(STUB_ADDR, 2 * PG));
        res("nobody, MEMLOCK 1 page: mlockall current", mlockall(MCL_CURRENT));
        res("nobody, MEMLOCK 1 page: mlockall future", mlockall(MCL_FUTURE));
        munlockall();
        _exit(0);
    }
    waitpid(c, NULL, 0);
    munmap(p, 2 * PG);
}

int main(void)
{
    res("mlock stub text", mlock(STUB_ADDR, PG));
    res("mlock stub ops page", mlock(STUB_OPS, PG));
    res("munlock stub text", munlock(STUB_ADDR, PG));
    res("mlock2 stub text", mlock2_(STUB_ADDR, PG, 0));
    res("mlock2 stub text, MLOCK_ONFAULT", mlock2_(STUB_ADDR, PG, MLOCK_ONFAULT));
    res("mlock2 bad flags on the stub (EINVAL first)", mlock2_(STUB_ADDR, PG, 2));
    res("mlock stub, len 0", mlock(STUB_ADDR, 0));
    res("munlock stub, len 0", munlock(STUB_ADDR, 0));
    res("mlock vsyscall page", mlock((void *)0xffffffffff600000UL, PG));
    res("mlock kernel address", mlock(KERNPTR, PG));
    res("mlock page 0", mlock(NULL, PG));

    char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pok("mmap 4 pages", p);
    res("munmap the second one", munmap(p + PG, PG));
    res("munmap the fourth one", munmap(p + 3 * PG, PG));
    res("mlock across the hole", mlock(p, 3 * PG));
    res("munlock across the hole", munlock(p, 3 * PG));
    res("mlock2 across the hole", mlock2_(p, 3 * PG, MLOCK_ONFAULT));
    res("mlock first page", mlock(p, PG));
    res("mlock inside the first page (rounded)", mlock(p + 100, 10));
    res("mlock last byte of page 1 + 1 (reaches the hole)", mlock(p + PG - 1, 2));
    res("mlock starting in the hole", mlock(p + PG, PG));
    res("mlock the third page", mlock(p + 2 * PG, PG));
    res("munlock the third page", munlock(p + 2 * PG, PG));
    res("mlock the third page and the hole after it", mlock(p + 2 * PG, 2 * PG));
    res("mlock wrapping range", mlock((void *)0xfffffffffffff000UL, 2 * PG));
    res("munlock wrapping range", munlock((void *)0xfffffffffffff000UL, 2 * PG));
    res("mlock len -1 (rounds to 0)", mlock(STUB_ADDR, (size_t)-1));
    res("munlock len -1 (rounds to 0)", munlock(STUB_ADDR, (size_t)-1));
    res("munlock first page", munlock(p, PG));

    char *q = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    res("mlock a PROT_NONE mapping (cannot be populated)", mlock(q, PG));
    res("mlock2 MLOCK_ONFAULT a PROT_NONE mapping", mlock2_(q, PG, MLOCK_ONFAULT));
    res("munlock a PROT_NONE mapping", munlock(q, PG));
    res("mlock a page made PROT_NONE", (mprotect(p + 2 * PG, PG, PROT_NONE),
                                                      mlock(p + 2 * PG, PG)));
    res("mlock the first page again", mlock(p, PG));

    res("mlockall 0", mlockall(0));
    res("mlockall MCL_ONFAULT alone", mlockall(MCL_ONFAULT));
    res("mlockall unknown flag", mlockall(8));
    res("mlockall MCL_FUTURE", mlockall(MCL_FUTURE));
    res("munlockall", munlockall());
    res("mlockall MCL_CURRENT", mlockall(MCL_CURRENT));
    res("munlockall again", munlockall());

    if (getuid() == 0)
        unprivileged();
    check("still alive", 1);
    return 0;
}
