/* /proc as a program sees it: the root's files, /proc/self and its files,
 * fd and fdinfo, threads, /proc/sys, another process's directory, writes.
 * Prints only what is the same natively and under umlskas (booleans, formats,
 * values the program itself knows).  argv[1] picks a section (default: all).
 */
/* build: static */
#include "common.h"
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static char buf[1 << 16];
static char comm[16];          /* what the kernel calls us: basename(argv[0]), 15 bytes */

static void noop(int sig)
{
    (void)sig;
}

/* The whole file, NUL-terminated in buf; its length or -1. */
static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long n = 0, r;
    while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += r;
    close(fd);
    if (r < 0)
        return -1;
    buf[n] = 0;
    return n;
}

/* The value after "Key:\t" in a status-like text, or "" (static buffer). */
static const char *field(const char *text, const char *key)
{
    static char out[256];
    size_t klen = strlen(key);
    const char *p = text;
    out[0] = 0;
    while (p && *p) {
        if (!strncmp(p, key, klen) && p[klen] == ':') {
            p += klen + 1;
            while (*p == '\t' || *p == ' ')
                p++;
            size_t i = 0;
            while (p[i] && p[i] != '\n' && i < sizeof out - 1) {
                out[i] = p[i];
                i++;
            }
            out[i] = 0;
            return out;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return out;
}

static int listed(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (!strcmp(e->d_name, name))
            found = 1;
    closedir(d);
    return found;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static long link_to(const char *path, char *out, size_t size)
{
    long n = readlink(path, out, size - 1);
    if (n >= 0)
        out[n] = 0;
    return n;
}

static void section_root(void)
{
    char path[64], target[256];
    snprintf(path, sizeof path, "%d", getpid());
    check("own pid listed in /proc", listed("/proc", path));
    check("self listed", listed("/proc", "self") && listed("/proc", "thread-self"));
    link_to("/proc/self", target, sizeof target);
    check("self -> pid", atoi(target) == getpid());
    link_to("/proc/thread-self", target, sizeof target);
    snprintf(path, sizeof path, "%d/task/%d", getpid(), getpid());
    check("thread-self -> pid/task/tid", !strcmp(target, path));
    struct stat st;
    check("lstat self is a link", lstat("/proc/self", &st) == 0 && S_ISLNK(st.st_mode));
    check("stat self is a dir", stat("/proc/self", &st) == 0 && S_ISDIR(st.st_mode));
    check("stat /proc is a dir 0555",
          stat("/proc", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0555);
    res("readlink mounts", link_to("/proc/mounts", target, sizeof target) > 0 &&
        !strcmp(target, "self/mounts"));
    const char *files[] = {"cpuinfo", "meminfo", "stat", "uptime", "loadavg", "version",
                           "filesystems", "mounts", NULL};
    for (int i = 0; files[i]; i++) {
        snprintf(path, sizeof path, "/proc/%s", files[i]);
        printf("%s listed: %d, ", files[i], listed("/proc", files[i]));
        check(path, slurp(path) > 0);
    }
    double up, idle;
    slurp("/proc/uptime");
    check("uptime: two numbers", sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0);
    double l1, l5, l15;
    int running, total, last;
    slurp("/proc/loadavg");
    check("loadavg format", sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running,
                                   &total, &last) == 6 && running >= 1 && total >= running);
    check("loadavg last pid >= own pid", last >= getpid());
    slurp("/proc/stat");
    check("stat: cpu, btime, processes",
          !strncmp(buf, "cpu ", 4) && strstr(buf, "\nbtime ") && strstr(buf, "\nprocesses ") &&
          strstr(buf, "\nprocs_running "));
    slurp("/proc/meminfo");
    check("meminfo: MemTotal", !strncmp(buf, "MemTotal:", 9) && strstr(buf, "MemAvailable:"));
    slurp("/proc/cpuinfo");
    check("cpuinfo: processor", !strncmp(buf, "processor", 9));
    struct utsname u;
    uname(&u);
    slurp("/proc/version");
    check("version names the release", !strncmp(buf, "Linux version ", 14) &&
          strstr(buf, u.release));
    snprintf(path, sizeof path, "/proc/%d", 2147483647);
    res("stat /proc/2147483647", stat(path, &st));
    res("open /proc/nonesuch", open("/proc/nonesuch", O_RDONLY));
}

static void section_sys(void)
{
    struct utsname u;
    uname(&u);
    char want[300];
    slurp("/proc/sys/kernel/hostname");
    snprintf(want, sizeof want, "%s\n", u.nodename);
    check("hostname = uname nodename", !strcmp(buf, want));
    slurp("/proc/sys/kernel/osrelease");
    snprintf(want, sizeof want, "%s\n", u.release);
    check("osrelease = uname release", !strcmp(buf, want));
    slurp("/proc/sys/kernel/version");
    snprintf(want, sizeof want, "%s\n", u.version);
    check("version = uname version", !strcmp(buf, want));
    slurp("/proc/sys/kernel/ostype");
    check("ostype", !strcmp(buf, "Linux\n"));
    slurp("/proc/sys/kernel/domainname");
    snprintf(want, sizeof want, "%s\n", u.domainname);
    check("domainname = uname domainname", !strcmp(buf, want));
    const char *numbers[] = {"kernel/pid_max", "kernel/threads-max", "kernel/ngroups_max",
                             "kernel/cap_last_cap", "kernel/overflowuid", "kernel/overflowgid",
                             "kernel/shmmax", "kernel/random/entropy_avail",
                             "vm/overcommit_memory", "vm/max_map_count", "fs/file-max",
                             "fs/nr_open", "fs/pipe-max-size", NULL};
    for (int i = 0; numbers[i]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/proc/sys/%s", numbers[i]);
        char *end;
        int ok = slurp(path) > 0;
        strtoull(buf, &end, 10);
        check(path, ok && end != buf && *end == '\n');
    }
    slurp("/proc/sys/kernel/ngroups_max");
    check("ngroups_max = sysconf", atol(buf) == sysconf(_SC_NGROUPS_MAX));
    slurp("/proc/sys/kernel/overflowuid");
    check("overflowuid 65534", atol(buf) == 65534);
    char a[64], b[64];
    slurp("/proc/sys/kernel/random/uuid");
    snprintf(a, sizeof a, "%.60s", buf);
    slurp("/proc/sys/kernel/random/uuid");
    snprintf(b, sizeof b, "%.60s", buf);
    check("uuid: 36 chars, version 4", strlen(a) == 37 && a[8] == '-' && a[14] == '4');
    check("uuid: fresh each read", strcmp(a, b) != 0);
    slurp("/proc/sys/kernel/random/boot_id");
    snprintf(a, sizeof a, "%.60s", buf);
    slurp("/proc/sys/kernel/random/boot_id");
    check("boot_id: stable", strlen(a) == 37 && !strcmp(a, buf));
    check("sys lists kernel vm fs",
          listed("/proc/sys", "kernel") && listed("/proc/sys", "vm") && listed("/proc/sys", "fs"));
    check("sys/kernel lists hostname", listed("/proc/sys/kernel", "hostname"));
    res("open sys/kernel/nonesuch", open("/proc/sys/kernel/nonesuch", O_RDONLY));
}

static void section_self(int argc, char **argv)
{
    char target[4096], path[128], cwd[4096];
    long n;

    n = slurp("/proc/self/status");
    check("status: Name", !strcmp(field(buf, "Name"), comm));
    check("status: State R", !strcmp(field(buf, "State"), "R (running)"));
    check("status: Pid", atoi(field(buf, "Pid")) == getpid());
    check("status: Tgid", atoi(field(buf, "Tgid")) == getpid());
    check("status: PPid", atoi(field(buf, "PPid")) == getppid());
    snprintf(target, sizeof target, "%d\t%d\t%d\t%d", getuid(), geteuid(), geteuid(), geteuid());
    check("status: Uid", !strcmp(field(buf, "Uid"), target));
    check("status: Threads 1", !strcmp(field(buf, "Threads"), "1"));
    check("status: Umask 0022", !strcmp(field(buf, "Umask"), "0022"));
    check("status: VmSize kB", strstr(field(buf, "VmSize"), " kB") != NULL);
    check("status: NSpid", atoi(field(buf, "NSpid")) == getpid());
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGUSR2, SIG_IGN);
    slurp("/proc/self/status");
    check("status: SigBlk", !strcmp(field(buf, "SigBlk"), "0000000000004200"));
    check("status: SigIgn has USR2", strtoull(field(buf, "SigIgn"), NULL, 16) & (1 << 11));
    signal(SIGUSR1, noop);
    raise(SIGUSR1);
    slurp("/proc/self/status");
    check("status: SigPnd or ShdPnd has USR1",
          (strtoull(field(buf, "SigPnd"), NULL, 16) | strtoull(field(buf, "ShdPnd"), NULL, 16))
          & (1 << 9));
    sigprocmask(SIG_UNBLOCK, &set, NULL);   /* SIGUSR1: default action... */
    (void)n;

    slurp("/proc/self/stat");
    int pid, ppid, pgrp, sid, fields = 0;
    char state;
    char *close_paren = strrchr(buf, ')');
    char paren[40];
    snprintf(paren, sizeof paren, " (%s) ", comm);
    check("stat: (comm)", strstr(buf, paren) != NULL);
    sscanf(buf, "%d", &pid);
    sscanf(close_paren + 2, "%c %d %d %d", &state, &ppid, &pgrp, &sid);
    for (char *p = buf; *p; p++)
        if (*p == ' ')
            fields++;
    check("stat: pid ppid pgrp sid", pid == getpid() && ppid == getppid() &&
          pgrp == getpgrp() && sid == getsid(0));
    check("stat: state R", state == 'R');
    check("stat: 52 fields", fields == 51);
    slurp("/proc/self/statm");
    unsigned long sz[7];
    check("statm: 7 numbers", sscanf(buf, "%lu %lu %lu %lu %lu %lu %lu", &sz[0], &sz[1], &sz[2],
                                     &sz[3], &sz[4], &sz[5], &sz[6]) == 7 && sz[0] > 0);

    n = slurp("/proc/self/cmdline");
    long want = 0;
    for (int i = 0; i < argc; i++)
        want += strlen(argv[i]) + 1;
    check("cmdline = argv", n == want && !strcmp(buf, argv[0]) &&
          (argc < 2 || !strcmp(buf + strlen(argv[0]) + 1, argv[1])));
    n = slurp("/proc/self/environ");
    int found = 0;
    for (long i = 0; i < n; i += strlen(buf + i) + 1)
        if (!strcmp(buf + i, "PROCFS_TEST=yes"))
            found = 1;
    check("environ has PROCFS_TEST", found);
    slurp("/proc/self/comm");
    snprintf(target, sizeof target, "%s\n", comm);
    check("comm", !strcmp(buf, target));
    prctl(PR_SET_NAME, "renamed");
    slurp("/proc/self/comm");
    check("comm after PR_SET_NAME", !strcmp(buf, "renamed\n"));
    int fd = open("/proc/self/comm", O_WRONLY);
    res("write comm", fd >= 0 ? write(fd, "written", 7) : -1);
    close(fd);
    char name[17] = {0};
    prctl(PR_GET_NAME, name);
    check("PR_GET_NAME after comm write", !strcmp(name, "written"));
    slurp("/proc/self/status");
    check("status Name after write", !strcmp(field(buf, "Name"), "written"));

    link_to("/proc/self/exe", target, sizeof target);
    char *real = realpath(argv[0], NULL);
    check("exe = realpath(argv0)", real && !strcmp(target, real));
    free(real);
    link_to("/proc/self/cwd", target, sizeof target);
    check("cwd = getcwd", getcwd(cwd, sizeof cwd) && !strcmp(target, cwd));
    link_to("/proc/self/root", target, sizeof target);
    check("root = /", !strcmp(target, "/"));
    struct stat a, b;
    check("stat exe = stat argv0", stat("/proc/self/exe", &a) == 0 && stat(argv[0], &b) == 0 &&
          a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    check("cwd/. is cwd", stat("/proc/self/cwd/.", &a) == 0 && stat(".", &b) == 0 &&
          a.st_ino == b.st_ino);

    slurp("/proc/self/maps");
    char *exe_path = realpath("/proc/self/exe", NULL);
    int exec_map = 0;
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : 0) {
        char perms[5] = {0};
        if (sscanf(line, "%*x-%*x %4s", perms) == 1 && perms[2] == 'x' && exe_path &&
            strstr(line, exe_path) && strstr(line, exe_path) < strchr(line, '\n'))
            exec_map = 1;
    }
    check("maps: exe mapped r-x", exec_map);
    free(exe_path);

    slurp("/proc/self/limits");
    check("limits header", !strncmp(buf, "Limit                     Soft Limit           "
                                         "Hard Limit           Units     \n", 79));
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    char *line = strstr(buf, "Max open files");
    unsigned long soft = 0;
    check("limits: open files = getrlimit", line &&
          sscanf(line + 25, "%lu", &soft) == 1 && soft == rl.rlim_cur);
    slurp("/proc/self/cgroup");
    check("cgroup: a 0:: line", !strncmp(buf, "0::", 3) || strstr(buf, "\n0::"));
    slurp("/proc/self/mounts");
    check("mounts: / and /proc", strstr(buf, " / ") && strstr(buf, " /proc proc "));
    slurp("/proc/self/mountinfo");
    int id, parent, major, minor;
    char root[256], point[256];
    check("mountinfo format", sscanf(buf, "%d %d %d:%d %255s %255s", &id, &parent, &major,
                                     &minor, root, point) == 6 && strstr(buf, " - "));
    check("mountinfo: /proc", strstr(buf, " /proc ") && strstr(buf, " - proc "));

    slurp("/proc/self/oom_score_adj");
    check("oom_score_adj 0", !strcmp(buf, "0\n"));
    fd = open("/proc/self/oom_score_adj", O_WRONLY);
    res("write oom_score_adj 100", fd >= 0 ? write(fd, "100\n", 4) : -1);
    res("write oom_score_adj bad", fd >= 0 ? write(fd, "abc", 3) : -1);
    close(fd);
    slurp("/proc/self/oom_score_adj");
    check("oom_score_adj now 100", !strcmp(buf, "100\n"));

    res("status for writing", (fd = open("/proc/self/status", O_WRONLY)) >= 0 ? 0 : -1);
    res("write status", fd >= 0 ? write(fd, "x", 1) : -1);
    close(fd);
    res("open self dir O_WRONLY", open("/proc/self", O_WRONLY));
    res("open status O_DIRECTORY", open("/proc/self/status", O_RDONLY | O_DIRECTORY));
    res("open status/x", open("/proc/self/status/x", O_RDONLY));
    res("mkdir in /proc/self", mkdir("/proc/self/newdir", 0755));
    snprintf(path, sizeof path, "/proc/%d/status", getpid());
    check("stat /proc/PID/status = /proc/self/status",
          stat(path, &a) == 0 && stat("/proc/self/status", &b) == 0 && a.st_ino == b.st_ino &&
          S_ISREG(a.st_mode) && (a.st_mode & 0777) == 0444 && a.st_uid == geteuid());
    check("environ is 0400", stat("/proc/self/environ", &a) == 0 && (a.st_mode & 0777) == 0400);
    check("fd dir is 0500", stat("/proc/self/fd", &a) == 0 && (a.st_mode & 0777) == 0500);
    check("task listed", listed("/proc/self", "task") && listed("/proc/self", "fdinfo"));
}

static void section_fd(void)
{
    char path[64], target[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    link_to(path, target, sizeof target);
    char want[64];
    snprintf(want, sizeof want, "/proc/%d/status", getpid());
    check("fd link of a proc file", !strcmp(target, want));
    close(fd);

    int p[2];
    pipe(p);
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    link_to(path, target, sizeof target);
    check("fd link of a pipe", !strncmp(target, "pipe:[", 6));
    struct stat lst, st, fst;
    check("lstat fd link: a link, r-x------", lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) &&
          (lst.st_mode & 0777) == 0500);
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
    check("write end: -wx------", lstat(path, &lst) == 0 && (lst.st_mode & 0777) == 0300);
    check("stat through fd link = fstat", stat(path, &st) == 0 && fstat(p[1], &fst) == 0 &&
          S_ISFIFO(st.st_mode) && st.st_ino == fst.st_ino);
    int w = open(path, O_WRONLY);
    res("open pipe through fd link", w >= 0 ? 0 : -1);
    res("write through it", write(w, "abc", 3));
    char got[4] = {0};
    res("read from the pipe", read(p[0], got, 3));
    close(w);

    int dirfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    DIR *d = fdopendir(dirfd);
    int seen_pipe = 0, seen_dir = 0, seen_0 = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int n = atoi(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        if (n == p[0])
            seen_pipe = 1;
        if (n == dirfd)
            seen_dir = 1;
        if (!strcmp(e->d_name, "0"))
            seen_0 = 1;
    }
    closedir(d);
    check("fd listing: pipe, 0 and the dir itself", seen_pipe && seen_dir && seen_0);

    int f = open("/proc/self/fdinfo", O_RDONLY | O_DIRECTORY);
    check("fdinfo dir opens", f >= 0);
    close(f);
    int probe = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    char tmp[3];
    read(probe, tmp, 3);
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", probe);
    slurp(path);
    long pos = -1;
    unsigned long flags = 0;
    unsigned long ino = 0;
    int mnt = -1;
    sscanf(buf, "pos:\t%ld\nflags:\t%lo\nmnt_id:\t%d\nino:\t%lu", &pos, &flags, &mnt, &ino);
    fstat(probe, &st);
    check("fdinfo pos", pos == 3);
    check("fdinfo flags: O_RDONLY|O_LARGEFILE|O_CLOEXEC",
          flags == (O_RDONLY | 0100000 | O_CLOEXEC));
    check("fdinfo ino = fstat", ino == st.st_ino);
    check("fdinfo mnt_id > 0", mnt > 0);
    close(probe);

    probe = open(".", O_RDONLY | O_DIRECTORY);
    snprintf(path, sizeof path, "/proc/self/fd/%d", probe);
    char cwd[4096];
    link_to(path, target, sizeof target);
    check("fd link of a directory = cwd", getcwd(cwd, sizeof cwd) && !strcmp(target, cwd));
    snprintf(path, sizeof path, "/proc/self/fd/%d/.", probe);
    check("walk through a dir fd link", stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    close(probe);
    res("fd/999 missing", open("/proc/self/fd/999", O_RDONLY));
    res("fdinfo/999 missing", open("/proc/self/fdinfo/999", O_RDONLY));
    check("/dev/fd is /proc/self/fd", stat("/dev/fd/0", &st) == 0 && fstat(0, &fst) == 0 &&
          st.st_ino == fst.st_ino);
}

static volatile int thread_ok;
static pthread_barrier_t barrier;

static void *thread_main(void *arg)
{
    (void)arg;
    char target[256], want[256], path[64];
    link_to("/proc/thread-self", target, sizeof target);
    snprintf(want, sizeof want, "%d/task/%ld", getpid(), (long)syscall(SYS_gettid));
    thread_ok = !strcmp(target, want);
    snprintf(path, sizeof path, "/proc/thread-self/comm");
    int fd = open(path, O_WRONLY);
    if (fd >= 0) {
        write(fd, "worker", 6);
        close(fd);
    }
    pthread_barrier_wait(&barrier);
    pthread_barrier_wait(&barrier);
    return NULL;
}

static void section_threads(void)
{
    char path[128];
    check("one task", count_entries("/proc/self/task") == 1);
    char before[64];
    slurp("/proc/self/comm");
    snprintf(before, sizeof before, "%.60s", buf);
    pthread_barrier_init(&barrier, NULL, 2);
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_barrier_wait(&barrier);
    check("thread-self in the thread", thread_ok);
    check("two tasks", count_entries("/proc/self/task") == 2);
    slurp("/proc/self/status");
    check("status: Threads 2", !strcmp(field(buf, "Threads"), "2"));
    slurp("/proc/self/comm");
    check("leader comm unchanged", !strcmp(buf, before));
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int other = 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) != getpid())
            other = atoi(e->d_name);
    closedir(d);
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", other);
    slurp(path);
    check("thread comm written", !strcmp(buf, "worker\n"));
    snprintf(path, sizeof path, "/proc/self/task/%d/status", other);
    slurp(path);
    check("thread status: Pid is the tid, Tgid the pid",
          atoi(field(buf, "Pid")) == other && atoi(field(buf, "Tgid")) == getpid());
    snprintf(path, sizeof path, "/proc/%d/status", other);
    check("/proc/TID works", slurp(path) > 0);
    char name[16];
    snprintf(name, sizeof name, "%d", other);
    check("/proc does not list the thread", !listed("/proc", name));
    snprintf(path, sizeof path, "/proc/self/task/%d/task", other);
    res("task/TID/task", open(path, O_RDONLY));
    pthread_barrier_wait(&barrier);
    pthread_join(th, NULL);
}

static void section_children(void)
{
    int ready[2], go[2];
    pipe(ready);
    pipe(go);
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_NAME, "kid");
        write(ready[1], "r", 1);
        char c;
        read(go[0], &c, 1);
        _exit(0);
    }
    char c, path[128];
    read(ready[0], &c, 1);
    snprintf(path, sizeof path, "%d", child);
    check("child listed", listed("/proc", path));
    snprintf(path, sizeof path, "/proc/%d/status", child);
    slurp(path);
    check("child status: PPid", atoi(field(buf, "PPid")) == getpid());
    check("child status: Name", !strcmp(field(buf, "Name"), "kid"));
    snprintf(path, sizeof path, "/proc/%d/cmdline", child);
    check("child cmdline readable", slurp(path) > 0);
    snprintf(path, sizeof path, "/proc/%d/stat", child);
    slurp(path);
    int pid = 0, ppid = 0;
    char state = 0;
    sscanf(buf, "%d (kid) %c %d", &pid, &state, &ppid);
    check("child stat", pid == child && ppid == getpid());
    write(go[1], "g", 1);
    waitpid(child, NULL, 0);
    snprintf(path, sizeof path, "/proc/%d/status", child);
    res("reaped child's status", open(path, O_RDONLY));
    snprintf(path, sizeof path, "%d", child);
    check("reaped child not listed", !listed("/proc", path));
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    snprintf(comm, sizeof comm, "%s", base ? base + 1 : argv[0]);
    const char *what = argc > 1 ? argv[1] : "all";
    int all = !strcmp(what, "all");
    if (all || !strcmp(what, "root"))
        section_root();
    if (all || !strcmp(what, "sys"))
        section_sys();
    if (all || !strcmp(what, "self"))
        section_self(argc, argv);
    if (all || !strcmp(what, "fd"))
        section_fd();
    if (all || !strcmp(what, "threads"))
        section_threads();
    if (all || !strcmp(what, "children"))
        section_children();
    return 0;
}
