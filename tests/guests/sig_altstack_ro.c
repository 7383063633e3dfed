/* A handler frame the kernel cannot write on the alternate stack: Linux forces
 * SIGSEGV (signal_setup_done -> force_sigsegv). The program's own SIGSEGV
 * handler, off the alternate stack, then runs and the program goes on; the
 * failed handler never runs, its mask is not applied. A SIGSEGV whose own frame
 * fails kills the process with SIGSEGV (its handler reset to SIG_DFL), and so
 * does a blocked or ignored SIGSEGV.
 *   ro        alternate stack on a PROT_READ mapping
 *   unmapped  alternate stack on an unmapped range
 *   overflow  a handler on the alternate stack uses it up nearly to its base and
 *             takes another signal, whose frame would not fit: never written below
 *             it (writable memory is there), the process dies of SIGSEGV (the
 *             SIGSEGV frame would go on the same stack) */
#include "common.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define ALT (64 * 1024)

static volatile int usr1_ran, segv_ran, segv_code, segv_signo, segv_usr1_blocked;
static char *alt_base;
static volatile long depth;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_ran++;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    char local;
    segv_ran++;
    segv_signo = si->si_signo;
    segv_code = si->si_code;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    segv_usr1_blocked = sigismember(&cur, SIGUSR1);
    if (&local >= alt_base && &local < alt_base + ALT)
        say("SIGSEGV handler on the alternate stack: BAD\n");
}

static void set(int sig, void *fn, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void status(const char *label, pid_t pid)
{
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        say("%s: killed by signal %d\n", label, WTERMSIG(st));
    else
        say("%s: exit %d\n", label, WEXITSTATUS(st));
}

static void altstack_at(char *base)
{
    stack_t ss = {.ss_sp = base, .ss_size = ALT, .ss_flags = 0};
    res("sigaltstack", sigaltstack(&ss, NULL));
}

static void unwritable(int unmapped)
{
    char *m = mmap(NULL, ALT, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (unmapped)
        munmap(m, ALT);
    alt_base = m;
    altstack_at(m);
    set(SIGUSR1, on_usr1, SA_ONSTACK);
    set(SIGSEGV, on_segv, SA_SIGINFO);
    res("raise SIGUSR1", raise(SIGUSR1));
    say("SIGUSR1 handler ran %d times\n", usr1_ran);
    say("SIGSEGV handler ran %d times: signo %d code %d usr1 blocked %d\n", segv_ran,
        segv_signo, segv_code, segv_usr1_blocked);
    struct sigaction old;
    sigaction(SIGUSR1, NULL, &old);
    check("SIGUSR1 handler still installed", old.sa_handler == on_usr1);
    sigaction(SIGSEGV, NULL, &old);
    check("SIGSEGV handler still installed", old.sa_sigaction == on_segv);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    check("SIGUSR1 not left blocked", !sigismember(&cur, SIGUSR1));
    /* a second time: the same again */
    raise(SIGUSR1);
    say("again: SIGUSR1 %d SIGSEGV %d\n", usr1_ran, segv_ran);

    /* the SIGSEGV handler on the alternate stack too: its frame fails as well */
    pid_t pid = fork();
    if (pid == 0) {
        set(SIGSEGV, on_segv, SA_SIGINFO | SA_ONSTACK);
        raise(SIGUSR1);
        say("child survived a SIGSEGV frame failure: BAD\n");
        _exit(0);
    }
    status("SA_ONSTACK SIGSEGV handler", pid);
    /* a blocked SIGSEGV is unblocked and kills */
    pid = fork();
    if (pid == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGSEGV);
        sigprocmask(SIG_BLOCK, &s, NULL);
        raise(SIGUSR1);
        say("child survived with SIGSEGV blocked: BAD\n");
        _exit(0);
    }
    status("SIGSEGV blocked", pid);
    pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_IGN);
        raise(SIGUSR1);
        say("child survived with SIGSEGV ignored: BAD\n");
        _exit(0);
    }
    status("SIGSEGV ignored", pid);
    /* the failing signal is SIGSEGV itself */
    pid = fork();
    if (pid == 0) {
        set(SIGSEGV, on_segv, SA_SIGINFO | SA_ONSTACK);
        raise(SIGSEGV);
        say("child survived its own SIGSEGV frame failure: BAD\n");
        _exit(0);
    }
    status("SA_ONSTACK SIGSEGV raised", pid);
}

static void on_usr2_nested(int sig)
{
    (void)sig;
    char local;
    if (&local < alt_base)
        say("handler frame below the alternate stack: BAD\n");
    depth++;
}

/* On the alternate stack: use it up to about 768 bytes above its base (more than
 * the 128-byte red zone, less than any frame), then take a nested signal. */
static void __attribute__((noinline)) near_base(void)
{
    char here;
    size_t room = (size_t)(&here - alt_base);
    volatile char *pad = __builtin_alloca(room - 768);
    pad[0] = 0;
    syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2);
}

static void on_usr1_nested(int sig)
{
    (void)sig;
    near_base();
}

static void overflow(void)
{
    /* writable memory below the alternate stack: a frame written past its base
     * would land there instead of faulting */
    char *m = mmap(NULL, 64 * ALT + ALT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    alt_base = m + 64 * ALT;
    altstack_at(alt_base);
    pid_t pid = fork();
    if (pid == 0) {
        set(SIGUSR1, on_usr1_nested, SA_ONSTACK);
        set(SIGUSR2, on_usr2_nested, SA_ONSTACK);
        set(SIGSEGV, on_segv, SA_SIGINFO);
        raise(SIGUSR1);
        say("nested handler returned (ran %ld times): BAD\n", depth);
        _exit(0);
    }
    status("altstack overflow", pid);
    pid = fork();
    if (pid == 0) {
        /* a SIGSEGV handler is no help: its frame would go on the same stack */
        set(SIGUSR1, on_usr1_nested, SA_ONSTACK);
        set(SIGUSR2, on_usr2_nested, 0);
        set(SIGSEGV, SIG_DFL, 0);
        raise(SIGUSR1);
        _exit(0);
    }
    status("altstack overflow, no SIGSEGV handler", pid);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "ro";
    if (!strcmp(mode, "ro"))
        unwritable(0);
    else if (!strcmp(mode, "unmapped"))
        unwritable(1);
    else if (!strcmp(mode, "overflow"))
        overflow();
    return 0;
}
