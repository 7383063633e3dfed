"""AF_UNIX sockets as kernel objects (net/unix/af_unix.c): socketpair, and
socket/bind/listen/connect/accept on abstract names and filesystem paths.

Each socket has a receive queue of segments (bytes, passed files, sender).
A stream read glues segments together but stops after one that carried fds;
datagram and seqpacket reads take one segment. Sent data is charged to the
sender (its in-flight bytes, against SO_SNDBUF) until the receiver takes it,
which is what makes writers wait or get EAGAIN. Every change to a socket
wakes its one wait queue (readers, writers, poll and epoll).

Passed files keep a reference while they are queued, so closing the sender's
fd does not release them; whatever is still queued when a socket is released
is dropped with it.
"""

import errno
import itertools
import os
import stat as statmod
from collections import deque

from .epoll import KeyedWaitQueue
from .errors import Block, SyscallError
from .fdtable import drop
from .fown import POLL_HUP, POLL_IN, POLL_OUT, kill_fasync
from .files import O_NONBLOCK, O_RDWR, File, make_stat

AF_UNIX = 1
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET = 1, 2, 3, 5
RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK = 1, 2, 3
MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT = 0x1, 0x2, 0x20, 0x40
MSG_WAITALL, MSG_NOSIGNAL, MSG_CMSG_CLOEXEC = 0x100, 0x4000, 0x40000000
SIGPIPE = 13
POLLIN, POLLOUT, POLLERR, POLLHUP = 0x1, 0x4, 0x8, 0x10
POLLRDNORM, POLLWRNORM, POLLWRBAND, POLLRDHUP = 0x40, 0x100, 0x200, 0x2000
SKB_OVERHEAD = 576                 # what one queued segment costs besides its bytes
SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF = 4608, 2304
_inodes = itertools.count(200000)


def _sysctl(name, default):
    try:
        with open(f"/proc/sys/net/core/{name}") as f:
            return int(f.read())
    except (OSError, ValueError):
        return default


WMEM_DEFAULT = _sysctl("wmem_default", 212992)
RMEM_DEFAULT = _sysctl("rmem_default", 212992)
WMEM_MAX = _sysctl("wmem_max", 212992)
RMEM_MAX = _sysctl("rmem_max", 212992)
SOMAXCONN = 4096


class Segment:
    __slots__ = ("data", "fds", "sender", "cost")

    def __init__(self, data, fds, sender):
        self.data = bytearray(data)
        self.fds = fds or None
        self.sender = sender
        self.cost = len(data) + SKB_OVERHEAD


