"""Kernel IPC objects: eventfd, epoll, and AF_UNIX sockets (socketpair, and
socket/bind/listen/connect/accept on abstract and filesystem names).

The objects live in ../eventfd.py, ../epoll.py and ../unix_socket.py; this
module decodes the guest's arguments and structures, in the order Linux
checks them.
"""

import ctypes
import errno
import os
import stat as statmod
import struct
import time

from .fs import _iovecs as fs_iovecs, _scatter, _usable as fs_usable

from .. import fown
from ..epoll import (EPOLLEXCLUSIVE, EPOLLEXCLUSIVE_OK_BITS, EPOLLWAKEUP, Epoll, can_poll)
from ..signals import with_temp_sigmask
from .poll import call_deadline, expired, park_at, read_sigmask, read_timespec_ns
from .. import creds, fsnotify, namespaces
from ..errors import Block, SyscallError
from ..eventfd import EFD_CLOEXEC, EFD_FLAGS, EventFd
from ..fdtable import drop
from ..files import O_CLOEXEC, O_NONBLOCK, O_PATH
from ..unix_socket import (AF_UNIX, MSG_CMSG_CLOEXEC, MSG_OOB, RMEM_MAX,
                           SOCK_DGRAM, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF, SOCK_RAW,
                           SOCK_SEQPACKET, SOCK_STREAM, SOMAXCONN, WMEM_MAX, UnixSocket)
from ..vfs import AT_FDCWD, HostPath
from ..inet_socket import InetSocket
from ..netlink_socket import AF_NETLINK, NetlinkSocket

TASK_SIZE_MAX = 0x7FFFFFFFF000
INT_MAX = 0x7FFFFFFF
UIO_MAXIOV = 1024
EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
EPOLL_EVENT = struct.Struct("<IQ")          # packed on x86-64: 12 bytes
EP_MAX_EVENTS = INT_MAX // EPOLL_EVENT.size
SOCK_TYPE_MASK = 0xF
SOCK_MAX = 11
NPROTO = 46
AF_INET, AF_INET6 = 2, 10
AF_NETLINK, AF_PACKET, SOCK_PACKET = 16, 17, 10
SOCK_NONBLOCK, SOCK_CLOEXEC = O_NONBLOCK, O_CLOEXEC
SOL_SOCKET = 1
SCM_RIGHTS, SCM_CREDENTIALS = 1, 2
SCM_MAX_FD = 253
MSG_CTRUNC = 0x8
SHUT_RD, SHUT_RDWR = 0, 2
MSGHDR = struct.Struct("<QI4xQQQQi4x")       # struct msghdr: 56 bytes
CMSGHDR = struct.Struct("<Qii")              # struct cmsghdr: 16 bytes
SOCKADDR_STORAGE = 128
UNIX_PATH_MAX = 108
OVERFLOWUID = 65534

SO_DEBUG, SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_DONTROUTE, SO_BROADCAST = 1, 2, 3, 4, 5, 6
SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE, SO_OOBINLINE, SO_NO_CHECK, SO_PRIORITY = 7, 8, 9, 10, 11, 12
SO_LINGER, SO_BSDCOMPAT, SO_REUSEPORT, SO_PASSCRED, SO_PEERCRED = 13, 14, 15, 16, 17
SO_RCVLOWAT, SO_SNDLOWAT, SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN = 18, 19, 30, 38, 39
SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33


# ---- eventfd ------------------------------------------------------------------------


def sys_eventfd2(task, initval, flags):
    """eventfd2(2)."""
    if flags & ~EFD_FLAGS:
        raise SyscallError(errno.EINVAL)
    return task.files.install(EventFd(initval, flags), cloexec=bool(flags & EFD_CLOEXEC))


def sys_eventfd(task, initval):
    """eventfd(2)."""
    return sys_eventfd2(task, initval, 0)


# ---- epoll ----------------------------------------------------------------------------


def _fd_file(task, fd):
    """fdget(): O_PATH descriptors do not count."""
    file = task.files.get(fd)
    if file.flags & O_PATH:
        raise SyscallError(errno.EBADF)
    return file


def sys_epoll_create1(task, flags):
    """epoll_create1(2)."""
    if flags & ~O_CLOEXEC:
        raise SyscallError(errno.EINVAL)
    return task.files.install(Epoll(), cloexec=bool(flags & O_CLOEXEC))


def sys_epoll_create(task, size):
    """epoll_create(2): size only has to be positive."""
    if size <= 0:
        raise SyscallError(errno.EINVAL)
    return sys_epoll_create1(task, 0)


def sys_epoll_ctl(task, epfd, op, fd, event):
    """epoll_ctl(2)."""
    has_event = op != EPOLL_CTL_DEL
    events = data = 0
    if has_event:
        events, data = EPOLL_EVENT.unpack(task.mm.read(event, EPOLL_EVENT.size))
    ep = _fd_file(task, epfd)
    tf = _fd_file(task, fd)
    if not can_poll(tf):
        raise SyscallError(errno.EPERM)
    if has_event:
        events &= ~EPOLLWAKEUP             # needs CAP_BLOCK_SUSPEND; dropped silently
    if ep is tf or not isinstance(ep, Epoll):
        raise SyscallError(errno.EINVAL)
    if has_event and events & EPOLLEXCLUSIVE:
        if op == EPOLL_CTL_MOD:
            raise SyscallError(errno.EINVAL)
        if op == EPOLL_CTL_ADD and (isinstance(tf, Epoll) or events & ~EPOLLEXCLUSIVE_OK_BITS):
            raise SyscallError(errno.EINVAL)
    if op == EPOLL_CTL_ADD and isinstance(tf, Epoll) and tf.reaches(ep):
        raise SyscallError(errno.ELOOP)
    entry = ep.find(fd, tf)
    if op == EPOLL_CTL_ADD:
        if entry is not None:
            raise SyscallError(errno.EEXIST)
        ep.insert(fd, tf, events, data)
    elif op == EPOLL_CTL_DEL:
        if entry is None:
            raise SyscallError(errno.ENOENT)
        ep.delete(entry)
    elif op == EPOLL_CTL_MOD:
        if entry is None:
            raise SyscallError(errno.ENOENT)
        if entry.events & EPOLLEXCLUSIVE:
            raise SyscallError(errno.EINVAL)
        ep.modify(entry, events, data)
    else:
        raise SyscallError(errno.EINVAL)
    return 0


