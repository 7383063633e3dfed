/* F_SETOWN/F_GETOWN, F_SETOWN_EX/F_GETOWN_EX, F_SETSIG/F_GETSIG: values, errors, sharing
 * by dup and fork, an owner that has gone. */
#include "common.h"
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>

static void own(const char *label, int fd)
{
    int r = fcntl(fd, F_GETOWN);
    if (r == getpid())
        say("%s: self\n", label);
    else if (r == -getpgrp())
        say("%s: -pgrp\n", label);
    else
        res(label, r);
}

static void own_ex(const char *label, int fd)
{
    struct f_owner_ex ex = {77, 77};
    long r = fcntl(fd, F_GETOWN_EX, &ex);
    if (r == -1) {
        res(label, r);
        return;
    }
    const char *who = ex.pid == getpid() ? "self" : ex.pid == getpgrp() ? "pgrp" : NULL;
    if (who)
        say("%s: type %d pid %s\n", label, ex.type, who);
    else
        say("%s: type %d pid %d\n", label, ex.type, ex.pid);
}

int main(void)
{
    int p[2];
    setpgid(0, 0);     /* our own group: a pgrp owner never reaches the test runner */
    if (pipe(p))
        return 1;
    own("getown default", p[0]);
    own_ex("getown_ex default", p[0]);
    res("getsig default", fcntl(p[0], F_GETSIG));
    res("setown self", fcntl(p[0], F_SETOWN, getpid()));
    own("getown", p[0]);
    own_ex("getown_ex", p[0]);
    int d = dup(p[0]);
    own("getown dup", d);
    own("getown other end", p[1]);
    res("setown -pgrp", fcntl(p[0], F_SETOWN, -getpgrp()));
    own("getown pgrp", p[0]);
    own_ex("getown_ex pgrp", d);
    res("setown 0", fcntl(p[0], F_SETOWN, 0));
    own("getown cleared", p[0]);
    own_ex("getown_ex cleared", p[0]);
    res("setown unknown", fcntl(p[0], F_SETOWN, 0x3ffffff0));
    res("setown -unknown", fcntl(p[0], F_SETOWN, -0x3ffffff0));
    res("setown INT_MIN", fcntl(p[0], F_SETOWN, INT_MIN));
    own("getown after errors", p[0]);

    struct f_owner_ex ex = {F_OWNER_TID, getpid()};
    res("setown_ex tid", fcntl(p[0], F_SETOWN_EX, &ex));
    own_ex("getown_ex tid", p[0]);
    own("getown tid", p[0]);
    ex.type = F_OWNER_PGRP;
    ex.pid = getpgrp();
    res("setown_ex pgrp", fcntl(p[0], F_SETOWN_EX, &ex));
    own_ex("getown_ex pgrp", p[0]);
    own("getown pgrp2", p[0]);
    ex.type = 3;
    res("setown_ex bad type", fcntl(p[0], F_SETOWN_EX, &ex));
    ex.type = 3;
    ex.pid = 0x3ffffff0;
    res("setown_ex bad type unknown pid", fcntl(p[0], F_SETOWN_EX, &ex));
    ex.type = F_OWNER_PID;
    res("setown_ex unknown pid", fcntl(p[0], F_SETOWN_EX, &ex));
    ex.pid = -getpid();
    res("setown_ex negative pid", fcntl(p[0], F_SETOWN_EX, &ex));
    ex.pid = 0;
    res("setown_ex pid 0", fcntl(p[0], F_SETOWN_EX, &ex));
    own_ex("getown_ex pid 0", p[0]);
    res("setown_ex badptr", fcntl(p[0], F_SETOWN_EX, BADPTR));
    res("getown_ex badptr", fcntl(p[0], F_GETOWN_EX, BADPTR));

    res("setsig 64", fcntl(p[0], F_SETSIG, 64));
    res("getsig", fcntl(d, F_GETSIG));
    res("setsig 65", fcntl(p[0], F_SETSIG, 65));
    res("setsig -1", fcntl(p[0], F_SETSIG, -1));
    res("getsig after errors", fcntl(p[0], F_GETSIG));
    res("setsig SIGUSR1", fcntl(p[0], F_SETSIG, SIGUSR1));
    res("setsig 0", fcntl(p[0], F_SETSIG, 0));
    res("getsig 0", fcntl(p[0], F_GETSIG));

    /* an owner that has gone: F_GETOWN says 0, F_GETOWN_EX keeps the type */
    pid_t child = fork();
    if (child == 0) {
        int r = fcntl(p[0], F_GETOWN);
        say("child sees owner: %s\n", r == 0 ? "none" : "set");
        _exit(0);
    }
    waitpid(child, NULL, 0);
    res("setown child", fcntl(p[0], F_SETOWN, child) == 0 ? 0 : -1);
    child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    res("setown live child", fcntl(p[0], F_SETOWN, child));
    say("getown child: %s\n", fcntl(p[0], F_GETOWN) == child ? "child" : "BAD");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    res("getown gone", fcntl(p[0], F_GETOWN));
    struct f_owner_ex got = {9, 9};
    fcntl(p[0], F_GETOWN_EX, &got);
    say("getown_ex gone: type %d pid %d\n", got.type, got.pid);

    /* fork shares the description, so the owner */
    fcntl(p[0], F_SETOWN, getpid());
    child = fork();
    if (child == 0) {
        say("child getown is parent: %s\n", fcntl(p[0], F_GETOWN) == getppid() ? "yes" : "BAD");
        fcntl(p[0], F_SETOWN, getpid());
        _exit(0);
    }
    waitpid(child, NULL, 0);
    res("getown after child set it and left", fcntl(p[0], F_GETOWN));

    fcntl(p[0], F_SETOWN, getpid());
    own("dup2 getown", dup2(p[0], 20));
    unsigned uids[2] = {7, 7};
    res("F_GETOWNER_UIDS", fcntl(p[0], 17, uids));
    say("owner uids are ours: %s\n", uids[0] == getuid() && uids[1] == geteuid() ? "yes" : "no");
    res("F_GETOWNER_UIDS badptr", fcntl(p[0], 17, BADPTR));
    res("getown badfd", fcntl(99, F_GETOWN));
    res("setown badfd", fcntl(99, F_SETOWN, getpid()));
    say("done\n");
    return 0;
}
