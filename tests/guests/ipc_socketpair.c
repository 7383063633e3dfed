/* socketpair(2) AF_UNIX stream/dgram/seqpacket: data, EOF, EPIPE/SIGPIPE,
 * MSG_NOSIGNAL/DONTWAIT/PEEK/TRUNC, shutdown, socket options and names. */
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

static void rd(const char *label, int fd, int flags, size_t n)
{
    char buf[256];
    long r = recv(fd, buf, n, flags);
    if (r < 0)
        res(label, r);
    else
        print_escaped(label, buf, r < (long)n ? r : (long)n);
}

static void pollmask(const char *label, int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    int r = poll(&p, 1, 0);
    say("%s: %d revents %#x\n", label, r, p.revents);
}

static void opt(const char *label, int fd, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    long r = getsockopt(fd, SOL_SOCKET, name, &v, &len);
    if (r < 0)
        res(label, r);
    else
        say("%s: %d len %u\n", label, v, len);
}

int main(void)
{
    int sv[2], d[2], s[2];
    say("== errors\n");
    res("bad family", socketpair(12345, SOCK_STREAM, 0, sv));
    res("SOCK_RDM", socketpair(AF_UNIX, 4, 0, sv));
    res("bad type", socketpair(AF_UNIX, 99, 0, sv));
    res("bad flags", socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, sv));
    res("bad protocol", socketpair(AF_UNIX, SOCK_STREAM, 7, sv));
    res("bad pointer", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, BADPTR));
    res("not a socket", send(1, "x", 1, 0) == -1 && errno == ENOTSOCK ? -1 : 0);
    res("shutdown bad fd", shutdown(999, SHUT_RD));
    int fd = open("/dev/null", O_RDONLY);
    res("shutdown not socket", shutdown(fd, SHUT_RD));
    close(fd);

    say("== stream\n");
    res("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    say("fds: %d %d\n", sv[0], sv[1]);
    res("F_GETFL", fcntl(sv[0], F_GETFL));
    opt("SO_TYPE", sv[0], SO_TYPE);
    opt("SO_ERROR", sv[0], SO_ERROR);
    opt("SO_DOMAIN", sv[0], SO_DOMAIN);
    opt("SO_ACCEPTCONN", sv[0], SO_ACCEPTCONN);
    opt("SO_SNDBUF", sv[0], SO_SNDBUF);
    int v = 65536;
    res("set SO_SNDBUF", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
    opt("SO_SNDBUF", sv[0], SO_SNDBUF);
    v = 1;
    res("set SO_RCVBUF 1", setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
    opt("SO_RCVBUF", sv[0], SO_RCVBUF);
    res("set short", setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, 2));
    opt("bad option", sv[0], 9999);
    struct ucred cr;
    socklen_t crl = sizeof cr;
    res("SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &crl));
    check("peercred is us", cr.pid == getpid() && cr.uid == getuid() && crl == sizeof cr);
    struct sockaddr_un sa;
    socklen_t sl = sizeof sa;
    memset(&sa, 0x55, sizeof sa);
    res("getsockname", getsockname(sv[0], (struct sockaddr *)&sa, &sl));
    say("len %u family %d\n", sl, sa.sun_family);
    sl = sizeof sa;
    res("getpeername", getpeername(sv[0], (struct sockaddr *)&sa, &sl));
    say("len %u family %d\n", sl, sa.sun_family);
    pollmask("poll idle", sv[0]);
    res("write", write(sv[0], "hello", 5));
    res("send", send(sv[0], " world", 6, 0));
    pollmask("poll data", sv[1]);
    int n = 0;
    ioctl(sv[1], FIONREAD, &n);
    say("FIONREAD: %d\n", n);
    rd("peek", sv[1], MSG_PEEK, 3);
    rd("recv 3", sv[1], 0, 3);
    rd("recv rest", sv[1], 0, 100);
    rd("nonblocking empty", sv[1], MSG_DONTWAIT, 100);
    struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    res("sendmsg", sendmsg(sv[1], &mh, 0));
    char b1[3], b2[8];
    struct iovec riov[2] = {{b1, 3}, {b2, 8}};
    struct msghdr rh = {.msg_iov = riov, .msg_iovlen = 2};
    long r = recvmsg(sv[0], &rh, 0);
    res("recvmsg", r);
    say("got %.3s|%.1s flags %#x controllen %zu\n", b1, b2, rh.msg_flags, rh.msg_controllen);
    res("sendto with address", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa_family_t)));

    say("== shutdown\n");
    res("bad how", shutdown(sv[0], 3));
    res("shut wr", shutdown(sv[0], SHUT_WR));
    pollmask("poll peer after shut wr", sv[1]);
    rd("peer reads eof", sv[1], 0, 10);
    res("write after shut wr", send(sv[0], "x", 1, MSG_NOSIGNAL));
    res("peer can still write", write(sv[1], "back", 4));
    rd("read back", sv[0], 0, 10);
    close(sv[0]);
    close(sv[1]);

    say("== EOF and EPIPE\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "last", 4);
    close(sv[0]);
    pollmask("poll after peer close", sv[1]);
    rd("data before eof", sv[1], 0, 10);
    rd("eof", sv[1], 0, 10);
    res("nosignal write", send(sv[1], "x", 1, MSG_NOSIGNAL));
    signal(SIGPIPE, SIG_IGN);
    res("write ignored sigpipe", write(sv[1], "x", 1));
    signal(SIGPIPE, SIG_DFL);
    pid_t pid = fork();
    if (pid == 0) {
        write(sv[1], "x", 1);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    say("child: signaled %d sig %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    close(sv[1]);
    /* closing with unread data resets the peer */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "unread", 6);
    close(sv[1]);
    opt("SO_ERROR after reset", sv[0], SO_ERROR);
    opt("SO_ERROR again", sv[0], SO_ERROR);
    close(sv[0]);

    say("== nonblocking\n");
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
    say("F_GETFL: %#x F_GETFD: %d\n", fcntl(sv[0], F_GETFL), fcntl(sv[0], F_GETFD));
    rd("empty", sv[0], 0, 10);
    static char big[65536];
    long total = 0;
    for (;;) {
        r = write(sv[0], big, sizeof big);
        if (r < 0)
            break;
        total += r;
    }
    res("full", r);
    check("wrote something", total > 65536);
    pollmask("poll full writer", sv[0]);
    long got = 0;
    while ((r = read(sv[1], big, sizeof big)) > 0)
        got += r;
    check("read it all", got == total);
    pollmask("poll drained writer", sv[0]);
    close(sv[0]);
    close(sv[1]);

    say("== blocking stream across fork\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid = fork();
    if (pid == 0) {
        close(sv[0]);
        char buf[100000];
        long sum = 0;
        while ((r = read(sv[1], buf, sizeof buf)) > 0)
            sum += r;
        printf("child read %ld\n", sum);
        fflush(stdout);
        write(sv[1], "done", 4);
        _exit(0);
    }
    close(sv[1]);
    static char blob[500000];
    res("blocking big write", write(sv[0], blob, sizeof blob));
    shutdown(sv[0], SHUT_WR);
    rd("reply", sv[0], MSG_WAITALL, 4);
    waitpid(pid, &st, 0);
    close(sv[0]);

    say("== dgram\n");
    res("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, d));
    opt("SO_TYPE", d[0], SO_TYPE);
    res("send 1", send(d[0], "one", 3, 0));
    res("send 2", send(d[0], "second", 6, 0));
    res("send empty", send(d[0], "", 0, 0));
    pollmask("poll dgram", d[1]);
    ioctl(d[1], FIONREAD, &n);
    say("FIONREAD: %d\n", n);
    rd("peek", d[1], MSG_PEEK, 100);
    rd("recv", d[1], 0, 100);
    r = recv(d[1], b2, 2, MSG_TRUNC);
    res("recv trunc", r);
    rd("recv empty msg", d[1], 0, 100);
    rd("nonblocking", d[1], MSG_DONTWAIT, 100);
    send(d[0], "truncated", 9, 0);
    char tb[4];
    struct iovec tiov = {tb, 4};
    struct msghdr th = {.msg_iov = &tiov, .msg_iovlen = 1};
    res("recvmsg short", recvmsg(d[1], &th, 0));
    say("flags %#x\n", th.msg_flags);
    res("send 64k", send(d[0], big, sizeof big, 0));
    rd("recv 64k head", d[1], 0, 2);
    close(d[1]);
    res("send to closed", send(d[0], "x", 1, 0));
    res("send again", send(d[0], "x", 1, 0));
    sl = sizeof sa;
    res("getpeername", getpeername(d[0], (struct sockaddr *)&sa, &sl));
    close(d[0]);

    say("== seqpacket\n");
    res("socketpair seqpacket", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s));
    opt("SO_TYPE", s[0], SO_TYPE);
    send(s[0], "abc", 3, 0);
    send(s[0], "defg", 4, 0);
    rd("recv 2 of 3", s[1], 0, 2);
    rd("recv next", s[1], 0, 100);
    send(s[0], "tail", 4, 0);
    close(s[0]);
    pollmask("poll closed peer", s[1]);
    rd("recv tail", s[1], 0, 100);
    rd("recv eof", s[1], 0, 100);
    res("send to closed", send(s[1], "x", 1, MSG_NOSIGNAL));
    close(s[1]);
    return 0;
}
