/* A blocked signal is never discarded as ignored when it is sent (Linux's sig_ignored):
 * SIGCHLD at its default (ignore) action, blocked, reaches sigtimedwait when a child
 * exits (trinity's parent waits for its children exactly so), and a blocked SIG_IGN
 * signal stays pending. Unblocked, both are discarded as before. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static int pending(int sig)
{
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, sig);
}

int main(void)
{
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    signal(SIGCHLD, SIG_DFL);

    /* trinity's loop: SIGCHLD blocked, sigtimedwait for it, kill(pid, 0) polls */
    sigprocmask(SIG_BLOCK, &chld, &old);
    pid_t c = fork();
    if (c == 0) {
        usleep(100000);
        _exit(3);
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    struct timespec ts = {10, 0};
    int r = sigtimedwait(&chld, &si, &ts);
    say("sigtimedwait for a child's exit, SIGCHLD default and blocked: %s\n",
        r == SIGCHLD ? "SIGCHLD" : ename(errno));
    say("  si_code %s si_status %d\n", si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status);
    check("  si_pid is the child", si.si_pid == c);
    res("  kill(child, 0) while it is a zombie", kill(c, 0));
    int st = 0;
    check("  waitpid reaps it", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 3);
    res("  kill(child, 0) once reaped", kill(c, 0));

    /* a child that exits while the parent does something else: SIGCHLD stays pending */
    c = fork();
    if (c == 0)
        _exit(0);
    check("waitpid of a second child", waitpid(c, &st, 0) == c);
    say("SIGCHLD pending after the second child, blocked: %s\n", pending(SIGCHLD) ? "yes" : "no");
    struct timespec zero = {0, 0};
    r = sigtimedwait(&chld, NULL, &zero);
    say("  taken by sigtimedwait: %s\n", r == SIGCHLD ? "SIGCHLD" : ename(errno));

    /* unblocked at its default action: discarded when sent */
    sigprocmask(SIG_SETMASK, &old, NULL);
    c = fork();
    if (c == 0)
        _exit(0);
    waitpid(c, &st, 0);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    say("SIGCHLD pending after a child exited while unblocked: %s\n",
        pending(SIGCHLD) ? "yes" : "no");
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* SIG_IGN: blocked, it is queued; unblocked, discarded */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    signal(SIGUSR1, SIG_IGN);
    kill(getpid(), SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    say("SIG_IGN SIGUSR1 sent unblocked, then blocked: pending %s\n",
        pending(SIGUSR1) ? "yes" : "no");
    kill(getpid(), SIGUSR1);
    say("SIG_IGN SIGUSR1 sent while blocked: pending %s\n", pending(SIGUSR1) ? "yes" : "no");
    r = sigtimedwait(&usr1, NULL, &zero);
    say("  sigtimedwait takes it: %s\n", r == SIGUSR1 ? "SIGUSR1" : ename(errno));
    kill(getpid(), SIGUSR1);
    signal(SIGUSR1, SIG_IGN);
    say("  setting SIG_IGN again discards it: pending %s\n", pending(SIGUSR1) ? "yes" : "no");
    return 0;
}
