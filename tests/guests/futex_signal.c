/* A handled signal during a futex wait, as Linux: FUTEX_WAIT without a timeout is
 * restarted under SA_RESTART (ERESTARTSYS) and fails with EINTR otherwise; with a
 * timeout it fails with EINTR even under SA_RESTART (restart_block); futex_waitv
 * follows SA_RESTART; LOCK_PI goes on whatever the flags (ERESTARTNOINTR). */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

static uint32_t word, pi;
static uint32_t tid_main;
static volatile int handled;

static void nap(int ms)
{
    struct timespec ts = {0, ms * 1000L * 1000};
    nanosleep(&ts, NULL);
}

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

/* main's state letter in /proc/self/task/TID/stat */
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

/* once main sleeps in the kernel, signal it, then (for the waits that go on) wake it */
static void *poker(void *arg)
{
    int kind = (int)(long)arg;
    for (int i = 0; i < 1000 && state_of(tid_main) != 'S'; i++)
        nap(2);
    nap(50);
    syscall(SYS_tgkill, getpid(), tid_main, SIGUSR1);
    nap(150);
    if (kind == 1) {
        __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
    return NULL;
}

struct waitv {
    uint64_t val, uaddr;
    uint32_t flags, reserved;
};

static void one(const char *label, int restart, int what)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, NULL);
    handled = 0;
    word = 0;
    pthread_t t;
    long r;
    struct timespec to = {5, 0};
    struct waitv wv = {0, (uintptr_t)&word, 0x82, 0};
    /* the waits that go on after the handler need a wake-up */
    int kind = what != 1 && restart;
    pthread_create(&t, NULL, poker, (void *)(long)kind);
    errno = 0;
    switch (what) {
    case 0: r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0); break;
    case 1: r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &to, NULL, 0); break;
    default: r = syscall(449, &wv, 1, 0, NULL, 0); break;
    }
    int e = errno;
    pthread_join(t, NULL);
    printf("%s: %ld %s, handler ran %d\n", label, r, r < 0 ? ename(e) : "", handled);
}

static void *pi_holder(void *arg)
{
    (void)arg;
    syscall(SYS_futex, &pi, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    /* hold it until main has been signalled while waiting, then unlock */
    nap(300);
    syscall(SYS_futex, &pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

int main(void)
{
    tid_main = gettid();
    one("WAIT, SA_RESTART", 1, 0);
    one("WAIT, no SA_RESTART", 0, 0);
    one("WAIT with timeout, SA_RESTART", 1, 1);
    one("WAIT with timeout, no SA_RESTART", 0, 1);
    one("futex_waitv, SA_RESTART", 1, 2);
    one("futex_waitv, no SA_RESTART", 0, 2);
    /* LOCK_PI: a holder thread keeps it 300 ms, the signal comes at 150 ms */
    for (int restart = 1; restart >= 0; restart--) {
        struct sigaction sa = {0};
        sa.sa_handler = on_usr1;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigaction(SIGUSR1, &sa, NULL);
        handled = 0;
        pi = 0;
        pthread_t h, p;
        pthread_create(&h, NULL, pi_holder, NULL);
        while (!__atomic_load_n(&pi, __ATOMIC_SEQ_CST))
            nap(1);
        pthread_create(&p, NULL, poker, (void *)0L);
        long r = syscall(SYS_futex, &pi, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
        int e = errno;
        pthread_join(h, NULL);
        pthread_join(p, NULL);
        printf("LOCK_PI, %s: %ld %s, handler ran %d, owner is main: %s\n",
               restart ? "SA_RESTART" : "no SA_RESTART", r, r < 0 ? ename(e) : "", handled,
               (pi & FUTEX_TID_MASK) == tid_main ? "yes" : "no");
        syscall(SYS_futex, &pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    }
    printf("done\n");
    return 0;
}
