/* build: static */
/* Fuzzer for the syscalls that were ENOSYS before issue 11 (seccomp, process_vm_*,
 * pidfd_getfd, mincore, membarrier, file handles, keys, clock setting, syslog, POSIX
 * mqueues, vmsplice, kcmp, sched_setattr, ioprio, cachestat, statmount, listmount,
 * timerfd): random arguments, a few thousand calls, in batches run by forked children
 * (a random seccomp filter may kill one). Every call must get an answer: no kernel bug.
 *
 *   sec_fuzz_newcalls SEED NCALLS
 *
 * ONLY under umlskas, in a --root of its own: as root natively it would set the host's
 * clock, its keys and queues. A SIGALRM every 20 ms (no SA_RESTART) interrupts the
 * calls that may block. Prints "calls: N" and "done".
 */
#include "common.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define BUFSZ (64 * 1024UL)
#define STUB_AREA 0x7ffbe0000000UL
#define BATCH 250

static uint64_t rng;
static uint64_t rnd(void)
{
    uint64_t x = rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

static unsigned char *buf, *ropage;
static sigjmp_buf jb;

static long r_int(void)
{
    static const long small[] = {0, 1, 2, 3, 4, 5, 7, 8, 16, 31, 32, 64, 255, 4096, 65536};
    switch (below(9)) {
    case 0: return -1;
    case 1: return (long)rnd();
    case 2: return 0x7fffffffL;
    case 3: return (long)0x8000000000000000UL;
    case 4: return (long)0xffffffffUL;
    case 5: return -(long)below(10);
    case 6: return (long)(1UL << below(63));
    default: return small[below(sizeof small / sizeof small[0])];
    }
}

static void *r_ptr(void)
{
    switch (below(14)) {
    case 0: return NULL;
    case 1: return (void *)1;
    case 2: return ropage;
    case 3: return ropage + PG - 4;
    case 4: return (void *)STUB_AREA;
    case 5: return (void *)(STUB_AREA - 8);
    case 6: return (void *)0xffff800000000000UL;
    case 7: return (void *)-1L;
    case 8: return buf + BUFSZ - 8;
    default: return buf + below(64) * 8;
    }
}

static const char *names[] = {"/", "/proc/self", "/proc/self/mem", "/dev/null", "/f0", "/f1",
                              "/d", "/d/x", "/guest", "/nonexistent", "", "/proc"};
static const char *r_path(void)
{
    if (below(6) == 0)
        return r_ptr();
    return names[below(sizeof names / sizeof names[0])];
}

/* Random data in buf, with a few valid-looking structures. */
static void scramble(void)
{
    for (unsigned i = 0; i < 1024; i += 8) {
        uint64_t v = below(3) ? rnd() : (uint64_t)r_int();
        if (below(4) == 0)
            v = (uint64_t)(buf + below(64) * 8);     /* iovecs, pointers into buf */
        if (below(4) == 0)
            v &= 0xfff;                                /* small sizes */
        memcpy(buf + i, &v, 8);
    }
}

static long r_fd(void)
{
    switch (below(6)) {
    case 0: return -1;
    case 1: return r_int();
    default: return below(24);
    }
}

static void make_filter(int how)
{
    /* A valid-looking classic BPF program: loads of seccomp_data, ALU, forward jumps,
     * memory stores before loads, ending in a return of a random action. */
    static struct sock_filter prog[4096];
    unsigned n = 4 + (unsigned)below(how ? 4092 : 40);
    static const unsigned rets[] = {SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | 1, SECCOMP_RET_TRAP,
                                    SECCOMP_RET_LOG, SECCOMP_RET_TRACE, SECCOMP_RET_ALLOW,
                                    SECCOMP_RET_KILL_THREAD, 0x12345678};
    for (unsigned i = 0; i + 4 < n; i++) {
        switch (below(8)) {
        case 0: prog[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, below(16) * 4); break;
        case 1: prog[i] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, rnd()); break;
        case 2: prog[i] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0); break;
        case 3: prog[i] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0); break;
        case 4: prog[i] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0); break;
        case 5: {
            unsigned left = n - i - 5;
            prog[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 39,
                                                   left ? below(left < 255 ? left : 255) : 0,
                                                   left ? below(left < 255 ? left : 255) : 0);
            break;
        }
        case 6: prog[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, rnd()); break;
        default: prog[i] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_NEG, 0); break;
        }
    }
    /* The action is for one of the fuzzed calls (vhangup most often), so that the
     * batch goes on: a killing action ends it when that call comes. */
    static const unsigned targets[] = {SYS_vhangup, SYS_vhangup, SYS_keyctl, SYS_mincore,
                                       SYS_getpid, 0x80000000u, 0xffffffffu};
    prog[n - 4] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
    prog[n - 3] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                               targets[below(7)], 0, 1);
    prog[n - 2] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, rets[below(8)]);
    prog[n - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog fp = {(unsigned short)n, prog};
    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, below(3) ? 0 : below(64), below(8) ? (void *)&fp : r_ptr());
}

