/* ppoll, pselect6 and epoll_pwait apply their signal mask for the wait only:
 * a blocked SIGUSR1 the temporary mask lets through interrupts the wait (EINTR)
 * and its handler runs; one the temporary mask blocks does not; the real mask
 * is back after the call either way. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

static volatile sig_atomic_t hits;
static void on_usr1(int s) { (void)s; hits++; }

static void still_blocked(const char *label)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("%s: SIGUSR1 blocked after the call: %d, handler ran %d\n", label,
           sigismember(&cur, SIGUSR1), (int)hits);
    hits = 0;
}

int main(void)
{
    signal(SIGUSR1, on_usr1);
    sigset_t block, open_mask, closed_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigemptyset(&open_mask);
    closed_mask = block;
    int p[2];
    pipe(p);
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    struct timespec ts = {0, 50 * 1000 * 1000};

    raise(SIGUSR1);                  /* pending, blocked */
    res("ppoll, mask keeps it blocked", ppoll(&pfd, 1, &ts, &closed_mask));
    still_blocked("ppoll closed");
    res("ppoll, mask lets it in", ppoll(&pfd, 1, &ts, &open_mask));
    still_blocked("ppoll open");

    raise(SIGUSR1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    res("pselect, mask lets it in", pselect(p[0] + 1, &r, NULL, NULL, &ts, &open_mask));
    still_blocked("pselect open");

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    raise(SIGUSR1);
    struct epoll_event out;
    res("epoll_pwait, mask keeps it blocked", epoll_pwait(ep, &out, 1, 50, &closed_mask));
    still_blocked("epoll_pwait closed");
    res("epoll_pwait, mask lets it in", epoll_pwait(ep, &out, 1, 50, &open_mask));
    still_blocked("epoll_pwait open");

    /* Ready at once: no EINTR, the signal stays pending and blocked. */
    write(p[1], "x", 1);
    raise(SIGUSR1);
    res("ppoll with data ready", ppoll(&pfd, 1, &ts, &open_mask));
    still_blocked("ppoll ready");
    sigset_t pend;
    sigpending(&pend);
    printf("still pending: %d\n", sigismember(&pend, SIGUSR1));

    /* A signal arriving during the wait, from a child. */
    char c;
    read(p[0], &c, 1);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    struct timespec long_ts = {2, 0};
    res("ppoll interrupted from outside", ppoll(&pfd, 1, &long_ts, &open_mask));
    still_blocked("ppoll outside");
    waitpid(pid, NULL, 0);
    res("bad sigsetsize", syscall(SYS_ppoll, &pfd, 1, &ts, &open_mask, 4));
    return 0;
}
