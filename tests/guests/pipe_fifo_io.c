/* Pipes and FIFOs: ESPIPE for positioned I/O and lseek, F_GETPIPE_SZ/F_SETPIPE_SZ
 * (rounding, limits, EBUSY, EPERM for an unprivileged user), FIONREAD, poll
 * POLLERR/POLLHUP, fstat, fstatfs (PIPEFS_MAGIC), mmap, /proc/sys/fs/pipe-*. */
#include "common.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

static void positioned(const char *what, int r, int w)
{
    char buf[8] = "abc";
    struct iovec iov = {buf, 3};
    char l[64];
    long n;
    snprintf(l, sizeof l, "%s pread", what);
    res(l, pread(r, buf, 1, 0));
    snprintf(l, sizeof l, "%s pwrite", what);
    res(l, pwrite(w, buf, 1, 0));
    snprintf(l, sizeof l, "%s preadv", what);
    res(l, preadv(r, &iov, 1, 0));
    snprintf(l, sizeof l, "%s pwritev", what);
    res(l, pwritev(w, &iov, 1, 0));
    snprintf(l, sizeof l, "%s preadv -1", what);
    res(l, preadv(r, &iov, 0, -1));
    write(w, "xyz", 3);
    snprintf(l, sizeof l, "%s preadv2 -1", what);
    res(l, preadv2(r, &iov, 1, -1, 0));
    snprintf(l, sizeof l, "%s preadv2 0", what);
    res(l, preadv2(r, &iov, 1, 0, 0));
    snprintf(l, sizeof l, "%s pwritev2 -1", what);
    res(l, pwritev2(w, &iov, 1, -1, 0));
    snprintf(l, sizeof l, "%s pwritev2 5", what);
    res(l, pwritev2(w, &iov, 1, 5, 0));
    read(r, buf, sizeof buf);
    int f = open("sendfile.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(f, "0123456789", 10);
    off_t off = 2;
    snprintf(l, sizeof l, "%s sendfile file to pipe", what);
    res(l, sendfile(w, f, &off, 4));
    snprintf(l, sizeof l, "%s sendfile pipe to file", what);
    res(l, sendfile(f, r, NULL, 4));
    off = 0;
    snprintf(l, sizeof l, "%s sendfile pipe with offset", what);
    res(l, sendfile(f, r, &off, 4));
    n = read(r, buf, sizeof buf);
    snprintf(l, sizeof l, "%s left", what);
    print_escaped(l, buf, n);
    close(f);
    snprintf(l, sizeof l, "%s lseek r", what);
    res(l, lseek(r, 0, SEEK_CUR));
    snprintf(l, sizeof l, "%s lseek w", what);
    res(l, lseek(w, 0, SEEK_SET));
    snprintf(l, sizeof l, "%s lseek bad whence", what);
    res(l, lseek(w, 0, 42));
}

static void sizes(const char *what, int r, int w)
{
    char l[64];
#define S(lbl, call) do { snprintf(l, sizeof l, "%s %s", what, lbl); res(l, call); } while (0)
    S("GETPIPE_SZ", fcntl(r, F_GETPIPE_SZ));
    S("SETPIPE_SZ 0", fcntl(w, F_SETPIPE_SZ, 0));
    S("SETPIPE_SZ 1", fcntl(w, F_SETPIPE_SZ, 1));
    S("SETPIPE_SZ 4097", fcntl(w, F_SETPIPE_SZ, 4097));
    S("SETPIPE_SZ 70000", fcntl(r, F_SETPIPE_SZ, 70000));
    S("GETPIPE_SZ w", fcntl(w, F_GETPIPE_SZ));
    S("SETPIPE_SZ 1M", fcntl(w, F_SETPIPE_SZ, 1 << 20));
    S("SETPIPE_SZ 1M+1 root", fcntl(w, F_SETPIPE_SZ, (1 << 20) + 1));
    S("SETPIPE_SZ 2^31+1", fcntl(w, F_SETPIPE_SZ, (1UL << 31) + 1));
    S("SETPIPE_SZ -1", fcntl(w, F_SETPIPE_SZ, -1));
    S("SETPIPE_SZ 2^32+4096", syscall(SYS_fcntl, w, F_SETPIPE_SZ, (1UL << 32) + 4096));
    S("GETPIPE_SZ after", fcntl(w, F_GETPIPE_SZ));
    S("SETPIPE_SZ 64k", fcntl(w, F_SETPIPE_SZ, 65536));
    char buf[10000];
    memset(buf, 'x', sizeof buf);
    S("write 10000", write(w, buf, sizeof buf));
    int n = -1;
    S("FIONREAD", ioctl(r, FIONREAD, &n));
    say("%s FIONREAD value: %d\n", what, n);
    S("FIONREAD w", ioctl(w, FIONREAD, &n));
    say("%s FIONREAD w value: %d\n", what, n);
    S("FIONREAD bad", ioctl(r, FIONREAD, BADPTR));
    S("SETPIPE_SZ 4096 busy", fcntl(w, F_SETPIPE_SZ, 4096));
    S("SETPIPE_SZ 8192 busy", fcntl(w, F_SETPIPE_SZ, 8192));
    S("SETPIPE_SZ 16384", fcntl(w, F_SETPIPE_SZ, 16384));
    S("GETPIPE_SZ end", fcntl(r, F_GETPIPE_SZ));
    S("read 10000", read(r, buf, sizeof buf));
    S("SETPIPE_SZ 64k again", fcntl(w, F_SETPIPE_SZ, 65536));
#undef S
}

static void unprivileged(int w)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
            say("drop: BAD\n");
            _exit(1);
        }
        res("user SETPIPE_SZ 1M", fcntl(w, F_SETPIPE_SZ, 1 << 20));
        res("user SETPIPE_SZ 1M+1", fcntl(w, F_SETPIPE_SZ, (1 << 20) + 1));
        res("user SETPIPE_SZ 2^31+1", fcntl(w, F_SETPIPE_SZ, (1UL << 31) + 1));
        res("user SETPIPE_SZ 8192 (shrink)", fcntl(w, F_SETPIPE_SZ, 8192));
        int q[2];
        struct stat st;
        pipe(q);
        fstat(q[0], &st);
        say("user pipe owner: %d %d\n", st.st_uid, st.st_gid);
        int fd = open("/proc/sys/fs/pipe-max-size", O_WRONLY);
        res("user open pipe-max-size w", fd);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    say("child: %d\n", WEXITSTATUS(st));
}

