/* Syscall fuzzer: random syscalls from a SAFE whitelist with random-ish
 * arguments.  The kernel under test must answer every one of them with a
 * result or an errno -- never crash, hang or report a kernel bug.
 *
 *   fuzz_syscalls SEED [NCALLS [SCRATCHDIR]]
 *
 * SAFE means that even a broken kernel cannot hurt the machine or the test
 * runner through these calls:
 *  - nothing that modifies the file system outside SCRATCHDIR (files are only
 *    created with openat(scratch_dirfd, "fN", O_CREAT...)); no unlink, rename,
 *    chmod, mount, ...;
 *  - write-type calls only on fds the guest created itself (tracked in own[]);
 *  - nothing that blocks: every fd it creates is O_NONBLOCK (and kept so),
 *    every timeout is zero, futex waits get a zero timeout;
 *  - memory management only inside a 64 MiB reserve it mapped itself, plus a
 *    few absurd addresses that must fail;
 *  - signals: every catchable signal has a harmless handler, faults
 *    siglongjmp back, and random signal-state changes are undone at once;
 *  - kill only with signal 0 on itself; a few fork() + _exit(0) + waitpid.
 * Output is deterministic ("calls: N", "done"): errno values are not shown.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL
#define BUFSZ (64 * 1024UL)
#define RESERVE (64UL << 20)
#define MAXFD 1101
#define STUB_AREA 0x7ffbe0000000UL
#define KERN_ADDR 0xffff800000000000UL

static unsigned char skip[64];
static unsigned last_case;
static int trace; /* FUZZ_TRACE=1: one line per call on stderr (debugging aid) */

/* ---------------------------------------------------------------- PRNG */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }
static int chance(int percent) { return (int)below(100) < percent; }

/* ---------------------------------------------------------------- memory */
static unsigned char *buf;      /* BUFSZ bytes, followed by a PROT_NONE guard page */
static unsigned char *ropage;   /* read-only page */
static unsigned char *unmapped; /* the page just past ropage, unmapped */
static unsigned char *reserve;  /* RESERVE bytes we carve from */
static unsigned char *altstack;
static struct timespec *zero_ts;
static struct timeval *zero_tv;
static int stub_area_free;      /* natively nothing is mapped there */

static long r_small(void)
{
    static const long v[] = {0, 1, 2, 3, 4, 7, 8, 16, 64, 100, 255, 4096, 4097, 65536};
    return v[below(sizeof v / sizeof v[0])];
}

/* a random-ish integer argument */
static long r_int(void)
{
    switch (below(10)) {
    case 0: return -1;
    case 1: return (long)rnd();
    case 2: return 0x7fffffffL;
    case 3: return (long)0x8000000000000000UL;
    case 4: return (long)0xffffffffUL;
    case 5: return -(long)below(200);
    case 6: return (long)(1UL << below(63));
    case 7: return (long)0x800000000000UL;
    default: return r_small();
    }
}

/* a random pointer argument (writes land in buf, bounded by its guard page) */
static void *r_ptr(void)
{
    switch (below(16)) {
    case 12: return (void *)0x7ffffffff000UL;      /* last user page */
    case 13: return (void *)(0x800000000000UL - 8); /* straddles the end of user space */
    case 14: return ropage + PG - 4;                /* straddles into the unmapped page */
    case 15: return (void *)(STUB_AREA - 8);        /* straddles into the stub area */
    case 0: return NULL;
    case 1: return (void *)1;
    case 2: return (void *)0x1000;
    case 3: return ropage;
    case 4: return unmapped;
    case 5: return (void *)KERN_ADDR;
    case 6: return (void *)STUB_AREA;
    case 7: return (void *)(STUB_AREA + 0x1000);
    case 8: return (void *)-1L;
    case 9: return buf + BUFSZ - 8; /* straddles the guard page */
    default: return buf;
    }
}

/* a pointer that is never NULL nor the (random-content) buffer: used for
 * timeouts so that nothing ever blocks */
static void *r_timeout_ts(void)
{
    switch (below(6)) {
    case 0: return (void *)1;
    case 1: return (void *)KERN_ADDR;
    case 2: return (void *)STUB_AREA;
    case 3: return unmapped;
    default: return zero_ts;
    }
}
static void *r_timeout_tv(void)
{
    return below(4) ? (void *)zero_tv : r_timeout_ts() == zero_ts ? (void *)zero_tv : (void *)1;
}

/* ---------------------------------------------------------------- fds */
static unsigned char own[MAXFD + 64]; /* fds we created: safe to read/write */
static int dirfd_scratch = -1;

static void mark(long fd, int v)
{
    if (fd >= 0 && fd < (long)sizeof own)
        own[fd] = (unsigned char)v;
}

static int own_fd(void)
{
    int cand[64], n = 0;
    for (int fd = 3; fd < (int)sizeof own && n < 64; fd++)
        if (own[fd])
            cand[n++] = fd;
    if (!n)
        return -1;
    return cand[below(n)];
}

/* any fd number; most of the time one of ours */
static long r_fd(void)
{
    switch (below(8)) {
    case 0: return -1;
    case 1: return (long)below(MAXFD);
    case 2: return (long)below(10);
    case 3: return dirfd_scratch;
    case 4: return AT_FDCWD;
    case 5: return r_int();
    default: return own_fd();
    }
}

/* fd that may be written/read without risk (ours), or an invalid one */
static long r_own_or_bad(void)
{
    if (chance(10))
        return below(2) ? -1 : 100000;
    return own_fd();
}

static int closable(long fd)
{
    return fd > 2 && fd != dirfd_scratch;
}

/* ---------------------------------------------------------------- paths */
static char longname[5000];
static char name300[300];
static const char *r_path(void)
{
    static const char *p[] = {"f0", "f1", "f2", "f3", "d0", "nonexistent", "", ".", "..",
                              "/", "/proc/self/exe", "/proc/self/maps", "/proc/self/fd/1",
                              "/proc/self/status", "/dev/null", "/etc/passwd", "f0/x", "//",
                              "/nonexistent/dir/x"};
    switch (below(24)) {
    case 0: return longname;
    case 1: return name300;
    case 2: return (const char *)r_ptr();
    case 3: return (const char *)(ropage); /* zero-filled: "" */
    default: return p[below(sizeof p / sizeof p[0])];
    }
}
/* a name for O_CREAT: plain names only, used with dirfd_scratch */
static const char *r_scratch_name(void)
{
    static const char *n[] = {"f0", "f1", "f2", "f3", "d0"};
    return n[below(5)];
}

/* ---------------------------------------------------------------- signals */
static sigjmp_buf fault_env;
static volatile sig_atomic_t in_call;
static unsigned long faults;

static void noop_handler(int sig) { (void)sig; }
static void fault_handler(int sig)
{
    (void)sig;
    if (in_call)
        siglongjmp(fault_env, 1);
    _exit(99);
}

static int is_fault_sig(int s)
{
    return s == SIGSEGV || s == SIGBUS || s == SIGILL || s == SIGFPE || s == SIGTRAP || s == SIGSYS;
}

static sigset_t std_mask;

