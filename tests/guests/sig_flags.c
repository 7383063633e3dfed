/* SA_RESETHAND, SA_NODEFER and sa_mask.
 *   sig_flags resethand | nodefer | mask */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static volatile int depth, max_depth, calls;
static char trace[512];
static int nt;

static int blocked(int sig)
{
    sigset_t s;
    sigprocmask(SIG_BLOCK, NULL, &s);
    return sigismember(&s, sig);
}

static void t(const char *fmt, int a)
{
    if (nt < (int)sizeof trace - 1)
        nt += snprintf(trace + nt, sizeof trace - nt, fmt, a);
    if (nt > (int)sizeof trace - 1)
        nt = sizeof trace - 1;
}

static void reentrant(int sig)
{
    calls++;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    t(" enter%d", depth);
    t(" self-blocked=%d", blocked(sig));
    if (calls == 1)
        raise(sig); /* nested delivery with SA_NODEFER, deferred without */
    t(" leave%d", depth);
    depth--;
}

static void resethand_handler(int sig)
{
    calls++;
    struct sigaction cur;
    sigaction(sig, NULL, &cur);
    t(" handler-now-SIG_DFL=%d", cur.sa_handler == SIG_DFL);
    t(" self-blocked=%d", blocked(sig));
}

static void masked_handler(int sig)
{
    (void)sig;
    calls++;
    t(" USR2-blocked-in-handler=%d", blocked(SIGUSR2));
    t(" TERM-blocked-in-handler=%d", blocked(SIGTERM));
    if (calls == 1) {
        raise(SIGUSR2); /* masked: runs after this handler returns */
        t(" raised-USR2", 0);
    }
}

static void usr2_handler(int sig)
{
    (void)sig;
    t(" usr2-handler", 0);
}

static void flush(const char *label)
{
    say("%s:%s\n", label, trace);
    nt = 0;
    trace[0] = 0;
}

static int resethand(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = resethand_handler;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    flush("first SIGUSR1");
    struct sigaction cur;
    sigaction(SIGUSR1, NULL, &cur);
    check("disposition reset to SIG_DFL", cur.sa_handler == SIG_DFL);
    say("SA_RESETHAND still in sa_flags: %d\n", (cur.sa_flags & SA_RESETHAND) != 0);
    say("handler calls: %d\n", calls);
    /* the second one kills the process (default action of SIGUSR1) */
    pid_t c = fork();
    if (c == 0) {
        sigaction(SIGUSR1, &sa, NULL);
        raise(SIGUSR1);
        raise(SIGUSR1);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    say("child raising twice: %s %d\n", WIFSIGNALED(st) ? "killed by signal" : "exited",
        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}

static int nodefer(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = reentrant;
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    flush("without SA_NODEFER");
    say("max depth %d, calls %d\n", max_depth, calls);
    max_depth = calls = 0;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    flush("with SA_NODEFER");
    say("max depth %d, calls %d\n", max_depth, calls);
    check("mask restored after the handlers", !blocked(SIGUSR1));
    return 0;
}

static int mask(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr2_handler;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = masked_handler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    t(" back-in-main", 0);
    flush("sa_mask = {SIGUSR2}");
    check("SIGUSR2 unblocked after the handler", !blocked(SIGUSR2));
    return 0;
}

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "";
    if (!strcmp(w, "resethand"))
        return resethand();
    if (!strcmp(w, "nodefer"))
        return nodefer();
    if (!strcmp(w, "mask"))
        return mask();
    fprintf(stderr, "usage: %s resethand|nodefer|mask\n", argv[0]);
    return 2;
}
