/* Signals and pid-taking syscalls aimed at host processes, and kill(-1): only guest processes
 * may ever be hit. ONLY EVER RUN UNDER UMLSKAS: natively, as root, these probes would kill
 * the host's processes. The test (tests/security/test_escape_processes.py) gives the
 * expected lines and checks that its own host sleeper survives.
 *
 * argv[1..]: host pids (a sleeper the test owns, the test's own pid...). Each gets the same
 * probes; the line prefix is "host pid #i" so that the output does not depend on the pids.
 */
/* build: static */
#include "common.h"
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/capability.h>

static void probe_pid(int i, pid_t h)
{
    char label[128];
#define P(name, call)                                                   \
    do {                                                                \
        snprintf(label, sizeof label, "host pid #%d %s", i, name);     \
        errno = 0;                                                      \
        long r_ = (long)(call);                                         \
        rok(label, r_);                                                 \
    } while (0)
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    si.si_signo = SIGKILL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    struct rlimit rl = {0, 0};
    struct sched_param sp = {0};
    char buf[64];
    struct iovec l = {buf, sizeof buf}, r = {(void *)0x400000, sizeof buf};
    struct __user_cap_header_struct ch = {_LINUX_CAPABILITY_VERSION_3, h};
    struct __user_cap_data_struct cd[2];
    void *head;
    size_t len;
    siginfo_t wi;

    P("kill 0", kill(h, 0));
    P("kill SIGKILL", kill(h, SIGKILL));
    P("kill group SIGKILL", kill(-h, SIGKILL));
    P("tgkill SIGKILL", syscall(SYS_tgkill, h, h, SIGKILL));
    P("tkill SIGKILL", syscall(SYS_tkill, h, SIGKILL));
    P("rt_sigqueueinfo SIGKILL", syscall(SYS_rt_sigqueueinfo, h, SIGKILL, &si));
    P("rt_tgsigqueueinfo SIGKILL", syscall(SYS_rt_tgsigqueueinfo, h, h, SIGKILL, &si));
    P("pidfd_open", syscall(SYS_pidfd_open, h, 0));
    P("process_vm_readv", process_vm_readv(h, &l, 1, &r, 1, 0));
    P("process_vm_writev", process_vm_writev(h, &l, 1, &r, 1, 0));
    P("prlimit get", prlimit(h, RLIMIT_NOFILE, NULL, &rl));
    P("prlimit set", prlimit(h, RLIMIT_NOFILE, &rl, NULL));
    P("sched_setaffinity", sched_setaffinity(h, sizeof set, &set));
    P("sched_getaffinity", sched_getaffinity(h, sizeof set, &set));
    P("sched_setscheduler", sched_setscheduler(h, SCHED_OTHER, &sp));
    P("sched_getparam", sched_getparam(h, &sp));
    P("setpriority", setpriority(PRIO_PROCESS, h, 19));
    P("setpriority group", setpriority(PRIO_PGRP, h, 19));
    P("getpriority", (errno = 0, getpriority(PRIO_PROCESS, h) == -1 && errno ? -1 : 0));
    P("getpgid", getpgid(h));
    P("getsid", getsid(h));
    P("setpgid", setpgid(h, h));
    P("setpgid self into its group", setpgid(0, h));
    P("waitid", waitid(P_PID, h, &wi, WEXITED | WNOHANG));
    P("wait4", wait4(h, NULL, WNOHANG, NULL));
    P("ptrace attach", syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, h, 0, 0));
    P("ptrace seize", syscall(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, h, 0, 0));
    P("capget", syscall(SYS_capget, &ch, cd));
    P("get_robust_list", syscall(SYS_get_robust_list, h, &head, &len));
    P("ioprio_set", syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, h, 0));
    P("kcmp", syscall(SYS_kcmp, getpid(), h, 0 /* KCMP_FILE */, 0, 0));
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d", h);
    P("stat /proc/PID", stat(path, &st));
    snprintf(path, sizeof path, "/proc/%d/root/", h);
    P("open /proc/PID/root", open(path, O_RDONLY | O_DIRECTORY));
    snprintf(path, sizeof path, "/proc/%d/mem", h);
    P("open /proc/PID/mem", open(path, O_RDWR));
