/* The rest of Linux's behaviour a root guest meets: /proc/sys files (tainted,
 * core_pattern, drop_caches, max_map_count), lseek on /proc directories, chdir through
 * /proc/self/fd/N/.., the core-dump bit of a wait status, system time in times(),
 * getrusage and CPU clocks, sched_{set,get}affinity, personality(2), ETXTBSY, and
 * execve with an empty argv.  argv[1] is a scratch directory (the cwd; a native core
 * dump lands there and is removed), argv[2] picks a section (default: all).
 * Writes to host-wide sysctls only write back the value just read.
 */
#include "common.h"
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static long read_file(const char *path, char *buf, long size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = read(fd, buf, size - 1);
    int e = errno;
    close(fd);
    errno = e;
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static long write_file(const char *path, const char *text, long len)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    long n = write(fd, text, len);
    int e = errno;
    close(fd);
    errno = e;
    return n;
}

static void sec_sysctl(void)
{
    char buf[512], again[512];
    rok("tainted", read_file("/proc/sys/kernel/tainted", buf, sizeof buf));
    say("tainted: %s", buf);
    long n = read_file("/proc/sys/kernel/core_pattern", buf, sizeof buf);
    res("core_pattern read", n > 0 ? 0 : -1);
    struct stat st;
    stat("/proc/sys/kernel/core_pattern", &st);
    say("core_pattern mode %o\n", st.st_mode & 07777);
    if (n > 0) {
        res("core_pattern write back", write_file("/proc/sys/kernel/core_pattern", buf, n));
        read_file("/proc/sys/kernel/core_pattern", again, sizeof again);
        say("core_pattern kept: %s\n", strcmp(buf, again) ? "no" : "yes");
    }
    stat("/proc/sys/vm/drop_caches", &st);
    say("drop_caches mode %o\n", st.st_mode & 07777);
    res("drop_caches read", read_file("/proc/sys/vm/drop_caches", buf, sizeof buf));
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    rok("drop_caches open for writing", fd);
    close(fd);
    res("drop_caches 0", write_file("/proc/sys/vm/drop_caches", "0", 1));
    n = read_file("/proc/sys/vm/max_map_count", buf, sizeof buf);
    res("max_map_count read", n > 0 ? 0 : -1);
    stat("/proc/sys/vm/max_map_count", &st);
    say("max_map_count mode %o\n", st.st_mode & 07777);
    if (n > 0) {
        res("max_map_count write back", write_file("/proc/sys/vm/max_map_count", buf, n));
        res("max_map_count junk", write_file("/proc/sys/vm/max_map_count", "x\n", 2));
        read_file("/proc/sys/vm/max_map_count", again, sizeof again);
        say("max_map_count kept: %s\n", strcmp(buf, again) ? "no" : "yes");
    }
}

static void sec_procdir(void)
{
    static const char *dirs[] = {"/proc", "/proc/self", "/proc/self/fd", "/proc/sys",
                                 "/proc/sys/kernel", "/proc/self/ns"};
    for (unsigned i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        int fd = open(dirs[i], O_RDONLY | O_DIRECTORY);
        say("%s:\n", dirs[i]);
        res("  SEEK_END", lseek(fd, 0, SEEK_END));
        res("  SEEK_END -1", lseek(fd, -1, SEEK_END));
        res("  SEEK_SET 0", lseek(fd, 0, SEEK_SET));
        res("  SEEK_CUR 0", lseek(fd, 0, SEEK_CUR));
        res("  SEEK_DATA", lseek(fd, 0, SEEK_DATA));
        close(fd);
    }
    int fd = open("/proc/self/status", O_RDONLY);
    res("status SEEK_END", lseek(fd, 0, SEEK_END));
    close(fd);
}

static void sec_fdchdir(void)
{
    char want[4096], got[4096], path[64];
    mkdir("sub", 0755);
    mkdir("sub/inner", 0755);
    getcwd(want, sizeof want);
    int fd = open("sub/inner", O_RDONLY | O_DIRECTORY);
    snprintf(path, sizeof path, "/proc/self/fd/%d/..", fd);
    res("chdir fd/N/..", chdir(path));
    getcwd(got, sizeof got);
    say("now in sub: %s\n", strlen(got) == strlen(want) + 4 && !strncmp(got, want, strlen(want))
        && !strcmp(got + strlen(want), "/sub") ? "yes" : got);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    res("chdir fd/N", chdir(path));
    getcwd(got, sizeof got);
    say("now in inner: %s\n", strstr(got, "/sub/inner") ? "yes" : got);
    snprintf(path, sizeof path, "/proc/self/fd/%d/../..", fd);
    res("chdir fd/N/../..", chdir(path));
    getcwd(got, sizeof got);
    say("back: %s\n", strcmp(got, want) ? got : "yes");
    int f = open("sub/file", O_CREAT | O_WRONLY, 0644);
    snprintf(path, sizeof path, "/proc/self/fd/%d/..", f);
    res("chdir regular fd/N/..", chdir(path));
    snprintf(path, sizeof path, "/proc/self/fd/%d/x", fd);
    struct stat st;
    res("stat fd/N/missing", stat(path, &st));
    close(f);
    close(fd);
    chdir(want);
}

