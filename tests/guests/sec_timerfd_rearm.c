/* build: static */
/* Re-arms one timerfd, ITIMER_REAL and a POSIX timer 100000 times each with far
 * deadlines (each earlier than the one before): the kernel's own memory must not grow
 * with the calls. Harmless natively.
 *
 *   sec_timerfd_rearm
 */
#include "common.h"

#include <signal.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

int main(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    long failed = 0;
    for (long i = 0; i < 100000; i++) {
        struct itimerspec its = {{0, 0}, {86400L * 365 - i, 0}};
        if (timerfd_settime(fd, 0, &its, NULL))
            failed++;
    }
    for (long i = 0; i < 100000; i++) {
        struct itimerval it = {{0, 0}, {86400L * 365 - i, 0}};
        if (setitimer(ITIMER_REAL, &it, NULL))
            failed++;
    }
    timer_t t;
    struct sigevent sev = {0};
    sev.sigev_notify = SIGEV_NONE;
    timer_create(CLOCK_MONOTONIC, &sev, &t);
    for (long i = 0; i < 100000; i++) {
        struct itimerspec its = {{0, 0}, {86400L * 365 - i, 0}};
        if (timer_settime(t, 0, &its, NULL))
            failed++;
    }
    res("failed settimes", failed);
    return 0;
}
