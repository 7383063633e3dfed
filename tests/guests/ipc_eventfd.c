/* eventfd(2)/eventfd2(2): counter semantics, EFD_SEMAPHORE, EFD_NONBLOCK,
 * short buffers, overflow, blocking reads woken by another process, poll. */
#include "common.h"
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

static void rd(const char *label, int fd)
{
    uint64_t v = 0;
    long r = read(fd, &v, 8);
    if (r == -1)
        res(label, r);
    else
        say("%s: %ld value %llu\n", label, r, (unsigned long long)v);
}

static void wr(const char *label, int fd, uint64_t v)
{
    res(label, write(fd, &v, 8));
}

static void pollmask(const char *label, int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    int r = poll(&p, 1, 0);
    say("%s: %d revents %#x\n", label, r, p.revents);
}

int main(void)
{
    say("== basics\n");
    int fd = eventfd(5, EFD_NONBLOCK);
    rok("eventfd", fd);
    say("F_GETFL: %#x\n", fcntl(fd, F_GETFL));
    res("F_GETFD", fcntl(fd, F_GETFD));
    char link[64] = {0};
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    long n = readlink(path, link, sizeof link - 1);
    say("readlink: %ld %s\n", n, n > 0 ? link : "");
    pollmask("poll 5", fd);
    rd("read", fd);
    rd("read empty", fd);
    pollmask("poll 0", fd);
    wr("write 3", fd, 3);
    wr("write 4", fd, 4);
    rd("read sum", fd);
    uint32_t small = 1;
    res("write 4 bytes", write(fd, &small, 4));
    res("read 4 bytes", read(fd, &small, 4));
    char big[16] = {0};
    big[0] = 9;
    res("write 16 bytes", write(fd, big, 16));
    res("read 16 bytes", read(fd, big, 16));
    say("big[0]: %d\n", big[0]);
    wr("write max", fd, UINT64_MAX);
    wr("write max-1", fd, UINT64_MAX - 1);
    pollmask("poll full", fd);
    wr("write 1 overflow", fd, 1);
    wr("write 0 while full", fd, 0);
    rd("read full", fd);
    wr("write 0", fd, 0);
    rd("read after 0", fd);
    close(fd);

    say("== semaphore\n");
    fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    res("F_GETFD", fcntl(fd, F_GETFD));
    rd("sem read", fd);
    rd("sem read", fd);
    rd("sem read empty", fd);
    wr("sem write 3", fd, 3);
    rd("sem read", fd);
    close(fd);

    say("== flags\n");
    res("eventfd2 bad flags", eventfd(0, 0x10));
    res("eventfd2 O_RDWR", eventfd(0, O_RDWR));
    res("syscall eventfd", syscall(SYS_eventfd, 7));

    say("== blocking\n");
    fd = eventfd(0, 0);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        uint64_t v = 42;
        write(fd, &v, 8);
        _exit(0);
    }
    rd("blocking read", fd);
    int st;
    waitpid(pid, &st, 0);
    say("child: %d\n", WEXITSTATUS(st));
    /* a writer blocked on a full counter is released by a read */
    wr("fill", fd, UINT64_MAX - 1);
    pid = fork();
    if (pid == 0) {
        uint64_t v = 5;
        long r = write(fd, &v, 8);
        _exit(r == 8 ? 0 : 1);
    }
    usleep(50000);
    rd("drain", fd);
    waitpid(pid, &st, 0);
    say("child write ok: %d\n", WEXITSTATUS(st) == 0);
    rd("after child", fd);
    return 0;
}
