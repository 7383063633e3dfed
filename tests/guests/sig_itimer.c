/* setitimer(ITIMER_REAL) with an interval: periodic SIGALRM. */
#include "common.h"
#include <signal.h>
#include <sys/time.h>

static volatile int ticks;

static void on_alarm(int sig)
{
    (void)sig;
    ticks++;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    /* SIGALRM is only taken inside sigsuspend, so the count is exact */
    sigset_t alrm, unblocked;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &unblocked);
    sigdelset(&unblocked, SIGALRM);

    struct itimerval it = {{0, 50000}, {0, 50000}}, old;
    res("setitimer ITIMER_REAL 50ms periodic", setitimer(ITIMER_REAL, &it, &old));
    check("no previous timer", old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0);
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    check("getitimer: interval 50ms", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 50000);
    check("getitimer: value in (0, 50ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 &&
                                              cur.it_value.tv_usec <= 50000);
    while (ticks < 5)
        sigsuspend(&unblocked);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, &old);
    /* drop a tick that may have become pending meanwhile */
    signal(SIGALRM, SIG_IGN);
    sigaction(SIGALRM, &sa, NULL);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    say("ticks: %d\n", ticks);
    check("old value: interval still 50ms", old.it_interval.tv_usec == 50000);
    getitimer(ITIMER_REAL, &cur);
    check("disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
    int before = ticks;
    usleep(200000);
    say("ticks after disarming: %d more\n", ticks - before);

    /* one-shot: no interval */
    ticks = 0;
    struct itimerval once = {{0, 0}, {0, 30000}};
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    setitimer(ITIMER_REAL, &once, NULL);
    while (ticks < 1)
        sigsuspend(&unblocked);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    usleep(150000);
    say("one-shot ticks: %d\n", ticks);
    res("setitimer bad which", setitimer(42, &once, NULL));
    struct itimerval badv = {{0, 0}, {0, 1000000}};
    res("setitimer tv_usec 1000000", setitimer(ITIMER_REAL, &badv, NULL));
    return 0;
}
