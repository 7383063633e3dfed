/* The PI futex protocol (futex(2), kernel/futex/pi.c) with raw syscalls: LOCK_PI,
 * LOCK_PI2, TRYLOCK_PI, UNLOCK_PI on the word (TID, FUTEX_WAITERS, FUTEX_OWNER_DIED);
 * EDEADLK for a lock the caller owns, EPERM for unlocking one it does not, ESRCH for a
 * TID that is no thread, EINVAL for plain wakes of a PI futex with waiters; hand-over
 * to the waiter on unlock; timeouts (LOCK_PI: absolute CLOCK_REALTIME, LOCK_PI2:
 * CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME); a handled signal does not end
 * LOCK_PI (it restarts); the owner's death hands the lock on with OWNER_DIED, and a
 * robust list entry marks it. Only relations to TIDs are printed. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#define WAITERS FUTEX_WAITERS
#define DIED FUTEX_OWNER_DIED
#define LOCK_PI2 13

static long futex(uint32_t *uaddr, int op, long val, const void *to, uint32_t *uaddr2, long val3)
{
    return syscall(SYS_futex, uaddr, op, val, to, uaddr2, val3);
}

static uint32_t w;
static uint32_t tid_main, tid_thr;
static volatile int stage;
static volatile int handled;

static void nap(int ms)
{
    struct timespec ts = {0, ms * 1000L * 1000};
    nanosleep(&ts, NULL);
}

static void wait_stage(int s)
{
    while (__atomic_load_n(&stage, __ATOMIC_SEQ_CST) < s)
        nap(2);
}

static void set_stage(int s)
{
    __atomic_store_n(&stage, s, __ATOMIC_SEQ_CST);
}

/* spins until main waits in the kernel on w (the WAITERS bit is how it shows) */
static void wait_waiters(uint32_t *word)
{
    while (!(__atomic_load_n(word, __ATOMIC_SEQ_CST) & WAITERS))
        nap(2);
    nap(30);
}

static const char *who(uint32_t v)
{
    static char buf[64];
    uint32_t tid = v & FUTEX_TID_MASK;
    snprintf(buf, sizeof buf, "%s%s%s", tid == 0 ? "0" : tid == tid_main ? "main" :
             tid == tid_thr ? "thread" : "other",
             v & WAITERS ? "|WAITERS" : "", v & DIED ? "|OWNER_DIED" : "");
    return buf;
}

