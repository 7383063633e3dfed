/* Setting the clock (clock_settime, settimeofday, adjtimex, clock_adjtime), the kernel
 * log (syslog), vhangup and reboot: the argument checks and permission rules in Linux's
 * order. Natively only calls that change nothing run as root: clock changes and reboot
 * are tried as an unprivileged user, or with arguments that fail before any change. */
#include "common.h"
#include <sys/klog.h>
#include <sys/reboot.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/reboot.h>

static void unprivileged(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    res("user clock_settime", clock_settime(CLOCK_REALTIME, &ts));
    res("user clock_settime MONOTONIC", syscall(SYS_clock_settime, CLOCK_MONOTONIC, &ts));
    struct timeval tv = {ts.tv_sec, 0};
    res("user settimeofday", syscall(SYS_settimeofday, &tv, NULL));
    struct timezone tz = {60, 0};
    res("user settimeofday tz", syscall(SYS_settimeofday, NULL, &tz));
    tv.tv_usec = 1000000;
    res("user settimeofday bad usec", syscall(SYS_settimeofday, &tv, NULL));
    struct timex tx = {0};
    long state = adjtimex(&tx);
    say("user adjtimex read: %s\n", state >= 0 ? "ok" : "BAD");
    tx.modes = ADJ_FREQUENCY;
    res("user adjtimex set", adjtimex(&tx));
    tx.modes = ADJ_OFFSET_SS_READ;
    say("user adjtimex ss read: %s\n", adjtimex(&tx) >= 0 ? "ok" : "BAD");
    tx.modes = 0x8000;
    res("user adjtimex ADJTIME alone", adjtimex(&tx));
    char buf[256];
    res("user syslog READ_ALL", klogctl(3, buf, sizeof buf));
    res("user syslog SIZE_BUFFER", klogctl(10, NULL, 0) > 0 ? 0 : -1);
    res("user syslog CLEAR", klogctl(5, NULL, 0));
    res("user syslog bad action", klogctl(99, NULL, 0));
    res("user vhangup", vhangup());
    res("user reboot", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                               LINUX_REBOOT_CMD_CAD_ON, NULL));
}

int main(void)
{
    struct timespec ts;
    say("== clock_settime checks that fail before any change\n");
    res("EFAULT", syscall(SYS_clock_settime, CLOCK_REALTIME, BADPTR));
    res("MONOTONIC", syscall(SYS_clock_settime, CLOCK_MONOTONIC, &ts));
    res("BOOTTIME", syscall(SYS_clock_settime, CLOCK_BOOTTIME, &ts));
    res("REALTIME_COARSE", syscall(SYS_clock_settime, CLOCK_REALTIME_COARSE, &ts));
    res("bad clock 99", syscall(SYS_clock_settime, 99, &ts));
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    res("PROCESS_CPUTIME", syscall(SYS_clock_settime, CLOCK_PROCESS_CPUTIME_ID, &ts));
    res("THREAD_CPUTIME", syscall(SYS_clock_settime, CLOCK_THREAD_CPUTIME_ID, &ts));
    struct timespec bad = {0, 1000000000L};
    res("nsec 1e9", syscall(SYS_clock_settime, CLOCK_REALTIME, &bad));
    struct timespec neg = {-1, 0};
    res("negative", syscall(SYS_clock_settime, CLOCK_REALTIME, &neg));
    struct timespec early = {1, 0};
    res("before boot", syscall(SYS_clock_settime, CLOCK_REALTIME, &early));
    struct timespec far = {(long)1 << 40, 0};
    res("too far", syscall(SYS_clock_settime, CLOCK_REALTIME, &far));

    say("== settimeofday checks\n");
    res("EFAULT tv", syscall(SYS_settimeofday, BADPTR, NULL));
    struct timeval tv = {1, 1000000};
    res("usec 1e6", syscall(SYS_settimeofday, &tv, NULL));
    struct timezone tz = {16 * 60, 0};
    res("zone out of range", syscall(SYS_settimeofday, NULL, &tz));
    res("nothing", syscall(SYS_settimeofday, NULL, NULL));
    struct timezone got = {1, 1};
    gettimeofday(&tv, &got);
    say("gettimeofday tz: %d %d\n", got.tz_minuteswest, got.tz_dsttime);

    say("== adjtimex checks\n");
    struct timex tx = {0};
    res("EFAULT", syscall(SYS_adjtimex, BADPTR));
    say("read: %s\n", adjtimex(&tx) >= 0 ? "ok" : "BAD");
    clock_gettime(CLOCK_REALTIME, &ts);
    say("time field near now: %s\n", tx.time.tv_sec >= ts.tv_sec - 2 &&
        tx.time.tv_sec <= ts.tv_sec + 2 ? "yes" : "BAD");
    tx.modes = ADJ_TICK;
    tx.tick = 1;
    res("tick too small", adjtimex(&tx));
    tx.modes = 0x8000;
    res("ADJTIME alone", adjtimex(&tx));
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_SETOFFSET;
    tx.time.tv_usec = -1;
    res("SETOFFSET negative usec", adjtimex(&tx));
    tx.time.tv_usec = 1000000;
    res("SETOFFSET usec 1e6", adjtimex(&tx));
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_FREQUENCY;
    tx.freq = (long)1 << 60;
    res("freq overflow", adjtimex(&tx));
    memset(&tx, 0, sizeof tx);
    res("clock_adjtime MONOTONIC", clock_adjtime(CLOCK_MONOTONIC, &tx));
    res("clock_adjtime CPU", clock_adjtime(CLOCK_PROCESS_CPUTIME_ID, &tx));
    res("clock_adjtime bad", clock_adjtime(99, &tx));
    res("clock_adjtime EFAULT", syscall(SYS_clock_adjtime, CLOCK_REALTIME, BADPTR));
    say("clock_adjtime read: %s\n", clock_adjtime(CLOCK_REALTIME, &tx) >= 0 ? "ok" : "BAD");

    say("== syslog as root\n");
    char buf[64];
    res("READ_ALL NULL", klogctl(3, NULL, 10));
    res("READ_ALL len -1", klogctl(3, buf, -1));
    res("READ_ALL len 0", klogctl(3, buf, 0));
    res("READ_ALL EFAULT", klogctl(3, BADPTR, 10));
    res("READ NULL", klogctl(2, NULL, 10));
    res("CONSOLE_LEVEL 0", klogctl(8, NULL, 0));
    res("CONSOLE_LEVEL 9", klogctl(8, NULL, 9));
    res("bad action", klogctl(11, NULL, 0));
    res("negative action", klogctl(-1, NULL, 0));
    res("OPEN", klogctl(1, NULL, 0));
    res("CLOSE", klogctl(0, NULL, 0));
    say("SIZE_BUFFER > 0: %s\n", klogctl(10, NULL, 0) > 0 ? "yes" : "BAD");
    say("SIZE_UNREAD >= 0: %s\n", klogctl(9, NULL, 0) >= 0 ? "yes" : "BAD");

    say("== reboot checks that fail before any change\n");
    res("bad magic1", syscall(SYS_reboot, 1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_ON, NULL));
    res("bad magic2", syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 7, LINUX_REBOOT_CMD_CAD_ON, NULL));

    say("== restart_syscall with nothing to restart\n");
    res("restart_syscall", syscall(SYS_restart_syscall));

    say("== as another user\n");
    pid_t pid = fork();
    if (pid == 0) {
        if (setresuid(65534, 65534, 65534))
            say("setresuid: BAD\n");
        unprivileged();
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    say("child: %d\n", WEXITSTATUS(st));
    return 0;
}
