/* AF_NETLINK NETLINK_ROUTE: port ids (the first socket's is the pid, later ones
 * negative), an RTM_GETLINK dump that finds "lo" and ends with NLMSG_DONE, the replies'
 * nlmsg_pid, RTM_GETADDR, and the socket() errors. */
#include "common.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

static int dump(int fd, int type, int *found_lo, int *pid_ok, unsigned portid)
{
    struct { struct nlmsghdr h; struct ifinfomsg i; } req = {0};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = 42;
    req.i.ifi_family = AF_UNSPEC;
    if (send(fd, &req, sizeof req, 0) < 0)
        return -1;
    static char buf[65536];
    int messages = 0;
    for (;;) {
        long n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return -1;
        for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != 42 || h->nlmsg_pid != portid)
                *pid_ok = 0;
            if (h->nlmsg_type == NLMSG_DONE)
                return messages;
            if (h->nlmsg_type == NLMSG_ERROR)
                return -2;
            messages++;
            if (type == RTM_GETLINK) {
                struct ifinfomsg *ifi = NLMSG_DATA(h);
                int len = h->nlmsg_len - NLMSG_LENGTH(sizeof *ifi);
                for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
                    if (a->rta_type == IFLA_IFNAME && !strcmp(RTA_DATA(a), "lo"))
                        *found_lo = 1;
            }
        }
    }
}

int main(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    rok("socket", fd);
    struct sockaddr_nl a = {0};
    socklen_t al = sizeof a;
    res("getsockname before bind", getsockname(fd, (struct sockaddr *)&a, &al));
    struct sockaddr_nl b = {AF_NETLINK, 0, 0, 0};
    res("bind", bind(fd, (struct sockaddr *)&b, sizeof b));
    al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    say("family %d, len %u, portid is the pid: %s\n", a.nl_family, al,
        a.nl_pid == (unsigned)getpid() ? "yes" : "BAD");
    int fd2 = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
    struct sockaddr_nl c = {0};
    bind(fd2, (struct sockaddr *)&b, sizeof b);
    al = sizeof c;
    getsockname(fd2, (struct sockaddr *)&c, &al);
    say("second socket's portid negative: %s\n", (int)c.nl_pid < 0 ? "yes" : "BAD");
    int lo = 0, pid_ok = 1;
    int links = dump(fd, RTM_GETLINK, &lo, &pid_ok, a.nl_pid);
    say("links: %s, lo: %s, replies carry our portid: %s\n", links > 0 ? "some" : "BAD",
        lo ? "yes" : "BAD", pid_ok ? "yes" : "BAD");
    int addrs = dump(fd2, RTM_GETADDR, &lo, &pid_ok, c.nl_pid);
    say("addresses: %s\n", addrs > 0 ? "some" : "BAD");
    res("bad protocol", socket(AF_NETLINK, SOCK_RAW, 99));
    res("stream", socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE));
    return 0;
}
