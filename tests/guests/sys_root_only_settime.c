/* ONLY under umlskas (it refuses to run otherwise): a root guest sets its own clock
 * (settimeofday, clock_settime, adjtimex ADJ_SETOFFSET, the time zone), which moves the
 * guest's CLOCK_REALTIME and nothing else; then, with argv[1] "reboot", reboots its world. */
#include "common.h"
#include <linux/reboot.h>
#include <sys/klog.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>

static long now_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec;
}

int main(int argc, char **argv)
{
    if (!getenv("UMLSKAS_GUEST_ONLY"))
        return 3;                    /* never change the host's clock natively */
    if (argc > 1 && !strcmp(argv[1], "reboot")) {
        pid_t pid = fork();
        if (pid == 0) {
            syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                    LINUX_REBOOT_CMD_POWER_OFF, NULL);
            say("child after reboot: BAD\n");
            _exit(1);
        }
        pause();
        say("init after reboot: BAD\n");
        return 1;
    }
    long rt = now_s(CLOCK_REALTIME), mono = now_s(CLOCK_MONOTONIC);
    struct timeval tv = {rt + 86400, 0};
    res("settimeofday +1 day", syscall(SYS_settimeofday, &tv, NULL));
    long d = now_s(CLOCK_REALTIME) - rt;
    say("realtime moved a day: %s\n", d >= 86400 && d <= 86402 ? "yes" : "BAD");
    d = now_s(CLOCK_MONOTONIC) - mono;
    say("monotonic unmoved: %s\n", d >= 0 && d <= 2 ? "yes" : "BAD");
    d = time(NULL) - rt;
    say("time() agrees: %s\n", d >= 86400 && d <= 86402 ? "yes" : "BAD");
    struct timex tx = {0};
    tx.modes = ADJ_SETOFFSET;
    tx.time.tv_sec = -86400 * 2;
    res("adjtimex SETOFFSET -2 days", adjtimex(&tx) >= 0 ? 0 : -1);
    d = now_s(CLOCK_REALTIME) - rt;
    say("realtime a day back: %s\n", d >= -86400 && d <= -86398 ? "yes" : "BAD");
    struct timespec ts = {rt, 0};
    res("clock_settime back", clock_settime(CLOCK_REALTIME, &ts));
    d = now_s(CLOCK_REALTIME) - rt;
    say("realtime back: %s\n", d >= 0 && d <= 2 ? "yes" : "BAD");
    struct timezone tz = {-120, 0};
    res("set zone", syscall(SYS_settimeofday, NULL, &tz));
    struct timezone got;
    gettimeofday(&tv, &got);
    say("zone: %d\n", got.tz_minuteswest);
    pid_t pid = fork();
    if (pid == 0) {
        say("child sees the clock: %s\n", now_s(CLOCK_REALTIME) - rt <= 2 ? "yes" : "BAD");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    char buf[512];
    int n = klogctl(3, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    say("kernel log names umlskas: %s\n", strstr(buf, "umlskas") ? "yes" : "BAD");
    return 0;
}
