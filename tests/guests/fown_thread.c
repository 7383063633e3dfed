/* F_SETOWN_EX F_OWNER_TID: the O_ASYNC signal goes to that thread only; F_OWNER_PID to
 * the process. A renamed open file reports to inotify under its new name. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/inotify.h>

#define RT (SIGRTMIN + 4)

static int p[2];
static int go[2], done_[2];
static sigset_t set;

static void *worker(void *arg)
{
    (void)arg;
    struct f_owner_ex ex = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
    res("thread setown_ex tid", fcntl(p[0], F_SETOWN_EX, &ex));
    struct f_owner_ex got;
    fcntl(p[0], F_GETOWN_EX, &got);
    say("getown_ex from thread: type %d pid is me: %s\n", got.type,
        got.pid == ex.pid ? "yes" : "no");
    write(go[1], "g", 1);
    struct timespec ts = {10, 0};
    siginfo_t si;
    int s = sigtimedwait(&set, &si, &ts);
    say("thread got: %s code %d\n", s == RT ? "RT" : "none", s == RT ? si.si_code : 0);
    write(done_[1], "d", 1);
    return NULL;
}

int main(int argc, char **argv)
{
    char c;
    sigemptyset(&set);
    sigaddset(&set, RT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pipe(p);
    pipe(go);
    pipe(done_);
    fcntl(p[0], F_SETSIG, RT);
    fcntl(p[0], F_SETFL, O_ASYNC);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    read(go[0], &c, 1);
    write(p[1], "x", 1);
    read(done_[0], &c, 1);
    sigset_t pend;
    sigpending(&pend);
    say("main has it pending: %s\n", sigismember(&pend, RT) ? "yes" : "no");
    pthread_join(t, NULL);
    struct f_owner_ex ex = {F_OWNER_TID, 0};
    fcntl(p[0], F_GETOWN_EX, &ex);
    say("owner thread gone: type %d\n", ex.type);     /* pid: 0 once the tid is freed */
    write(p[1], "x", 1);
    sigpending(&pend);
    say("after the thread left: %s\n", sigismember(&pend, RT) ? "pending" : "none");
    ex.type = F_OWNER_PID;
    ex.pid = getpid();
    fcntl(p[0], F_SETOWN_EX, &ex);
    write(p[1], "x", 1);
    sigpending(&pend);
    say("process owner: %s\n", sigismember(&pend, RT) ? "pending" : "none");

    if (argc > 1) {
        const char *d = argv[1];
        int fd = open(path_in(d, "before"), O_CREAT | O_WRONLY, 0600);
        int ino = inotify_init();
        inotify_add_watch(ino, d, IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO);
        rename(path_in(d, "before"), path_in(d, "after"));
        write(fd, "x", 1);
        char buf[1024] __attribute__((aligned(8)));
        long n = read(ino, buf, sizeof buf);
        for (long off = 0; off < n;) {
            struct inotify_event *e = (struct inotify_event *)(buf + off);
            say("event %#x '%s'\n", e->mask, e->len ? e->name : "");
            off += sizeof *e + e->len;
        }
    }
    say("done\n");
    return 0;
}
