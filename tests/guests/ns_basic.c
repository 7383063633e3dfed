/* Namespaces as a root guest sees them: unshare, clone with CLONE_NEW*, setns,
 * /proc/PID/ns links and their nsfs files, NS_GET_* ioctls, UTS host names per
 * namespace, a second pid numbering, user namespaces with uid_map/gid_map and
 * setgroups, time namespace offsets; and the same calls from a non-root guest.
 * Every section runs in a child of its own (namespaces stick to the process).
 * argv[1] picks a section (default: all).  Prints no pids or inode numbers.
 */
#include "common.h"
#include <sched.h>
#include <signal.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#define NS_GET_USERNS 0xb701
#define NS_GET_PARENT 0xb702
#define NS_GET_NSTYPE 0xb703
#define NS_GET_OWNER_UID 0xb704

static char link_a[128], link_b[128];

static const char *nslink(const char *name, char *buf)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", name);
    long n = readlink(path, buf, 127);
    if (n < 0) {
        snprintf(buf, 128, "-1 %s", ename(errno));
        return buf;
    }
    buf[n] = 0;
    return buf;
}

/* "uts:[4026531838]" -> does the text have the form kind:[digits]? */
static int link_form(const char *kind, const char *text)
{
    size_t k = strlen(kind);
    if (strncmp(text, kind, k) != 0 || text[k] != ':' || text[k + 1] != '[')
        return 0;
    const char *p = text + k + 2;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    return p[0] == ']' && p[1] == 0;
}

static unsigned long long link_ino(const char *text)
{
    const char *p = strchr(text, '[');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    long n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n < 0 ? -1 : (int)n;
}

static long read_file(const char *path, char *buf, long size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = read(fd, buf, size - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static int run(void (*fn)(void))
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        fn();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        say("BAD child status %#x\n", st);
    return st;
}

static void sec_links(void)
{
    static const char *names[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
                                  "time", "time_for_children", "user", "uts"};
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
        const char *kind = names[i];
        if (!strcmp(kind, "pid_for_children"))
            kind = "pid";
        if (!strcmp(kind, "time_for_children"))
            kind = "time";
        nslink(names[i], link_a);
        say("link %s: form %s\n", names[i], link_form(kind, link_a) ? "yes" : link_a);
        char path[64];
        snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
        struct stat st, lst;
        if (stat(path, &st) == 0 && lstat(path, &lst) == 0)
            say("  stat ino is the link's: %s; reg %d; link %d; mode %o\n",
                st.st_ino == link_ino(link_a) ? "yes" : "no", S_ISREG(st.st_mode),
                S_ISLNK(lst.st_mode), st.st_mode & 07777);
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            res("  open", fd);
            continue;
        }
        res("  NS_GET_NSTYPE", ioctl(fd, NS_GET_NSTYPE));
        int u = ioctl(fd, NS_GET_USERNS);
        res("  NS_GET_USERNS", u < 0 ? -1 : 0);
        if (u >= 0) {
            struct stat su;
            fstat(u, &su);
            nslink("user", link_b);
            say("  owner is my user ns: %s; cloexec %d\n",
                su.st_ino == link_ino(link_b) ? "yes" : "no", fcntl(u, F_GETFD));
            close(u);
        }
        int p = ioctl(fd, NS_GET_PARENT);
        res("  NS_GET_PARENT", p < 0 ? -1 : 0);
        if (p >= 0)
            close(p);
        uid_t owner = 12345;
        res("  NS_GET_OWNER_UID", ioctl(fd, NS_GET_OWNER_UID, &owner));
        if (owner != 12345)
            say("  owner uid %u\n", owner);
        res("  ioctl other", ioctl(fd, 0xb7ff));
        char c;
        res("  read", read(fd, &c, 1));
        close(fd);
    }
    res("open ns O_RDWR", open("/proc/self/ns/uts", O_RDWR));
    res("readlink missing", readlink("/proc/self/ns/nothing", link_a, 10));
    struct stat st;
    stat("/proc/self/ns", &st);
    say("ns dir mode %o\n", st.st_mode & 07777);
}

