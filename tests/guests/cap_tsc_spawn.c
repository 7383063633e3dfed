/* PR_SET_TSC and ARCH_SET_CPUID across posix_spawn (a vfork child whose exec gets a
 * new host process under umlskas): the TSC mode survives exec (rdtsc faults in the
 * new image), CPUID faulting does not.  Static, so that no loader runs rdtsc first. */
/* build: static */
#include "common.h"
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc > 1) {
        unsigned v = 0;
        prctl(PR_GET_TSC, &v, 0, 0, 0);
        printf("child: tsc mode %u, cpuid %ld\n", v, syscall(SYS_arch_prctl, 0x1011, 0));
        fflush(stdout);
        unsigned lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        printf("child: rdtsc: BAD no fault\n");
        return 0;
    }
    res("PR_SET_TSC SIGSEGV", prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0));
    long r = syscall(SYS_arch_prctl, 0x1012, 0);
    printf("ARCH_SET_CPUID 0: %s\n", r == 0 ? "ok" : ename(errno));
    pid_t p;
    char *args[] = {argv[0], "child", NULL};
    fflush(stdout);
    int err = posix_spawn(&p, argv[0], NULL, NULL, args, environ);
    int st;
    waitpid(p, &st, 0);
    printf("posix_spawn: %s\n", err ? ename(err) : "ok");
    if (WIFSIGNALED(st))
        printf("child: killed by %s\n", sigabbrev_np(WTERMSIG(st)));
    else
        printf("child: exit %d\n", WEXITSTATUS(st));
    return 0;
}
