/* nanosleep: short sleeps and argument validation. */
#include "common.h"
#include <time.h>

static double now(void)
{
    struct timespec t;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
    struct timespec req = {0, 20 * 1000 * 1000}, rem = {7, 7};
    double t0 = now();
    res("nanosleep 20ms", syscall(SYS_nanosleep, &req, &rem));
    double dt = now() - t0;
    check("slept at least 20ms", dt >= 0.020);
    check("slept less than 5s", dt < 5);
    req = (struct timespec){0, 0};
    res("nanosleep 0", syscall(SYS_nanosleep, &req, NULL));
    req = (struct timespec){0, 1};
    res("nanosleep 1ns", syscall(SYS_nanosleep, &req, NULL));
    req = (struct timespec){0, 1000000000};
    res("tv_nsec = 1e9", syscall(SYS_nanosleep, &req, NULL));
    req = (struct timespec){0, -1};
    res("tv_nsec = -1", syscall(SYS_nanosleep, &req, NULL));
    req = (struct timespec){-1, 0};
    res("tv_sec = -1", syscall(SYS_nanosleep, &req, NULL));
    res("req NULL", syscall(SYS_nanosleep, NULL, NULL));
    res("req bad pointer", syscall(SYS_nanosleep, BADPTR, NULL));
    req = (struct timespec){0, 1000};
    t0 = now();
    for (int i = 0; i < 10; i++)
        nanosleep(&req, NULL);
    check("10 x 1us sleeps finish quickly", now() - t0 < 5);
    req = (struct timespec){0, 30 * 1000 * 1000};
    t0 = now();
    res("glibc nanosleep 30ms", nanosleep(&req, NULL));
    check("slept at least 30ms", now() - t0 >= 0.030);
    return 0;
}
