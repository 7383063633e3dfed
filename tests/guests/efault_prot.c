/* build: static */
/* EFAULT for buffers the guest cannot access with its own page protections:
 * PROT_READ pages used as output, PROT_NONE pages used as input or output,
 * buffers straddling into an unmapped page (partial copies), unterminated
 * paths.  An emulator that touches guest memory through a privileged path
 * (e.g. /proc/pid/mem, which ignores protections) gets these wrong.
 * argv[1]: scratch directory. */
#include "common.h"
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <time.h>

static void outputs(const char *what, void *p)
{
    char l[128];
#define O(name, expr) snprintf(l, sizeof l, "%s into %s", name, what), res(l, (expr))
    int fd = open("data.txt", O_RDONLY);
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    O("read", syscall(SYS_read, fd, p, 5));
    O("pread64", syscall(SYS_pread64, fd, p, 5, 0));
    struct iovec iov = {p, 5};
    O("readv", syscall(SYS_readv, fd, &iov, 1));
    O("stat", syscall(SYS_stat, "data.txt", p));
    O("fstat", syscall(SYS_fstat, fd, p));
    O("newfstatat", syscall(SYS_newfstatat, AT_FDCWD, "data.txt", p, 0));
    O("statx", syscall(SYS_statx, AT_FDCWD, "data.txt", 0, 0x7ff, p));
    O("statfs", syscall(SYS_statfs, ".", p));
    O("fstatfs", syscall(SYS_fstatfs, fd, p));
    O("getdents64", syscall(SYS_getdents64, dfd, p, 4096));
    O("readlink", syscall(SYS_readlink, "link", p, 64));
    O("getcwd", syscall(SYS_getcwd, p, 4096));
    O("uname", syscall(SYS_uname, p));
    O("sysinfo", syscall(SYS_sysinfo, p));
    O("clock_gettime", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p));
    O("clock_getres", syscall(SYS_clock_getres, CLOCK_MONOTONIC, p));
    O("gettimeofday", syscall(SYS_gettimeofday, p, NULL));
    O("time", syscall(SYS_time, p));
    O("getrandom", syscall(SYS_getrandom, p, 16, 0));
    O("sched_getaffinity", syscall(SYS_sched_getaffinity, 0, 128, p));
    O("getrlimit", syscall(SYS_getrlimit, RLIMIT_NOFILE, p));
    O("prlimit64 old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, p));
    O("rt_sigaction oact", syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, 8));
    O("rt_sigprocmask oset", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, 8));
    O("arch_prctl ARCH_GET_FS", syscall(SYS_arch_prctl, 0x1003, p));
    O("ioctl FIONREAD", syscall(SYS_ioctl, fd, 0x541B, p));
    res("file offset unchanged by failed reads", lseek(fd, 0, SEEK_CUR));
    close(fd);
    close(dfd);
#undef O
}

static void inputs(const char *what, void *p)
{
    char l[128];
#define I(name, expr) snprintf(l, sizeof l, "%s from %s", name, what), res(l, (expr))
    int wfd = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    I("write", syscall(SYS_write, wfd, p, 5));
    I("write stdout", syscall(SYS_write, 1, p, 5));
    I("pwrite64", syscall(SYS_pwrite64, wfd, p, 5, 0));
    I("writev iov array", syscall(SYS_writev, wfd, p, 1));
    I("open path", syscall(SYS_open, p, O_RDONLY));
    I("openat path", syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
    I("stat path", syscall(SYS_stat, p, p));
    I("access path", syscall(SYS_access, p, F_OK));
    I("chdir path", syscall(SYS_chdir, p));
    I("nanosleep req", syscall(SYS_nanosleep, p, NULL));
    I("rt_sigaction act", syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8));
    I("rt_sigprocmask set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8));
    I("prlimit64 new", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, p, NULL));
    struct stat st;
    fstat(wfd, &st);
    say("nothing written: size %ld\n", (long)st.st_size);
    close(wfd);
#undef I
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    char *ro = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(ro, 0, PG);
    mprotect(ro, PG, PROT_READ);
    char *none = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(none, "data.txt");
    mprotect(none, PG, PROT_NONE);

    say("== outputs into a PROT_READ page\n");
    outputs("PROT_READ", ro);
    say("== outputs into a PROT_NONE page\n");
    outputs("PROT_NONE", none);
    say("== inputs from a PROT_NONE page\n");
    inputs("PROT_NONE", none);
    mprotect(none, PG, PROT_READ);
    check("PROT_NONE page contents intact", !strcmp(none, "data.txt"));

    say("== partial copies at the end of a mapping\n");
    char *two = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + PG, PG);
    char *edge = two + PG - 5; /* 5 accessible bytes, then a hole */
    int fd = open("data.txt", O_RDONLY);
    res("read 10 across the hole", read(fd, edge, 10));
    print_escaped("bytes read", edge, 5);
    res("offset after partial read", lseek(fd, 0, SEEK_CUR));
    lseek(fd, 0, SEEK_SET);
    res("pread 10 across the hole", pread(fd, edge, 10, 0));
    struct iovec iv[2] = {{edge - 3, 3}, {edge, 10}};
    lseek(fd, 0, SEEK_SET);
    res("readv across the hole", readv(fd, iv, 2));
    memcpy(edge, "ABCDE", 5);
    int wfd = open("partial.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    res("write 10 across the hole", write(wfd, edge, 10));
    res("pwrite 10 across the hole", pwrite(wfd, edge, 10, 100));
    char buf[16];
    long n = pread(wfd, buf, sizeof buf, 0);
    print_escaped("file has", buf, n);
    res("stat into buffer across the hole", syscall(SYS_stat, "data.txt", two + PG - 16));
    res("getcwd across the hole", syscall(SYS_getcwd, edge, 4096));
    res("readlink across the hole", syscall(SYS_readlink, "link", edge, 64));
    res("uname across the hole", syscall(SYS_uname, edge));
    res("getrandom across the hole", syscall(SYS_getrandom, edge, 10, 0));

    say("== unterminated paths\n");
    memset(two, 'p', PG);
    res("open path running into the hole", syscall(SYS_open, two, O_RDONLY));
    res("stat path running into the hole", syscall(SYS_stat, two, buf));
    res("access path running into the hole", syscall(SYS_access, two + PG - 3, F_OK));
    static char longp[4097];
    memset(longp, 'a', 4096);
    longp[4096] = 0;
    res("path of 4096 chars", syscall(SYS_open, longp, O_RDONLY));
    longp[4095] = 0;
    res("path of 4095 chars", syscall(SYS_open, longp, O_RDONLY));
    memcpy(two + PG - 9, "data.txt", 9); /* terminated just before the hole */
    rok("path ending right before the hole", syscall(SYS_open, two + PG - 9, O_RDONLY));
    return 0;
}