static void sec_uts(void)
{
    struct utsname a, b;
    uname(&a);
    nslink("uts", link_a);
    res("unshare NEWUTS", unshare(CLONE_NEWUTS));
    nslink("uts", link_b);
    say("uts link changed: %s\n", strcmp(link_a, link_b) ? "yes" : "no");
    uname(&b);
    say("hostname kept: %s\n", strcmp(a.nodename, b.nodename) ? "no" : "yes");
    res("sethostname", sethostname("guest-ns", 8));
    res("setdomainname", setdomainname("dom.ns", 6));
    uname(&b);
    say("uname: %s %s\n", b.nodename, b.domainname);
    char buf[128];
    read_file("/proc/sys/kernel/hostname", buf, sizeof buf);
    say("/proc hostname: %s", buf);
    res("sethostname 65", syscall(SYS_sethostname, "x", 65));
    res("sethostname -1", syscall(SYS_sethostname, "x", -1));
    res("sethostname 64", sethostname("0123456789012345678901234567890123456789012345678901234567890123", 64));
    uname(&b);
    say("nodename len %zu\n", strlen(b.nodename));
    res("sethostname efault", syscall(SYS_sethostname, BADPTR, 3));
    res("sethostname 0", sethostname("", 0));
    uname(&b);
    say("empty: '%s'\n", b.nodename);
    sethostname("child-sees", 10);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        struct utsname c;
        uname(&c);
        say("child inherits: %s\n", c.nodename);
        sethostname("changed", 7);
        _exit(0);
    }
    waitpid(p, NULL, 0);
    uname(&b);
    say("child's change is shared: %s\n", b.nodename);
    p = fork();
    if (p == 0) {
        unshare(CLONE_NEWUTS);
        sethostname("private", 7);
        _exit(0);
    }
    waitpid(p, NULL, 0);
    uname(&b);
    say("after a child's own ns: %s\n", b.nodename);
}

static void sec_setns(void)
{
    int orig = open("/proc/self/ns/uts", O_RDONLY);
    struct utsname a, b;
    uname(&a);
    unshare(CLONE_NEWUTS);
    sethostname("elsewhere", 9);
    res("setns wrong type", setns(orig, CLONE_NEWPID));
    res("setns bad fd", setns(99, 0));
    int nul = open("/dev/null", O_RDONLY);
    res("setns not ns fd", setns(nul, 0));
    res("setns uts", setns(orig, CLONE_NEWUTS));
    uname(&b);
    say("back to the first name: %s\n", strcmp(a.nodename, b.nodename) ? "no" : "yes");
    nslink("uts", link_a);
    struct stat st;
    fstat(orig, &st);
    say("link is the fd's: %s\n", link_ino(link_a) == st.st_ino ? "yes" : "no");
    res("setns 0 type", setns(orig, 0));
    int ipc = open("/proc/self/ns/ipc", O_RDONLY);
    res("setns ipc as uts", setns(ipc, CLONE_NEWUTS));
    res("setns ipc", setns(ipc, CLONE_NEWIPC));
    int user = open("/proc/self/ns/user", O_RDONLY);
    res("setns own user ns", setns(user, CLONE_NEWUSER));
    int pidfd = open("/proc/self/ns/pid", O_RDONLY);
    res("setns own pid ns", setns(pidfd, CLONE_NEWPID));
    int net = open("/proc/self/ns/net", O_RDONLY);
    res("setns own net ns", setns(net, CLONE_NEWNET));
    int mnt = open("/proc/self/ns/mnt", O_RDONLY);
    res("setns own mnt ns", setns(mnt, CLONE_NEWNS));
    int cg = open("/proc/self/ns/cgroup", O_RDONLY);
    res("setns own cgroup ns", setns(cg, CLONE_NEWCGROUP));
    int tm = open("/proc/self/ns/time", O_RDONLY);
    res("setns own time ns", setns(tm, CLONE_NEWTIME));
    int o = open("/proc/self/ns/uts", O_PATH);
    res("setns O_PATH", setns(o, 0));
}

