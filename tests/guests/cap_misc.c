/* More checks by capability and credentials: setpriority on another user's
 * process (EPERM) and lowering nice (EACCES) need CAP_SYS_NICE; prlimit on
 * another user's process needs CAP_SYS_RESOURCE; mlock with a zero
 * RLIMIT_MEMLOCK needs CAP_IPC_LOCK; /proc/PID files of a non-dumpable process
 * belong to root.  Run as root (natively too). */
#include "common.h"
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void drop_cap(int cap)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << cap);
    syscall(SYS_capset, &h, d);
}

static void owner(const char *label, const char *path)
{
    struct stat st;
    if (stat(path, &st))
        printf("%s: -1 %s\n", label, ename(errno));
    else
        printf("%s: uid %d gid %d\n", label, (int)st.st_uid, (int)st.st_gid);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 0;
    }
    int p[2];
    pipe(p);
    pid_t other = fork();           /* a process of uid 1000 that waits */
    if (other == 0) {
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        close(p[1]);
        char b;
        read(p[0], &b, 1);
        _exit(0);
    }
    close(p[0]);
    usleep(100000);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        res("root: setpriority on uid 1000's", setpriority(PRIO_PROCESS, other, 5));
        struct rlimit r;
        res("root: prlimit read uid 1000's", prlimit(other, RLIMIT_NOFILE, NULL, &r));
        drop_cap(CAP_SYS_NICE);
        res("no SYS_NICE: setpriority on uid 1000's", setpriority(PRIO_PROCESS, other, 6));
        res("no SYS_NICE: raise own nice", setpriority(PRIO_PROCESS, 0, 3));
        res("no SYS_NICE: lower own nice", setpriority(PRIO_PROCESS, 0, 1));
        res("no SYS_NICE: PRIO_USER 1000", setpriority(PRIO_USER, 1000, 7));
        drop_cap(CAP_SYS_RESOURCE);
        res("no SYS_RESOURCE: prlimit read uid 1000's", prlimit(other, RLIMIT_NOFILE, NULL, &r));
        res("no SYS_RESOURCE: prlimit read own", prlimit(0, RLIMIT_NOFILE, NULL, &r));
        r.rlim_cur = r.rlim_max = 0;
        res("RLIMIT_MEMLOCK 0", setrlimit(RLIMIT_MEMLOCK, &r));
        char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        res("mlock with IPC_LOCK", mlock(m, 4096));
        munlock(m, 4096);
        drop_cap(CAP_IPC_LOCK);
        drop_cap(CAP_NET_BIND_SERVICE);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(1),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        res("no NET_BIND_SERVICE: bind port 1", bind(s, (struct sockaddr *)&in, sizeof in));
        close(s);
        res("mlock without IPC_LOCK", mlock(m, 4096));
        res("mlockall without IPC_LOCK", mlockall(MCL_CURRENT));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    c = fork();
    if (c == 0) {
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        res("as 1000: getpriority of uid 1000's", getpriority(PRIO_PROCESS, other));
        res("as 1000: setpriority on root's", setpriority(PRIO_PROCESS, getppid(), 5));
        cpu_set_t set;
        CPU_ZERO(&set);
        sched_getaffinity(0, sizeof set, &set);
        res("as 1000: sched_setaffinity on root's", sched_setaffinity(getppid(), sizeof set, &set));
        res("as 1000: sched_setaffinity on own", sched_setaffinity(0, sizeof set, &set));
        struct sched_param sp = {0};
        res("as 1000: sched_setscheduler on root's", sched_setscheduler(getppid(), SCHED_OTHER, &sp));
        res("as 1000: sched_setparam on root's", sched_setparam(getppid(), &sp));
        res("as 1000: sched_setscheduler on own", sched_setscheduler(0, SCHED_BATCH, &sp));
        owner("as 1000: /proc/self/status", "/proc/self/status");
        owner("as 1000: /proc/self", "/proc/self/");
        res("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
        owner("non-dumpable: /proc/self/status", "/proc/self/status");
        res("PR_SET_DUMPABLE 1", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
        owner("dumpable again: /proc/self/status", "/proc/self/status");
        _exit(0);
    }
    waitpid(c, NULL, 0);
    close(p[1]);
    waitpid(other, NULL, 0);
    return 0;
}
