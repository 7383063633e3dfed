/* clone3(2) and clone(2) argument checking, in Linux's order
 * (copy_clone_args_from_user, clone3_args_valid, kernel_clone, copy_process):
 * an invalid combination fails before any child exists. CLONE_CLEAR_SIGHAND
 * gives the child default handlers (ignored signals stay ignored), CLONE_PIDFD
 * a close-on-exec pidfd. Every child made here exits at once (status 7). */
#include "common.h"
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#ifndef CLONE_DETACHED
#define CLONE_DETACHED 0x00400000
#endif

struct args {
    struct clone_args a;
    char tail[16];
};

static long c3(struct args *ca, size_t size)
{
    fflush(stdout);
    long r = syscall(SYS_clone3, ca, size);
    if (r == 0)
        _exit(7);
    return r;
}

static void reap(const char *label, long pid)
{
    if (pid <= 0)
        return;
    int st = 0;
    long w = waitpid(pid, &st, __WALL);
    check(label, w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

static void try3(const char *label, unsigned long long flags, unsigned long long exit_signal)
{
    struct args ca;
    memset(&ca, 0, sizeof ca);
    ca.a.flags = flags;
    ca.a.exit_signal = exit_signal;
    long r = c3(&ca, sizeof ca.a);
    rok(label, r);
    reap(label, r);
}

static void usr1(int sig)
{
    (void)sig;
}

int main(void)
{
    struct args ca;
    memset(&ca, 0, sizeof ca);
    ca.a.exit_signal = SIGCHLD;
    /* sizes */
    rok("size 0", c3(&ca, 0));
    rok("size 63", c3(&ca, 63));
    rok("size 4097", c3(&ca, 4097));
    ca.tail[3] = 1;
    rok("size 96 nonzero tail", c3(&ca, sizeof ca.a + 8));
    ca.tail[3] = 0;
    long r = c3(&ca, sizeof ca.a + 8);
    rok("size 96 zero tail", r);
    reap("size 96 zero tail child", r);
    rok("bad pointer", syscall(SYS_clone3, BADPTR, sizeof ca.a));

    /* flags and exit_signal */
    try3("unknown flag bit 40", 1ULL << 40, SIGCHLD);
    try3("CLONE_DETACHED", CLONE_DETACHED, SIGCHLD);
    try3("CSIGNAL bits in flags", SIGCHLD, 0);
    try3("exit_signal 65", 0, 65);
    try3("exit_signal with upper bits", 0, (1ULL << 32) | SIGCHLD);
    try3("CLONE_SIGHAND|CLONE_CLEAR_SIGHAND", CLONE_VM | CLONE_SIGHAND | CLONE_CLEAR_SIGHAND,
         SIGCHLD);
    try3("CLONE_THREAD with exit_signal", CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, SIGCHLD);
    try3("CLONE_PARENT with exit_signal", CLONE_PARENT, SIGCHLD);
    try3("CLONE_THREAD without CLONE_SIGHAND", CLONE_VM | CLONE_THREAD, 0);
    try3("CLONE_SIGHAND without CLONE_VM", CLONE_SIGHAND, SIGCHLD);
    try3("CLONE_NEWUSER|CLONE_FS", CLONE_NEWUSER | CLONE_FS, SIGCHLD);
    try3("CLONE_NEWNS|CLONE_FS", CLONE_NEWNS | CLONE_FS, SIGCHLD);
    try3("CLONE_PIDFD|CLONE_DETACHED", CLONE_PIDFD | CLONE_DETACHED, SIGCHLD);

    /* stack and stack_size */
    static char stk[65536];
    memset(&ca, 0, sizeof ca);
    ca.a.exit_signal = SIGCHLD;
    ca.a.stack = (unsigned long)stk;
    rok("stack without stack_size", c3(&ca, sizeof ca.a));
    ca.a.stack = 0;
    ca.a.stack_size = sizeof stk;
    rok("stack_size without stack", c3(&ca, sizeof ca.a));

    /* set_tid */
    pid_t tids[40] = {0};
    memset(&ca, 0, sizeof ca);
    ca.a.exit_signal = SIGCHLD;
    ca.a.set_tid_size = 1;
    rok("set_tid_size without set_tid", c3(&ca, sizeof ca.a));
    ca.a.set_tid = (unsigned long)tids;
    ca.a.set_tid_size = 0;
    rok("set_tid without set_tid_size", c3(&ca, sizeof ca.a));
    ca.a.set_tid_size = 33;
    rok("set_tid_size 33", c3(&ca, sizeof ca.a));
    ca.a.set_tid_size = 1;
    rok("set_tid 0", c3(&ca, sizeof ca.a));
    tids[0] = -5;
    rok("set_tid -5", c3(&ca, sizeof ca.a));
    ca.a.set_tid = (unsigned long)BADPTR;
    rok("set_tid bad pointer", c3(&ca, sizeof ca.a));

    /* CLONE_PIDFD */
    int pidfd = -1, ptid = 0;
    memset(&ca, 0, sizeof ca);
    ca.a.exit_signal = SIGCHLD;
    ca.a.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
    ca.a.pidfd = ca.a.parent_tid = (unsigned long)&pidfd;
    rok("clone3 CLONE_PIDFD|CLONE_PARENT_SETTID same place", c3(&ca, sizeof ca.a));
    ca.a.parent_tid = (unsigned long)&ptid;
    r = c3(&ca, sizeof ca.a);
    rok("clone3 CLONE_PIDFD|CLONE_PARENT_SETTID", r);
    check("parent_tid is the child", ptid == r);
    check("pidfd returned", pidfd > 2 && fcntl(pidfd, F_GETFD) == FD_CLOEXEC);
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    res("pidfd readable once the child exited", poll(&pfd, 1, 5000));
    reap("clone3 pidfd child", r);
    close(pidfd);
    ca.a.parent_tid = 0;
    ca.a.flags = CLONE_PIDFD;
    ca.a.pidfd = (unsigned long)BADPTR;
    rok("clone3 CLONE_PIDFD bad pointer", c3(&ca, sizeof ca.a));
    int status;
    check("no child left by the failures", waitpid(-1, &status, WNOHANG | __WALL) == -1 &&
                                              errno == ECHILD);

    /* legacy clone */
    fflush(stdout);
    rok("clone CLONE_PIDFD|CLONE_PARENT_SETTID",
        syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pidfd, 0, 0));
    rok("clone CLONE_PIDFD|CLONE_DETACHED",
        syscall(SYS_clone, CLONE_PIDFD | CLONE_DETACHED | SIGCHLD, 0, &pidfd, 0, 0));
    rok("clone CLONE_SIGHAND without CLONE_VM",
        syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, 0, 0, 0, 0));
    pidfd = -1;
    r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
    if (r == 0)
        _exit(7);
    rok("clone CLONE_PIDFD", r);
    check("clone pidfd returned", pidfd > 2 && fcntl(pidfd, F_GETFD) == FD_CLOEXEC);
    reap("clone pidfd child", r);
    close(pidfd);
    /* the high 32 bits of clone's flags are ignored */
    r = syscall(SYS_clone, (1UL << 40) | SIGCHLD, 0, 0, 0, 0);
    if (r == 0)
        _exit(7);
    rok("clone with flag bit 40", r);
    reap("clone with flag bit 40 child", r);

    /* CLONE_PARENT: init may not make siblings */
    r = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
    if (r == 0)
        _exit(7);
    /* (natively the guest is not init: the same line either way) */
    check("CLONE_PARENT: EINVAL from init, a sibling otherwise",
          getpid() == 1 ? r == -1 && errno == EINVAL : r > 0);

    /* CLONE_CLEAR_SIGHAND */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr1;
    sa.sa_flags = SA_RESTART;
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGUSR2, &sa, NULL);
    memset(&ca, 0, sizeof ca);
    ca.a.exit_signal = SIGCHLD;
    ca.a.flags = CLONE_CLEAR_SIGHAND;
    fflush(stdout);
    r = syscall(SYS_clone3, &ca, sizeof ca.a);
    if (r == 0) {
        struct sigaction o1, o2;
        sigaction(SIGUSR1, NULL, &o1);
        sigaction(SIGUSR2, NULL, &o2);
        say("child SIGUSR1: %s flags %#x mask has SIGTERM %d\n",
            o1.sa_handler == SIG_DFL ? "SIG_DFL" : "other", o1.sa_flags & ~SA_RESTORER,
            sigismember(&o1.sa_mask, SIGTERM));
        say("child SIGUSR2: %s flags %#x\n", o2.sa_handler == SIG_IGN ? "SIG_IGN" : "other",
            o2.sa_flags & ~SA_RESTORER);
        _exit(7);
    }
    rok("clone3 CLONE_CLEAR_SIGHAND", r);
    reap("clone3 CLONE_CLEAR_SIGHAND child", r);
    struct sigaction o1;
    sigaction(SIGUSR1, NULL, &o1);
    check("parent keeps its SIGUSR1 handler", o1.sa_handler == usr1);
    return 0;
}