static long fuzz_one(void)
{
    long a = r_int(), b = r_int(), c = r_int(), d = r_int(), e = r_int();
    void *p = r_ptr(), *q = r_ptr(), *s = r_ptr();
    switch (below(40)) {
    case 0:
        if (below(4) == 0) {
            make_filter(below(20) == 0);
            return 0;
        }
        return syscall(SYS_seccomp, below(5), a, p);
    case 1: return syscall(SYS_pidfd_getfd, r_fd(), r_fd(), below(4) ? 0 : a);
    case 2: return syscall(SYS_process_vm_readv, below(4), p, below(8), q, below(8), below(8) ? 0 : a);
    case 3: return syscall(SYS_process_vm_writev, below(4), p, below(8), q, below(8), below(8) ? 0 : a);
    case 4: return syscall(SYS_process_madvise, r_fd(), p, below(8), below(30), below(8) ? 0 : a);
    case 5: return syscall(SYS_process_mrelease, r_fd(), below(4) ? 0 : a);
    case 6: return syscall(SYS_mincore, below(2) ? (long)buf : (long)r_ptr(), below(4) ? (long)below(BUFSZ) : a, p);
    case 7: return syscall(SYS_membarrier, below(4) ? (long)(1UL << below(11)) : a, below(6) ? 0 : b, c);
    case 8: return syscall(SYS_name_to_handle_at, r_fd(), r_path(), p, q, below(3) ? (long)below(0x800) : a);
    case 9: return syscall(SYS_open_by_handle_at, below(2) ? AT_FDCWD : r_fd(), p, below(2) ? O_RDONLY : a);
    case 10: {
        static const char *types[] = {"user", "keyring", "logon", "big_key", ".x", ""};
        return syscall(SYS_add_key, below(6) ? (void *)types[below(6)] : p,
                       below(5) ? (void *)names[below(5)] : q, s, below(4) ? (long)below(64) : a,
                       below(3) ? -(long)below(8) : b);
    }
    case 11: return syscall(SYS_request_key, below(4) ? "user" : p, below(4) ? "/f0" : q, s, -(long)below(8));
    case 12: case 13: case 14:
        return syscall(SYS_keyctl, below(4) ? (long)below(32) : a,
                       below(2) ? -(long)below(9) : b, below(3) ? (long)(below(2) ? p : (void *)c) : -(long)below(9),
                       below(3) ? (long)below(64) : d, e);
    case 15: return syscall(SYS_clock_settime, below(4) ? 0 : a, p);
    case 16: return syscall(SYS_settimeofday, p, q);
    case 17: return syscall(SYS_adjtimex, p);
    case 18: return syscall(SYS_clock_adjtime, below(3) ? 0 : a, p);
    case 19: return syscall(SYS_syslog, below(11), p, below(3) ? (long)below(5000) : a);
    case 20: return syscall(SYS_vhangup);
    case 21: return syscall(SYS_mq_open, below(3) ? (void *)(names[below(6)] + 1) : p,
                            below(3) ? (long)(below(4) | O_CREAT | O_NONBLOCK) : a, 0600, below(2) ? NULL : q);
    case 22: return syscall(SYS_mq_unlink, below(3) ? (void *)(names[below(6)] + 1) : p);
    case 23: return syscall(SYS_mq_timedsend, r_fd(), p, below(4) ? (long)below(9000) : a, below(4) ? (long)below(40000) : b, q);
    case 24: return syscall(SYS_mq_timedreceive, r_fd(), p, below(4) ? (long)below(9000) : a, q, s);
    case 25: {
        /* Only signals that have a handler: never SIGKILL/SIGSTOP on ourselves. */
        struct sigevent sev = {0};
        sev.sigev_notify = below(4);
        sev.sigev_signo = below(2) ? SIGUSR1 : SIGUSR2;
        return syscall(SYS_mq_notify, r_fd(), below(3) ? (void *)&sev : (below(2) ? NULL : ropage));
    }
    case 26: return syscall(SYS_mq_getsetattr, r_fd(), p, q);
    case 27: return syscall(SYS_vmsplice, r_fd(), p, below(8), below(3) ? (long)below(16) : a);
    case 28: return syscall(SYS_kcmp, below(4), below(4), below(3) ? (long)below(9) : a, r_fd(), below(2) ? r_fd() : (long)p);
    case 29: return syscall(SYS_sched_setattr, below(3), p, below(4) ? 0 : a);
    case 30: return syscall(SYS_sched_getattr, below(3), p, below(3) ? (long)below(200) : a, below(4) ? 0 : b);
    case 31: return syscall(SYS_ioprio_set, below(5), below(3), below(3) ? (long)below(0x10000) : a);
    case 32: return syscall(SYS_ioprio_get, below(5), below(3) ? (long)below(3) : a);
    case 33: return syscall(451 /* cachestat */, r_fd(), p, q, below(4) ? 0 : a);
    case 34: return syscall(457 /* statmount */, p, q, below(3) ? (long)below(8192) : a, below(4) ? 0 : b);
    case 35: return syscall(458 /* listmount */, p, q, below(3) ? (long)below(64) : a, below(4) ? 0 : b);
    case 36: return syscall(SYS_timerfd_create, below(3) ? (long)below(12) : a, below(3) ? 04000 : b);
    case 37: {
        struct itimerspec its = {{0, below(3) ? 1 : (long)below(1000000000)}, {0, 1 + (long)below(1000)}};
        return syscall(SYS_timerfd_settime, r_fd(), below(4) ? (long)below(4) : a, below(2) ? (void *)&its : p, q);
    }
    case 38:
        if (below(2))
            return syscall(below(2) ? 0x80000000L : (long)0xffffffffL, a, b);
        return syscall(SYS_timerfd_gettime, r_fd(), p);
    default: {
        int fds[2];
        if (pipe2(fds, O_NONBLOCK) == 0 && fds[0] > 20) {
            close(fds[0]);
            close(fds[1]);
        }
        return syscall(SYS_pidfd_open, below(4), below(4) ? 0 : a);
    }
    }
}

