/* ptrace_basic: a tracer forks a tracee and prints a deterministic account of
 * its stops, events and registers (pids shown relative to the tracee).
 *   syscalls  TRACEME + SIGSTOP, syscall stops with GET_SYSCALL_INFO, a result
 *             changed at exit, a call skipped with orig_rax = -1 at entry
 *   signals   signal-delivery-stops: suppressed, changed, passed to a handler
 *   events    SEIZE with TRACEFORK|TRACEEXEC|TRACEEXIT: auto-attach, event order
 *   memory    PEEKDATA/POKEDATA, PEEKUSER, GETREGSET, process_vm_readv, errors
 *   attach    PTRACE_ATTACH to a sleeping child, DETACH, TracerPid and state
 *   interrupt SEIZE + INTERRUPT of a blocked read, SIGSTOP group-stop with LISTEN and
 *             SIGCONT, then DETACH handing a pending signal to the tracee's handler
 */
#include "common.h"
#include <elf.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

static pid_t child;

static pid_t seen[16];

/* Pids by order of appearance: other processes on the machine take pids too. */
static const char *pidname(pid_t p)
{
    static char buf[32];
    if (p == child) return "child";
    if (p <= 0) return "-1";
    int i;
    for (i = 0; i < 16 && seen[i] && seen[i] != p; i++)
        ;
    if (i == 16) return "other";
    seen[i] = p;
    snprintf(buf, sizeof buf, "child+%d", i + 1);
    return buf;
}

static void show_status(const char *what, pid_t p, int st)
{
    if (WIFEXITED(st)) printf("%s %s: exited %d\n", what, pidname(p), WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s %s: killed %d\n", what, pidname(p), WTERMSIG(st));
    else if (WIFSTOPPED(st)) printf("%s %s: stopped sig %#x event %d\n", what, pidname(p),
                                    WSTOPSIG(st), st >> 16);
    else printf("%s %s: status %#x\n", what, pidname(p), st);
}

static int wait_show(pid_t want, const char *what)
{
    int st;
    pid_t p = waitpid(want, &st, __WALL);
    if (p < 0) { printf("%s: wait -1 %s\n", what, ename(errno)); return -1; }
    show_status(what, p, st);
    return st;
}

static void syscall_info(pid_t p, const char *what)
{
    struct __ptrace_syscall_info info;
    memset(&info, 0xff, sizeof info);
    long n = ptrace(PTRACE_GET_SYSCALL_INFO, p, (void *)sizeof info, &info);
    printf("%s: info size %ld op %d arch %#x ip %s sp %s", what, n, info.op, info.arch,
           info.instruction_pointer ? "set" : "0", info.stack_pointer ? "set" : "0");
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == SYS_chdir)
        printf(" nr %llu args %#llx %#llx", (unsigned long long)info.entry.nr,
               (unsigned long long)info.entry.args[1], (unsigned long long)info.entry.args[2]);
    else if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
        printf(" nr %llu", (unsigned long long)info.entry.nr);
    else if (info.op == PTRACE_SYSCALL_INFO_EXIT && info.exit.rval == getpid())
        printf(" rval tracer err %d", info.exit.is_error);
    else if (info.op == PTRACE_SYSCALL_INFO_EXIT)
        printf(" rval %lld err %d", (long long)info.exit.rval, info.exit.is_error);
    printf("\n");
}

