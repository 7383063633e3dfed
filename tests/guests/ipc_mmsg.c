/* sendmmsg(2)/recvmmsg(2) on AF_UNIX datagram and stream sockets and UDP loopback:
 * counts, msg_len, MSG_WAITFORONE, MSG_DONTWAIT, timeouts, and errors in Linux's order
 * (an error only when no message went). */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define N 4
static char bufs[N][32];
static struct iovec iov[N];
static struct mmsghdr msgs[N];

static void prep(void)
{
    memset(bufs, 0, sizeof bufs);
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < N; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = sizeof bufs[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_len = 12345;
    }
}

static void send3q(int fd, const char *tag, int quiet)
{
    static char text[3][16];
    struct iovec siov[3];
    struct mmsghdr smsg[3];
    memset(smsg, 0, sizeof smsg);
    for (int i = 0; i < 3; i++) {
        snprintf(text[i], sizeof text[i], "%s%d", tag, i);
        siov[i].iov_base = text[i];
        siov[i].iov_len = strlen(text[i]);
        smsg[i].msg_hdr.msg_iov = &siov[i];
        smsg[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(fd, smsg, 3, 0);
    if (quiet)
        return;
    res("sendmmsg 3", n);
    say("msg_len: %u %u %u\n", smsg[0].msg_len, smsg[1].msg_len, smsg[2].msg_len);
}

static void send3(int fd, const char *tag) { send3q(fd, tag, 0); }

static void show(const char *label, int n)
{
    say("%s: %d:", label, n);
    for (int i = 0; i < n && i < N; i++)
        say(" [%u %s]", msgs[i].msg_len, bufs[i]);
    say(" next msg_len %u\n", n >= 0 && n < N ? msgs[n].msg_len : 0);
}

int main(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    say("== datagrams\n");
    send3(sv[0], "d");
    prep();
    show("recvmmsg 4 DONTWAIT", recvmmsg(sv[1], msgs, N, MSG_DONTWAIT, NULL));
    prep();
    res("recvmmsg empty DONTWAIT", recvmmsg(sv[1], msgs, N, MSG_DONTWAIT, NULL));
    send3(sv[0], "e");
    prep();
    show("recvmmsg 2", recvmmsg(sv[1], msgs, 2, 0, NULL));
    prep();
    show("recvmmsg WAITFORONE", recvmmsg(sv[1], msgs, N, MSG_WAITFORONE, NULL));
    send3(sv[0], "f");
    prep();
    struct timespec ts = {5, 0};
    show("recvmmsg timeout 5s", recvmmsg(sv[1], msgs, 3, 0, &ts));
    say("timeout left <= 5s: %s\n", ts.tv_sec <= 5 ? "yes" : "BAD");
    struct timespec bad = {0, 1000000000L};
    res("recvmmsg bad timeout", recvmmsg(sv[1], msgs, N, 0, &bad));
    res("recvmmsg timeout EFAULT", syscall(SYS_recvmmsg, sv[1], msgs, N, 0, BADPTR));
    res("recvmmsg CMSG_COMPAT", syscall(SYS_recvmmsg, sv[1], msgs, N, 0x80000000, NULL));
    res("recvmmsg vlen 0", recvmmsg(sv[1], msgs, 0, MSG_DONTWAIT, NULL));
    res("sendmmsg vlen 0", sendmmsg(sv[0], msgs, 0, 0));
    res("sendmmsg bad fd", sendmmsg(999, msgs, 1, 0));
    res("sendmmsg not a socket", sendmmsg(0, msgs, 1, 0));
    res("recvmmsg bad fd", recvmmsg(999, msgs, 1, 0, NULL));
    res("recvmmsg not a socket", recvmmsg(1, msgs, 1, 0, NULL));
    res("sendmmsg EFAULT", sendmmsg(sv[0], BADPTR, 2, 0));
    res("recvmmsg EFAULT", recvmmsg(sv[1], BADPTR, 2, MSG_DONTWAIT, NULL));

    say("== an error after the first message\n");
    struct iovec one = {"x", 1};
    struct mmsghdr mixed[3];
    memset(mixed, 0, sizeof mixed);
    mixed[0].msg_hdr.msg_iov = &one;
    mixed[0].msg_hdr.msg_iovlen = 1;
    mixed[1].msg_hdr.msg_iov = BADPTR;
    mixed[1].msg_hdr.msg_iovlen = 1;
    mixed[2] = mixed[0];
    res("sendmmsg good, bad, good", sendmmsg(sv[0], mixed, 3, 0));
    say("msg_len: %u %u\n", mixed[0].msg_len, mixed[1].msg_len);
    res("sendmmsg bad first", sendmmsg(sv[0], mixed + 1, 2, 0));
    prep();
    show("drain", recvmmsg(sv[1], msgs, N, MSG_DONTWAIT, NULL));

    say("== a blocking receive completed by another process\n");
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        send3q(sv[0], "c", 1);
        _exit(0);
    }
    prep();
    show("recvmmsg blocking 3", recvmmsg(sv[1], msgs, 3, 0, NULL));
    waitpid(pid, NULL, 0);

    say("== stream\n");
    int st[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, st);
    send3(st[0], "s");
    prep();
    int n = recvmmsg(st[1], msgs, N, MSG_DONTWAIT, NULL);
    say("stream recvmmsg got data: %s\n", n >= 1 ? "yes" : "BAD");

    say("== UDP loopback\n");
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {AF_INET, 0, {htonl(INADDR_LOOPBACK)}, {0}};
    bind(u, (struct sockaddr *)&a, sizeof a);
    socklen_t al = sizeof a;
    getsockname(u, (struct sockaddr *)&a, &al);
    connect(u, (struct sockaddr *)&a, sizeof a);
    send3(u, "u");
    usleep(20000);
    prep();
    show("udp recvmmsg", recvmmsg(u, msgs, N, MSG_DONTWAIT, NULL));
    return 0;
}
