/* Guest for test_trace_strace: signals the kernel sends for faults and for a process's
   own kill: an uncaught SIGSEGV, one caught with SA_SIGINFO, abort()'s SIGABRT. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    _exit(sig);
}

int main(void)
{
    int st;
    pid_t c = fork();
    if (c == 0)
        return *(volatile int *)16;
    waitpid(c, &st, 0);
    printf("uncaught: signal %d\n", WTERMSIG(st));
    fflush(stdout);
    c = fork();
    if (c == 0) {
        struct sigaction sa = {0};
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
        return *(volatile int *)16;
    }
    waitpid(c, &st, 0);
    printf("caught: exit %d\n", WEXITSTATUS(st));
    fflush(stdout);
    c = fork();
    if (c == 0)
        abort();
    waitpid(c, &st, 0);
    printf("abort: signal %d\n", WTERMSIG(st));
    return 0;
}
