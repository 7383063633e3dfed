/* SA_SIGINFO: si_signo, si_code, si_pid, si_uid, si_value for kill, raise
 * (tgkill), sigqueue, and a signal from a child. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>
#include <ucontext.h>

static volatile int g_sig, g_code, g_errno, g_val, calls;
static volatile pid_t g_pid;
static volatile uid_t g_uid;
static volatile int ctx_ok;

static void h(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    calls++;
    g_sig = si->si_signo;
    g_code = si->si_code;
    g_errno = si->si_errno;
    g_pid = si->si_pid;
    g_uid = si->si_uid;
    g_val = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
    ctx_ok = sig == si->si_signo && uc != NULL;
}

static const char *code_name(int c)
{
    switch (c) {
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_KERNEL: return "SI_KERNEL";
    default: return "?";
    }
}

static void report(const char *label, pid_t want_pid)
{
    say("%s: calls %d si_signo %s si_code %s si_errno %d si_value %d\n", label, calls,
        g_sig == SIGUSR1 ? "SIGUSR1" : g_sig == SIGUSR2 ? "SIGUSR2" : "?", code_name(g_code), g_errno, g_val);
    check("  si_pid is the sender", g_pid == want_pid);
    check("  si_uid is getuid()", g_uid == getuid());
    check("  handler got its signal number and a ucontext", ctx_ok);
    calls = 0;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);

    res("kill(getpid(), SIGUSR1)", kill(getpid(), SIGUSR1));
    report("kill to self", getpid());
    res("raise(SIGUSR2)", raise(SIGUSR2));
    report("raise", getpid());
    union sigval v = {.sival_int = 4242};
    res("sigqueue", sigqueue(getpid(), SIGUSR1, v));
    report("sigqueue", getpid());
    res("kill(getpid(), 0)", kill(getpid(), 0));
    say("signal 0 delivers nothing: calls %d\n", calls);
    res("kill bad signal", kill(getpid(), 65));
    res("kill non-existent pid", kill(0x3ffffff, SIGUSR1));

    /* from a child: si_pid is the child */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        kill(parent, SIGUSR1);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    report("kill from a child", c);
    return 0;
}
