/* sigprocmask: a blocked signal stays pending and is delivered on unblock;
 * standard signals coalesce, real-time ones queue in order. */
#include "common.h"
#include <signal.h>

static char log_[256];
static int nlog;

static void note(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int v = si->si_code == SI_QUEUE ? si->si_value.sival_int : 0;
    nlog += snprintf(log_ + nlog, sizeof log_ - nlog, " %s%s%d",
                     sig == SIGUSR1 ? "USR1" : sig == SIGUSR2 ? "USR2" : "RTMIN+",
                     sig >= SIGRTMIN ? "" : "/", sig >= SIGRTMIN ? sig - SIGRTMIN : v);
    if (sig >= SIGRTMIN)
        nlog += snprintf(log_ + nlog, sizeof log_ - nlog, "=%d", v);
}

static void flush_log(const char *label)
{
    say("%s:%s\n", label, nlog ? log_ : " (nothing)");
    nlog = 0;
    log_[0] = 0;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = note;
    sa.sa_flags = SA_SIGINFO;
    /* handlers do not nest: pending signals are delivered one after another */
    sigfillset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGRTMIN, &sa, NULL);
    sigaction(SIGRTMIN + 1, &sa, NULL);

    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    check("SIGUSR1 not blocked initially", !sigismember(&old, SIGUSR1));
    kill(getpid(), SIGUSR1);
    flush_log("after kill while blocked");
    sigpending(&pend);
    check("SIGUSR1 pending", sigismember(&pend, SIGUSR1));
    kill(getpid(), SIGUSR1); /* coalesces */
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    flush_log("after unblock (two kills, one delivery)");
    sigpending(&pend);
    check("nothing pending after delivery", !sigismember(&pend, SIGUSR1));

    /* several blocked signals: real-time ones queue; with handlers
     * that block everything, lower numbers are delivered first */
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    union sigval v;
    for (int i = 1; i <= 3; i++) {
        v.sival_int = 10 + i;
        sigqueue(getpid(), SIGRTMIN + 1, v);
        v.sival_int = i;
        sigqueue(getpid(), SIGRTMIN, v);
    }
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    flush_log("while all blocked");
    sigprocmask(SIG_SETMASK, &old, NULL);
    flush_log("after SIG_SETMASK to the old mask");

    /* SIGKILL and SIGSTOP cannot be blocked */
    sigfillset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    sigprocmask(SIG_SETMASK, NULL, &old);
    check("SIGKILL not blockable", !sigismember(&old, SIGKILL));
    check("SIGSTOP not blockable", !sigismember(&old, SIGSTOP));
    check("SIGUSR1 blocked by sigfillset", sigismember(&old, SIGUSR1));
    res("sigprocmask bad how", sigprocmask(42, &set, NULL));
    /* a signal ignored while blocked and pending is discarded */
    kill(getpid(), SIGUSR2);
    signal(SIGUSR2, SIG_IGN);
    sigpending(&pend);
    check("pending signal discarded when set to SIG_IGN", !sigismember(&pend, SIGUSR2));
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
    flush_log("at the end");
    return 0;
}
