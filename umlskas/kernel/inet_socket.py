"""AF_INET and AF_INET6 sockets: host sockets the kernel opens and holds.

The host socket is always non-blocking; whether the guest waits is the guest's
O_NONBLOCK (or MSG_DONTWAIT), and a wait parks the task on the host fd (Block).
Addresses and option values pass between guest and host as the same bytes.
read/write/poll/epoll/fstat/close are HostFile's (may_block is set for sockets).
"""

import ctypes
import errno
import os
import select
import socket
import struct

from .errors import Block, SyscallError
from .files import HostFile, O_NONBLOCK, O_RDWR

_libc = ctypes.CDLL(None, use_errno=True)
for _name in ("sendmsg", "recvmsg"):                # ssize_t; the others return int
    getattr(_libc, _name).restype = ctypes.c_ssize_t

SOCK_NONBLOCK, SOCK_CLOEXEC = 0o4000, 0o2000000
MSG_DONTWAIT, MSG_NOSIGNAL = 0x40, 0x4000
SIGPIPE = 13
SOCKADDR_MAX = 128
IFREQ_SIZE = 40
# SIOCGIFNAME, SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFMTU,
# SIOCGIFINDEX
IFREQ_IOCTLS = frozenset({0x8910, 0x8913, 0x8914, 0x8915, 0x891B, 0x8921, 0x8933})
OPT_MAX = 4096


def _ok(ret):
    if ret < 0:
        raise SyscallError(ctypes.get_errno())
    return ret