def do_epoll_wait(task, epfd, events, maxevents, timeout_ns):
    if maxevents <= 0 or maxevents > EP_MAX_EVENTS:
        raise SyscallError(errno.EINVAL)
    size = maxevents * EPOLL_EVENT.size
    if events + size > TASK_SIZE_MAX:
        raise SyscallError(errno.EFAULT)
    ep = _fd_file(task, epfd)
    if not isinstance(ep, Epoll):
        raise SyscallError(errno.EINVAL)
    deadline = call_deadline(task, timeout_ns)
    room = task.mm.extent(events, size, True) // EPOLL_EVENT.size
    if room == 0:
        if ep.poll():
            raise SyscallError(errno.EFAULT)
    else:
        got = ep.collect(min(maxevents, room))
        if got:
            task.mm.write(events, b"".join(EPOLL_EVENT.pack(ev, data) for ev, data in got))
            return len(got)
    if timeout_ns == 0 or expired(deadline):
        return 0
    raise Block(fds=ep.host_waits(), deadline=park_at(deadline), queue=ep.queue)


def sys_epoll_wait(task, epfd, events, maxevents, timeout):
    """epoll_wait(2)."""
    return do_epoll_wait(task, epfd, events, maxevents,
                         None if timeout < 0 else timeout * 10**6)


def sys_epoll_pwait(task, epfd, events, maxevents, timeout, sigmask, sigsetsize):
    """epoll_pwait(2): the signal mask is the task's for the call's duration."""
    mask = read_sigmask(task, sigmask, sigsetsize)
    return with_temp_sigmask(task, mask,
                             lambda: sys_epoll_wait(task, epfd, events, maxevents, timeout))


def sys_epoll_pwait2(task, epfd, events, maxevents, timeout, sigmask, sigsetsize):
    """epoll_pwait2(2): a timespec timeout; the signal mask is the task's meanwhile."""
    timeout_ns = read_timespec_ns(task, timeout)
    mask = read_sigmask(task, sigmask, sigsetsize)
    return with_temp_sigmask(task, mask,
                             lambda: do_epoll_wait(task, epfd, events, maxevents, timeout_ns))


# ---- sockets: creation ---------------------------------------------------------------


def _creds(task):
    return (task.tgid, task.creds.euid, task.creds.egid)


def _socket_type(family, type_, protocol):
    """sock_create() checks: the AF_UNIX type to make."""
    if family < 0 or family >= NPROTO:
        raise SyscallError(errno.EAFNOSUPPORT)
    if type_ < 0 or type_ >= SOCK_MAX:
        raise SyscallError(errno.EINVAL)
    if family != AF_UNIX:
        raise SyscallError(errno.EAFNOSUPPORT)
    if protocol and protocol != AF_UNIX:
        raise SyscallError(errno.EPROTONOSUPPORT)
    if type_ == SOCK_STREAM or type_ == SOCK_SEQPACKET:
        return type_
    if type_ in (SOCK_DGRAM, SOCK_RAW):
        return SOCK_DGRAM
    raise SyscallError(errno.ESOCKTNOSUPPORT)


def _split_type(type_):
    flags = type_ & ~SOCK_TYPE_MASK
    if flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK):
        raise SyscallError(errno.EINVAL)
    return type_ & SOCK_TYPE_MASK, flags


def sys_socket(task, family, type_, protocol):
    """socket(2): AF_UNIX sockets of the kernel's own; AF_INET/AF_INET6 sockets of the
    host (unless the run has no network); other families answer EAFNOSUPPORT."""
    base, flags = _split_type(type_)
    if family in (AF_INET, AF_INET6) and task.kernel.network:
        task.files.check_free()     # EMFILE before a host socket exists
        sock, sock.netns = namespaces.in_net_ns(task, lambda: InetSocket.create(
            task.kernel, family, base, protocol, flags))
        return task.files.install(sock, cloexec=bool(flags & SOCK_CLOEXEC))
    if family == AF_NETLINK and task.kernel.network:
        if base not in (SOCK_RAW, SOCK_DGRAM):
            raise SyscallError(errno.ESOCKTNOSUPPORT)
        task.files.check_free()
        # In a network namespace the guest made, the guest administers the network.
        sock, netns = namespaces.in_net_ns(task, lambda: NetlinkSocket.create(
            task.kernel, base, protocol, flags, namespaces.pid_nr(task, task.tgid)))
        sock.netns = netns
        sock.may_change = netns is not None
        return task.files.install(sock, cloexec=bool(flags & SOCK_CLOEXEC))
    kind = _socket_type(family, base, protocol)
    sock = UnixSocket(task.kernel, kind, flags, _creds(task))
    return task.files.install(sock, cloexec=bool(flags & SOCK_CLOEXEC))


