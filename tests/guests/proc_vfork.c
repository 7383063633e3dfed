/* vfork + _exit, vfork + execve, posix_spawn.  argv[1] picks the case. */
#include "common.h"
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static void status(const char *label, int st)
{
    if (WIFEXITED(st))
        say("%s: exited %d\n", label, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        say("%s: signal %d\n", label, WTERMSIG(st));
    else
        say("%s: other %#x\n", label, st);
}

static int vfork_exit(void)
{
    static volatile int shared = 1;
    int local_before = 10;
    pid_t c = vfork();
    if (c == 0) {
        shared = 2; /* vfork shares memory: the parent sees this */
        _exit(5);
    }
    check("vfork returned a pid", c > 0);
    say("shared after vfork child: %d\n", shared);
    say("local still intact: %d\n", local_before);
    int st;
    check("waitpid returns the child", waitpid(c, &st, 0) == c);
    status("vfork+_exit", st);
    return 0;
}

static int vfork_exec(void)
{
    char *targv[] = {"true", NULL};
    pid_t c = vfork();
    if (c == 0) {
        execve("/bin/true", targv, environ);
        _exit(99);
    }
    int st;
    check("waitpid returns the child", waitpid(c, &st, 0) == c);
    status("vfork+execve /bin/true", st);

    char *fargv[] = {"false", NULL};
    c = vfork();
    if (c == 0) {
        execve("/bin/false", fargv, environ);
        _exit(99);
    }
    waitpid(c, &st, 0);
    status("vfork+execve /bin/false", st);

    /* failing execve in the vfork child: it must _exit, the parent resumes */
    c = vfork();
    if (c == 0) {
        execve("/nonexistent/program", targv, environ);
        _exit(errno == ENOENT ? 42 : 43);
    }
    waitpid(c, &st, 0);
    status("vfork+execve missing (42 = ENOENT)", st);

    /* a vfork child echoing through a pipe via /bin/sh */
    int p[2];
    if (pipe(p))
        return 1;
    char *sargv[] = {"sh", "-c", "echo from-sh; exit 6", NULL};
    c = vfork();
    if (c == 0) {
        dup2(p[1], 1);
        execve("/bin/sh", sargv, environ);
        _exit(99);
    }
    close(p[1]);
    char buf[64];
    ssize_t n = read(p[0], buf, sizeof buf);
    print_escaped("output of vforked sh", buf, n);
    waitpid(c, &st, 0);
    status("vfork+execve sh", st);
    return 0;
}

static int spawn(void)
{
    pid_t pid = 0;
    int st;
    char *targv[] = {"true", NULL};
    int r = posix_spawn(&pid, "/bin/true", NULL, NULL, targv, environ);
    say("posix_spawn /bin/true: %s\n", r ? ename(r) : "0");
    check("waitpid returns the spawned pid", waitpid(pid, &st, 0) == pid);
    status("spawned /bin/true", st);

    char *margv[] = {"missing", NULL};
    pid = 0;
    r = posix_spawn(&pid, "/nonexistent/missing-program", NULL, NULL, margv, environ);
    say("posix_spawn missing program: %s\n", r ? ename(r) : "0");
    res("no child left to wait for", waitpid(-1, &st, WNOHANG));

    char *pargv[] = {"false", NULL};
    r = posix_spawnp(&pid, "false", NULL, NULL, pargv, environ);
    say("posix_spawnp false: %s\n", r ? ename(r) : "0");
    waitpid(pid, &st, 0);
    status("spawned false", st);

    /* file actions: stdout of the child into a pipe */
    int p[2];
    if (pipe(p))
        return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    char *eargv[] = {"echo", "spawned", "echo", NULL};
    r = posix_spawn(&pid, "/bin/echo", &fa, NULL, eargv, environ);
    say("posix_spawn /bin/echo with dup2: %s\n", r ? ename(r) : "0");
    close(p[1]);
    char buf[64];
    ssize_t n = read(p[0], buf, sizeof buf);
    print_escaped("echo output", buf, n);
    waitpid(pid, &st, 0);
    status("spawned echo", st);
    posix_spawn_file_actions_destroy(&fa);
    return 0;
}

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "";
    if (!strcmp(w, "exit"))
        return vfork_exit();
    if (!strcmp(w, "exec"))
        return vfork_exec();
    if (!strcmp(w, "spawn"))
        return spawn();
    fprintf(stderr, "usage: %s exit|exec|spawn\n", argv[0]);
    return 2;
}
