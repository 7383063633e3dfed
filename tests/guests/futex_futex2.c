/* The futex2 calls (Linux 6.7): futex_wake(uaddr, mask, nr, flags) is WAKE_BITSET
 * except that nr 0 wakes nobody; futex_wait(uaddr, val, mask, flags, timeout,
 * clockid) is WAIT_BITSET with an absolute timeout on CLOCK_MONOTONIC or
 * CLOCK_REALTIME; futex_requeue(waiters[2], flags, nr_wake, nr_requeue) is
 * CMP_REQUEUE with waiters[0].val as the expected value. Flags are FUTEX2_SIZE_U32
 * (| FUTEX2_PRIVATE); values and masks must fit in 32 bits. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <time.h>

#define NR_wake 454
#define NR_wait 455
#define NR_requeue 456
#define U32 0x02
#define PRIV 128

struct waitv {
    uint64_t val, uaddr;
    uint32_t flags, reserved;
};

static uint32_t w, w2;
static volatile int ready;
static long wait_ret;
static int wait_err;

static void nap(int ms)
{
    struct timespec ts = {0, ms * 1000L * 1000};
    nanosleep(&ts, NULL);
}

static void *waiter(void *arg)
{
    unsigned flags = (unsigned)(long)arg;
    __atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
    wait_ret = syscall(NR_wait, &w, 0UL, 0xffffffffUL, flags, NULL, 0);
    wait_err = errno;
    return NULL;
}

static struct timespec in_ms(clockid_t clk, int ms)
{
    struct timespec t;
    clock_gettime(clk, &t);
    t.tv_nsec += ms * 1000L * 1000;
    while (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

int main(void)
{
    struct timespec t0 = {0, 0}, bad = {0, 1000000000};
    w = 0;
    /* futex_wake */
    res("wake flags 0", syscall(NR_wake, &w, 1UL, 1, 0));
    res("wake flags U32", syscall(NR_wake, &w, 1UL, 1, U32));
    res("wake flags U32|PRIVATE", syscall(NR_wake, &w, 1UL, 1, U32 | PRIV));
    res("wake flags U64", syscall(NR_wake, &w, 1UL, 1, 3));
    res("wake flags 0x10", syscall(NR_wake, &w, 1UL, 1, U32 | 0x10));
    res("wake mask 0", syscall(NR_wake, &w, 0UL, 1, U32));
    res("wake mask above 32 bits", syscall(NR_wake, &w, 1UL << 32, 1, U32));
    res("wake misaligned", syscall(NR_wake, (char *)&w + 1, 1UL, 1, U32));
    res("wake bad address, shared", syscall(NR_wake, BADPTR, 1UL, 1, U32));
    res("wake nr 0", syscall(NR_wake, &w, 1UL, 0, U32));
    /* futex_wait */
    res("wait value differs", syscall(NR_wait, &w, 1UL, 1UL, U32 | PRIV, NULL, 0));
    res("wait value above 32 bits", syscall(NR_wait, &w, 1UL << 32, 1UL, U32 | PRIV, NULL, 0));
    res("wait mask 0", syscall(NR_wait, &w, 0UL, 0UL, U32 | PRIV, &t0, CLOCK_MONOTONIC));
    res("wait flags 0", syscall(NR_wait, &w, 0UL, 1UL, 0, &t0, CLOCK_MONOTONIC));
    res("wait past, MONOTONIC", syscall(NR_wait, &w, 0UL, 1UL, U32 | PRIV, &t0, CLOCK_MONOTONIC));
    res("wait past, REALTIME", syscall(NR_wait, &w, 0UL, 1UL, U32 | PRIV, &t0, CLOCK_REALTIME));
    res("wait clock BOOTTIME", syscall(NR_wait, &w, 0UL, 1UL, U32 | PRIV, &t0, CLOCK_BOOTTIME));
    res("wait bad timespec", syscall(NR_wait, &w, 0UL, 1UL, U32 | PRIV, &bad, CLOCK_MONOTONIC));
    res("wait timeout unmapped", syscall(NR_wait, &w, 0UL, 1UL, U32 | PRIV, BADPTR, CLOCK_MONOTONIC));
    struct timespec t = in_ms(CLOCK_MONOTONIC, 20);
    res("wait 20ms", syscall(NR_wait, &w, 0UL, 1UL, U32 | PRIV, &t, CLOCK_MONOTONIC));
    /* futex_requeue */
    struct waitv v[2] = {{0, (uintptr_t)&w, U32 | PRIV, 0}, {0, (uintptr_t)&w2, U32 | PRIV, 0}};
    res("requeue nobody", syscall(NR_requeue, v, 0, 1, 1));
    res("requeue flags 1", syscall(NR_requeue, v, 1, 1, 1));
    res("requeue NULL", syscall(NR_requeue, NULL, 0, 1, 1));
    res("requeue unmapped", syscall(NR_requeue, BADPTR, 0, 1, 1));
    res("requeue nr_wake -1", syscall(NR_requeue, v, 0, -1, 1));
    v[0].val = 3;
    res("requeue value differs", syscall(NR_requeue, v, 0, 1, 1));
    v[0].val = 0;
    v[1].reserved = 1;
    res("requeue reserved", syscall(NR_requeue, v, 0, 1, 1));
    v[1].reserved = 0;
    v[1].flags = U32;
    res("requeue private to shared", syscall(NR_requeue, v, 0, 1, 1));
    v[1].flags = U32 | PRIV;

    /* a waiter: nr 0 leaves it; the other kind of wake misses it; requeued to w2 */
    for (int priv = 1; priv >= 0; priv--) {
        pthread_t th;
        ready = 0;
        pthread_create(&th, NULL, waiter, (void *)(long)(U32 | (priv ? PRIV : 0)));
        while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
            nap(2);
        nap(50);
        long zero = syscall(NR_wake, &w, ~0UL >> 32, 0, U32 | (priv ? PRIV : 0));
        long other = syscall(NR_wake, &w, ~0UL >> 32, 1, U32 | (priv ? 0 : PRIV));
        v[0].flags = v[1].flags = U32 | (priv ? PRIV : 0);
        long moved = 0;
        for (int i = 0; i < 400 && moved == 0; i++) {
            moved = syscall(NR_requeue, v, 0, 0, 1);
            if (moved == 0)
                nap(5);
        }
        long on_w = syscall(NR_wake, &w, ~0UL >> 32, 1, U32 | (priv ? PRIV : 0));
        long on_w2 = syscall(NR_wake, &w2, ~0UL >> 32, 1, U32 | (priv ? PRIV : 0));
        pthread_join(th, NULL);
        printf("%s waiter: nr 0 woke %ld, other kind %ld, requeued %ld, then on w %ld, on w2 %ld, "
               "wait returned %ld\n", priv ? "private" : "shared", zero, other, moved, on_w, on_w2,
               wait_ret);
    }
    printf("done\n");
    return 0;
}
