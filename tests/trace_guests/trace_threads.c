/* Guest for test_trace_strace: a second thread (clone3, its robust list, its exit) that
   the first joins, and a mutex handed between them through a pipe (deterministic order). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int ready[2];

static void *worker(void *arg)
{
    (void)arg;
    write(1, "worker\n", 7);
    write(ready[1], "x", 1);
    return NULL;
}

int main(void)
{
    pthread_t t;
    char c;
    pipe(ready);
    pthread_create(&t, NULL, worker, NULL);
    read(ready[0], &c, 1);
    pthread_join(t, NULL);
    write(1, "joined\n", 7);
    return 0;
}
