/* Private and shared futexes are distinct queues (futex(2), get_futex_key): a
 * FUTEX_PRIVATE_FLAG wait is woken only by a private wake in the same address space;
 * a shared wait on private memory only by a shared wake in the same mm; a shared wait
 * on MAP_SHARED memory is keyed by the object and offset, so a wake through another
 * mapping of it (another address, another process) finds it. */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static long futex(void *uaddr, int op, long val, long val2, void *uaddr2, long val3)
{
    return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static uint32_t word;
static volatile int ready, done;

static void nap(int ms)
{
    struct timespec ts = {0, ms * 1000L * 1000};
    nanosleep(&ts, NULL);
}

static void *waiter(void *arg)
{
    int op = (int)(long)arg;
    __atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&done, __ATOMIC_SEQ_CST))
        futex(&word, op, 0, 0, NULL, -1);
    return NULL;
}

/* a thread waits with wait_op; wake_op first (must find nobody), then the right one */
static void threads(const char *label, int wait_op, int wrong_wake, int right_wake)
{
    pthread_t t;
    ready = done = 0;
    pthread_create(&t, NULL, waiter, (void *)(long)wait_op);
    while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
        nap(5);
    nap(50);
    long wrong = futex(&word, wrong_wake, 1, 0, NULL, 0);
    long right = 0;
    for (int i = 0; i < 200 && right == 0; i++) {
        right = futex(&word, right_wake, 1, 0, NULL, 0);
        if (right == 0)
            nap(5);
    }
    printf("%s: other kind %ld, same kind %ld\n", label, wrong, right);
    __atomic_store_n(&done, 1, __ATOMIC_SEQ_CST);
    while (futex(&word, right_wake, 1, 0, NULL, 0) == 0 && pthread_tryjoin_np(t, NULL) != 0)
        nap(5);
    pthread_join(t, NULL);
}

/* In a child: wait (shared or private) on *w; the parent wakes through *pw. The child
 * reports whether it was woken (0) or timed out. */
static void across(const char *label, uint32_t *w, uint32_t *pw, int wait_op, int wake_op,
                   volatile int *flag)
{
    *flag = 0;
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec to = {0, 400 * 1000 * 1000};
        __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
        long r = futex(w, wait_op, 0, (long)&to, NULL, 0);
        _exit(r == 0 ? 0 : errno == ETIMEDOUT ? 1 : 2);
    }
    while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST))
        nap(5);
    long woken = 0;
    /* a shared wake that should match retries until the child sleeps */
    for (int i = 0; i < 60 && woken == 0; i++) {
        nap(5);
        woken = futex(pw, wake_op, 1, 0, NULL, 0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("%s: wake %ld, child %s\n", label, woken,
           WEXITSTATUS(st) == 0 ? "woken" : WEXITSTATUS(st) == 1 ? "timed out" : "error");
}

int main(void)
{
    threads("private wait, shared wake", FUTEX_WAIT_PRIVATE, FUTEX_WAKE, FUTEX_WAKE_PRIVATE);
    threads("shared wait, private wake", FUTEX_WAIT, FUTEX_WAKE_PRIVATE, FUTEX_WAKE);
    threads("private bitset wait, shared bitset wake", FUTEX_WAIT_BITSET_PRIVATE,
            FUTEX_WAKE, FUTEX_WAKE_PRIVATE);

    /* shared anonymous memory across fork */
    uint32_t *sh = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    volatile int *flag = (volatile int *)(sh + 16);
    sh[0] = 0;
    across("MAP_SHARED anon, shared", sh, sh, FUTEX_WAIT, FUTEX_WAKE, flag);
    across("MAP_SHARED anon, private wait", sh, sh, FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE, flag);
    across("MAP_SHARED anon, private wait shared wake", sh, sh, FUTEX_WAIT_PRIVATE, FUTEX_WAKE, flag);
    /* private memory after fork: a copy per process */
    across("private anon after fork, shared", &word, &word, FUTEX_WAIT, FUTEX_WAKE, flag);

    /* one memfd page mapped twice: different addresses, one futex */
    int fd = memfd_create("futex", 0);
    if (fd < 0 || ftruncate(fd, 2 * PG) < 0) {
        printf("memfd: %s\n", ename(errno));
        return 1;
    }
    uint32_t *a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    uint32_t *b = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
    check("second mapping elsewhere", (void *)b != (void *)(a + PG / 4));
    a[PG / 4] = 0;
    across("memfd offset PG via two mappings", a + PG / 4, b, FUTEX_WAIT, FUTEX_WAKE, flag);
    across("memfd, other offset", a, b, FUTEX_WAIT, FUTEX_WAKE, flag);
    /* a MAP_PRIVATE mapping of the file is the process's own memory */
    uint32_t *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PG);
    p[0] = 0;
    across("MAP_PRIVATE file mapping", b, p, FUTEX_WAIT, FUTEX_WAKE, flag);
    printf("done\n");
    return 0;
}
