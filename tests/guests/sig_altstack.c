/* sigaltstack + SA_ONSTACK: a stack overflow (infinite recursion) is caught
 * by a SIGSEGV handler running on the alternate stack. */
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>

#define ALT_SIZE (64 * 1024)

static char altstack[ALT_SIZE] __attribute__((aligned(16)));
static sigjmp_buf env;
static volatile int on_alt, ss_flags_onstack, depth_positive;
static volatile long depth;
static volatile int keep_going = 1;

static void on_segv(int sig)
{
    (void)sig;
    char local;
    on_alt = &local >= altstack && &local < altstack + ALT_SIZE;
    stack_t cur;
    sigaltstack(NULL, &cur);
    ss_flags_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
    depth_positive = depth > 100;
    siglongjmp(env, 1);
}

static long __attribute__((noinline)) recurse(long n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    depth = n;
    if (!keep_going)
        return pad[0];
    return recurse(n + 1) + pad[0];
}

static void on_usr1(int sig)
{
    (void)sig;
    char local;
    on_alt = &local >= altstack && &local < altstack + ALT_SIZE;
}

int main(void)
{
    /* keep the overflow quick and bounded */
    struct rlimit rl = {1 << 20, 1 << 20};
    getrlimit(RLIMIT_STACK, &rl);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (8u << 20)) {
        rl.rlim_cur = 8u << 20;
        setrlimit(RLIMIT_STACK, &rl);
    }
    stack_t ss, old;
    ss.ss_sp = altstack;
    ss.ss_size = ALT_SIZE;
    ss.ss_flags = 0;
    res("sigaltstack", sigaltstack(&ss, &old));
    check("no previous alternate stack", old.ss_flags & SS_DISABLE);
    stack_t small = {.ss_sp = altstack, .ss_size = 1024, .ss_flags = 0};
    res("sigaltstack too small", sigaltstack(&small, NULL));
    stack_t badf = {.ss_sp = altstack, .ss_size = ALT_SIZE, .ss_flags = 0x10};
    res("sigaltstack bad flags", sigaltstack(&badf, NULL));
    sigaltstack(NULL, &old);
    check("read back: same base", old.ss_sp == altstack);
    say("read back: size %zu flags %d\n", old.ss_size, old.ss_flags);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    check("SA_ONSTACK handler for a normal signal runs on the alternate stack", on_alt);
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    check("handler without SA_ONSTACK runs on the normal stack", !on_alt);

    sa.sa_handler = on_segv;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(env, 1) == 0) {
        recurse(0);
        say("recursion returned: BAD\n");
    } else {
        say("stack overflow caught\n");
        check("handler ran on the alternate stack", on_alt);
        check("sigaltstack() in the handler reported SS_ONSTACK", ss_flags_onstack);
        check("recursion went deep before overflowing", depth_positive);
    }
    sigaltstack(NULL, &old);
    check("after siglongjmp: not on the alternate stack", !(old.ss_flags & SS_ONSTACK));

    /* disabling */
    ss.ss_flags = SS_DISABLE;
    res("sigaltstack SS_DISABLE", sigaltstack(&ss, NULL));
    sigaltstack(NULL, &old);
    check("now disabled", old.ss_flags & SS_DISABLE);
    return 0;
}