static void std_handler(int s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (is_fault_sig(s)) {
        sa.sa_handler = fault_handler;
        sa.sa_flags = SA_NODEFER;
    } else {
        sa.sa_handler = noop_handler;
        sa.sa_flags = SA_RESTART;
    }
    sigaction(s, &sa, NULL);
}

static void std_signals(void)
{
    for (int s = 1; s < 65; s++)
        if (s != SIGKILL && s != SIGSTOP)
            std_handler(s);
    sigprocmask(SIG_SETMASK, &std_mask, NULL);
}

/* ---------------------------------------------------------------- helpers */
static long sc(long n, long a, long b, long c, long d, long e, long f)
{
    if (trace)
        fprintf(stderr, "  > %ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)\n", n, a, b, c, d, e, f);
    long r = syscall(n, a, b, c, d, e, f);
    if (trace) {
        int er = errno;
        fprintf(stderr, "  sc %ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld %s\n", n, a, b, c, d, e, f, r,
                r == -1 ? strerrorname_np(er) : "");
        errno = er;
    }
    return r;
}
#define L(x) ((long)(x))

static void refill(void)
{
    uint64_t *w = (uint64_t *)buf;
    for (unsigned i = 0; i < 512; i++)
        w[i] = rnd();
    if (chance(30))
        memset(buf, 0, 512); /* small values: many structs become valid */
}

static unsigned long reserve_addr(void) { return (unsigned long)reserve + below(RESERVE / PG) * PG; }
static unsigned long reserve_len(unsigned long addr)
{
    unsigned long max = (unsigned long)reserve + RESERVE - addr;
    switch (below(5)) {
    case 0: return 0;
    case 1: return PG;
    case 2: return below(max + 1);          /* unaligned lengths too */
    default: return (below(max / PG) + 1) * PG;
    }
}

/* is [addr, addr+len) inside the reserve? */
static int in_reserve(unsigned long addr, unsigned long len)
{
    return addr >= (unsigned long)reserve && len <= RESERVE &&
           addr + len <= (unsigned long)reserve + RESERVE;
}

/* an absurd address for mm calls (must fail or be a no-op natively) */
static unsigned long absurd_addr(void)
{
    switch (below(4)) {
    case 0: return KERN_ADDR;
    case 1: return stub_area_free ? STUB_AREA : KERN_ADDR + PG;
    case 2: return 0xfffffffffffff000UL;
    default: return 1; /* unaligned */
    }
}

static int nforks;
static int ntimers;
static long timers[16];

