/* futex counts as Linux reads them: FUTEX_WAKE and FUTEX_WAKE_BITSET test nr_wake
 * only after a wake-up (0 or a negative count still wakes one waiter), while
 * FUTEX_REQUEUE/CMP_REQUEUE wake exactly nr_wake (0: none), refuse negative counts
 * (EINVAL) and return woken + requeued. Each waiter is a thread blocked in
 * FUTEX_WAIT; a wake that never comes prints BAD instead of hanging. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <time.h>

static uint32_t word, word2;
static volatile int started, release, finished;

static long futex(uint32_t *uaddr, int op, long val, long val2, uint32_t *uaddr2, long val3)
{
    return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static void *waiter(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    /* a spurious return (EAGAIN/EINTR) would only make the test pass: loop */
    while (!__atomic_load_n(&release, __ATOMIC_SEQ_CST))
        futex(&word, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
    __atomic_store_n(&finished, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void nap(void)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Ends the waiter (now on *w), whether or not it was woken already. */
static void let_go(pthread_t t, uint32_t *w)
{
    __atomic_store_n(&release, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&finished, __ATOMIC_SEQ_CST)) {
        futex(w, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0);
        futex(&word, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0);
        nap();
    }
    pthread_join(t, NULL);
}

static void start(pthread_t *t)
{
    started = release = finished = 0;
    pthread_create(t, NULL, waiter, NULL);
    while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
        nap();
}

/* Wakes by op/count until one waiter is woken (the waiter may not be queued yet). */
static void wake_one(const char *label, int op, long count, long val3)
{
    pthread_t t;
    start(&t);
    long r = 0;
    for (int i = 0; i < 100 && r == 0; i++) {
        nap();
        r = futex(&word, op, count, 0, NULL, val3);
    }
    printf("%s: %ld%s\n", label, r, r == 1 ? "" : " BAD (no waiter woken)");
    let_go(t, &word);
}

int main(void)
{
    wake_one("FUTEX_WAKE nr_wake 0", FUTEX_WAKE_PRIVATE, 0, 0);
    wake_one("FUTEX_WAKE nr_wake -1", FUTEX_WAKE_PRIVATE, -1, 0);
    wake_one("FUTEX_WAKE nr_wake 1", FUTEX_WAKE_PRIVATE, 1, 0);
    wake_one("FUTEX_WAKE_BITSET nr_wake 0", FUTEX_WAKE_BITSET_PRIVATE, 0, FUTEX_BITSET_MATCH_ANY);

    /* requeue: with one waiter queued on word */
    pthread_t t;
    start(&t);
    for (int i = 0; i < 5; i++)
        nap();
    errno = 0;
    long r = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, -1, 1, &word2, 0);
    printf("CMP_REQUEUE nr_wake -1: %ld %s\n", r, r < 0 ? ename(errno) : "");
    errno = 0;
    r = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, -1, &word2, 0);
    printf("CMP_REQUEUE nr_requeue -1: %ld %s\n", r, r < 0 ? ename(errno) : "");
    errno = 0;
    r = futex(&word, FUTEX_REQUEUE_PRIVATE, -1, 0, &word2, 0);
    printf("REQUEUE nr_wake -1: %ld %s\n", r, r < 0 ? ename(errno) : "");
    /* nr_wake 0, nr_requeue 0: nothing is woken or moved */
    r = futex(&word, FUTEX_REQUEUE_PRIVATE, 0, 0, &word2, 0);
    printf("REQUEUE 0 0: %ld\n", r);
    /* the waiter (queued long ago) moves to word2: the count includes it */
    r = 0;
    for (int i = 0; i < 100 && r == 0; i++) {
        r = futex(&word, FUTEX_REQUEUE_PRIVATE, 0, 1, &word2, 0);
        if (r == 0)
            nap();
    }
    printf("REQUEUE 0 1 moved: %ld%s\n", r, r == 1 ? "" : " BAD");
    /* it is now on word2: a wake on word finds nobody, one on word2 finds it */
    r = futex(&word, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0);
    printf("wake old word: %ld\n", r);
    r = futex(&word2, FUTEX_WAKE_PRIVATE, 0, 0, NULL, 0);
    printf("wake word2 nr_wake 0: %ld\n", r);
    let_go(t, &word2);
    printf("done\n");
    return 0;
}
