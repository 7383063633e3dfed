/* exit_group from a non-main thread ends the whole process with its status,
 * while the main thread and others are blocked or busy.
 *   thr_exit_group exit        -- exit(7) in a thread, main in pthread_join
 *   thr_exit_group exit_group  -- raw exit_group(9), main blocked in read()
 *   thr_exit_group raw_exit    -- raw SYS_exit of one thread only: the others go on */
#include "common.h"
#include <pthread.h>

static int never[2];
static volatile int spin = 1;

static void *sleeper(void *arg)
{
    (void)arg;
    char b;
    read(never[0], &b, 1); /* blocks forever */
    say("sleeper woke up: BAD\n");
    return NULL;
}

static void *busy(void *arg)
{
    (void)arg;
    while (spin)
        ;
    return NULL;
}

static void *exiter(void *arg)
{
    usleep(50000);
    say("thread calls %s\n", (char *)arg);
    if (!strcmp(arg, "exit"))
        exit(7);
    syscall(SYS_exit_group, 9);
    return NULL;
}

static void *raw_exiter(void *arg)
{
    (void)arg;
    say("thread calls SYS_exit\n");
    syscall(SYS_exit, 0);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "";
    pthread_t t[4];
    if (pipe(never))
        return 1;
    if (!strcmp(w, "raw_exit")) {
        pthread_create(&t[0], NULL, raw_exiter, NULL);
        usleep(100000);
        say("main still running after a thread's SYS_exit\n");
        /* the raw thread never cleared its tid via glibc, but the kernel did
         * (CLONE_CHILD_CLEARTID), so pthread_join returns */
        pthread_join(t[0], NULL);
        say("joined the raw-exited thread\n");
        return 4;
    }
    pthread_create(&t[0], NULL, sleeper, NULL);
    pthread_create(&t[1], NULL, busy, NULL);
    pthread_create(&t[2], NULL, exiter, (void *)w);
    if (!strcmp(w, "exit")) {
        pthread_join(t[0], NULL);
    } else {
        char b;
        read(never[0], &b, 1);
    }
    say("main thread resumed: BAD\n");
    return 1;
}