/* ---------------------------------------------------------------- the calls */
static long one_call(void)
{
    long r, fd;
    refill();
    unsigned which = (unsigned)below(60);
    last_case = which;
    if (skip[which])
        return 0; /* FUZZ_SKIP=n,m,...: debugging aid to get past a known bug */
    switch (which) {
    case 0: { /* read from own fds (all nonblocking or regular) */
        fd = r_own_or_bad();
        r = sc(SYS_read, fd, L(below(4) ? (void *)buf : r_ptr()), (long)below(BUFSZ + 100), 0, 0, 0);
        break;
    }
    case 1: { /* write to own fds */
        fd = r_own_or_bad();
        r = sc(SYS_write, fd, L(below(4) ? (void *)buf : r_ptr()), (long)below(below(2) ? 64 : BUFSZ), 0, 0, 0);
        break;
    }
    case 2: { /* pread / pwrite */
        static const long offs[] = {0, 1, 4096, -1, 1L << 62, 0x7fffffffffffffffL, 1 << 20};
        fd = r_own_or_bad();
        long off = offs[below(7)];
        if (below(2))
            r = sc(SYS_pread64, fd, L(below(4) ? (void *)buf : r_ptr()), (long)below(BUFSZ), off, 0, 0);
        else
            r = sc(SYS_pwrite64, fd, L(below(4) ? (void *)buf : r_ptr()), (long)below(8192), off, 0, 0);
        break;
    }
    case 3: { /* readv / writev with iovecs pointing into buf or bad pointers */
        struct iovec *iov = (struct iovec *)(buf + 8192);
        int n = (int)below(6);
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = below(3) ? (void *)(buf + 16384 + below(4096)) : r_ptr();
            iov[i].iov_len = below(5) ? below(4096) : (size_t)r_int();
        }
        long cnt = below(8) ? n : r_int();
        void *vp = below(6) ? (void *)iov : r_ptr();
        fd = r_own_or_bad();
        if (trace && (vp == buf || vp == iov))
            for (long i = 0; i < cnt && i < 8; i++)
                fprintf(stderr, "  iov[%ld] = {%p, %#zx}\n", i, ((struct iovec *)vp)[i].iov_base, ((struct iovec *)vp)[i].iov_len);
        r = sc(below(2) ? SYS_readv : SYS_writev, fd, L(vp), cnt, 0, 0, 0);
        break;
    }
    case 4: fd = r_fd(); if (fd >= 0 && fd <= 2) fd = own_fd();
        r = sc(SYS_lseek, fd, r_int(), below(8) ? (long)below(5) : r_int(), 0, 0, 0); break;
    case 5: r = sc(SYS_fstat, r_fd(), L(r_ptr()), 0, 0, 0, 0); break;
    case 6: r = sc(SYS_newfstatat, r_fd(), L(r_path()), L(r_ptr()), below(3) ? 0 : r_int() & 0x1fff, 0, 0); break;
    case 7: r = sc(SYS_statx, r_fd(), L(r_path()), below(3) ? 0 : r_int(), below(2) ? 0xfff : r_int(), L(r_ptr()), 0); break;
    case 8:
        if (below(2))
            r = sc(SYS_access, L(r_path()), below(3) ? (long)below(8) : r_int(), 0, 0, 0, 0);
        else
            r = sc(SYS_faccessat, r_fd(), L(r_path()), below(3) ? (long)below(8) : r_int(), 0, 0, 0);
        break;
    case 9:
        if (below(2))
            r = sc(SYS_readlink, L(r_path()), L(r_ptr()), below(3) ? (long)below(5000) : r_int(), 0, 0, 0);
        else
            r = sc(SYS_readlinkat, r_fd(), L(r_path()), L(r_ptr()), below(3) ? (long)below(5000) : r_int(), 0, 0);
        break;
    case 10: r = sc(SYS_getdents64, r_fd(), L(r_ptr()), below(3) ? (long)below(BUFSZ) : r_int(), 0, 0, 0); break;
    case 11: { /* fcntl with random commands */
        static const long cmds[] = {F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK,
                                    F_SETLKW, F_GETOWN, F_SETOWN, F_GETSIG, F_SETSIG, F_GETOWN_EX,
                                    F_SETOWN_EX, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW,
                                    F_SETLEASE, F_GETLEASE, F_NOTIFY, F_DUPFD_CLOEXEC,
                                    F_SETPIPE_SZ, F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS,
                                    F_GET_RW_HINT, F_SET_RW_HINT, F_GET_FILE_RW_HINT, 12345, -1, 100};
        long cmd = cmds[below(sizeof cmds / sizeof cmds[0])];
        if (chance(5))
            cmd = (long)below(2000);
        long arg = below(2) ? r_int() : L(r_ptr());
        if (cmd == F_SETLKW) cmd = F_SETLK;
        if (cmd == F_OFD_SETLKW) cmd = F_OFD_SETLK;
        if (cmd == F_SETOWN) arg = below(2) ? 0 : getpid();
        if (cmd == F_SETOWN_EX) { /* {type, pid}: only ourselves */
            int *o = (int *)(buf + 9000);
            o[0] = (int)below(4); o[1] = below(2) ? 0 : getpid();
            arg = L(o);
        }
        if (cmd == F_SETFL) arg |= O_NONBLOCK;
        if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) arg = below(4) ? (long)below(MAXFD) : r_int();
        fd = r_fd();
        if (cmd == F_SETFL && !own[fd < 0 || fd >= MAXFD ? 0 : fd])
            fd = own_fd(); /* never change the flags of stdin/stdout */
        r = sc(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
        if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
            mark(r, fd >= 0 && fd < MAXFD ? own[fd] : 0);
        break;
    }
    case 12: { /* dup / dup2 / dup3 / close */
        long a = r_fd(), b = below(3) ? 3 + (long)below(MAXFD - 3) : r_int();
        switch (below(4)) {
        case 0:
            r = sc(SYS_dup, a, 0, 0, 0, 0, 0);
            if (r >= 0) mark(r, a >= 0 && a < MAXFD ? own[a] : 0);
            break;
        case 1:
        case 2:
            if (b >= 0 && b <= 2) b = 3;
            if (b == dirfd_scratch) b++;
            if (b == a) { /* dup2(a, a) is fine */ }
            r = below(2) ? sc(SYS_dup2, a, b, 0, 0, 0, 0)
                         : sc(SYS_dup3, a, b, below(2) ? O_CLOEXEC : r_int(), 0, 0, 0);
            if (r >= 0 && r != a) mark(r, a >= 0 && a < MAXFD ? own[a] : 0);
            break;
        default:
            if (closable(a)) {
                r = sc(SYS_close, a, 0, 0, 0, 0, 0);
                mark(a, 0);
            } else {
                r = sc(SYS_close, below(2) ? -1 : 100000 + (long)below(10), 0, 0, 0, 0, 0);
            }
        }
        break;
    }
    case 13: { /* ioctl on own fds, harmless command numbers */
        static const unsigned long cmds[] = {FIONREAD, FIOCLEX, FIONCLEX, TCGETS, TIOCGWINSZ,
                                             TIOCGPGRP, 0x80086601 /* FS_IOC_GETFLAGS */,
                                             2 /* FIGETBSZ */, 0x541B, 0x5452 /* FIOASYNC */, 0};
        unsigned long cmd = cmds[below(sizeof cmds / sizeof cmds[0])];
        if (chance(30))
            cmd = 0x5400 + below(0x100);
        if (chance(5))
            cmd = 0xdead0000UL + below(0x100);
        if (cmd == FIONBIO || cmd == TIOCSTI)
            cmd = FIONREAD;
        r = sc(SYS_ioctl, r_own_or_bad(), (long)cmd, L(r_ptr()), 0, 0, 0);
        break;
    }
    case 14: { /* mmap inside the reserve */
        unsigned long a = reserve_addr(), len = reserve_len(a);
        long prot = below(4) ? (long)below(8) : r_int();
        long flags = (below(2) ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED;
        long mfd = -1, off = 0;
        if (below(3)) flags |= MAP_ANONYMOUS;
        else { mfd = r_own_or_bad(); off = below(3) ? (long)(below(4) * PG) : r_int(); }
        if (chance(20)) flags |= (long)(rnd() & (MAP_NORESERVE | MAP_POPULATE | MAP_LOCKED | MAP_STACK |
                                                 MAP_HUGETLB | MAP_32BIT | MAP_GROWSDOWN | 0x01000000));
        if (chance(5)) flags = (long)(rnd() & 0xffffffUL) | MAP_FIXED;
        r = sc(SYS_mmap, (long)a, (long)len, prot, flags, mfd, off);
        if (r != -1 && (unsigned long)r != a) /* moved elsewhere? then undo */
            munmap((void *)r, len);
        break;
    }
    case 15: { /* mmap without a fixed address, then unmap */
        unsigned long len = below(3) ? (below(256) + 1) * PG : (unsigned long)r_int();
        long flags = MAP_PRIVATE | MAP_ANONYMOUS;
        if (below(3)) flags |= MAP_FIXED_NOREPLACE;
        unsigned long hint = below(2) ? absurd_addr() : 0;
        r = sc(SYS_mmap, (long)hint, (long)len, (long)below(8), flags, -1, 0);
        if (r != -1) munmap((void *)r, len);
        break;
    }
    case 16: { /* munmap / mprotect / madvise / msync in the reserve */
        unsigned long a = reserve_addr(), len = reserve_len(a);
        if (chance(15)) { a = absurd_addr(); len = below(2) ? PG : 0; }
        if (chance(3)) a += 1;
        int advs[] = {0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                      23, 24, 25, 26, 99, -1};
        switch (below(4)) {
        case 0: r = sc(SYS_munmap, (long)a, (long)len, 0, 0, 0, 0); break;
        case 1: r = sc(SYS_mprotect, (long)a, (long)len, below(4) ? (long)below(8) : r_int(), 0, 0, 0); break;
        case 2: r = sc(SYS_madvise, (long)a, (long)len, advs[below(sizeof advs / sizeof advs[0])], 0, 0, 0); break;
        default: r = sc(SYS_msync, (long)a, (long)len, below(3) ? (long)below(8) : r_int(), 0, 0, 0);
        }
        break;
    }
    case 17: { /* mremap */
        unsigned long a = reserve_addr(), len = reserve_len(a);
        unsigned long na = reserve_addr(), nlen = below(2) ? len : reserve_len(na);
        long flags = (long)below(8); /* MAYMOVE, FIXED, DONTUNMAP */
        if (chance(10)) { a = absurd_addr(); }
        if ((flags & MREMAP_FIXED) && !in_reserve(na, nlen)) { na = KERN_ADDR; }
        if (!(flags & (MREMAP_FIXED | MREMAP_MAYMOVE)) && !in_reserve(a, nlen) && a == (unsigned long)reserve) nlen = len;
        if (!(flags & MREMAP_MAYMOVE) && in_reserve(a, len) && !in_reserve(a, nlen)) nlen = len;
        r = sc(SYS_mremap, (long)a, (long)len, (long)nlen, flags, (long)na, 0);
        if (r != -1 && !in_reserve((unsigned long)r, nlen))
            munmap((void *)r, nlen); /* moved out of the reserve: drop it */
        break;
    }
    case 18: { /* brk: query, grow a little and restore */
        long cur = sc(SYS_brk, 0, 0, 0, 0, 0, 0);
        switch (below(4)) {
        case 0: r = cur; break;
        case 1:
            r = sc(SYS_brk, cur + (long)below(1 << 20), 0, 0, 0, 0, 0);
            sc(SYS_brk, cur, 0, 0, 0, 0, 0);
            break;
        case 2: r = sc(SYS_brk, below(2) ? 1 : (long)KERN_ADDR, 0, 0, 0, 0, 0); break;
        default: r = sc(SYS_brk, -1, 0, 0, 0, 0, 0);
        }
        if (sc(SYS_brk, 0, 0, 0, 0, 0, 0) != cur) /* brk must be back */
            sc(SYS_brk, cur, 0, 0, 0, 0, 0);
        break;
    }
    case 19: { /* futex on our own words, zero timeouts */
        static int words[4];
        int *w = &words[below(4)];
        if (below(2)) *w = (int)below(3);
        long op = (long)below(14) | (below(2) ? FUTEX_PRIVATE_FLAG : 0) | (below(4) ? 0 : FUTEX_CLOCK_REALTIME);
        if (chance(5)) op = r_int();
        void *uaddr = below(6) ? (void *)w : r_ptr();
        if (uaddr == buf || uaddr == buf + BUFSZ - 8) uaddr = w;
        void *uaddr2 = below(2) ? (void *)&words[below(4)] : (void *)r_ptr();
        if (uaddr2 == buf || uaddr2 == buf + BUFSZ - 8) uaddr2 = &words[0];
        long val = below(3) ? (long)below(3) : r_int();
        long val3 = below(2) ? (long)FUTEX_BITSET_MATCH_ANY : r_int();
        /* the 4th argument is a timeout for waits, a count for requeues: a
         * pointer to a zero timespec is fine either way */
        r = sc(SYS_futex, L(uaddr), op, val, L(r_timeout_ts()), L(uaddr2), val3);
        break;
    }
    case 20: { /* rt_sigaction: random flags, harmless handlers; undone at once */
        int s = (int)below(70);
        if (is_fault_sig(s)) s = SIGUSR1;
        if (below(3)) {
            struct sigaction sa, old;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = below(2) ? noop_handler : SIG_IGN;
            sa.sa_flags = (int)(rnd() & (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_RESTART | SA_NODEFER));
            sigfillset(&sa.sa_mask);
            r = sigaction(s, below(4) ? &sa : NULL, below(2) ? &old : NULL);
        } else {
            /* raw: act is NULL or bad, or the size is wrong */
            void *act = below(2) ? NULL : (void *)(below(2) ? (void *)1 : (void *)KERN_ADDR);
            long size = below(2) ? 8 : r_int();
            if (size != 8 && below(2)) act = buf;
            r = sc(SYS_rt_sigaction, s, L(act), L(r_ptr()), size, 0, 0);
        }
        if (s > 0 && s < 65 && s != SIGKILL && s != SIGSTOP)
            std_handler(s);
        break;
    }
    case 21: { /* rt_sigprocmask / rt_sigpending / sigtimedwait / sigaltstack */
        switch (below(4)) {
        case 0:
            r = sc(SYS_rt_sigprocmask, below(4) ? (long)below(3) : r_int(), L(r_ptr()), L(r_ptr()),
                   below(3) ? 8 : r_int(), 0, 0);
            sigprocmask(SIG_SETMASK, &std_mask, NULL);
            break;
        case 1: r = sc(SYS_rt_sigpending, L(r_ptr()), below(3) ? 8 : r_int(), 0, 0, 0, 0); break;
        case 2: r = sc(SYS_rt_sigtimedwait, L(r_ptr()), L(r_ptr()), L(r_timeout_ts()), below(3) ? 8 : r_int(), 0, 0); break;
        default: {
            stack_t *ss = (stack_t *)(buf + 10000);
            ss->ss_sp = below(3) ? (void *)altstack : r_ptr();
            ss->ss_flags = below(2) ? 0 : (int)(below(2) ? SS_DISABLE : r_int());
            ss->ss_size = below(3) ? 65536 : (size_t)r_int();
            r = sc(SYS_sigaltstack, below(4) ? L(ss) : L(r_ptr()), L(r_ptr()), 0, 0, 0, 0);
        }
        }
        break;
    }
    case 22: { /* clocks */
        long clk = below(3) ? (long)below(12) : r_int();
        switch (below(6)) {
        case 0: r = sc(SYS_clock_gettime, clk, L(r_ptr()), 0, 0, 0, 0); break;
        case 1: r = sc(SYS_clock_getres, clk, L(r_ptr()), 0, 0, 0, 0); break;
        case 2: r = sc(SYS_gettimeofday, L(r_ptr()), L(r_ptr()), 0, 0, 0, 0); break;
        case 3: r = sc(SYS_nanosleep, L(r_timeout_ts()), L(r_ptr()), 0, 0, 0, 0); break;
        case 4: {
            struct timespec *bad = (struct timespec *)(buf + 11000);
            bad->tv_sec = below(2) ? -1 : 0; bad->tv_nsec = below(2) ? -1 : 1000000000;
            void *ts = below(2) ? (void *)bad : r_timeout_ts();
            r = sc(SYS_clock_nanosleep, clk, below(2) ? TIMER_ABSTIME : (long)below(4), L(ts), L(r_ptr()), 0, 0);
            break;
        }
        default: r = sc(SYS_time, L(r_ptr()), 0, 0, 0, 0, 0);
        }
        break;
    }
    case 23: r = sc(SYS_getrandom, L(r_ptr()), (long)below(BUFSZ), below(3) ? (long)(below(8) | GRND_NONBLOCK) : r_int(), 0, 0, 0); break;
    case 24: r = sc(below(2) ? SYS_uname : SYS_sysinfo, L(r_ptr()), 0, 0, 0, 0, 0); break;
    case 25: { /* resource limits, get only */
        long pid = below(3) ? 0 : below(2) ? getpid() : r_int();
        long res = below(4) ? (long)below(17) : r_int();
        if (below(2))
            r = sc(SYS_prlimit64, pid, res, 0, L(r_ptr()), 0, 0);
        else
            r = sc(SYS_getrlimit, res, L(r_ptr()), 0, 0, 0, 0);
        break;
    }
    case 26: { /* sched_* get */
        long pid = below(3) ? 0 : below(2) ? getpid() : r_int();
        switch (below(8)) {
        case 0: r = sc(SYS_sched_getparam, pid, L(r_ptr()), 0, 0, 0, 0); break;
        case 1: r = sc(SYS_sched_getscheduler, pid, 0, 0, 0, 0, 0); break;
        case 2: r = sc(SYS_sched_getaffinity, pid, below(3) ? (long)(8 << below(8)) : r_int(), L(r_ptr()), 0, 0, 0); break;
        case 3: r = sc(SYS_sched_get_priority_max, r_int(), 0, 0, 0, 0, 0); break;
        case 4: r = sc(SYS_sched_get_priority_min, below(7), 0, 0, 0, 0, 0); break;
        case 5: r = sc(SYS_sched_rr_get_interval, pid, L(r_ptr()), 0, 0, 0, 0); break;
        case 6: r = sc(SYS_sched_getattr, pid, L(r_ptr()), below(2) ? 56 : r_int(), below(3) ? 0 : r_int(), 0, 0); break;
        default: r = sc(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
        }
        break;
    }
    case 27: { /* ids */
        static const long nrs[] = {SYS_getpid, SYS_getppid, SYS_gettid, SYS_getuid, SYS_geteuid,
                                   SYS_getgid, SYS_getegid, SYS_getpgrp};
        switch (below(6)) {
        case 0: r = sc(SYS_getgroups, below(2) ? (long)below(100) : r_int(), L(r_ptr()), 0, 0, 0, 0); break;
        case 1: r = sc(below(2) ? SYS_getresuid : SYS_getresgid, L(r_ptr()), L(r_ptr()), L(r_ptr()), 0, 0, 0); break;
        case 2: r = sc(below(2) ? SYS_getpgid : SYS_getsid, below(2) ? 0 : r_int(), 0, 0, 0, 0, 0); break;
        default: r = sc(nrs[below(8)], 0, 0, 0, 0, 0, 0);
        }
        break;
    }
    case 28: { /* poll / ppoll */
        struct pollfd *p = (struct pollfd *)(buf + 12000);
        int n = (int)below(8);
        for (int i = 0; i < n; i++) {
            p[i].fd = (int)(below(2) ? own_fd() : r_fd());
            p[i].events = (short)rnd();
        }
        void *pp = below(5) ? (void *)p : r_ptr();
        long nfds = below(6) ? n : r_int();
        if (below(2))
            r = sc(SYS_poll, L(pp), nfds, 0, 0, 0, 0);
        else
            r = sc(SYS_ppoll, L(pp), nfds, L(r_timeout_ts()), below(2) ? 0 : L(r_ptr()), below(3) ? 8 : r_int(), 0);
        break;
    }
    case 29: { /* select / pselect6 */
        uint64_t *sets = (uint64_t *)(buf + 13000);
        for (int i = 0; i < 3 * 17; i++)
            sets[i] = below(2) ? 0 : rnd();
        long nfds = below(3) ? (long)below(MAXFD) : r_int();
        void *rs = below(4) ? (void *)sets : r_ptr();
        void *ws = below(4) ? (void *)(sets + 17) : r_ptr();
        void *es = below(4) ? (void *)(sets + 34) : r_ptr();
        if (below(2)) {
            r = sc(SYS_select, nfds, L(rs), L(ws), L(es), L(r_timeout_tv()), 0);
        } else {
            long *sig = (long *)(buf + 14000);
            sig[0] = below(2) ? 0 : L(r_ptr());
            sig[1] = below(2) ? 8 : r_int();
            r = sc(SYS_pselect6, nfds, L(rs), L(ws), L(es), L(r_timeout_ts()), below(3) ? L(sig) : L(r_ptr()));
        }
        sigprocmask(SIG_SETMASK, &std_mask, NULL);
        break;
    }
    case 30: { /* pipe2 */
        int *fds = (int *)(buf + 15000);
        void *p = below(5) ? (void *)fds : r_ptr();
        long flags = (below(3) ? (long)(rnd() & (O_CLOEXEC | O_DIRECT)) : r_int()) | O_NONBLOCK;
        r = sc(SYS_pipe2, L(p), flags, 0, 0, 0, 0);
        if (r == 0 && p == fds) { mark(fds[0], 1); mark(fds[1], 1); }
        break;
    }
    case 31: { /* eventfd2 */
        long flags = (below(3) ? (long)(rnd() & (EFD_CLOEXEC | EFD_SEMAPHORE)) : r_int()) | EFD_NONBLOCK;
        r = sc(SYS_eventfd2, r_int(), flags, 0, 0, 0, 0);
        if (r >= 0) mark(r, 1);
        break;
    }
    case 32: { /* epoll */
        static int epfd = -1;
        switch (below(4)) {
        case 0:
            r = sc(SYS_epoll_create1, below(3) ? (long)(below(2) ? EPOLL_CLOEXEC : 0) : r_int(), 0, 0, 0, 0, 0);
            if (r >= 0) { mark(r, 1); epfd = (int)r; }
            break;
        case 1: {
            struct epoll_event *ev = (struct epoll_event *)(buf + 16000);
            ev->events = (uint32_t)rnd();
            ev->data.u64 = rnd();
            r = sc(SYS_epoll_ctl, below(2) ? epfd : r_fd(), below(4) ? (long)below(5) : r_int(),
                   below(2) ? own_fd() : r_fd(), below(4) ? L(ev) : L(r_ptr()), 0, 0);
            break;
        }
        case 2:
            r = sc(SYS_epoll_wait, below(2) ? epfd : r_fd(), L(r_ptr()), below(3) ? (long)below(100) : r_int(), 0, 0, 0);
            break;
        default:
            r = sc(SYS_epoll_pwait, below(2) ? epfd : r_fd(), L(r_ptr()), below(3) ? (long)below(100) : r_int(), 0,
                   below(2) ? 0 : L(r_ptr()), below(2) ? 8 : r_int());
            sigprocmask(SIG_SETMASK, &std_mask, NULL);
        }
        break;
    }
    case 33: { /* socketpair */
        static const long doms[] = {AF_UNIX, AF_UNIX, AF_UNIX, AF_INET, -1, 999};
        static const long types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, 0, 77};
        int *sv = (int *)(buf + 17000);
        void *p = below(5) ? (void *)sv : r_ptr();
        long type = types[below(6)] | SOCK_NONBLOCK | (below(2) ? SOCK_CLOEXEC : 0);
        r = sc(SYS_socketpair, doms[below(6)], type, below(5) ? 0 : r_int(), L(p), 0, 0);
        if (r == 0 && p == sv) { mark(sv[0], 1); mark(sv[1], 1); }
        break;
    }
    case 34: { /* sendmsg / recvmsg, MSG_DONTWAIT */
        struct msghdr *m = (struct msghdr *)(buf + 18000);
        struct iovec *iov = (struct iovec *)(buf + 18200);
        unsigned char *ctl = buf + 18400;
        memset(m, 0, sizeof *m);
        int n = (int)below(4);
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = below(4) ? (void *)(buf + 20000 + below(4096)) : r_ptr();
            iov[i].iov_len = below(5) ? below(4096) : (size_t)r_int();
        }
        m->msg_iov = below(6) ? iov : (struct iovec *)r_ptr();
        m->msg_iovlen = below(6) ? (size_t)n : (size_t)r_int();
        if (below(2)) {
            struct cmsghdr *c = (struct cmsghdr *)ctl;
            int nf = (int)below(4);
            c->cmsg_len = below(4) ? CMSG_LEN(nf * sizeof(int)) : (size_t)r_int();
            c->cmsg_level = below(5) ? SOL_SOCKET : (int)r_int();
            c->cmsg_type = below(3) ? SCM_RIGHTS : (int)below(5);
            for (int i = 0; i < nf; i++)
                ((int *)CMSG_DATA(c))[i] = (int)(below(2) ? own_fd() : r_fd());
            m->msg_control = below(6) ? (void *)ctl : r_ptr();
            m->msg_controllen = below(6) ? CMSG_SPACE(nf * sizeof(int)) : (size_t)r_int();
        }
        if (chance(10)) { m->msg_name = r_ptr(); m->msg_namelen = (socklen_t)r_int(); }
        long flags = (below(3) ? 0 : (long)(rnd() & 0x7fff)) | MSG_DONTWAIT;
        fd = r_own_or_bad();
        if (below(2)) {
            r = sc(SYS_sendmsg, fd, below(8) ? L(m) : L(r_ptr()), flags, 0, 0, 0);
        } else {
            m->msg_controllen = below(2) ? 512 : m->msg_controllen;
            r = sc(SYS_recvmsg, fd, below(8) ? L(m) : L(r_ptr()), flags, 0, 0, 0);
        }
        break;
    }
    case 35: { /* memfd_create */
        static const char *names[] = {"fuzz", "", "a-much-longer-name-for-the-memfd-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"};
        const char *nm = below(5) ? names[below(3)] : (const char *)r_ptr();
        r = sc(SYS_memfd_create, L(nm), below(2) ? (long)(rnd() & 0xf) : r_int(), 0, 0, 0, 0);
        if (r >= 0) mark(r, 1);
        break;
    }
    case 36: { /* splice / tee, nonblocking */
        long *off_in = (long *)(buf + 21000), *off_out = off_in + 1;
        *off_in = below(2) ? 0 : r_int();
        *off_out = below(2) ? 0 : r_int();
        long flags = (below(3) ? (long)below(16) : r_int()) | SPLICE_F_NONBLOCK;
        long len = below(3) ? (long)below(65536) : r_int();
        if (below(3))
            r = sc(SYS_splice, r_own_or_bad(), below(2) ? 0 : below(2) ? L(off_in) : L(r_ptr()),
                   r_own_or_bad(), below(2) ? 0 : below(2) ? L(off_out) : L(r_ptr()), len, flags);
        else
            r = sc(SYS_tee, r_own_or_bad(), r_own_or_bad(), len, flags, 0, 0);
        break;
    }
    case 37: { /* POSIX timers, SIGEV_NONE */
        switch (below(4)) {
        case 0: {
            if (ntimers >= 16) { r = sc(SYS_timer_delete, timers[--ntimers], 0, 0, 0, 0, 0); break; }
            struct sigevent *ev = (struct sigevent *)(buf + 22000);
            memset(ev, 0, sizeof *ev);
            ev->sigev_notify = SIGEV_NONE;
            int *tid = (int *)(buf + 22200);
            void *evp = below(5) ? (void *)ev : (below(2) ? (void *)1 : (void *)KERN_ADDR);
            void *tp = below(5) ? (void *)tid : r_ptr();
            long clk = below(3) ? (long)below(12) : r_int();
            if (clk == 8 || clk == 9) clk = 0; /* no RTC wake alarms */
            r = sc(SYS_timer_create, clk, L(evp), L(tp), 0, 0, 0);
            if (r == 0 && tp == tid) timers[ntimers++] = *tid;
            break;
        }
        case 1: {
            struct itimerspec *its = (struct itimerspec *)(buf + 22400);
            its->it_interval.tv_sec = (long)below(3); its->it_interval.tv_nsec = below(2) ? 0 : r_int();
            its->it_value.tv_sec = (long)below(3); its->it_value.tv_nsec = below(2) ? 0 : (long)below(1000000000);
            long t = ntimers && below(4) ? timers[below(ntimers)] : r_int();
            r = sc(SYS_timer_settime, t, below(2) ? 0 : r_int(), below(4) ? L(its) : L(r_ptr()), L(r_ptr()), 0, 0);
            break;
        }
        case 2: {
            long t = ntimers && below(4) ? timers[below(ntimers)] : r_int();
            r = sc(below(2) ? SYS_timer_gettime : SYS_timer_getoverrun, t, L(r_ptr()), 0, 0, 0, 0);
            break;
        }
        default:
            if (ntimers && below(2)) {
                r = sc(SYS_timer_delete, timers[--ntimers], 0, 0, 0, 0, 0);
            } else {
                r = sc(SYS_timer_delete, r_int(), 0, 0, 0, 0, 0);
            }
        }
        break;
    }
    case 38: { /* signalfd4 */
        uint64_t *mask = (uint64_t *)(buf + 23000);
        *mask = rnd();
        long fdin = below(3) ? -1 : r_fd();
        long flags = (below(3) ? (long)(rnd() & SFD_CLOEXEC) : r_int()) | SFD_NONBLOCK;
        r = sc(SYS_signalfd4, fdin, below(4) ? L(mask) : L(r_ptr()), below(4) ? 8 : r_int(), flags, 0, 0);
        if (r >= 0 && fdin == -1) mark(r, 1);
        break;
    }
    case 39: { /* pidfd_open */
        long pid = below(3) ? getpid() : r_int();
        r = sc(SYS_pidfd_open, pid, below(3) ? 0 : r_int(), 0, 0, 0, 0);
        if (r >= 0) mark(r, 0);
        break;
    }
    case 40: { /* prctl get-type options */
        static const long opts[] = {PR_GET_DUMPABLE, PR_GET_NAME, PR_GET_PDEATHSIG, PR_GET_KEEPCAPS,
                                    PR_GET_TIMERSLACK, PR_GET_SECCOMP, PR_GET_NO_NEW_PRIVS,
                                    PR_GET_CHILD_SUBREAPER, PR_GET_THP_DISABLE, PR_GET_TID_ADDRESS,
                                    PR_GET_SPECULATION_CTRL, PR_GET_TAGGED_ADDR_CTRL, PR_CAPBSET_READ,
                                    PR_GET_SECUREBITS, PR_MCE_KILL_GET, PR_GET_FP_MODE, PR_GET_TSC,
                                    PR_GET_ENDIAN, PR_GET_FPEMU, PR_GET_FPEXC, PR_GET_TIMING,
                                    PR_GET_UNALIGN, 0x41555856 /* PR_GET_AUXV */, 58, 66, 68, 74};
        long a2 = below(3) ? L(r_ptr()) : r_int();
        r = sc(SYS_prctl, opts[below(sizeof opts / sizeof opts[0])], a2, below(2) ? 0 : r_int(),
               below(2) ? 0 : r_int(), below(2) ? 0 : r_int(), 0);
        break;
    }
    case 41: { /* arch_prctl, get only */
        static const long codes[] = {0x1003, 0x1004, 0x1011, 0x1021, 0x1022, 0x1024, 0x3001, 0x4001, 0x4003, 0x5005, 0x9999};
        long code = codes[below(sizeof codes / sizeof codes[0])];
        r = sc(SYS_arch_prctl, code, L(r_ptr()), 0, 0, 0, 0);
        break;
    }
    case 42: { /* openat: O_CREAT only in the scratch directory */
        long flags = (long)(rnd() & (O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_APPEND |
                                     O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_DSYNC | O_NOATIME |
                                     O_PATH | O_DIRECT | __O_TMPFILE)) | O_NONBLOCK;
        if (below(2)) {
            r = sc(SYS_openat, dirfd_scratch, L(r_scratch_name()), flags, below(2) ? 0644 : r_int() & 0777, 0, 0);
            if (r >= 0) mark(r, 1);
            else if (below(2)) {
                r = sc(SYS_openat, dirfd_scratch, L(r_scratch_name()), O_RDWR | O_CREAT | O_NONBLOCK, 0644, 0, 0);
                if (r >= 0) mark(r, 1);
            }
        } else {
            /* anything else read-only, never creating */
            long ro = (flags & ~(long)(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | __O_TMPFILE)) | O_NONBLOCK;
            long dfd = r_fd();
            if (below(2))
                r = sc(SYS_openat, dfd, L(r_path()), ro, 0, 0, 0);
            else
                r = sc(SYS_open, L(r_path()), ro, 0, 0, 0, 0);
            if (r >= 0) { mark(r, 0); if (below(2)) sc(SYS_close, r, 0, 0, 0, 0, 0); }
        }
        break;
    }
    case 43: { /* fork + _exit(0) + waitpid, rarely; otherwise wait4 WNOHANG */
        if (nforks < 6 && chance(10)) {
            nforks++;
            pid_t pid = fork();
            if (pid == 0)
                _exit(0);
            if (pid > 0) {
                int st;
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                    ;
            }
            r = pid;
        } else {
            long opts = (below(3) ? 0 : (long)(rnd() & (WUNTRACED | WCONTINUED | __WALL | __WCLONE))) | WNOHANG;
            if (chance(10)) opts = r_int() | WNOHANG;
            if (below(2))
                r = sc(SYS_wait4, below(2) ? -1 : r_int(), L(r_ptr()), opts, L(r_ptr()), 0, 0);
            else
                r = sc(SYS_waitid, below(4) ? (long)below(4) : r_int(), r_int(), L(r_ptr()),
                       opts | (below(2) ? WEXITED : 0), L(r_ptr()), 0);
        }
        break;
    }
    case 44: { /* kill / tgkill with signal 0 on ourselves */
        switch (below(3)) {
        case 0: r = sc(SYS_kill, below(2) ? getpid() : 0, 0, 0, 0, 0, 0); break;
        case 1: r = sc(SYS_tgkill, getpid(), below(2) ? gettid() : -1, 0, 0, 0, 0); break;
        default: r = sc(SYS_kill, getpid(), 999, 0, 0, 0, 0); /* EINVAL */
        }
        break;
    }
    case 45: { /* getcwd / umask-free cwd queries */
        r = sc(SYS_getcwd, L(r_ptr()), below(3) ? (long)below(5000) : r_int(), 0, 0, 0, 0);
        break;
    }
    case 46: { /* fsync / fdatasync / fadvise / fallocate-free / ftruncate-free */
        fd = r_own_or_bad();
        switch (below(3)) {
        case 0: r = sc(SYS_fsync, fd, 0, 0, 0, 0, 0); break;
        case 1: r = sc(SYS_fdatasync, fd, 0, 0, 0, 0, 0); break;
        default: r = sc(SYS_fadvise64, fd, r_int(), r_int(), below(8), 0, 0);
        }
        break;
    }
    case 47: { /* get_mempolicy / mincore / getrusage / times / getitimer */
        switch (below(5)) {
        case 0: r = sc(SYS_getrusage, below(3) ? (long)below(3) - 1 : r_int(), L(r_ptr()), 0, 0, 0, 0); break;
        case 1: r = sc(SYS_times, L(r_ptr()), 0, 0, 0, 0, 0); break;
        case 2: r = sc(SYS_getitimer, below(4) ? (long)below(3) : r_int(), L(r_ptr()), 0, 0, 0, 0); break;
        case 3: {
            unsigned long a = below(3) ? reserve_addr() : absurd_addr();
            r = sc(SYS_mincore, (long)a, below(3) ? (long)(below(64) * PG) : r_int(), L(r_ptr()), 0, 0, 0);
            break;
        }
        default: r = sc(SYS_getpriority, below(3), below(2) ? 0 : r_int(), 0, 0, 0, 0);
        }
        break;
    }
    case 48: case 49: case 50: { /* 5%: random syscall numbers 300..520 */
        long nr;
        for (;;) {
            nr = 300 + (long)below(221);
            /* skipped by name: see the header comment of this file */
            switch (nr) {
            case 300: /* fanotify_init */ case 301: /* fanotify_mark */
            case 302: /* prlimit64 (can set) */ case 304: /* open_by_handle_at */
            case 305: /* clock_adjtime */ case 306: /* syncfs (slow) */ case 307: /* sendmmsg */ case 308: /* setns */
            case 310: /* process_vm_readv */ case 311: /* process_vm_writev */
            case 313: /* finit_module */ case 314: /* sched_setattr */ case 316: /* renameat2 */
            case 317: /* seccomp */ case 320: /* kexec_file_load */ case 321: /* bpf */
            case 322: /* execveat */ case 323: /* userfaultfd */ case 325: /* mlock2 */
            case 326: /* copy_file_range */ case 327: /* preadv2 */ case 328: /* pwritev2 */
            case 335: /* uretprobe */ case 336: /* uprobe: SIGILL outside a trampoline */
            case 329: /* pkey_mprotect */ case 330: /* pkey_alloc */ case 331: /* pkey_free */ case 333: /* io_pgetevents */ case 334: /* rseq */
            case 424: /* pidfd_send_signal */ case 425: case 426: case 427: /* io_uring */
            case 428: /* open_tree */ case 429: /* move_mount */ case 430: /* fsopen */
            case 431: /* fsconfig */ case 432: /* fsmount */ case 433: /* fspick */
            case 435: /* clone3 */ case 436: /* close_range */ case 437: /* openat2 */
            case 438: /* pidfd_getfd */ case 440: /* process_madvise */ case 441: /* epoll_pwait2 */
            case 442: /* mount_setattr */ case 443: /* quotactl_fd */
            case 446: /* landlock_restrict_self */ case 448: /* process_mrelease */
            case 449: /* futex_waitv */ case 450: /* set_mempolicy_home_node */
            case 452: /* fchmodat2 */ case 453: /* map_shadow_stack */ case 455: /* futex_wait */
            case 460: /* lsm_set_self_attr */ case 462: /* mseal */
                continue;
            default:
                /* 463..479: recent or future additions (xattrat, file_setattr, ...) */
                if (nr >= 463 && nr < 480)
                    continue;
            }
            break;
        }
        r = sc(nr, below(2) ? r_int() : L(r_ptr()), below(2) ? r_int() : L(r_ptr()),
               below(2) ? r_int() : L(r_ptr()), below(2) ? r_int() : L(r_ptr()), r_int(), r_int());
        /* a few of these create fds (memfd_create, pidfd_open, ...): not ours */
        if (r >= 0 && r < MAXFD && (nr == 319 || nr == 434 || nr == 444 || nr == 447))
            mark(r, 0);
        break;
    }
    case 51: { /* getsockopt / getsockname / getpeername / shutdown-free */
        fd = r_own_or_bad();
        switch (below(3)) {
        case 0: {
            int *len = (int *)(buf + 24000);
            *len = below(3) ? 64 : (int)r_int();
            r = sc(SYS_getsockopt, fd, below(3) ? SOL_SOCKET : r_int(), below(60), L(r_ptr()), below(4) ? L(len) : L(r_ptr()), 0);
            break;
        }
        default: {
            int *len = (int *)(buf + 24000);
            *len = below(3) ? 110 : (int)r_int();
            r = sc(below(2) ? SYS_getsockname : SYS_getpeername, fd, L(r_ptr()), below(4) ? L(len) : L(r_ptr()), 0, 0, 0);
        }
        }
        break;
    }
    case 52: { /* sendto / recvfrom, MSG_DONTWAIT */
        fd = r_own_or_bad();
        long flags = (below(3) ? 0 : (long)(rnd() & 0x7fff)) | MSG_DONTWAIT;
        if (below(2))
            r = sc(SYS_sendto, fd, L(r_ptr()), (long)below(8192), flags, below(4) ? 0 : L(r_ptr()), below(2) ? 0 : r_int());
        else
            r = sc(SYS_recvfrom, fd, L(r_ptr()), (long)below(BUFSZ), flags, below(2) ? 0 : L(r_ptr()), L(r_ptr()));
        break;
    }
    case 53: { /* statfs / fstatfs */
        if (below(2))
            r = sc(SYS_statfs, L(r_path()), L(r_ptr()), 0, 0, 0, 0);
        else
            r = sc(SYS_fstatfs, r_fd(), L(r_ptr()), 0, 0, 0, 0);
        break;
    }
    case 54: { /* sched_getcpu-like / getcpu / set_tid_address-free misc */
        r = sc(SYS_getcpu, L(r_ptr()), L(r_ptr()), 0, 0, 0, 0);
        break;
    }
    case 55: { /* mkdirat in scratch only (an own directory to getdents on) */
        r = sc(SYS_mkdirat, dirfd_scratch, L("d0"), 0755, 0, 0, 0);
        r = sc(SYS_openat, dirfd_scratch, L(below(2) ? "d0" : "."), O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0, 0, 0);
        if (r >= 0) mark(r, 1);
        break;
    }
    default: { /* completely random arguments to a whitelisted "pure query" syscall */
        static const long nrs[] = {SYS_getpid, SYS_uname, SYS_sysinfo, SYS_getrlimit, SYS_clock_gettime,
                                   SYS_clock_getres, SYS_gettimeofday, SYS_getrandom, SYS_fstat,
                                   SYS_newfstatat, SYS_statx, SYS_access, SYS_readlink,
                                   SYS_getdents64, SYS_sched_getaffinity, SYS_getcwd, SYS_getgroups,
                                   SYS_rt_sigpending, SYS_getresuid, SYS_times, SYS_getrusage,
                                   SYS_mincore, SYS_getcpu, SYS_fstatfs, SYS_statfs};
        r = sc(nrs[below(sizeof nrs / sizeof nrs[0])], below(2) ? r_int() : L(r_ptr()),
               below(2) ? r_int() : L(r_ptr()), below(2) ? r_int() : L(r_ptr()),
               below(2) ? r_int() : L(r_ptr()), r_int(), r_int());
        (void)r;
        break;
    }
    }
    (void)fd;
    return r;
}

