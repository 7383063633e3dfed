/* build: static */
/* Hostile uses of the syscalls added in issue 11, each with the answer that keeps the
 * kernel, the host and the stub safe. ONLY under umlskas in a --root of its own (as root
 * natively it would set the host's clock).
 *
 *   sec_newcalls
 */
#include "common.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define STUB_BASE 0x7ffbe0000000UL
#define ADJ_SETOFFSET 0x0100

static volatile int sigsys_seen;
static volatile long sigsys_nr;
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    sigsys_seen++;
    sigsys_nr = si->si_syscall;
}

/* A TRAP filter for every syscall but the few the child needs, then odd numbers. */
static void seccomp_odd_numbers(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa = {0};
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSYS, &sa, NULL);
        struct sock_filter prog[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 7),
        };
        struct sock_fprog fp = {sizeof prog / sizeof prog[0], prog};
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
            _exit(3);
        static const unsigned long nrs[] = {0x80000000UL, 0x100000027UL, 0x7fffffffffffffffUL,
                                            0xffffffffUL, 0x123456789UL};
        int ok = 1;
        for (unsigned i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
            int before = sigsys_seen;
            syscall((long)nrs[i], 0, 0);
            if (sigsys_seen != before + 1)
                ok = 0;
        }
        _exit(ok ? 0 : 4);
    }
    int st;
    waitpid(pid, &st, 0);
    say("seccomp TRAP of odd syscall numbers: %s\n",
        WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "SIGSYS each" : "BAD");
}

static void clocks(void)
{
    struct timex tx = {0};
    tx.modes = ADJ_SETOFFSET;
    tx.time.tv_sec = 0x7fffffffffffffffL;
    tx.time.tv_usec = 0;
    res("adjtimex SETOFFSET +huge", adjtimex(&tx));
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_SETOFFSET;
    tx.time.tv_sec = 1L << 40;
    res("adjtimex SETOFFSET +2^40 s", adjtimex(&tx));
    memset(&tx, 0, sizeof tx);
    tx.modes = ADJ_SETOFFSET;
    tx.time.tv_sec = -(1L << 62);
    res("adjtimex SETOFFSET -2^62 s", adjtimex(&tx));
    struct timespec ts;
    res("clock_gettime REALTIME after", clock_gettime(CLOCK_REALTIME, &ts));
    memset(&tx, 0, sizeof tx);
    res("adjtimex read after", adjtimex(&tx) < 0 ? -1 : 0);
    ts.tv_sec = 0x7fffffffffffffffL;
    ts.tv_nsec = 0;
    res("clock_settime huge", clock_settime(CLOCK_REALTIME, &ts));
}

static void on_alarm(int sig) { (void)sig; }

/* A relative CLOCK_REALTIME sleep is not stretched by another process setting the clock
 * back (its exit's SIGCHLD wakes the sleeper, which must not compare its old deadline
 * with the new time). */
static void sleep_across_clock_set(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    pid_t c = fork();
    if (c == 0) {
        usleep(100000);
        struct timeval tv;
        gettimeofday(&tv, NULL);
        tv.tv_sec -= 10L * 365 * 86400;
        settimeofday(&tv, NULL);
        _exit(0);
    }
    alarm(5);
    struct timespec ts = {0, 500000000};
    res("relative REALTIME sleep across a clock set",
        syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &ts, NULL));
    alarm(0);
    waitpid(c, NULL, 0);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    tv.tv_sec += 10L * 365 * 86400;
    settimeofday(&tv, NULL);
}

