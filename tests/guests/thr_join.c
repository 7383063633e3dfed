/* pthread_join return values, pthread_exit with other threads running,
 * detached threads, and the main thread calling pthread_exit. */
#include "common.h"
#include <pthread.h>

static int hold[2];

static void *ret_value(void *arg)
{
    return (void *)((long)arg * 3 + 1);
}

static void *exit_value(void *arg)
{
    pthread_exit((void *)((long)arg + 1000));
    return NULL;
}

static void *nested(void *arg)
{
    (void)arg;
    pthread_t inner;
    pthread_create(&inner, NULL, ret_value, (void *)7L);
    void *r;
    pthread_join(inner, &r);
    return (void *)((long)r + 1);
}

/* blocks until the main thread writes to the pipe */
static void *blocker(void *arg)
{
    (void)arg;
    char b;
    read(hold[0], &b, 1);
    return (void *)(long)b;
}

static void *early_exit(void *arg)
{
    (void)arg;
    pthread_exit((void *)55L);
}

static void *last_one(void *arg)
{
    (void)arg;
    /* runs after main has called pthread_exit */
    usleep(100000);
    say("last thread still running after main's pthread_exit: yes\n");
    return NULL; /* the last thread gone: the process exits with status 0 */
}

int main(int argc, char **argv)
{
    (void)argv;
    pthread_t t[8];
    void *r;
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, ret_value, (void *)i);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], &r);
        say("join returned-from thread %d: %ld\n", i, (long)r);
    }
    for (long i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, exit_value, (void *)i);
    for (int i = 2; i >= 0; i--) {
        pthread_join(t[i], &r);
        say("join pthread_exit thread %d: %ld\n", i, (long)r);
    }
    pthread_create(&t[0], NULL, nested, NULL);
    pthread_join(t[0], &r);
    say("thread joining its own thread: %ld\n", (long)r);
    say("pthread_join self: %s\n", ename(pthread_join(pthread_self(), &r)));

    /* a thread exits with pthread_exit while another keeps running */
    if (pipe(hold))
        return 1;
    pthread_create(&t[0], NULL, blocker, NULL);
    pthread_create(&t[1], NULL, early_exit, NULL);
    pthread_join(t[1], &r);
    say("early pthread_exit value while another blocks: %ld\n", (long)r);
    write(hold[1], "\x2a", 1);
    pthread_join(t[0], &r);
    say("blocked thread then returned: %ld\n", (long)r);

    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_create(&t[2], &at, ret_value, NULL);
    if (argc > 1) {
        /* main thread leaves with pthread_exit; the process lives on */
        pthread_create(&t[3], NULL, last_one, NULL);
        say("main calls pthread_exit\n");
        pthread_exit(NULL);
    }
    return 3;
}
