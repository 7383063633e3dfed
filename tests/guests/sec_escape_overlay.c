/* Every way a guest can try to change an overlay's lower layer through a descriptor or an
 * indirect name: on an overlay (--sandbox, --overlay HOST:GUEST[:UPPER]) each change must
 * copy the file up and land in the upper, never in the host directory below. Safe
 * natively: the test runs it under `unshare -m` on a real overlayfs mount of a copy of the
 * tree, and under umlskas on an overlay of its own files; the outputs are compared and the
 * host's lower tree (and the files beside it, in the kernel's working directory) must be
 * unchanged.
 *
 * argv[1]: the overlay directory as the guest sees it. Its lower holds p00..p79, each
 *          "original\n" 0644 with the xattr user.keep=1 (one fresh file per probe), d/h,
 *          e/ (empty), r/ (r1, r2, sub/s), s/ (for fchdir), t/ (for chdir), q/ (a
 *          directory for its fd probes), l2 -> p70 (relative), la -> the guest path of
 *          p71 (absolute), lo -> ../outside/o (leaves the overlay), lx -> p62, rw/ (an empty
 *          directory: where links go)
 */
/* build: static */
#include "common.h"
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#ifndef RENAME_EXCHANGE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif
#define SYS_fchmodat2_ 452

static char top[4096];

static const char *R(const char *name)
{
    return path_in(top, name);
}

static const char *P(int n)
{
    char name[8];
    snprintf(name, sizeof name, "p%02d", n);
    return R(name);
}

static const char *fdpath(const char *fmt, int fd)
{
    static char bufs[4][64];
    static int i;
    char *b = bufs[i++ & 3];
    snprintf(b, 64, fmt, fd);
    return b;
}

