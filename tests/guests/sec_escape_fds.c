/* Host fds: a guest reaching for fds it was never given (the kernel's, the stub's) with every
 * kind of fd-taking call, high fd numbers, /proc/self/fd and /dev/fd listings, and
 * close_range over everything. Safe natively (it only uses its own fds and /dev/null):
 * native Linux, started with fds 0-2 only, is the oracle.
 * tests/guests/fdscan.c already scans with F_GETFD; this one tries to *use* the fds.
 */
/* build: static */
#include "common.h"
#include <dirent.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void list_dir(const char *label, const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        say("%s: -1 %s\n", label, ename(errno));
        return;
    }
    int self = dirfd(d);
    char names[64][300];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        if (e->d_name[0] == '.')
            continue;
        if (atoi(e->d_name) == self)
            continue;                      /* the listing's own fd */
        snprintf(names[n++], 300, "%s", e->d_name);
    }
    closedir(d);
    /* sort numerically */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (atoi(names[j]) < atoi(names[i])) {
                char t[300];
                memcpy(t, names[i], 300);
                memcpy(names[i], names[j], 300);
                memcpy(names[j], t, 300);
            }
    printf("%s:", label);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
    fflush(stdout);
}

int main(void)
{
    /* Every fd-taking call on every fd the guest did not open. Some of them change what an
     * fd names (fchmod, ftruncate...): they run only when a harmless scan finds no fd >= 3,
     * so that a native run with inherited fds (a shell's /dev/null, say) can never damage
     * anything. Under umlskas a host fd that F_GETFD reports is a finding by itself. */
    int used = 0, inherited = 0;
    char buf[16];
    struct stat st;
    for (int fd = 3; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
            inherited++;
            say("fd %d is open at start: no changing call will be made\n", fd);
        }
    for (int fd = 3; fd < 1024 && !inherited; fd++) {
#define EBADF_OR_COUNT(name, call)                                                  \
        do {                                                                        \
            errno = 0;                                                              \
            long r_ = (long)(call);                                                 \
            if (!(r_ == -1 && errno == EBADF) && used++ < 5)                        \
                say("fd %d %s: %ld %s\n", fd, name, r_, r_ == -1 ? ename(errno) : ""); \
        } while (0)
        EBADF_OR_COUNT("fstat", fstat(fd, &st));
        EBADF_OR_COUNT("lseek", lseek(fd, 0, SEEK_CUR));
        EBADF_OR_COUNT("read", read(fd, buf, 0));
        EBADF_OR_COUNT("write", write(fd, buf, 0));
        EBADF_OR_COUNT("pread", pread(fd, buf, 1, 0));
        EBADF_OR_COUNT("ioctl FIONREAD", ioctl(fd, FIONREAD, buf));
        EBADF_OR_COUNT("fchdir", fchdir(fd));
        EBADF_OR_COUNT("openat", openat(fd, "x", O_RDONLY));
        EBADF_OR_COUNT("fchmod", fchmod(fd, 0777));
        EBADF_OR_COUNT("fchown", fchown(fd, 0, 0));
        EBADF_OR_COUNT("ftruncate", ftruncate(fd, 0));
        EBADF_OR_COUNT("fsync", fsync(fd));
        EBADF_OR_COUNT("dup", dup(fd));
        EBADF_OR_COUNT("dup2", dup2(fd, 1023));
        EBADF_OR_COUNT("fcntl F_GETFL", fcntl(fd, F_GETFL));
        EBADF_OR_COUNT("flock", flock(fd, LOCK_SH | LOCK_NB));
        EBADF_OR_COUNT("mmap", mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0);
        EBADF_OR_COUNT("getdents64", syscall(SYS_getdents64, fd, buf, sizeof buf));
        EBADF_OR_COUNT("shutdown", shutdown(fd, SHUT_RDWR));
        EBADF_OR_COUNT("fstatfs", syscall(SYS_fstatfs, fd, buf));
        EBADF_OR_COUNT("fgetxattr", syscall(SYS_fgetxattr, fd, "user.x", buf, sizeof buf));
        EBADF_OR_COUNT("sendfile out", sendfile(fd, 0, NULL, 1));
        EBADF_OR_COUNT("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "/nonexistent-dir/x", AT_EMPTY_PATH));
    }
    say("calls on fds 3..1023 that were not EBADF: %d\n", used);
    struct pollfd pfd[8];
    for (int i = 0; i < 8; i++)
        pfd[i] = (struct pollfd){.fd = 3 + i * 100, .events = POLLIN | POLLOUT};
    res("poll on fds 3..703", poll(pfd, 8, 0));
    int nval = 0;
    for (int i = 0; i < 8; i++)
        nval += pfd[i].revents == POLLNVAL;
    say("poll POLLNVAL: %d\n", nval);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    res("epoll_ctl add fd 900", epoll_ctl(ep, EPOLL_CTL_ADD, 900, &ev));
    close(ep);

    /* high fd numbers: the guest's own table, whatever the kernel holds */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    res("F_DUPFD 1000", fcntl(1, F_DUPFD, 1000));
    res("dup2 to 1023", dup2(1, 1023));
    write(1023, "written through fd 1023\n", 24);
    res("F_DUPFD at the limit", fcntl(1, F_DUPFD, (int)rl.rlim_cur));
    res("dup2 to the limit", dup2(1, (int)rl.rlim_cur));
    res("dup3 to 1u<<30", dup3(1, 1 << 30, 0));
    list_dir("/proc/self/fd", "/proc/self/fd");
    list_dir("/proc/self/fdinfo", "/proc/self/fdinfo");
    list_dir("/dev/fd", "/dev/fd");
    res("close 1000", close(1000));
    res("close 1023", close(1023));
    res("close 1000 again", close(1000));

    /* close_range over everything, then the kernel must still serve the process */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        long r = syscall(SYS_close_range, 0, ~0U, 0);
        int fd = open("/dev/null", O_RDWR);   /* lowest free: 0 */
        int one = dup(fd), two = dup(fd);
        int p[2];
        int pr = pipe(p);
        _exit(r == 0 && fd == 0 && one == 1 && two == 2 && pr == 0 && p[0] == 3 && p[1] == 4 ? 0 : 1);
    }
    int st2;
    waitpid(c, &st2, 0);
    say("child after close_range(0, ~0): %s\n", WIFEXITED(st2) && WEXITSTATUS(st2) == 0 ? "fds 0-4 as expected" : "BAD");
    res("close_range(3, ~0) in the parent", syscall(SYS_close_range, 3, ~0U, 0));
    res("close_range unshare", syscall(SYS_close_range, 3, ~0U, 2 /* CLOSE_RANGE_UNSHARE */));
    say("stdio still works\n");
    list_dir("/proc/self/fd after close_range", "/proc/self/fd");
    return 0;
}
