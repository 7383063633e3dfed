/* timerfd_create/settime/gettime(2): argument checks in Linux's order, one-shot and
 * periodic expirations counted on read, nonblocking reads, poll and epoll readiness,
 * absolute timers on CLOCK_REALTIME, TFD_IOC_SET_TICKS, fdinfo, a read woken in a child. */
#include "common.h"
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

#define MS 1000000L

static struct itimerspec its(long value_ns, long interval_ns)
{
    struct itimerspec t = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
                           {value_ns / 1000000000L, value_ns % 1000000000L}};
    return t;
}

static void rd(const char *label, int fd)
{
    uint64_t v = 0;
    long r = read(fd, &v, 8);
    if (r == -1)
        res(label, r);
    else
        say("%s: %ld ticks %llu\n", label, r, (unsigned long long)v);
}

static int readable(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    return p.revents;
}

int main(void)
{
    say("== create\n");
    res("bad clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
    res("bad clock 99", timerfd_create(99, 0));
    res("bad flags", timerfd_create(CLOCK_MONOTONIC, 1));
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    rok("create", fd);
    say("F_GETFL: %#x\n", fcntl(fd, F_GETFL) & ~O_LARGEFILE);
    res("F_GETFD", fcntl(fd, F_GETFD));
    char link[64] = {0}, path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    readlink(path, link, sizeof link - 1);
    say("link: %s\n", link);
    int boot = timerfd_create(CLOCK_BOOTTIME, 0);
    rok("boottime", boot);
    close(boot);

    say("== settime checks\n");
    struct itimerspec t = its(0, 0), old;
    res("settime EFAULT", timerfd_settime(fd, 0, BADPTR, NULL));
    res("settime bad flags", timerfd_settime(fd, 4, &t, NULL));
    res("settime bad flags, bad fd", timerfd_settime(999, 4, &t, NULL));
    res("settime bad fd", timerfd_settime(999, 0, &t, NULL));
    res("settime not a timerfd", timerfd_settime(1, 0, &t, NULL));
    struct itimerspec bad = {{0, 0}, {0, 1000000000L}};
    res("settime nsec", timerfd_settime(fd, 0, &bad, NULL));
    struct itimerspec neg = {{0, 0}, {-1, 0}};
    res("settime negative", timerfd_settime(fd, 0, &neg, NULL));
    res("gettime bad fd", timerfd_gettime(999, &t));
    res("gettime not a timerfd", timerfd_gettime(0, &t));
    res("gettime EFAULT", timerfd_gettime(fd, BADPTR));
    res("gettime disarmed", timerfd_gettime(fd, &t));
    say("disarmed: %ld %ld %ld %ld\n", (long)t.it_value.tv_sec, t.it_value.tv_nsec,
        (long)t.it_interval.tv_sec, t.it_interval.tv_nsec);

    say("== one-shot\n");
    rd("read disarmed", fd);
    uint32_t small;
    res("read 4 bytes", read(fd, &small, 4));
    t = its(80 * MS, 0);
    res("arm 80ms", timerfd_settime(fd, 0, &t, NULL));
    timerfd_gettime(fd, &t);
    say("left in (0,80ms]: %s\n", t.it_value.tv_sec == 0 && t.it_value.tv_nsec > 0 &&
        t.it_value.tv_nsec <= 80 * MS ? "yes" : "BAD");
    rd("read early", fd);
    say("poll early: %#x\n", readable(fd));
    struct pollfd p = {fd, POLLIN, 0};
    say("poll wait: %d\n", poll(&p, 1, 5000));
    say("poll after: %#x\n", readable(fd));
    timerfd_gettime(fd, &t);
    say("left after expiry: %ld %ld\n", (long)t.it_value.tv_sec, t.it_value.tv_nsec);
    rd("read expired", fd);
    rd("read again", fd);

    say("== periodic\n");
    t = its(10 * MS, 10 * MS);
    res("arm every 10ms", timerfd_settime(fd, 0, &t, &old));
    usleep(65 * 1000);
    uint64_t v = 0;
    read(fd, &v, 8);
    say("ticks after 65ms in [5,7]: %s\n", v >= 5 && v <= 7 ? "yes" : "BAD");
    t = its(0, 0);
    res("disarm", timerfd_settime(fd, 0, &t, &old));
    say("old interval: %ld %ld\n", (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
    say("old value in (0,10ms]: %s\n", old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 &&
        old.it_value.tv_nsec <= 10 * MS ? "yes" : "BAD");
    rd("read disarmed again", fd);

    say("== settime resets the count\n");
    t = its(1, 0);
    timerfd_settime(fd, 0, &t, NULL);
    usleep(2000);
    say("expired: %#x\n", readable(fd));
    t = its(1000 * MS, 0);
    timerfd_settime(fd, 0, &t, NULL);
    rd("read after re-arm", fd);

    say("== absolute realtime\n");
    int rt = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec a = {{0, 0}, {now.tv_sec - 1, 0}};
    res("abs past", timerfd_settime(rt, TFD_TIMER_ABSTIME, &a, NULL));
    rd("read abs past", rt);
    a.it_value.tv_sec = now.tv_sec + 100;
    res("abs future", timerfd_settime(rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &a, NULL));
    timerfd_gettime(rt, &t);
    say("abs left ~100s: %s\n", t.it_value.tv_sec >= 98 && t.it_value.tv_sec <= 100 ?
        "yes" : "BAD");

    say("== epoll\n");
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN, {.u64 = 7}};
    epoll_ctl(ep, EPOLL_CTL_ADD, rt, &ev);
    t = its(30 * MS, 0);
    timerfd_settime(rt, 0, &t, NULL);
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 5000);
    say("epoll: %d data %llu events %#x\n", n, (unsigned long long)out.data.u64, out.events);
    rd("read after epoll", rt);

    say("== TFD_IOC_SET_TICKS and fdinfo\n");
    uint64_t set = 0;
    res("set ticks 0", ioctl(rt, TFD_IOC_SET_TICKS, &set));
    set = 42;
    res("set ticks 42", ioctl(rt, TFD_IOC_SET_TICKS, &set));
    res("other ioctl", ioctl(rt, 0x5401, &set));
    t = its(3 * 1000 * MS, 2 * 1000 * MS);
    timerfd_settime(fd, 0, &t, NULL);
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "clockid", 7) || !strncmp(line, "ticks", 5) ||
            !strncmp(line, "settime", 7) || !strncmp(line, "it_interval", 11))
            say("fdinfo %s", line);
    if (f)
        fclose(f);
    rd("read set ticks", rt);

    say("== blocking read in a child\n");
    t = its(40 * MS, 0);
    timerfd_settime(rt, 0, &t, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        rd("child read", rt);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    say("child: %d\n", WEXITSTATUS(st));
    return 0;
}
