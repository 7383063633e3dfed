/* fcntl (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD/SETFD, F_GETFL/SETFL), dup, dup2,
 * dup3, close_range.  argv[1]: scratch directory prepared by the test. */
#include "common.h"
#include <linux/close_range.h>

static void open_fds(const char *label)
{
    printf("%s:", label);
    for (int fd = 0; fd < 256; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            printf(" %d", fd);
    printf("\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    int fd = open("data.txt", O_RDWR);
    res("open fd", fd);

    say("== F_GETFD/F_SETFD\n");
    res("F_GETFD", fcntl(fd, F_GETFD));
    res("F_SETFD CLOEXEC", fcntl(fd, F_SETFD, FD_CLOEXEC));
    res("F_GETFD", fcntl(fd, F_GETFD));
    res("F_SETFD 0xff", fcntl(fd, F_SETFD, 0xff));
    res("F_GETFD only CLOEXEC kept", fcntl(fd, F_GETFD));
    res("F_SETFD 0", fcntl(fd, F_SETFD, 0));
    res("F_GETFD", fcntl(fd, F_GETFD));

    say("== F_GETFL/F_SETFL\n");
    say("F_GETFL: %#x\n", fcntl(fd, F_GETFL));
    res("F_SETFL APPEND|NONBLOCK", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
    say("F_GETFL: %#x\n", fcntl(fd, F_GETFL));
    res("F_SETFL O_WRONLY (accmode ignored)", fcntl(fd, F_SETFL, O_WRONLY));
    say("F_GETFL: %#x\n", fcntl(fd, F_GETFL));
    res("F_SETFL O_CREAT|O_TRUNC (ignored)", fcntl(fd, F_SETFL, O_CREAT | O_TRUNC | O_EXCL));
    say("F_GETFL: %#x\n", fcntl(fd, F_GETFL));
    int ro = open("data.txt", O_RDONLY);
    say("F_GETFL O_RDONLY: %#x\n", fcntl(ro, F_GETFL));
    int wo = open("w.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
    say("F_GETFL O_WRONLY|O_APPEND: %#x\n", fcntl(wo, F_GETFL));
    int dirfd = open("sub", O_RDONLY | O_DIRECTORY);
    say("F_GETFL O_DIRECTORY: %#x\n", fcntl(dirfd, F_GETFL));
    int pfd = open("data.txt", O_PATH);
    say("F_GETFL O_PATH: %#x\n", fcntl(pfd, F_GETFL));
    res("F_GETFD on O_PATH", fcntl(pfd, F_GETFD));
    res("F_DUPFD on O_PATH", fcntl(pfd, F_DUPFD, 0));
    res("bad cmd", fcntl(fd, 9999));
    res("bad cmd on bad fd", fcntl(999, 9999));

    say("== F_DUPFD\n");
    res("F_DUPFD 0", fcntl(fd, F_DUPFD, 0));
    res("F_DUPFD 10", fcntl(fd, F_DUPFD, 10));
    res("F_DUPFD 10 again", fcntl(fd, F_DUPFD, 10));
    int d20 = fcntl(fd, F_DUPFD_CLOEXEC, 20);
    res("F_DUPFD_CLOEXEC 20", d20);
    res("F_GETFD of CLOEXEC dup", fcntl(d20, F_GETFD));
    res("F_DUPFD -1", fcntl(fd, F_DUPFD, -1));
    res("F_DUPFD 1<<30", fcntl(fd, F_DUPFD, 1 << 30));
    res("F_DUPFD_CLOEXEC 1<<30", fcntl(fd, F_DUPFD_CLOEXEC, 1 << 30));
    open_fds("fds");

    say("== dup/dup2/dup3\n");
    res("dup", dup(fd));
    res("dup bad", dup(999));
    res("dup2 same fd", dup2(fd, fd));
    res("dup2 bad same fd", dup2(999, 999));
    res("dup2 to 50", dup2(fd, 50));
    res("dup2 over open fd 10", dup2(ro, 10));
    say("fd 10 now O_RDONLY: %s\n", (fcntl(10, F_GETFL) & O_ACCMODE) == O_RDONLY ? "yes" : "BAD");
    res("dup2 to -1", dup2(fd, -1));
    res("dup2 CLOEXEC not copied", (dup2(d20, 51), fcntl(51, F_GETFD)));
    res("dup3 same fd", syscall(SYS_dup3, fd, fd, 0));
    res("dup3 O_CLOEXEC", syscall(SYS_dup3, fd, 60, O_CLOEXEC));
    res("F_GETFD 60", fcntl(60, F_GETFD));
    res("dup3 bad flags", syscall(SYS_dup3, fd, 61, 0x1));
    res("dup3 bad flags O_NONBLOCK", syscall(SYS_dup3, fd, 61, O_NONBLOCK));
    res("fd 61 not opened", fcntl(61, F_GETFD));
    res("raw dup2 same fd", syscall(SYS_dup2, fd, fd));
    res("raw dup2 bad same fd", syscall(SYS_dup2, 999, 999));
    open_fds("fds");

    say("== shared state between duplicates\n");
    int a = open("shared.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int b = dup(a);
    write(a, "0123456789", 10);
    res("dup shares offset", lseek(b, 0, SEEK_CUR));
    lseek(b, 3, SEEK_SET);
    res("offset seen via original", lseek(a, 0, SEEK_CUR));
    fcntl(a, F_SETFL, O_APPEND);
    say("dup shares status flags: %s\n", (fcntl(b, F_GETFL) & O_APPEND) ? "yes" : "no");
    fcntl(a, F_SETFD, FD_CLOEXEC);
    res("dup does not share FD_CLOEXEC", fcntl(b, F_GETFD));
    close(a);
    res("dup survives close of original", write(b, "x", 1));
    int c = open("shared.txt", O_RDONLY);
    res("independent open has own offset", lseek(c, 0, SEEK_CUR));
    close(b);
    close(c);

    say("== close_range\n");
    res("close_range 10..20", syscall(SYS_close_range, 10, 20, 0));
    res("fd 10 closed", fcntl(10, F_GETFD));
    res("fd 20 closed", fcntl(20, F_GETFD));
    res("fd 50 still open", fcntl(50, F_GETFD));
    res("close_range CLOEXEC 50..59", syscall(SYS_close_range, 50, 59, CLOSE_RANGE_CLOEXEC));
    res("fd 50 cloexec", fcntl(50, F_GETFD));
    res("fd 51 cloexec", fcntl(51, F_GETFD));
    res("close_range first > last", syscall(SYS_close_range, 5, 4, 0));
    res("close_range bad flags", syscall(SYS_close_range, 0, ~0U, 0x80));
    res("close_range UNSHARE 1000..2000", syscall(SYS_close_range, 1000, 2000, CLOSE_RANGE_UNSHARE));
    res("close_range nothing open", syscall(SYS_close_range, 500, 600, 0));
    open_fds("fds before close_range 3..~0");
    res("close_range 3..~0", syscall(SYS_close_range, 3, ~0U, 0));
    open_fds("fds after");
    res("new fd is 3", open("data.txt", O_RDONLY));
    return 0;
}
