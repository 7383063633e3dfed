/* Capability sets (capget/capset, capabilities(7)): version probes, the capset
 * rules, uid changes that clear and restore the sets, PR_SET_KEEPCAPS and
 * securebits, the bounding and ambient sets, what execve makes of them, and the
 * Cap* lines of /proc/self/status.  Run as root (natively too): each scenario
 * runs in its own child, which drops privileges itself. */
#include "common.h"
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char *self_exe;

static long capget_(unsigned version, int pid, struct __user_cap_data_struct *d)
{
    struct __user_cap_header_struct h = {version, pid};
    return syscall(SYS_capget, &h, d);
}

static long capset_(unsigned version, int pid, struct __user_cap_data_struct *d)
{
    struct __user_cap_header_struct h = {version, pid};
    return syscall(SYS_capset, &h, d);
}

static unsigned long long eff(void)
{
    struct __user_cap_data_struct d[2];
    capget_(_LINUX_CAPABILITY_VERSION_3, 0, d);
    return d[0].effective | (unsigned long long)d[1].effective << 32;
}

static unsigned long long prm(void)
{
    struct __user_cap_data_struct d[2];
    capget_(_LINUX_CAPABILITY_VERSION_3, 0, d);
    return d[0].permitted | (unsigned long long)d[1].permitted << 32;
}

static unsigned long long inh(void)
{
    struct __user_cap_data_struct d[2];
    capget_(_LINUX_CAPABILITY_VERSION_3, 0, d);
    return d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
}

/* the status lines, as they are, and their agreement with capget */
static void status(const char *label)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) {
        printf("%s: fopen %s\n", label, ename(errno));
        return;
    }
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10))
            printf("%s %s", label, line);
    fclose(f);
}

static void show(const char *label)
{
    printf("%s: eff %llx prm %llx inh %llx\n", label, eff(), prm(), inh());
}

