/* Process groups and sessions: setpgid/getpgid/setsid/getsid relations,
 * printed as booleans and errno names. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static int gate[2], back[2];

static void wait_gate(void)
{
    char b;
    while (read(gate[0], &b, 1) < 0 && errno == EINTR)
        ;
}

int main(void)
{
    pid_t me = getpid();
    pid_t pg = getpgid(0), sid = getsid(0);
    check("getpgrp() == getpgid(0)", getpgrp() == pg);
    check("getpgid(getpid()) == getpgid(0)", getpgid(me) == pg);
    check("getsid(getpid()) == getsid(0)", getsid(me) == sid);
    res("getpgid of a non-existent pid", getpgid(0x3ffffff));
    res("getsid of a non-existent pid", getsid(0x3ffffff));
    res("setpgid negative pgid", setpgid(0, -1));
    res("setpgid of a non-child pid", setpgid(0x3ffffff, 0));

    if (pipe(gate) || pipe(back))
        return 1;
    /* child 1: the parent moves it into its own group */
    pid_t c1 = fork();
    if (c1 == 0) {
        close(gate[1]);
        wait_gate();
        char r[4] = {getpgid(0) == getpid(), getsid(0) == sid, getppid() == me, 0};
        write(back[1], r, 3);
        _exit(0);
    }
    check("child starts in the parent's group", getpgid(c1) == pg);
    check("child starts in the parent's session", getsid(c1) == sid);
    res("parent: setpgid(child, 0)", setpgid(c1, 0));
    check("child is now leader of its own group", getpgid(c1) == c1);
    res("parent: setpgid(child, child) again", setpgid(c1, c1));
    res("parent: setpgid(child, unrelated group)", setpgid(c1, 0x3ffffff));
    close(gate[1]);
    char r[4] = {0};
    read(back[0], r, 3);
    check("child: getpgid(0) == getpid()", r[0]);
    check("child: session unchanged", r[1]);
    check("child: getppid() == parent", r[2]);
    int st;
    waitpid(c1, &st, 0);

    /* child 2: setsid */
    if (pipe(gate))
        return 1;
    pid_t c2 = fork();
    if (c2 == 0) {
        close(gate[1]);
        pid_t s = setsid();
        char r2[8] = {
            s == getpid(),
            getsid(0) == getpid(),
            getpgid(0) == getpid(),
            getsid(0) != sid,
        };
        errno = 0;
        r2[4] = setsid() == -1 && errno == EPERM;
        errno = 0;
        r2[5] = setpgid(0, 0) == -1 && errno == EPERM; /* a session leader cannot move */
        errno = 0;
        r2[6] = setpgid(0, pg) == -1 && errno == EPERM; /* group in another session */
        /* a grandchild is in the new session and group */
        pid_t g = fork();
        if (g == 0)
            _exit(getsid(0) == s && getpgid(0) == s ? 0 : 1);
        waitpid(g, &st, 0);
        r2[7] = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        write(back[1], r2, 8);
        wait_gate();
        _exit(0);
    }
    char r2[8];
    read(back[0], r2, 8);
    check("setsid returns the new session id == getpid()", r2[0]);
    check("after setsid: getsid(0) == getpid()", r2[1]);
    check("after setsid: getpgid(0) == getpid()", r2[2]);
    check("after setsid: session differs from the parent's", r2[3]);
    check("setsid again: EPERM (already a group leader)", r2[4]);
    check("session leader: setpgid(0, 0) gives EPERM", r2[5]);
    check("setpgid into a group of another session: EPERM", r2[6]);
    check("grandchild inherits the new session and group", r2[7]);
    check("parent sees the child's new session", getsid(c2) == c2);
    res("parent: setpgid(child in another session, 0)", setpgid(c2, 0));
    close(gate[1]);
    waitpid(c2, &st, 0);

    /* child 3: join a group created by a sibling */
    pid_t c3 = fork();
    if (c3 == 0) {
        for (;;)
            pause();
    }
    setpgid(c3, c3);
    pid_t c4 = fork();
    if (c4 == 0) {
        for (;;)
            pause();
    }
    res("setpgid(sibling, first child's group)", setpgid(c4, c3));
    check("both children in the same group", getpgid(c4) == c3 && getpgid(c3) == c3);
    res("kill(-group, SIGKILL)", kill(-c3, SIGKILL));
    waitpid(c3, &st, 0);
    check("first killed by the group kill", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    waitpid(c4, &st, 0);
    check("second killed by the group kill", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    res("kill of the now empty group", kill(-c3, 0));
    check("parent's group unchanged", getpgid(0) == pg);
    return 0;
}
