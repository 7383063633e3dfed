/* sigsuspend: returns -1 EINTR after a handler ran; the mask is restored. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static volatile int got;
static volatile int usr2_blocked_in_handler;

static void h(int sig)
{
    got = sig;
    sigset_t s;
    sigprocmask(SIG_BLOCK, NULL, &s);
    usr2_blocked_in_handler = sigismember(&s, SIGUSR2);
}

static int blocked(int sig)
{
    sigset_t s;
    sigprocmask(SIG_BLOCK, NULL, &s);
    return sigismember(&s, sig);
}

int main(void)
{
    signal(SIGUSR1, h);
    signal(SIGUSR2, h);
    sigset_t block, old, during;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &old);

    /* already pending when sigsuspend is called */
    kill(getpid(), SIGUSR1);
    sigemptyset(&during);
    sigaddset(&during, SIGUSR2);
    errno = 0;
    int r = sigsuspend(&during);
    say("sigsuspend with SIGUSR1 pending: %d %s, got %s\n", r, ename(errno),
        got == SIGUSR1 ? "SIGUSR1" : "?");
    check("  the temporary mask was in force in the handler (SIGUSR2 blocked)", usr2_blocked_in_handler);
    check("  old mask restored: SIGUSR1 blocked again", blocked(SIGUSR1));
    check("  old mask restored: SIGUSR2 blocked again", blocked(SIGUSR2));

    /* a signal sent by a child later */
    got = 0;
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        usleep(100000);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    sigemptyset(&during);
    errno = 0;
    r = sigsuspend(&during);
    say("sigsuspend woken by a child's SIGUSR2: %d %s, got %s\n", r, ename(errno),
        got == SIGUSR2 ? "SIGUSR2" : "?");
    check("  mask restored", blocked(SIGUSR1) && blocked(SIGUSR2));
    int st;
    waitpid(c, &st, 0);

    /* a blocked signal in the sigsuspend mask does not wake it: only the second one does */
    got = 0;
    c = fork();
    if (c == 0) {
        kill(parent, SIGUSR2);
        usleep(100000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    sigemptyset(&during);
    sigaddset(&during, SIGUSR2);
    r = sigsuspend(&during);
    say("sigsuspend with SIGUSR2 masked: woke for %s\n", got == SIGUSR1 ? "SIGUSR1" : "?");
    waitpid(c, &st, 0);
    sigset_t pend;
    sigpending(&pend);
    check("  SIGUSR2 still pending", sigismember(&pend, SIGUSR2));
    got = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    say("after unblocking: got %s\n", got == SIGUSR2 ? "SIGUSR2" : "?");
    return 0;
}