static void do_syscalls(void)
{
    child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        kill(getpid(), SIGSTOP);
        syscall(SYS_chdir, "", 0x1111, 0x2222);
        long r = syscall(SYS_getppid);
        printf("tracee: getppid changed to %ld\n", r);
        r = syscall(SYS_dup, 1);
        printf("tracee: skipped dup gives %ld\n", r);
        r = syscall(SYS_getpgid, 0);
        printf("tracee: getpgid after detach-free run %s\n", r > 0 ? "ok" : "BAD");
        fflush(stdout);
        _exit(7);
    }
    int st = wait_show(child, "first");
    syscall_info(child, "at SIGSTOP");
    printf("setoptions: %ld\n", ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESYSGOOD));
    ptrace(PTRACE_SYSCALL, child, 0, 0);
    for (int i = 0; i < 40; i++) {
        st = wait_show(child, "stop");
        if (!WIFSTOPPED(st)) break;
        struct user_regs_struct regs;
        ptrace(PTRACE_GETREGS, child, 0, &regs);
        int entering = 0;
        struct __ptrace_syscall_info info;
        ptrace(PTRACE_GET_SYSCALL_INFO, child, (void *)sizeof info, &info);
        entering = info.op == PTRACE_SYSCALL_INFO_ENTRY;
        char what[64];
        snprintf(what, sizeof what, "%s %lld", entering ? "entry" : "exit",
                 (long long)regs.orig_rax);
        if (regs.orig_rax == SYS_chdir || regs.orig_rax == SYS_getppid)
            syscall_info(child, what);
        else
            printf("%s rax %lld\n", what, entering || !(regs.orig_rax == 1 || regs.orig_rax ==
                   (unsigned long long)-1 || regs.orig_rax == SYS_chdir) ? 0 : (long long)regs.rax);
        if (!entering && regs.orig_rax == SYS_getppid) {
            regs.rax = 4242;
            ptrace(PTRACE_SETREGS, child, 0, &regs);
        }
        if (entering && regs.orig_rax == SYS_dup) {
            regs.orig_rax = -1;
            regs.rax = 777;
            ptrace(PTRACE_SETREGS, child, 0, &regs);
        }
        if (entering && regs.orig_rax == SYS_getpgid) {
            ptrace(PTRACE_CONT, child, 0, 0);
            continue;
        }
        ptrace(PTRACE_SYSCALL, child, 0, 0);
    }
}

static volatile sig_atomic_t got_usr2;
static void on_usr2(int s) { (void)s; got_usr2++; }

static void do_signals(void)
{
    child = fork();
    if (child == 0) {
        signal(SIGUSR2, on_usr2);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGUSR1);          /* suppressed by the tracer */
        printf("tracee: survived SIGUSR1\n");
        raise(SIGTERM);          /* changed to SIGUSR2 */
        printf("tracee: usr2 handler ran %d\n", (int)got_usr2);
        fflush(stdout);
        raise(SIGUSR1);          /* passed on: kills */
        _exit(1);
    }
    for (int i = 0; i < 6; i++) {
        int st = wait_show(child, "stop");
        if (!WIFSTOPPED(st)) break;
        siginfo_t si;
        long r = ptrace(PTRACE_GETSIGINFO, child, 0, &si);
        printf("  siginfo %ld signo %d code %d from tracee %s\n", r, si.si_signo, si.si_code,
               si.si_pid == child ? "yes" : "no");
        int sig = WSTOPSIG(st);
        int pass = 0;
        static int usr1_seen;
        if (sig == SIGUSR1) pass = usr1_seen++ ? SIGUSR1 : 0;
        else if (sig == SIGTERM) pass = SIGUSR2;
        else pass = sig;
        ptrace(PTRACE_CONT, child, 0, pass);
    }
}

