/* SCM_RIGHTS over AF_UNIX socketpairs: a pipe's fds passed across fork,
 * MSG_CMSG_CLOEXEC, MSG_CTRUNC, files kept alive while in flight, EBADF. */
#include "common.h"
#include <sys/socket.h>
#include <sys/wait.h>

static int send_fds(int sock, const int *fds, int n, const char *data, size_t len)
{
    char ctl[CMSG_SPACE(sizeof(int) * 4)];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)data, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                        .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    return sendmsg(sock, &mh, 0);
}

/* receives into fds[], returns the data length; prints what came */
static long recv_fds(const char *label, int sock, int *fds, size_t ctlspace, int flags)
{
    char ctl[256], data[64];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {data, sizeof data};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctlspace ? ctl : NULL,
                        .msg_controllen = ctlspace};
    long r = recvmsg(sock, &mh, flags);
    if (r < 0) {
        res(label, r);
        return r;
    }
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + n, CMSG_DATA(c), k * sizeof(int));
            n += k;
        }
    }
    say("%s: %ld '%.*s' fds %d flags %#x controllen %zu\n", label, r, (int)r, data, n,
        mh.msg_flags, mh.msg_controllen);
    return r;
}

int main(void)
{
    int sv[2], p[2], fds[8];
    char buf[64];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);

    say("== errors\n");
    int bad = 999;
    res("send bad fd", send_fds(sv[0], &bad, 1, "x", 1));
    char ctl[CMSG_SPACE(4)];
    struct iovec iov = {"x", 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = 77;
    c->cmsg_len = CMSG_LEN(4);
    res("bad cmsg type", sendmsg(sv[0], &mh, 0));
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = 1000;
    res("cmsg_len too long", sendmsg(sv[0], &mh, 0));
    c->cmsg_len = 4;
    res("cmsg_len too short", sendmsg(sv[0], &mh, 0));

    say("== pass a pipe to a child\n");
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        int got[8];
        long r = recv_fds("child recv", sv[1], got, CMSG_SPACE(sizeof(int) * 2), 0);
        if (r < 0)
            _exit(1);
        check("child fd is cloexec-free", fcntl(got[0], F_GETFD) == 0);
        write(got[1], "via passed fd", 13);
        close(got[1]);
        long n = read(got[0], buf, sizeof buf);
        print_escaped("child read own write", buf, n);
        _exit(0);
    }
    long sent = send_fds(sv[0], p, 2, "P", 1);
    int st;
    waitpid(pid, &st, 0);
    res("send pipe fds", sent);
    say("child exit %d\n", WEXITSTATUS(st));

    say("== in flight after close\n");
    int q[2];
    pipe(q);
    write(q[1], "kept", 4);
    res("send read end", send_fds(sv[0], q, 1, "Q", 1));
    close(q[0]);
    close(q[1]);
    long r = recv_fds("recv", sv[1], fds, CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC);
    if (r > 0) {
        res("F_GETFD cloexec", fcntl(fds[0], F_GETFD));
        long n = read(fds[0], buf, sizeof buf);
        print_escaped("read passed", buf, n);
        n = read(fds[0], buf, sizeof buf);
        res("eof (writer closed)", n);
        close(fds[0]);
    }

    say("== truncated control\n");
    pipe(q);
    int three[3] = {q[0], q[1], q[0]};
    res("send three", send_fds(sv[0], three, 3, "T", 1));
    recv_fds("recv room for one", sv[1], fds, CMSG_SPACE(sizeof(int)), 0);
    res("send three again", send_fds(sv[0], three, 3, "U", 1));
    recv_fds("recv no control", sv[1], fds, 0, 0);
    res("plain read sees no fds", write(sv[0], "plain", 5));
    r = read(sv[1], buf, sizeof buf);
    print_escaped("read", buf, r);

    say("== stream boundaries\n");
    write(sv[0], "aa", 2);
    send_fds(sv[0], q, 1, "bb", 2);
    write(sv[0], "cc", 2);
    recv_fds("first read stops after fds", sv[1], fds, CMSG_SPACE(sizeof(int) * 2), 0);
    recv_fds("second read", sv[1], fds, CMSG_SPACE(sizeof(int) * 2), 0);

    say("== peek\n");
    send_fds(sv[0], q, 1, "pk", 2);
    recv_fds("peek", sv[1], fds, CMSG_SPACE(sizeof(int)), MSG_PEEK);
    recv_fds("real", sv[1], fds, CMSG_SPACE(sizeof(int)), 0);

    say("== dgram\n");
    int d[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
    res("dgram send", send_fds(d[0], q, 2, "", 0));
    recv_fds("dgram recv empty msg", d[1], fds, CMSG_SPACE(sizeof(int) * 2), 0);
    write(q[1], "dg", 2);
    r = read(fds[0], buf, sizeof buf);
    print_escaped("read through passed", buf, r);
    return 0;
}