static void on_fault(int sig)
{
    (void)sig;
    siglongjmp(jb, 1);
}

static void on_signal(int sig) { (void)sig; }

static void batch(uint64_t seed, int n)
{
    rng = seed * 0x9E3779B97F4A7C15ULL | 1;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    for (int sig = 1; sig < 65; sig++)
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV && sig != SIGBUS && sig != SIGSYS)
            sigaction(sig, &sa, NULL);
    sa.sa_handler = on_fault;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSYS, &sa, NULL);
    struct itimerval it = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (volatile int i = 0; i < n; i++) {
        if (sigsetjmp(jb, 1))
            continue;
        scramble();
        fuzz_one();
        /* A filter may have changed the signal mask's syscalls: restore the faulting
         * signals each time (rt_sigprocmask is allowed by most filters). */
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sec_fuzz_newcalls SEED NCALLS\n");
        return 2;
    }
    uint64_t seed = strtoull(argv[1], NULL, 0);
    int ncalls = atoi(argv[2]);
    buf = mmap(NULL, BUFSZ + PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(buf + BUFSZ, PG, PROT_NONE);
    ropage = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    close(open("/f0", O_CREAT | O_WRONLY, 0644));
    close(open("/f1", O_CREAT | O_WRONLY, 0644));
    mkdir("/d", 0755);
    close(open("/d/x", O_CREAT | O_WRONLY, 0644));
    int done = 0;
    for (int b = 0; done < ncalls; b++) {
        int n = ncalls - done < BATCH ? ncalls - done : BATCH;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            batch(seed * 1000 + (uint64_t)b, n);
            _exit(0);
        }
        /* A filter that refuses exit_group would leave the child spinning: 20 s. */
        int st, waited = 0;
        while (waitpid(pid, &st, WNOHANG) == 0) {
            if (++waited > 2000) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                break;
            }
            usleep(10000);
        }
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "batch %d: status %#x\n", b, st);
        done += n;
    }
    printf("calls: %d\n", done);
    printf("done\n");
    return 0;
}
