/* Process flags around credentials: setuid(-1)/setgid(-1), setpgid on a child
 * that has exec'd, PR_SET_NO_NEW_PRIVS over fork and exec, PR_SET_DUMPABLE
 * (and what uid changes and exec make of it), PR_SET_TIMERSLACK, PR_SET_TSC
 * and ARCH_SET_CPUID (the faults are real: rdtsc and cpuid raise SIGSEGV).
 * Run as root (natively too). */
#include "common.h"
#include <asm/prctl.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef ARCH_GET_CPUID
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012
#endif

static char *self_exe;

static void run(const char *label, void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st))
        printf("%s: exit %d\n", label, WEXITSTATUS(st));
    else
        printf("%s: killed by %s\n", label, sigabbrev_np(WTERMSIG(st)));
}

static void exec_self(const char *what)
{
    fflush(stdout);
    char *argv[] = {self_exe, "exec", (char *)what, NULL};
    execv(self_exe, argv);
    printf("exec: -1 %s\n", ename(errno));
    _exit(1);
}

static void ids(void)
{
    res("setuid(-1)", syscall(SYS_setuid, -1));
    res("setgid(-1)", syscall(SYS_setgid, -1));
    res("setreuid(-1, -1)", syscall(SYS_setreuid, -1, -1));
    res("setresuid(-1, -1, -1)", syscall(SYS_setresuid, -1, -1, -1));
    res("setfsuid(-1) returns the old one", syscall(SYS_setfsuid, -1));
    res("setfsgid(-1) returns the old one", syscall(SYS_setfsgid, -1));
    res("setgroups as root", setgroups(0, NULL));
    res("setresuid 1000", setresuid(1000, 1000, 1000));
    res("setuid(-1) as 1000", syscall(SYS_setuid, -1));
    res("setgroups as 1000", setgroups(0, NULL));
    res("setgroups as 1000, bad size", setgroups(-1, NULL));
    res("setgid 5 as 1000", setgid(5));
    res("setfsuid 0 as 1000 (refused, old)", setfsuid(0));
    res("setfsuid query", setfsuid(-1));
}

static void setpgid_exec(void)
{
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        fcntl(p[1], F_SETFD, FD_CLOEXEC);
        char *argv[] = {"/bin/sleep", "5", NULL};
        execv(argv[0], argv);
        _exit(1);
    }
    close(p[1]);
    char b;
    read(p[0], &b, 1);          /* EOF: the child has exec'd */
    res("setpgid on exec'd child", setpgid(c, c));
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    res("setpgid on fresh child", setpgid(c, c));
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

