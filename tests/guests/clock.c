/* clock_gettime, clock_getres, gettimeofday, time: through glibc (vDSO) and
 * through raw syscalls. */
#include "common.h"
#include <sys/time.h>
#include <time.h>

static double ts(struct timespec t)
{
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
    struct timespec t, prev;
    struct timeval tv;
    static const struct { const char *name; clockid_t id; } clocks[] = {
        {"REALTIME", CLOCK_REALTIME},
        {"MONOTONIC", CLOCK_MONOTONIC},
        {"PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID},
        {"THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID},
        {"MONOTONIC_RAW", CLOCK_MONOTONIC_RAW},
        {"REALTIME_COARSE", CLOCK_REALTIME_COARSE},
        {"MONOTONIC_COARSE", CLOCK_MONOTONIC_COARSE},
        {"BOOTTIME", CLOCK_BOOTTIME},
    };
    char l[128];
    for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        snprintf(l, sizeof l, "clock_gettime %s", clocks[i].name);
        long r = syscall(SYS_clock_gettime, clocks[i].id, &t);
        rok(l, r);
        check("  tv_nsec in range", t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
        snprintf(l, sizeof l, "clock_gettime vdso %s", clocks[i].name);
        rok(l, clock_gettime(clocks[i].id, &t));
        snprintf(l, sizeof l, "clock_getres %s", clocks[i].name);
        rok(l, syscall(SYS_clock_getres, clocks[i].id, &t));
        check("  res > 0 and <= 1s", t.tv_sec == 0 && t.tv_nsec > 0);
    }
    syscall(SYS_clock_getres, CLOCK_MONOTONIC, &t);
    say("MONOTONIC resolution: %ld ns\n", t.tv_nsec);
    syscall(SYS_clock_getres, CLOCK_REALTIME, &t);
    say("REALTIME resolution: %ld ns\n", t.tv_nsec);

    res("clock_gettime bad clock 1000", syscall(SYS_clock_gettime, 1000, &t));
    res("clock_gettime bad clock 10", syscall(SYS_clock_gettime, 10, &t));
    res("clock_getres bad clock 1000", syscall(SYS_clock_getres, 1000, &t));
    res("vdso clock_gettime bad clock", clock_gettime(1000, &t));

    int mono_ok = 1;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &prev);
    for (int i = 0; i < 300; i++) {
        if (i % 2)
            syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
        else
            clock_gettime(CLOCK_MONOTONIC, &t);
        if (ts(t) < ts(prev))
            mono_ok = 0;
        prev = t;
    }
    check("MONOTONIC non-decreasing (raw and vdso mixed)", mono_ok);

    struct timespec rt;
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt);
    check("REALTIME after 2020", rt.tv_sec > 1577836800);
    res("gettimeofday raw", syscall(SYS_gettimeofday, &tv, NULL));
    check("gettimeofday close to REALTIME", labs(tv.tv_sec - rt.tv_sec) <= 2);
    check("tv_usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    struct timezone tz;
    res("gettimeofday with tz", syscall(SYS_gettimeofday, &tv, &tz));
    res("gettimeofday NULL NULL", syscall(SYS_gettimeofday, NULL, NULL));
    rok("gettimeofday vdso", gettimeofday(&tv, NULL));
    check("vdso gettimeofday close", labs(tv.tv_sec - rt.tv_sec) <= 2);

    time_t tt = 0;
    long r = syscall(SYS_time, &tt);
    check("time raw == stored", r == tt);
    check("time raw close to REALTIME", labs(r - rt.tv_sec) <= 2);
    check("time raw NULL", labs(syscall(SYS_time, NULL) - rt.tv_sec) <= 2);
    check("time vdso", labs(time(NULL) - rt.tv_sec) <= 2);

    struct timespec c0, c1;
    syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &c0);
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 30000000; i++)
        x += i;
    syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &c1);
    check("process CPU time advances", ts(c1) > ts(c0));
    return 0;
}
