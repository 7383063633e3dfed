/* Permission checks by capability, not by uid 0: root opens a mode-000 file,
 * chmods and chowns files it does not own, sets O_NOATIME on them, signals other
 * users' processes, chroots; it loses exactly the power of each capability it
 * drops from its effective set (and all of them as another euid).  access(2)
 * checks with the real ids and, for a real root, the permitted set.  Run as
 * root (natively too), in the scratch directory argv[1]. */
#include "common.h"
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

static unsigned long long full;

static unsigned long long cur_eff(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    return d[0].effective | (unsigned long long)d[1].effective << 32;
}

static void set_eff(unsigned long long e)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[0].effective = (unsigned)e;
    d[1].effective = (unsigned)(e >> 32);
    if (syscall(SYS_capset, &h, d))
        printf("capset: -1 %s\n", ename(errno));
}

static void without(int cap)
{
    set_eff(full & ~(1ULL << cap));
}

static void mk(const char *name, int mode, uid_t uid)
{
    int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    write(fd, "data\n", 5);
    close(fd);
    chown(name, uid, uid);
    chmod(name, mode);
}

static void closing(const char *label, int fd)
{
    rok(label, fd);
    if (fd >= 0)
        close(fd);
}

static void opens(const char *who)
{
    char l[128];
    snprintf(l, sizeof l, "%s: open f000 O_RDONLY", who);
    closing(l, open("f000", O_RDONLY));
    snprintf(l, sizeof l, "%s: open f000 O_WRONLY", who);
    closing(l, open("f000", O_WRONLY));
    snprintf(l, sizeof l, "%s: open d000 (list)", who);
    closing(l, open("d000", O_RDONLY | O_DIRECTORY));
    snprintf(l, sizeof l, "%s: stat d000/f", who);
    rok(l, stat("d000/f", &(struct stat){0}));
    snprintf(l, sizeof l, "%s: create in d000", who);
    closing(l, open("d000/new", O_CREAT | O_WRONLY, 0644));
    unlink("d000/new");
    snprintf(l, sizeof l, "%s: access f000 R_OK", who);
    rok(l, access("f000", R_OK));
    snprintf(l, sizeof l, "%s: faccessat f000 R_OK AT_EACCESS", who);
    rok(l, faccessat(AT_FDCWD, "f000", R_OK, AT_EACCESS));
    snprintf(l, sizeof l, "%s: access f000 X_OK", who);
    rok(l, access("f000", X_OK));
    snprintf(l, sizeof l, "%s: execve f000", who);
    char *argv[] = {"f000", NULL};
    rok(l, execve("f000", argv, NULL));
}

static void owners(const char *who)
{
    char l[128];
    snprintf(l, sizeof l, "%s: chmod u1000", who);
    rok(l, chmod("u1000", 0640));
    snprintf(l, sizeof l, "%s: chmod u1000 02750", who);
    rok(l, chmod("u1000", 02750));
    struct stat st;
    stat("u1000", &st);
    printf("%s: u1000 mode %04o\n", who, (unsigned)(st.st_mode & 07777));
    chmod("u1000", 0640);
    snprintf(l, sizeof l, "%s: utimes explicit u1000", who);
    rok(l, utimes("u1000", (struct timeval[2]){{1, 0}, {1, 0}}));
    snprintf(l, sizeof l, "%s: open u1000 O_NOATIME", who);
    closing(l, open("u1000", O_RDONLY | O_NOATIME));
    int fd = open("u1000", O_RDONLY);
    snprintf(l, sizeof l, "%s: F_SETFL O_NOATIME on u1000", who);
    rok(l, fcntl(fd, F_SETFL, O_NOATIME));
    close(fd);
    snprintf(l, sizeof l, "%s: unlink another's file in another's sticky dir", who);
    rok(l, unlink("sticky/theirs"));
    mk("sticky/theirs", 0644, 2000);
    snprintf(l, sizeof l, "%s: chown u1000 to 0", who);
    rok(l, chown("u1000", 0, -1));
    chown("u1000", 1000, 1000);
    snprintf(l, sizeof l, "%s: chown u1000 -1 -1", who);
    rok(l, chown("u1000", -1, -1));
    snprintf(l, sizeof l, "%s: chgrp u1000 0", who);
    rok(l, chown("u1000", -1, 0));
    chown("u1000", 1000, 1000);
}