static void pollev(const char *label, int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    int r = poll(&p, 1, 0);
    say("%s: %d revents %#x\n", label, r, p.revents);
}

static void stats(const char *what, int r, int w)
{
    struct stat st;
    struct statfs sf;
    char l[64];
    snprintf(l, sizeof l, "%s fstat", what);
    rok(l, fstat(r, &st));
    say("%s type fifo: %d mode %o nlink %ld size %ld\n", what, S_ISFIFO(st.st_mode),
        st.st_mode & 07777, (long)st.st_nlink, (long)st.st_size);
    say("%s blksize %ld blocks %ld rdev %ld\n", what, (long)st.st_blksize, (long)st.st_blocks,
        (long)st.st_rdev);
    if (!strcmp(what, "pipe")) {
        time_t now = time(NULL);
        check("pipe ctime is its creation", st.st_ctime <= now && st.st_ctime >= now - 30);
        struct stat st2;
        write(w, "abc", 3);
        fstat(w, &st2);
        say("pipe size with data: %ld\n", (long)st2.st_size);
        check("pipe times not changed by a write",
              st2.st_mtim.tv_sec == st.st_mtim.tv_sec && st2.st_mtim.tv_nsec == st.st_mtim.tv_nsec
              && st2.st_atim.tv_nsec == st.st_atim.tv_nsec);
        char b[3];
        read(r, b, 3);
    }
    snprintf(l, sizeof l, "%s fstatfs", what);
    rok(l, fstatfs(w, &sf));
    if (!strcmp(what, "pipe"))
        say("%s f_type %#lx bsize %ld namelen %ld\n", what, (long)sf.f_type, (long)sf.f_bsize,
            (long)sf.f_namelen);
    snprintf(l, sizeof l, "%s mmap r", what);
    pok(l, mmap(NULL, 4096, PROT_READ, MAP_SHARED, r, 0));
    snprintf(l, sizeof l, "%s mmap w", what);
    pok(l, mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, w, 0));
    snprintf(l, sizeof l, "%s mmap private", what);
    pok(l, mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, r, 0));
}

static void proc_sys(void)
{
    const char *names[] = {"pipe-max-size", "pipe-user-pages-soft", "pipe-user-pages-hard"};
    for (int i = 0; i < 3; i++) {
        char path[80], buf[64] = "";
        snprintf(path, sizeof path, "/proc/sys/fs/%s", names[i]);
        int fd = open(path, O_RDONLY);
        long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        say("%s: %s", names[i], n > 0 ? buf : "none\n");
        struct stat st;
        if (stat(path, &st) == 0)
            say("%s mode %o\n", names[i], st.st_mode & 0777);
        if (fd >= 0)
            close(fd);
    }
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    int p[2];
    say("== pipe\n");
    pipe(p);
    positioned("pipe", p[0], p[1]);
    sizes("pipe", p[0], p[1]);
    stats("pipe", p[0], p[1]);
    unprivileged(p[1]);
    pollev("pipe both open", p[0]);
    write(p[1], "hi", 2);
    close(p[1]);
    pollev("pipe r, writer gone, data", p[0]);
    char c[4];
    read(p[0], c, 2);
    pollev("pipe r, writer gone, drained", p[0]);
    close(p[0]);
    pipe(p);
    close(p[0]);
    pollev("pipe w, reader gone", p[1]);
    close(p[1]);

    say("== fifo\n");
    res("mkfifo", mkfifo("f", 0600));
    int r = open("f", O_RDONLY | O_NONBLOCK);
    int w = open("f", O_WRONLY);
    say("opened: %d\n", r >= 0 && w >= 0);
    fcntl(r, F_SETFL, 0);
    positioned("fifo", r, w);
    sizes("fifo", r, w);
    stats("fifo", r, w);
    pollev("fifo w, both", w);
    close(r);
    pollev("fifo w, reader gone", w);
    close(w);
    r = open("f", O_RDONLY | O_NONBLOCK);
    pollev("fifo r, never a writer", r);
    w = open("f", O_WRONLY);
    write(w, "x", 1);
    close(w);
    pollev("fifo r, writer gone, data", r);
    read(r, c, 1);
    pollev("fifo r, writer gone, drained", r);
    close(r);

    say("== /proc/sys/fs\n");
    proc_sys();
    return 0;
}
