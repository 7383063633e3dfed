/* inotify: a blocking read woken by another process's change, epoll and select readiness,
 * IN_Q_OVERFLOW at max_queued_events, IN_EXCL_UNLINK, IN_MOVE_SELF, a moved watched
 * directory, IN_DONT_FOLLOW on a symlink, O_ASYNC on the inotify fd, inotify_init1 fd flags
 * over exec-less fork. argv[1]: a scratch directory. */
#include "common.h"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/wait.h>

static int ino;

static void show(const char *label)
{
    char buf[4096] __attribute__((aligned(8)));
    int q = 0;
    ioctl(ino, FIONREAD, &q);
    if (q == 0) {
        say("%s: none\n", label);
        return;
    }
    long n = read(ino, buf, sizeof buf);
    for (long off = 0; off < n;) {
        struct inotify_event *e = (struct inotify_event *)(buf + off);
        say("%s: wd=%d mask=%#x name='%s'\n", label, e->wd, e->mask, e->len ? e->name : "");
        off += sizeof *e + e->len;
    }
}

int main(int argc, char **argv)
{
    const char *d = argc > 1 ? argv[1] : "/tmp";
    char buf[256];
    ino = inotify_init1(0);
    int wd = inotify_add_watch(ino, d, IN_CREATE | IN_DELETE);
    res("wd", wd);

    /* a blocking read, woken by a child's create */
    pid_t child = fork();
    if (child == 0) {
        usleep(100000);
        close(open(path_in(d, "from-child"), O_CREAT | O_WRONLY, 0600));
        _exit(0);
    }
    long n = read(ino, buf, sizeof buf);
    struct inotify_event *e = (struct inotify_event *)buf;
    say("blocking read: %ld mask %#x name '%s'\n", n, e->mask, e->name);
    waitpid(child, NULL, 0);

    /* epoll and select */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
    res("epoll_ctl", epoll_ctl(ep, EPOLL_CTL_ADD, ino, &ev));
    res("epoll_wait empty", epoll_wait(ep, &out, 1, 0));
    child = fork();
    if (child == 0) {
        usleep(100000);
        unlink(path_in(d, "from-child"));
        _exit(0);
    }
    res("epoll_wait woken", epoll_wait(ep, &out, 1, 5000));
    say("epoll data %u events %#x\n", out.data.u32, out.events);
    waitpid(child, NULL, 0);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(ino, &rs);
    struct timeval tv = {0, 0};
    res("select ready", select(ino + 1, &rs, NULL, NULL, &tv));
    show("after epoll");
    FD_SET(ino, &rs);
    res("select empty", select(ino + 1, &rs, NULL, NULL, &tv));

    /* O_ASYNC on the inotify fd */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigprocmask(SIG_BLOCK, &set, NULL);
    fcntl(ino, F_SETOWN, getpid());
    fcntl(ino, F_SETFL, O_ASYNC);
    res("O_ASYNC on inotify", !!(fcntl(ino, F_GETFL) & O_ASYNC));
    close(open(path_in(d, "async"), O_CREAT | O_WRONLY, 0600));
    struct timespec zero = {0, 0};
    siginfo_t si;
    res("SIGIO on event", sigtimedwait(&set, &si, &zero) == SIGIO);
    fcntl(ino, F_SETFL, 0);
    show("async");

    /* IN_EXCL_UNLINK: an unlinked child's events are not reported */
    int w2 = inotify_add_watch(ino, d, IN_MODIFY | IN_DELETE | IN_EXCL_UNLINK);
    say("same wd: %s\n", w2 == wd ? "yes" : "BAD");
    int fd = open(path_in(d, "excl"), O_CREAT | O_RDWR, 0600);
    write(fd, "a", 1);
    unlink(path_in(d, "excl"));
    write(fd, "b", 1);
    close(fd);
    show("excl_unlink");
    inotify_add_watch(ino, d, IN_MODIFY | IN_DELETE);
    fd = open(path_in(d, "excl2"), O_CREAT | O_RDWR, 0600);
    write(fd, "a", 1);
    unlink(path_in(d, "excl2"));
    write(fd, "b", 1);
    close(fd);
    show("without excl_unlink");

    /* IN_MOVE_SELF, a moved directory, IN_DONT_FOLLOW */
    mkdir(path_in(d, "sub"), 0700);
    int ws = inotify_add_watch(ino, path_in(d, "sub"), IN_ALL_EVENTS);
    rename(path_in(d, "sub"), path_in(d, "sub2"));
    show("move watched dir");
    close(open(path_in(d, "sub2/inner"), O_CREAT | O_WRONLY, 0600));
    show("create in moved dir");
    unlink(path_in(d, "sub2/inner"));
    rmdir(path_in(d, "sub2"));
    show("rmdir watched dir");
    res("rm_watch after delete_self", inotify_rm_watch(ino, ws));
    close(open(path_in(d, "target"), O_CREAT | O_WRONLY, 0600));
    symlink("target", path_in(d, "sl"));
    int wsl = inotify_add_watch(ino, path_in(d, "sl"), IN_ATTRIB | IN_DONT_FOLLOW);
    int wt = inotify_add_watch(ino, path_in(d, "sl"), IN_ATTRIB);
    chmod(path_in(d, "sl"), 0644);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    utimensat(AT_FDCWD, path_in(d, "sl"), now, AT_SYMLINK_NOFOLLOW);
    say("wds differ: %s\n", wsl != wt ? "yes" : "BAD");
    show("symlink and target");
    inotify_rm_watch(ino, wsl);
    inotify_rm_watch(ino, wt);
    show("rm both");

    /* the queue limit */
    FILE *mq = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    int max = 0;
    if (mq) {
        fscanf(mq, "%d", &max);
        fclose(mq);
    }
    if (max > 0 && max <= 65536) {
        inotify_rm_watch(ino, wd);
        show("rm dir watch");
        int a = open(path_in(d, "qa"), O_CREAT | O_WRONLY, 0600);
        int b = open(path_in(d, "qb"), O_CREAT | O_WRONLY, 0600);
        inotify_add_watch(ino, d, IN_MODIFY);
        for (int i = 0; i < max / 2 + 2; i++) {
            write(a, "x", 1);
            write(b, "x", 1);
        }
        int q = 0;
        ioctl(ino, FIONREAD, &q);
        say("queued bytes = max*32+16: %s\n", q == max * 32 + 16 ? "yes" : "BAD");
        static char big[65536 * 32 + 64];
        long total = 0, events = 0, overflow = 0, last_overflow = 0;
        for (;;) {
            ioctl(ino, FIONREAD, &q);
            if (!q)
                break;
            long r = read(ino, big, sizeof big);
            if (r <= 0)
                break;
            for (long off = 0; off < r;) {
                struct inotify_event *x = (struct inotify_event *)(big + off);
                events++;
                if (x->mask & IN_Q_OVERFLOW) {
                    overflow++;
                    last_overflow = events;
                    say("overflow event: wd=%d mask=%#x len=%u\n", x->wd, x->mask, x->len);
                }
                off += sizeof *x + x->len;
            }
            total += r;
        }
        say("events = max+1: %s, one overflow: %s, last: %s\n", events == max + 1 ? "yes" : "BAD",
            overflow == 1 ? "yes" : "BAD", last_overflow == events ? "yes" : "BAD");
        write(a, "x", 1);
        show("after draining");
        close(a);
        close(b);
    }
    say("done\n");
    return 0;
}