static void set3(const char *label, unsigned long long e, unsigned long long p, unsigned long long i)
{
    struct __user_cap_data_struct d[2] = {
        {(unsigned)e, (unsigned)p, (unsigned)i},
        {(unsigned)(e >> 32), (unsigned)(p >> 32), (unsigned)(i >> 32)}};
    res(label, capset_(_LINUX_CAPABILITY_VERSION_3, 0, d));
}

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
    printf("%s: exit %d\n", label, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static void exec_self(const char *what)
{
    fflush(stdout);
    char *argv[] = {self_exe, "exec", (char *)what, NULL};
    execv(self_exe, argv);
    printf("exec: -1 %s\n", ename(errno));
    _exit(1);
}

static void probes(void)
{
    struct __user_cap_header_struct h = {0x12345678, 0};
    struct __user_cap_data_struct d[2];
    errno = 0;
    res("capget bad version", syscall(SYS_capget, &h, d));
    printf("preferred version: %x\n", h.version);
    h.version = 0x12345678;
    res("capget bad version NULL data", syscall(SYS_capget, &h, NULL));
    printf("preferred version: %x\n", h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    res("capget v3 NULL data", syscall(SYS_capget, &h, NULL));
    res("capget bad header", syscall(SYS_capget, BADPTR, d));
    res("capget bad data", capget_(_LINUX_CAPABILITY_VERSION_3, 0, BADPTR));
    res("capget pid -1", capget_(_LINUX_CAPABILITY_VERSION_3, -1, d));
    res("capget pid 99999", capget_(_LINUX_CAPABILITY_VERSION_3, 99999, d));
    res("capget own pid", capget_(_LINUX_CAPABILITY_VERSION_3, getpid(), d));
    res("capget parent", capget_(_LINUX_CAPABILITY_VERSION_3, getppid(), d));
    memset(d, 0xAA, sizeof d);
    res("capget v1", capget_(_LINUX_CAPABILITY_VERSION_1, 0, d));
    printf("v1 second word untouched: %s\n", d[1].effective == 0xAAAAAAAA ? "yes" : "no");
    res("capget v2", capget_(_LINUX_CAPABILITY_VERSION_2, 0, d));
    res("capset bad version", capset_(0x1, 0, d));
    capget_(_LINUX_CAPABILITY_VERSION_3, 0, d);
    res("capset parent", capset_(_LINUX_CAPABILITY_VERSION_3, getppid(), d));
    res("capset own pid", capset_(_LINUX_CAPABILITY_VERSION_3, getpid(), d));
    res("capset bad data", capset_(_LINUX_CAPABILITY_VERSION_3, 0, BADPTR));
    show("root");
}

static void capset_rules(void)
{
    unsigned long long p = prm();
    set3("drop CAP_DAC_OVERRIDE from eff", p & ~(1ULL << CAP_DAC_OVERRIDE), p, 0);
    show("after");
    set3("eff beyond prm", p, p & ~(1ULL << CAP_KILL), 0);
    set3("drop CAP_KILL from prm", p & ~(1ULL << CAP_KILL), p & ~(1ULL << CAP_KILL), 0);
    set3("raise CAP_KILL again", p, p, 0);
    set3("inheritable CAP_KILL (not in prm, with SETPCAP)", p & ~(1ULL << CAP_KILL),
         p & ~(1ULL << CAP_KILL), 1ULL << CAP_KILL);
    show("after");
    set3("drop SETPCAP", 0, 1ULL << CAP_CHOWN, 1ULL << CAP_KILL);
    set3("inheritable CAP_FOWNER without SETPCAP", 0, 1ULL << CAP_CHOWN,
         (1ULL << CAP_KILL) | (1ULL << CAP_FOWNER));
    set3("inheritable CAP_CHOWN (in prm)", 0, 1ULL << CAP_CHOWN,
         (1ULL << CAP_KILL) | (1ULL << CAP_CHOWN));
    set3("bits above the last cap", 1ULL << 63, 1ULL << CAP_CHOWN, 0);
    show("after");
    status("status");
}

static void uid_changes(void)
{
    show("root");
    res("seteuid 1000", seteuid(1000));
    show("euid 1000");
    res("seteuid 0", seteuid(0));
    show("back to euid 0");
    res("setfsuid 1000 (old)", setfsuid(1000));
    show("fsuid 1000");
    res("setfsuid 0 (old)", setfsuid(0));
    show("fsuid 0");
    res("setresuid 1000 1000 0", setresuid(1000, 1000, 0));
    show("saved root");
    res("setresuid -1 0 -1", setresuid(-1, 0, -1));
    show("euid 0 again");
    res("setresuid 1000 1000 1000", setresuid(1000, 1000, 1000));
    show("all 1000");
    res("setuid 0", setuid(0));
    res("setresuid 0 0 0", setresuid(0, 0, 0));
    status("status");
}

static void keepcaps(void)
{
    res("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    res("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
    res("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    res("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    res("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    res("setresuid 1000 1000 1000", setresuid(1000, 1000, 1000));
    show("kept");
    unsigned long long p = prm();
    set3("eff from kept prm", p, p, 0);
    show("raised");
    res("setuid 0 with CAP_SETUID", setuid(0));
    show("after setuid 0");
    res("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    exec_self("after-keepcaps");
}

static void securebits(void)
{
    for (int b = 0; b < 14; b++) {
        fflush(stdout);
        if (fork() == 0) {
            printf("PR_SET_SECUREBITS bit %d: %s\n", b,
                   prctl(PR_SET_SECUREBITS, 1UL << b, 0, 0, 0) ? ename(errno) : "ok");
            fflush(stdout);
            _exit(0);
        }
        wait(NULL);
    }
    res("PR_SET_SECUREBITS bad bit", prctl(PR_SET_SECUREBITS, 1 << 30, 0, 0, 0));
    res("PR_SET_SECUREBITS NO_SETUID_FIXUP", prctl(PR_SET_SECUREBITS, 1 << 2, 0, 0, 0));
    res("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    res("seteuid 1000", seteuid(1000));
    show("no fixup");
    res("seteuid 0", seteuid(0));
    res("lock KEEP_CAPS off", prctl(PR_SET_SECUREBITS, (1 << 2) | (1 << 5), 0, 0, 0));
    res("PR_SET_KEEPCAPS 1 while locked", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    res("unlock", prctl(PR_SET_SECUREBITS, 1 << 2, 0, 0, 0));
    res("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    set3("drop SETPCAP", prm() & ~(1ULL << CAP_SETPCAP), prm(), 0);
    res("PR_SET_SECUREBITS without SETPCAP", prctl(PR_SET_SECUREBITS, (1 << 2) | (1 << 5), 0, 0, 0));
}

static void bounding_ambient(void)
{
    res("PR_CAPBSET_READ CAP_KILL", prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0));
    res("PR_CAPBSET_READ 64", prctl(PR_CAPBSET_READ, 64, 0, 0, 0));
    res("PR_CAPBSET_READ -1", prctl(PR_CAPBSET_READ, -1L, 0, 0, 0));
    res("PR_CAPBSET_DROP CAP_KILL", prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0));
    res("PR_CAPBSET_READ CAP_KILL", prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0));
    res("PR_CAPBSET_DROP 99", prctl(PR_CAPBSET_DROP, 99, 0, 0, 0));
    res("AMBIENT IS_SET CAP_CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
    res("AMBIENT RAISE without inheritable", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
    unsigned long long p = prm();
    set3("inheritable CHOWN+FOWNER", p, p, (1ULL << CAP_CHOWN) | (1ULL << CAP_FOWNER));
    res("AMBIENT RAISE CAP_CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
    res("AMBIENT RAISE CAP_FOWNER", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_FOWNER, 0, 0));
    res("AMBIENT IS_SET CAP_CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
    res("AMBIENT LOWER CAP_FOWNER", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_FOWNER, 0, 0));
    res("AMBIENT bad op", prctl(PR_CAP_AMBIENT, 9, CAP_CHOWN, 0, 0));
    res("AMBIENT bad cap", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 64, 0, 0));
    res("AMBIENT CLEAR_ALL junk", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
    status("status");
    res("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    res("setresuid 1000 1000 1000", setresuid(1000, 1000, 1000));
    status("as 1000 kept");
    exec_self("nonroot-exec");
}

static void ambient_exec(void)
{
    unsigned long long p = prm();
    set3("inheritable CHOWN", p, p, 1ULL << CAP_CHOWN);
    res("AMBIENT RAISE CAP_CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
    res("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    res("setresuid 1000 1000 1000", setresuid(1000, 1000, 1000));
    res("AMBIENT IS_SET CAP_CHOWN (cleared by the uid change)",
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0));
    res("AMBIENT RAISE CAP_CHOWN again", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0));
    set3("prm CHOWN only", 0, 1ULL << CAP_CHOWN, 1ULL << CAP_CHOWN);
    status("kept");
    exec_self("ambient-exec");
}

static void root_exec(void)
{
    unsigned long long p = prm();
    set3("drop eff and inh", 0, p, 0);
    res("PR_CAPBSET_DROP CAP_KILL", prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0));
    exec_self("root-exec");
}

static void ruid_root_exec(void)
{
    res("setresuid 0 1000 1000", setresuid(0, 1000, 1000));
    exec_self("ruid-root-exec");
}

int main(int argc, char **argv)
{
    self_exe = argv[0];
    if (argc >= 3 && !strcmp(argv[1], "exec")) {
        printf("[exec %s] euid %d keepcaps %d\n", argv[2], (int)geteuid(),
               (int)prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
        show("exec'd");
        status("exec'd status");
        return 0;
    }
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 0;
    }
    self_exe = realpath(argv[0], NULL);
    run("probes", probes);
    run("capset rules", capset_rules);
    run("uid changes", uid_changes);
    run("keepcaps", keepcaps);
    run("securebits", securebits);
    run("bounding and ambient", bounding_ambient);
    run("ambient exec", ambient_exec);
    run("root exec", root_exec);
    run("ruid root exec", ruid_root_exec);
    return 0;
}
