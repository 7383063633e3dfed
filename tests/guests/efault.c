/* build: static */
/* Bad user pointers must give EFAULT, never crash the guest or the kernel.
 * argv[1]: scratch directory. Raw syscall() is used wherever glibc (or the
 * vDSO) would touch the pointer itself. */
#include "common.h"
#include <sched.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/sysinfo.h>
#include <sys/statfs.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    int fd = open("data.txt", O_RDONLY);
    int wfd = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char buf[64];

    res("write badptr", syscall(SYS_write, 1, BADPTR, 10));
    res("write kernel ptr", syscall(SYS_write, 1, KERNPTR, 10));
    res("write NULL len 0", syscall(SYS_write, 1, NULL, 0));
    res("write file badptr", syscall(SYS_write, wfd, BADPTR, 10));
    res("read badptr", syscall(SYS_read, fd, BADPTR, 10));
    res("read NULL", syscall(SYS_read, fd, NULL, 10));
    res("read kernel ptr", syscall(SYS_read, fd, KERNPTR, 10));
    res("read still at 0", lseek(fd, 0, SEEK_CUR));
    res("pread badptr", syscall(SYS_pread64, fd, BADPTR, 10, 0));
    res("pwrite badptr", syscall(SYS_pwrite64, wfd, BADPTR, 10, 0));
    res("readv iov badptr", syscall(SYS_readv, fd, BADPTR, 1));
    res("writev iov badptr", syscall(SYS_writev, wfd, BADPTR, 1));
    struct iovec iv = {BADPTR, 10};
    res("readv base badptr", syscall(SYS_readv, fd, &iv, 1));
    res("writev base badptr", syscall(SYS_writev, wfd, &iv, 1));

    res("open path badptr", syscall(SYS_open, BADPTR, O_RDONLY));
    res("openat path badptr", syscall(SYS_openat, AT_FDCWD, BADPTR, O_RDONLY));
    res("openat path NULL", syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY));
    res("creat path badptr", syscall(SYS_creat, BADPTR, 0644));
    res("stat path badptr", syscall(SYS_stat, BADPTR, buf));
    res("lstat path badptr", syscall(SYS_lstat, BADPTR, buf));
    res("stat buf badptr", syscall(SYS_stat, "data.txt", BADPTR));
    res("fstat buf badptr", syscall(SYS_fstat, fd, BADPTR));
    res("newfstatat path badptr", syscall(SYS_newfstatat, AT_FDCWD, BADPTR, buf, 0));
    res("newfstatat buf badptr", syscall(SYS_newfstatat, AT_FDCWD, "data.txt", BADPTR, 0));
    res("statx path badptr", syscall(SYS_statx, AT_FDCWD, BADPTR, 0, 0x7ff, buf));
    res("statx buf badptr", syscall(SYS_statx, AT_FDCWD, "data.txt", 0, 0x7ff, BADPTR));
    res("access path badptr", syscall(SYS_access, BADPTR, F_OK));
    res("faccessat path badptr", syscall(SYS_faccessat, AT_FDCWD, BADPTR, F_OK));
    res("faccessat2 path badptr", syscall(SYS_faccessat2, AT_FDCWD, BADPTR, F_OK, 0));
    res("readlink path badptr", syscall(SYS_readlink, BADPTR, buf, sizeof buf));
    res("readlink buf badptr", syscall(SYS_readlink, "link", BADPTR, 64));
    res("readlinkat buf badptr", syscall(SYS_readlinkat, AT_FDCWD, "link", BADPTR, 64));
    res("chdir badptr", syscall(SYS_chdir, BADPTR));
    res("getcwd buf badptr", syscall(SYS_getcwd, BADPTR, 4096));
    res("getdents64 buf badptr", ({
            int d = open(".", O_RDONLY | O_DIRECTORY);
            long r = syscall(SYS_getdents64, d, BADPTR, 4096);
            int e = errno; close(d); errno = e; r; }));
    res("statfs path badptr", syscall(SYS_statfs, BADPTR, buf));
    res("statfs buf badptr", syscall(SYS_statfs, ".", BADPTR));
    res("fstatfs buf badptr", syscall(SYS_fstatfs, fd, BADPTR));
    res("ioctl FIONREAD badptr", syscall(SYS_ioctl, fd, FIONREAD, BADPTR));

    res("uname badptr", syscall(SYS_uname, BADPTR));
    res("sysinfo badptr", syscall(SYS_sysinfo, BADPTR));
    res("clock_gettime badptr", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BADPTR));
    res("clock_gettime NULL", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, NULL));
    res("clock_getres badptr", syscall(SYS_clock_getres, CLOCK_MONOTONIC, BADPTR));
    res("clock_getres NULL ok", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
    res("gettimeofday badptr", syscall(SYS_gettimeofday, BADPTR, NULL));
    res("time badptr", syscall(SYS_time, BADPTR));
    res("nanosleep req badptr", syscall(SYS_nanosleep, BADPTR, NULL));
    res("getrandom badptr", syscall(SYS_getrandom, BADPTR, 16, 0));
    res("getrandom badptr len 0", syscall(SYS_getrandom, BADPTR, 0, 0));
    res("sched_getaffinity badptr", syscall(SYS_sched_getaffinity, 0, 128, BADPTR));
    res("getrlimit badptr", syscall(SYS_getrlimit, RLIMIT_NOFILE, BADPTR));
    res("prlimit64 new badptr", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, BADPTR, NULL));
    res("prlimit64 old badptr", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, BADPTR));
    res("rt_sigaction act badptr", syscall(SYS_rt_sigaction, SIGUSR1, BADPTR, NULL, 8));
    res("rt_sigaction oact badptr", syscall(SYS_rt_sigaction, SIGUSR1, NULL, BADPTR, 8));
    res("rt_sigprocmask set badptr", syscall(SYS_rt_sigprocmask, SIG_BLOCK, BADPTR, NULL, 8));
    res("rt_sigprocmask oset badptr", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, BADPTR, 8));
    res("arch_prctl GET_FS badptr", syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, BADPTR));

    /* the fds are still fine afterwards */
    res("read after faults", read(fd, buf, 5));
    say("data: %.5s\n", buf);
    return 0;
}
