/* execve of #! scripts, close-on-exec and inherited descriptors.
 *   proc_exec script DIR   -- runs the scripts the test wrote into DIR
 *   proc_exec cloexec      -- re-executes itself (argv[0]) as "after-exec"
 */
#include "common.h"
#include <sys/wait.h>

extern char **environ;

/* fork, execve path with args, print the child's stdout and status */
static void run(const char *label, const char *path, char *const argv[])
{
    int p[2];
    if (pipe(p))
        exit(1);
    pid_t c = fork();
    if (c == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execve(path, argv, environ);
        printf("execve: -1 %s\n", ename(errno));
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

static int scripts(const char *dir)
{
    if (chdir(dir))
        return 3;
    char *a1[] = {"./hello.sh", "one", "two words", NULL};
    run("#!/bin/sh script", "./hello.sh", a1);
    char *a2[] = {"./args.sh", "x", NULL};
    run("#! with an interpreter argument", "./args.sh", a2);
    char *a3[] = {"./nested.sh", NULL};
    run("#! naming another script (nested)", "./nested.sh", a3);
    char *a4[] = {"./badinterp.sh", NULL};
    run("#! naming a missing interpreter", "./badinterp.sh", a4);
    char *a5[] = {"./noexec.sh", NULL};
    run("script without execute permission", "./noexec.sh", a5);
    char *a6[] = {"./spaced.sh", NULL};
    run("#! line with spaces before the interpreter", "./spaced.sh", a6);
    return 0;
}

static int fd_state(int fd)
{
    int f = fcntl(fd, F_GETFD);
    if (f < 0)
        return -errno;
    return f & FD_CLOEXEC ? 2 : 1;
}

static const char *state_name(int s)
{
    return s == 1 ? "open" : s == 2 ? "open, FD_CLOEXEC" : s == -EBADF ? "closed (EBADF)" : "?";
}

static int cloexec(const char *self)
{
    int keep = open("/dev/null", O_RDONLY);
    int ocl = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fcl = open("/dev/null", O_RDONLY);
    fcntl(fcl, F_SETFD, FD_CLOEXEC);
    int p[2], pc[2];
    if (pipe(p) || pipe2(pc, O_CLOEXEC))
        return 1;
    /* move everything to fixed numbers so output does not depend on the order */
    dup2(keep, 20);
    dup2(ocl, 21);
    fcntl(21, F_SETFD, FD_CLOEXEC); /* dup2 clears FD_CLOEXEC */
    dup2(fcl, 22);
    fcntl(22, F_SETFD, FD_CLOEXEC);
    dup2(p[0], 23);
    dup2(p[1], 24);
    dup3(pc[0], 25, O_CLOEXEC);
    int d = fcntl(20, F_DUPFD_CLOEXEC, 26);
    say("F_DUPFD_CLOEXEC from 26: %d\n", d);
    close(keep); close(ocl); close(fcl); close(p[0]); close(p[1]); close(pc[0]); close(pc[1]);
    for (int fd = 20; fd <= 26; fd++)
        say("before exec fd %d: %s\n", fd, state_name(fd_state(fd)));
    write(24, "through the inherited pipe", 26);
    char *av[] = {(char *)self, "after-exec", NULL};
    execve(self, av, environ);
    say("execve self: -1 %s\n", ename(errno));
    return 1;
}

static int after_exec(void)
{
    for (int fd = 20; fd <= 26; fd++)
        say("after exec fd %d: %s\n", fd, state_name(fd_state(fd)));
    close(24);
    char buf[64];
    ssize_t n = read(23, buf, sizeof buf);
    print_escaped("read inherited pipe", buf, n);
    n = read(23, buf, sizeof buf);
    res("read again (EOF, writer closed)", n);
    return 0;
}

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "";
    if (!strcmp(w, "script") && argc > 2)
        return scripts(argv[2]);
    if (!strcmp(w, "cloexec"))
        return cloexec(argv[0]);
    if (!strcmp(w, "after-exec"))
        return after_exec();
    fprintf(stderr, "usage: %s script DIR | cloexec\n", argv[0]);
    return 2;
}
