/* execveat with a name relative to a directory fd (O_RDONLY and O_PATH), a bad fd, a
 * missing name and a script: the kernel once crashed on the first (found by trinity). */
#include "common.h"
#include <sys/wait.h>

static void run(const char *label, int dirfd, const char *name, char **argv)
{
    char *envp[] = {NULL};
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        syscall(SYS_execveat, dirfd, name, argv, envp, 0);
        res(label, -1);
        fflush(stdout);
        _exit(1);
    }
    int st;
    waitpid(c, &st, 0);
    printf("%s: exit %d\n", label, WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int d = open("/bin", O_RDONLY | O_DIRECTORY);
    int p = open("/bin", O_PATH | O_DIRECTORY);
    char *echo[] = {"echo", "echo through the dirfd", NULL};
    char *sh[] = {"sh", "-c", "echo \"sh says $0\"", NULL};
    run("dirfd echo", d, "echo", echo);
    run("O_PATH dirfd echo", p, "echo", echo);
    run("O_PATH dirfd sh", p, "sh", sh);
    run("bad fd", 99, "echo", echo);
    run("missing name", d, "nonexistent", echo);
    run("not a directory", 1, "echo", echo);
    return 0;
}