static void remove_cores(void)
{
    DIR *d = opendir(".");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "core", 4))
            unlink(e->d_name);
    if (d)
        closedir(d);
}

static void dump_case(const char *label, int sig, rlim_t limit, int undumpable)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        struct rlimit rl = {limit, limit};
        setrlimit(RLIMIT_CORE, &rl);
        if (undumpable)
            prctl(PR_SET_DUMPABLE, 0);
        signal(sig, SIG_DFL);
        if (sig == SIGSEGV)
            *(volatile int *)8 = 1;
        else if (sig == SIGABRT)
            abort();
        else
            kill(getpid(), sig);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    say("%s: signaled %d sig %d core %d\n", label, WIFSIGNALED(st), WTERMSIG(st),
        WCOREDUMP(st) ? 1 : 0);
    siginfo_t si;
    (void)si;
    remove_cores();
}

static void sec_core(void)
{
    remove_cores();
    dump_case("abort, RLIMIT_CORE 0", SIGABRT, 0, 0);
    dump_case("abort, RLIMIT_CORE inf", SIGABRT, RLIM_INFINITY, 0);
    dump_case("segv, RLIMIT_CORE 0", SIGSEGV, 0, 0);
    dump_case("segv, RLIMIT_CORE 1M", SIGSEGV, 1 << 20, 0);
    dump_case("quit, RLIMIT_CORE inf", SIGQUIT, RLIM_INFINITY, 0);
    dump_case("kill, RLIMIT_CORE inf", SIGKILL, RLIM_INFINITY, 0);
    dump_case("term, RLIMIT_CORE inf", SIGTERM, RLIM_INFINITY, 0);
    dump_case("trap, RLIMIT_CORE inf", SIGTRAP, RLIM_INFINITY, 0);
    dump_case("sys, RLIMIT_CORE inf", SIGSYS, RLIM_INFINITY, 0);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
        setrlimit(RLIMIT_CORE, &rl);
        abort();
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, p, &si, WEXITED);
    say("waitid: code %s status %d\n", si.si_code == CLD_DUMPED ? "CLD_DUMPED" :
        si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status);
    remove_cores();
}

static void sec_cputime(void)
{
    int fd = open("/dev/zero", O_RDONLY);
    static char buf[1 << 20];
    struct rusage ru;
    int i;
    for (i = 0; i < 3000; i++) {
        read(fd, buf, sizeof buf);
        getrusage(RUSAGE_SELF, &ru);
        if (ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec >= 30000)
            break;
    }
    say("system time reached 30ms: %s\n", i < 3000 ? "yes" : "no");
    struct tms t;
    long ticks_per_sec = sysconf(_SC_CLK_TCK);
    times(&t);
    say("times: stime > 0: %s\n", t.tms_stime > 0 ? "yes" : "no");
    struct timespec cpu;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    long long cpu_us = cpu.tv_sec * 1000000LL + cpu.tv_nsec / 1000;
    long long ru_us = (ru.ru_stime.tv_sec + ru.ru_utime.tv_sec) * 1000000LL +
                      ru.ru_stime.tv_usec + ru.ru_utime.tv_usec;
    say("process clock covers user+system: %s\n", cpu_us + 20000 >= ru_us ? "yes" : "no");
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    say("thread clock >= 30ms: %s\n", cpu.tv_sec > 0 || cpu.tv_nsec >= 30000000 ? "yes" : "no");
    char stat[1024];
    read_file("/proc/self/stat", stat, sizeof stat);
    char *p = strrchr(stat, ')');
    long utime = 0, stime = 0;
    if (p)
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime);
    say("/proc/self/stat stime > 0: %s\n", stime > 0 ? "yes" : "no");
    (void)ticks_per_sec;
    close(fd);
}

