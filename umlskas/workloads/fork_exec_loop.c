/* fork_exec_loop N TARGET: N times fork(); the child execve()s TARGET (no arguments,
 * empty environment); the parent waitpid()s for it and checks it exited 0.
 *
 * Built static against glibc (bench_processes.py: -O2 -static), so the only per-iteration
 * system calls are the parent's clone (glibc fork), the child's execve and exit_group
 * (plus whatever glibc's fork does in the child), and the parent's wait4.  Start-up
 * costs cancel in the N_small/N_big slope.
 *
 * Exit status: 0 ok; 2 bad arguments; 3 fork failed; 4 waitpid failed; 5 a child did not
 * exit 0 (its execve failed: the child exits 127 then).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s N TARGET\n", argv[0]);
        return 2;
    }
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end || n < 0) {
        fprintf(stderr, "fork_exec_loop: bad N %s\n", argv[1]);
        return 2;
    }
    char *const cargv[] = { argv[2], NULL };
    char *const cenvp[] = { NULL };
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork_exec_loop: fork");
            return 3;
        }
        if (pid == 0) {
            execve(argv[2], cargv, cenvp);
            _exit(127);
        }
        int st;
        pid_t w;
        do
            w = waitpid(pid, &st, 0);
        while (w < 0 && errno == EINTR);
        if (w != pid) {
            perror("fork_exec_loop: waitpid");
            return 4;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "fork_exec_loop: iteration %ld: child status 0x%x\n", i, st);
            return 5;
        }
    }
    return 0;
}
