/* Writing to a pipe without readers: SIGPIPE.
 *   default: the writer child dies of SIGPIPE (parent prints WTERMSIG)
 *   ignore:  with SIG_IGN the write returns -1 EPIPE
 *   handler: the handler runs and the write returns -1 EPIPE */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static volatile int calls;
static void h(int sig)
{
    (void)sig;
    calls++;
}

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "";
    int p[2];
    if (pipe(p))
        return 1;
    close(p[0]);
    if (!strcmp(w, "default")) {
        pid_t c = fork();
        if (c == 0) {
            write(p[1], "x", 1);
            _exit(0);
        }
        int st;
        waitpid(c, &st, 0);
        say("writer: WIFSIGNALED %d WTERMSIG %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : -1);
        /* and a writer that was blocked on a full pipe when the reader went away */
        int q[2];
        pipe(q);
        c = fork();
        if (c == 0) {
            close(q[0]);
            static char big[1 << 17];
            for (;;)
                write(q[1], big, sizeof big);
        }
        close(q[1]);
        usleep(100000);
        close(q[0]);
        waitpid(c, &st, 0);
        say("blocked writer: WIFSIGNALED %d WTERMSIG %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : -1);
        /* the process itself dies: exit status seen by our parent */
        say("now writing ourselves\n");
        write(p[1], "x", 1);
        say("survived: BAD\n");
        return 0;
    }
    if (!strcmp(w, "ignore")) {
        signal(SIGPIPE, SIG_IGN);
        res("write with SIGPIPE ignored", write(p[1], "x", 1));
        res("again", write(p[1], "xyz", 3));
        return 0;
    }
    if (!strcmp(w, "handler")) {
        signal(SIGPIPE, h);
        res("write with a SIGPIPE handler", write(p[1], "x", 1));
        say("handler calls: %d\n", calls);
        /* blocked SIGPIPE stays pending */
        sigset_t s, pend;
        sigemptyset(&s);
        sigaddset(&s, SIGPIPE);
        sigprocmask(SIG_BLOCK, &s, NULL);
        res("write with SIGPIPE blocked", write(p[1], "x", 1));
        sigpending(&pend);
        check("SIGPIPE pending", sigismember(&pend, SIGPIPE));
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        say("handler calls after unblock: %d\n", calls);
        return 0;
    }
    fprintf(stderr, "usage: %s default|ignore|handler\n", argv[0]);
    return 2;
}
