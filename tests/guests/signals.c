/* rt_sigaction / rt_sigprocmask bookkeeping (no signal is delivered). */
#include "common.h"
#include <signal.h>

struct ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

#define BIT(s) (1UL << ((s) - 1))
#define SA_RESTORER_ 0x04000000UL

static void handler(int s) { (void)s; }
static void restorer(void) {}

static unsigned long getmask(void)
{
    unsigned long m = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
    return m;
}

int main(void)
{
    struct ksigaction act, old;
    char l[96];

    say("== rt_sigaction\n");
    memset(&old, 0x5a, sizeof old);
    res("read SIGUSR1", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8));
    say("initial SIGUSR1: handler %s flags %#lx mask %#lx\n",
        old.handler == SIG_DFL ? "SIG_DFL" : "other", old.flags, old.mask);

    act = (struct ksigaction){(void *)handler, SA_RESTART | SA_SIGINFO | SA_RESTORER_, (void *)restorer,
                              BIT(SIGUSR2) | BIT(SIGKILL) | BIT(SIGSTOP)};
    res("set SIGUSR1", syscall(SYS_rt_sigaction, SIGUSR1, &act, NULL, 8));
    memset(&old, 0, sizeof old);
    res("read back SIGUSR1", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8));
    check("handler", old.handler == (void *)handler);
    check("restorer", old.restorer == (void *)restorer);
    say("flags: %#lx\n", old.flags);
    say("mask (KILL/STOP stripped): %#lx\n", old.mask);
    act = (struct ksigaction){SIG_IGN, SA_RESTORER_, (void *)restorer, 0};
    memset(&old, 0, sizeof old);
    res("replace, get old", syscall(SYS_rt_sigaction, SIGUSR1, &act, &old, 8));
    check("old handler returned", old.handler == (void *)handler);
    syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8);
    check("now SIG_IGN", old.handler == SIG_IGN);
    act = (struct ksigaction){(void *)handler, SA_RESTORER_ | SA_NODEFER | SA_RESETHAND | SA_ONSTACK, (void *)restorer, 0};
    syscall(SYS_rt_sigaction, SIGUSR2, &act, NULL, 8);
    syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 8);
    say("SIGUSR2 flags: %#lx\n", old.flags);
    act = (struct ksigaction){(void *)handler, SA_RESTORER_ | 0x00000400UL /* unknown */, (void *)restorer, 0};
    res("set unknown flag bit", syscall(SYS_rt_sigaction, SIGTERM, &act, NULL, 8));
    syscall(SYS_rt_sigaction, SIGTERM, NULL, &old, 8);
    say("unknown flag read back: %#lx\n", old.flags);
    act = (struct ksigaction){(void *)handler, SA_RESTORER_, (void *)restorer, 0};
    res("SIGRTMAX (64)", syscall(SYS_rt_sigaction, 64, &act, NULL, 8));

    res("set SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, &act, NULL, 8));
    res("set SIGSTOP", syscall(SYS_rt_sigaction, SIGSTOP, &act, NULL, 8));
    act.handler = SIG_IGN;
    res("SIG_IGN SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, &act, NULL, 8));
    act.handler = SIG_DFL;
    res("SIG_DFL SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, &act, NULL, 8));
    res("read SIGKILL", syscall(SYS_rt_sigaction, SIGKILL, NULL, &old, 8));
    res("signal 0", syscall(SYS_rt_sigaction, 0, &act, NULL, 8));
    res("signal 65", syscall(SYS_rt_sigaction, 65, &act, NULL, 8));
    res("signal -1", syscall(SYS_rt_sigaction, -1, &act, NULL, 8));
    res("sigsetsize 4", syscall(SYS_rt_sigaction, SIGUSR1, &act, NULL, 4));
    res("sigsetsize 16", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 16));
    res("read signal 0", syscall(SYS_rt_sigaction, 0, NULL, &old, 8));

    struct sigaction sa, osa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    res("glibc sigaction SIGHUP", sigaction(SIGHUP, &sa, NULL));
    sigaction(SIGHUP, NULL, &osa);
    check("glibc read back handler", osa.sa_handler == handler);
    check("glibc read back SA_RESTART", (osa.sa_flags & SA_RESTART) != 0);
    check("glibc read back mask", sigismember(&osa.sa_mask, SIGINT) == 1 && sigismember(&osa.sa_mask, SIGTERM) == 0);
    res("glibc sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
    res("glibc sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL));

    say("== rt_sigprocmask\n");
    say("initial mask: %#lx\n", getmask());
    unsigned long set = BIT(SIGUSR1) | BIT(SIGKILL) | BIT(SIGSTOP), oset = 1;
    res("SIG_BLOCK USR1|KILL|STOP", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &oset, 8));
    say("old mask: %#lx\n", oset);
    say("mask now (KILL/STOP ignored): %#lx\n", getmask());
    set = BIT(SIGUSR2) | BIT(SIGRTMIN);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8);
    say("after blocking USR2|34: %#lx\n", getmask());
    set = BIT(SIGUSR1);
    res("SIG_UNBLOCK USR1", syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, &oset, 8));
    say("mask now: %#lx (old %#lx)\n", getmask(), oset);
    set = BIT(SIGTERM) | BIT(SIGINT);
    res("SIG_SETMASK TERM|INT", syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8));
    say("mask now: %#lx\n", getmask());
    res("bad how", syscall(SYS_rt_sigprocmask, 5, &set, NULL, 8));
    res("bad how with NULL set", syscall(SYS_rt_sigprocmask, 5, NULL, &oset, 8));
    res("sigsetsize 4", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4));
    res("sigsetsize 16", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16));
    res("NULL NULL", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, NULL, 8));
    say("mask unchanged by errors: %#lx\n", getmask());
    sigset_t ss, os;
    sigemptyset(&ss);
    sigaddset(&ss, SIGALRM);
    res("glibc sigprocmask block ALRM", sigprocmask(SIG_BLOCK, &ss, &os));
    sigprocmask(SIG_BLOCK, NULL, &os);
    check("glibc sees ALRM blocked", sigismember(&os, SIGALRM) == 1);
    check("glibc sees TERM blocked", sigismember(&os, SIGTERM) == 1);
    set = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8);
    say("cleared: %#lx\n", getmask());
    (void)l;
    return 0;
}
