"""AF_NETLINK sockets (NETLINK_ROUTE): a host netlink socket the kernel holds, with the
guest's requests filtered and the port ids translated.

What the guest may ask: every RTM_GET* request (links, addresses, routes, neighbours,
rules, ...: what `ip`, getifaddrs() and getaddrinfo's AI_ADDRCONFIG read) and the
netlink control messages. A request that would change the network (RTM_NEW*, RTM_DEL*,
RTM_SET*) is answered by the kernel itself with an NLMSG_ERROR of -EPERM, as Linux
answers a caller without CAP_NET_ADMIN, unless the socket lives in a network namespace
the guest made (there the guest is the network's administrator).

Port ids: the host gives the socket a port id that is a host pid (or a number made
from one); the guest sees its own: its tgid for the process's first netlink socket, a
negative number for the others, as Linux assigns them. Every nlmsg_pid that comes back
is rewritten: ours to the guest's, any other (another host process's) to 0.
"""

import errno
import itertools
import struct

from .errors import SyscallError
from .inet_socket import InetSocket, _libc, _ok

AF_NETLINK = 16
NETLINK_ROUTE = 0
SOCK_NONBLOCK, SOCK_CLOEXEC = 0o4000, 0o2000000
NLMSGHDR = struct.Struct("<IHHII")          # len, type, flags, seq, pid
NLMSG_ERROR, NLMSG_MIN_TYPE = 2, 16
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
SOCKADDR_NL = struct.Struct("<HHII")         # family, pad, pid, groups
MSG_PEEK, MSG_TRUNC = 0x2, 0x20


def _align(n):
    return (n + 3) & ~3


class NetlinkSocket(InetSocket):
    """A guest's NETLINK_ROUTE socket."""

    def __init__(self, kernel, host_fd, flags, guest_portid, may_change):
        super().__init__(kernel, host_fd, flags)
        self.guest_portid = guest_portid
        self.may_change = may_change
        self.synthetic = []          # replies the kernel makes itself (refused requests)
        self.groups = 0

    @classmethod
    def create(cls, kernel, type_, protocol, flags, tgid, may_change=False):
        if protocol != NETLINK_ROUTE:
            raise SyscallError(errno.EPROTONOSUPPORT)
        fd = _ok(_libc.socket(AF_NETLINK, type_ | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol))
        return cls(kernel, fd, flags, _guest_portid(kernel, tgid), may_change)

    def _host_portid(self):
        raw = InetSocket.sockname(self)
        return SOCKADDR_NL.unpack(raw[:SOCKADDR_NL.size])[2] if len(raw) >= 12 else 0

    def _fix_addr(self, raw):
        """A guest sockaddr_nl for the host: port id 0 (the host picks its own)."""
        if len(raw) < SOCKADDR_NL.size:
            raise SyscallError(errno.EINVAL)
        family, _, _, groups = SOCKADDR_NL.unpack(raw[:SOCKADDR_NL.size])
        if family != AF_NETLINK:
            raise SyscallError(errno.EINVAL)
        return SOCKADDR_NL.pack(AF_NETLINK, 0, 0, groups), groups

    def bind(self, raw):
        host, groups = self._fix_addr(raw)
        _ok(_libc.bind(self.host_fd, host, len(host)))
        self.groups = groups
        return 0

    def connect(self, task, raw):
        host, _ = self._fix_addr(raw)
        return _ok(_libc.connect(self.host_fd, host, len(host)))

    def sockname(self):
        return SOCKADDR_NL.pack(AF_NETLINK, 0, self.guest_portid & 0xFFFFFFFF, self.groups)

    def peername(self):
        return SOCKADDR_NL.pack(AF_NETLINK, 0, 0, 0)

    # ---- messages --------------------------------------------------------------------

    def _allowed(self, kind):
        return self.may_change or kind < NLMSG_MIN_TYPE or kind % 4 == 2

    def sendmsg(self, data, flags, name=b"", control=b""):
        if name:
            name, _ = self._fix_addr(name)
        out = bytearray()
        pos = 0
        while pos + NLMSGHDR.size <= len(data):
            length, kind, nflags, seq, _pid = NLMSGHDR.unpack_from(data, pos)
            if length < NLMSGHDR.size or pos + length > len(data):
                break
            msg = bytearray(data[pos:pos + length])
            struct.pack_into("<I", msg, 12, 0)
            if self._allowed(kind):
                out += msg
            else:
                self._refuse(msg)
            pos += _align(length)
        if out:
            super().sendmsg(bytes(out), flags, name, control)
        return len(data)

    def _refuse(self, request):
        """The NLMSG_ERROR Linux's netlink_ack sends for a failed request: -EPERM and the
        request's header (the whole request without NLM_F_ACK's capping)."""
        length, kind, nflags, seq, _pid = NLMSGHDR.unpack_from(request, 0)
        portid = self.guest_portid & 0xFFFFFFFF
        body = struct.pack("<i", -errno.EPERM) + NLMSGHDR.pack(length, kind, nflags, seq, portid)
        body += bytes(request[NLMSGHDR.size:])
        self.synthetic.append(NLMSGHDR.pack(NLMSGHDR.size + len(body), NLMSG_ERROR, 0, seq,
                                            portid) + body)

    def _rewrite(self, data):
        """Port ids in replies: ours (also in an error's echoed header) to the guest's."""
        host = self._host_portid()
        buf = bytearray(data)
        pos = 0
        while pos + NLMSGHDR.size <= len(buf):
            length, kind = struct.unpack_from("<IH", buf, pos)
            if length < NLMSGHDR.size:
                break
            self._map_pid(buf, pos + 12, host)
            if kind == NLMSG_ERROR and length >= NLMSGHDR.size + 4 + NLMSGHDR.size:
                self._map_pid(buf, pos + NLMSGHDR.size + 4 + 12, host)
            pos += _align(length)
        return bytes(buf)

    def _map_pid(self, buf, off, host):
        pid, = struct.unpack_from("<I", buf, off)
        struct.pack_into("<I", buf, off, self.guest_portid & 0xFFFFFFFF if pid == host and pid
                         else 0)

    def recvmsg(self, size, flags, namelen=0, controllen=0):
        name = SOCKADDR_NL.pack(AF_NETLINK, 0, 0, 0)
        if self.synthetic:
            msg = self.synthetic[0] if flags & MSG_PEEK else self.synthetic.pop(0)
            got = msg[:size]
            return got, name, b"", MSG_TRUNC if len(msg) > size else 0, \
                len(msg) if flags & MSG_TRUNC else len(got)
        data, _, control, msg_flags, n = super().recvmsg(size, flags, namelen, controllen)
        return self._rewrite(data), name, control, msg_flags, n

    def release(self):
        used = getattr(self.kernel, "netlink_portids", None)
        if used is not None:
            used.discard(self.guest_portid)
        super().release()


_negative = itertools.count(-4096, -1)


def _guest_portid(kernel, tgid):
    """netlink_autobind(): the process's tgid if free, then negative numbers."""
    used = getattr(kernel, "netlink_portids", None)
    if used is None:
        used = kernel.netlink_portids = set()
    portid = tgid if tgid not in used else next(p for p in _negative if p not in used)
    used.add(portid)
    return portid