class UnixSocket(File):
    """One AF_UNIX socket (an open file description)."""

    def __init__(self, kernel, type_, flags, creds):
        self.ino = next(_inodes)
        super().__init__(O_RDWR | (flags & O_NONBLOCK), f"socket:[{self.ino}]")
        self.kernel = kernel
        self.type = type_
        self.peer = None
        self.queue = deque()
        self.shutdown = 0
        self.err = 0
        self.dead = False
        self.inflight = 0
        self.sndbuf = WMEM_DEFAULT
        self.rcvbuf = RMEM_DEFAULT
        self.waitq = KeyedWaitQueue()
        self.creds = creds            # (pid, uid, gid) of the creator
        self.peercred = None
        self.addr = None              # bound address: sun_path bytes (abstract: leading NUL)
        self.state = "unconnected"    # unconnected, connected, listening
        self.backlog = []             # listening: connected server-side sockets
        self.max_backlog = 0
        self.name_key = None
        self.passcred = False
        self.nospace = False          # a send found no room (an O_ASYNC owner hears of room)

    # ---- connecting ---------------------------------------------------------------

    def connect_pair(self, other):
        self.peer, other.peer = other, self
        self.state = other.state = "connected"
        self.peercred, other.peercred = other.creds, self.creds

    # ---- sending ------------------------------------------------------------------

    def _charge(self, seg, target):
        target.queue.append(seg)
        self.inflight += seg.cost
        target.waitq.wake(key=POLLIN | POLLRDNORM)
        kill_fasync(self.kernel, target, POLL_IN)

    def _take_error(self):
        err, self.err = self.err, 0
        return err

    def send(self, data, files, flags, target=None):
        """sendmsg() on this socket: data (bytes), files to pass (refs already
        taken by the caller for each), target for an addressed datagram.
        Returns the count sent; files not queued are dropped here."""
        task = self.kernel.current
        try:
            if self.type == SOCK_STREAM:
                return self._stream_send(task, data, files, flags)
            return self._dgram_send(task, data, files, flags, target)
        finally:
            for f in files or ():
                drop(f)

    def _nonblock(self, flags):
        return flags & MSG_DONTWAIT or self.flags & O_NONBLOCK

    def _stream_send(self, task, data, files, flags):
        peer = self.peer
        if peer is None:
            raise SyscallError(errno.ENOTCONN)
        done = task.restart.get("sock_sent", 0)
        if self.shutdown & SEND_SHUTDOWN:
            return self._pipe_error(task, done, flags)
        chunk_max = max(4096, min(self.sndbuf // 2 - 64, 65536))
        while done < len(data):
            err = self._take_error()
            if err:
                if done:
                    return done
                raise SyscallError(err)
            if self.shutdown & SEND_SHUTDOWN:
                return self._pipe_error(task, done, flags)
            if self.inflight >= self.sndbuf:
                self.nospace = True         # SOCKWQ_ASYNC_NOSPACE: room is signalled later
                if self._nonblock(flags):
                    if done:
                        return done
                    raise SyscallError(errno.EAGAIN)
                task.restart["sock_sent"] = done
                raise Block(queue=self.waitq)
            if peer.dead or peer.shutdown & RCV_SHUTDOWN:
                return self._pipe_error(task, done, flags)
            chunk = data[done:done + chunk_max]
            fds = None
            if done == 0 and files:
                fds, files[:] = list(files), []
            self._charge(Segment(chunk, fds, self), peer)
            done += len(chunk)
        return done

    def _pipe_error(self, task, done, flags):
        if done:
            return done
        if not flags & MSG_NOSIGNAL:
            self.kernel.send_signal(task.process, SIGPIPE, task)
        raise SyscallError(errno.EPIPE)

    def _dgram_send(self, task, data, files, flags, target):
        if flags & MSG_OOB:
            raise SyscallError(errno.EOPNOTSUPP)
        other = target if target is not None else self.peer
        if other is None:
            raise SyscallError(errno.ENOTCONN)
        if len(data) > self.sndbuf - 32:
            raise SyscallError(errno.EMSGSIZE)
        err = self._take_error()
        if err:
            raise SyscallError(err)
        if self.shutdown & SEND_SHUTDOWN:
            raise SyscallError(errno.EPIPE)
        if self.inflight >= self.sndbuf:
            if self._nonblock(flags):
                raise SyscallError(errno.EAGAIN)
            raise Block(queue=self.waitq)
        if other.dead:
            if self.type == SOCK_SEQPACKET:
                raise SyscallError(errno.EPIPE)
            if self.peer is other:
                self.peer = None
                self.state = "unconnected"
                raise SyscallError(errno.ECONNREFUSED)
            raise SyscallError(errno.ECONNREFUSED if target is None else errno.ECONNRESET)
        if other.shutdown & RCV_SHUTDOWN:
            raise SyscallError(errno.EPIPE)
        if other is not self and other.peer is not self and \
                len(other.queue) > other.max_backlog_dgram():
            if self._nonblock(flags):
                raise SyscallError(errno.EAGAIN)
            raise Block(queue=other.waitq)
        self._charge(Segment(data, list(files) if files else None, self), other)
        if files:
            files[:] = []
        return len(data)

    def max_backlog_dgram(self):
        return 10   # net.unix.max_dgram_qlen

    def write(self, data):
        return self.send(data, None, 0)

    # ---- receiving ------------------------------------------------------------------

    def _consumed(self, seg, n):
        sender = seg.sender
        if n >= len(seg.data):
            cost = seg.cost
        else:
            cost = n
            seg.cost -= n
        del seg.data[:n]
        if sender is not None:
            sender.inflight = max(0, sender.inflight - cost)
            sender.waitq.wake(key=POLLOUT | POLLWRNORM | POLLWRBAND)
            if sender.nospace and sender.inflight * 4 <= sender.sndbuf:
                sender.nospace = False      # unix_write_space: SOCK_WAKE_SPACE, POLL_OUT
                kill_fasync(self.kernel, sender, POLL_OUT)

    def recv(self, size, flags):
        """recvmsg() on this socket: (data, files or [], msg_flags, length to
        report). The caller installs the files or drops them."""
        if flags & MSG_OOB:
            raise SyscallError(errno.EOPNOTSUPP if self.type != SOCK_STREAM else errno.EINVAL)
        if self.type == SOCK_STREAM:
            return self._stream_recv(size, flags)
        return self._dgram_recv(size, flags)

    def _stream_recv(self, size, flags):
        if self.state != "connected":
            raise SyscallError(errno.EINVAL)
        task = self.kernel.current
        saved = task.restart.get("sock_recv")
        out = bytearray(saved) if saved else bytearray()
        target = size if flags & MSG_WAITALL and not flags & MSG_PEEK else 1
        files = []
        peek = flags & MSG_PEEK
        idx = 0
        while len(out) < size:
            queue = self.queue
            if idx >= len(queue):
                if len(out) >= target:
                    break
                err = self._take_error()
                if err:
                    if out:
                        self.err = err
                        break
                    raise SyscallError(err)
                if self.shutdown & RCV_SHUTDOWN:
                    break
                if self._nonblock(flags):
                    if out:
                        break
                    raise SyscallError(errno.EAGAIN)
                if out:
                    task.restart["sock_recv"] = bytes(out)
                raise Block(queue=self.waitq)
            seg = queue[idx]
            chunk = bytes(seg.data[:size - len(out)])
            out += chunk
            if peek:
                if seg.fds:
                    files = self._dup_files(seg.fds)
                    break
                idx += 1
                continue
            got_fds = seg.fds
            seg.fds = None
            if got_fds:
                files = got_fds
            if len(chunk) < len(seg.data):
                self._consumed(seg, len(chunk))
                break
            queue.popleft()
            self._consumed(seg, len(chunk))
            if got_fds:
                break
        return bytes(out), files, 0, len(out)

    @staticmethod
    def _dup_files(files):
        for f in files:
            f.refs += 1
        return list(files)

    def _dgram_recv(self, size, flags):
        if not self.queue:
            if self._nonblock(flags):
                if self.type == SOCK_SEQPACKET and self.shutdown & RCV_SHUTDOWN:
                    return b"", [], 0, 0
                raise SyscallError(errno.EAGAIN)
            err = self._take_error()
            if err:
                raise SyscallError(err)
            if self.shutdown & RCV_SHUTDOWN:
                return b"", [], 0, 0
            if self.type == SOCK_SEQPACKET and self.state != "connected":
                raise SyscallError(errno.ENOTCONN)
            raise Block(queue=self.waitq)
        seg = self.queue[0]
        data = bytes(seg.data[:size])
        full = len(seg.data)
        msg_flags = MSG_TRUNC if size < full else 0
        if flags & MSG_PEEK:
            files = self._dup_files(seg.fds) if seg.fds else []
        else:
            self.queue.popleft()
            files = seg.fds or []
            seg.fds = None
            self._consumed(seg, full)
        return data, files, msg_flags, full if flags & MSG_TRUNC else len(data)

    def read(self, size):
        data, files, _, _ = self.recv(size, 0)
        for f in files:
            drop(f)
        return data

    # ---- state --------------------------------------------------------------------------

    def do_shutdown(self, how):
        mode = how + 1
        self.shutdown |= mode
        self.waitq.wake()
        other = self.peer
        if other is not None and self.type in (SOCK_STREAM, SOCK_SEQPACKET):
            peer_mode = (SEND_SHUTDOWN if mode & RCV_SHUTDOWN else 0) | \
                        (RCV_SHUTDOWN if mode & SEND_SHUTDOWN else 0)
            other.shutdown |= peer_mode
            other.waitq.wake()
            if peer_mode == SHUTDOWN_MASK:             # unix_shutdown's sk_wake_async
                kill_fasync(self.kernel, other, POLL_HUP)
            elif peer_mode & RCV_SHUTDOWN:
                kill_fasync(self.kernel, other, POLL_IN)

    def poll(self):
        ev = 0
        if self.err:
            ev |= POLLERR
        if self.shutdown == SHUTDOWN_MASK:
            ev |= POLLHUP
        if self.shutdown & RCV_SHUTDOWN:
            ev |= POLLRDHUP | POLLIN | POLLRDNORM
        if self.queue or (self.state == "listening" and self.backlog):
            ev |= POLLIN | POLLRDNORM
        if self.type != SOCK_DGRAM and self.state == "unconnected":
            ev |= POLLHUP
        if self.type == SOCK_SEQPACKET and self.state == "unconnected":
            return ev
        if self.state != "listening" and self.inflight * 4 <= self.sndbuf:
            other = self.peer
            if not (self.type == SOCK_DGRAM and other is not None and other.peer is not self
                    and len(other.queue) > other.max_backlog_dgram()):
                ev |= POLLOUT | POLLWRNORM | POLLWRBAND
        return ev

    def wait_queues(self):
        return (self.waitq,)

    def fionread(self):
        if self.state == "listening":
            return 0
        if self.type == SOCK_STREAM:
            return sum(len(s.data) for s in self.queue)
        return len(self.queue[0].data) if self.queue else 0

    def stat(self):
        return make_stat(statmod.S_IFSOCK | 0o777, self.ino, dev=0x8, uid=os.getuid(),
                         gid=os.getgid())

    def release(self):
        self.dead = True
        names = getattr(self.kernel, "unix_names", None)
        if names is not None and self.name_key is not None and names.get(self.name_key) is self:
            del names[self.name_key]
        for pending in self.backlog:
            drop_socket(pending)
        self.backlog = []
        skpair = self.peer
        if skpair is not None:
            if self.type in (SOCK_STREAM, SOCK_SEQPACKET):
                skpair.shutdown = SHUTDOWN_MASK
                if self.queue:
                    skpair.err = errno.ECONNRESET
            skpair.waitq.wake()
        self.peer = None
        while self.queue:
            seg = self.queue.popleft()
            self._consumed(seg, len(seg.data))
            for f in seg.fds or ():
                drop(f)
        self.state = "unconnected" if self.state != "connected" else "closed"
        self.waitq.wake()
        if skpair is not None and self.type in (SOCK_STREAM, SOCK_SEQPACKET):
            kill_fasync(self.kernel, skpair, POLL_HUP)      # unix_release_sock, last


def drop_socket(sock):
    """Release a socket no fd ever pointed at (a connection never accepted)."""
    sock.refs = 1
    drop(sock)