static void sec_affinity(void)
{
    cpu_set_t set;
    long n = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    res("getaffinity big", n);
    long nr = n;
    res("getaffinity 0", syscall(SYS_sched_getaffinity, 0, 0, &set));
    res("getaffinity 4", syscall(SYS_sched_getaffinity, 0, 4, &set));
    res("getaffinity 12", syscall(SYS_sched_getaffinity, 0, 12, &set));
    res("getaffinity bad pid", syscall(SYS_sched_getaffinity, 999999, sizeof set, &set));
    res("getaffinity efault", syscall(SYS_sched_getaffinity, 0, sizeof set, BADPTR));
    res("getaffinity 8", syscall(SYS_sched_getaffinity, 0, 8, &set));
    (void)nr;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    res("setaffinity cpu0", sched_setaffinity(0, sizeof set, &set));
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    say("now: count %d cpu0 %d\n", CPU_COUNT(&set), CPU_ISSET(0, &set));
    CPU_ZERO(&set);
    res("setaffinity empty", sched_setaffinity(0, sizeof set, &set));
    CPU_SET(1000, &set);
    res("setaffinity offline cpu", sched_setaffinity(0, sizeof set, &set));
    res("setaffinity efault", syscall(SYS_sched_setaffinity, 0, sizeof set, BADPTR));
    unsigned long one = 1;
    res("setaffinity short len", syscall(SYS_sched_setaffinity, 0, 1, &one));
    res("setaffinity bad pid", syscall(SYS_sched_setaffinity, 999999, 8, &one));
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        cpu_set_t c;
        sched_getaffinity(0, sizeof c, &c);
        say("child inherits: count %d cpu0 %d\n", CPU_COUNT(&c), CPU_ISSET(0, &c));
        pid_t parent = getppid();
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
            say("BAD drop privileges\n");
        res("other user's getaffinity", sched_getaffinity(parent, sizeof c, &c));
        res("other user's setaffinity", sched_setaffinity(parent, sizeof c, &c));
        res("own setaffinity", sched_setaffinity(0, sizeof c, &c));
        _exit(0);
    }
    waitpid(p, NULL, 0);
}

static void sec_persona(void)
{
    res("query", personality(0xffffffff));
    res("set ADDR_NO_RANDOMIZE", personality(ADDR_NO_RANDOMIZE));
    res("query", personality(0xffffffff));
    res("set PER_LINUX", personality(PER_LINUX));
    res("set PER_BSD", personality(PER_BSD));
    res("set 0x12345678", personality(0x12345678));
    res("query", personality(0xffffffff));
    res("set READ_IMPLIES_EXEC", personality(READ_IMPLIES_EXEC));
    char buf[64];
    read_file("/proc/self/personality", buf, sizeof buf);
    say("/proc/self/personality: %s", buf);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        say("child: %#x\n", personality(0xffffffff));
        _exit(0);
    }
    waitpid(p, NULL, 0);
    personality(PER_LINUX | STICKY_TIMEOUTS);
    struct timeval tv = {0, 20000};
    res("select sticky", select(0, NULL, NULL, NULL, &tv));
    say("timeout kept: %s\n", tv.tv_sec == 0 && tv.tv_usec == 20000 ? "yes" : "no");
    personality(PER_LINUX);
    tv.tv_usec = 20000;
    select(0, NULL, NULL, NULL, &tv);
    say("timeout updated: %s\n", tv.tv_usec == 0 ? "yes" : "no");
    personality(READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE | STICKY_TIMEOUTS);
    fflush(stdout);
    p = fork();
    if (p == 0) {
        char *args[] = {"misc_linux", "/", "showpersona", NULL};
        execve("/proc/self/exe", args, environ);
        _exit(1);
    }
    waitpid(p, NULL, 0);
    personality(PER_LINUX);
}

static int copy_self(const char *to)
{
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0755);
    static char buf[1 << 16];
    long n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, n);
    close(in);
    fsync(out);
    return out;
}

