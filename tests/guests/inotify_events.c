/* inotify: init flags, add/rm watch rules and errors, the events the kernel's own file
 * operations produce (names, IN_ISDIR, move cookies, self events, IN_IGNORED), coalescing,
 * IN_ONESHOT, read buffer sizes, FIONREAD, poll. argv[1]: a scratch directory. */
#include "common.h"
#include <dirent.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/xattr.h>

static int ino;
static uint32_t last_cookie;

static void mask_names(uint32_t m, char *out)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
        {IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
        {IN_OPEN, "OPEN"}, {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
        {IN_CREATE, "CREATE"}, {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"},
        {IN_MOVE_SELF, "MOVE_SELF"}, {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"},
        {IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"},
    };
    out[0] = 0;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (m & names[i].bit) {
            if (out[0])
                strcat(out, "|");
            strcat(out, names[i].name);
            m &= ~names[i].bit;
        }
    if (m)
        sprintf(out + strlen(out), "|%#x", m);
}

/* print every queued event */
static void drain(const char *label)
{
    char buf[8192] __attribute__((aligned(8)));
    say("%s:\n", label);
    for (;;) {
        struct pollfd p = {ino, POLLIN, 0};
        if (poll(&p, 1, 0) != 1)
            break;
        long n = read(ino, buf, sizeof buf);
        if (n <= 0) {
            res("  read", n);
            break;
        }
        for (long off = 0; off < n;) {
            struct inotify_event *e = (struct inotify_event *)(buf + off);
            char m[256];
            mask_names(e->mask, m);
            const char *ck = "";
            if (e->cookie) {
                ck = e->cookie == last_cookie ? " cookie=same" : " cookie=new";
                last_cookie = e->cookie;
            }
            say("  wd=%d %s%s len=%u name='%s'\n", e->wd, m, ck, e->len, e->len ? e->name : "");
            off += sizeof *e + e->len;
        }
    }
}

int main(int argc, char **argv)
{
    const char *d = argc > 1 ? argv[1] : "/tmp";
    char buf[4096];
    int fd;

    res("init1 bad flag", inotify_init1(1));
    res("init1 O_RDWR", inotify_init1(O_RDWR));
    int nb = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    res("init1 NONBLOCK|CLOEXEC getfd", fcntl(nb, F_GETFD));
    res("init1 getfl", fcntl(nb, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
    res("nonblock read empty", read(nb, buf, sizeof buf));
    int n0 = -1;
    res("fionread empty", ioctl(nb, FIONREAD, &n0));
    res("fionread value", n0);
    close(nb);
    ino = inotify_init();
    res("init getfl", fcntl(ino, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
    res("lseek", lseek(ino, 100, SEEK_SET));
    res("pread", pread(ino, buf, sizeof buf, 0));

    res("add_watch mask 0", inotify_add_watch(ino, d, 0));
    res("add_watch unknown bit", inotify_add_watch(ino, d, IN_CREATE | 0x1000));
    res("add_watch high unknown bit", inotify_add_watch(ino, d, IN_CREATE | 0x08000000));
    res("add_watch MASK_ADD|MASK_CREATE", inotify_add_watch(ino, d, IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE));
    res("add_watch not inotify", inotify_add_watch(1, d, IN_CREATE));
    res("add_watch bad fd", inotify_add_watch(99, d, IN_CREATE));
    res("add_watch bad fd mask 0", inotify_add_watch(99, d, 0));
    res("add_watch missing", inotify_add_watch(ino, path_in(d, "nope"), IN_CREATE));
    res("add_watch badptr", inotify_add_watch(ino, BADPTR, IN_CREATE));
    fd = open(path_in(d, "plain"), O_CREAT | O_WRONLY, 0644);
    close(fd);
    res("add_watch ONLYDIR file", inotify_add_watch(ino, path_in(d, "plain"), IN_CREATE | IN_ONLYDIR));
    symlink("plain", path_in(d, "link"));
    int wl = inotify_add_watch(ino, path_in(d, "link"), IN_ATTRIB | IN_DONT_FOLLOW);
    int wp = inotify_add_watch(ino, path_in(d, "plain"), IN_ATTRIB);
    say("dont_follow gives another watch: %s\n", wl != wp ? "yes" : "BAD");
    res("rm_watch link", inotify_rm_watch(ino, wl));
    res("rm_watch plain", inotify_rm_watch(ino, wp));
    res("rm_watch again", inotify_rm_watch(ino, wp));
    res("rm_watch unknown", inotify_rm_watch(ino, 12345));
    res("rm_watch -1", inotify_rm_watch(ino, -1));
    res("rm_watch not inotify", inotify_rm_watch(1, 1));
    drain("after rm_watch");
    unlink(path_in(d, "link"));

    int wd = inotify_add_watch(ino, d, IN_ALL_EVENTS);
    res("add_watch dir again same wd", inotify_add_watch(ino, d, IN_ALL_EVENTS) == wd);
    res("add_watch MASK_CREATE existing", inotify_add_watch(ino, d, IN_ALL_EVENTS | IN_MASK_CREATE));
    drain("nothing yet");

    fd = open(path_in(d, "f"), O_CREAT | O_WRONLY, 0644);
    drain("open O_CREAT");
    write(fd, "hello", 5);
    write(fd, "hello", 5);
    drain("two writes");
    close(fd);
    drain("close after write");
    fd = open(path_in(d, "f"), O_RDONLY);
    read(fd, buf, 2);
    read(fd, buf, 2);
    read(fd, buf, sizeof buf);
    read(fd, buf, sizeof buf);
    close(fd);
    drain("open, reads, close");
    fd = open(path_in(d, "f"), O_RDWR | O_TRUNC);
    close(fd);
    drain("open O_TRUNC");
    chmod(path_in(d, "f"), 0600);
    drain("chmod");
    truncate(path_in(d, "f"), 1);
    drain("truncate");
    utimes(path_in(d, "f"), NULL);
    drain("utimes");
    struct timespec ts[2] = {{1, 0}, {0, UTIME_OMIT}};
    utimensat(AT_FDCWD, path_in(d, "f"), ts, 0);
    drain("utimensat atime only");
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_nsec = 0;
    utimensat(AT_FDCWD, path_in(d, "f"), ts, 0);
    drain("utimensat mtime only");
    chown(path_in(d, "f"), getuid(), getgid());
    drain("chown");
    res("setxattr", setxattr(path_in(d, "f"), "user.t", "1", 1, 0));
    drain("setxattr");
    int xf = open(path_in(d, "f"), O_RDONLY);
    res("fremovexattr", fremovexattr(xf, "user.t"));
    close(xf);
    drain("fremovexattr");
    rename(path_in(d, "f"), path_in(d, "g"));
    drain("rename");
    link(path_in(d, "g"), path_in(d, "h"));
    drain("link");
    unlink(path_in(d, "h"));
    drain("unlink of a second name");
    symlink("g", path_in(d, "s"));
    drain("symlink");
    mkfifo(path_in(d, "fifo"), 0600);
    drain("mkfifo");
    fd = open(path_in(d, "fifo"), O_RDWR);
    write(fd, "ab", 2);
    read(fd, buf, 2);
    close(fd);
    drain("fifo open, write, read, close");
    unlink(path_in(d, "fifo"));
    unlink(path_in(d, "s"));
    drain("unlink fifo and symlink");
    mkdir(path_in(d, "sub"), 0755);
    drain("mkdir");
    int dfd = open(path_in(d, "sub"), O_RDONLY | O_DIRECTORY);
    close(dfd);
    drain("open and close subdir");
    rename(path_in(d, "sub"), path_in(d, "sub2"));
    drain("rename dir");
    rmdir(path_in(d, "sub2"));
    drain("rmdir");
    fd = open(path_in(d, "p"), O_PATH);
    close(fd);
    drain("O_PATH open of a missing name fails");
    fd = open(path_in(d, "g"), O_PATH);
    close(fd);
    drain("O_PATH open and close");
    ftruncate(fd = open(path_in(d, "g"), O_WRONLY), 0);
    close(fd);
    drain("ftruncate");

    /* listing the watched directory itself */
    dfd = open(d, O_RDONLY | O_DIRECTORY);
    syscall(SYS_getdents64, dfd, buf, sizeof buf);
    syscall(SYS_getdents64, dfd, buf, sizeof buf);
    close(dfd);
    drain("list the watched dir");

    /* a watch on a file itself */
    int wg = inotify_add_watch(ino, path_in(d, "g"), IN_ALL_EVENTS);
    say("file watch wd differs: %s\n", wg != wd ? "yes" : "BAD");
    fd = open(path_in(d, "g"), O_WRONLY);
    write(fd, "x", 1);
    close(fd);
    drain("file and dir watched");
    unlink(path_in(d, "g"));
    drain("unlink watched file");
    /* unlinked while open: IN_DELETE_SELF waits for the close */
    fd = open(path_in(d, "k"), O_CREAT | O_RDWR, 0600);
    int wk = inotify_add_watch(ino, path_in(d, "k"), IN_DELETE_SELF | IN_ATTRIB);
    say("wk: %s\n", wk > wg ? "next" : "BAD");
    drain("create k");
    unlink(path_in(d, "k"));
    drain("unlink open k");
    close(fd);
    drain("close unlinked k");

    /* IN_ONESHOT; IN_MASK_ADD */
    inotify_rm_watch(ino, wd);
    drain("rm dir watch");
    wd = inotify_add_watch(ino, d, IN_CREATE | IN_ONESHOT);
    close(open(path_in(d, "o1"), O_CREAT | O_WRONLY, 0600));
    close(open(path_in(d, "o2"), O_CREAT | O_WRONLY, 0600));
    drain("oneshot");
    res("rm oneshot watch", inotify_rm_watch(ino, wd));
    wd = inotify_add_watch(ino, d, IN_DELETE);
    res("mask add", inotify_add_watch(ino, d, IN_CREATE | IN_MASK_ADD) == wd);
    close(open(path_in(d, "o3"), O_CREAT | O_WRONLY, 0600));
    unlink(path_in(d, "o3"));
    drain("create+delete after MASK_ADD");
    res("replace mask", inotify_add_watch(ino, d, IN_DELETE) == wd);
    close(open(path_in(d, "o4"), O_CREAT | O_WRONLY, 0600));
    unlink(path_in(d, "o4"));
    drain("delete only after replace");

    /* read sizes, FIONREAD, blocking */
    close(open(path_in(d, "a-long-name-of-a-file"), O_CREAT | O_WRONLY, 0600));
    unlink(path_in(d, "a-long-name-of-a-file"));
    int q = -1;
    ioctl(ino, FIONREAD, &q);
    res("fionread", q);
    res("read 0", read(ino, buf, 0));
    res("read 16", read(ino, buf, 16));
    res("read 47", read(ino, buf, 47));
    void *volatile bad = BADPTR;
    res("read badptr", read(ino, bad, sizeof buf));
    res("fionread after badptr", (ioctl(ino, FIONREAD, &q), q));
    struct pollfd p = {ino, POLLIN, 0};
    res("poll empty", poll(&p, 1, 0));
    res("write", write(ino, "x", 1));
    unlink(path_in(d, "o1"));
    res("poll ready", poll(&p, 1, 0));
    res("revents", p.revents);
    res("read 48", read(ino, buf, 48));
    unlink(path_in(d, "o2"));
    unlink(path_in(d, "plain"));
    res("fionread two", (ioctl(ino, FIONREAD, &q), q));
    res("read 40 takes one", read(ino, buf, 40));
    drain("last");
    say("done\n");
    return 0;
}