static void nnp(void)
{
    res("GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    res("GET_NO_NEW_PRIVS junk", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0));
    res("SET_NO_NEW_PRIVS 0", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
    res("SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
    res("SET_NO_NEW_PRIVS 1 junk", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
    res("SET_NO_NEW_PRIVS 1", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    res("GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    res("SET_NO_NEW_PRIVS 0 after", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        res("child GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        exec_self("nnp");
    }
    waitpid(c, NULL, 0);
}

static void dumpable(void)
{
    res("GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    res("SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2, 0, 0, 0));
    res("SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
    res("GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        res("child GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        exec_self("dumpable");
    }
    waitpid(c, NULL, 0);
    int sig = -1;
    res("SET_DUMPABLE 1", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
    res("SET_PDEATHSIG SIGUSR1", prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0));
    res("seteuid 0 (no change)", seteuid(0));
    prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
    printf("pdeathsig: %d\n", sig);
    res("seteuid 1000", seteuid(1000));
    prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
    printf("pdeathsig after seteuid: %d\n", sig);
    res("GET_DUMPABLE after seteuid", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    res("SET_DUMPABLE 1", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
    res("seteuid 1000 again (no change)", seteuid(1000));
    res("GET_DUMPABLE", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    res("setresuid 1000", setresuid(1000, 1000, 1000));
    res("GET_DUMPABLE after setresuid", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    exec_self("dumpable-nonroot");
}

static void proc_slack(const char *label, const char *path, const char *value)
{
    char buf[64];
    int fd = open(path, value ? O_WRONLY : O_RDONLY);
    if (fd < 0) {
        printf("%s: open -1 %s\n", label, ename(errno));
        return;
    }
    long n = value ? write(fd, value, strlen(value)) : read(fd, buf, sizeof buf - 1);
    if (n < 0)
        printf("%s: -1 %s\n", label, ename(errno));
    else if (value)
        printf("%s: %ld\n", label, n);
    else
        printf("%s: %.*s", label, (int)n, buf);
    close(fd);
}

static void slack(void)
{
    res("GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    res("SET_TIMERSLACK 1000", prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0));
    res("GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        res("child GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
        res("child SET_TIMERSLACK 7", prctl(PR_SET_TIMERSLACK, 7, 0, 0, 0));
        res("child SET_TIMERSLACK 0 (to its default)", prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0));
        res("child GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
        exec_self("slack");
    }
    waitpid(c, NULL, 0);
    res("SET_TIMERSLACK 0", prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0));
    res("GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    proc_slack("read timerslack_ns", "/proc/self/timerslack_ns", NULL);
    proc_slack("write 12345", "/proc/self/timerslack_ns", "12345\n");
    res("GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    proc_slack("write junk", "/proc/self/timerslack_ns", "12x");
    proc_slack("write 0", "/proc/self/timerslack_ns", "0");
    proc_slack("read timerslack_ns", "/proc/self/timerslack_ns", NULL);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/timerslack_ns", getppid());
    proc_slack("read parent's as root", path, NULL);
    fflush(stdout);
    pid_t c2 = fork();
    if (c2 == 0) {
        setresuid(1000, 1000, 1000);
        proc_slack("read parent's as 1000", path, NULL);
        proc_slack("write parent's as 1000", path, "5");
        _exit(0);
    }
    waitpid(c2, NULL, 0);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("caught %s code %d addr %s\n", sigabbrev_np(sig), si->si_code,
           si->si_addr ? "set" : "0");
    fflush(stdout);
    _exit(7);
}

static void tsc(void)
{
    unsigned v = 99;
    res("GET_TSC", prctl(PR_GET_TSC, &v, 0, 0, 0));
    printf("tsc mode %u\n", v);
    res("GET_TSC bad pointer", prctl(PR_GET_TSC, BADPTR, 0, 0, 0));
    res("SET_TSC 3", prctl(PR_SET_TSC, 3, 0, 0, 0));
    res("SET_TSC SIGSEGV", prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0));
    res("GET_TSC", prctl(PR_GET_TSC, &v, 0, 0, 0));
    printf("tsc mode %u\n", v);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        prctl(PR_GET_TSC, &v, 0, 0, 0);
        printf("child tsc mode %u\n", v);
        exec_self("tsc");
    }
    int st;
    waitpid(c, &st, 0);
    /* the mode survives exec: the dynamic loader's own rdtsc faults */
    if (WIFSIGNALED(st))
        printf("exec'd child: killed by %s\n", sigabbrev_np(WTERMSIG(st)));
    else
        printf("exec'd child: exit %d\n", WEXITSTATUS(st));
    res("SET_TSC ENABLE", prctl(PR_SET_TSC, PR_TSC_ENABLE, 0, 0, 0));
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    printf("rdtsc after enable: ok\n");
    prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0);
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
    sigaction(SIGSEGV, &sa, NULL);
    fflush(stdout);
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    printf("rdtsc while disabled: BAD no fault\n");
}

static void cpuid_(void)
{
    res("ARCH_GET_CPUID", syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
    long r = syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
    if (r == -1 && errno == ENODEV) {
        printf("ARCH_SET_CPUID: ENODEV (no CPUID faulting here)\n");
        return;
    }
    res("ARCH_SET_CPUID 0", r);
    res("ARCH_GET_CPUID", syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        res("child ARCH_GET_CPUID", syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
        exec_self("cpuid");
    }
    waitpid(c, NULL, 0);
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
    sigaction(SIGSEGV, &sa, NULL);
    unsigned a = 0, b, cc = 0, d;
    fflush(stdout);
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(cc), "=d"(d));
    printf("cpuid while faulting: BAD no fault\n");
}

int main(int argc, char **argv)
{
    self_exe = argv[0];
    if (argc >= 3 && !strcmp(argv[1], "exec")) {
        unsigned v = 0;
        int pds = -1;
        prctl(PR_GET_TSC, &v, 0, 0, 0);
        prctl(PR_GET_PDEATHSIG, &pds, 0, 0, 0);
        printf("[exec %s] pdeathsig %d\n", argv[2], pds);
        printf("[exec %s] no_new_privs %d dumpable %d slack %d tsc %u cpuid %ld\n", argv[2],
               prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0),
               prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), v, syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0));
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "NoNewPrivs", 10))
                printf("[exec %s] %s", argv[2], line);
        if (f)
            fclose(f);
        return 0;
    }
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 0;
    }
    self_exe = realpath(argv[0], NULL);
    run("ids", ids);
    run("setpgid after exec", setpgid_exec);
    run("no_new_privs", nnp);
    run("dumpable", dumpable);
    run("timer slack", slack);
    run("tsc", tsc);
    run("cpuid", cpuid_);
    return 0;
}
