/* sched_getaffinity, sched_yield. */
#include "common.h"
#include <sched.h>

int main(void)
{
    unsigned char mask[128];
    memset(mask, 0, sizeof mask);
    long r = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
    check("sched_getaffinity returns > 0", r > 0);
    check("returned size multiple of 8", r > 0 && r % 8 == 0);
    int n = 0;
    for (long i = 0; i < (r > 0 ? r : 0); i++)
        n += __builtin_popcount(mask[i]);
    check("at least one cpu", n >= 1);
    check("own pid same as 0", ({ unsigned char m2[128] = {0};
                                  syscall(SYS_sched_getaffinity, getpid(), sizeof m2, m2) == r && !memcmp(m2, mask, sizeof m2); }));
    res("len 4", syscall(SYS_sched_getaffinity, 0, 4, mask));
    res("len 0", syscall(SYS_sched_getaffinity, 0, 0, mask));
    res("len 12 (not multiple of 8)", syscall(SYS_sched_getaffinity, 0, 12, mask));
    res("no such pid", syscall(SYS_sched_getaffinity, 0x3fffffff, sizeof mask, mask));
    res("bad pointer", syscall(SYS_sched_getaffinity, 0, sizeof mask, BADPTR));
    cpu_set_t set;
    CPU_ZERO(&set);
    res("glibc sched_getaffinity", sched_getaffinity(0, sizeof set, &set));
    check("CPU_COUNT >= 1", CPU_COUNT(&set) >= 1);
    check("CPU_COUNT matches raw", CPU_COUNT(&set) == n);
    res("sched_yield", syscall(SYS_sched_yield));
    for (int i = 0; i < 100; i++)
        sched_yield();
    res("sched_yield x100 then", sched_yield());
    return 0;
}
