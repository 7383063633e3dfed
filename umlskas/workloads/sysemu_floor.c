/*
 * sysemu_floor: the C floor for ptrace syscall redirection.
 * Usage: sysemu_floor GUEST [ARGS...]      exit status = the guest's
 *
 * Forks; the child does PTRACE_TRACEME, raise(SIGSTOP), execv(GUEST).  The parent lets the
 * exec run natively (PTRACE_CONT up to the exec event), then drives the guest with
 * PTRACE_SYSEMU, one stop per guest syscall: GETREGS, emulate, SETREGS, resume.
 *   getpid            -> 4242
 *   exit, exit_group  -> record the status, kill the tracee, exit with that status
 *   anything else     -> -ENOSYS
 * This is the least work any ptrace-based kernel can do per syscall; umlskas is measured
 * against it.  Tracer and tracee should share one CPU (taskset -c 0): cross-CPU wake-ups
 * cost about 4x on the reference VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/reg.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif
#ifndef PTRACE_O_EXITKILL
#define PTRACE_O_EXITKILL (1 << 20)
#endif

static void die(const char *what)
{
    perror(what);
    exit(125);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GUEST [ARGS...]\n", argv[0]);
        return 125;
    }

    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
            die("PTRACE_TRACEME");
        raise(SIGSTOP);
        execv(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }

    int status;
    if (waitpid(pid, &status, 0) < 0)
        die("waitpid");
    if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
        fprintf(stderr, "sysemu_floor: unexpected first stop 0x%x\n", status);
        return 125;
    }
    if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
               (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD |
                              PTRACE_O_TRACEEXEC)) < 0)
        die("PTRACE_SETOPTIONS");

    /* Run natively up to the exec event: raise()'s tail and execve itself are the host's. */
    if (ptrace(PTRACE_CONT, pid, NULL, NULL) < 0)
        die("PTRACE_CONT");
    for (;;) {
        if (waitpid(pid, &status, 0) < 0)
            die("waitpid");
        if (WIFEXITED(status))
            return WEXITSTATUS(status);          /* exec failed: child's _exit(127) */
        if (WIFSIGNALED(status))
            return 128 + WTERMSIG(status);
        if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
            break;
        int sig = WSTOPSIG(status);
        if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)(sig == SIGSTOP ? 0 : sig)) < 0)
            die("PTRACE_CONT");
    }

    /* The guest is stopped at its first instruction.  Emulate every syscall from here. */
    int deliver = 0;
    for (;;) {
        if (ptrace(PTRACE_SYSEMU, pid, NULL, (void *)(long)deliver) < 0)
            die("PTRACE_SYSEMU");
        deliver = 0;
        if (waitpid(pid, &status, 0) < 0)
            die("waitpid");
        if (WIFEXITED(status))
            return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
            return 128 + WTERMSIG(status);
        if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
            deliver = WSTOPSIG(status);          /* a signal-delivery stop: pass it on */
            continue;
        }

        struct user_regs_struct regs;
        if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
            die("PTRACE_GETREGS");
        switch (regs.orig_rax) {
        case SYS_getpid:
            regs.rax = 4242;
            break;
        case SYS_exit:
        case SYS_exit_group: {
            int code = (int)(regs.rdi & 0xff);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return code;
        }
        default:
            regs.rax = (unsigned long long)-ENOSYS;
            break;
        }
        if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0)
            die("PTRACE_SETREGS");
    }
}