static void show(const char *label, long r)
{
    if (r < 0)
        printf("%s: -1 %s, word %s\n", label, ename(errno), who(w));
    else
        printf("%s: %ld, word %s\n", label, r, who(w));
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

static long wake_result;

static void *owner(void *arg)
{
    (void)arg;
    tid_thr = gettid();
    long r = futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    if (r)
        printf("thread LOCK_PI: BAD %s\n", ename(errno));
    set_stage(1);
    wait_stage(2);
    /* main now blocks in LOCK_PI: a plain wake of the word is refused */
    wait_waiters(&w);
    errno = 0;
    wake_result = futex(&w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0 ? errno : 0;
    r = futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    if (r)
        printf("thread UNLOCK_PI: BAD %s\n", ename(errno));
    wait_stage(3);
    /* again: main waits; a signal interrupts it and LOCK_PI goes on */
    r = futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    set_stage(4);
    wait_waiters(&w);
    syscall(SYS_tgkill, getpid(), tid_main, SIGUSR1);
    nap(50);
    futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    wait_stage(5);
    /* and dies holding it */
    futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    set_stage(6);
    wait_waiters(&w);
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig;
    handled = 1;
}

struct robust_head {
    void *next;
    long offset;
    void *pending;
};

struct robust_lock {
    void *next;
    uint32_t word;
};

static struct robust_lock rl;
static struct robust_head rh;

/* a thread's state letter in /proc/self/task/TID/stat */
static char state_of(uint32_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%u/stat", tid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return '?';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return '?';
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] && p[2] ? p[2] : '?';
}

/* dies with list_op_pending naming a lock it has just released (word 0): the
 * kernel wakes a waiter for it */
static void *pending_owner(void *arg)
{
    (void)arg;
    tid_thr = gettid();
    rh.next = &rh;
    rh.offset = (char *)&rl.word - (char *)&rl;
    rh.pending = &rl;
    syscall(SYS_set_robust_list, &rh, sizeof rh);
    for (int i = 0; i < 2000 && state_of(tid_main) != 'S'; i++)
        nap(2);
    nap(30);
    return NULL;
}

static void *robust_owner(void *arg)
{
    int pi = (int)(long)arg;
    tid_thr = gettid();
    rh.next = &rl;
    rh.offset = (char *)&rl.word - (char *)&rl;
    rh.pending = NULL;
    rl.next = &rh;
    if (pi)
        rh.next = (char *)&rl + 1;  /* bit 0: a PI futex */
    syscall(SYS_set_robust_list, &rh, sizeof rh);
    if (pi)
        futex(&rl.word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    else
        rl.word = tid_thr;
    set_stage(1);
    wait_waiters(&rl.word);
    return NULL;
}

int main(void)
{
    tid_main = gettid();
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;     /* no SA_RESTART */
    sigaction(SIGUSR1, &sa, NULL);

    /* get_robust_list: the length is written before the head */
    void *head = NULL;
    size_t len = 0;
    res("get_robust_list self", syscall(SYS_get_robust_list, 0, &head, &len));
    printf("  len %zu, head set: %s\n", len, head ? "yes" : "no");
    len = 0;
    res("get_robust_list bad head ptr", syscall(SYS_get_robust_list, 0, BADPTR, &len));
    printf("  len %zu\n", len);
    res("get_robust_list bad len ptr", syscall(SYS_get_robust_list, 0, &head, BADPTR));
    res("get_robust_list no such pid", syscall(SYS_get_robust_list, 0x3ffffff0, &head, &len));
    res("set_robust_list len 23", syscall(SYS_set_robust_list, head, 23));

    /* alone */
    w = 0;
    show("LOCK_PI free", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    show("LOCK_PI own", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    show("TRYLOCK_PI own", futex(&w, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    show("LOCK_PI2 own", futex(&w, LOCK_PI2 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0));
    show("UNLOCK_PI", futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    show("UNLOCK_PI free", futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    show("TRYLOCK_PI free", futex(&w, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    w = tid_main | WAITERS | DIED;
    show("UNLOCK_PI with bits", futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    w = DIED;
    show("LOCK_PI OWNER_DIED", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    w = WAITERS;
    show("LOCK_PI WAITERS only", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    w = WAITERS | DIED;
    show("LOCK_PI2 WAITERS|OWNER_DIED", futex(&w, LOCK_PI2 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0));
    w = 0x3ffffff0;
    show("LOCK_PI no such TID", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    w = 0x3ffffff0;
    show("TRYLOCK_PI no such TID", futex(&w, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    w = 0x3ffffff0 | DIED;
    show("LOCK_PI no such TID, OWNER_DIED", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    w = 0x3ffffff0;
    show("UNLOCK_PI other TID", futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    w = 0;
    struct timespec t = in_ms(CLOCK_REALTIME, 20);
    show("LOCK_PI free with timeout", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, &t, NULL, 0));
    w = 0;
    show("LOCK_PI shared op", futex(&w, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
    show("UNLOCK_PI shared op", futex(&w, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));

    /* a plain waiter on the word: the PI ops refuse it */
    /* (the waiter is the thread below, later) */

    /* with an owner thread */
    w = 0;
    pthread_t th;
    pthread_create(&th, NULL, owner, NULL);
    wait_stage(1);
    show("TRYLOCK_PI held", futex(&w, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    show("UNLOCK_PI not owner", futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    t = in_ms(CLOCK_REALTIME, 30);
    show("LOCK_PI timeout (realtime)", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, &t, NULL, 0));
    t = in_ms(CLOCK_MONOTONIC, 30);
    show("LOCK_PI2 timeout (monotonic)", futex(&w, LOCK_PI2 | FUTEX_PRIVATE_FLAG, 0, &t, NULL, 0));
    t = in_ms(CLOCK_REALTIME, 30);
    show("LOCK_PI2 timeout (realtime)", futex(&w, LOCK_PI2 | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 0, &t, NULL, 0));
    t = (struct timespec){0, 0};
    show("LOCK_PI timeout in the past", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, &t, NULL, 0));
    show("FUTEX_WAIT on it", futex(&w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
    set_stage(2);
    show("LOCK_PI blocks, handed over", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    printf("thread's FUTEX_WAKE meanwhile: %s\n", wake_result ? ename(wake_result) : "0");
    show("UNLOCK_PI no waiters left", futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    set_stage(3);
    wait_stage(4);
    show("LOCK_PI through a signal", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    printf("handler ran: %s\n", handled ? "yes" : "no");
    show("UNLOCK_PI", futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    set_stage(5);
    wait_stage(6);
    show("LOCK_PI, owner exits", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    pthread_join(th, NULL);
    show("UNLOCK_PI after", futex(&w, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    /* the dead thread's TID, no waiters */
    w = tid_thr;
    show("LOCK_PI dead TID", futex(&w, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));

    /* robust list entries: PI and plain */
    for (int pi = 1; pi >= 0; pi--) {
        set_stage(0);
        rl.word = 0;
        pthread_create(&th, NULL, robust_owner, (void *)(long)pi);
        wait_stage(1);
        long r;
        if (pi) {
            r = futex(&rl.word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
        } else {
            /* a plain robust lock: the waiter sets WAITERS itself and sleeps */
            uint32_t v = __atomic_or_fetch(&rl.word, WAITERS, __ATOMIC_SEQ_CST);
            do
                r = futex(&rl.word, FUTEX_WAIT, v, NULL, NULL, 0);
            while (r == 0 && (rl.word & FUTEX_TID_MASK));
        }
        pthread_join(th, NULL);
        w = rl.word;
        show(pi ? "robust PI owner died" : "robust owner died", r);
    }
    /* the pending entry of a lock just released */
    rl.word = 0;
    pthread_create(&th, NULL, pending_owner, NULL);
    struct timespec five = {5, 0};
    long pr = futex(&rl.word, FUTEX_WAIT, 0, &five, NULL, 0);
    pthread_join(th, NULL);
    w = rl.word;
    show("robust pending op, owner died", pr);
    printf("done\n");
    return 0;
}
