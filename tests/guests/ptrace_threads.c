/* ptrace_threads: a thread that writes and ends, joined by main (traced with strace -f). */
#include <pthread.h>
#include <unistd.h>

static void *run(void *arg)
{
    (void)arg;
    if (write(1, "thread\n", 7) != 7) _exit(1);
    return 0;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, 0, run, 0) || pthread_join(t, 0)) return 1;
    if (write(1, "main\n", 5) != 5) return 1;
    return 0;
}
