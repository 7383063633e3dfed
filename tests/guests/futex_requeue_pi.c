/* FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI (futex(2), kernel/futex/requeue.c):
 * a waiter on a plain word is moved onto a PI futex and returns owning it. The first
 * waiter takes a free PI futex at once (WAITERS set when more may follow); a held
 * one queues the waiters for UNLOCK_PI's hand-over. EINVAL for uaddr == uaddr2,
 * nr_wake other than 1, plain wakes or plain requeues of such waiters, a target
 * other than the one they wait for, or plain waiters; a handled signal before the
 * requeue restarts the wait; timeouts are absolute. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

static long futex(uint32_t *uaddr, int op, long val, const void *to, uint32_t *uaddr2, long val3)
{
    return syscall(SYS_futex, uaddr, op, val, to, uaddr2, val3);
}

#define WAIT_RQ (FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG)
#define CMP_RQ (FUTEX_CMP_REQUEUE_PI | FUTEX_PRIVATE_FLAG)

static uint32_t cond, mutex, other;
static uint32_t tid_main;
static volatile int handled;

struct job {
    uint32_t tid;
    long ret;
    int err;
    uint32_t word_after;   /* the PI word as the thread found it on return */
    int timeout_ms;
    int unlock;
};

static void nap(int ms)
{
    struct timespec ts = {0, ms * 1000L * 1000};
    nanosleep(&ts, NULL);
}

