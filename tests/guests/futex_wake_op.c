/* FUTEX_WAKE_OP as futex(2) and Linux's futex_wake_op: the atomic op on *uaddr2
 * (SET, ADD, OR, ANDN, XOR, with FUTEX_OP_OPARG_SHIFT), the comparison of the old
 * value (EQ, NE, LT, LE, GT, GE, 12-bit signed arguments), ENOSYS for an unknown op
 * (word untouched) or comparison (word changed), EFAULT for a word the kernel may not
 * write; waiters on uaddr woken up to nr_wake (0 still wakes one) and waiters on
 * uaddr2 up to nr_wake2 (the timeout argument) only when the comparison holds. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

static long futex(uint32_t *uaddr, int op, long val, long val2, uint32_t *uaddr2, long val3)
{
    return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static uint32_t w1, w2;
static volatile int ready;

static void nap(void)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static void *waiter(void *arg)
{
    uint32_t *w = arg;
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    /* stays until woken for real: the word keeps its value while we test */
    long r = futex(w, FUTEX_WAIT_PRIVATE, *w, 0, NULL, 0);
    (void)r;
    return NULL;
}

/* queued waiters: the kernel's wake count tells us how many are really asleep */
static void start(pthread_t *t, uint32_t *w, int n)
{
    ready = 0;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, waiter, w);
    while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < n)
        nap();
    for (int i = 0; i < 10; i++)
        nap();
}

static void one(const char *label, uint32_t start_val, int op, int oparg, int cmp, int cmparg)
{
    w2 = start_val;
    errno = 0;
    long r = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, FUTEX_OP(op, oparg, cmp, cmparg));
    if (r < 0)
        printf("%s: -1 %s word %#x\n", label, ename(errno), w2);
    else
        printf("%s: %ld word %#x\n", label, r, w2);
}

static volatile int adders_go;
static long added[2];

/* adds 1 to w2 until told to stop */
static void *adder(void *arg)
{
    long *count = arg;
    while (!__atomic_load_n(&adders_go, __ATOMIC_SEQ_CST))
        ;
    while (__atomic_load_n(&adders_go, __ATOMIC_SEQ_CST) == 1) {
        __atomic_add_fetch(&w2, 1, __ATOMIC_SEQ_CST);
        ++*count;
        for (volatile int k = 0; k < 50; k++)
            ;
    }
    return NULL;
}

/* The kernel's op is atomic: threads adding to the word meanwhile lose nothing. */
static void atomic_against_threads(void)
{
    pthread_t t[2];
    w2 = 0;
    adders_go = 0;
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, adder, &added[i]);
    __atomic_store_n(&adders_go, 1, __ATOMIC_SEQ_CST);
    long ops = 0;
    for (int i = 0; i < 300; i++)
        if (futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, FUTEX_OP(FUTEX_OP_ADD, 1, 0, 0)) >= 0)
            ops++;
    __atomic_store_n(&adders_go, 2, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    uint32_t total = __atomic_load_n(&w2, __ATOMIC_SEQ_CST);
    long threads = added[0] + added[1];
    printf("WAKE_OP ADD against threads: %ld ops, every add kept: %s\n", ops,
           total == (uint32_t)(threads + ops) ? "yes" : "BAD");
}

