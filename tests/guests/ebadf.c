/* Bad file descriptors: EBADF (and friends) for every fd-taking call.
 * argv[1]: scratch directory. */
#include "common.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/uio.h>

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    char buf[256];
    struct stat st;
    struct statfs sfs;
    struct iovec iov = {buf, sizeof buf};

    static const int bad[] = {-1, 999, 1023, 65536, 0x7fffffff};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd = bad[i];
        char l[64];
        say("-- fd %d\n", fd);
#define T(name, expr) snprintf(l, sizeof l, "%s", name), res(l, (expr))
        T("read", syscall(SYS_read, fd, buf, 1));
        T("write", syscall(SYS_write, fd, "x", 1));
        T("pread64", syscall(SYS_pread64, fd, buf, 1, 0));
        T("pwrite64", syscall(SYS_pwrite64, fd, "x", 1, 0));
        T("readv", syscall(SYS_readv, fd, &iov, 1));
        T("writev", syscall(SYS_writev, fd, &iov, 1));
        T("close", syscall(SYS_close, fd));
        T("lseek", syscall(SYS_lseek, fd, 0, SEEK_SET));
        T("fstat", syscall(SYS_fstat, fd, &st));
        T("newfstatat empty", syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH));
        T("newfstatat rel", syscall(SYS_newfstatat, fd, "data.txt", &st, 0));
        T("statx rel", syscall(SYS_statx, fd, "data.txt", 0, 0x7ff, buf));
        T("openat rel", syscall(SYS_openat, fd, "data.txt", O_RDONLY));
        T("faccessat rel", syscall(SYS_faccessat, fd, "data.txt", F_OK));
        T("readlinkat rel", syscall(SYS_readlinkat, fd, "link", buf, sizeof buf));
        T("getdents64", syscall(SYS_getdents64, fd, buf, sizeof buf));
        T("fchdir", syscall(SYS_fchdir, fd));
        T("fcntl F_GETFD", syscall(SYS_fcntl, fd, F_GETFD));
        T("fcntl F_GETFL", syscall(SYS_fcntl, fd, F_GETFL));
        T("fcntl F_DUPFD", syscall(SYS_fcntl, fd, F_DUPFD, 0));
        T("dup", syscall(SYS_dup, fd));
        T("dup2 from bad", syscall(SYS_dup2, fd, 20));
        T("dup3 from bad", syscall(SYS_dup3, fd, 20, 0));
        T("ioctl FIONREAD", syscall(SYS_ioctl, fd, FIONREAD, buf));
        T("ioctl TCGETS", syscall(SYS_ioctl, fd, TCGETS, buf));
        T("fstatfs", syscall(SYS_fstatfs, fd, &sfs));
        T("mmap file", (long)syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0));
#undef T
    }

    say("-- special cases\n");
    /* absolute paths ignore dirfd, even a bad one */
    char abs[4096];
    snprintf(abs, sizeof abs, "%s/data.txt", argv[1]);
    rok("openat abs with bad dirfd", syscall(SYS_openat, 999, abs, O_RDONLY));
    /* anonymous mmap ignores the fd */
    long p = syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 999, 0);
    rok("mmap anon with bad fd", p == -1 ? -1 : 0);
    /* dup2 to an fd beyond the limit */
    res("dup2 to -1", syscall(SYS_dup2, 1, -1));
    res("dup2 to 1<<30", syscall(SYS_dup2, 1, 1 << 30));
    res("dup3 to 1<<30", syscall(SYS_dup3, 1, 1 << 30, 0));

    /* fds of the wrong kind */
    int ro = open("data.txt", O_RDONLY);
    int wo = open("w.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int pa = open("data.txt", O_PATH);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    res("write on O_RDONLY", write(ro, "x", 1));
    res("pwrite on O_RDONLY", pwrite(ro, "x", 1, 0));
    res("writev on O_RDONLY", writev(ro, &iov, 1));
    res("read on O_WRONLY", read(wo, buf, 1));
    res("pread on O_WRONLY", pread(wo, buf, 1, 0));
    res("readv on O_WRONLY", readv(wo, &iov, 1));
    res("read on O_PATH", read(pa, buf, 1));
    res("write on O_PATH", write(pa, "x", 1));
    rok("fstat on O_PATH", fstat(pa, &st));
    res("ioctl on O_PATH", ioctl(pa, FIONREAD, buf));
    res("fchdir on O_PATH file", syscall(SYS_fchdir, pa));
    res("getdents64 on O_PATH", syscall(SYS_getdents64, pa, buf, sizeof buf));
    res("write on directory", write(dir, "x", 1));
    res("read on directory", read(dir, buf, 1));
    res("pread on directory", pread(dir, buf, 1, 0));
    res("mmap O_WRONLY file", (long)syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, wo, 0));
    res("mmap O_PATH file", (long)syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, pa, 0));
    /* closed fds are bad fds */
    int tmp = dup(ro);
    res("close dup", close(tmp));
    res("close again", close(tmp));
    res("read closed", read(tmp, buf, 1));
    res("fstat closed", fstat(tmp, &st));
    return 0;
}
