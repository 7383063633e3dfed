/* seccomp(2) and prctl(PR_SET_SECCOMP) in child processes: the action queries, filter
 * validation in Linux's order, every action (ERRNO, TRAP with its siginfo, KILL_PROCESS,
 * KILL_THREAD, TRACE without a tracer, LOG, ALLOW), precedence between stacked filters,
 * argument checks, BPF memory and ALU, strict mode, TSYNC, inheritance over fork. */
#include "common.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ucontext.h>
#include <sys/wait.h>

#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
#define ARG0_OFF offsetof(struct seccomp_data, args[0])

static long sc(unsigned op, unsigned flags, void *args) { return syscall(SYS_seccomp, op, flags, args); }

static long install(struct sock_filter *f, unsigned short n, unsigned flags)
{
    struct sock_fprog prog = {n, f};
    return sc(SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void wait_child(const char *label, pid_t pid)
{
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        say("%s: killed by %s\n", label, sigabbrev_np(WTERMSIG(st)));
    else
        say("%s: exit %d\n", label, WEXITSTATUS(st));
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    ucontext_t *u = uc;
    say("SIGSYS: signo %d code %d errno %d syscall %d arch %s call_addr %s rax==nr %s\n",
        sig, si->si_code, si->si_errno, si->si_syscall,
        si->si_arch == AUDIT_ARCH_X86_64 ? "x86_64" : "BAD",
        si->si_call_addr ? "set" : "BAD",
        u->uc_mcontext.gregs[REG_RAX] == si->si_syscall ? "yes" : "no");
    u->uc_mcontext.gregs[REG_RAX] = -77;     /* the syscall's result, as a handler may set */
}

/* ERRNO for getppid (ENOENT), TRAP 7 for getuid, ERRNO 13 for getpgid(777),
 * TRACE for getgid, LOG for geteuid, ERRNO 5000 for getegid, everything else ALLOW. */
static struct sock_filter main_filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH_OFF),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOENT),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getuid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 7),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getgid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 3),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_geteuid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getegid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 5000),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgid, 0, 4),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_OFF),
    BPF_STMT(BPF_ST, 3),                                  /* mem[3] = arg0 */
    BPF_STMT(BPF_LDX | BPF_MEM, 3),                       /* x = mem[3] */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 2, 0),         /* a == x always: skip */
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_OFF),
    BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 700),
    BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2),               /* (777-700)*2 = 154 */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 154, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static void *thread_body(void *arg)
{
    (void)arg;
    usleep(100000);                         /* after the main thread's TSYNC */
    errno = 0;
    long r = syscall(SYS_getppid);
    say("thread getppid: %ld %s\n", r, r == -1 ? ename(errno) : "");
    return NULL;
}