static void sec_unshare_flags(void)
{
    res("unshare 0", unshare(0));
    res("unshare unknown", unshare(0x1));
    res("unshare CLONE_VM", unshare(CLONE_VM));
    res("unshare CLONE_FILES", unshare(CLONE_FILES));
    res("unshare CLONE_FS", unshare(CLONE_FS));
    res("unshare CLONE_SIGHAND", unshare(CLONE_SIGHAND));
    res("unshare CLONE_THREAD", unshare(CLONE_THREAD));
    res("unshare SYSVSEM", unshare(CLONE_SYSVSEM));
    res("unshare NEWNS", unshare(CLONE_NEWNS));
    res("unshare NEWIPC", unshare(CLONE_NEWIPC));
    res("unshare NEWCGROUP", unshare(CLONE_NEWCGROUP));
    nslink("ipc", link_a);
    say("ipc form: %s\n", link_form("ipc", link_a) ? "yes" : link_a);
    res("clone NEWIPC|SYSVSEM", syscall(SYS_clone, CLONE_NEWIPC | CLONE_SYSVSEM | SIGCHLD, 0, 0, 0, 0));
    res("clone NEWNS|FS", syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0));
    res("clone NEWUSER|FS", syscall(SYS_clone, CLONE_NEWUSER | CLONE_FS | SIGCHLD, 0, 0, 0, 0));
    fflush(stdout);
    long p = syscall(SYS_clone, CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, 0, 0, 0, 0);
    if (p == 0) {
        char a[128];
        nslink("uts", a);
        int fd = open("/proc/self/ns/uts", O_RDONLY);
        _exit(fd >= 0 && link_form("uts", a) ? 0 : 1);
    }
    int st;
    waitpid(p, &st, 0);
    say("clone NEWUTS child: %#x\n", st);
}

static volatile pid_t chld_pid;

static void on_chld(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    if (!chld_pid)
        chld_pid = si->si_pid;
}

static void pid_child(void)
{
    struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO};
    sigaction(SIGCHLD, &sa, NULL);
    char buf[4096];
    say("child getpid %d getppid %d\n", getpid(), getppid());
    say("child gettid %ld\n", syscall(SYS_gettid));
    say("child getpgrp %d getsid %d\n", getpgrp(), getsid(0));
    say("child setsid %d getpgrp %d getsid %d getpgid(1) %d\n", setsid(), getpgrp(), getsid(0),
        getpgid(1));
    read_file("/proc/self/status", buf, sizeof buf);
    char *l = strstr(buf, "NSpid:");
    if (l) {
        char *e = strchr(l, '\n');
        *e = 0;
        int fields = 0;
        for (char *q = l; *q; q++)
            fields += *q == '\t';
        say("NSpid fields %d, last %s\n", fields, strrchr(l, '\t') + 1);
    }
    fflush(stdout);
    pid_t g = fork();
    if (g == 0) {
        say("grandchild getpid %d getppid %d\n", getpid(), getppid());
        _exit(3);
    }
    int st;
    pid_t w = waitpid(g, &st, 0);
    say("child forked %d\n", g);
    say("SIGCHLD si_pid is the namespace's: %s\n", chld_pid == g ? "yes" : "no");
    say("child waited %d status %d\n", w, WEXITSTATUS(st));
    fflush(stdout);
    g = fork();
    if (g == 0) {
        int pp[2];
        pipe(pp);
        fflush(stdout);
        pid_t gg = fork();
        if (gg == 0) {
            char x;
            close(pp[1]);
            read(pp[0], &x, 1);         /* until its parent is gone */
            for (int i = 0; i < 200 && getppid() != 1; i++)
                usleep(10000);
            say("orphan's parent is the namespace's init: %s\n", getppid() == 1 ? "yes" : "no");
            _exit(0);
        }
        _exit(0);
    }
    waitpid(g, NULL, 0);
    for (int i = 0; i < 400; i++) {
        pid_t r = waitpid(-1, NULL, WNOHANG);
        if (r > 0)
            break;
        usleep(10000);
    }
    res("kill(1, 0)", kill(1, 0));
    res("kill(-1 group, 0)", kill(-1, 0) == 0 ? 0 : -1);
    res("kill(-pgrp 1, 0)", kill(-getpgrp(), 0));
    res("kill(2, 0)", kill(2, 0));
    fflush(stdout);
    g = fork();
    if (g == 0) {
        pause();
        _exit(0);
    }
    say("second grandchild %d\n", g);
    /* the child (this namespace's init) exits: the grandchild is killed */
}