def sys_socketpair(task, family, type_, protocol, sv):
    """socketpair(2): AF_UNIX stream, datagram and seqpacket pairs."""
    base, flags = _split_type(type_)
    files = task.files
    fd1 = files._lowest_free(0)
    fd2 = files._lowest_free(fd1 + 1)
    task.mm.write(sv, struct.pack("<ii", fd1, fd2))
    if family != AF_UNIX:
        _pairless_family(task, family, base, protocol)
    kind = _socket_type(family, base, protocol)
    a = UnixSocket(task.kernel, kind, flags, _creds(task))
    b = UnixSocket(task.kernel, kind, flags, _creds(task))
    a.connect_pair(b)
    cloexec = bool(flags & SOCK_CLOEXEC)
    files.install(a, minfd=fd1, cloexec=cloexec)
    files.install(b, minfd=fd2, cloexec=cloexec)
    return 0


def _pairless_family(task, family, type_, protocol):
    """socketpair of a family without one: sock_create's answer first (the host's, for
    the families whose sockets are the host's), then the protocol's EOPNOTSUPP."""
    if family < 0 or family >= NPROTO:
        raise SyscallError(errno.EAFNOSUPPORT)
    if type_ < 0 or type_ >= SOCK_MAX:
        raise SyscallError(errno.EINVAL)
    if family in (AF_INET, AF_INET6) and task.kernel.network:
        sock, _ = namespaces.in_net_ns(task, lambda: InetSocket.create(
            task.kernel, family, type_, protocol, 0))
        sock.release()
    elif family == AF_NETLINK:
        if type_ not in (SOCK_RAW, SOCK_DGRAM):
            raise SyscallError(errno.ESOCKTNOSUPPORT)
        if not 0 <= protocol < 32:
            raise SyscallError(errno.EPROTONOSUPPORT)
    elif family == AF_PACKET:
        if task.creds.euid != 0:
            raise SyscallError(errno.EPERM)          # CAP_NET_RAW
        if type_ not in (SOCK_DGRAM, SOCK_RAW, SOCK_PACKET):
            raise SyscallError(errno.ESOCKTNOSUPPORT)
    else:
        raise SyscallError(errno.EAFNOSUPPORT)
    raise SyscallError(errno.EOPNOTSUPP)


def _inet(task, fd):
    """The InetSocket at fd, or None (then the AF_UNIX path checks the fd)."""
    file = task.files.files.get(fd)
    if isinstance(file, InetSocket) and not file.flags & O_PATH:
        return file
    return None


def _sock(task, fd):
    file = _fd_file(task, fd)
    if not isinstance(file, UnixSocket):
        raise SyscallError(errno.ENOTSOCK)
    return file


# ---- socket addresses ----------------------------------------------------------------


def _sockaddr(sock):
    """The kernel sockaddr_un of a socket's address (2 bytes when unbound)."""
    return struct.pack("<H", AF_UNIX) + (sock.addr or b"") if sock is not None else b""


def _move_addr_to_user(task, kaddr, uaddr, ulen):
    length, = struct.unpack("<i", task.mm.read(ulen, 4))
    if length > len(kaddr):
        length = len(kaddr)
    if length < 0:
        raise SyscallError(errno.EINVAL)
    if length:
        task.mm.write(uaddr, kaddr[:length])
    task.mm.write(ulen, struct.pack("<i", len(kaddr)))


def _addr_from_user(task, uaddr, addrlen):
    """move_addr_to_kernel()."""
    if addrlen < 0 or addrlen > SOCKADDR_STORAGE:
        raise SyscallError(errno.EINVAL)
    return task.mm.read(uaddr, addrlen) if addrlen else b""


def _unix_name(task, raw):
    """unix_validate_addr + unix_mkname: ('abstract', bytes) or ('path', str)."""
    if len(raw) < 2 or struct.unpack_from("<H", raw)[0] != AF_UNIX:
        raise SyscallError(errno.EINVAL)
    path = raw[2:2 + UNIX_PATH_MAX]
    if len(raw) == 2:
        return None
    if path[:1] == b"\0":
        return ("abstract", bytes(path))
    path = path.split(b"\0", 1)[0]
    return ("path", path)


def _names(kernel):
    names = getattr(kernel, "unix_names", None)
    if names is None:
        names = kernel.unix_names = {}
    return names


def _find_other(task, raw, kind):
    """unix_find_other: the socket bound to the name, of the same type."""
    name = _unix_name(task, raw)
    if name is None:
        raise SyscallError(errno.EINVAL)
    names = _names(task.kernel)
    if name[0] == "abstract":
        other = names.get(("abstract", name[1]))
        if other is None or other.dead:
            raise SyscallError(errno.ECONNREFUSED)
    else:
        node = task.kernel.vfs.lookup(task, AT_FDCWD, name[1])
        if not isinstance(node, HostPath):
            raise SyscallError(errno.ECONNREFUSED)
        st = node.st or node.lstat()
        dirfd, hname = node.at()
        try:
            if not os.access(hname, os.W_OK, dir_fd=dirfd, follow_symlinks=node.magic):
                raise SyscallError(errno.EACCES)
        except OSError as e:
            raise SyscallError(e.errno) from None
        if not statmod.S_ISSOCK(st.st_mode):
            raise SyscallError(errno.ECONNREFUSED)
        other = names.get(("path", st.st_dev, st.st_ino))
        if other is None or other.dead:
            raise SyscallError(errno.ECONNREFUSED)
    if other.type != kind:
        raise SyscallError(errno.EPROTOTYPE)
    return other


