/*
 * sigsys_traced: what a SECCOMP_RET_TRAP + in-process SIGSYS handler round trip costs
 * with and without a ptrace tracer (the reason seccomp mode uses user notifications;
 * see docs/modes.md). Usage: sigsys_traced N      (run it pinned: taskset -c 0)
 *
 * A child installs a filter that traps getppid (SECCOMP_RET_TRAP) and a SIGSYS handler
 * that answers it by setting the saved rax, then makes N getppid calls, untraced and
 * then (after the parent PTRACE_SEIZEs it) traced: each SIGSYS is then a
 * signal-delivery stop the tracer must resume with the signal. It prints ns per call.
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
    (void)sig; (void)si;
    ((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RAX] = 4242;
}

static double loop(long n)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    int go[2], done[2];
    if (pipe(go) || pipe(done))
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSYS, &sa, NULL);
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {sizeof f / sizeof f[0], f};
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
            _exit(2);
        printf("untraced: %.0f ns per trapped call\n", loop(n));
        fflush(stdout);
        if (write(done[1], "x", 1) != 1)
            _exit(3);
        char c;
        if (read(go[0], &c, 1) != 1)      /* the parent seizes us meanwhile */
            _exit(3);
        printf("traced:   %.0f ns per trapped call\n", loop(n));
        fflush(stdout);
        _exit(0);
    }
    char c;
    if (read(done[0], &c, 1) != 1)        /* the untraced loop is over */
        return 1;
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)PTRACE_O_EXITKILL) < 0)
        return 1;
    if (write(go[1], "x", 1) != 1)
        return 1;
    int status;
    while (waitpid(pid, &status, __WALL) == pid) {
        if (!WIFSTOPPED(status))
            break;
        int sig = WSTOPSIG(status);
        /* Deliver the SIGSYS (and anything else) the stop is for; events resume plain. */
        ptrace(PTRACE_CONT, pid, 0, (void *)(long)((status >> 16) ? 0 : sig));
    }
    return 0;
}