static void *waiter(void *arg)
{
    struct job *j = arg;
    __atomic_store_n(&j->tid, gettid(), __ATOMIC_SEQ_CST);
    struct timespec to;
    if (j->timeout_ms) {
        clock_gettime(CLOCK_MONOTONIC, &to);
        to.tv_nsec += j->timeout_ms * 1000L * 1000;
        while (to.tv_nsec >= 1000000000) {
            to.tv_sec++;
            to.tv_nsec -= 1000000000;
        }
    }
    j->ret = futex(&cond, WAIT_RQ, cond, j->timeout_ms ? &to : NULL, &mutex, 0);
    j->err = errno;
    j->word_after = __atomic_load_n(&mutex, __ATOMIC_SEQ_CST);
    if (j->ret == 0 && j->unlock)
        futex(&mutex, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

/* a WAIT_REQUEUE_PI waiter is queued on cond when a plain wake of cond is refused */
static void wait_queued(void)
{
    for (int i = 0; i < 2000; i++) {
        errno = 0;
        if (futex(&cond, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0 && errno == EINVAL)
            return;
        nap(2);
    }
    printf("waiter never queued: BAD\n");
}

static const char *who(uint32_t v, struct job *a, struct job *b)
{
    static char buf[64];
    uint32_t tid = v & FUTEX_TID_MASK;
    snprintf(buf, sizeof buf, "%s%s%s", tid == 0 ? "0" : tid == tid_main ? "main" :
             a && tid == a->tid ? "A" : b && tid == b->tid ? "B" : "other",
             v & FUTEX_WAITERS ? "|WAITERS" : "", v & FUTEX_OWNER_DIED ? "|OWNER_DIED" : "");
    return buf;
}

static void report(const char *label, struct job *j, struct job *a, struct job *b)
{
    if (j->ret < 0)
        printf("%s: -1 %s", label, ename(j->err));
    else
        printf("%s: %ld", label, j->ret);
    printf(", word then %s\n", who(j->word_after, a, b));
}

static void start(pthread_t *t, struct job *j, int timeout_ms, int unlock)
{
    memset(j, 0, sizeof *j);
    j->timeout_ms = timeout_ms;
    j->unlock = unlock;
    pthread_create(t, NULL, waiter, j);
    wait_queued();
}

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static void r(const char *label, long v, struct job *a, struct job *b)
{
    if (v < 0)
        printf("%s: -1 %s, word %s\n", label, ename(errno), who(mutex, a, b));
    else
        printf("%s: %ld, word %s\n", label, v, who(mutex, a, b));
}

int main(void)
{
    tid_main = gettid();
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    struct timespec t0 = {0, 0};

    /* alone */
    r("WAIT_REQUEUE_PI same word", futex(&cond, WAIT_RQ, 0, NULL, &cond, 0), 0, 0);
    r("WAIT_REQUEUE_PI value differs", futex(&cond, WAIT_RQ, 1, NULL, &mutex, 0), 0, 0);
    r("WAIT_REQUEUE_PI past timeout", futex(&cond, WAIT_RQ, 0, &t0, &mutex, 0), 0, 0);
    r("WAIT_REQUEUE_PI past timeout realtime", futex(&cond, WAIT_RQ | FUTEX_CLOCK_REALTIME, 0, &t0, &mutex, 0), 0, 0);
    r("CMP_REQUEUE_PI same word", futex(&cond, CMP_RQ, 1, (void *)1, &cond, 0), 0, 0);
    r("CMP_REQUEUE_PI nr_wake 0", futex(&cond, CMP_RQ, 0, (void *)1, &mutex, 0), 0, 0);
    r("CMP_REQUEUE_PI nr_wake 2", futex(&cond, CMP_RQ, 2, (void *)1, &mutex, 0), 0, 0);
    r("CMP_REQUEUE_PI nr_requeue -1", futex(&cond, CMP_RQ, 1, (void *)-1L, &mutex, 0), 0, 0);
    r("CMP_REQUEUE_PI value differs", futex(&cond, CMP_RQ, 1, (void *)1, &mutex, 5), 0, 0);
    r("CMP_REQUEUE_PI nobody", futex(&cond, CMP_RQ, 1, (void *)1, &mutex, 0), 0, 0);
    r("CMP_REQUEUE_PI misaligned", futex(&cond, CMP_RQ, 1, (void *)1, (uint32_t *)((char *)&mutex + 1), 0), 0, 0);

    pthread_t ta, tb;
    struct job a, b;

    /* free PI futex, nr_requeue 0: A takes it, no WAITERS */
    mutex = 0;
    start(&ta, &a, 0, 0);
    r("plain requeue of it", futex(&cond, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &other, 0), &a, 0);
    r("requeue to another PI word", futex(&cond, CMP_RQ, 1, (void *)1, &other, 0), &a, 0);
    r("CMP_REQUEUE_PI, free", futex(&cond, CMP_RQ, 1, (void *)0, &mutex, 0), &a, 0);
    pthread_join(ta, NULL);
    report("A", &a, &a, 0);
    mutex = 0;

    /* free PI futex, nr_requeue 1: A takes it with WAITERS set */
    start(&ta, &a, 0, 0);
    r("CMP_REQUEUE_PI, free, nr_requeue 1", futex(&cond, CMP_RQ, 1, (void *)1, &mutex, 0), &a, 0);
    pthread_join(ta, NULL);
    report("A", &a, &a, 0);
    mutex = 0;

    /* held by main: A, then B, moved onto it; unlock hands it to A, A's to B */
    futex(&mutex, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    start(&ta, &a, 0, 1);
    r("CMP_REQUEUE_PI, held, nr_requeue 0", futex(&cond, CMP_RQ, 1, (void *)0, &mutex, 0), &a, 0);
    r("cond wake after the move", futex(&cond, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), &a, 0);
    start(&tb, &b, 0, 1);
    r("CMP_REQUEUE_PI, held, nr_requeue 5", futex(&cond, CMP_RQ, 1, (void *)5, &mutex, 0), &a, &b);
    r("plain wake of the PI word", futex(&mutex, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), &a, &b);
    /* (the word is theirs from here on: not printed until they are done) */
    printf("UNLOCK_PI: %ld\n", futex(&mutex, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    report("A", &a, &a, &b);
    report("B", &b, &a, &b);
    printf("word at the end: %s\n", who(mutex, &a, &b));
    mutex = 0;

    futex(&mutex, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    start(&ta, &a, 0, 1);
    r("CMP_REQUEUE_PI to another word", futex(&cond, CMP_RQ, 1, (void *)1, &other, 0), &a, 0);
    /* a signal before the requeue: handler runs, the wait goes on */
    syscall(SYS_tgkill, getpid(), a.tid, SIGUSR1);
    for (int i = 0; i < 2000 && !handled; i++)
        nap(2);
    wait_queued();
    printf("handler ran: %d\n", handled);
    r("CMP_REQUEUE_PI after the signal", futex(&cond, CMP_RQ, 1, (void *)1, &mutex, 0), &a, 0);
    printf("UNLOCK_PI: %ld\n", futex(&mutex, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    pthread_join(ta, NULL);
    report("A", &a, &a, 0);
    mutex = 0;

    /* requeued, then the timeout comes while the PI futex is still held */
    futex(&mutex, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    start(&ta, &a, 300, 0);
    futex(&cond, CMP_RQ, 1, (void *)1, &mutex, 0);
    pthread_join(ta, NULL);
    report("A timed out", &a, &a, 0);
    r("UNLOCK_PI", futex(&mutex, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), &a, 0);
    printf("done\n");
    return 0;
}