def sys_bind(task, fd, addr, addrlen):
    """bind(2) of AF_UNIX sockets to abstract names and filesystem paths."""
    inet = _inet(task, fd)
    if inet is not None:
        raw = _addr_from_user(task, addr, addrlen)
        # The host socket belongs to the kernel's user; the guest's capabilities decide
        # about privileged ports (CAP_NET_BIND_SERVICE).
        if len(raw) >= 4 and struct.unpack(">H", raw[2:4])[0] in range(1, 1024) and \
                not creds.capable(task, creds.CAP_NET_BIND_SERVICE):
            raise SyscallError(errno.EACCES)
        return inet.bind(raw)
    sock = _sock(task, fd)
    raw = _addr_from_user(task, addr, addrlen)
    name = _unix_name(task, raw)
    if sock.addr is not None:
        raise SyscallError(errno.EINVAL)
    names = _names(task.kernel)
    if name is None:                       # autobind: an abstract name of 5 hex digits
        n = 0
        while ("abstract", b"\0%05x" % n) in names:
            n += 1
        name = ("abstract", b"\0%05x" % n)
    if name[0] == "abstract":
        key = name
        if key in names and not names[key].dead:
            raise SyscallError(errno.EADDRINUSE)
        sock.addr = name[1]
    else:
        node = task.kernel.vfs.lookup(task, AT_FDCWD, name[1], follow=False)
        if not isinstance(node, HostPath):
            raise SyscallError(errno.EADDRINUSE)
        mode = statmod.S_IFSOCK | (0o777 & ~task.fs.umask)
        if node.exists or not node.name:
            raise SyscallError(errno.EADDRINUSE)
        task.kernel.vfs.creatable(node)
        try:
            os.mknod(node.name, mode, dir_fd=node.dirfd)
            creds.own_new(task, None, dirfd=node.dirfd, name=node.name)
            st = os.stat(node.name, dir_fd=node.dirfd, follow_symlinks=False)
        except OSError as e:
            raise SyscallError(errno.EADDRINUSE if e.errno == errno.EEXIST else e.errno) from None
        fsnotify.created(task, node)        # vfs_mknod's fsnotify_create (and the journal)
        key = ("path", st.st_dev, st.st_ino)
        sock.addr = name[1] + b"\0"
    names[key] = sock
    sock.name_key = key
    return 0


def sys_listen(task, fd, backlog):
    """listen(2)."""
    inet = _inet(task, fd)
    if inet is not None:
        return inet.listen(backlog)
    sock = _sock(task, fd)
    if sock.type == SOCK_DGRAM or sock.state == "connected":
        raise SyscallError(errno.EOPNOTSUPP if sock.type == SOCK_DGRAM else errno.EINVAL)
    if sock.addr is None:
        raise SyscallError(errno.EINVAL)
    backlog = min(backlog & 0xFFFFFFFF, SOMAXCONN)
    sock.max_backlog = backlog
    sock.state = "listening"
    sock.waitq.wake()
    return 0


def sys_connect(task, fd, addr, addrlen):
    """connect(2) to a listening AF_UNIX socket, or setting a datagram peer."""
    inet = _inet(task, fd)
    if inet is not None:
        return inet.connect(task, _addr_from_user(task, addr, addrlen))
    sock = _sock(task, fd)
    raw = _addr_from_user(task, addr, addrlen)
    if sock.type == SOCK_DGRAM:
        if len(raw) >= 2 and struct.unpack_from("<H", raw)[0] == 0:   # AF_UNSPEC: disconnect
            sock.peer = None
            sock.state = "unconnected"
            return 0
        other = _find_other(task, raw, sock.type)
        sock.peer = other
        sock.state = "connected"
        sock.peercred = other.creds
        return 0
    if len(raw) < 2 or struct.unpack_from("<H", raw)[0] != AF_UNIX:
        raise SyscallError(errno.EINVAL)
    if sock.state == "connected":
        raise SyscallError(errno.EISCONN)
    if sock.state == "listening":
        raise SyscallError(errno.EINVAL)
    other = _find_other(task, raw, sock.type)
    if other.state != "listening":
        raise SyscallError(errno.ECONNREFUSED)
    if len(other.backlog) > other.max_backlog:
        if sock.flags & O_NONBLOCK:
            raise SyscallError(errno.EAGAIN)
        raise Block(queue=other.waitq)
    server = UnixSocket(task.kernel, sock.type, 0, other.creds)
    server.addr = other.addr
    sock.connect_pair(server)
    other.backlog.append(server)
    other.waitq.wake()
    fown.kill_fasync(task.kernel, other, fown.POLL_IN)     # sk_data_ready of the listener
    return 0


