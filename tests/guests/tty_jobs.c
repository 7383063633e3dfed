/* Job control on the terminal (stdin): a background process group that reads it gets
 * SIGTTIN, one that changes it (or writes with TOSTOP) gets SIGTTOU, as Linux's
 * tty_jobctrl.c decides; ignoring SIGTTIN makes the read EIO; ignoring SIGTTOU lets the
 * change through; tcsetpgrp moves the foreground, tcgetpgrp and tcgetsid follow.
 * Run on a terminal this process is the foreground of (see test_terminal.py). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void say(const char *what, int r)
{
    printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
    fflush(stdout);
}

/* A child in a process group of its own does `what`; how did it end? */
static void job(const char *name, int what)
{
    pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0);
        char c;
        struct termios t;
        tcgetattr(0, &t);
        switch (what) {
        case 0: _exit(read(0, &c, 1) < 0 ? errno : 0);
        case 1: _exit(tcsetattr(0, TCSANOW, &t) < 0 ? errno : 0);
        case 2: _exit(write(1, "w\n", 2) < 0 ? errno : 0);
        case 3: signal(SIGTTIN, SIG_IGN); _exit(read(0, &c, 1) < 0 ? errno : 0);
        case 4: signal(SIGTTOU, SIG_IGN); _exit(tcsetattr(0, TCSANOW, &t) < 0 ? errno : 0);
        case 5: _exit(tcsetpgrp(0, getpgrp()) < 0 ? errno : 0);
        }
        _exit(99);
    }
    setpgid(child, child);
    int status;
    waitpid(child, &status, WUNTRACED);
    if (WIFSTOPPED(status)) {
        printf("%s: stopped by %s\n", name, WSTOPSIG(status) == SIGTTIN ? "SIGTTIN" :
               WSTOPSIG(status) == SIGTTOU ? "SIGTTOU" : "another signal");
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
    } else if (WIFEXITED(status)) {
        printf("%s: exit %s\n", name, WEXITSTATUS(status) ? strerror(WEXITSTATUS(status)) : "0");
    } else {
        printf("%s: killed by %d\n", name, WTERMSIG(status));
    }
    fflush(stdout);
}

int main(void)
{
    printf("foreground: %s\n", tcgetpgrp(0) == getpgrp() ? "mine" : "another");
    printf("session: %s\n", tcgetsid(0) == getsid(0) ? "mine" : "another");
    fflush(stdout);
    job("background read", 0);
    job("background tcsetattr", 1);
    struct termios t;
    tcgetattr(0, &t);
    t.c_lflag |= TOSTOP;
    tcsetattr(0, TCSANOW, &t);
    job("background write with TOSTOP", 2);
    t.c_lflag &= ~TOSTOP;
    tcsetattr(0, TCSANOW, &t);
    job("background write", 2);
    job("background read ignoring SIGTTIN", 3);
    job("background tcsetattr ignoring SIGTTOU", 4);
    job("background tcsetpgrp", 5);
    /* This process leads its session: its group is orphaned, a job-control stop
     * does nothing there (SIGSTOP would). */
    kill(0, SIGTSTP);
    kill(0, SIGTTIN);
    printf("SIGTSTP and SIGTTIN to my orphaned group: %s\n", "still running");
    fflush(stdout);
    say("tcsetpgrp to a group of nobody", tcsetpgrp(0, 99999));
    say("tcsetpgrp to my own group", tcsetpgrp(0, getpgrp()));
    printf("foreground again: %s\n", tcgetpgrp(0) == getpgrp() ? "mine" : "another");
    return 0;
}