static void sec_txtbsy(const char *self)
{
    (void)self;
    int w = copy_self("prog");
    char *argv[] = {"prog", "/", "child", NULL};
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        execve("prog", argv, environ);
        say("exec while open for writing: -1 %s\n", ename(errno));
        _exit(0);
    }
    waitpid(p, NULL, 0);
    close(w);
    int r = open("prog", O_RDWR);
    fflush(stdout);
    p = fork();
    if (p == 0) {
        execve("prog", argv, environ);
        say("exec while open O_RDWR: -1 %s\n", ename(errno));
        _exit(0);
    }
    waitpid(p, NULL, 0);
    close(r);
    int sync[2], ready[2];
    pipe(sync);
    pipe(ready);
    fflush(stdout);
    p = fork();
    if (p == 0) {
        dup2(sync[0], 0);
        dup2(ready[1], 1);
        close(sync[1]);
        close(ready[0]);
        char *wait_argv[] = {"prog", "/", "wait", NULL};
        execve("prog", wait_argv, environ);
        _exit(1);
    }
    close(sync[0]);
    close(ready[1]);
    char c;
    read(ready[0], &c, 1);      /* the new program runs */
    close(ready[0]);
    res("open running binary O_WRONLY", open("prog", O_WRONLY));
    res("open running binary O_RDONLY", open("prog", O_RDONLY) >= 0 ? 0 : -1);
    res("truncate running binary", truncate("prog", 0));
    close(sync[1]);
    waitpid(p, NULL, 0);
    int fd = open("prog", O_WRONLY);
    rok("open after it ended", fd);
    close(fd);
    /* exec succeeds once nobody writes */
    fflush(stdout);
    p = fork();
    if (p == 0) {
        execve("prog", argv, environ);
        _exit(1);
    }
    int st;
    waitpid(p, &st, 0);
    say("exec after close: status %d\n", WEXITSTATUS(st));
    unlink("prog");
}

static void sec_emptyargv(void)
{
    close(copy_self("prog2"));
    char *empty[] = {NULL};
    char *envp[] = {"MISC_EMPTY_ARGV=1", NULL};
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        execve("prog2", empty, envp);
        say("execve empty: -1 %s\n", ename(errno));
        _exit(1);
    }
    int st;
    waitpid(p, &st, 0);
    say("status %d\n", WEXITSTATUS(st));
    p = fork();
    if (p == 0) {
        syscall(SYS_execve, "prog2", NULL, envp);
        say("execve NULL: -1 %s\n", ename(errno));
        _exit(1);
    }
    waitpid(p, &st, 0);
    say("status %d\n", WEXITSTATUS(st));
    unlink("prog2");
}

static void sec_dotnames(void)
{
    mkdir("d", 0755);
    mkdir("d/sub", 0755);
    res("rmdir d/.", rmdir("d/."));
    res("rmdir d/sub/.", rmdir("d/sub/."));
    res("rmdir d/sub/..", rmdir("d/sub/.."));
    res("rmdir .", rmdir("."));
    res("rmdir ..", rmdir(".."));
    res("rename d/sub/. x", rename("d/sub/.", "x"));
    res("rename d/sub/.. x", rename("d/sub/..", "x"));
    res("rename d/sub d/.", rename("d/sub", "d/."));
    res("rename d/sub d/..", rename("d/sub", "d/.."));
    res("rename . x", rename(".", "x"));
    res("rename d/sub/./ x", rename("d/sub/./", "x"));
    res("renameat2 noreplace d/sub/.", syscall(SYS_renameat2, AT_FDCWD, "d/sub/.", AT_FDCWD, "y", 1));
    res("renameat2 noreplace to d/.", syscall(SYS_renameat2, AT_FDCWD, "d/sub", AT_FDCWD, "d/.", 1));
    res("renameat2 exchange d/sub/.", syscall(SYS_renameat2, AT_FDCWD, "d/sub/.", AT_FDCWD, "d", 2));
    res("rename missing/. x", rename("missing/.", "x"));
    struct stat st;
    say("d/sub still there: %s; no x: %s\n", stat("d/sub", &st) == 0 ? "yes" : "no",
        stat("x", &st) ? "yes" : "no");
    rmdir("d/sub");
    rmdir("d");
}

