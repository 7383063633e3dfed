/* Waits with huge timeouts (issue 10, item 5): each blocking call gets a timeout of
 * decades or more (tv_sec up to LONG_MAX, INT_MAX ms, alarm(0xffffffff)) in a child
 * process, which its parent then interrupts with SIGUSR1 (handled, no SA_RESTART):
 * every call must end with EINTR (or what Linux returns), and the times it reports
 * back must be Linux's clamped ones. The parent sends SIGUSR1 every 50 ms until the
 * child is gone, so a signal that comes before the child blocks does not hang it.
 * Also: out-of-range timespecs are EINVAL, zero timeouts return at once. */
#include "common.h"
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define BIG_SEC LONG_MAX
/* KTIME_MAX in seconds: what a clamped timer has left, less the uptime. */
#define KTIME_SEC 9223372036L

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    (void)sig;
    got_usr1 = 1;
}

static void huge_ts(struct timespec *ts)
{
    ts->tv_sec = BIG_SEC;
    ts->tv_nsec = 999999999;
}

/* Between 100 years and KTIME_MAX: a timer clamped at KTIME_MAX. */
static int clamped_secs(long sec)
{
    return sec > 3155760000L && sec <= KTIME_SEC;
}

/* Run fn in a child, interrupting it with SIGUSR1 until it exits. */
static void interrupted(const char *label, void (*fn)(void))
{
    fflush(stdout);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);    /* held until the child's handler is set */
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;        /* no SA_RESTART: the call ends with EINTR */
        sigaction(SIGUSR1, &sa, NULL);
        sigprocmask(SIG_UNBLOCK, &usr1, NULL);
        fn();
        fflush(stdout);
        _exit(0);
    }
    struct timespec step = {0, 50 * 1000 * 1000};
    int status;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        kill(pid, SIGUSR1);
        nanosleep(&step, NULL);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("%s: BAD child status %#x\n", label, status);
}

static void do_nanosleep(void)
{
    struct timespec ts, rem = {0, 0};
    huge_ts(&ts);
    res("nanosleep LONG_MAX", nanosleep(&ts, &rem));
    check("nanosleep rem clamped at KTIME_MAX", clamped_secs(rem.tv_sec));
}

static void do_clock_nanosleep(void)
{
    struct timespec ts, rem = {0, 0};
    huge_ts(&ts);
    int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem);
    say("clock_nanosleep MONOTONIC LONG_MAX: %s\n", r ? ename(r) : "0");
    check("clock_nanosleep rem clamped", clamped_secs(rem.tv_sec));
    huge_ts(&ts);
    r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
    say("clock_nanosleep REALTIME ABSTIME LONG_MAX: %s\n", r ? ename(r) : "0");
    r = clock_nanosleep(CLOCK_BOOTTIME, 0, &ts, NULL);
    say("clock_nanosleep BOOTTIME LONG_MAX: %s\n", r ? ename(r) : "0");
}

static void do_alarm(void)
{
    say("alarm(0xffffffff): %u\n", alarm(0xffffffffu));
    say("alarm(0) after it: %u\n", alarm(0));
    say("alarm(0xffffffff) again: %u\n", alarm(0xffffffffu));
    res("pause under the alarm", pause());
}

static void do_setitimer(void)
{
    struct itimerval it = {{BIG_SEC, 999999}, {BIG_SEC, 999999}}, cur;
    res("setitimer REAL LONG_MAX", setitimer(ITIMER_REAL, &it, NULL));
    res("getitimer REAL", getitimer(ITIMER_REAL, &cur));
    check("getitimer value clamped", clamped_secs(cur.it_value.tv_sec));
    say("getitimer interval: %ld.%06ld\n", (long)cur.it_interval.tv_sec,
        (long)cur.it_interval.tv_usec);
    struct itimerval bad = {{0, 0}, {1, 1000000}};
    res("setitimer usec 1000000", setitimer(ITIMER_REAL, &bad, NULL));
    struct itimerval neg = {{0, 0}, {-1, 0}};
    res("setitimer negative sec", setitimer(ITIMER_REAL, &neg, NULL));
    res("pause under the itimer", pause());
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
}

static void do_poll(void)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    struct pollfd fd = {p[0], POLLIN, 0};
    res("poll pipe INT_MAX ms", poll(&fd, 1, INT_MAX));
    res("poll none INT_MAX ms", poll(NULL, 0, INT_MAX));
}