static void sec_pid(void)
{
    pid_t me = getpid();
    nslink("pid", link_a);
    res("unshare NEWPID", unshare(CLONE_NEWPID));
    nslink("pid", link_b);
    say("pid link same: %s\n", strcmp(link_a, link_b) ? "no" : "yes");
    say("pid_for_children: %s\n", nslink("pid_for_children", link_b));
    say("getpid unchanged: %s\n", getpid() == me ? "yes" : "no");
    fflush(stdout);
    int sync[2];
    pipe(sync);
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(sync[1]);
        read(sync[0], &x, 1);
        pid_child();
        fflush(stdout);
        _exit(7);
    }
    nslink("pid_for_children", link_b);
    say("parent sees child > 1: %s\n", c > 1 ? "yes" : "no");
    say("pid_for_children now: %s, differs %s\n", link_form("pid", link_b) ? "form" : link_b,
        strcmp(link_a, link_b) ? "yes" : "no");
    close(sync[1]);
    int st;
    pid_t w = waitpid(c, &st, 0);
    say("parent waited right pid: %s status %d\n", w == c ? "yes" : "no", WEXITSTATUS(st));
    errno = 0;
    pid_t again = fork();
    if (again == 0)
        _exit(0);
    res("fork after the namespace's init died", again);
    if (again > 0)
        waitpid(again, NULL, 0);
    /* a fresh namespace from clone() directly */
    fflush(stdout);
    long p = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (p == 0) {
        say("clone NEWPID child getpid %d getppid %d\n", getpid(), getppid());
        _exit(0);
    }
    res("clone NEWPID below a dead namespace", p < 0 ? -1 : 0);
    if (p > 0)
        waitpid(p, NULL, 0);
}

static void sec_pid_clone(void)
{
    fflush(stdout);
    long p = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (p == 0) {
        say("clone NEWPID child getpid %d getppid %d\n", getpid(), getppid());
        char a[128], b[128];
        nslink("pid", a);
        nslink("pid_for_children", b);
        say("child's pid and pid_for_children same: %s\n", strcmp(a, b) ? "no" : "yes");
        _exit(0);
    }
    int st;
    res("clone NEWPID waited", waitpid(p, &st, 0) == p ? 0 : -1);
    nslink("pid", link_a);
    nslink("pid_for_children", link_b);
    say("parent's pid and pid_for_children same: %s\n", strcmp(link_a, link_b) ? "no" : "yes");
}

static void *idle_thread(void *arg)
{
    pause();
    return arg;
}

static void sec_threads(void)
{
    pthread_t th;
    pthread_create(&th, NULL, idle_thread, NULL);
    res("threaded unshare CLONE_VM", unshare(CLONE_VM));
    res("threaded unshare CLONE_SIGHAND", unshare(CLONE_SIGHAND));
    res("threaded unshare CLONE_THREAD", unshare(CLONE_THREAD));
    res("threaded unshare NEWUSER", unshare(CLONE_NEWUSER));
    res("threaded unshare CLONE_FILES", unshare(CLONE_FILES));
    res("threaded unshare CLONE_FS", unshare(CLONE_FS));
    res("threaded unshare NEWUTS", unshare(CLONE_NEWUTS));
    res("threaded unshare NEWPID", unshare(CLONE_NEWPID));
    int fd = open("/proc/self/ns/user", O_RDONLY);
    res("threaded setns user", setns(fd, CLONE_NEWUSER));
    fflush(stdout);
    _exit(0);
}

static int tcp_listen(unsigned short port, unsigned short *got)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    listen(s, 4);
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    if (got)
        *got = ntohs(a.sin_port);
    return s;
}

