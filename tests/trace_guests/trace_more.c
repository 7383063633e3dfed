/* Guest for test_trace_strace: sockets and descriptor passing, vectors, directories,
   timers and handlers, alternate stacks, epoll, eventfd, prctl. argv[1]: a scratch dir. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) { (void)sig; alarms++; }

int main(int argc, char **argv)
{
    char buf[512];
    if (argc < 2 || chdir(argv[1]) != 0)
        return 2;

    /* a file passed over a socket pair */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    int fd = open("data", O_CREAT | O_RDWR | O_EXCL, 0600);
    write(fd, "0123456789", 10);
    fchmod(fd, 0644);
    char c = 'x';
    struct iovec iov = {&c, 1};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.b;
    msg.msg_controllen = sizeof ctl.b;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    sendmsg(sv[0], &msg, 0);
    close(fd);
    char r;
    struct iovec riov = {&r, 1};
    struct msghdr rmsg = {0};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } rctl;
    rmsg.msg_iov = &riov;
    rmsg.msg_iovlen = 1;
    rmsg.msg_control = rctl.b;
    rmsg.msg_controllen = sizeof rctl.b;
    recvmsg(sv[1], &rmsg, 0);
    int got;
    memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&rmsg)), sizeof got);
    char a[4], b[6];
    struct iovec two[2] = {{a, sizeof a}, {b, sizeof b}};
    preadv(got, two, 2, 0);
    close(got);
    send(sv[0], "ping", 4, MSG_NOSIGNAL);
    recv(sv[1], buf, sizeof buf, 0);
    shutdown(sv[0], SHUT_WR);
    close(sv[0]);
    close(sv[1]);

    /* a directory */
    mkdir("sub", 0755);
    symlink("data", "link");
    readlink("link", buf, sizeof buf);
    DIR *d = opendir(".");
    int entries = 0;
    while (readdir(d))
        entries++;
    closedir(d);
    unlink("link");
    unlink("data");
    rmdir("sub");

    /* an alarm caught on an alternate stack, sigsuspend */
    stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGALRM, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* epoll on an eventfd, prctl, limits, scheduling */
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = efd};
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
    unsigned long long one = 1;
    write(efd, &one, sizeof one);
    struct epoll_event out;
    epoll_wait(ep, &out, 1, 1000);
    read(efd, &one, sizeof one);
    close(ep);
    close(efd);
    prctl(PR_SET_NAME, "tracer-test");
    char name[16];
    prctl(PR_GET_NAME, name);
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    getrlimit(RLIMIT_CORE, &rl);
    int p[2];
    pipe(p);
    write(p[1], "abc", 3);
    int avail;
    ioctl(p[0], FIONREAD, &avail);
    dup3(p[0], 10, O_CLOEXEC);
    close(10);
    close(p[0]);
    close(p[1]);
    printf("entries %d alarms %d avail %d name %s %.4s%.6s\n", entries, alarms, avail, name,
           a, b);
    return 0;
}
