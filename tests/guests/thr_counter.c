/* 4 pthreads increment a counter under a mutex; a condition variable starts
 * them together and another reports completion. */
#include "common.h"
#include <pthread.h>

#define NTHR 4
#define ITERS 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int started, go, finished;
static long counter;

static void *worker(void *arg)
{
    long id = (long)arg;
    pthread_mutex_lock(&mu);
    started++;
    pthread_cond_broadcast(&done_cv);
    while (!go)
        pthread_cond_wait(&start_cv, &mu);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&mu);
        long v = counter;
        if ((i & 1023) == 0)
            sched_yield(); /* invite interleaving inside the critical section */
        counter = v + 1;
        pthread_mutex_unlock(&mu);
    }
    pthread_mutex_lock(&mu);
    finished++;
    pthread_cond_signal(&done_cv);
    pthread_mutex_unlock(&mu);
    return (void *)(id * 100);
}

int main(void)
{
    pthread_t t[NTHR];
    for (long i = 0; i < NTHR; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i)) {
            say("pthread_create failed\n");
            return 1;
        }
    pthread_mutex_lock(&mu);
    while (started < NTHR)
        pthread_cond_wait(&done_cv, &mu);
    say("all %d threads waiting on the start condition\n", started);
    go = 1;
    pthread_cond_broadcast(&start_cv);
    while (finished < NTHR)
        pthread_cond_wait(&done_cv, &mu);
    pthread_mutex_unlock(&mu);
    say("finished: %d\n", finished);
    long sum = 0;
    for (int i = 0; i < NTHR; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    say("counter: %ld (expected %d)\n", counter, NTHR * ITERS);
    say("sum of join values: %ld\n", sum);
    return 0;
}
