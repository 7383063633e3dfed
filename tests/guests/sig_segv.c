/* SIGSEGV handler that siglongjmps out of a faulting write. */
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf env;
static volatile int got_signo, got_code, addr_ok, calls;
static void *volatile expect_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    calls++;
    got_signo = sig;
    got_code = si->si_code;
    addr_ok = si->si_addr == expect_addr;
    siglongjmp(env, 1);
}

static const char *segv_code(int c)
{
    return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "?";
}

static int blocked(int sig)
{
    sigset_t s;
    sigprocmask(SIG_BLOCK, NULL, &s);
    return sigismember(&s, sig);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    for (volatile int round = 1; round <= 3; round++) {
        expect_addr = NULL;
        if (sigsetjmp(env, 1) == 0) {
            *(volatile int *)expect_addr = 42;
            say("round %d: write to NULL did not fault: BAD\n", round);
        } else {
            say("round %d: caught signal %s code %s, si_addr is the fault address: %s\n", round,
                got_signo == SIGSEGV ? "SIGSEGV" : "?", segv_code(got_code), addr_ok ? "yes" : "BAD");
            check("  SIGSEGV unblocked again after siglongjmp", !blocked(SIGSEGV));
        }
    }

    /* read-only page: SEGV_ACCERR with the exact address */
    char *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect_addr = ro + 123;
    if (sigsetjmp(env, 1) == 0) {
        *(volatile char *)expect_addr = 1;
        say("write to read-only page did not fault: BAD\n");
    } else {
        say("read-only page: code %s, address matches: %s\n", segv_code(got_code), addr_ok ? "yes" : "BAD");
    }

    /* without savemask (sigsetjmp(env, 0)) the signal stays blocked */
    expect_addr = NULL;
    if (sigsetjmp(env, 0) == 0) {
        *(volatile int *)expect_addr = 42;
    } else {
        check("sigsetjmp(env, 0): SIGSEGV still blocked after the jump", blocked(SIGSEGV));
    }
    say("handler calls: %d\n", calls);
    return 0;
}
