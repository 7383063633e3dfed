/* futex(2) argument checks in Linux's order: a timeout read (EFAULT) and checked
 * (EINVAL) before FUTEX_CLOCK_REALTIME is refused (ENOSYS) by ops that do not take it;
 * misaligned words EINVAL; bitset 0 EINVAL; unknown ops ENOSYS; private ops only
 * check the address range, shared ops need a mapped page (EFAULT on unmapped or
 * PROT_NONE memory, a read-only private page, or a read-only page where the op
 * writes); timeouts relative (FUTEX_WAIT) or absolute (WAIT_BITSET, on
 * CLOCK_MONOTONIC or CLOCK_REALTIME). */
#include "common.h"
#include <linux/futex.h>
#include <sys/mman.h>
#include <time.h>

static long futex(void *uaddr, int op, long val, long val2, void *uaddr2, long val3)
{
    return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static uint32_t w, w2;

static void r(const char *label, long v)
{
    res(label, v);
}

int main(void)
{
    struct timespec ts0 = {0, 0}, bad_ns = {0, 1000000000}, bad_sec = {-1, 0};
    struct timespec ms10 = {0, 10 * 1000 * 1000};
    static const struct { const char *name; int op; } ops[] = {
        {"WAIT", FUTEX_WAIT}, {"WAKE", FUTEX_WAKE}, {"FD", 2}, {"REQUEUE", FUTEX_REQUEUE},
        {"CMP_REQUEUE", FUTEX_CMP_REQUEUE}, {"WAKE_OP", FUTEX_WAKE_OP},
        {"LOCK_PI", FUTEX_LOCK_PI}, {"UNLOCK_PI", FUTEX_UNLOCK_PI},
        {"TRYLOCK_PI", FUTEX_TRYLOCK_PI}, {"WAIT_BITSET", FUTEX_WAIT_BITSET},
        {"WAKE_BITSET", FUTEX_WAKE_BITSET}, {"WAIT_REQUEUE_PI", FUTEX_WAIT_REQUEUE_PI},
        {"CMP_REQUEUE_PI", FUTEX_CMP_REQUEUE_PI}, {"LOCK_PI2", 13}, {"op 14", 14},
        {"op 15", 15}, {"op 127", 127},
    };
    char label[128];
    /* a TID no thread has (the guest may well be pid 1) */
    w = 0x3ffffff0;
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        int op = ops[i].op | FUTEX_PRIVATE_FLAG;
        int has_timeout = ops[i].op == FUTEX_WAIT || ops[i].op == FUTEX_LOCK_PI ||
                          ops[i].op == 13 || ops[i].op == FUTEX_WAIT_BITSET ||
                          ops[i].op == FUTEX_WAIT_REQUEUE_PI;
        /* a value that does not match, so that no op blocks */
        snprintf(label, sizeof label, "%s CLOCK_REALTIME", ops[i].name);
        r(label, futex(&w, op | FUTEX_CLOCK_REALTIME, 0, (long)&ts0, &w2, 0));
        snprintf(label, sizeof label, "%s misaligned", ops[i].name);
        r(label, futex((char *)&w + 1, op, 0, 0, &w2, 1));
        /* the other ops read the argument as a count: no pointers there */
        if (!has_timeout)
            continue;
        snprintf(label, sizeof label, "%s CLOCK_REALTIME bad timeout ptr", ops[i].name);
        r(label, futex(&w, op | FUTEX_CLOCK_REALTIME, 0, (long)BADPTR, &w2, 0));
        snprintf(label, sizeof label, "%s bad tv_nsec", ops[i].name);
        r(label, futex(&w, op, 0, (long)&bad_ns, &w2, 0));
        snprintf(label, sizeof label, "%s negative tv_sec", ops[i].name);
        r(label, futex(&w, op, 0, (long)&bad_sec, &w2, 0));
    }
    w = 0;
    r("WAIT_BITSET bitset 0", futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, NULL, 0));
    r("WAKE_BITSET bitset 0", futex(&w, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 0));
    r("WAIT value differs", futex(&w, FUTEX_WAIT_PRIVATE, 1, 0, NULL, 0));
    r("WAIT relative 10ms", futex(&w, FUTEX_WAIT_PRIVATE, 0, (long)&ms10, NULL, 0));
    r("WAIT relative 0", futex(&w, FUTEX_WAIT_PRIVATE, 0, (long)&ts0, NULL, 0));
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 10 * 1000 * 1000;
    if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
    r("WAIT_BITSET monotonic +10ms", futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 0, (long)&now, NULL, ~0L));
    r("WAIT_BITSET monotonic 0", futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 0, (long)&ts0, NULL, ~0L));
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_nsec += 10 * 1000 * 1000;
    if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
    r("WAIT_BITSET realtime +10ms", futex(&w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, (long)&now, NULL, 1));
    r("WAIT_BITSET realtime 0", futex(&w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, (long)&ts0, NULL, 1));
    r("WAIT timeout bad ptr", futex(&w, FUTEX_WAIT_PRIVATE, 0, (long)BADPTR, NULL, 0));
    r("WAKE timeout bad ptr (a count)", futex(&w, FUTEX_WAKE_PRIVATE, 1, (long)BADPTR, NULL, 0));

    /* memory: unmapped, PROT_NONE, read-only, kernel, NULL; private and shared */
    char *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *rosh = mmap(NULL, PG, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *gone = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, PG);
    static const struct { const char *name; void *p; } mem[] = {
        {"unmapped", NULL}, {"PROT_NONE", NULL}, {"read-only private", NULL},
        {"read-only shared", NULL}, {"kernel", KERNPTR}, {"NULL", NULL},
    };
    void *ptrs[] = {gone, none, ro, rosh, KERNPTR, NULL};
    for (unsigned i = 0; i < sizeof mem / sizeof mem[0]; i++) {
        for (int shared = 0; shared < 2; shared++) {
            int pf = shared ? 0 : FUTEX_PRIVATE_FLAG;
            const char *s = shared ? "shared" : "private";
            snprintf(label, sizeof label, "WAKE %s %s", mem[i].name, s);
            r(label, futex(ptrs[i], FUTEX_WAKE | pf, 1, 0, NULL, 0));
            snprintf(label, sizeof label, "WAIT %s %s", mem[i].name, s);
            r(label, futex(ptrs[i], FUTEX_WAIT | pf, 1, (long)&ts0, NULL, 0));
            snprintf(label, sizeof label, "REQUEUE from %s %s", mem[i].name, s);
            r(label, futex(ptrs[i], FUTEX_REQUEUE | pf, 1, 1, &w2, 0));
            snprintf(label, sizeof label, "REQUEUE to %s %s", mem[i].name, s);
            r(label, futex(&w, FUTEX_REQUEUE | pf, 1, 1, ptrs[i], 0));
            snprintf(label, sizeof label, "CMP_REQUEUE from %s %s", mem[i].name, s);
            r(label, futex(ptrs[i], FUTEX_CMP_REQUEUE | pf, 1, 1, &w2, 0));
            snprintf(label, sizeof label, "LOCK_PI %s %s", mem[i].name, s);
            r(label, futex(ptrs[i], FUTEX_LOCK_PI | pf, 0, 0, NULL, 0));
            snprintf(label, sizeof label, "TRYLOCK_PI %s %s", mem[i].name, s);
            r(label, futex(ptrs[i], FUTEX_TRYLOCK_PI | pf, 0, 0, NULL, 0));
            snprintf(label, sizeof label, "UNLOCK_PI %s %s", mem[i].name, s);
            r(label, futex(ptrs[i], FUTEX_UNLOCK_PI | pf, 0, 0, NULL, 0));
        }
    }
    /* counts */
    r("CMP_REQUEUE nr_wake -1", futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, -1, 0, &w2, 0));
    r("CMP_REQUEUE nr_requeue -1", futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, -1, &w2, 0));
    r("CMP_REQUEUE INT_MAX", futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 0x7fffffff, 0x7fffffff, &w2, 0));
    r("CMP_REQUEUE value differs", futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &w2, 5));
    r("CMP_REQUEUE to misaligned", futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, (char *)&w2 + 2, 0));
    r("WAKE INT_MIN", futex(&w, FUTEX_WAKE_PRIVATE, (long)0x80000000, 0, NULL, 0));
    printf("done\n");
    return 0;
}