static void sec_socketpair(void)
{
    int sv[2];
    res("AF_UNIX proto 1", socketpair(AF_UNIX, SOCK_STREAM, 1, sv));
    res("AF_UNIX SOCK_RAW", socketpair(AF_UNIX, SOCK_RAW, 0, sv));
    res("AF_UNIX type 99", socketpair(AF_UNIX, 99, 0, sv));
    res("AF_UNIX SOCK_PACKET", socketpair(AF_UNIX, SOCK_PACKET, 0, sv));
    res("AF_INET stream", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    res("AF_INET dgram", socketpair(AF_INET, SOCK_DGRAM, 0, sv));
    res("AF_INET seqpacket", socketpair(AF_INET, SOCK_SEQPACKET, 0, sv));
    res("AF_INET6 stream", socketpair(AF_INET6, SOCK_STREAM, 0, sv));
    res("AF_INET proto 99", socketpair(AF_INET, SOCK_STREAM, 99, sv));
    res("AF_INET dgram proto tcp", socketpair(AF_INET, SOCK_DGRAM, 6, sv));
    res("family 99", socketpair(99, SOCK_STREAM, 0, sv));
    res("family -1", socketpair(-1, SOCK_STREAM, 0, sv));
    res("AF_NETLINK raw", socketpair(AF_NETLINK, SOCK_RAW, 0, sv));
    res("AF_NETLINK stream", socketpair(AF_NETLINK, SOCK_STREAM, 0, sv));
    res("AF_PACKET raw", socketpair(AF_PACKET, SOCK_RAW, 0, sv));
    res("AF_PACKET stream", socketpair(AF_PACKET, SOCK_STREAM, 0, sv));
    res("AF_UNIX SEQPACKET proto 2", socketpair(AF_UNIX, SOCK_SEQPACKET, 2, sv));
    res("bad flags", socketpair(AF_UNIX, SOCK_STREAM | 0x100000, 0, sv));
    res("efault", socketpair(AF_UNIX, SOCK_STREAM, 0, BADPTR));
    res("AF_INET efault", socketpair(AF_INET, SOCK_STREAM, 0, BADPTR));
}

static void sec_ttyioctl(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m);
    unlockpt(m);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    for (unsigned long cmd = 0x5401; cmd <= 0x5460; cmd++) {
        /* TIOCSTI, TIOCSCTTY, TIOCNOTTY, TIOCCONS, TIOCVHANGUP: not with a bad pointer */
        if (cmd == 0x5412 || cmd == 0x540E || cmd == 0x5422 || cmd == 0x541D || cmd == 0x5437)
            continue;
        errno = 0;
        long r1 = ioctl(s, cmd, BADPTR);
        int e1 = errno;
        errno = 0;
        long r2 = ioctl(m, cmd, BADPTR);
        int e2 = errno;
        if (r2 > 2)
            close(r2);
        say("%#lx slave %s master %s\n", cmd, r1 < 0 ? ename(e1) : "ok", r2 < 0 ? ename(e2) : "ok");
    }
    int v = 7;
    res("TIOCGSOFTCAR", ioctl(s, TIOCGSOFTCAR, &v));
    say("softcar %d\n", v);
    v = 1;
    res("TIOCSSOFTCAR", ioctl(s, TIOCSSOFTCAR, &v));
    ioctl(s, TIOCGSOFTCAR, &v);
    say("softcar now %d\n", v);
    pid_t pg = 99;
    res("master TIOCGPGRP", ioctl(m, TIOCGPGRP, &pg));
    say("pgrp %d\n", pg);
    res("slave TIOCGPGRP", ioctl(s, TIOCGPGRP, &pg));
    res("slave TIOCGSID", ioctl(s, TIOCGSID, &pg));
    struct serial_struct_like { char b[72]; } ss = {{0}};
    res("TIOCSSERIAL", ioctl(s, TIOCSSERIAL, &ss));
    close(s);
    close(m);
}

int main(int argc, char **argv)
{
    if (getenv("MISC_EMPTY_ARGV")) {
        say("child: argc %d argv0 '%s' argv1 %s\n", argc, argc > 0 ? argv[0] : "-",
            argc > 0 && argv[1] == NULL ? "NULL" : "set");
        return 5;
    }
    if (argc > 2 && !strcmp(argv[2], "showpersona")) {
        say("after exec: %#x\n", personality(0xffffffff));
        return 0;
    }
    if (argc > 2 && !strcmp(argv[2], "child")) {
        say("child ran\n");
        return 4;
    }
    if (argc > 2 && !strcmp(argv[2], "wait")) {
        char c = 'r';
        write(1, &c, 1);
        read(0, &c, 1);
        return 0;
    }
    enter_dir(argc, argv);
    const char *only = argc > 2 ? argv[2] : NULL;
    struct {
        const char *name;
        void (*fn)(void);
    } secs[] = {{"sysctl", sec_sysctl}, {"procdir", sec_procdir}, {"fdchdir", sec_fdchdir},
                {"core", sec_core}, {"cputime", sec_cputime}, {"affinity", sec_affinity},
                {"persona", sec_persona}, {"emptyargv", sec_emptyargv},
                {"dotnames", sec_dotnames}, {"socketpair", sec_socketpair},
                {"ttyioctl", sec_ttyioctl}};
    for (unsigned i = 0; i < sizeof secs / sizeof *secs; i++) {
        if (only && strcmp(only, secs[i].name))
            continue;
        say("== %s\n", secs[i].name);
        secs[i].fn();
    }
    if (!only || !strcmp(only, "txtbsy")) {
        say("== txtbsy\n");
        sec_txtbsy(argv[0]);
    }
    return 0;
}
