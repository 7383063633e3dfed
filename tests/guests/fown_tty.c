/* O_ASYNC on a pseudo-terminal: the owner of the master gets its signal when the slave
 * writes, the owner of the slave when a line arrives from the master. */
#include "common.h"
#include <signal.h>
#include <termios.h>

#define RT (SIGRTMIN + 5)

static sigset_t set;

static void wait_sig(const char *label, int fd)
{
    struct timespec ts = {5, 0};
    siginfo_t si;
    int s = sigtimedwait(&set, &si, &ts);
    if (s < 0)
        say("%s: none\n", label);
    else
        say("%s: %s code %d fd %s\n", label, s == RT ? "RT" : "SIGIO", si.si_code,
            si.si_fd == fd ? "ok" : "other");
}

int main(void)
{
    char buf[64];
    sigemptyset(&set);
    sigaddset(&set, RT);
    sigaddset(&set, SIGIO);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m)) {
        say("no pty\ndone\n");
        return 0;
    }
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    fcntl(m, F_SETOWN, getpid());
    fcntl(m, F_SETSIG, RT);
    res("master O_ASYNC", fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_ASYNC));
    res("master getfl O_ASYNC", !!(fcntl(m, F_GETFL) & O_ASYNC));
    write(s, "hi\n", 3);
    wait_sig("master, slave wrote", m);
    usleep(50000);
    read(m, buf, sizeof buf);
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) & ~O_ASYNC);
    res("master O_ASYNC off", !!(fcntl(m, F_GETFL) & O_ASYNC));
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) > 0)
        ;
    fcntl(s, F_SETOWN, getpid());
    fcntl(s, F_SETSIG, RT);
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_ASYNC);
    write(m, "partial", 7);
    usleep(100000);
    int got = sigtimedwait(&set, NULL, &zero);
    say("slave, no full line yet: %s\n", got < 0 ? "none" : "signal");
    write(m, " line\n", 6);
    wait_sig("slave, line done", s);
    say("done\n");
    return 0;
}
