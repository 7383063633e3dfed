/* pidfd_getfd(2), process_vm_readv/writev(2), process_madvise(2), process_mrelease(2)
 * between a parent and its child: copies across iovecs, partial copies at a hole, the
 * argument checks, and the permission rule after the child changes its uid. */
#define _GNU_SOURCE
#include "common.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

static char secret[64] = "the child's own words";
static long pidfd_open(pid_t pid) { return syscall(SYS_pidfd_open, pid, 0); }
static long pidfd_getfd(int pfd, int fd) { return syscall(SYS_pidfd_getfd, pfd, fd, 0); }

int main(void)
{
    int sync[2], back[2];
    pipe(sync);
    pipe(back);
    char *region = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(region, 'r', 3 * PG);
    munmap(region + PG, PG);                    /* a hole in the middle */
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(secret, "changed in the child");
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 42);
        char c;
        write(back[1], "r", 1);
        read(sync[0], &c, 1);                   /* wait for the parent's reads */
        say("child sees: %s\n", secret);
        write(back[1], "r", 1);
        read(sync[0], &c, 1);
        _exit(0);
    }
    char c;
    read(back[0], &c, 1);

    say("== process_vm_readv\n");
    char a[8] = {0}, b[32] = {0};
    struct iovec local[2] = {{a, 7}, {b, 30}};
    struct iovec remote[1] = {{secret, 20}};
    res("readv", process_vm_readv(pid, local, 2, remote, 1, 0));
    say("got: '%s' '%s'\n", a, b);
    struct iovec r2[2] = {{region, PG}, {region + 2 * PG, PG}};
    char *big = malloc(2 * PG);
    struct iovec l2 = {big, 2 * PG};
    res("readv two remote pages", process_vm_readv(pid, &l2, 1, r2, 2, 0));
    struct iovec hole = {region + PG - 10, 100};
    res("readv up to a hole", process_vm_readv(pid, &l2, 1, &hole, 1, 0));
    struct iovec inhole = {region + PG, 10};
    res("readv in the hole", process_vm_readv(pid, &l2, 1, &inhole, 1, 0));
    res("flags", process_vm_readv(pid, local, 2, remote, 1, 1));
    res("no such pid", process_vm_readv(999999, local, 2, remote, 1, 0));
    res("liovcnt 1025", process_vm_readv(pid, local, 1025, remote, 1, 0));
    res("riovcnt 1025", process_vm_readv(pid, local, 2, remote, 1025, 0));
    res("local EFAULT", process_vm_readv(pid, BADPTR, 1, remote, 1, 0));
    struct iovec badlocal = {BADPTR, 10};
    res("local bad buffer", process_vm_readv(pid, &badlocal, 1, remote, 1, 0));
    res("nothing to copy", process_vm_readv(pid, local, 0, remote, 1, 0));
    struct iovec kernel = {KERNPTR, 10};
    res("remote kernel address", process_vm_readv(pid, local, 2, &kernel, 1, 0));

    say("== process_vm_writev\n");
    char msg[] = "written by the parent";
    struct iovec wl = {msg, sizeof msg};
    struct iovec wr = {secret, sizeof msg};
    res("writev", process_vm_writev(pid, &wl, 1, &wr, 1, 0));
    struct iovec code = {(void *)main, 4};
    res("writev to text", process_vm_writev(pid, &wl, 1, &code, 1, 0));

    say("== pidfd_getfd\n");
    int pfd = pidfd_open(pid);
    int got = pidfd_getfd(pfd, 42);
    say("getfd: %s\n", got >= 0 ? "ok" : "BAD");
    res("cloexec", fcntl(got, F_GETFD));
    char link[64] = {0}, path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", got);
    readlink(path, link, sizeof link - 1);
    say("is: %s\n", link);
    res("getfd bad target fd", pidfd_getfd(pfd, 77));
    res("getfd negative fd", pidfd_getfd(pfd, -1));
    res("getfd flags", syscall(SYS_pidfd_getfd, pfd, 42, 1));
    res("getfd not a pidfd", pidfd_getfd(0, 42));
    res("getfd bad pidfd", pidfd_getfd(999, 42));

    say("== process_madvise / process_mrelease\n");
    struct iovec mv = {region, PG};
    res("madvise COLD", syscall(SYS_process_madvise, pfd, &mv, 1, MADV_COLD, 0));
    res("madvise DONTNEED", syscall(SYS_process_madvise, pfd, &mv, 1, MADV_DONTNEED, 0));
    res("madvise flags", syscall(SYS_process_madvise, pfd, &mv, 1, MADV_COLD, 1));
    struct iovec unaligned = {region + 1, PG};
    res("madvise unaligned", syscall(SYS_process_madvise, pfd, &unaligned, 1, MADV_COLD, 0));
    res("madvise hole", syscall(SYS_process_madvise, pfd, &inhole, 1, MADV_COLD, 0));
    res("mrelease of a live process", syscall(SYS_process_mrelease, pfd, 0));
    res("mrelease flags", syscall(SYS_process_mrelease, pfd, 1));

    write(sync[1], "g", 1);
    read(back[0], &c, 1);
    pid_t child2 = fork();
    if (child2 == 0) {
        setresuid(65534, 65534, 65534);
        res("user readv of root's process", process_vm_readv(pid, local, 2, remote, 1, 0));
        res("user pidfd_getfd", pidfd_getfd(pfd, 42));
        _exit(0);
    }
    waitpid(child2, NULL, 0);
    write(sync[1], "g", 1);
    waitpid(pid, NULL, 0);
    res("readv of a reaped child", process_vm_readv(pid, local, 2, remote, 1, 0));
    res("getfd of a reaped child", pidfd_getfd(pfd, 42));
    return 0;
}