int main(void)
{
    /* the ops and their results, no waiters (returns 0) */
    one("SET 5", 7, FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 7);
    one("ADD 5", 7, FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 7);
    one("ADD -1", 0, FUTEX_OP_ADD, -1, FUTEX_OP_CMP_EQ, 0);
    one("OR 0x30", 0x101, FUTEX_OP_OR, 0x30, FUTEX_OP_CMP_EQ, 0);
    one("ANDN 1", 0x103, FUTEX_OP_ANDN, 1, FUTEX_OP_CMP_EQ, 0);
    one("XOR 0xff", 0xf0f, FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_EQ, 0);
    one("SET shift 31", 0, FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 31, FUTEX_OP_CMP_EQ, 0);
    one("OR shift 4", 1, FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 0);
    one("ADD shift 40", 0, FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT, 40, FUTEX_OP_CMP_EQ, 0);
    one("ANDN shift 0", 3, FUTEX_OP_ANDN | FUTEX_OP_OPARG_SHIFT, 0, FUTEX_OP_CMP_EQ, 0);
    one("unknown op 5", 9, 5, 1, FUTEX_OP_CMP_EQ, 0);
    one("unknown op 7", 9, 7, 1, FUTEX_OP_CMP_EQ, 0);
    one("unknown cmp 6", 9, FUTEX_OP_SET, 1, 6, 0);
    one("unknown cmp 15", 9, FUTEX_OP_ADD, 1, 15, 0);

    /* EFAULT: unmapped and read-only uaddr2; a bad uaddr1 alone is no fault (private) */
    char *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *gone = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, PG);
    errno = 0;
    res("uaddr2 read-only", futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (uint32_t *)ro, FUTEX_OP(0, 1, 0, 0)));
    res("uaddr2 PROT_NONE", futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (uint32_t *)none, FUTEX_OP(0, 1, 0, 0)));
    res("uaddr2 unmapped", futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (uint32_t *)gone, FUTEX_OP(0, 1, 0, 0)));
    res("uaddr2 unmapped bad op", futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (uint32_t *)gone, FUTEX_OP(6, 1, 0, 0)));
    res("uaddr2 misaligned", futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (uint32_t *)((char *)&w2 + 1), FUTEX_OP(0, 1, 0, 0)));
    res("uaddr1 misaligned", futex((uint32_t *)((char *)&w1 + 2), FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, FUTEX_OP(0, 1, 0, 0)));
    res("uaddr1 unmapped private", futex((uint32_t *)gone, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, FUTEX_OP(0, 1, 0, 0)));
    res("uaddr1 unmapped shared", futex((uint32_t *)gone, FUTEX_WAKE_OP, 1, 1, &w2, FUTEX_OP(0, 1, 0, 0)));
    res("uaddr2 read-only shared", futex(&w1, FUTEX_WAKE_OP, 1, 1, (uint32_t *)ro, FUTEX_OP(0, 1, 0, 0)));
    res("uaddr1 kernel address", futex(KERNPTR, FUTEX_WAKE_OP_PRIVATE, 1, 1, &w2, FUTEX_OP(0, 1, 0, 0)));
    res("CLOCK_REALTIME", futex(&w1, FUTEX_WAKE_OP_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 1, &w2, FUTEX_OP(0, 1, 0, 0)));

    /* the comparisons: which side wakes (3 waiters on each word; nr_wake 1, nr_wake2 2) */
    static const struct { const char *name; int cmp, arg; uint32_t old; } cmps[] = {
        {"EQ true", FUTEX_OP_CMP_EQ, 4, 4}, {"EQ false", FUTEX_OP_CMP_EQ, 4, 5},
        {"NE true", FUTEX_OP_CMP_NE, 4, 5}, {"NE false", FUTEX_OP_CMP_NE, 4, 4},
        {"LT true", FUTEX_OP_CMP_LT, 0, 0xffffffff}, {"LT false", FUTEX_OP_CMP_LT, 4, 4},
        {"LE true", FUTEX_OP_CMP_LE, 4, 4}, {"LE false", FUTEX_OP_CMP_LE, -2, 0},
        {"GT true", FUTEX_OP_CMP_GT, -2048, 0}, {"GT false", FUTEX_OP_CMP_GT, 2047, 0x80000000},
        {"GE true", FUTEX_OP_CMP_GE, 2047, 0x7fffffff}, {"GE false", FUTEX_OP_CMP_GE, 1, 0},
    };
    pthread_t a[3], b[3];
    w1 = 100;
    for (unsigned i = 0; i < sizeof cmps / sizeof cmps[0]; i++) {
        w2 = cmps[i].old;
        start(a, &w1, 3);
        start(b, &w2, 3);
        /* SET keeps the waiters of w2 asleep only if the value stays: set it to itself */
        long r = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, 2, &w2,
                       FUTEX_OP(FUTEX_OP_ADD, 0, cmps[i].cmp, cmps[i].arg));
        printf("%s: %ld\n", cmps[i].name, r);
        /* then everyone goes */
        long left1 = futex(&w1, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0);
        long left2 = futex(&w2, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0);
        printf("  left: %ld %ld\n", left1, left2);
        for (int j = 0; j < 3; j++) {
            pthread_join(a[j], NULL);
            pthread_join(b[j], NULL);
        }
    }
    /* nr_wake 0 and nr_wake2 0 still wake one each; negative counts too */
    w2 = 0;
    start(a, &w1, 3);
    start(b, &w2, 3);
    long r = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 0, 0, &w2, FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0));
    printf("nr 0 0: %ld\n", r);
    r = futex(&w1, FUTEX_WAKE_OP_PRIVATE, -1, -5, &w2, FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0));
    printf("nr -1 -5: %ld\n", r);
    /* a shared op does not see private waiters */
    r = futex(&w1, FUTEX_WAKE_OP, 5, 5, &w2, FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0));
    printf("shared op on private waiters: %ld\n", r);
    r = futex(&w1, FUTEX_WAKE_OP_PRIVATE, 5, 5, &w2, FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0));
    printf("the rest: %ld\n", r);
    for (int j = 0; j < 3; j++) {
        pthread_join(a[j], NULL);
        pthread_join(b[j], NULL);
    }
    atomic_against_threads();
    printf("done\n");
    return 0;
}