static int tcp_connect(unsigned short port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

static void sec_net(void)
{
    unsigned short outer;
    int l0 = tcp_listen(0, &outer);
    rok("outer listen", l0);
    nslink("net", link_a);
    res("unshare NEWNET", unshare(CLONE_NEWNET));
    nslink("net", link_b);
    say("net link changed: %s\n", strcmp(link_a, link_b) ? "yes" : "no");
    res("connect with lo down", tcp_connect(outer));
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    res("SIOCGIFFLAGS lo", ioctl(s, SIOCGIFFLAGS, &ifr));
    say("lo up: %d\n", !!(ifr.ifr_flags & IFF_UP));
    ifr.ifr_flags |= IFF_UP;
    res("SIOCSIFFLAGS lo up", ioctl(s, SIOCSIFFLAGS, &ifr));
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ioctl(s, SIOCGIFFLAGS, &ifr);
    say("lo up: %d\n", !!(ifr.ifr_flags & IFF_UP));
    res("SIOCGIFINDEX lo", ioctl(s, SIOCGIFINDEX, &ifr));
    say("lo index %d\n", ifr.ifr_ifindex);
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "eth0");
    res("SIOCGIFFLAGS eth0", ioctl(s, SIOCGIFFLAGS, &ifr));
    res("connect to the outer listener", tcp_connect(outer));
    int l1 = tcp_listen(outer, NULL);
    rok("listen on the outer port here", l1);
    int c = tcp_connect(outer);
    rok("connect", c);
    int a = accept(l1, NULL, NULL);
    rok("accept", a);
    write(c, "hi", 2);
    char buf[4] = {0};
    read(a, buf, 2);
    say("got: %s\n", buf);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        int c2 = tcp_connect(outer);
        say("child connects here: %s\n", c2 >= 0 ? "yes" : ename(errno));
        _exit(0);
    }
    waitpid(p, NULL, 0);
}

static void sec_user(void)
{
    char buf[256];
    read_file("/proc/self/uid_map", buf, sizeof buf);
    say("initial uid_map: %s", buf);
    read_file("/proc/self/setgroups", buf, sizeof buf);
    say("initial setgroups: %s", buf);
    res("write init uid_map", write_file("/proc/self/uid_map", "0 0 1\n"));
    res("unshare NEWUSER", unshare(CLONE_NEWUSER));
    say("ids before maps: %d %d %d %d\n", getuid(), geteuid(), getgid(), getegid());
    read_file("/proc/self/uid_map", buf, sizeof buf);
    say("empty uid_map: '%s'\n", buf);
    res("setgroups junk", write_file("/proc/self/setgroups", "nope"));
    res("setgroups deny", write_file("/proc/self/setgroups", "deny"));
    res("setgroups allow after deny", write_file("/proc/self/setgroups", "allow"));
    read_file("/proc/self/setgroups", buf, sizeof buf);
    say("setgroups now: %s", buf);
    res("uid_map bad", write_file("/proc/self/uid_map", "0 0\n"));
    res("uid_map count 0", write_file("/proc/self/uid_map", "0 0 0\n"));
    res("uid_map overlap", write_file("/proc/self/uid_map", "0 0 10\n5 100 10\n"));
    res("uid_map", write_file("/proc/self/uid_map", "0 0 1\n"));
    res("uid_map twice", write_file("/proc/self/uid_map", "1 1 1\n"));
    res("gid_map", write_file("/proc/self/gid_map", "0 0 1"));
    read_file("/proc/self/uid_map", buf, sizeof buf);
    say("uid_map: %s", buf);
    read_file("/proc/self/gid_map", buf, sizeof buf);
    say("gid_map: %s", buf);
    say("ids after maps: %d %d %d %d\n", getuid(), geteuid(), getgid(), getegid());
    res("sethostname in user ns, own uts", sethostname("x", 1));
    res("unshare NEWUTS inside", unshare(CLONE_NEWUTS));
    res("sethostname after", sethostname("inside", 6));
    int fd = open("/proc/self/ns/user", O_RDONLY);
    uid_t owner = 7;
    res("NS_GET_OWNER_UID", ioctl(fd, NS_GET_OWNER_UID, &owner));
    say("owner %u\n", owner);
    int parent = ioctl(fd, NS_GET_PARENT);
    res("NS_GET_PARENT", parent < 0 ? -1 : 0);
    int pp = parent >= 0 ? ioctl(parent, NS_GET_PARENT) : -1;
    res("NS_GET_PARENT of the initial", pp);
    int u = ioctl(fd, NS_GET_USERNS);
    res("NS_GET_USERNS of a user ns", u < 0 ? -1 : 0);
    struct stat a, b;
    if (u >= 0 && parent >= 0) {
        fstat(u, &a);
        fstat(parent, &b);
        say("owner of user ns is its parent: %s\n", a.st_ino == b.st_ino ? "yes" : "no");
    }
    res("unshare NEWUSER with threads? no threads", unshare(CLONE_NEWUSER));
}

