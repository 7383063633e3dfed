/* execve and credentials: set-user-ID and set-group-ID executables (copies of
 * this guest in the scratch directory argv[1]) change the effective ids and the
 * capability sets, AT_SECURE says so, no_new_privs cancels them, and a
 * privilege-changing exec makes the process non-dumpable.  Run as root (natively
 * too); the children drop privileges themselves. */
#include "common.h"
#include <linux/capability.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char dir[4096];

static void report(const char *what)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;
    getresuid(&r, &e, &s);
    getresgid(&rg, &eg, &sg);
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    int pds = -1;
    prctl(PR_GET_PDEATHSIG, &pds, 0, 0, 0);
    printf("[%s] pdeathsig %d\n", what, pds);
    printf("[%s] uid %d %d %d gid %d %d %d prm %llx eff %llx secure %lu dumpable %d\n", what,
           (int)r, (int)e, (int)s, (int)rg, (int)eg, (int)sg,
           d[0].permitted | (unsigned long long)d[1].permitted << 32,
           d[0].effective | (unsigned long long)d[1].effective << 32,
           getauxval(AT_SECURE), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
}

static void copy_self(const char *name, uid_t uid, gid_t gid, int mode)
{
    char buf[65536];
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0700);
    long n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, n);
    close(in);
    close(out);
    chown(name, uid, gid);
    chmod(name, mode);
}

static void run_as(const char *label, uid_t ruid, uid_t euid, int nnp, const char *prog)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (setresgid(2000, 2000, 2000) || setresuid(ruid, euid, euid)) {
            printf("%s: drop: %s\n", label, ename(errno));
            _exit(1);
        }
        if (nnp)
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, prog);
        char *argv[] = {path, "report", (char *)label, NULL};
        char *envp[] = {NULL};
        execve(path, argv, envp);
        printf("%s: execve: -1 %s\n", label, ename(errno));
        _exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "report")) {
        report(argv[2]);
        return 0;
    }
    enter_dir(argc, argv);
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 0;
    }
    struct statvfs sv;
    if (statvfs(".", &sv) == 0 && sv.f_flag & ST_NOSUID) {
        printf("nosuid scratch: skipped\n");
        return 0;
    }
    if (!getcwd(dir, sizeof dir))
        return 1;
    chmod(".", 0755);
    copy_self("plain", 0, 0, 0755);
    copy_self("suidroot", 0, 0, 04755);
    copy_self("suid1000", 1000, 0, 04755);
    copy_self("sgid3000", 0, 3000, 02755);
    copy_self("sgid-noexec", 0, 3000, 02745);
    report("self");
    run_as("1000 runs plain", 1000, 1000, 0, "plain");
    run_as("1000 runs suidroot", 1000, 1000, 0, "suidroot");
    run_as("1000 runs suidroot with no_new_privs", 1000, 1000, 1, "suidroot");
    run_as("1000 runs sgid3000", 1000, 1000, 0, "sgid3000");
    run_as("1000 runs sgid-noexec", 1000, 1000, 0, "sgid-noexec");
    run_as("root runs suid1000", 0, 0, 0, "suid1000");
    run_as("ruid 1000 euid 0 runs plain", 1000, 0, 0, "plain");
    run_as("ruid 0 euid 1000 runs plain", 0, 1000, 0, "plain");
    run_as("ruid 0 euid 1000 runs plain with no_new_privs", 0, 1000, 1, "plain");
    run_as("1500 runs suid1000", 1500, 1500, 0, "suid1000");
    return 0;
}
