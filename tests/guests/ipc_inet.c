/* AF_INET sockets (the host's network): TCP over loopback between a parent and a
 * forked child, UDP, a non-blocking connect, options, a classic BPF filter, and
 * control messages an inet socket refuses. */
#include "common.h"
#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

int main(void)
{
    int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    rok("socket", srv);
    int one = 1;
    res("SO_REUSEADDR", setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    res("bind", bind(srv, (struct sockaddr *)&a, sizeof a));
    socklen_t alen = sizeof a;
    res("getsockname", getsockname(srv, (struct sockaddr *)&a, &alen));
    printf("family %d, port chosen: %d\n", a.sin_family, a.sin_port != 0);
    res("listen", listen(srv, 4));
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof a) != 0)
            _exit(1);
        char buf[64] = {0};
        write(c, "ping", 4);
        read(c, buf, sizeof buf - 1);
        _exit(strcmp(buf, "PONG") == 0 ? 0 : 2);
    }
    int conn = accept(srv, NULL, NULL);
    rok("accept", conn);
    char buf[64] = {0};
    res("read", read(conn, buf, 4));
    printf("got %s\n", buf);
    res("write", write(conn, "PONG", 4));
    int status;
    waitpid(pid, &status, 0);
    printf("client status %d\n", WEXITSTATUS(status));
    int v = 0;
    socklen_t vl = sizeof v;
    res("getsockopt SO_TYPE", getsockopt(conn, SOL_SOCKET, SO_TYPE, &v, &vl));
    printf("type %d\n", v);
    res("TCP_NODELAY", setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
    struct sock_filter code[] = {BPF_STMT(BPF_RET | BPF_K, 0xFFFF)};
    struct sock_fprog prog = {1, code};
    res("SO_ATTACH_FILTER", setsockopt(conn, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog));
    struct sock_fprog bad = {1, BADPTR};
    res("SO_ATTACH_FILTER bad pointer", setsockopt(conn, SOL_SOCKET, SO_ATTACH_FILTER, &bad, sizeof bad));
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {"x", 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &srv, sizeof(int));
    res("sendmsg SCM_RIGHTS on TCP", sendmsg(conn, &m, 0));
    close(conn);
    close(srv);

    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(u2, (struct sockaddr *)&ua, sizeof ua);
    alen = sizeof ua;
    getsockname(u2, (struct sockaddr *)&ua, &alen);
    res("sendto", sendto(u1, "dgram", 5, 0, (struct sockaddr *)&ua, sizeof ua));
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    memset(buf, 0, sizeof buf);
    res("recvfrom", recvfrom(u2, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    printf("got %s from loopback: %d\n", buf, from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    res("recv MSG_DONTWAIT, nothing there", recv(u2, buf, sizeof buf, MSG_DONTWAIT));

    int nb = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in closed = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(1)};
    int r = connect(nb, (struct sockaddr *)&closed, sizeof closed);
    printf("non-blocking connect to a closed port: %s\n",
           r == 0 ? "0" : errno == EINPROGRESS || errno == ECONNREFUSED ? "refused or in progress" : ename(errno));
    int sp[2];
    res("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sp));
    return 0;
}