static void do_events(void)
{
    child = fork();
    if (child == 0) {
        kill(getpid(), SIGSTOP);
        pid_t g = fork();
        if (g == 0) {
            execl("/bin/true", "true", (char *)0);
            _exit(99);
        }
        int st;
        waitpid(g, &st, 0);
        printf("tracee: grandchild status %d\n", WEXITSTATUS(st));
        fflush(stdout);
        _exit(3);
    }
    int st;
    waitpid(child, &st, WSTOPPED);
    show_status("job stop", child, st);
    long r = ptrace(PTRACE_SEIZE, child, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEEXEC |
                    PTRACE_O_TRACEEXIT | PTRACE_O_TRACESYSGOOD);
    printf("seize: %ld\n", r);
    kill(child, SIGCONT);
    for (int i = 0; i < 20; i++) {
        pid_t p = waitpid(-1, &st, __WALL);
        if (p < 0) { printf("wait: -1 %s\n", ename(errno)); break; }
        show_status("event", p, st);
        if (WIFSTOPPED(st)) {
            int ev = st >> 16;
            unsigned long msg = 0;
            if (ev) {
                ptrace(PTRACE_GETEVENTMSG, p, 0, &msg);
                if (ev == PTRACE_EVENT_FORK) {
                    /* The new child's first stop may be seen before or after its
                     * parent's event: wait for it by pid. */
                    printf("  new pid %s\n", pidname(msg));
                    int cst;
                    pid_t c = waitpid(msg, &cst, __WALL);
                    show_status("new child", c, cst);
                    ptrace(PTRACE_CONT, c, 0, 0);
                }
                else if (ev == PTRACE_EVENT_EXIT) printf("  exit msg %#lx\n", msg);
                else if (ev == PTRACE_EVENT_EXEC) printf("  former %s\n", pidname(msg));
            }
            int sig = WSTOPSIG(st);
            if (ev == PTRACE_EVENT_STOP && (sig == SIGSTOP)) {
                ptrace(PTRACE_LISTEN, p, 0, 0);
                continue;
            }
            ptrace(PTRACE_CONT, p, 0, (ev || sig == SIGTRAP || sig == SIGSTOP) ? 0 : sig);
        } else if (p == child) {
            break;
        }
    }
}

static long marker = 0x1122334455667788L;

static void do_memory(void)
{
    int up[2], down[2];
    if (pipe(up) || pipe(down)) return;
    child = fork();
    if (child == 0) {
        char c;
        close(up[0]);
        close(down[1]);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        printf("tracee: marker now %#lx\n", marker);
        fflush(stdout);
        if (write(up[1], "r", 1) != 1 || read(down[0], &c, 1) < 0) _exit(1);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    wait_show(child, "stop");
    errno = 0;
    long w = ptrace(PTRACE_PEEKDATA, child, &marker, 0);
    printf("peekdata: %#lx errno %d\n", w, errno);
    printf("pokedata: %ld\n", ptrace(PTRACE_POKEDATA, child, &marker, 0x0a0b0c0d0e0f1011L));
    errno = 0;
    w = ptrace(PTRACE_PEEKDATA, child, (void *)8, 0);
    printf("peek unmapped: %ld %s\n", w, ename(errno));
    errno = 0;
    w = ptrace(PTRACE_PEEKUSER, child, (void *)offsetof(struct user, regs.orig_rax), 0);
    printf("peekuser orig_rax: %ld errno %d\n", w, errno);
    errno = 0;
    w = ptrace(PTRACE_PEEKUSER, child, (void *)3, 0);
    printf("peekuser unaligned: %ld %s\n", w, ename(errno));
    w = ptrace(PTRACE_PEEKUSER, child, (void *)offsetof(struct user, u_debugreg[7]), 0);
    printf("peekuser dr7: %ld\n", w);
    struct user_regs_struct regs;
    struct iovec iov = { &regs, sizeof regs };
    printf("getregset: %ld len %zu\n", ptrace(PTRACE_GETREGSET, child, NT_PRSTATUS, &iov),
           iov.iov_len);
    struct user_fpregs_struct fp;
    iov.iov_base = &fp; iov.iov_len = sizeof fp;
    printf("getregset fp: %ld len %zu\n", ptrace(PTRACE_GETREGSET, child, NT_PRFPREG, &iov),
           iov.iov_len);
    printf("getfpregs: %ld\n", ptrace(PTRACE_GETFPREGS, child, 0, &fp));
    long got = 0;
    struct iovec local = { &got, 8 }, remote = { &marker, 8 };
    ssize_t got_n = process_vm_readv(child, &local, 1, &remote, 1, 0);
    printf("process_vm_readv: %zd %#lx\n", got_n, got);
    long r = ptrace(PTRACE_CONT, child, 0, 0);
    char c;
    if (read(up[0], &c, 1) != 1) printf("sync BAD\n");
    printf("cont: %ld\n", r);
    errno = 0;
    r = ptrace(PTRACE_GETREGS, child, 0, &regs);
    printf("getregs while running: %ld %s\n", r, ename(errno));
    close(down[1]);
    wait_show(child, "end");
    errno = 0;
    r = ptrace(PTRACE_CONT, getpid(), 0, 0);
    printf("ptrace on non-tracee: %ld %s\n", r, ename(errno));
}

static void print_status_lines(pid_t p)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", p);
    FILE *f = fopen(path, "r");
    if (!f) { printf("status: open failed\n"); return; }
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "State:", 6)) printf("  %s", line);
        if (!strncmp(line, "TracerPid:", 10)) {
            int tp = atoi(line + 10);
            printf("  TracerPid: %s\n", tp == getpid() ? "me" : tp == 0 ? "0" : "other");
        }
    }
    fclose(f);
}

