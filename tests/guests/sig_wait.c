/* sigwaitinfo / sigtimedwait (rt_sigtimedwait) for blocked pending signals. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static volatile int handler_calls;
static void h(int sig)
{
    (void)sig;
    handler_calls++;
}

static const char *code_name(int c)
{
    return c == SI_USER ? "SI_USER" : c == SI_QUEUE ? "SI_QUEUE" : c == SI_TKILL ? "SI_TKILL" : "?";
}

int main(void)
{
    signal(SIGUSR1, h);
    signal(SIGUSR2, h);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, NULL);

    siginfo_t si;
    kill(getpid(), SIGUSR1);
    memset(&si, 0, sizeof si);
    int r = sigwaitinfo(&set, &si);
    say("sigwaitinfo: %s si_signo %s si_code %s\n", r == SIGUSR1 ? "SIGUSR1" : "?",
        si.si_signo == SIGUSR1 ? "SIGUSR1" : "?", code_name(si.si_code));
    check("  si_pid == getpid()", si.si_pid == getpid());
    check("  handler not called", handler_calls == 0);
    sigset_t pend;
    sigpending(&pend);
    check("  no longer pending", !sigismember(&pend, SIGUSR1));

    struct timespec ts = {0, 50 * 1000000};
    errno = 0;
    r = sigtimedwait(&set, &si, &ts);
    say("sigtimedwait with nothing pending (50 ms): %d %s\n", r, ename(errno));
    struct timespec zero = {0, 0};
    r = sigtimedwait(&set, &si, &zero);
    say("sigtimedwait zero timeout: %d %s\n", r, ename(errno));

    union sigval v = {.sival_int = 77};
    sigqueue(getpid(), SIGRTMIN, v);
    v.sival_int = 78;
    sigqueue(getpid(), SIGRTMIN, v);
    for (int i = 0; i < 2; i++) {
        memset(&si, 0, sizeof si);
        r = sigtimedwait(&set, &si, &ts);
        say("sigtimedwait queued RT: %s si_code %s value %d\n", r == SIGRTMIN ? "SIGRTMIN" : "?",
            code_name(si.si_code), si.si_value.sival_int);
    }

    /* two pending: the lower number first */
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    r = sigwaitinfo(&set, NULL);
    say("first of USR1+USR2: %s\n", r == SIGUSR1 ? "SIGUSR1" : r == SIGUSR2 ? "SIGUSR2" : "?");
    r = sigwaitinfo(&set, NULL);
    say("then: %s\n", r == SIGUSR1 ? "SIGUSR1" : r == SIGUSR2 ? "SIGUSR2" : "?");

    /* blocks until a child sends the signal */
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        usleep(100000);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    memset(&si, 0, sizeof si);
    struct timespec long_ts = {20, 0};
    r = sigtimedwait(&set, &si, &long_ts);
    say("sigtimedwait for a child's signal: %s\n", r == SIGUSR2 ? "SIGUSR2" : "?");
    check("  si_pid is the child", si.si_pid == c);
    int st;
    waitpid(c, &st, 0);

    /* raw syscall: bad sigsetsize */
    r = syscall(SYS_rt_sigtimedwait, &set, &si, &zero, 4);
    say("rt_sigtimedwait sigsetsize 4: %d %s\n", r, ename(errno));
    struct timespec bad = {0, 2000000000L};
    r = sigtimedwait(&set, &si, &bad);
    say("sigtimedwait tv_nsec out of range: %d %s\n", r, ename(errno));
    say("handler calls: %d\n", handler_calls);
    return 0;
}
