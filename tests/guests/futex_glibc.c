/* glibc mutexes on the kernel's PI and robust futexes: PTHREAD_PRIO_INHERIT mutexes
 * under contention (LOCK_PI/UNLOCK_PI), errorcheck, trylock and timedlock on them,
 * condition variables with them; robust mutexes (plain and PI) whose owner thread or
 * process dies give EOWNERDEAD to the next locker, in private and shared memory. */
#include "common.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#define THREADS 4
#define ROUNDS 3000

static pthread_mutex_t pi;
static long counter;

static void init(pthread_mutex_t *m, int proto, int robust, int type, int pshared)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setprotocol(&a, proto);
    pthread_mutexattr_setrobust(&a, robust);
    pthread_mutexattr_settype(&a, type);
    pthread_mutexattr_setpshared(&a, pshared);
    int e = pthread_mutex_init(m, &a);
    if (e)
        printf("mutex_init: BAD %s\n", ename(e));
}

static void *adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&pi);
        long v = counter;
        if (i % 64 == 0)
            sched_yield();     /* others pile up in LOCK_PI */
        counter = v + 1;
        pthread_mutex_unlock(&pi);
    }
    return NULL;
}

static pthread_mutex_t *held;
static volatile int state;

static void *hold_and_die(void *arg)
{
    (void)arg;
    int e = pthread_mutex_lock(held);
    if (e)
        printf("holder lock: BAD %s\n", ename(e));
    __atomic_store_n(&state, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&state, __ATOMIC_SEQ_CST) == 1)
        usleep(1000);
    return NULL;        /* exits holding it */
}

static void r(const char *label, int e)
{
    printf("%s: %s\n", label, e ? ename(e) : "0");
}

static void owner_dies(const char *label, int proto, int wait_first)
{
    static pthread_mutex_t m;
    init(&m, proto, PTHREAD_MUTEX_ROBUST, PTHREAD_MUTEX_NORMAL, PTHREAD_PROCESS_PRIVATE);
    held = &m;
    state = 0;
    pthread_t t;
    pthread_create(&t, NULL, hold_and_die, NULL);
    while (__atomic_load_n(&state, __ATOMIC_SEQ_CST) != 1)
        usleep(1000);
    char buf[128];
    if (wait_first) {
        /* let it go while we wait for the lock */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        snprintf(buf, sizeof buf, "%s: timedlock while held", label);
        r(buf, pthread_mutex_timedlock(&m, &(struct timespec){ts.tv_sec - 2, 0}));
        __atomic_store_n(&state, 2, __ATOMIC_SEQ_CST);
        snprintf(buf, sizeof buf, "%s: lock (owner exits meanwhile)", label);
        r(buf, pthread_mutex_lock(&m));
        pthread_join(t, NULL);
    } else {
        __atomic_store_n(&state, 2, __ATOMIC_SEQ_CST);
        pthread_join(t, NULL);
        snprintf(buf, sizeof buf, "%s: lock after the owner died", label);
        r(buf, pthread_mutex_lock(&m));
    }
    snprintf(buf, sizeof buf, "%s: consistent", label);
    r(buf, pthread_mutex_consistent(&m));
    snprintf(buf, sizeof buf, "%s: unlock", label);
    r(buf, pthread_mutex_unlock(&m));
    snprintf(buf, sizeof buf, "%s: lock again", label);
    r(buf, pthread_mutex_lock(&m));
    pthread_mutex_unlock(&m);
}

