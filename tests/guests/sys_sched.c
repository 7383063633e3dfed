/* sched_setattr/sched_getattr(2) and ioprio_set/ioprio_get(2): sizes, flags, policies and
 * the permission rules, as root and after dropping to another uid. */
#include "common.h"
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t prio;
    uint64_t runtime, deadline, period;
    uint32_t umin, umax;
    char tail[64];
};

static long setattr(pid_t pid, struct attr *a, unsigned flags)
{
    return syscall(SYS_sched_setattr, pid, a, flags);
}

static long getattr(pid_t pid, void *a, unsigned size, unsigned flags)
{
    return syscall(SYS_sched_getattr, pid, a, size, flags);
}

static void show(const char *label, pid_t pid)
{
    struct attr a;
    memset(&a, 0xAB, sizeof a);
    long r = getattr(pid, &a, 56, 0);
    if (r)
        res(label, r);
    else
        say("%s: size %u policy %u flags %#llx nice %d prio %u dl %llu/%llu/%llu\n", label,
            a.size, a.policy, (unsigned long long)a.flags, a.nice, a.prio,
            (unsigned long long)a.runtime, (unsigned long long)a.deadline,
            (unsigned long long)a.period);
}

static long ioget(int which, int who) { return syscall(SYS_ioprio_get, which, who); }
static long ioset(int which, int who, int prio) { return syscall(SYS_ioprio_set, which, who, prio); }