static void stub_memory(void)
{
    char data[64] = "x";
    unsigned char *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *rw = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct iovec l = {data, sizeof data}, r = {(void *)STUB_BASE, sizeof data};
    res("process_vm_readv from stub", process_vm_readv(getpid(), &l, 1, &r, 1, 0));
    res("process_vm_writev to stub", process_vm_writev(getpid(), &l, 1, &r, 1, 0));
    r.iov_base = (void *)(STUB_BASE - 8);
    res("process_vm_writev straddling the stub", process_vm_writev(getpid(), &l, 1, &r, 1, 0));
    r.iov_base = ro;
    res("process_vm_writev to read-only", process_vm_writev(getpid(), &l, 1, &r, 1, 0));
    l.iov_base = (void *)STUB_BASE;
    r.iov_base = rw;
    res("process_vm_writev from stub", process_vm_writev(getpid(), &l, 1, &r, 1, 0));
    res("process_vm_readv into stub", process_vm_readv(getpid(), &l, 1, &r, 1, 0));
    res("mincore vec in stub", mincore(rw, 4 * PG, (unsigned char *)STUB_BASE));
    res("mincore vec read-only", mincore(rw, 4 * PG, ro));
    res("mincore vec straddling into stub", mincore(rw, 4 * PG, (unsigned char *)STUB_BASE - 2));
    res("mincore of the stub", mincore((void *)STUB_BASE, PG, rw));
    struct iovec v = {(void *)STUB_BASE, PG};
    int p[2];
    pipe(p);
    res("vmsplice stub into a pipe", syscall(SYS_vmsplice, p[1], &v, 1, 0));
    write(p[1], "abcd", 4);
    res("vmsplice pipe into stub", syscall(SYS_vmsplice, p[0], &v, 1, 0));
    close(p[0]);
    close(p[1]);
}

static char child_memory[16] = "child-memory";
static void *short_thread(void *a)
{
    (void)a;
    getppid();
    return NULL;
}

/* The last thread of a process to make a syscall exits while the others wait: reaching
 * that process's memory must not go through the dead thread's host pid. */
static void dead_thread_memory(void)
{
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, NULL, short_thread, NULL);
        char ch;
        read(p[0], &ch, 1);
        _exit(0);
    }
    usleep(300000);
    char got[16] = {0};
    struct iovec l = {got, 12}, r = {child_memory, 12};
    res("process_vm_readv after the caller thread exited", process_vm_readv(c, &l, 1, &r, 1, 0));
    write(p[1], "x", 1);
    waitpid(c, NULL, 0);
}

static void handles(void)
{
    struct {
        unsigned int bytes;
        int type;
        unsigned char h[128];
    } fh;
    /* Forged handles: what a host file system would give for inode 2 (a root dir). */
    fh.bytes = 8;
    fh.type = 1;
    uint64_t tok = 2;
    memcpy(fh.h, &tok, 8);
    res("open_by_handle_at forged", syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY));
    fh.type = 0x81;
    fh.bytes = 12;
    uint32_t v[3] = {2, 0, 0};
    memcpy(fh.h, v, 12);
    res("open_by_handle_at forged ext4", syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY));
    for (uint64_t t = 1; t < 64; t++) {
        fh.bytes = 8;
        fh.type = 1;
        memcpy(fh.h, &t, 8);
        int fd = syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY);
        if (fd >= 0) {
            say("open_by_handle_at guessed token: BAD\n");
            close(fd);
        }
    }
    /* A handle to a file replaced since: O_TRUNC must not reach the new file. */
    int fd = open("/victim", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "old\n", 4);
    close(fd);
    int mnt;
    fh.bytes = 128;
    res("name_to_handle_at victim", syscall(SYS_name_to_handle_at, AT_FDCWD, "/victim", &fh, &mnt, 0));
    unlink("/victim");
    fd = open("/victim", O_CREAT | O_WRONLY, 0644);
    write(fd, "precious\n", 9);
    close(fd);
    res("open_by_handle_at O_TRUNC of a replaced file",
        syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_WRONLY | O_TRUNC));
    struct stat st;
    stat("/victim", &st);
    say("the new file kept its data: %s\n", st.st_size == 9 ? "yes" : "BAD");
    /* Many names for one file: the kernel's table must not grow per call. */
    link("/victim", "/victim2");
    for (int i = 0; i < 20000; i++) {
        fh.bytes = 128;
        syscall(SYS_name_to_handle_at, AT_FDCWD, i & 1 ? "/victim" : "/victim2", &fh, &mnt, 0);
    }
    say("20000 handles of two names: done\n");
}

