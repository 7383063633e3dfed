/* build: static */
/* Re-arms one timerfd 200000 times with far deadlines (each earlier than the one before):
 * the kernel's own memory must not grow with the calls. Harmless natively.
 *
 *   sec_timerfd_rearm
 */
#include "common.h"

#include <sys/timerfd.h>

int main(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    long failed = 0;
    for (long i = 0; i < 200000; i++) {
        struct itimerspec its = {{0, 0}, {86400L * 365 - i, 0}};
        if (timerfd_settime(fd, 0, &its, NULL))
            failed++;
    }
    res("failed settimes", failed);
    return 0;
}