/* a write or truncate by a caller without CAP_FSETID clears the set-ID bits */
static void setid_bits(const char *who)
{
    char l[128];
    static const char *names[] = {"suid", "sgidx", "sgid-nox", "trunc", "otrunc"};
    static const int modes[] = {04777, 02777, 02767, 06777, 04777};
    for (int i = 0; i < 5; i++) {
        uid_t e = geteuid();
        seteuid(0);
        unsigned long long eff = cur_eff();
        set_eff(full);
        mk(names[i], modes[i], 0);
        set_eff(eff);
        seteuid(e);
        int fd = open(names[i], O_WRONLY | (i == 4 ? O_TRUNC : 0));
        if (i < 3)
            write(fd, "x", 1);
        else if (i == 3)
            ftruncate(fd, 1);
        close(fd);
        struct stat st;
        stat(names[i], &st);
        snprintf(l, sizeof l, "%s: after %s of %s", who, i < 3 ? "write" : "truncate", names[i]);
        printf("%s: mode %04o\n", l, (unsigned)(st.st_mode & 07777));
    }
}

static void signals_(const char *who)
{
    char l[128];
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        setresuid(1000, 1000, 1000);
        pause();
        _exit(0);
    }
    usleep(100000);
    snprintf(l, sizeof l, "%s: kill u1000 child 0", who);
    rok(l, kill(c, 0));
    snprintf(l, sizeof l, "%s: kill u1000 child SIGCONT (same session)", who);
    rok(l, kill(c, SIGCONT));
    int pfd = syscall(SYS_pidfd_open, c, 0);
    snprintf(l, sizeof l, "%s: pidfd_send_signal u1000 child 0", who);
    rok(l, syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0));
    close(pfd);
    unsigned long long before = cur_eff();
    uid_t euid = geteuid();
    seteuid(0);
    set_eff(full);
    kill(c, SIGKILL);
    seteuid(euid);
    set_eff(before);
    waitpid(c, NULL, 0);
}

static void scenario(const char *who, int cap)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (cap >= 0)
            without(cap);
        if (cap == -2)
            set_eff(0);
        if (cap == -3 && seteuid(1000))
            printf("seteuid: -1 %s\n", ename(errno));
        opens(who);
        owners(who);
        setid_bits(who);
        signals_(who);
        char l[128];
        snprintf(l, sizeof l, "%s: setuid 2000", who);
        rok(l, setuid(2000));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

static void chroot_(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        without(CAP_SYS_CHROOT);
        rok("no SYS_CHROOT: chroot .", chroot("."));
        set_eff(full);
        rok("chroot .", chroot("."));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

static void rlimits(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit r;
        getrlimit(RLIMIT_NOFILE, &r);
        r.rlim_max = r.rlim_cur;
        rok("lower hard NOFILE", setrlimit(RLIMIT_NOFILE, &r));
        r.rlim_max += 1;
        /* CAP_SYS_RESOURCE decides, whatever the uid (the host may lack it) */
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        syscall(SYS_capget, &h, d);
        long rr = setrlimit(RLIMIT_NOFILE, &r);
        printf("raise hard NOFILE: %s (CAP_SYS_RESOURCE %s)\n", rr ? ename(errno) : "ok",
               d[0].effective & (1u << CAP_SYS_RESOURCE) ? "yes" : "no");
        without(CAP_SYS_RESOURCE);
        rok("raise hard NOFILE without CAP_SYS_RESOURCE", setrlimit(RLIMIT_NOFILE, &r));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 0;
    }
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    full = d[0].effective | (unsigned long long)d[1].effective << 32;
    umask(0);
    mk("f000", 0, 0);
    mkdir("d000", 0777);
    mk("d000/f", 0644, 0);
    chmod("d000", 0);
    mk("u1000", 0600, 1000);
    mkdir("sticky", 01777);
    chown("sticky", 2000, 2000);
    mk("sticky/theirs", 0644, 2000);
    chmod(".", 0755);

    scenario("root", -1);
    scenario("no DAC_OVERRIDE", CAP_DAC_OVERRIDE);
    scenario("no DAC_READ_SEARCH", CAP_DAC_READ_SEARCH);
    scenario("no FOWNER", CAP_FOWNER);
    scenario("no CHOWN", CAP_CHOWN);
    scenario("no FSETID", CAP_FSETID);
    scenario("no KILL", CAP_KILL);
    scenario("no SETUID", CAP_SETUID);
    scenario("no effective caps", -2);
    scenario("euid 1000", -3);
    chroot_();
    rlimits();
    chmod("d000", 0755);
    return 0;
}
