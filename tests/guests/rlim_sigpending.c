/* RLIMIT_SIGPENDING (kernel/signal.c __send_signal_locked, __sigqueue_alloc):
 * queued signals of a user are counted against the target's limit; at it,
 * sigqueue, rt_tgsigqueueinfo and tgkill of a realtime signal fail with EAGAIN,
 * kill() of one still succeeds but loses its siginfo, a standard signal is
 * delivered without its siginfo, a standard signal already pending merges.
 * The count is per user (a second process of the same user sees it) and shows
 * in /proc/self/status SigQ.  Runs in a child as an otherwise unused uid. */
#include "common.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define UID 54321

static void sigq(const char *label)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "SigQ:", 5)) {
            say("%s: %s", label, line);
            break;
        }
    if (f)
        fclose(f);
}

static long queue_rt(int sig, int val)
{
    union sigval v = {.sival_int = val};
    return sigqueue(getpid(), sig, v);
}

static void drain(sigset_t *set)
{
    struct timespec zero = {0, 0};
    siginfo_t si;
    for (;;) {
        int s = sigtimedwait(set, &si, &zero);
        if (s < 0)
            break;
        say("  took %s%d code %d value %d from self %s\n", s >= SIGRTMIN ? "RTMIN+" : "",
            s >= SIGRTMIN ? s - SIGRTMIN : s, si.si_code,
            si.si_code == SI_QUEUE ? si.si_value.sival_int : -1,
            si.si_pid == getpid() ? "yes" : "no");
    }
}

static void child(void)
{
    struct rlimit rl = {4, 4};
    setrlimit(RLIMIT_SIGPENDING, &rl);
    if (setresuid(UID, UID, UID) != 0) {
        say("setresuid failed\n");
        _exit(1);
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigq("start");
    for (int i = 0; i < 4; i++)
        res("sigqueue RTMIN", queue_rt(SIGRTMIN, i));
    sigq("four queued");
    res("sigqueue RTMIN at the limit", queue_rt(SIGRTMIN, 4));
    res("sigqueue RTMIN+1 at the limit", queue_rt(SIGRTMIN + 1, 5));
    res("tgkill RTMIN+1 at the limit", syscall(SYS_tgkill, getpid(), gettid(), SIGRTMIN + 1));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    si.si_value.sival_int = 6;
    res("rt_tgsigqueueinfo at the limit", syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN + 1, &si));
    int pfd = syscall(SYS_pidfd_open, getpid(), 0);
    si.si_value.sival_int = 7;
    res("pidfd_send_signal, si_signo 0", syscall(SYS_pidfd_send_signal, pfd, SIGRTMIN, &si, 0));
    si.si_signo = SIGRTMIN;
    res("pidfd_send_signal RTMIN at the limit", syscall(SYS_pidfd_send_signal, pfd, SIGRTMIN, &si, 0));
    res("kill RTMIN+1 at the limit", kill(getpid(), SIGRTMIN + 1));
    res("kill RTMIN+1 again", kill(getpid(), SIGRTMIN + 1));
    res("sigqueue SIGUSR1 at the limit", queue_rt(SIGUSR1, 7));
    res("kill SIGUSR1 (merged)", kill(getpid(), SIGUSR1));
    res("kill SIGUSR2 at the limit", kill(getpid(), SIGUSR2));
    sigq("at the limit");
    pid_t g = fork();
    if (g == 0) {
        /* another process of the same user: the count is the user's */
        sigprocmask(SIG_BLOCK, &set, NULL);
        res("other process: sigqueue RTMIN", queue_rt(SIGRTMIN, 9));
        _exit(0);
    }
    waitpid(g, NULL, 0);
    say("drain:\n");
    drain(&set);
    sigq("drained");
    res("sigqueue RTMIN after draining", queue_rt(SIGRTMIN, 10));
    drain(&set);
    _exit(0);
}

int main(void)
{
    if (getuid() != 0) {
        say("needs root\n");
        return 0;
    }
    pid_t c = fork();
    if (c == 0)
        child();
    int st;
    waitpid(c, &st, 0);
    check("child exit 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    say("done\n");
    return 0;
}