static void do_attach(void)
{
    int fds[2];
    if (pipe(fds)) return;
    child = fork();
    if (child == 0) {
        char c;
        close(fds[1]);
        ssize_t n = read(fds[0], &c, 1);
        printf("tracee: read %zd after detach\n", n);
        fflush(stdout);
        _exit(5);
    }
    close(fds[0]);
    usleep(100000);
    printf("attach: %ld\n", ptrace(PTRACE_ATTACH, child, 0, 0));
    errno = 0;
    long r = ptrace(PTRACE_ATTACH, child, 0, 0);
    printf("attach again: %ld %s\n", r, ename(errno));
    wait_show(child, "attached");
    print_status_lines(child);
    printf("detach: %ld\n", ptrace(PTRACE_DETACH, child, 0, 0));
    usleep(50000);
    print_status_lines(child);
    if (write(fds[1], "x", 1) != 1) printf("write BAD\n");
    wait_show(child, "end");
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int s) { (void)s; got_usr1 = 1; }

static void do_interrupt(void)
{
    int fds[2];
    if (pipe(fds)) return;
    child = fork();
    if (child == 0) {
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
        sigaction(SIGUSR1, &sa, 0);
        close(fds[1]);
        char c;
        ssize_t n = read(fds[0], &c, 1);
        printf("tracee: read %zd, usr1 handler %d\n", n, (int)got_usr1);
        fflush(stdout);
        _exit(4);
    }
    close(fds[0]);
    usleep(100000);
    printf("seize: %ld\n", ptrace(PTRACE_SEIZE, child, 0, 0));
    printf("interrupt: %ld\n", ptrace(PTRACE_INTERRUPT, child, 0, 0));
    int st = wait_show(child, "interrupted");
    printf("cont: %ld\n", ptrace(PTRACE_CONT, child, 0, 0));
    kill(child, SIGSTOP);
    st = wait_show(child, "sigstop");
    siginfo_t si;
    ptrace(PTRACE_GETSIGINFO, child, 0, &si);
    printf("  siginfo signo %d code %d\n", si.si_signo, si.si_code);
    ptrace(PTRACE_CONT, child, 0, SIGSTOP);
    st = wait_show(child, "group");
    printf("listen: %ld\n", ptrace(PTRACE_LISTEN, child, 0, 0));
    kill(child, SIGCONT);
    st = wait_show(child, "after sigcont");
    ptrace(PTRACE_CONT, child, 0, 0);
    st = wait_show(child, "next");
    if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGCONT) ptrace(PTRACE_CONT, child, 0, SIGCONT);
    kill(child, SIGUSR1);
    st = wait_show(child, "usr1");
    printf("detach with it: %ld\n", ptrace(PTRACE_DETACH, child, 0, SIGUSR1));
    usleep(100000);
    if (write(fds[1], "x", 1) != 1) printf("write BAD\n");
    wait_show(child, "end");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "syscalls";
    if (!strcmp(mode, "syscalls")) do_syscalls();
    else if (!strcmp(mode, "signals")) do_signals();
    else if (!strcmp(mode, "events")) do_events();
    else if (!strcmp(mode, "memory")) do_memory();
    else if (!strcmp(mode, "attach")) do_attach();
    else if (!strcmp(mode, "interrupt")) do_interrupt();
    else { printf("unknown mode\n"); return 2; }
    return 0;
}