/* what the guest sees by the name now: content and mode */
static void show(const char *label, const char *path)
{
    char buf[64] = {0};
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || stat(path, &st) != 0) {
        printf("%s: -1 %s\n", label, ename(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    char xa[16] = {0};
    long x = getxattr(path, "user.x", xa, sizeof xa - 1);
    printf("%s: mode %o nlink %ld size %ld xattr %s", label, st.st_mode & 07777,
           (long)st.st_nlink, (long)st.st_size, x < 0 ? "-" : xa);
    print_escaped(" data", buf, n < 0 ? 0 : n);
}

static int ro(int n)
{
    int fd = open(P(n), O_RDONLY);
    if (fd < 0)
        printf("open p%02d: -1 %s\n", n, ename(errno));
    return fd;
}

static void write_through(const char *label, int fd)
{
    res(label, fd < 0 ? -1 : write(fd, "PWNED\n", 6));
    if (fd >= 0)
        close(fd);
}

/* changes through a descriptor opened O_RDONLY on a file still in the lower layer */
static void readonly_fd_probes(void)
{
    struct timespec ts[2] = {{1, 0}, {2, 0}};
    struct timeval tv[2] = {{3, 0}, {4, 0}};
    int fd;

    fd = ro(0); res("fchmod ro fd", fchmod(fd, 0600)); close(fd);
    fd = ro(1); res("fchown ro fd", fchown(fd, 1, 2)); close(fd);
    fd = ro(2); res("futimens ro fd NULL", futimens(fd, NULL)); close(fd);
    fd = ro(3); res("futimens ro fd explicit", futimens(fd, ts)); close(fd);
    fd = ro(4); res("futimes ro fd", futimes(fd, tv)); close(fd);
    fd = ro(5); res("fchmodat2 ro fd AT_EMPTY_PATH",
                    syscall(SYS_fchmodat2_, fd, "", 0600, AT_EMPTY_PATH)); close(fd);
    fd = ro(6); res("fchownat ro fd AT_EMPTY_PATH", fchownat(fd, "", 1, 2, AT_EMPTY_PATH)); close(fd);
    fd = ro(7); res("utimensat ro fd AT_EMPTY_PATH", utimensat(fd, "", ts, AT_EMPTY_PATH)); close(fd);
    fd = ro(8); res("utimensat ro fd NULL path", syscall(SYS_utimensat, fd, NULL, ts, 0)); close(fd);
    fd = ro(9); res("ftruncate ro fd", ftruncate(fd, 0)); close(fd);
    fd = ro(10); res("fallocate ro fd", fallocate(fd, 0, 0, 8192)); close(fd);
    fd = ro(11); res("fallocate punch ro fd", fallocate(fd, 3, 0, 4)); close(fd);
    fd = ro(12); res("fsetxattr ro fd", fsetxattr(fd, "user.x", "1", 1, 0)); close(fd);
    fd = ro(13); res("fremovexattr ro fd", fremovexattr(fd, "user.keep")); close(fd);
    fd = ro(14);
    {
        int flags = 0;
        long r = ioctl(fd, FS_IOC_GETFLAGS, &flags);
        flags |= FS_NOATIME_FL;
        res("ioctl FS_IOC_SETFLAGS ro fd", r < 0 ? r : ioctl(fd, FS_IOC_SETFLAGS, &flags));
        struct fsxattr fa;
        memset(&fa, 0, sizeof fa);
        r = ioctl(fd, FS_IOC_FSGETXATTR, &fa);
        fa.fsx_xflags |= FS_XFLAG_NOATIME;
        res("ioctl FS_IOC_FSSETXATTR ro fd", r < 0 ? r : ioctl(fd, FS_IOC_FSSETXATTR, &fa));
    }
    close(fd);
    fd = ro(15);
    res("flock LOCK_EX ro fd", flock(fd, LOCK_EX));
    {
        struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
        res("fcntl F_SETLK F_RDLCK ro fd", fcntl(fd, F_SETLK, &fl));
        fl.l_type = F_WRLCK;
        res("fcntl F_SETLK F_WRLCK ro fd", fcntl(fd, F_SETLK, &fl));
    }
    pok("mmap MAP_SHARED PROT_WRITE ro fd", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    {
        void *m = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
        pok("mmap MAP_SHARED PROT_READ ro fd", m);
        if (m != MAP_FAILED) {
            res("mprotect it PROT_WRITE", mprotect(m, PG, PROT_READ | PROT_WRITE));
            munmap(m, PG);
        }
    }
    res("write ro fd", write(fd, "x", 1));
    res("pwrite ro fd", pwrite(fd, "x", 1, 0));
    res("fcntl F_SETFL O_RDWR", fcntl(fd, F_SETFL, O_RDWR | O_APPEND));
    res("write after F_SETFL", write(fd, "x", 1));
    close(fd);

    /* an O_PATH descriptor */
    fd = open(P(16), O_PATH);
    rok("open p16 O_PATH", fd);
    res("fchmod O_PATH fd", fchmod(fd, 0600));
    res("fchown O_PATH fd", fchown(fd, 1, 2));
    res("futimens O_PATH fd", futimens(fd, ts));
    res("fsetxattr O_PATH fd", fsetxattr(fd, "user.x", "1", 1, 0));
    res("ftruncate O_PATH fd", ftruncate(fd, 0));
    close(fd);
    fd = open(P(17), O_PATH);
    res("fchmodat2 O_PATH fd AT_EMPTY_PATH", syscall(SYS_fchmodat2_, fd, "", 0600, AT_EMPTY_PATH));
    close(fd);
    fd = open(P(18), O_PATH);
    res("fchownat O_PATH fd AT_EMPTY_PATH", fchownat(fd, "", 1, 2, AT_EMPTY_PATH));
    close(fd);
    fd = open(P(19), O_PATH);
    res("utimensat O_PATH fd AT_EMPTY_PATH", utimensat(fd, "", ts, AT_EMPTY_PATH));
    close(fd);
    fd = open(P(20), O_PATH);
    write_through("reopen O_PATH fd O_RDWR, write", open(fdpath("/proc/self/fd/%d", fd), O_RDWR));
    close(fd);
    fd = open(P(21), O_PATH);
    res("setxattr /proc/self/fd/O_PATH", setxattr(fdpath("/proc/self/fd/%d", fd), "user.x", "1", 1, 0));
    close(fd);
    for (int n = 0; n <= 21; n++) {
        char label[16];
        snprintf(label, sizeof label, "p%02d", n);
        show(label, P(n));
    }
}

/* magic links of read-only descriptors */
static void magic_probes(void)
{
    int fd = ro(22);
    write_through("reopen /proc/self/fd/N O_RDWR, write", open(fdpath("/proc/self/fd/%d", fd), O_RDWR));
    close(fd);
    fd = ro(23);
    write_through("reopen /dev/fd/N O_WRONLY|O_TRUNC, write", open(fdpath("/dev/fd/%d", fd), O_WRONLY | O_TRUNC));
    close(fd);
    fd = ro(24);
    write_through("reopen /proc/self/fd/N O_WRONLY|O_APPEND, write",
                  open(fdpath("/proc/self/fd/%d", fd), O_WRONLY | O_APPEND));
    close(fd);
    fd = ro(25);
    res("reopen /proc/self/fd/N O_RDONLY|O_TRUNC",
        open(fdpath("/proc/self/fd/%d", fd), O_RDONLY | O_TRUNC) < 0 ? -1 : 0);
    close(fd);
    fd = ro(26); res("truncate /proc/self/fd/N", truncate(fdpath("/proc/self/fd/%d", fd), 2)); close(fd);
    fd = ro(27); res("chmod /proc/self/fd/N", chmod(fdpath("/proc/self/fd/%d", fd), 0600)); close(fd);
    fd = ro(28); res("chown /proc/self/fd/N", chown(fdpath("/proc/self/fd/%d", fd), 1, 2)); close(fd);
    fd = ro(29); res("utimes /proc/self/fd/N", utimes(fdpath("/proc/self/fd/%d", fd), NULL)); close(fd);
    fd = ro(30);
    res("setxattr /proc/self/fd/N", setxattr(fdpath("/proc/self/fd/%d", fd), "user.x", "1", 1, 0));
    close(fd);
    fd = ro(31);
    res("removexattr /dev/fd/N", removexattr(fdpath("/dev/fd/%d", fd), "user.keep"));
    close(fd);
    /* links of lower files into another directory: made in the upper only */
    fd = ro(32);
    res("linkat ro fd AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, R("rw/l32"), AT_EMPTY_PATH));
    close(fd);
    fd = ro(33);
    res("linkat /proc/self/fd/N FOLLOW",
        linkat(AT_FDCWD, fdpath("/proc/self/fd/%d", fd), AT_FDCWD, R("rw/l33"), AT_SYMLINK_FOLLOW));
    close(fd);
    fd = open(P(34), O_PATH);
    res("linkat O_PATH fd AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, R("rw/l34"), AT_EMPTY_PATH));
    close(fd);
    res("link p35 -> rw/l35", link(P(35), R("rw/l35")));
    res("link p36 -> p36.hard", link(P(36), R("p36.hard")));
    {
        int w = open(R("rw/l35"), O_WRONLY | O_APPEND);
        write_through("append through the new link", w);
    }
    /* the name the fd was opened by is gone (unlinked, renamed away, replaced) */
    fd = ro(63);
    res("unlink p63 (fd still open)", unlink(P(63)));
    write_through("reopen /proc/self/fd/N of unlinked p63 O_RDWR, write",
                  open(fdpath("/proc/self/fd/%d", fd), O_RDWR | O_APPEND));
    res("fchmod fd of unlinked p63", fchmod(fd, 0600));
    res("fsetxattr fd of unlinked p63", fsetxattr(fd, "user.x", "9", 1, 0));
    res("linkat fd of unlinked p63 AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, R("rw/l63"), AT_EMPTY_PATH));
    show("p63", P(63));
    close(fd);
    fd = ro(64);
    res("rename p64 -> p64.moved (fd still open)", rename(P(64), R("p64.moved")));
    write_through("reopen /proc/self/fd/N of moved p64 O_RDWR, write",
                  open(fdpath("/proc/self/fd/%d", fd), O_RDWR | O_APPEND));
    res("setxattr /proc/self/fd/N of moved p64", setxattr(fdpath("/proc/self/fd/%d", fd), "user.x", "9", 1, 0));
    show("p64", P(64));
    close(fd);
    for (int n = 22; n <= 36; n++) {
        char label[16];
        snprintf(label, sizeof label, "p%02d", n);
        show(label, P(n));
    }
    show("rw/l32", R("rw/l32"));
    show("rw/l35", R("rw/l35"));
}

/* a descriptor opened read-only before the file was copied up (by this process, by
 * another one, by a metadata change) */
static void after_copy_up_probes(void)
{
    struct timespec ts[2] = {{5, 0}, {6, 0}};
    int a = ro(37);
    int b = open(P(37), O_RDWR);
    rok("open p37 O_RDWR (copy-up)", b);
    res("write the copy", write(b, "COPIED\n", 7));
    close(b);
    res("fchmod old ro fd", fchmod(a, 0640));
    res("fchown old ro fd", fchown(a, 3, 4));
    res("futimens old ro fd", futimens(a, ts));
    res("fsetxattr old ro fd", fsetxattr(a, "user.x", "2", 1, 0));
    res("fremovexattr old ro fd", fremovexattr(a, "user.keep"));
    res("write old ro fd", write(a, "x", 1));
    res("ftruncate old ro fd", ftruncate(a, 0));
    res("fallocate old ro fd", fallocate(a, 0, 0, 8192));
    pok("mmap MAP_SHARED PROT_WRITE old ro fd", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0));
    write_through("reopen old ro fd O_RDWR, write", open(fdpath("/proc/self/fd/%d", a), O_RDWR | O_APPEND));
    close(a);
    show("p37", P(37));

    /* another process copies it up */
    a = ro(38);
    pid_t pid = fork();
    if (pid == 0) {
        int w = open(P(38), O_WRONLY | O_TRUNC);
        _exit(w < 0 || write(w, "CHILD\n", 6) != 6);
    }
    int status;
    waitpid(pid, &status, 0);
    res("child copied p38 up", WEXITSTATUS(status));
    res("fchmod old ro fd (child's copy-up)", fchmod(a, 0604));
    res("futimens old ro fd (child's copy-up)", futimens(a, NULL));
    res("fsetxattr old ro fd (child's copy-up)", fsetxattr(a, "user.x", "3", 1, 0));
    write_through("reopen old ro fd O_RDWR (child's), write",
                  open(fdpath("/proc/self/fd/%d", a), O_RDWR | O_APPEND));
    close(a);
    show("p38", P(38));

    /* a metadata copy-up by path, then the old fd */
    a = ro(39);
    res("chmod p39 by path (copy-up)", chmod(P(39), 0666));
    res("fchmod old ro fd (chmod's copy-up)", fchmod(a, 0604));
    res("fsetxattr old ro fd (chmod's copy-up)", fsetxattr(a, "user.x", "4", 1, 0));
    write_through("reopen old ro fd O_WRONLY (chmod's), write",
                  open(fdpath("/proc/self/fd/%d", a), O_WRONLY | O_APPEND));
    close(a);
    show("p39", P(39));

    /* an O_PATH fd from before the copy-up */
    a = open(P(40), O_PATH);
    b = open(P(40), O_WRONLY | O_APPEND);
    write_through("append p40 (copy-up)", b);
    res("fchmodat2 old O_PATH fd", syscall(SYS_fchmodat2_, a, "", 0600, AT_EMPTY_PATH));
    write_through("reopen old O_PATH fd O_RDWR, write", open(fdpath("/proc/self/fd/%d", a), O_RDWR | O_APPEND));
    close(a);
    show("p40", P(40));
}

/* opens for writing copy up: every write goes to the upper */
static void write_open_probes(void)
{
    int fd = open(P(41), O_RDWR);
    res("write O_RDWR", write(fd, "AB", 2));
    res("pwrite O_RDWR", pwrite(fd, "CD", 2, 4));
    struct iovec iov[2] = {{"EF", 2}, {"GH", 2}};
    res("writev O_RDWR", writev(fd, iov, 2));
    res("pwritev O_RDWR", pwritev(fd, iov, 2, 1));
    close(fd);
    fd = open(P(42), O_WRONLY | O_TRUNC);
    write_through("write O_WRONLY|O_TRUNC", fd);
    fd = open(P(43), O_WRONLY | O_APPEND);
    write_through("write O_APPEND", fd);
    fd = open(P(44), O_RDONLY | O_TRUNC);
    rok("open O_RDONLY|O_TRUNC", fd);
    if (fd >= 0)
        close(fd);
    fd = open(P(45), O_RDWR | O_CREAT, 0600);
    write_through("write O_RDWR|O_CREAT (exists)", fd);
    {
        int src = open(P(46), O_RDONLY);   /* a lower file as the source, read only */
        int dst = open(P(47), O_WRONLY);
        res("sendfile into it", sendfile(dst, src, NULL, 4));
        off_t off = 0;
        res("copy_file_range into it", copy_file_range(src, &off, dst, NULL, 4, 0));
        int p[2];
        pipe(p);
        write(p[1], "pipe", 4);
        res("splice into it", splice(p[0], NULL, dst, NULL, 4, 0));
        close(p[0]);
        close(p[1]);
        close(dst);
        close(src);
    }
    fd = open(P(48), O_RDWR);
    res("ftruncate rw fd", ftruncate(fd, 3));
    res("fallocate rw fd", fallocate(fd, 0, 0, 8192));
    close(fd);
    fd = open(P(49), O_RDWR);
    {
        char *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        pok("mmap MAP_SHARED PROT_WRITE rw fd", m);
        if (m != MAP_FAILED) {
            memcpy(m, "MAPPED", 6);
            res("msync", msync(m, PG, MS_SYNC));
            munmap(m, PG);
        }
    }
    close(fd);
    res("truncate p50 by path", truncate(P(50), 1));
    for (int n = 41; n <= 50; n++) {
        char label[16];
        snprintf(label, sizeof label, "p%02d", n);
        show(label, P(n));
    }
}

/* names: rename, remove, create beside, relative names, symlinks */
static void name_probes(void)
{
    res("rename p51 -> p51.new", rename(P(51), R("p51.new")));
    res("rename p52 -> rw/p52", rename(P(52), R("rw/p52")));
    res("rename p53 over p54", rename(P(53), P(54)));
    res("renameat2 EXCHANGE p55 p56", syscall(SYS_renameat2, AT_FDCWD, P(55), AT_FDCWD, P(56), RENAME_EXCHANGE));
    res("renameat2 NOREPLACE p57 -> p58", syscall(SYS_renameat2, AT_FDCWD, P(57), AT_FDCWD, P(58), RENAME_NOREPLACE));
    res("renameat2 NOREPLACE p57 -> new", syscall(SYS_renameat2, AT_FDCWD, P(57), AT_FDCWD, R("p57.new"), RENAME_NOREPLACE));
    res("renameat2 WHITEOUT p59", syscall(SYS_renameat2, AT_FDCWD, P(59), AT_FDCWD, R("p59.new"), RENAME_WHITEOUT));
    res("rename dir r -> r.new", rename(R("r"), R("r.new")));
    res("rename empty dir e -> e.new", rename(R("e"), R("e.new")));
    res("rename r/r1 -> r/sub/r1", rename(R("r/r1"), R("r/sub/r1")));
    res("renameat2 EXCHANGE r/r2 r/sub", syscall(SYS_renameat2, AT_FDCWD, R("r/r2"), AT_FDCWD, R("r/sub"), RENAME_EXCHANGE));
    res("unlink p60", unlink(P(60)));
    res("unlink lx (a lower symlink)", unlink(R("lx")));
    res("rmdir d (not empty)", rmdir(R("d")));
    res("unlink d/h", unlink(R("d/h")));
    res("rmdir d", rmdir(R("d")));
    res("mkdir d again", mkdir(R("d"), 0755));
    res("symlink beside", symlink("p61", R("sym")));
    res("mkdir beside", mkdir(R("newdir"), 0755));
    res("mkfifo beside", mkfifo(R("fifo"), 0644));
    res("mknod regular beside", mknod(R("reg"), S_IFREG | 0644, 0));
    res("mkfifo over p61", mkfifo(P(61), 0644));

    /* relative names from a cwd in a lower directory */
    res("chdir t", chdir(R("t")));
    {
        int fd = open("rel-new", O_WRONLY | O_CREAT, 0644);
        write_through("relative creat", fd);
        res("relative mkdir", mkdir("rel-dir", 0755));
        res("relative rename t1 -> t1.new", rename("t1", "t1.new"));
        res("relative chmod t2", chmod("t2", 0600));
        res("relative unlink ../t/t3", unlink("../t/t3"));
        fd = open("t4", O_WRONLY | O_TRUNC);
        write_through("relative O_TRUNC t4", fd);
        fd = open(".", O_TMPFILE | O_RDWR, 0600);
        rok("O_TMPFILE in cwd", fd);
        if (fd >= 0) {
            write(fd, "tmp\n", 4);
            res("linkat O_TMPFILE into cwd", linkat(fd, "", AT_FDCWD, "tmplinked", AT_EMPTY_PATH));
            close(fd);
        }
    }
    /* fchdir to an O_PATH fd of a lower directory */
    {
        int d = open(R("s"), O_PATH | O_DIRECTORY);
        rok("open s O_PATH", d);
        res("fchdir s", fchdir(d));
        int fd = open("created", O_WRONLY | O_CREAT | O_EXCL, 0644);
        write_through("create in fchdir'd s", fd);
        res("chmod . (s)", chmod(".", 0700));
        res("mkdir ./sub", mkdir("./sub", 0755));
        res("openat O_PATH dirfd s1 O_RDWR|O_TRUNC", openat(d, "s1", O_RDWR | O_TRUNC) < 0 ? -1 : 0);
        res("fchmodat O_PATH dirfd s2", fchmodat(d, "s2", 0600, 0));
        res("unlinkat O_PATH dirfd s3", unlinkat(d, "s3", 0));
        close(d);
    }
    res("chdir /", chdir("/"));

    /* through symlinks: to another lower file, absolute, out of the overlay */
    res("chmod l2 (-> p70)", chmod(R("l2"), 0600));
    res("chown l2", chown(R("l2"), 1, 2));
    res("utimes l2", utimes(R("l2"), NULL));
    res("setxattr l2", setxattr(R("l2"), "user.x", "5", 1, 0));
    res("truncate l2", truncate(R("l2"), 1));
    res("lchown l2 itself", lchown(R("l2"), 7, 8));
    res("chmod la (absolute -> p71)", chmod(R("la"), 0600));
    res("truncate la", truncate(R("la"), 2));
    {
        int fd = open(R("la"), O_WRONLY | O_APPEND);
        write_through("append through la", fd);
    }
    res("chmod lo (out of the overlay)", chmod(R("lo"), 0600));
    res("truncate lo", truncate(R("lo"), 0));
    res("setxattr lo", setxattr(R("lo"), "user.x", "6", 1, 0));
    {
        int fd = open(R("lo"), O_WRONLY | O_TRUNC);
        write_through("open lo O_WRONLY|O_TRUNC", fd);
    }
    show("p70", P(70));
    show("p71", P(71));
}

/* the directory itself, through a descriptor */
static void dir_probes(void)
{
    struct timespec ts[2] = {{7, 0}, {8, 0}};
    int d = open(R("q"), O_RDONLY | O_DIRECTORY);
    rok("open q O_RDONLY|O_DIRECTORY", d);
    res("fchmod dir fd", fchmod(d, 0700));
    res("fchown dir fd", fchown(d, 1, 2));
    res("futimens dir fd", futimens(d, ts));
    res("fsetxattr dir fd", fsetxattr(d, "user.x", "7", 1, 0));
    res("fremovexattr dir fd", fremovexattr(d, "user.keep"));
    res("mkdirat dir fd", mkdirat(d, "sub", 0755));
    res("fchmodat2 dir fd AT_EMPTY_PATH", syscall(SYS_fchmodat2_, d, "", 0750, AT_EMPTY_PATH));
    close(d);
    d = open(R("q2"), O_PATH | O_DIRECTORY);
    res("fchownat O_PATH dir AT_EMPTY_PATH", fchownat(d, "", 3, 4, AT_EMPTY_PATH));
    res("utimensat O_PATH dir AT_EMPTY_PATH", utimensat(d, "", ts, AT_EMPTY_PATH));
    close(d);
    d = open(R("q3"), O_RDONLY | O_DIRECTORY);
    res("setxattr /proc/self/fd/DIR", setxattr(fdpath("/proc/self/fd/%d", d), "user.x", "8", 1, 0));
    res("chmod /proc/self/fd/DIR", chmod(fdpath("/proc/self/fd/%d", d), 0711));
    int fd = open(fdpath("/proc/self/fd/%d/new", d), O_WRONLY | O_CREAT, 0644);
    write_through("create through /proc/self/fd/DIR/new", fd);
    close(d);
    struct stat st;
    res("stat q", stat(R("q"), &st));
    printf("q mode %o uid %d\n", st.st_mode & 07777, (int)st.st_uid);
    res("stat q3", stat(R("q3"), &st));
    printf("q3 mode %o\n", st.st_mode & 07777);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    snprintf(top, sizeof top, "%s", argv[1]);
    umask(022);
    readonly_fd_probes();
    magic_probes();
    after_copy_up_probes();
    write_open_probes();
    name_probes();
    dir_probes();
    return 0;
}
