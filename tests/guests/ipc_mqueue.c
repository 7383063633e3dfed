/* POSIX message queues: mq_open/mq_unlink/mq_timedsend/mq_timedreceive/mq_notify/
 * mq_getsetattr, priorities, limits, timeouts, blocking across processes, the status line
 * read from the descriptor, poll, and the errors in Linux's order. Each queue name
 * carries the pid so runs never meet; every queue is unlinked. */
#include "common.h"
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static char qname[64], qname2[64];
static volatile sig_atomic_t got_signo, got_code;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_signo = sig;
    got_code = si->si_code;
}

static void attrs(const char *label, mqd_t q)
{
    struct mq_attr a;
    if (mq_getattr(q, &a))
        res(label, -1);
    else
        say("%s: flags %#lx maxmsg %ld msgsize %ld curmsgs %ld\n", label, a.mq_flags,
            a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
}

int main(void)
{
    snprintf(qname, sizeof qname, "/umlskas-test-%d", getpid());
    snprintf(qname2, sizeof qname2, "/umlskas-test2-%d", getpid());
    say("== open\n");
    res("open missing", mq_open(qname, O_RDWR));
    res("raw empty name", syscall(SYS_mq_open, "", O_RDWR | O_CREAT, 0600, NULL));
    res("raw name with slash", syscall(SYS_mq_open, "a/b", O_RDWR | O_CREAT, 0600, NULL));
    res("raw dot", syscall(SYS_mq_open, ".", O_RDWR | O_CREAT, 0600, NULL));
    char longname[300];
    memset(longname, 'x', sizeof longname);
    longname[299] = 0;
    res("raw long name", syscall(SYS_mq_open, longname, O_RDWR | O_CREAT, 0600, NULL));
    res("raw EFAULT name", syscall(SYS_mq_open, BADPTR, O_RDWR, 0600, NULL));
    struct mq_attr bad = {0, 0, 16, 0};
    res("maxmsg 0", mq_open(qname, O_RDWR | O_CREAT, 0600, &bad));
    bad.mq_maxmsg = 4;
    bad.mq_msgsize = 0;
    res("msgsize 0", mq_open(qname, O_RDWR | O_CREAT, 0600, &bad));
    res("attr EFAULT", syscall(SYS_mq_open, qname + 1, O_RDWR | O_CREAT, 0600, BADPTR));
    struct mq_attr at = {0, 4, 32, 0};
    mqd_t q = mq_open(qname, O_RDWR | O_CREAT | O_EXCL, 0640, &at);
    rok("create", q);
    res("create again O_EXCL", mq_open(qname, O_RDWR | O_CREAT | O_EXCL, 0600, &at));
    res("O_WRONLY|O_RDWR", mq_open(qname, 3));
    res("FD_CLOEXEC", fcntl(q, F_GETFD));
    attrs("attr", q);
    struct stat st;
    fstat(q, &st);
    say("fstat: mode %o size %ld\n", st.st_mode, (long)st.st_size);
    mqd_t dflt = mq_open(qname2, O_RDWR | O_CREAT, 0600, NULL);
    attrs("default attr", dflt);
    mq_close(dflt);
    mq_unlink(qname2);

    say("== send and receive\n");
    char buf[64];
    unsigned prio;
    res("send 'low' prio 1", mq_send(q, "low", 3, 1));
    res("send 'high' prio 9", mq_send(q, "high", 4, 9));
    res("send 'low2' prio 1", mq_send(q, "low2", 4, 1));
    res("send too big", mq_send(q, buf, 33, 0));
    res("send prio 32768", mq_send(q, "x", 1, 32768));
    attrs("after sends", q);
    struct pollfd p = {q, POLLIN | POLLOUT, 0};
    poll(&p, 1, 0);
    say("poll: %#x\n", p.revents);
    char status[128] = {0};
    read(q, status, sizeof status - 1);
    say("status: %s", status);
    res("receive small buffer", mq_receive(q, buf, 31, &prio));
    long n = mq_receive(q, buf, sizeof buf, &prio);
    say("receive: %ld '%.*s' prio %u\n", n, (int)n, buf, prio);
    n = mq_receive(q, buf, sizeof buf, &prio);
    say("receive: %ld '%.*s' prio %u\n", n, (int)n, buf, prio);
    n = mq_receive(q, buf, sizeof buf, NULL);
    say("receive: %ld '%.*s'\n", n, (int)n, buf);
    res("receive EFAULT buffer", (mq_send(q, "z", 1, 0), mq_receive(q, BADPTR, 64, NULL)));
    attrs("after EFAULT", q);

    say("== nonblocking, timeouts, fill up\n");
    struct mq_attr na = {O_NONBLOCK, 0, 0, 0}, old;
    res("setattr nonblock", mq_setattr(q, &na, &old));
    say("old flags %#lx\n", old.mq_flags);
    res("receive empty nonblocking", mq_receive(q, buf, sizeof buf, NULL));
    for (int i = 0; i < 4; i++)
        mq_send(q, "f", 1, 0);
    res("send full nonblocking", mq_send(q, "f", 1, 0));
    na.mq_flags = 0;
    mq_setattr(q, &na, NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    res("timedsend full", mq_timedsend(q, "f", 1, 0, &ts));
    struct timespec badts = {0, 2000000000L};
    res("timedsend bad timeout", mq_timedsend(q, "f", 1, 0, &badts));
    struct mq_attr bad2 = {1, 0, 0, 0};
    res("setattr bad flags", mq_setattr(q, &bad2, NULL));
    for (int i = 0; i < 4; i++)
        mq_receive(q, buf, sizeof buf, NULL);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    res("timedreceive empty", mq_timedreceive(q, buf, sizeof buf, NULL, &ts));

    say("== descriptors and modes\n");
    mqd_t ro = mq_open(qname, O_RDONLY);
    res("send on O_RDONLY", mq_send(ro, "x", 1, 0));
    mqd_t wo = mq_open(qname, O_WRONLY);
    res("receive on O_WRONLY", mq_receive(wo, buf, sizeof buf, NULL));
    res("send on a pipe", (pipe((int[2]){0}), mq_send(0, "x", 1, 0)));
    res("getattr on stdout", mq_getattr(1, &old));
    res("notify bad fd", mq_notify(999, NULL));

    say("== blocking receive woken by another process\n");
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        mq_send(wo, "from child", 10, 3);
        _exit(0);
    }
    n = mq_receive(ro, buf, sizeof buf, &prio);
    say("blocking receive: %ld '%.*s' prio %u\n", n, (int)n, buf, prio);
    waitpid(pid, NULL, 0);

    say("== notify\n");
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent sev = {0};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    res("notify", mq_notify(q, &sev));
    res("notify again", mq_notify(q, &sev));
    sev.sigev_notify = 99;
    res("notify bad kind", mq_notify(q, &sev));
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = 99;
    res("notify bad signal", mq_notify(q, &sev));
    memset(status, 0, sizeof status);
    lseek(q, 0, SEEK_SET);
    read(q, status, sizeof status - 1);
    say("status has NOTIFY:0 SIGNO:10: %s\n", strstr(status, "SIGNO:10") ? "yes" : "no");
    mq_send(q, "n", 1, 0);
    usleep(10000);
    say("signal: %d code %d\n", got_signo, got_code);
    got_signo = 0;
    mq_receive(q, buf, sizeof buf, NULL);
    mq_send(q, "n", 1, 0);
    say("second message, no signal: %d\n", got_signo);
    mq_receive(q, buf, sizeof buf, NULL);
    res("notify NULL", mq_notify(q, NULL));

    say("== unlink\n");
    pid = fork();
    if (pid == 0) {
        setresuid(65534, 65534, 65534);
        res("user open 0640", mq_open(qname, O_RDONLY));
        res("user unlink", mq_unlink(qname));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    res("unlink", mq_unlink(qname));
    res("unlink again", mq_unlink(qname));
    res("send after unlink", mq_send(q, "still", 5, 0));
    n = mq_receive(q, buf, sizeof buf, NULL);
    say("receive after unlink: %ld\n", n);
    res("open after unlink", mq_open(qname, O_RDWR));
    return 0;
}
