/* build: static static-pie no-pie */
/* open/openat/creat/close, read/write, pread64/pwrite64, readv/writev, lseek.
 * argv[1]: scratch directory prepared by the test (see make_tree()). */
#include "common.h"
#include <sys/uio.h>

static void show_file(const char *label, const char *path)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    long n = read(fd, buf, sizeof buf);
    close(fd);
    print_escaped(label, buf, n < 0 ? 0 : n);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    char buf[256];
    struct stat st;
    umask(022);

    say("== create, write, seek, read\n");
    int fd = open("new.txt", O_CREAT | O_EXCL | O_RDWR, 0666);
    res("open creat excl fd", fd);
    res("open creat excl again", open("new.txt", O_CREAT | O_EXCL | O_RDWR, 0644));
    fstat(fd, &st);
    say("mode after umask 022: %o\n", st.st_mode & 07777);
    res("write 5", write(fd, "abcde", 5));
    res("write 0", write(fd, "zzz", 0));
    res("lseek cur", lseek(fd, 0, SEEK_CUR));
    res("lseek set 1", lseek(fd, 1, SEEK_SET));
    long n = read(fd, buf, sizeof buf);
    print_escaped("read after seek", buf, n);
    res("read at eof", read(fd, buf, 10));
    res("lseek end -2", lseek(fd, -2, SEEK_END));
    res("lseek cur +1", lseek(fd, 1, SEEK_CUR));
    res("lseek negative", lseek(fd, -100, SEEK_SET));
    res("lseek cur negative", lseek(fd, -100, SEEK_CUR));
    res("lseek bad whence", lseek(fd, 0, 42));
    res("lseek position unchanged", lseek(fd, 0, SEEK_CUR));
    res("lseek beyond end", lseek(fd, 100, SEEK_SET));
    res("write past end", write(fd, "Z", 1));
    fstat(fd, &st);
    say("size with hole: %ld\n", (long)st.st_size);
    n = pread(fd, buf, 50, 40);
    int zeros = 0;
    for (int i = 0; i < n; i++)
        zeros += buf[i] == 0;
    say("pread hole: %ld bytes, %d zero\n", n, zeros);
    res("lseek SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
    res("lseek SEEK_DATA beyond", lseek(fd, 1000, SEEK_DATA));
    res("lseek SEEK_HOLE beyond", lseek(fd, 1000, SEEK_HOLE));

    say("== pread/pwrite do not move the offset\n");
    res("lseek to 3", lseek(fd, 3, SEEK_SET));
    res("pwrite XY at 0", pwrite(fd, "XY", 2, 0));
    res("offset still 3", lseek(fd, 0, SEEK_CUR));
    n = pread(fd, buf, 7, 0);
    print_escaped("pread 7 at 0", buf, n);
    res("pread at eof", pread(fd, buf, 10, 101));
    res("pread beyond eof", pread(fd, buf, 10, 5000));
    res("pread negative offset", pread(fd, buf, 1, -1));
    res("pwrite negative offset", pwrite(fd, "q", 1, -1));
    res("offset still 3 again", lseek(fd, 0, SEEK_CUR));

    say("== readv/writev\n");
    lseek(fd, 0, SEEK_SET);
    struct iovec wv[3] = {{"one ", 4}, {"two ", 4}, {"three\n", 6}};
    res("writev 3", writev(fd, wv, 3));
    res("offset after writev", lseek(fd, 0, SEEK_CUR));
    char a[3], b[4], c[100];
    struct iovec rv[3] = {{a, 3}, {b, 4}, {c, 100}};
    lseek(fd, 0, SEEK_SET);
    n = readv(fd, rv, 3);
    res("readv 3", n);
    print_escaped("readv a", a, 3);
    print_escaped("readv b", b, 4);
    print_escaped("readv c", c, n - 7 > 0 ? (n - 7 > 20 ? 20 : n - 7) : 0);
    res("readv iovcnt 0", readv(fd, rv, 0));
    res("writev iovcnt 0", writev(fd, wv, 0));
    res("readv iovcnt -1", syscall(SYS_readv, fd, rv, -1));
    static struct iovec many[1025];
    for (int i = 0; i < 1025; i++)
        many[i] = (struct iovec){buf, 1};
    res("writev iovcnt 1024", writev(fd, many, 1024));
    res("writev iovcnt 1025", writev(fd, many, 1025));
    struct iovec huge[2] = {{buf, (size_t)1 << 62}, {buf, (size_t)1 << 62}};
    res("writev len overflow", writev(fd, huge, 2));
    struct iovec zero_len[2] = {{NULL, 0}, {"ok", 2}};
    res("writev NULL base len 0", writev(fd, zero_len, 2));
    struct iovec partial[2] = {{"abc", 3}, {BADPTR, 10}};
    lseek(fd, 0, SEEK_SET);
    res("writev good+bad iov", writev(fd, partial, 2));
    lseek(fd, 0, SEEK_SET);
    struct iovec rpartial[2] = {{a, 3}, {BADPTR, 10}};
    res("readv good+bad iov", readv(fd, rpartial, 2));
    res("close", close(fd));
    res("close again", close(fd));

    say("== O_APPEND, O_TRUNC, access modes\n");
    fd = open("new.txt", O_WRONLY | O_APPEND);
    fstat(fd, &st);
    long size0 = st.st_size;
    lseek(fd, 0, SEEK_SET);
    res("append write", write(fd, "END", 3));
    fstat(fd, &st);
    say("append grew by: %ld\n", (long)(st.st_size - size0));
    res("append offset", lseek(fd, 0, SEEK_CUR) - size0);
    res("pwrite on O_APPEND", pwrite(fd, "PW", 2, 0));
    fstat(fd, &st);
    say("pwrite O_APPEND grew by: %ld\n", (long)(st.st_size - size0));
    res("read on O_WRONLY", read(fd, buf, 1));
    close(fd);
    fd = open("new.txt", O_RDONLY | O_TRUNC); /* O_TRUNC with O_RDONLY truncates too */
    fstat(fd, &st);
    say("size after O_RDONLY|O_TRUNC: %ld\n", (long)st.st_size);
    res("write on O_RDONLY", write(fd, "x", 1));
    close(fd);
    fd = open("data.txt", O_ACCMODE); /* access mode 3: neither read nor write */
    rok("open accmode 3", fd);
    res("read accmode 3", read(fd, buf, 1));
    res("write accmode 3", write(fd, "x", 1));
    close(fd);

    say("== open errors\n");
    res("open missing", open("missing.txt", O_RDONLY));
    res("open missing dir component", open("nodir/x", O_RDONLY));
    res("open through file", open("data.txt/x", O_RDONLY));
    res("open dir O_WRONLY", open("sub", O_WRONLY));
    res("open dir O_RDWR", open("sub", O_RDWR));
    res("open dir O_CREAT", open("sub", O_CREAT | O_RDONLY, 0644));
    res("open file O_DIRECTORY", open("data.txt", O_RDONLY | O_DIRECTORY));
    res("open link O_NOFOLLOW", open("link", O_RDONLY | O_NOFOLLOW));
    res("open O_CREAT|O_DIRECTORY", open("nd", O_CREAT | O_DIRECTORY | O_RDWR, 0644));
    res("open empty path", open("", O_RDONLY));
    char longname[300];
    memset(longname, 'n', 299);
    longname[299] = 0;
    res("open long component", open(longname, O_RDONLY));
    static char longpath[5000];
    for (int i = 0; i < 4998; i += 2)
        memcpy(longpath + i, "./", 2);
    res("open path > PATH_MAX", open(longpath, O_RDONLY));
    res("open dangling", open("dangling", O_RDONLY));
    res("open dangling O_CREAT|O_EXCL", open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0600));
    fd = open("dangling", O_CREAT | O_WRONLY, 0600); /* creates the target */
    rok("open dangling O_CREAT", fd);
    close(fd);
    rok("target created", stat("target-created", &st));
    say("target mode: %o\n", st.st_mode & 07777);
    rok("open dir O_DIRECTORY", fd = open("sub", O_RDONLY | O_DIRECTORY));
    res("read on directory", read(fd, buf, 1));
    close(fd);
    rok("open symlink to dir O_DIRECTORY", fd = open("sublink", O_RDONLY | O_DIRECTORY));
    close(fd);

    say("== reading through links and dirfds\n");
    show_file("via link", "link");
    show_file("sub/a.txt", "sub/a.txt");
    show_file("via ../", "sub/../data.txt");
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    fd = openat(dfd, "b.txt", O_RDONLY);
    n = read(fd, buf, sizeof buf);
    print_escaped("openat dirfd b.txt", buf, n);
    close(fd);
    fd = openat(dfd, "../data.txt", O_RDONLY);
    n = read(fd, buf, sizeof buf);
    print_escaped("openat dirfd ../data.txt", buf, n);
    res("openat file as dirfd", openat(fd, "x", O_RDONLY));
    close(fd);
    fd = openat(AT_FDCWD, "data.txt", O_RDONLY);
    rok("openat AT_FDCWD", fd);
    close(fd);

    say("== O_CLOEXEC, O_PATH, legacy open/creat\n");
    fd = open("data.txt", O_RDONLY | O_CLOEXEC);
    res("O_CLOEXEC F_GETFD", fcntl(fd, F_GETFD));
    close(fd);
    fd = open("data.txt", O_PATH);
    res("read O_PATH", read(fd, buf, 1));
    rok("fstat O_PATH", fstat(fd, &st));
    say("O_PATH size: %ld\n", (long)st.st_size);
    close(fd);
    fd = syscall(SYS_open, "data.txt", O_RDONLY);
    res("SYS_open fd", fd);
    n = read(fd, buf, 5);
    print_escaped("SYS_open read", buf, n);
    close(fd);
    fd = syscall(SYS_creat, "creat.txt", 0640);
    res("SYS_creat fd", fd);
    res("write creat", write(fd, "created\n", 8));
    res("read creat (write-only)", read(fd, buf, 1));
    close(fd);
    fd = syscall(SYS_creat, "creat.txt", 0600); /* truncates existing */
    fstat(fd, &st);
    say("creat existing: size %ld mode %o\n", (long)st.st_size, st.st_mode & 07777);
    close(fd);
    show_file("data.txt unchanged", "data.txt");
    fd = open("data.txt", O_RDONLY | 0x40000000); /* unknown flag bits are ignored by open */
    rok("open unknown flag bit", fd);
    close(fd);
    say("== lowest free fd\n");
    int f1 = open("data.txt", O_RDONLY), f2 = open("data.txt", O_RDONLY), f3 = open("data.txt", O_RDONLY);
    say("fds: %d %d %d\n", f1, f2, f3);
    close(f2);
    say("reused: %d\n", open("data.txt", O_RDONLY));
    return 0;
}