def sys_accept4(task, fd, addr, addrlen, flags):
    """accept4(2)."""
    if flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK):
        raise SyscallError(errno.EINVAL)
    inet = _inet(task, fd)
    if inet is not None:
        task.files.check_free()     # EMFILE before a connection is taken (Linux's order)
        new, peer = inet.accept(flags & SOCK_NONBLOCK)
        try:
            if addr:
                _move_addr_to_user(task, peer, addr, addrlen)
            return task.files.install(new, cloexec=bool(flags & SOCK_CLOEXEC))
        except SyscallError:
            new.release()           # its host fd goes with the failed call
            raise
    sock = _sock(task, fd)
    if sock.type == SOCK_DGRAM:
        raise SyscallError(errno.EOPNOTSUPP)
    if sock.state != "listening":
        raise SyscallError(errno.EINVAL)
    if not sock.backlog:
        if sock.flags & O_NONBLOCK:
            raise SyscallError(errno.EAGAIN)
        raise Block(queue=sock.waitq)
    server = sock.backlog[0]
    if addr:
        peer = server.peer
        _move_addr_to_user(task, _sockaddr(peer) if peer is not None else b"\1\0", addr, addrlen)
    sock.backlog.pop(0)
    server.flags |= flags & SOCK_NONBLOCK
    sock.waitq.wake()
    return task.files.install(server, cloexec=bool(flags & SOCK_CLOEXEC))


def sys_accept(task, fd, addr, addrlen):
    """accept(2)."""
    return sys_accept4(task, fd, addr, addrlen, 0)


def sys_getsockname(task, fd, addr, addrlen):
    """getsockname(2)."""
    inet = _inet(task, fd)
    if inet is not None:
        _move_addr_to_user(task, inet.sockname(), addr, addrlen)
        return 0
    sock = _sock(task, fd)
    _move_addr_to_user(task, _sockaddr(sock), addr, addrlen)
    return 0


def sys_getpeername(task, fd, addr, addrlen):
    """getpeername(2)."""
    inet = _inet(task, fd)
    if inet is not None:
        _move_addr_to_user(task, inet.peername(), addr, addrlen)
        return 0
    sock = _sock(task, fd)
    if sock.peer is None:
        raise SyscallError(errno.ENOTCONN)
    _move_addr_to_user(task, _sockaddr(sock.peer), addr, addrlen)
    return 0


# ---- socket options and shutdown ---------------------------------------------------------


def sys_shutdown(task, fd, how):
    """shutdown(2)."""
    inet = _inet(task, fd)
    if inet is not None:
        return inet.shutdown(how)
    sock = _sock(task, fd)
    if how < SHUT_RD or how > SHUT_RDWR:
        raise SyscallError(errno.EINVAL)
    sock.do_shutdown(how)
    return 0


def _int_option(sock, optname):
    if optname == SO_TYPE:
        return sock.type
    if optname == SO_ERROR:
        err, sock.err = sock.err, 0
        return err
    if optname == SO_SNDBUF:
        return sock.sndbuf
    if optname == SO_RCVBUF:
        return sock.rcvbuf
    if optname == SO_DOMAIN:
        return AF_UNIX
    if optname == SO_PROTOCOL:
        return 0
    if optname == SO_ACCEPTCONN:
        return int(sock.state == "listening")
    if optname == SO_PASSCRED:
        return int(sock.passcred)
    if optname in (SO_RCVLOWAT, SO_SNDLOWAT):
        return 1
    if optname in (SO_DEBUG, SO_REUSEADDR, SO_DONTROUTE, SO_BROADCAST, SO_KEEPALIVE,
                   SO_OOBINLINE, SO_NO_CHECK, SO_PRIORITY, SO_REUSEPORT):
        return 0
    return None


def sys_getsockopt(task, fd, level, optname, optval, optlen):
    """getsockopt(2): SOL_SOCKET options of AF_UNIX sockets."""
    inet = _inet(task, fd)
    if inet is not None:
        length, = struct.unpack("<i", task.mm.read(optlen, 4))
        if length < 0:
            raise SyscallError(errno.EINVAL)
        if (level, optname) in HOST_POINTER_OPTIONS:
            raise SyscallError(errno.EOPNOTSUPP)
        value = inet.getsockopt(level, optname, length)
        task.mm.write(optval, value)
        task.mm.write(optlen, struct.pack("<i", len(value)))
        return 0
    sock = _sock(task, fd)
    if level != SOL_SOCKET:
        raise SyscallError(errno.EOPNOTSUPP)
    length, = struct.unpack("<i", task.mm.read(optlen, 4))
    if length < 0:
        raise SyscallError(errno.EINVAL)
    if optname == SO_PEERCRED:
        cred = sock.peercred or (0, OVERFLOWUID, OVERFLOWUID)
        value = struct.pack("<iII", *cred)
    elif optname == SO_LINGER:
        value = struct.pack("<ii", 0, 0)
    else:
        v = _int_option(sock, optname)
        if v is None:
            raise SyscallError(errno.ENOPROTOOPT)
        value = struct.pack("<i", v)
    length = min(length, len(value))
    task.mm.write(optval, value[:length])
    task.mm.write(optlen, struct.pack("<i", length))
    return 0


SO_ATTACH_FILTER, SO_ATTACH_BPF, SO_ATTACH_REUSEPORT_CBPF, SO_ATTACH_REUSEPORT_EBPF = 26, 50, 51, 52
TCP_ZEROCOPY_RECEIVE = 35
HOST_POINTER_OPTIONS = {(SOL_SOCKET, SO_ATTACH_BPF), (SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF),
                        (6, TCP_ZEROCOPY_RECEIVE)}
BPF_MAXINSNS = 4096


def _attach_filter(task, inet, optname, value):
    """SO_ATTACH_FILTER: struct sock_fprog {len; filter *} points into guest memory;
    the classic BPF program is copied here and handed to the host by our pointer."""
    if len(value) < 16:
        raise SyscallError(errno.EINVAL)
    count, ptr = struct.unpack("<H6xQ", value[:16])
    if count == 0 or count > BPF_MAXINSNS:
        raise SyscallError(errno.EINVAL)
    code = ctypes.create_string_buffer(task.mm.read(ptr, 8 * count), 8 * count)
    prog = struct.pack("<H6xQ", count, ctypes.addressof(code))
    return inet.setsockopt(SOL_SOCKET, optname, prog)