int main(void)
{
    struct attr a;
    say("== sched_getattr\n");
    show("self", 0);
    res("NULL", getattr(0, NULL, 56, 0));
    res("size 47", getattr(0, &a, 47, 0));
    res("size 4097", getattr(0, &a, 4097, 0));
    res("flags", getattr(0, &a, 56, 1));
    res("pid -1", getattr(-1, &a, 56, 0));
    res("no such pid", getattr(999999, &a, 56, 0));
    res("EFAULT", getattr(0, BADPTR, 56, 0));
    memset(&a, 0xAB, sizeof a);
    res("size 48", getattr(0, &a, 48, 0));
    say("size 48 reports %u, byte 48 kept: %s\n", a.size, (unsigned char)a.tail[0 - 8 + 8] == 0xAB ? "yes" : "no");
    unsigned char big[128];
    memset(big, 0xAB, sizeof big);
    res("size 100", getattr(0, big, 100, 0));
    say("size 100 reports %u, tail zeroed: %s, after untouched: %s\n", *(uint32_t *)big,
        big[60] == 0 && big[99] == 0 ? "yes" : "no", big[100] == 0xAB ? "yes" : "no");

    say("== sched_setattr checks\n");
    memset(&a, 0, sizeof a);
    a.size = 56;
    res("NULL", setattr(0, NULL, 0));
    res("flags arg", setattr(0, &a, 1));
    res("pid -1", setattr(-1, &a, 0));
    res("EFAULT", setattr(0, BADPTR, 0));
    a.size = 20;
    res("size 20", setattr(0, &a, 0));
    say("size written back: %u\n", a.size);
    a.size = 8192;
    res("size 8192", setattr(0, &a, 0));
    say("size written back: %u\n", a.size);
    memset(&a, 0, sizeof a);
    a.size = 64;
    a.tail[4] = 1;
    res("non-zero tail", setattr(0, &a, 0));
    memset(&a, 0, sizeof a);
    a.size = 64;
    res("zero tail", setattr(0, &a, 0));
    memset(&a, 0, sizeof a);
    a.size = 56;
    a.policy = 4;
    res("policy 4", setattr(0, &a, 0));
    a.policy = 0x80000000u;
    res("policy negative", setattr(0, &a, 0));
    a.policy = SCHED_OTHER;
    a.flags = 0x100;
    res("unknown flag", setattr(0, &a, 0));
    a.flags = 0;
    a.prio = 5;
    res("OTHER with prio", setattr(0, &a, 0));
    a.policy = SCHED_FIFO;
    a.prio = 0;
    res("FIFO prio 0", setattr(0, &a, 0));
    a.prio = 100;
    res("FIFO prio 100", setattr(0, &a, 0));
    a.prio = 10;
    res("FIFO prio 10", setattr(0, &a, 0));
    show("after FIFO", 0);
    res("sched_getscheduler", sched_getscheduler(0));
    a.policy = SCHED_OTHER;
    a.prio = 0;
    a.nice = 5;
    res("OTHER nice 5", setattr(0, &a, 0));
    show("after nice 5", 0);
    a.nice = 50;
    res("nice 50 clamps", setattr(0, &a, 0));
    show("after nice 50", 0);
    a.nice = 0;
    a.flags = 1;                                  /* SCHED_FLAG_RESET_ON_FORK */
    res("reset on fork", setattr(0, &a, 0));
    show("after reset on fork", 0);
    a.flags = 0;
    a.runtime = 3000000;
    res("custom slice", setattr(0, &a, 0));
    show("after custom slice", 0);
    a.runtime = 10;
    res("tiny slice", setattr(0, &a, 0));
    show("after tiny slice", 0);
    a.runtime = 0;
    a.flags = 0x10;                               /* KEEP_PARAMS */
    a.nice = 7;
    res("keep params", setattr(0, &a, 0));
    show("after keep params", 0);
    a.flags = 0;
    a.policy = 6;                                 /* SCHED_DEADLINE */
    a.runtime = 10;
    a.deadline = 1000000;
    res("DEADLINE runtime 10", setattr(0, &a, 0));
    a.runtime = 2000000;
    res("DEADLINE runtime > deadline", setattr(0, &a, 0));
    a.runtime = 100000;
    a.period = 500000;
    res("DEADLINE period < deadline", setattr(0, &a, 0));
    a.policy = SCHED_OTHER;
    a.flags = 0x20;                               /* UTIL_CLAMP_MIN */
    a.size = 48;
    res("clamp with size 48", setattr(0, &a, 0));
    memset(&a, 0, sizeof a);
    a.size = 56;
    res("back to OTHER", setattr(0, &a, 0));
    show("final", 0);

    say("== ioprio\n");
    res("get self", ioget(1, 0));
    res("set BE 7", ioset(1, 0, (2 << 13) | 7));
    res("get", ioget(1, 0));
    res("set BE 8", ioset(1, 0, (2 << 13) | 8));
    res("set BE hint", ioset(1, 0, (2 << 13) | (1 << 3) | 2));
    res("get", ioget(1, 0));
    res("set IDLE", ioset(1, 0, 3 << 13));
    res("get", ioget(1, 0));
    res("set NONE 1", ioset(1, 0, 1));
    res("set class 4", ioset(1, 0, 4 << 13));
    res("set class 7", ioset(1, 0, 7 << 13));
    res("set RT 0", ioset(1, 0, 1 << 13));
    res("get", ioget(1, 0));
    res("bad which", ioget(9, 0));
    res("bad which set", ioset(9, 0, 0));
    res("no such pid", ioget(1, 999999));
    res("set none", ioset(1, 0, 0));
    res("get", ioget(1, 0));
    pid_t lone = fork();
    if (lone == 0) {
        setpgid(0, 0);
        res("pgrp alone", ioget(2, 0));
        pid_t peer = fork();
        if (peer == 0) {
            pause();
            _exit(0);
        }
        res("pgrp of two", ioget(2, 0));
        res("peer IDLE", ioset(1, peer, 3 << 13));
        res("pgrp of two, one IDLE", ioget(2, 0));
        res("set RT 3", ioset(1, 0, (1 << 13) | 3));
        res("pgrp of two, one RT", ioget(2, 0));
        res("set pgrp BE 1", ioset(2, 0, (2 << 13) | 1));
        res("peer after pgrp set", ioget(1, peer));
        kill(peer, SIGKILL);
        waitpid(peer, NULL, 0);
        _exit(0);
    }
    waitpid(lone, NULL, 0);

    say("== as another user\n");
    pid_t pid = fork();
    if (pid == 0) {
        if (setresuid(65534, 65534, 65534))
            say("setresuid: BAD\n");
        memset(&a, 0, sizeof a);
        a.size = 56;
        a.policy = SCHED_FIFO;
        a.prio = 1;
        res("user FIFO", setattr(0, &a, 0));
        a.policy = SCHED_OTHER;
        a.prio = 0;
        a.nice = 3;
        res("user nice 3", setattr(0, &a, 0));
        a.nice = 1;
        res("user nice 1", setattr(0, &a, 0));
        a.policy = 6;
        a.runtime = 100000;
        a.deadline = 1000000;
        res("user DEADLINE", setattr(0, &a, 0));
        res("user RT ioprio", ioset(1, 0, 1 << 13));
        res("user IDLE ioprio", ioset(1, 0, 3 << 13));
        res("user ioprio of parent", ioset(1, getppid(), 3 << 13));
        res("user getattr parent", getattr(getppid(), &a, 56, 0));
        memset(&a, 0, sizeof a);
        a.size = 56;
        res("user setattr parent", setattr(getppid(), &a, 0));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    say("child: %d\n", WEXITSTATUS(st));
    return 0;
}
