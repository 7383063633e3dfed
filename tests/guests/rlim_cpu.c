/* RLIMIT_CPU (kernel/time/posix-cpu-timers.c check_process_timers): at the soft
 * limit SIGXCPU, then one more every CPU second, each time raising the soft limit
 * by one second; at the hard limit SIGKILL; SIGXCPU's default action ends the
 * process.  Uses about 3 seconds of CPU time. */
#include "common.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static volatile int xcpu;

static void on_xcpu(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_code == SI_KERNEL)
        xcpu++;
}

static void spin_until(volatile int *flag, int n)
{
    while (*flag < n)
        ;
}

static void report(const char *label, int st)
{
    if (WIFSIGNALED(st))
        say("%s: killed by signal %d\n", label, WTERMSIG(st));
    else
        say("%s: exit %d\n", label, WEXITSTATUS(st));
}

int main(void)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    pid_t c = fork();
    if (c == 0) {
        struct sigaction sa = {0};
        sa.sa_sigaction = on_xcpu;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGXCPU, &sa, NULL);
        struct rlimit rl = {1, 2};
        res("setrlimit CPU 1/2", setrlimit(RLIMIT_CPU, &rl));
        spin_until(&xcpu, 1);
        getrlimit(RLIMIT_CPU, &rl);
        say("after a SIGXCPU: soft %lu hard %lu\n", (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
        spin_until(&xcpu, 100);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    report("handled SIGXCPU, then the hard limit", st);

    c = fork();
    if (c == 0) {
        struct rlimit rl = {1, RLIM_INFINITY};
        setrlimit(RLIMIT_CPU, &rl);
        volatile int never = 0;
        spin_until(&never, 1);
        _exit(0);
    }
    waitpid(c, &st, 0);
    report("default action", st);
    say("done\n");
    return 0;
}