int main(void)
{
    say("== queries\n");
    unsigned actions[] = {SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
                          SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE, SECCOMP_RET_LOG,
                          SECCOMP_RET_ALLOW, 0x12340000};
    for (unsigned i = 0; i < sizeof actions / sizeof *actions; i++) {
        char label[40];
        snprintf(label, sizeof label, "action %#x", actions[i]);
        res(label, sc(SECCOMP_GET_ACTION_AVAIL, 0, &actions[i]));
    }
    res("action flags", sc(SECCOMP_GET_ACTION_AVAIL, 1, &actions[0]));
    res("action EFAULT", sc(SECCOMP_GET_ACTION_AVAIL, 0, BADPTR));
    unsigned short sizes[3];
    res("notif sizes", sc(SECCOMP_GET_NOTIF_SIZES, 0, sizes));
    say("sizes: %u %u %u\n", sizes[0], sizes[1], sizes[2]);
    res("bad op", sc(99, 0, NULL));
    res("strict with flags", sc(SECCOMP_SET_MODE_STRICT, 1, NULL));
    res("strict with args", sc(SECCOMP_SET_MODE_STRICT, 0, sizes));
    res("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP));

    say("== validation\n");
    struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog empty = {0, allow};
    res("len 0", sc(SECCOMP_SET_MODE_FILTER, 0, &empty));
    struct sock_fprog huge = {4097, allow};
    res("len 4097", sc(SECCOMP_SET_MODE_FILTER, 0, &huge));
    res("fprog EFAULT", sc(SECCOMP_SET_MODE_FILTER, 0, BADPTR));
    struct sock_fprog badptr = {1, BADPTR};
    res("filter EFAULT", sc(SECCOMP_SET_MODE_FILTER, 0, &badptr));
    res("unknown flag", install(allow, 1, 1u << 10));
    struct sock_filter bad1[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
                                 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    res("misaligned load", install(bad1, 2, 0));
    struct sock_filter bad2[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
                                 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    res("load beyond data", install(bad2, 2, 0));
    struct sock_filter bad3[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
    res("no RET at the end", install(bad3, 1, 0));
    struct sock_filter bad4[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
                                 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    res("jump out", install(bad4, 2, 0));
    struct sock_filter bad5[] = {BPF_STMT(BPF_LD | BPF_MEM, 0),
                                 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    res("load before store", install(bad5, 2, 0));
    struct sock_filter bad6[] = {BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
                                 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    res("byte load", install(bad6, 2, 0));
    struct sock_filter bad7[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
                                 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    res("divide by 0", install(bad7, 2, 0));
    struct sock_filter bad8[] = {BPF_STMT(BPF_RET | BPF_X, 0)};
    res("RET X", install(bad8, 1, 0));

    say("== without no_new_privs, as another user\n");
    pid_t pid = fork();
    if (pid == 0) {
        setresuid(65534, 65534, 65534);
        res("user filter", install(allow, 1, 0));
        res("user prctl filter", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &(struct sock_fprog){1, allow}));
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        res("user filter with no_new_privs", install(allow, 1, 0));
        _exit(0);
    }
    wait_child("user child", pid);

    say("== actions\n");
    pid = fork();
    if (pid == 0) {
        struct sigaction sa = {0};
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSYS, &sa, NULL);
        res("install", install(main_filter, sizeof main_filter / sizeof *main_filter, 0));
        res("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP));
        res("getppid (ERRNO ENOENT)", syscall(SYS_getppid));
        res("getuid (TRAP)", syscall(SYS_getuid));
        res("getgid (TRACE, no tracer)", syscall(SYS_getgid));
        say("geteuid (LOG): %s\n", syscall(SYS_geteuid) == 0 ? "allowed" : "BAD");
        errno = 0;
        long r = syscall(SYS_getegid);
        say("getegid (ERRNO 5000): %ld errno %d\n", r, errno);
        res("getpgid 777 (arithmetic)", syscall(SYS_getpgid, 777));
        res("getpgid 999999", syscall(SYS_getpgid, 999999));
        say("getpgid 0: %s\n", syscall(SYS_getpgid, 0) > 0 ? "allowed" : "BAD");
        res("filter mode strict now", sc(SECCOMP_SET_MODE_STRICT, 0, NULL));
        struct sock_filter trap_ppid[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 9),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        res("second filter", install(trap_ppid, 4, 0));
        res("getppid (TRAP beats ERRNO)", syscall(SYS_getppid));
        FILE *f = fopen("/proc/self/status", "r");
        char line[128];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Seccomp", 7))
                say("%s", line);
        if (f)
            fclose(f);
        pid_t grandchild = fork();
        if (grandchild == 0) {
            res("grandchild getppid", syscall(SYS_getppid));
            _exit(0);
        }
        waitpid(grandchild, NULL, 0);
        struct sock_filter kill_uname[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        install(kill_uname, 4, 0);
        syscall(SYS_uname, NULL);
        say("after uname: BAD\n");
        _exit(0);
    }
    wait_child("actions child", pid);

    say("== KILL_THREAD in a one-thread process\n");
    pid = fork();
    if (pid == 0) {
        struct sock_filter kill_thread[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_THREAD),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        install(kill_thread, 4, 0);
        syscall(SYS_getppid);
        say("after getppid: BAD\n");
        _exit(0);
    }
    wait_child("kill-thread child", pid);

    say("== TRAP with SIGSYS blocked\n");
    pid = fork();
    if (pid == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGSYS);
        sigprocmask(SIG_BLOCK, &set, NULL);
        struct sock_filter trap_all_ppid[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        install(trap_all_ppid, 4, 0);
        syscall(SYS_getppid);
        say("after getppid: BAD\n");
        _exit(0);
    }
    wait_child("blocked SIGSYS child", pid);

    say("== strict mode\n");
    pid = fork();
    if (pid == 0) {
        res("prctl strict", prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT));
        write(1, "write works\n", 12);
        syscall(SYS_getpid);
        write(1, "after getpid: BAD\n", 18);
        syscall(SYS_exit, 0);
    }
    wait_child("strict child", pid);
    pid = fork();
    if (pid == 0) {
        sc(SECCOMP_SET_MODE_STRICT, 0, NULL);
        write(1, "strict exit\n", 12);
        syscall(SYS_exit, 5);
    }
    wait_child("strict exit child", pid);

    say("== TSYNC\n");
    pid = fork();
    if (pid == 0) {
        pthread_t th;
        pthread_create(&th, NULL, thread_body, NULL);
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        struct sock_filter eperm_ppid[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        res("TSYNC", install(eperm_ppid, 4, SECCOMP_FILTER_FLAG_TSYNC));
        pthread_join(th, NULL);
        _exit(0);
    }
    wait_child("tsync child", pid);
    return 0;
}
