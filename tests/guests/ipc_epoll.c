/* epoll_create/epoll_create1/epoll_ctl/epoll_wait/epoll_pwait/epoll_pwait2
 * over pipes, eventfds, socketpairs and nested epolls: errors, level and edge
 * triggering, one-shot, timeouts, close removing entries, blocking waits. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

static void show(const char *label, int n, struct epoll_event *ev)
{
    if (n < 0) {
        res(label, n);
        return;
    }
    /* sort by data so the order of simultaneous events does not matter */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (ev[j].data.u64 < ev[i].data.u64) {
                struct epoll_event t = ev[i];
                ev[i] = ev[j];
                ev[j] = t;
            }
    printf("%s: %d", label, n);
    for (int i = 0; i < n; i++)
        printf(" [%llu %#x]", (unsigned long long)ev[i].data.u64, ev[i].events);
    printf("\n");
    fflush(stdout);
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event e = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event e = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static long ms_since(struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
    struct epoll_event ev[8];
    int p[2], q[2], sv[2];
    char buf[64];
    signal(SIGPIPE, SIG_IGN);

    say("== create\n");
    res("epoll_create 0", epoll_create(0));
    res("epoll_create -1", epoll_create(-1));
    res("epoll_create1 bad flags", epoll_create1(1));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    rok("epoll_create1", ep);
    res("F_GETFD", fcntl(ep, F_GETFD));
    say("F_GETFL: %#x\n", fcntl(ep, F_GETFL));
    int ep2 = epoll_create(10);
    rok("epoll_create", ep2);
    res("F_GETFD", fcntl(ep2, F_GETFD));

    say("== ctl errors\n");
    pipe(p);
    pipe(q);
    int efd = eventfd(0, EFD_NONBLOCK);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int reg = open("/proc/self/exe", O_RDONLY);
    int devnull = open("/dev/null", O_RDWR);
    res("add bad epfd", add(999, p[0], EPOLLIN, 1));
    res("add bad fd", add(ep, 999, EPOLLIN, 1));
    res("add regular file", add(ep, reg, EPOLLIN, 1));
    res("add /dev/null", add(ep, devnull, EPOLLIN, 1));
    res("add epoll to itself", add(ep, ep, EPOLLIN, 1));
    res("add to non-epoll", add(p[0], q[0], EPOLLIN, 1));
    res("del not added", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    res("mod not added", mod(ep, p[0], EPOLLIN, 1));
    res("bad op", epoll_ctl(ep, 99, p[0], &ev[0]));
    res("add bad event ptr", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], BADPTR));
    res("add exclusive|oneshot", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 1));
    res("add exclusive epoll", add(ep, ep2, EPOLLIN | EPOLLEXCLUSIVE, 1));
    res("add p0", add(ep, p[0], EPOLLIN, 1));
    res("add p0 again", add(ep, p[0], EPOLLIN, 1));
    res("mod exclusive", mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1));

    say("== wait errors\n");
    res("maxevents 0", epoll_wait(ep, ev, 0, 0));
    res("maxevents -1", syscall(SYS_epoll_wait, ep, ev, -1, 0));
    res("wait on pipe", epoll_wait(p[0], ev, 8, 0));
    res("wait bad fd", epoll_wait(999, ev, 8, 0));
    res("wait kernel ptr", epoll_wait(ep, KERNPTR, 8, 0));
    sigset_t ss;
    sigemptyset(&ss);
    res("pwait bad sigsetsize", syscall(SYS_epoll_pwait, ep, ev, 8, 0, &ss, 4));
    struct timespec bad = {0, 2000000000L};
    res("pwait2 bad timespec", syscall(SYS_epoll_pwait2, ep, ev, 8, &bad, NULL, 8));

    say("== level triggered\n");
    show("empty", epoll_wait(ep, ev, 8, 0), ev);
    write(p[1], "abc", 3);
    show("pipe readable", epoll_wait(ep, ev, 8, 0), ev);
    show("still readable", epoll_wait(ep, ev, 8, 0), ev);
    res("add p1 out", add(ep, p[1], EPOLLOUT, 2));
    res("add efd", add(ep, efd, EPOLLIN | EPOLLOUT, 3));
    res("add sv0", add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 4));
    show("three", epoll_wait(ep, ev, 8, 0), ev);
    show("maxevents 1", epoll_wait(ep, ev, 1, 0), ev);
    read(p[0], buf, sizeof buf);
    uint64_t one = 1;
    write(efd, &one, 8);
    write(sv[1], "x", 1);
    show("efd+sock", epoll_wait(ep, ev, 8, 0), ev);
    res("mod efd in", mod(ep, efd, EPOLLIN, 33));
    show("modded", epoll_wait(ep, ev, 8, 0), ev);
    res("del p1", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    res("del efd", epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
    read(sv[0], buf, sizeof buf);
    show("after reads", epoll_wait(ep, ev, 8, 0), ev);
    res("rdhup only", mod(ep, sv[0], EPOLLRDHUP, 4));
    shutdown(sv[1], SHUT_WR);
    show("peer shutdown wr", epoll_wait(ep, ev, 8, 0), ev);
    close(sv[1]);
    res("mod sv0 all", mod(ep, sv[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP, 4));
    show("peer closed", epoll_wait(ep, ev, 8, 0), ev);
    res("del sv0", epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
    close(p[1]);
    show("pipe writer closed", epoll_wait(ep, ev, 8, 0), ev);
    close(p[0]);
    show("closed fd forgotten", epoll_wait(ep, ev, 8, 0), ev);
    res("del closed fd", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));

    say("== dup keeps the entry\n");
    pipe(p);
    res("add p0", add(ep, p[0], EPOLLIN, 5));
    int d = dup(p[0]);
    close(p[0]);
    write(p[1], "z", 1);
    show("via dup", epoll_wait(ep, ev, 8, 0), ev);
    res("del closed fd number", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    close(d);
    show("dup closed", epoll_wait(ep, ev, 8, 0), ev);
    close(p[1]);

    say("== edge triggered\n");
    pipe2(p, O_NONBLOCK);
    res("add et", add(ep, p[0], EPOLLIN | EPOLLET, 6));
    show("nothing", epoll_wait(ep, ev, 8, 0), ev);
    write(p[1], "ab", 2);
    show("edge", epoll_wait(ep, ev, 8, 0), ev);
    show("no new edge", epoll_wait(ep, ev, 8, 0), ev);
    write(p[1], "c", 1);
    show("second edge", epoll_wait(ep, ev, 8, 0), ev);
    read(p[0], buf, 1);
    show("partial read", epoll_wait(ep, ev, 8, 0), ev);
    while (read(p[0], buf, sizeof buf) > 0)
        ;
    write(p[1], "d", 1);
    show("refilled", epoll_wait(ep, ev, 8, 0), ev);
    res("mod et", mod(ep, p[0], EPOLLIN | EPOLLET, 7));
    show("mod rearms", epoll_wait(ep, ev, 8, 0), ev);
    res("del", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));

    say("== one shot\n");
    res("add oneshot", add(ep, p[0], EPOLLIN | EPOLLONESHOT, 8));
    show("once", epoll_wait(ep, ev, 8, 0), ev);
    show("disabled", epoll_wait(ep, ev, 8, 0), ev);
    write(p[1], "e", 1);
    show("still disabled", epoll_wait(ep, ev, 8, 0), ev);
    res("add again", add(ep, p[0], EPOLLIN, 8));
    res("rearm", mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 9));
    show("rearmed", epoll_wait(ep, ev, 8, 0), ev);
    res("del", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    close(p[0]);
    close(p[1]);

    say("== timeouts\n");
    pipe(p);
    res("add p0", add(ep, p[0], EPOLLIN, 10));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    show("wait 100ms", epoll_wait(ep, ev, 8, 100), ev);
    long el = ms_since(&t0);
    check("waited about 100ms", el >= 90 && el < 3000);
    struct timespec ts = {0, 50000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    show("pwait2 50ms", syscall(SYS_epoll_pwait2, ep, ev, 8, &ts, NULL, 8), ev);
    el = ms_since(&t0);
    check("waited about 50ms", el >= 40 && el < 3000);
    show("pwait 0", epoll_pwait(ep, ev, 8, 0, &ss), ev);

    say("== blocking wait woken by a child\n");
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "w", 1);
        _exit(0);
    }
    show("woken", epoll_wait(ep, ev, 8, -1), ev);
    int st;
    waitpid(pid, &st, 0);
    read(p[0], buf, sizeof buf);
    efd = eventfd(0, 0);
    res("add efd", add(ep, efd, EPOLLIN, 11));
    pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(efd, &one, 8);
        _exit(0);
    }
    show("woken by eventfd", epoll_pwait(ep, ev, 8, 5000, NULL), ev);
    waitpid(pid, &st, 0);
    res("del efd", epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));

    say("== nested and polled\n");
    int inner = epoll_create1(0);
    res("inner add p0", add(inner, p[0], EPOLLIN, 20));
    res("outer add inner", add(ep2, inner, EPOLLIN, 21));
    res("loop", add(inner, ep2, EPOLLIN, 22));
    show("outer idle", epoll_wait(ep2, ev, 8, 0), ev);
    struct pollfd pf = {inner, POLLIN, 0};
    res("poll inner idle", poll(&pf, 1, 0));
    pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "n", 1);
        _exit(0);
    }
    res("poll inner blocks", poll(&pf, 1, 5000));
    say("revents: %#x\n", pf.revents);
    waitpid(pid, &st, 0);
    show("outer ready", epoll_wait(ep2, ev, 8, 0), ev);
    show("inner ready", epoll_wait(inner, ev, 8, 0), ev);
    read(p[0], buf, sizeof buf);
    show("outer drained", epoll_wait(ep2, ev, 8, 0), ev);
    pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "m", 1);
        _exit(0);
    }
    show("outer blocks", epoll_wait(ep2, ev, 8, 5000), ev);
    waitpid(pid, &st, 0);
    return 0;
}
