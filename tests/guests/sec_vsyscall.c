/* Calls through the legacy vsyscall page: 0xffffffffff600000 gettimeofday,
 * ...400 time, ...800 getcpu. The host emulates them from the page fault of
 * the call itself (no `syscall` instruction runs); under umlskas they must
 * reach the kernel like the syscalls they stand for.
 *
 *   sec_vsyscall           sane values (the native oracle): the calls succeed,
 *                          agree with clock_gettime(REALTIME) to a few seconds
 *                          and getcpu names a CPU the process may run on
 *   sec_vsyscall values    the raw seconds, for --deterministic: each call's
 *                          seconds next to a raw clock_gettime's
 *   sec_vsyscall signals   a child sends SIGUSR1 to us while we loop on
 *                          vsyscall time(): signals land at the vsyscall stop
 *                          (the kernel then builds a handler frame there);
 *                          every return must still be sane and the loop intact
 *   sec_vsyscall misaligned  a call into the page that is no entry point: the
 *                          host kills it with SIGSEGV (as any call does with
 *                          vsyscall=none)
 */
/* build: static */
#include "common.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#define VSYS_GETTIMEOFDAY 0xffffffffff600000UL
#define VSYS_TIME 0xffffffffff600400UL
#define VSYS_GETCPU 0xffffffffff600800UL

static long vgettimeofday(struct timeval *tv, void *tz)
{
    return ((long (*)(struct timeval *, void *))VSYS_GETTIMEOFDAY)(tv, tz);
}

static long vtime(long *t)
{
    return ((long (*)(long *))VSYS_TIME)(t);
}

static long vgetcpu(unsigned *cpu, unsigned *node, void *cache)
{
    return ((long (*)(unsigned *, unsigned *, void *))VSYS_GETCPU)(cpu, node, cache);
}

static long raw_realtime(void)
{
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
    (void)sig;
    got++;
}

static int signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getpid();
    /* The child's "done" flag: shared memory, so that our loop makes no syscall
     * but the vsyscalls themselves (a signal then mostly finds us at one). */
    volatile int *done = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                              -1, 0);
    if (done == MAP_FAILED)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < 300; i++)
            kill(parent, SIGUSR1);
        *done = 1;
        _exit(0);
    }
    long now = raw_realtime(), loops = 0, bad = 0;
    while (!*done && loops < 2000000) {
        long a = vtime(NULL);
        long t = 0;
        long b = vtime(&t);
        volatile long guard = loops * 3 + 1;   /* a local that must survive each call */
        if (a < now - 5 || b < a || t != b || guard != loops * 3 + 1)
            bad++;
        loops++;
    }
    /* A few more after the last signal. */
    for (int i = 0; i < 100; i++)
        if (vtime(NULL) < now - 5)
            bad++;
    int status;
    waitpid(child, &status, 0);
    check("vsyscall time under signals: every return sane", bad == 0);
    check("vsyscall time under signals: handler ran", got > 0);
    check("vsyscall time under signals: child ok", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return 0;
}

int main(int argc, char **argv)
{
    struct timeval tv = {0, 0};
    long t = 0;
    unsigned cpu = 12345, node = 12345;
    if (argc > 1 && strcmp(argv[1], "signals") == 0)
        return signals();
    if (argc > 1 && strcmp(argv[1], "misaligned") == 0) {
        vtime(NULL);        /* a good call first: its stop must not linger */
        printf("before\n");
        return ((long (*)(void *))(VSYS_GETTIMEOFDAY + 0x100))(NULL) ? 3 : 4;
    }
    long r1 = vgettimeofday(&tv, NULL);
    long clk = raw_realtime();
    long r2 = vtime(&t);
    long r3 = vgetcpu(&cpu, &node, NULL);
    if (argc > 1 && strcmp(argv[1], "values") == 0) {
        printf("gettimeofday %ld %ld\n", r1, (long)tv.tv_sec);
        printf("time %ld %ld\n", r2, t);
        printf("clock_gettime %ld\n", clk);
        printf("getcpu %ld %u %u\n", r3, cpu, node);
        return 0;
    }
    res("vsyscall gettimeofday", r1);
    check("  near clock_gettime(REALTIME)", tv.tv_sec >= clk - 5 && tv.tv_sec <= clk + 5);
    check("  usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    check("vsyscall time near clock_gettime(REALTIME)", r2 >= clk - 5 && r2 <= clk + 5);
    check("  stored equals returned", t == r2);
    check("vsyscall time(NULL) near too", vtime(NULL) >= clk - 5);
    res("vsyscall getcpu", r3);
    /* Not checked against sched_getaffinity: umlskas's getcpu answers cpu 0
     * whatever CPU the kernel is pinned to (a fixed answer, deterministic). */
    check("  cpu set", cpu < 4096);
    check("  node set", node != 12345);
    res("vsyscall getcpu NULL NULL", vgetcpu(NULL, NULL, NULL));
    return 0;
}
