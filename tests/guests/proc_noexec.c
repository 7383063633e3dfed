/* execve of a file with neither ELF magic nor #! fails with ENOEXEC (the kernel never
 * falls back to a shell); glibc's execvp then runs it with /bin/sh itself.
 *   proc_noexec DIR   -- writes its files into DIR
 */
#include "common.h"
#include <sys/wait.h>

extern char **environ;

static void put(const char *name, const char *text)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd))
        exit(3);
}

/* fork; the child calls execve (how=0) or execvp (how=1); print its stdout and status */
static void run(const char *label, int how, const char *path)
{
    int p[2];
    if (pipe(p))
        exit(1);
    pid_t c = fork();
    if (c == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        char *argv[] = {(char *)path, "one", "two words", NULL};
        if (how == 0)
            execve(path, argv, environ);
        else
            execvp(path, argv);
        printf("%s: -1 %s\n", how == 0 ? "execve" : "execvp", ename(errno));
        fflush(stdout);
        _exit(127);
    }
    close(p[1]);
    char buf[1024];
    ssize_t n, total = 0;
    while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    close(p[0]);
    buf[total] = 0;
    int st;
    waitpid(c, &st, 0);
    say("-- %s: status %d\n%s", label, WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st), buf);
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]))
        return 2;
    put("plain", "echo \"plain ran: $0 $1 $2\"\n");
    put("empty", "");
    put("binary", "\x7f" "ELX not an elf\n");
    put("badinterp.sh", "#!./plain\n");
    run("execve plain text", 0, "./plain");
    run("execve empty file", 0, "./empty");
    run("execve bad magic", 0, "./binary");
    run("execve #! naming a text file", 0, "./badinterp.sh");
    run("execvp plain text (sh fallback)", 1, "./plain");
    run("execvp empty file (sh fallback)", 1, "./empty");
    /* direct syscall: no libc fallback */
    errno = 0;
    long r = syscall(SYS_execve, "./plain", (char *[]){"./plain", NULL}, environ);
    res("syscall execve plain", r);
    return 0;
}