def sys_setsockopt(task, fd, level, optname, optval, optlen):
    """setsockopt(2): SOL_SOCKET options; buffer sizes as Linux doubles and clamps them."""
    inet = _inet(task, fd)
    if inet is not None:
        if optlen < 0:
            raise SyscallError(errno.EINVAL)
        value = task.mm.read(optval, min(optlen, 4096)) if optlen else b""
        if level == SOL_SOCKET and optname in (SO_ATTACH_FILTER, SO_ATTACH_REUSEPORT_CBPF):
            return _attach_filter(task, inet, optname, value)
        if (level, optname) in HOST_POINTER_OPTIONS:
            # Values that hold a pointer or an fd would be read in the kernel's own
            # address space or fd table: not passed through.
            raise SyscallError(errno.EBADF if optname in (SO_ATTACH_BPF,
                                                          SO_ATTACH_REUSEPORT_EBPF)
                               else errno.EOPNOTSUPP)
        return inet.setsockopt(level, optname, value)
    sock = _sock(task, fd)
    if level != SOL_SOCKET:
        raise SyscallError(errno.EOPNOTSUPP)
    if optlen < 4:
        raise SyscallError(errno.EINVAL)
    val, = struct.unpack("<i", task.mm.read(optval, 4))
    if optname in (SO_SNDBUF, SO_SNDBUFFORCE):
        v = min(val & 0xFFFFFFFF, WMEM_MAX) if optname == SO_SNDBUF else max(val, 0)
        v = min(v, INT_MAX // 2)
        sock.sndbuf = max(v * 2, SOCK_MIN_SNDBUF)
        sock.waitq.wake()
    elif optname in (SO_RCVBUF, SO_RCVBUFFORCE):
        v = min(val & 0xFFFFFFFF, RMEM_MAX) if optname == SO_RCVBUF else max(val, 0)
        v = min(v, INT_MAX // 2)
        sock.rcvbuf = max(v * 2, SOCK_MIN_RCVBUF)
    elif optname == SO_PASSCRED:
        sock.passcred = bool(val)
    elif optname in (SO_TYPE, SO_ERROR, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_PEERCRED):
        raise SyscallError(errno.ENOPROTOOPT)
    elif _int_option(sock, optname) is None and optname != SO_LINGER:
        raise SyscallError(errno.ENOPROTOOPT)
    return 0


# ---- sending and receiving ---------------------------------------------------------------


def _iovecs(task, iov, iovcnt):
    """import_iovec() for msghdr iovecs (their count is checked by the caller)."""
    return fs_iovecs(task, iov, iovcnt)


def _usable(task, vecs, writing):
    return fs_usable(task, vecs, writing, INT_MAX)


def _read_msghdr(task, msg):
    name, namelen, iov, iovlen, control, controllen, _ = MSGHDR.unpack(
        task.mm.read(msg, MSGHDR.size))
    if namelen & 0x80000000:
        raise SyscallError(errno.EINVAL)
    if not name:
        namelen = 0
    namelen = min(namelen, SOCKADDR_STORAGE)
    if iovlen > UIO_MAXIOV:
        raise SyscallError(errno.EMSGSIZE)
    return name, namelen, iov, iovlen, control, controllen


def _scm_files(task, control):
    """__scm_send(): the files an SCM_RIGHTS message passes, with a reference each."""
    files = []
    pos = 0
    size = len(control)
    try:
        while size - pos >= CMSGHDR.size:
            cmsg_len, level, type_ = CMSGHDR.unpack_from(control, pos)
            if cmsg_len < CMSGHDR.size or cmsg_len > size - pos:
                raise SyscallError(errno.EINVAL)
            if level == SOL_SOCKET:
                body = control[pos + CMSGHDR.size:pos + cmsg_len]
                if type_ == SCM_RIGHTS:
                    num = len(body) // 4
                    if num > SCM_MAX_FD or len(files) + num > SCM_MAX_FD:
                        raise SyscallError(errno.EINVAL)
                    for fd, in struct.iter_unpack("<i", body[:num * 4]):
                        file = task.files.files.get(fd)
                        if file is None:
                            raise SyscallError(errno.EBADF)
                        file.refs += 1
                        files.append(file)
                elif type_ == SCM_CREDENTIALS:
                    if cmsg_len != CMSGHDR.size + 12:
                        raise SyscallError(errno.EINVAL)
                    pid, uid, gid = struct.unpack("<iII", body)
                    c = task.creds
                    if pid != task.tgid or uid not in (c.uid, c.euid, c.suid) or \
                            gid not in (c.gid, c.egid, c.sgid):
                        raise SyscallError(errno.EPERM)
                else:
                    raise SyscallError(errno.EINVAL)
            pos += (cmsg_len + 7) & ~7
    except SyscallError:
        for f in files:
            drop(f)
        raise
    return files


def _do_send(task, sock, data, files, flags, name):
    if sock.type == SOCK_STREAM:
        if flags & MSG_OOB or name:
            for f in files:
                drop(f)
            if flags & MSG_OOB:
                raise SyscallError(errno.EOPNOTSUPP)
            raise SyscallError(errno.EISCONN if sock.state == "connected" else errno.EOPNOTSUPP)
        return sock.send(data, files, flags)
    target = None
    try:
        if sock.type == SOCK_SEQPACKET:
            err = sock.err
            if err:
                sock.err = 0
                raise SyscallError(err)
            if sock.state != "connected":
                raise SyscallError(errno.ENOTCONN)
        elif name:
            if flags & MSG_OOB:
                raise SyscallError(errno.EOPNOTSUPP)
            target = _find_other(task, name, sock.type)
    except SyscallError:
        for f in files:
            drop(f)
        raise
    return sock.send(data, files, flags, target)


def sys_sendto(task, fd, buf, length, flags, dest_addr, addrlen):
    """sendto(2) (send(2) is sendto without an address)."""
    inet = _inet(task, fd)
    sock = inet or _sock(task, fd)
    length = min(length, INT_MAX)
    avail = task.mm.extent(buf, length, False) if length else 0
    if length and avail == 0:
        raise SyscallError(errno.EFAULT)
    data = task.mm.read(buf, avail)
    name = _addr_from_user(task, dest_addr, addrlen) if dest_addr else b""
    if inet is not None:
        return inet.sendmsg(data, flags, name)
    return _do_send(task, sock, data, [], flags, name)


def sys_sendmsg(task, fd, msg, flags):
    """sendmsg(2): data, a destination for datagrams, SCM_RIGHTS."""
    inet = _inet(task, fd)
    sock = inet or _sock(task, fd)
    name, namelen, iov, iovlen, control, controllen = _read_msghdr(task, msg)
    raw_name = task.mm.read(name, namelen) if namelen else b""
    vecs = _usable(task, _iovecs(task, iov, iovlen), False)
    if controllen > INT_MAX:
        raise SyscallError(errno.ENOBUFS)
    ctl = task.mm.read(control, controllen) if controllen else b""
    data = b"".join(task.mm.read(base, n) for base, n in vecs)
    if inet is not None:
        return inet.sendmsg(data, flags, raw_name, _inet_control(ctl))
    files = _scm_files(task, ctl)
    return _do_send(task, sock, data, files, flags, raw_name)


def _inet_control(ctl):
    """Control messages for an inet socket, without SCM_RIGHTS and SCM_CREDENTIALS: Linux
    ignores those on inet sockets, and passed on they would be read in the kernel's fd
    table and as the kernel's process."""
    out, pos = [], 0
    while pos + 16 <= len(ctl):
        length, level, kind = struct.unpack_from("<Qii", ctl, pos)
        if length < 16:
            raise SyscallError(errno.EINVAL)
        step = (length + 7) & ~7
        if not (level == SOL_SOCKET and kind in (1, 2)):
            out.append(ctl[pos:pos + step])
        pos += step
    return b"".join(out)


def _sender_addr(sock, data_from):
    return _sockaddr(data_from) if data_from is not None and data_from.addr else b""


def _recv(task, sock, size, flags):
    sender = sock.queue[0].sender if sock.queue else None
    data, files, msg_flags, n = sock.recv(size, flags)
    return data, files, msg_flags, n, sender


def sys_recvfrom(task, fd, buf, size, flags, src_addr, addrlen):
    """recvfrom(2) (recv(2) is recvfrom without an address)."""
    inet = _inet(task, fd)
    sock = inet or _sock(task, fd)
    size = min(size, INT_MAX)
    room = task.mm.extent(buf, size, True) if size else 0
    if size and room == 0:
        raise SyscallError(errno.EFAULT)
    if inet is not None:
        data, name, _, _, n = inet.recvmsg(min(room, 1 << 20), flags)
        task.mm.write(buf, data)
        if src_addr:
            _move_addr_to_user(task, name, src_addr, addrlen)
        return n
    data, files, _, n, sender = _recv(task, sock, room, flags)
    for f in files:
        drop(f)
    task.mm.write(buf, data)
    if src_addr:
        _move_addr_to_user(task, _sender_addr(sock, sender) if data or n else b"",
                           src_addr, addrlen)
    return n


def sys_recvmsg(task, fd, msg, flags):
    """recvmsg(2): data, the sender's address, SCM_RIGHTS (MSG_CMSG_CLOEXEC), MSG_TRUNC/CTRUNC."""
    inet = _inet(task, fd)
    sock = inet or _sock(task, fd)
    name, namelen, iov, iovlen, control, controllen = _read_msghdr(task, msg)
    vecs = _usable(task, _iovecs(task, iov, iovlen), True)
    total = sum(n for _, n in vecs)
    if inet is not None:
        data, raw_name, ctl, msg_flags, n = inet.recvmsg(
            min(total, 1 << 20), flags, namelen, min(controllen, 65536) if control else 0)
        _scatter(task, vecs, data)
        if name:
            _move_addr_to_user(task, raw_name, name, msg + 8)
        if ctl:
            task.mm.write(control, ctl)
        task.mm.write(msg + 40, struct.pack("<Q", len(ctl)))
        task.mm.write(msg + 48, struct.pack("<i", msg_flags))
        return n
    data, files, msg_flags, n, sender = _recv(task, sock, total, flags)
    msg_flags |= flags & MSG_CMSG_CLOEXEC
    _scatter(task, vecs, data)
    used = 0
    if files:
        fdmax = (controllen - CMSGHDR.size) // 4 if control and controllen > CMSGHDR.size else 0
        installed = []
        for f in files[:max(fdmax, 0)]:
            try:
                installed.append(task.files.install(f, cloexec=bool(flags & MSG_CMSG_CLOEXEC)))
            except SyscallError:
                break
        for f in files:
            drop(f)
        if installed:
            cmlen = CMSGHDR.size + 4 * len(installed)
            task.mm.write(control, CMSGHDR.pack(cmlen, SOL_SOCKET, SCM_RIGHTS) +
                          struct.pack(f"<{len(installed)}i", *installed))
            used = min((cmlen + 7) & ~7, controllen)
        if len(installed) < len(files):
            msg_flags |= MSG_CTRUNC
    if name:
        _move_addr_to_user(task, _sender_addr(sock, sender), name, msg + 8)
    task.mm.write(msg + 40, struct.pack("<Q", used))
    task.mm.write(msg + 48, struct.pack("<i", msg_flags))
    return n


# ---- many messages in one call (net/socket.c __sys_sendmmsg, do_recvmmsg) ------------------

MMSGHDR_SIZE = 64                            # struct mmsghdr: msghdr + msg_len, padded
MSG_DONTWAIT, MSG_WAITFORONE, MSG_CMSG_COMPAT = 0x40, 0x10000, 0x80000000


def _mmsg_socket(task, fd):
    """sockfd_lookup_light(): EBADF, then ENOTSOCK."""
    return _inet(task, fd) or _sock(task, fd)


def sys_sendmmsg(task, fd, msgvec, vlen, flags):
    """sendmmsg(2): one sendmsg per entry until one fails; the error only if none went."""
    _mmsg_socket(task, fd)
    vlen = min(vlen, UIO_MAXIOV)
    restart = task.restart
    done = restart.get("mmsg_done", 0)
    err = None
    while done < vlen:
        entry = msgvec + done * MMSGHDR_SIZE
        try:
            n = sys_sendmsg(task, fd, entry, flags)
            task.mm.write(entry + 56, struct.pack("<I", n))
        except SyscallError as e:
            err = e
            break
        done += 1
        restart["mmsg_done"] = done          # a signal while a later one waits returns this
    if done == 0 and err is not None:
        raise err
    return done


def sys_recvmmsg(task, fd, msgvec, vlen, flags, timeout):
    """recvmmsg(2): MSG_WAITFORONE, the timeout checked after each datagram (as Linux does),
    the error of a later datagram kept on the socket for the next call."""
    if flags & MSG_CMSG_COMPAT:
        raise SyscallError(errno.EINVAL)
    restart = task.restart
    if "mmsg_end" not in restart:
        timeout_ns = read_timespec_ns(task, timeout) if timeout else None
        restart["mmsg_end"] = None if timeout_ns is None else time.monotonic_ns() + timeout_ns
    end = restart["mmsg_end"]
    sock = _mmsg_socket(task, fd)
    done = restart.get("mmsg_done", 0)
    if done == 0 and not isinstance(sock, InetSocket) and getattr(sock, "err", 0):
        err, sock.err = sock.err, 0
        raise SyscallError(err)
    err = None
    while done < vlen:
        entry = msgvec + done * MMSGHDR_SIZE
        now_flags = flags & ~MSG_WAITFORONE
        if done and flags & MSG_WAITFORONE:
            now_flags |= MSG_DONTWAIT
        try:
            n = sys_recvmsg(task, fd, entry, now_flags)
            task.mm.write(entry + 56, struct.pack("<I", n))
        except SyscallError as e:
            err = e
            break
        done += 1
        restart["mmsg_done"] = done
        if end is not None and time.monotonic_ns() >= end:
            break
        msg_flags, = struct.unpack("<i", task.mm.read(entry + 48, 4))
        if msg_flags & MSG_OOB:
            break
    if err is not None:
        if done == 0:
            raise err
        if err.errno != errno.EAGAIN and not isinstance(sock, InetSocket):
            sock.err = err.errno
    if timeout and done:
        left = max(0, end - time.monotonic_ns())
        task.mm.write(timeout, struct.pack("<qq", left // 10**9, left % 10**9))
    return done


HANDLERS = {
    "sendmmsg": sys_sendmmsg, "recvmmsg": sys_recvmmsg,
    "eventfd": sys_eventfd, "eventfd2": sys_eventfd2,
    "epoll_create": sys_epoll_create, "epoll_create1": sys_epoll_create1,
    "epoll_ctl": sys_epoll_ctl, "epoll_wait": sys_epoll_wait,
    "epoll_pwait": sys_epoll_pwait,
    "epoll_pwait2": sys_epoll_pwait2,
    "socket": (sys_socket, "partial: AF_UNIX only; other families answer EAFNOSUPPORT"),
    "socketpair": (sys_socketpair, "partial: AF_UNIX only"),
    "bind": (sys_bind, "partial: AF_UNIX only"), "listen": sys_listen,
    "connect": (sys_connect, "partial: AF_UNIX only"),
    "accept": sys_accept, "accept4": sys_accept4,
    "getsockname": sys_getsockname, "getpeername": sys_getpeername,
    "shutdown": sys_shutdown,
    "getsockopt": (sys_getsockopt, "partial: SOL_SOCKET options"),
    "setsockopt": (sys_setsockopt, "partial: SOL_SOCKET options"),
    "sendto": sys_sendto, "recvfrom": sys_recvfrom,
    "sendmsg": (sys_sendmsg, "partial: SCM_RIGHTS; SCM_CREDENTIALS checked, not delivered"),
    "recvmsg": (sys_recvmsg, "partial: SCM_RIGHTS only"),
}