int main(int argc, char **argv)
{
    rng_state = 0x9E3779B97F4A7C15ULL ^ (argc > 1 ? strtoull(argv[1], NULL, 0) * 0x100000001B3ULL : 1);
    if (!rng_state) rng_state = 1;
    for (int i = 0; i < 8; i++) rnd();
    long ncalls = argc > 2 ? strtol(argv[2], NULL, 0) : 3000;
    const char *dir = argc > 3 ? argv[3] : NULL;
    trace = getenv("FUZZ_TRACE") != NULL;
    for (const char *sk = getenv("FUZZ_SKIP"); sk && *sk; sk++) {
        long v = strtol(sk, (char **)&sk, 10);
        if (v >= 0 && v < 64) skip[v] = 1;
        if (!*sk) break;
    }

    setvbuf(stdout, NULL, _IONBF, 0);

    /* scratch directory */
    if (dir) {
        dirfd_scratch = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else {
        char tmpl[] = "/tmp/fuzz_syscalls.XXXXXX";
        if (mkdtemp(tmpl))
            dirfd_scratch = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (dirfd_scratch < 0) {
        printf("cannot open scratch dir\n");
        return 1;
    }
    /* move it high so that random dup2 targets rarely hit it */
    int high = fcntl(dirfd_scratch, F_DUPFD_CLOEXEC, 2000);
    if (high >= 0) { close(dirfd_scratch); dirfd_scratch = high; }

    /* memory */
    unsigned char *m = mmap(NULL, BUFSZ + PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *g = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    reserve = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    altstack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    zero_ts = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || g == MAP_FAILED || reserve == MAP_FAILED || altstack == MAP_FAILED || zero_ts == MAP_FAILED) {
        printf("mmap failed\n");
        return 1;
    }
    zero_tv = (struct timeval *)zero_ts; /* a read-only zero page: timeouts of 0 */
    buf = m;
    mprotect(m + BUFSZ, PG, PROT_NONE); /* guard page */
    ropage = g;
    mprotect(ropage, PG, PROT_READ);
    unmapped = g + PG;
    munmap(unmapped, PG);
    munmap(g + 2 * PG, PG);
    {
        unsigned char vec;
        stub_area_free = mincore((void *)STUB_AREA, PG, &vec) < 0 && errno == ENOMEM;
    }
    if (trace)
        fprintf(stderr, "buf %p ropage %p unmapped %p reserve %p altstack %p zero_ts %p\n",
                (void *)buf, (void *)ropage, (void *)unmapped, (void *)reserve, (void *)altstack, (void *)zero_ts);
    memset(longname, 'a', sizeof longname - 1);
    memset(name300, 'b', sizeof name300 - 1);

    /* a few fds of our own to start with */
    int p[2];
    if (pipe2(p, O_NONBLOCK) == 0) { mark(p[0], 1); mark(p[1], 1); }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) { mark(sv[0], 1); mark(sv[1], 1); }
    int f = openat(dirfd_scratch, "f0", O_RDWR | O_CREAT | O_NONBLOCK, 0644);
    if (f >= 0) { mark(f, 1); if (write(f, "hello fuzz\n", 11) < 0) {} }

    /* signals: every catchable one blocked (but the fault ones) and handled */
    sigfillset(&std_mask);
    sigdelset(&std_mask, SIGSEGV);
    sigdelset(&std_mask, SIGBUS);
    sigdelset(&std_mask, SIGILL);
    sigdelset(&std_mask, SIGFPE);
    sigdelset(&std_mask, SIGTRAP);
    sigdelset(&std_mask, SIGSYS);
    std_signals();

    long done = 0;
    for (long i = 0; i < ncalls; i++) {
        if (sigsetjmp(fault_env, 1)) {
            in_call = 0;
            faults++;
            std_signals();
            continue;
        }
        in_call = 1;
        long r = one_call();
        int e = errno;
        in_call = 0;
        if (trace)
            fprintf(stderr, "%ld case %u: %s\n", i, last_case, r == -1 ? strerrorname_np(e) : r < 0 ? "neg" : "ok");
        done++;
    }
    /* close what we own (never 0..2) so the exit is tidy */
    for (int fd = 3; fd < (int)sizeof own; fd++)
        if (own[fd] && fd != dirfd_scratch)
            close(fd);
    sigprocmask(SIG_SETMASK, &std_mask, NULL);
    if (faults)
        fprintf(stderr, "fuzz_syscalls: %lu fault(s) in the guest itself\n", faults);
    printf("calls: %ld\n", ncalls);
    printf("done\n");
    return 0;
}
