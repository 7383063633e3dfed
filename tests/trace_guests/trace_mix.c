/* Guest for test_trace_strace: a deterministic mix of common calls whose strace -f lines
   are compared with umlskas's --trace (files, pipes, fork/wait, signals, limits, poll).
   argv[1]: a scratch directory. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig) { got = sig; }

int main(int argc, char **argv)
{
    char path[4096], buf[256];
    if (argc < 2)
        return 2;
    if (chdir(argv[1]) != 0)
        return 3;
    snprintf(path, sizeof path, "%s/f.txt", argv[1]);

    /* files */
    umask(022);
    int fd = openat(AT_FDCWD, "f.txt", O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0640);
    write(fd, "hello, trace\n", 13);
    struct iovec iov[2] = {{"ab", 2}, {"cdef\n", 5}};
    writev(fd, iov, 2);
    close(fd);
    fd = open("f.txt", O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    read(fd, buf, sizeof buf);
    lseek(fd, 2, SEEK_SET);
    pread(fd, buf, 4, 1);
    fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_GETFD);
    close(fd);
    access("f.txt", R_OK | W_OK);
    access("nonexistent", F_OK);
    stat(path, &st);
    mkdir("d", 0750);
    rmdir("d");
    rename("f.txt", "g.txt");
    unlink("g.txt");
    getcwd(buf, sizeof buf);

    /* limits and names */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct utsname un;
    uname(&un);

    /* signals */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);

    /* pipes, poll, fork, wait */
    int p[2];
    pipe2(p, O_CLOEXEC);
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        write(p[1], "from child\n", 11);
        _exit(7);
    }
    close(p[1]);
    struct pollfd pfd = {p[0], POLLIN, 0};
    poll(&pfd, 1, 5000);
    ssize_t n = read(p[0], buf, sizeof buf);
    int status;
    waitpid(child, &status, 0);
    close(p[0]);

    pipe(p);
    pid_t victim = fork();
    if (victim == 0) {
        write(p[1], "r", 1);            /* ready: the parent kills it in pause() */
        for (;;)
            pause();
    }
    read(p[0], buf, 1);
    struct timespec settle = {0, 50000000};
    nanosleep(&settle, NULL);           /* natively the child must reach pause() */
    kill(victim, SIGTERM);
    waitpid(victim, &status, 0);
    close(p[0]);
    close(p[1]);

    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    dup2(1, 5);
    close(5);
    printf("read %zd, got %d, status %d\n", n, got, WTERMSIG(status));
    return 0;
}