static void queues(void)
{
    /* As a user: the per-user byte count must follow the queues that still exist. */
    pid_t pid = fork();
    if (pid == 0) {
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        struct mq_attr at = {0, 10, 8192, 0};
        int kept = 0, refused = 0;
        for (int i = 0; i < 100; i++) {
            int q = syscall(SYS_mq_open, "sec_q", O_CREAT | O_RDWR, 0600, &at);
            if (q < 0) {
                refused = errno;
                break;
            }
            kept++;
            syscall(SYS_mq_unlink, "sec_q");
        }
        say("queues kept open after unlink before the limit: %s %s\n",
            kept < 100 ? "limited" : "BAD unlimited", refused ? ename(refused) : "");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    /* Their memory goes when their last descriptor closes. */
    pid = fork();
    if (pid == 0) {
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        struct mq_attr at = {0, 10, 8192, 0};
        int q = syscall(SYS_mq_open, "sec_q2", O_CREAT | O_RDWR, 0600, &at);
        res("a queue after the others closed", q < 0 ? -1 : 0);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

static void keys(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        long ring = syscall(SYS_keyctl, 1 /* JOIN_SESSION_KEYRING */, NULL);
        int failed = 0;
        for (int i = 0; i < 1000 && !failed; i++) {
            long k = syscall(SYS_add_key, "user", "sec", "payload", 7, ring);
            if (k < 0 || syscall(SYS_keyctl, 9 /* UNLINK */, k, ring) < 0)
                failed = errno;
        }
        say("1000 keys added and unlinked: %s\n", failed ? ename(failed) : "ok");
        failed = 0;
        for (int i = 0; i < 1000 && !failed; i++)
            if (syscall(SYS_keyctl, 1, NULL) < 0)
                failed = errno;
        say("1000 anonymous session keyrings: %s\n", failed ? ename(failed) : "ok");
        /* Named session keyrings kept in the user keyring: each is charged to the quota. */
        failed = 0;
        for (int i = 0; i < 1000 && !failed; i++) {
            char name[32];
            snprintf(name, sizeof name, "sec_ring_%d", i);
            long r = syscall(SYS_keyctl, 1, name);
            if (r < 0 || syscall(SYS_keyctl, 8 /* LINK */, r, -4 /* USER_KEYRING */) < 0)
                failed = errno;
        }
        say("1000 named session keyrings kept: %s\n", failed ? ename(failed) : "BAD ok");
        res("a user's session keyring into its root parent", syscall(SYS_keyctl, 18 /* SESSION_TO_PARENT */));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    /* Root's quota is large: searching many keys must stay linear. */
    pid = fork();
    if (pid == 0) {
        long ring = syscall(SYS_keyctl, 1, NULL);
        int added = 0;
        for (int i = 0; i < 5000; i++) {
            char desc[32];
            snprintf(desc, sizeof desc, "k%d", i);
            if (syscall(SYS_add_key, "user", desc, "x", 1, ring) > 0)
                added++;
        }
        int missed = 0;
        for (int i = 0; i < 100; i++)
            if (syscall(SYS_request_key, "user", "absent", NULL, 0) < 0 && errno == ENOKEY)
                missed++;
        for (int i = 0; i < 100; i++)
            if (syscall(SYS_keyctl, 10 /* SEARCH */, ring, "user", "absent", 0) < 0 && errno == ENOKEY)
                missed++;
        say("5000 keys, 200 searches that miss: %d %d\n", added, missed);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

int main(void)
{
    seccomp_odd_numbers();
    clocks();
    sleep_across_clock_set();
    stub_memory();
    dead_thread_memory();
    handles();
    queues();
    keys();
    say("alive\n");
    return 0;
}