static void do_ppoll(void)
{
    struct timespec ts;
    huge_ts(&ts);
    res("ppoll LONG_MAX", syscall(SYS_ppoll, NULL, 0, &ts, NULL, 8));
    check("ppoll timespec left: about TIME64_MAX", ts.tv_sec > LONG_MAX / 2);
}

static void do_select(void)
{
    struct timeval tv = {BIG_SEC, 999999};
    res("select LONG_MAX", syscall(SYS_select, 0, NULL, NULL, NULL, &tv));
    check("select timeval left: about TIME64_MAX", tv.tv_sec > LONG_MAX / 2);
    struct timespec ts;
    huge_ts(&ts);
    res("pselect6 LONG_MAX", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL));
    check("pselect6 timespec left: about TIME64_MAX", ts.tv_sec > LONG_MAX / 2);
}

static void do_epoll(void)
{
    int ep = epoll_create1(0);
    struct epoll_event ev;
    res("epoll_wait INT_MAX ms", epoll_wait(ep, &ev, 1, INT_MAX));
    res("epoll_pwait INT_MAX ms", epoll_pwait(ep, &ev, 1, INT_MAX, NULL));
    close(ep);
}

static void do_futex(void)
{
    static int word;
    struct timespec ts;
    huge_ts(&ts);
    res("futex WAIT LONG_MAX", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0));
    huge_ts(&ts);
    res("futex WAIT_BITSET abs LONG_MAX",
        syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY));
    huge_ts(&ts);
    res("futex WAIT_BITSET realtime abs LONG_MAX",
        syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &ts,
                NULL, FUTEX_BITSET_MATCH_ANY));
}

static void do_sigtimedwait(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct timespec ts;
    huge_ts(&ts);
    res("rt_sigtimedwait LONG_MAX", syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 8));
}

static void do_timer(void)
{
    timer_t t;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR2;
    if (timer_create(CLOCK_MONOTONIC, &sev, &t) != 0) {
        say("timer_create: BAD\n");
        return;
    }
    struct itimerspec its = {{BIG_SEC, 999999999}, {BIG_SEC, 999999999}}, cur;
    res("timer_settime LONG_MAX", timer_settime(t, 0, &its, NULL));
    res("timer_gettime", timer_gettime(t, &cur));
    check("timer value clamped", clamped_secs(cur.it_value.tv_sec));
    say("timer interval: %ld.%09ld\n", (long)cur.it_interval.tv_sec,
        (long)cur.it_interval.tv_nsec);
    res("timer_settime abs LONG_MAX", timer_settime(t, TIMER_ABSTIME, &its, NULL));
    res("timer_gettime abs", timer_gettime(t, &cur));
    check("abs timer value clamped", clamped_secs(cur.it_value.tv_sec));
    struct itimerspec bad = {{0, 0}, {1, 1000000000}};
    res("timer_settime nsec 1e9", timer_settime(t, 0, &bad, NULL));
    res("pause under the timer", pause());
    timer_delete(t);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "sleep")) {
        /* For a signal from outside: sleep "forever" with one nanosleep. */
        struct timespec forever;
        huge_ts(&forever);
        say("ready\n");
        nanosleep(&forever, NULL);
        return 3;
    }
    struct timespec ts = {BIG_SEC, 1000000000};
    res("nanosleep nsec 1e9", nanosleep(&ts, NULL));
    ts.tv_sec = -1;
    ts.tv_nsec = 0;
    res("nanosleep negative sec", nanosleep(&ts, NULL));
    ts.tv_sec = 0;
    res("nanosleep zero", nanosleep(&ts, NULL));
    ts.tv_sec = BIG_SEC;
    ts.tv_nsec = -1;
    res("pselect6 nsec -1", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL));
    res("poll none 0 ms", poll(NULL, 0, 0));
    struct timeval tv = {0, 0};
    res("select zero", syscall(SYS_select, 0, NULL, NULL, NULL, &tv));

    interrupted("nanosleep", do_nanosleep);
    interrupted("clock_nanosleep", do_clock_nanosleep);
    interrupted("alarm", do_alarm);
    interrupted("setitimer", do_setitimer);
    interrupted("poll", do_poll);
    interrupted("ppoll", do_ppoll);
    interrupted("select", do_select);
    interrupted("epoll", do_epoll);
    interrupted("futex", do_futex);
    interrupted("rt_sigtimedwait", do_sigtimedwait);
    interrupted("timer", do_timer);
    say("done\n");
    return 0;
}