static void process_dies(const char *label, int proto)
{
    pthread_mutex_t *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    init(m, proto, PTHREAD_MUTEX_ROBUST, PTHREAD_MUTEX_NORMAL, PTHREAD_PROCESS_SHARED);
    volatile int *flag = (volatile int *)(m + 1);
    *flag = 0;
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(m);
        *flag = 1;
        while (*flag == 1)
            usleep(1000);
        _exit(0);       /* holding it */
    }
    while (*flag != 1)
        usleep(1000);
    char buf[128];
    snprintf(buf, sizeof buf, "%s: trylock held by the child", label);
    r(buf, pthread_mutex_trylock(m));
    *flag = 2;
    snprintf(buf, sizeof buf, "%s: lock, child exits", label);
    r(buf, pthread_mutex_lock(m));
    waitpid(pid, NULL, 0);
    snprintf(buf, sizeof buf, "%s: unlock without consistent", label);
    r(buf, pthread_mutex_unlock(m));
    snprintf(buf, sizeof buf, "%s: lock now", label);
    r(buf, pthread_mutex_lock(m));
}

/* the holder execs: its robust list is released then (futex_exec_release) */
static void process_execs(const char *label, int proto, const char *self)
{
    pthread_mutex_t *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    init(m, proto, PTHREAD_MUTEX_ROBUST, PTHREAD_MUTEX_NORMAL, PTHREAD_PROCESS_SHARED);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        pthread_mutex_lock(m);
        execl(self, self, "nap", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char c;
    while (read(p[0], &c, 1) > 0)
        ;       /* EOF: the exec happened */
    close(p[0]);
    char buf[128];
    snprintf(buf, sizeof buf, "%s: lock after the holder's exec", label);
    r(buf, pthread_mutex_lock(m));
    int st;
    waitpid(pid, &st, 0);
    snprintf(buf, sizeof buf, "%s: the exec'd holder exited", label);
    r(buf, WIFEXITED(st) ? WEXITSTATUS(st) : 255);
}

static pthread_mutex_t cm;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int items, consumed;

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&cm);
        while (items == 0 && consumed < 1000)
            pthread_cond_wait(&cv, &cm);
        if (consumed >= 1000) {
            pthread_mutex_unlock(&cm);
            return NULL;
        }
        items--;
        consumed++;
        if (consumed >= 1000)
            pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&cm);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "nap") == 0) {
        usleep(200 * 1000);
        return 0;
    }
    init(&pi, PTHREAD_PRIO_INHERIT, PTHREAD_MUTEX_STALLED, PTHREAD_MUTEX_NORMAL, PTHREAD_PROCESS_PRIVATE);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, adder, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("PI mutex counter: %ld%s\n", counter, counter == THREADS * ROUNDS ? "" : " BAD");

    static pthread_mutex_t ec;
    init(&ec, PTHREAD_PRIO_INHERIT, PTHREAD_MUTEX_STALLED, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PROCESS_PRIVATE);
    r("errorcheck PI lock", pthread_mutex_lock(&ec));
    r("errorcheck PI relock", pthread_mutex_lock(&ec));
    r("errorcheck PI trylock own", pthread_mutex_trylock(&ec));
    r("errorcheck PI unlock", pthread_mutex_unlock(&ec));
    r("errorcheck PI unlock again", pthread_mutex_unlock(&ec));

    owner_dies("robust", PTHREAD_PRIO_NONE, 0);
    owner_dies("robust waited", PTHREAD_PRIO_NONE, 1);
    owner_dies("robust PI", PTHREAD_PRIO_INHERIT, 0);
    owner_dies("robust PI waited", PTHREAD_PRIO_INHERIT, 1);
    process_dies("shared robust", PTHREAD_PRIO_NONE);
    process_dies("shared robust PI", PTHREAD_PRIO_INHERIT);
    process_execs("shared robust", PTHREAD_PRIO_NONE, argv[0]);
    process_execs("shared robust PI", PTHREAD_PRIO_INHERIT, argv[0]);

    /* a condition variable with a PI mutex: 1000 items through 3 consumers */
    init(&cm, PTHREAD_PRIO_INHERIT, PTHREAD_MUTEX_STALLED, PTHREAD_MUTEX_NORMAL, PTHREAD_PROCESS_PRIVATE);
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, consumer, NULL);
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&cm);
        items++;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&cm);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("condvar with PI mutex: %d consumed\n", consumed);
    printf("done\n");
    return 0;
}
