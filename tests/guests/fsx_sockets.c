/* socket(2) and socketpair(2) with unsupported families, types and protocols: the
 * errno Linux picks (EINVAL, EAFNOSUPPORT, EPROTONOSUPPORT, ESOCKTNOSUPPORT,
 * EOPNOTSUPP) in its order, and EFAULT/EMFILE placement for socketpair. */
#include "common.h"
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

static void both(int family, int type, int protocol)
{
    char l[96];
    int sv[2];
    snprintf(l, sizeof l, "socket(%d, %#x, %d)", family, type, protocol);
    long fd = socket(family, type, protocol);
    rok(l, fd);
    if (fd >= 0)
        close(fd);
    snprintf(l, sizeof l, "socketpair(%d, %#x, %d)", family, type, protocol);
    long r = socketpair(family, type, protocol, sv);
    rok(l, r);
    if (r == 0) {
        close(sv[0]);
        close(sv[1]);
    }
}

int main(void)
{
    int families[] = {AF_UNIX, AF_INET, AF_INET6, -1, 46, 12345};
    int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, 6, 10, 11, 99, -1,
                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, SOCK_STREAM | 0x100};
    int protocols[] = {0, 1, 2, IPPROTO_TCP, IPPROTO_UDP, 255, -1};
    for (unsigned f = 0; f < sizeof families / sizeof *families; f++)
        for (unsigned t = 0; t < sizeof types / sizeof *types; t++)
            for (unsigned p = 0; p < sizeof protocols / sizeof *protocols; p++)
                both(families[f], types[t], protocols[p]);

    say("== order\n");
    res("pair bad sv, bad family", syscall(SYS_socketpair, 12345, SOCK_STREAM, 0, BADPTR));
    res("pair bad sv, inet", syscall(SYS_socketpair, AF_INET, SOCK_STREAM, 0, BADPTR));
    res("pair bad sv, bad flags", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM | 0x100, 0, BADPTR));
    res("pair bad sv, bad protocol", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 9, BADPTR));
    int sv[2] = {-7, -7};
    res("pair inet sv untouched?", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    say("sv written: %d\n", sv[0] != -7);
    struct rlimit rl = {8, 8};
    setrlimit(RLIMIT_NOFILE, &rl);
    for (int i = 3; i < 7; i++)
        dup2(0, i);
    res("pair one fd free, bad family", socketpair(12345, SOCK_STREAM, 0, sv));
    res("pair one fd free, bad sv", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, BADPTR));
    return 0;
}
