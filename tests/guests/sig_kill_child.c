/* kill(child, SIG) and the wait status the parent sees. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static void show(const char *label, int st)
{
    say("%s: WIFEXITED %d WIFSIGNALED %d", label, WIFEXITED(st), WIFSIGNALED(st));
    if (WIFSIGNALED(st))
        say(" WTERMSIG %d (%s) WCOREDUMP %d\n", WTERMSIG(st), sigabbrev_np(WTERMSIG(st)), WCOREDUMP(st) != 0);
    else
        say(" WEXITSTATUS %d\n", WEXITSTATUS(st));
}

static void on_term(int sig)
{
    _exit(100 + sig);
}

/* child that reports readiness (handler installed or not) and then blocks */
static pid_t blocked_child(int with_handler, int ignore)
{
    int ready[2];
    if (pipe(ready))
        exit(1);
    pid_t c = fork();
    if (c == 0) {
        if (with_handler)
            signal(SIGTERM, on_term);
        if (ignore)
            signal(SIGTERM, SIG_IGN);
        write(ready[1], "r", 1);
        for (;;)
            pause();
    }
    char b;
    read(ready[0], &b, 1);
    close(ready[0]);
    close(ready[1]);
    return c;
}

int main(void)
{
    int st;
    pid_t c = blocked_child(0, 0);
    res("kill(child, SIGTERM)", kill(c, SIGTERM));
    check("waitpid returns the child", waitpid(c, &st, 0) == c);
    show("SIGTERM, default action", st);

    c = blocked_child(0, 0);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    show("SIGKILL", st);

    c = blocked_child(1, 0);
    kill(c, SIGTERM);
    waitpid(c, &st, 0);
    show("SIGTERM with a handler calling _exit(100+sig)", st);

    c = blocked_child(0, 1);
    kill(c, SIGTERM); /* ignored */
    kill(c, SIGINT);
    waitpid(c, &st, 0);
    show("SIGTERM ignored, then SIGINT", st);

    c = blocked_child(0, 0);
    kill(c, SIGUSR2);
    waitpid(c, &st, 0);
    show("SIGUSR2, default action", st);

    c = blocked_child(0, 0);
    kill(c, SIGHUP);
    waitpid(c, &st, 0);
    show("SIGHUP, default action", st);

    res("kill(reaped child, 0)", kill(c, 0));
    /* a zombie can still be signalled (kill succeeds, nothing happens) */
    c = fork();
    if (c == 0)
        _exit(3);
    siginfo_t si;
    waitid(P_PID, c, &si, WEXITED | WNOWAIT);
    res("kill(zombie, SIGTERM)", kill(c, SIGTERM));
    waitpid(c, &st, 0);
    show("zombie's status unchanged by the signal", st);
    return 0;
}