#undef P
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    say("pid: %d\n", getpid());
    for (int i = 1; i < argc; i++)
        probe_pid(i, (pid_t)strtol(argv[i], NULL, 10));

    /* kill(-1): every guest process but init and the caller; never anything else. */
    int go[2];
    pipe(go);
    pid_t a1 = fork();
    if (a1 == 0) {
        signal(SIGTERM, SIG_IGN);          /* survives SIGTERM, not SIGKILL */
        close(go[0]);
        write(go[1], "x", 1);
        for (;;)
            pause();
    }
    pid_t a2 = fork();
    if (a2 == 0) {
        close(go[0]);
        write(go[1], "x", 1);
        for (;;)
            pause();
    }
    char c;
    read(go[0], &c, 1);
    read(go[0], &c, 1);
    pid_t b = fork();
    if (b == 0) {
        rok("b: kill(-1, SIGTERM)", kill(-1, SIGTERM));
        rok("b: kill(-1, SIGKILL)", kill(-1, SIGKILL));
        /* wait until both are gone (our parent reaps them) */
        for (int i = 0; i < 2000 && (kill(a1, 0) == 0 || kill(a2, 0) == 0); i++) {
            int zombie = 0;
            char p[64], s[256] = {0};
            for (int k = 0; k < 2; k++) {
                snprintf(p, sizeof p, "/proc/%d/stat", k ? a2 : a1);
                int f = open(p, O_RDONLY);
                if (f >= 0) {
                    read(f, s, sizeof s - 1);
                    close(f);
                    if (strstr(s, ") Z "))
                        zombie++;
                } else {
                    zombie++;
                }
            }
            if (zombie == 2)
                break;
            usleep(1000);
        }
        rok("b: kill(-1, SIGKILL) with only init and itself left", kill(-1, SIGKILL));
        _exit(7);
    }
    int st;
    /* b exits last (it waits for the others to die): reap in a fixed order for the output */
    pid_t order[3] = {b, a1, a2};
    for (int n = 0; n < 3; n++) {
        pid_t w = waitpid(order[n], &st, 0);
        const char *who = w == a1 ? "a1 (ignores SIGTERM)" : w == a2 ? "a2" : w == b ? "b (the killer)" : "?";
        if (WIFSIGNALED(st))
            say("%s: killed by %s\n", who, strsignal(WTERMSIG(st)));
        else
            say("%s: exit %d\n", who, WEXITSTATUS(st));
    }
    say("init survived kill(-1)\n");

    /* Every pid the guest can name: only its own processes answer. */
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            for (;;)
                pause();
        }
    }
    int answered = 0, others = 0;
    for (long p = 1; p <= 70000; p++) {
        if (kill(p, 0) == 0) {
            answered++;
            if (p != 1 && p != kids[0] && p != kids[1] && p != kids[2])
                others++;
        }
    }
    say("kill(pid, 0) for pid 1..70000: %d answered, %d not ours\n", answered, others);
    int listed = 0, notours = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!all_digits(e->d_name))
            continue;
        long p = strtol(e->d_name, NULL, 10);
        listed++;
        if (p != 1 && p != kids[0] && p != kids[1] && p != kids[2])
            notours++;
    }
    if (d)
        closedir(d);
    say("/proc lists %d processes, %d not ours\n", listed, notours);
    rok("kill(-1, SIGKILL) from init", kill(-1, SIGKILL));
    for (int i = 0; i < 3; i++) {
        waitpid(kids[i], &st, 0);
        say("kid %d: %s\n", i, WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exited");
    }
    say("alive\n");
    return 0;
}
