/* futex_waitv(2): a vector of struct futex_waitv {val, uaddr, flags, __reserved};
 * EINVAL for flags, nr_futexes 0 or above 128, a NULL vector, bad per-word flags
 * (size other than FUTEX2_SIZE_U32, unknown bits), a nonzero __reserved, a
 * misaligned word, a clock other than CLOCK_MONOTONIC/CLOCK_REALTIME; EFAULT for
 * the vector, a word or the timeout; EAGAIN when a word differs; ETIMEDOUT at the
 * absolute timeout; otherwise the index of the word that was woken, with private
 * words woken only by private wakes. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#define U32 0x02           /* FUTEX2_SIZE_U32 (older headers lack it) */
#define PRIV 128          /* FUTEX2_PRIVATE */

struct waitv {
    uint64_t val;
    uint64_t uaddr;
    uint32_t flags;
    uint32_t reserved;
};

static long waitv(struct waitv *w, unsigned n, unsigned flags, struct timespec *to, int clk)
{
    return syscall(SYS_futex_waitv, w, n, flags, to, clk);
}

static uint32_t words[130];
static struct waitv vec[130];

static void fill(unsigned n, uint32_t flags)
{
    for (unsigned i = 0; i < n; i++)
        vec[i] = (struct waitv){words[i], (uint64_t)(uintptr_t)&words[i], flags, 0};
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

static volatile int ready;
static long result;
static int result_errno;

static void *waiter(void *arg)
{
    uint32_t flags = (uint32_t)(long)arg;
    fill(3, flags);
    vec[2].flags = U32 | PRIV;      /* the third word is private whatever the others are */
    __atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
    result = waitv(vec, 3, 0, NULL, 0);
    result_errno = errno;
    return NULL;
}

static void nap(void)
{
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* a thread waits on words 0..2; wake word `which` with op (retried until it finds it) */
static void wake_case(const char *label, uint32_t flags, int which, int wrong_op, int op)
{
    pthread_t t;
    ready = 0;
    pthread_create(&t, NULL, waiter, (void *)(long)flags);
    while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
        nap();
    for (int i = 0; i < 10; i++)
        nap();
    long wrong = syscall(SYS_futex, &words[which], wrong_op, 1, NULL, NULL, 0);
    long n = 0;
    for (int i = 0; i < 400 && n == 0; i++) {
        n = syscall(SYS_futex, &words[which], op, 1, NULL, NULL, 0);
        if (n == 0)
            nap();
    }
    pthread_join(t, NULL);
    printf("%s: other kind woke %ld, woke %ld, waitv returned %ld%s%s\n", label, wrong, n,
           result, result < 0 ? " " : "", result < 0 ? ename(result_errno) : "");
}

int main(void)
{
    struct timespec t0 = {0, 0}, bad = {0, 1000000000};
    fill(3, U32 | PRIV);
    res("flags 1", waitv(vec, 3, 1, NULL, 0));
    res("nr 0", waitv(vec, 0, 0, NULL, 0));
    res("nr 129", waitv(vec, 129, 0, NULL, 0));
    res("NULL vector", waitv(NULL, 1, 0, NULL, 0));
    res("vector unmapped", waitv(BADPTR, 1, 0, NULL, 0));
    res("clock BOOTTIME with timeout", waitv(vec, 3, 0, &t0, CLOCK_BOOTTIME));
    res("clock -1 with timeout", waitv(vec, 3, 0, &t0, -1));
    res("timeout unmapped", waitv(vec, 3, 0, BADPTR, CLOCK_MONOTONIC));
    res("timeout bad tv_nsec", waitv(vec, 3, 0, &bad, CLOCK_MONOTONIC));
    res("past timeout, MONOTONIC", waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    res("past timeout, REALTIME", waitv(vec, 3, 0, &t0, CLOCK_REALTIME));
    struct timespec t = in_ms(CLOCK_MONOTONIC, 20);
    res("20ms MONOTONIC", waitv(vec, 3, 0, &t, CLOCK_MONOTONIC));
    t = in_ms(CLOCK_REALTIME, 20);
    res("20ms REALTIME", waitv(vec, 3, 0, &t, CLOCK_REALTIME));
    static const uint32_t flagsets[] = {0, 1, 3, U32 | 0x10, U32 | 0x100, U32 | 0x80000000, U32, U32 | PRIV};
    char label[96];
    for (unsigned i = 0; i < sizeof flagsets / sizeof flagsets[0]; i++) {
        fill(3, U32 | PRIV);
        vec[1].flags = flagsets[i];
        snprintf(label, sizeof label, "word flags %#x", flagsets[i]);
        res(label, waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    }
    fill(3, U32 | PRIV);
    vec[2].reserved = 1;
    res("reserved 1", waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    fill(3, U32 | PRIV);
    vec[1].uaddr += 2;
    res("misaligned word", waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    fill(3, U32 | PRIV);
    vec[1].val = 1;
    res("second word differs", waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    fill(3, U32 | PRIV);
    vec[1].val = 1ULL << 32;
    res("value above u32", waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    char *gone = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, PG);
    fill(3, U32 | PRIV);
    vec[2].uaddr = (uintptr_t)gone;
    res("unmapped word, private", waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    fill(3, U32);
    vec[2].uaddr = (uintptr_t)gone;
    res("unmapped word, shared", waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    fill(3, U32);
    vec[1].val = 7;
    vec[2].uaddr = (uintptr_t)gone;
    res("differs before an unmapped shared word", waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    fill(3, U32 | PRIV);
    vec[1].val = 7;
    vec[2].uaddr = (uintptr_t)gone;
    res("differs before an unmapped private word", waitv(vec, 3, 0, &t0, CLOCK_MONOTONIC));
    fill(128, U32 | PRIV);
    res("128 words", waitv(vec, 128, 0, &t0, CLOCK_MONOTONIC));
    vec[127].val = 3;
    res("128 words, last differs", waitv(vec, 128, 0, &t0, CLOCK_MONOTONIC));
    fill(2, U32 | PRIV);
    vec[1] = vec[0];
    res("same word twice", waitv(vec, 2, 0, &t0, CLOCK_MONOTONIC));

    wake_case("private words, wake index 1", U32 | PRIV, 1, FUTEX_WAKE, FUTEX_WAKE_PRIVATE);
    wake_case("private words, wake index 0", U32 | PRIV, 0, FUTEX_WAKE, FUTEX_WAKE_PRIVATE);
    wake_case("shared words, wake index 1", U32, 1, FUTEX_WAKE_PRIVATE, FUTEX_WAKE);
    wake_case("shared words, wake the private index 2", U32, 2, FUTEX_WAKE, FUTEX_WAKE_PRIVATE);
    wake_case("bitset wake", U32 | PRIV, 1, FUTEX_WAKE_BITSET, FUTEX_WAKE_PRIVATE);
    printf("done\n");
    return 0;
}