class _Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.c_void_p), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class InetSocket(HostFile):
    """A guest's AF_INET/AF_INET6 socket."""

    netns = None            # the guest network namespace it was made in (None: initial)

    def __init__(self, kernel, host_fd, flags):
        super().__init__(host_fd, O_RDWR | (flags & O_NONBLOCK),
                         f"socket:[{os.fstat(host_fd).st_ino}]")
        self.kernel = kernel
        self.type, = struct.unpack("<i", self.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 4))

    @classmethod
    def create(cls, kernel, family, type_, protocol, flags):
        fd = _ok(_libc.socket(family, type_ | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol))
        return cls(kernel, fd, flags)

    def _wait(self, events, flags=0):
        if self.flags & O_NONBLOCK or flags & MSG_DONTWAIT:
            raise SyscallError(errno.EAGAIN)
        raise Block(fds=((self.host_fd, events),))

    # ---- addresses and connections ---------------------------------------------------

    def bind(self, raw):
        return _ok(_libc.bind(self.host_fd, raw, len(raw)))

    def listen(self, backlog):
        return _ok(_libc.listen(self.host_fd, backlog))

    def connect(self, task, raw):
        if task.restart.get("inet_connect"):
            # A blocking connect that was in progress: done once the socket is writable.
            if not select.select([], [self.host_fd], [], 0)[1]:
                raise Block(fds=((self.host_fd, select.POLLOUT),))
            err = self.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR, 4)
            err, = struct.unpack("<i", err)
            if err:
                raise SyscallError(err)
            return 0
        if _libc.connect(self.host_fd, raw, len(raw)) == 0:
            return 0
        err = ctypes.get_errno()
        if err != errno.EINPROGRESS or self.flags & O_NONBLOCK:
            raise SyscallError(err)
        task.restart["inet_connect"] = True
        raise Block(fds=((self.host_fd, select.POLLOUT),))

    def accept(self, flags):
        """The accepted connection (a new InetSocket) and the peer's address bytes."""
        addr = ctypes.create_string_buffer(SOCKADDR_MAX)
        alen = ctypes.c_uint32(SOCKADDR_MAX)
        fd = _libc.accept4(self.host_fd, addr, ctypes.byref(alen), SOCK_NONBLOCK | SOCK_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            if err in (errno.EAGAIN, errno.EWOULDBLOCK):
                self._wait(select.POLLIN)
            raise SyscallError(err)
        new = InetSocket(self.kernel, fd, flags)
        new.netns = self.netns
        return new, addr.raw[:alen.value]

    def ioctl(self, task, cmd, arg):
        """Interface requests (struct ifreq) reach the host only for a socket of a
        guest's own network namespace, where the only interface is its loopback:
        the host's interfaces are never the guest's to see or change."""
        if self.netns is not None and cmd in IFREQ_IOCTLS:
            req = ctypes.create_string_buffer(task.mm.read(arg, IFREQ_SIZE), IFREQ_SIZE)
            _ok(_libc.ioctl(self.host_fd, ctypes.c_ulong(cmd), req))
            task.mm.write(arg, req.raw)
            return 0
        return super().ioctl(task, cmd, arg)

    def _name(self, fn):
        addr = ctypes.create_string_buffer(SOCKADDR_MAX)
        alen = ctypes.c_uint32(SOCKADDR_MAX)
        _ok(fn(self.host_fd, addr, ctypes.byref(alen)))
        return addr.raw[:alen.value]

    def sockname(self):
        return self._name(_libc.getsockname)

    def peername(self):
        return self._name(_libc.getpeername)

    def shutdown(self, how):
        return _ok(_libc.shutdown(self.host_fd, how))

    def getsockopt(self, level, optname, length):
        buf = ctypes.create_string_buffer(max(min(length, OPT_MAX), 0))
        blen = ctypes.c_uint32(len(buf))
        _ok(_libc.getsockopt(self.host_fd, level, optname, buf, ctypes.byref(blen)))
        return buf.raw[:blen.value]

    def setsockopt(self, level, optname, value):
        return _ok(_libc.setsockopt(self.host_fd, level, optname, value, len(value)))

    # ---- data ------------------------------------------------------------------------

    def _epipe(self, flags):
        if not flags & MSG_NOSIGNAL:
            task = self.kernel.current
            task.kernel.send_signal(task.process, SIGPIPE, task)
        raise SyscallError(errno.EPIPE)

    def _send_once(self, data, flags, name, control):
        buf = ctypes.create_string_buffer(data, len(data))
        iov = _Iovec(ctypes.cast(buf, ctypes.c_void_p), len(data))
        nbuf = ctypes.create_string_buffer(name, len(name)) if name else None
        cbuf = ctypes.create_string_buffer(control, len(control)) if control else None
        msg = _Msghdr(ctypes.cast(nbuf, ctypes.c_void_p) if nbuf else None, len(name),
                      ctypes.addressof(iov), 1,
                      ctypes.cast(cbuf, ctypes.c_void_p) if cbuf else None, len(control), 0)
        n = _libc.sendmsg(self.host_fd, ctypes.byref(msg), flags | MSG_DONTWAIT | MSG_NOSIGNAL)
        return n if n >= 0 else -ctypes.get_errno()

    def sendmsg(self, data, flags, name=b"", control=b""):
        """A blocking stream send goes on until all of data is sent, as Linux's does;
        the progress is kept in task.restart across waits."""
        task = self.kernel.current
        nonblock = self.flags & O_NONBLOCK or flags & MSG_DONTWAIT
        done = task.restart.get("inet_sent", 0)
        while True:
            n = self._send_once(data[done:], flags, name, control if not done else b"")
            if n < 0:
                if done:
                    if -n in (errno.EAGAIN, errno.EWOULDBLOCK) and not nonblock:
                        task.restart["inet_sent"] = done
                        raise Block(fds=((self.host_fd, select.POLLOUT),))
                    return done
                if -n in (errno.EAGAIN, errno.EWOULDBLOCK):
                    self._wait(select.POLLOUT, flags)
                if -n == errno.EPIPE:
                    self._epipe(flags)
                raise SyscallError(-n)
            done += n
            if done >= len(data) or nonblock or self.type != socket.SOCK_STREAM:
                return done

    def recvmsg(self, size, flags, namelen=0, controllen=0):
        """(data, name bytes, control bytes, msg_flags, return value)."""
        buf = ctypes.create_string_buffer(max(size, 1))
        iov = _Iovec(ctypes.cast(buf, ctypes.c_void_p), size)
        nbuf = ctypes.create_string_buffer(SOCKADDR_MAX)
        cbuf = ctypes.create_string_buffer(controllen) if controllen else None
        msg = _Msghdr(ctypes.cast(nbuf, ctypes.c_void_p), SOCKADDR_MAX,
                      ctypes.addressof(iov), 1,
                      ctypes.cast(cbuf, ctypes.c_void_p) if cbuf else None, controllen, 0)
        n = _libc.recvmsg(self.host_fd, ctypes.byref(msg), flags | MSG_DONTWAIT)
        if n < 0:
            err = ctypes.get_errno()
            if err in (errno.EAGAIN, errno.EWOULDBLOCK):
                self._wait(select.POLLIN, flags)
            raise SyscallError(err)
        got = min(n, size)
        control = cbuf.raw[:msg.controllen] if cbuf else b""
        return buf.raw[:got], nbuf.raw[:msg.namelen], control, msg.flags, n

    def write(self, data):
        return self.sendmsg(data, 0)

    def read(self, size):
        return self.recvmsg(size, 0)[0]

