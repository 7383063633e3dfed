/* Threads that take turns at one big lock the way CPython's threads share their
 * GIL (ceval_gil.h: a waiter's timed wait of 5 ms asks the holder to drop it, the
 * holder then waits until another thread has taken it): every thread must get to
 * run.  CPython's test_threading.ThreadJoinOnShutdown.test_4_daemon_threads (40
 * such threads; the main thread waits until each has run once) hung in TT mode:
 * the host's waitpid(-1) reports the stops of the same tracees first (the newest
 * threads), and with more threads trapping than the kernel serves the oldest
 * never got their calls answered.
 */
#include "common.h"
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>

#define NTHREADS 20
#define INTERVAL_NS 5000000L

static atomic_int ran[NTHREADS];
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t switch_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t switch_cond = PTHREAD_COND_INITIALIZER;
static sem_t started;
static int locked;
static unsigned long switch_number;
static atomic_int drop_request;
static void *last_holder;

static void take_gil(void *me)
{
    pthread_mutex_lock(&mutex);
    while (locked) {
        unsigned long saved = switch_number;
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += INTERVAL_NS;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        int r = pthread_cond_timedwait(&cond, &mutex, &deadline);
        if (r == ETIMEDOUT && locked && switch_number == saved)
            atomic_store(&drop_request, 1);
    }
    locked = 1;
    switch_number++;
    pthread_mutex_lock(&switch_mutex);
    last_holder = me;
    pthread_cond_signal(&switch_cond);
    pthread_mutex_unlock(&switch_mutex);
    atomic_store(&drop_request, 0);
    pthread_mutex_unlock(&mutex);
}

static void drop_gil(void *me)
{
    pthread_mutex_lock(&mutex);
    locked = 0;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&mutex);
    if (atomic_load(&drop_request)) {
        /* FORCE_SWITCHING: let another thread have it before taking it again. */
        pthread_mutex_lock(&switch_mutex);
        if (last_holder == me && atomic_load(&drop_request))
            pthread_cond_wait(&switch_cond, &switch_mutex);
        pthread_mutex_unlock(&switch_mutex);
    }
}

static void *worker(void *arg)
{
    atomic_int *mine = arg;
    unsigned seed = (unsigned)(mine - ran);
    take_gil(mine);
    sem_post(&started);     /* threading.Thread.start() waits for this */
    for (;;) {
        for (int i = 0; i < 5; i++) {
            if (atomic_load(&drop_request)) {     /* the eval loop's check */
                drop_gil(mine);
                take_gil(mine);
            }
            syscall(SYS_getppid);
        }
        drop_gil(mine);                            /* blocking calls without the lock */
        int fd = open("/proc/self/stat", O_RDONLY);
        take_gil(mine);
        char buf[200];
        drop_gil(mine);
        if (read(fd, buf, sizeof buf) < 0)
            printf("read: BAD\n");
        take_gil(mine);
        drop_gil(mine);
        close(fd);
        take_gil(mine);
        drop_gil(mine);
        struct timespec nap = {0, (long)(rand_r(&seed) % 500000)};
        nanosleep(&nap, NULL);
        take_gil(mine);
        atomic_store(mine, 1);
    }
    return NULL;
}

int main(void)
{
    static int main_id;
    pthread_t t[NTHREADS];
    struct timespec ms = {0, 1000000};
    sem_init(&started, 0, 0);
    take_gil(&main_id);
    for (int i = 0; i < NTHREADS; i++) {
        if (pthread_create(&t[i], NULL, worker, &ran[i]) != 0) {
            printf("pthread_create: BAD\n");
            return 1;
        }
        drop_gil(&main_id);
        sem_wait(&started);
        take_gil(&main_id);
    }
    printf("threads started: yes\n");
    for (;;) {
        int all = 1;
        for (int i = 0; i < NTHREADS; i++)
            all &= atomic_load(&ran[i]);
        if (all)
            break;
        drop_gil(&main_id);
        nanosleep(&ms, NULL);
        take_gil(&main_id);
    }
    printf("every thread ran: yes\n");
    fflush(stdout);
    _exit(0);      /* exit_group ends the other threads */
}
