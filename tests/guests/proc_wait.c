/* wait4 / waitpid / waitid: collecting children.  argv[1] picks the case. */
#include "common.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define NCHILD 100

/* 100 children exiting with distinct codes, all collected by wait4(-1). */
static int hundred(void)
{
    pid_t pids[NCHILD];
    int seen[NCHILD] = {0};
    for (int i = 0; i < NCHILD; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            say("fork %d: -1 %s\n", i, ename(errno));
            return 1;
        }
        if (pids[i] == 0)
            _exit(i + 1);
    }
    int collected = 0, wrong = 0;
    for (;;) {
        int st;
        struct rusage ru;
        pid_t p = wait4(-1, &st, 0, &ru);
        if (p < 0) {
            say("final wait4: -1 %s\n", ename(errno));
            break;
        }
        int idx = -1;
        for (int i = 0; i < NCHILD; i++)
            if (pids[i] == p)
                idx = i;
        if (idx < 0) {
            say("wait4 returned an unknown pid: BAD\n");
            wrong++;
            continue;
        }
        if (seen[idx]++)
            say("child %d collected twice: BAD\n", idx);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != idx + 1) {
            say("child %d status %#x: BAD\n", idx, st);
            wrong++;
        }
        collected++;
    }
    say("collected: %d\n", collected);
    say("wrong codes: %d\n", wrong);
    int sum = 0;
    for (int i = 0; i < NCHILD; i++)
        sum += seen[i] ? i + 1 : 0;
    say("sum of codes: %d\n", sum);
    return 0;
}

/* waitpid(WNOHANG) returns 0 while the child runs, its pid once it is a zombie. */
static int nohang(void)
{
    int go[2];
    if (pipe(go))
        return 1;
    pid_t c = fork();
    if (c == 0) {
        char b;
        close(go[1]);
        while (read(go[0], &b, 1) < 0 && errno == EINTR)
            ;
        _exit(7);
    }
    close(go[0]);
    int st = -1;
    res("waitpid WNOHANG while running", waitpid(c, &st, WNOHANG));
    res("waitpid WNOHANG any while running", waitpid(-1, &st, WNOHANG));
    check("status untouched", st == -1);
    write(go[1], "x", 1);
    close(go[1]);
    /* wait until it is a zombie without reaping it */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    res("waitid WNOWAIT", waitid(P_PID, c, &si, WEXITED | WNOWAIT));
    pid_t p = waitpid(c, &st, WNOHANG);
    check("waitpid WNOHANG after exit returns the pid", p == c);
    say("WIFEXITED %d WEXITSTATUS %d\n", WIFEXITED(st), WEXITSTATUS(st));
    res("waitpid WNOHANG again", waitpid(c, &st, WNOHANG));
    res("waitpid -1 WNOHANG no children", waitpid(-1, &st, WNOHANG));
    return 0;
}

static const char *code_name(int c)
{
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "?";
    }
}

static pid_t child_exiting(int code, int *gate)
{
    pid_t c = fork();
    if (c == 0) {
        char b;
        close(gate[1]);
        while (read(gate[0], &b, 1) < 0 && errno == EINTR)
            ;
        _exit(code);
    }
    return c;
}

/* waitid P_PID / P_ALL, WEXITED, WNOWAIT, siginfo contents. */
static int waitid_case(void)
{
    int gate[2];
    if (pipe(gate))
        return 1;
    pid_t a = child_exiting(11, gate);
    pid_t b = child_exiting(22, gate);
    close(gate[0]);
    siginfo_t si;

    memset(&si, 0, sizeof si);
    res("waitid P_ALL WNOHANG while running", waitid(P_ALL, 0, &si, WEXITED | WNOHANG));
    check("si_pid 0 when nothing to report", si.si_pid == 0);
    res("waitid no WEXITED etc", waitid(P_ALL, 0, &si, WNOHANG));
    close(gate[1]); /* both children exit now */

    memset(&si, 0, sizeof si);
    res("waitid P_PID a WNOWAIT", waitid(P_PID, a, &si, WEXITED | WNOWAIT));
    say("  si_signo %s si_code %s si_status %d\n", si.si_signo == SIGCHLD ? "SIGCHLD" : "?",
        code_name(si.si_code), si.si_status);
    check("  si_pid is a", si.si_pid == a);
    check("  si_uid is getuid()", si.si_uid == getuid());
    memset(&si, 0, sizeof si);
    res("waitid P_PID a WNOWAIT again", waitid(P_PID, a, &si, WEXITED | WNOWAIT));
    check("  still a", si.si_pid == a && si.si_status == 11);
    memset(&si, 0, sizeof si);
    res("waitid P_PID a reap", waitid(P_PID, a, &si, WEXITED));
    say("  si_code %s si_status %d\n", code_name(si.si_code), si.si_status);
    memset(&si, 0, sizeof si);
    res("waitid P_PID a again", waitid(P_PID, a, &si, WEXITED));

    memset(&si, 0, sizeof si);
    res("waitid P_ALL", waitid(P_ALL, 0, &si, WEXITED));
    check("  si_pid is b", si.si_pid == b);
    say("  si_code %s si_status %d\n", code_name(si.si_code), si.si_status);
    res("waitid P_ALL no more children", waitid(P_ALL, 0, &si, WEXITED));

    /* a child killed by a signal */
    pid_t k = fork();
    if (k == 0) {
        for (;;)
            pause();
    }
    kill(k, SIGKILL);
    memset(&si, 0, sizeof si);
    res("waitid P_PID killed child", waitid(P_PID, k, &si, WEXITED));
    say("  si_code %s si_status %d\n", code_name(si.si_code), si.si_status);

    /* waitid P_PGID for our own group */
    pid_t g = fork();
    if (g == 0)
        _exit(33);
    memset(&si, 0, sizeof si);
    res("waitid P_PGID own group", waitid(P_PGID, getpgid(0), &si, WEXITED));
    check("  si_pid is the child", si.si_pid == g);
    say("  si_code %s si_status %d\n", code_name(si.si_code), si.si_status);
    res("waitid bad idtype", waitid((idtype_t)42, 0, &si, WEXITED));
    res("waitid bad options", waitid(P_ALL, 0, &si, 0x4000));
    return 0;
}

/* ECHILD without children, and for a pid that is not our child. */
static int echild(void)
{
    int st;
    siginfo_t si;
    res("wait4 -1", wait4(-1, &st, 0, NULL));
    res("wait", wait(&st));
    res("waitpid -1 WNOHANG", waitpid(-1, &st, WNOHANG));
    res("waitpid getppid()", waitpid(getppid(), &st, 0));
    res("waitpid self", waitpid(getpid(), &st, 0));
    res("waitid P_ALL", waitid(P_ALL, 0, &si, WEXITED));
    res("waitid P_PID self", waitid(P_PID, getpid(), &si, WEXITED));
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    res("waitpid child", waitpid(c, &st, 0) == c ? 0 : -1);
    res("waitpid reaped child", waitpid(c, &st, 0));
    res("wait4 after all reaped", wait4(-1, &st, 0, NULL));
    return 0;
}

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "";
    if (!strcmp(w, "hundred"))
        return hundred();
    if (!strcmp(w, "nohang"))
        return nohang();
    if (!strcmp(w, "waitid"))
        return waitid_case();
    if (!strcmp(w, "echild"))
        return echild();
    fprintf(stderr, "usage: %s hundred|nohang|waitid|echild\n", argv[0]);
    return 2;
}
