/* A SIGCHLD handler runs when a child exits; SIG_IGN and SA_NOCLDWAIT.
 *   sig_chld handler | ignore | nocldwait */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static volatile int chld_calls, chld_code, chld_status, chld_pid_ok;
static volatile pid_t expect;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    chld_calls++;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_ok = si->si_pid == expect;
}

static int ignore(void)
{
    /* SIG_IGN for SIGCHLD: children are reaped automatically, a blocked
     * wait4 returns ECHILD once they are gone */
    signal(SIGCHLD, SIG_IGN);
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        _exit(1);
    }
    int st;
    res("wait4 with SIGCHLD ignored (waits, then ECHILD)", wait4(-1, &st, 0, NULL));
    c = fork();
    if (c == 0)
        _exit(1);
    usleep(100000);
    res("waitpid for an already exited child, SIGCHLD ignored", waitpid(c, &st, WNOHANG));
    return 0;
}

static int nocldwait(void)
{
    /* SA_NOCLDWAIT with a handler: the handler still runs, no zombie is left */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t c = fork();
    if (c == 0)
        _exit(2);
    expect = c;
    while (!chld_calls)
        sigsuspend(&old);
    say("SA_NOCLDWAIT handler calls: %d\n", chld_calls);
    say("si_code %s si_status %d\n", chld_code == CLD_EXITED ? "CLD_EXITED" : "?", chld_status);
    int st;
    res("wait4 with SA_NOCLDWAIT", wait4(-1, &st, 0, NULL));
    return 0;
}

static int handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGCHLD, &sa, NULL);

    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t c = fork();
    if (c == 0)
        _exit(5);
    expect = c;
    /* wait for the handler with SIGCHLD unblocked */
    while (!chld_calls)
        sigsuspend(&old);
    say("SIGCHLD handler calls: %d\n", chld_calls);
    say("si_code %s si_status %d\n", chld_code == CLD_EXITED ? "CLD_EXITED" : "?", chld_status);
    check("si_pid is the child", chld_pid_ok);
    int st;
    check("child still waitable after the handler", waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 5);

    /* killed child: CLD_KILLED */
    chld_calls = 0;
    c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    expect = c;
    kill(c, SIGKILL);
    while (!chld_calls)
        sigsuspend(&old);
    say("killed child: si_code %s si_status %d\n", chld_code == CLD_KILLED ? "CLD_KILLED" : "?", chld_status);
    waitpid(c, &st, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "";
    if (!strcmp(w, "handler"))
        return handler();
    if (!strcmp(w, "ignore"))
        return ignore();
    if (!strcmp(w, "nocldwait"))
        return nocldwait();
    fprintf(stderr, "usage: %s handler|ignore|nocldwait\n", argv[0]);
    return 2;
}