static void sec_time(void)
{
    char buf[256];
    read_file("/proc/self/timens_offsets", buf, sizeof buf);
    say("offsets: %s", buf);
    res("write offsets in the initial ns", write_file("/proc/self/timens_offsets", "monotonic 100 0\n"));
    res("unshare NEWTIME", unshare(CLONE_NEWTIME));
    nslink("time", link_a);
    nslink("time_for_children", link_b);
    say("time for children differs: %s\n", strcmp(link_a, link_b) ? "yes" : "no");
    res("offsets bad clock", write_file("/proc/self/timens_offsets", "realtime 1 0\n"));
    res("offsets bad nsec", write_file("/proc/self/timens_offsets", "monotonic 1 1000000000\n"));
    res("offsets junk", write_file("/proc/self/timens_offsets", "monotonic x\n"));
    res("offsets", write_file("/proc/self/timens_offsets", "monotonic 100000 0\n7 -5 500\n"));
    read_file("/proc/self/timens_offsets", buf, sizeof buf);
    say("offsets now:\n%s", buf);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    say("my own clock is unshifted? yes\n");
    int pipefd[2];
    pipe(pipefd);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long d = t1.tv_sec - t0.tv_sec;
        say("child monotonic shift ~100000: %s\n", d >= 99999 && d <= 100002 ? "yes" : "no");
        clock_gettime(CLOCK_REALTIME, &t1);
        nslink("time", link_a);
        nslink("time_for_children", link_b);
        say("child in the new ns: %s\n", strcmp(link_a, link_b) ? "no" : "yes");
        struct timespec req = {0, 1000000};
        res("child nanosleep", nanosleep(&req, NULL));
        struct timespec abs;
        clock_gettime(CLOCK_MONOTONIC, &abs);
        abs.tv_nsec += 2000000;
        if (abs.tv_nsec >= 1000000000) {
            abs.tv_sec++;
            abs.tv_nsec -= 1000000000;
        }
        res("child abs sleep", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    res("offsets after a process entered", write_file("/proc/self/timens_offsets", "monotonic 1 0\n"));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    say("parent's clock unshifted: %s\n", t1.tv_sec - t0.tv_sec < 5 ? "yes" : "no");
}

static void sec_nonroot(void)
{
    if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
        say("BAD drop privileges: %s\n", ename(errno));
        return;
    }
    prctl(PR_SET_DUMPABLE, 1);      /* /proc/self files stay ours after the uid change */
    res("nonroot unshare NEWUTS", unshare(CLONE_NEWUTS));
    res("nonroot unshare NEWPID", unshare(CLONE_NEWPID));
    res("nonroot unshare NEWNS", unshare(CLONE_NEWNS));
    res("nonroot sethostname", sethostname("x", 1));
    res("nonroot clone NEWIPC", syscall(SYS_clone, CLONE_NEWIPC | SIGCHLD, 0, 0, 0, 0));
    int fd = open("/proc/self/ns/uts", O_RDONLY);
    res("nonroot setns own uts", setns(fd, CLONE_NEWUTS));
    res("nonroot unshare NEWUSER|NEWUTS", unshare(CLONE_NEWUSER | CLONE_NEWUTS));
    say("ids: %d %d\n", getuid(), getgid());
    res("uid_map other id", write_file("/proc/self/uid_map", "0 0 1\n"));
    res("gid_map before setgroups deny", write_file("/proc/self/gid_map", "0 65534 1\n"));
    res("uid_map own id", write_file("/proc/self/uid_map", "0 65534 1\n"));
    res("setgroups deny", write_file("/proc/self/setgroups", "deny"));
    res("gid_map own id", write_file("/proc/self/gid_map", "0 65534 1\n"));
    say("ids: %d %d\n", getuid(), getgid());
    res("sethostname inside", sethostname("mine", 4));
    res("unshare NEWPID inside", unshare(CLONE_NEWPID));
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    struct {
        const char *name;
        void (*fn)(void);
    } secs[] = {{"links", sec_links}, {"uts", sec_uts}, {"setns", sec_setns},
                {"flags", sec_unshare_flags}, {"pid", sec_pid}, {"pid_clone", sec_pid_clone}, {"threads", sec_threads}, {"net", sec_net}, {"user", sec_user},
                {"time", sec_time}, {"nonroot", sec_nonroot}};
    for (unsigned i = 0; i < sizeof secs / sizeof *secs; i++) {
        if (only && strcmp(only, secs[i].name))
            continue;
        say("== %s\n", secs[i].name);
        run(secs[i].fn);
    }
    return 0;
}
