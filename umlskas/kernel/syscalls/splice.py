"""splice(2) and tee(2) between pipes, FIFOs and files, and pidfds (pidfd_open, pidfd_send_signal)."""

import errno
import fcntl
import os
import select
import struct

from .. import creds, hostsys, signals
from ..errors import SyscallError, Block
from ..files import FIONREAD, O_APPEND, O_NONBLOCK, O_RDONLY, FifoFile, File, make_stat
from ..pipe import F_GETPIPE_SZ, PAGE_SIZE, PipeEnd
from ..procfs import DirFile
from .fs import _iovecs as fs_iovecs, _scatter as fs_scatter, _usable as fs_usable

SPLICE_F_MOVE, SPLICE_F_NONBLOCK, SPLICE_F_MORE, SPLICE_F_GIFT = 1, 2, 4, 8
SPLICE_F_ALL = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT
MAX_RW_COUNT = 0x7FFFF000
SYS_TEE = 276
TEE_BOUNCE = 65536                  # a host FIFO teed into a kernel pipe goes via a host pipe


def _is_pipe(file):
    """Linux's get_pipe_info: an anonymous pipe's end or a FIFO (here a host FIFO)."""
    return isinstance(file, (PipeEnd, FifoFile))


def _same_pipe(a, b):
    if isinstance(a, PipeEnd) and isinstance(b, PipeEnd):
        return a.pipe is b.pipe
    if isinstance(a, FifoFile) and isinstance(b, FifoFile):
        return a.state is b.state or os.fstat(a.host_fd).st_ino == os.fstat(b.host_fd).st_ino
    return False


def _host_int(hfd, op, arg=0):
    try:
        return fcntl.fcntl(hfd, op, arg)
    except OSError as e:
        raise SyscallError(e.errno) from None


def _room(task, dst, nonblock):
    """How much a pipe can take now (after the SIGPIPE/EPIPE and waiting rules)."""
    if isinstance(dst, FifoFile):
        return _fifo_room(task, dst, nonblock)
    pipe = dst.pipe
    if pipe.readers == 0:
        task.kernel.send_signal(task.process, signals.SIGPIPE, task)
        raise SyscallError(errno.EPIPE)
    free = pipe.free_slots()
    if not free:
        if nonblock:
            raise SyscallError(errno.EAGAIN)
        raise Block(queue=pipe.writeq)
    return free * PAGE_SIZE


def _fifo_room(task, dst, nonblock):
    """The free page slots of a host FIFO, in bytes: a splice fills whole pages, so
    what fits there is written at once (the data was taken from the source already)."""
    hfd = dst.host_fd
    poller = select.poll()
    poller.register(hfd, select.POLLOUT)
    events = poller.poll(0)
    if events and events[0][1] & select.POLLERR:
        task.kernel.send_signal(task.process, signals.SIGPIPE, task)
        raise SyscallError(errno.EPIPE)
    queued, = struct.unpack("<i", fcntl.ioctl(hfd, FIONREAD, b"\0" * 4))
    free = _host_int(hfd, F_GETPIPE_SZ) // PAGE_SIZE - -(-queued // PAGE_SIZE)
    if free <= 0:
        if nonblock:
            raise SyscallError(errno.EAGAIN)
        raise Block(fds=((hfd, select.POLLOUT),))
    return free * PAGE_SIZE


def _available(src, nonblock):
    """Bytes a pipe has now: 0 at EOF; EAGAIN or a wait when empty."""
    pipe = src.pipe
    if pipe.nbytes:
        return pipe.nbytes
    if pipe.writers == 0:
        return 0
    if nonblock:
        raise SyscallError(errno.EAGAIN)
    raise Block(queue=pipe.readq)


def _fifo_wait(src, nonblock):
    if nonblock:
        raise SyscallError(errno.EAGAIN)
    raise Block(fds=((src.host_fd, select.POLLIN),))


def _fifo_take(src, length, nonblock):
    """Up to length bytes from a host FIFO (b"" at EOF: no writer)."""
    try:
        return os.read(src.host_fd, length)
    except BlockingIOError:
        _fifo_wait(src, nonblock)
    except OSError as e:
        raise SyscallError(e.errno) from None


def _fifo_peek(src, length, nonblock):
    """Up to length bytes of a host FIFO, left in it (tee through a host pipe)."""
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        n = hostsys.call(SYS_TEE, src.host_fd, w, min(length, TEE_BOUNCE), SPLICE_F_NONBLOCK)
        if n == -errno.EAGAIN:
            _fifo_wait(src, nonblock)
        if n < 0:
            raise SyscallError(-n)
        return os.read(r, n) if n else b""
    finally:
        os.close(r)
        os.close(w)


def sys_splice(task, fd_in, off_in, fd_out, off_out, length, flags):
    """splice(2): moves data between a pipe or FIFO and another file (copying, in this
    kernel). Checks in fs/splice.c's order: length 0, flags, the fds, offsets on a pipe,
    access."""
    if length == 0:
        return 0
    if flags & ~SPLICE_F_ALL:
        raise SyscallError(errno.EINVAL)
    src = task.files.get(fd_in)
    dst = task.files.get(fd_out)
    in_pipe, out_pipe = _is_pipe(src), _is_pipe(dst)
    if (in_pipe and off_in) or (out_pipe and off_out):
        raise SyscallError(errno.ESPIPE)
    if not src.readable or not dst.writable:
        raise SyscallError(errno.EBADF)
    if not in_pipe and not out_pipe:
        raise SyscallError(errno.EINVAL)
    if in_pipe and out_pipe and _same_pipe(src, dst):
        raise SyscallError(errno.EINVAL)
    if in_pipe and not out_pipe and dst.flags & O_APPEND:
        raise SyscallError(errno.EINVAL)
    mm = task.mm
    pos_in = struct.unpack("<q", mm.read(off_in, 8))[0] if off_in else None
    pos_out = struct.unpack("<q", mm.read(off_out, 8))[0] if off_out else None
    if (pos_in is not None and pos_in < 0) or (pos_out is not None and pos_out < 0):
        raise SyscallError(errno.EINVAL)
    length = min(length, MAX_RW_COUNT)
    if length == 0:
        return 0
    nonblock = bool(flags & SPLICE_F_NONBLOCK)
    if out_pipe:
        length = min(length, _room(task, dst, nonblock or bool(dst.flags & O_NONBLOCK)))
    src_nonblock = nonblock or bool(src.flags & O_NONBLOCK)
    if isinstance(src, FifoFile):
        data = _fifo_take(src, length, src_nonblock)
    elif isinstance(src, PipeEnd):
        length = min(length, _available(src, src_nonblock))
        if length == 0:
            return 0
        if isinstance(dst, PipeEnd):
            return _move_buffers(src.pipe, dst.pipe, length)
        data = src.pipe.take(length)
        src.pipe.writeq.wake()
    else:
        data = src.pread(length, pos_in) if pos_in is not None else src.read(length)
    if not data:
        return 0
    if isinstance(dst, PipeEnd):
        # Spliced pages are the file's, never merged with a later write.
        written = dst.pipe.push(data, merge=False)
        dst.pipe.readq.wake()
    else:
        written = dst.pwrite(data, pos_out) if pos_out is not None else dst.write(data)
    if pos_in is not None:
        mm.write(off_in, struct.pack("<q", pos_in + written))
    if pos_out is not None:
        mm.write(off_out, struct.pack("<q", pos_out + written))
    return written


def sys_tee(task, fd_in, fd_out, length, flags):
    """tee(2): copies pipe (or FIFO) data to another pipe without consuming it. Checks
    in fs/splice.c's order: flags, length 0, the fds, access (EBADF), then two pipes."""
    if flags & ~SPLICE_F_ALL:
        raise SyscallError(errno.EINVAL)
    if length == 0:
        return 0
    src = task.files.get(fd_in)
    dst = task.files.get(fd_out)
    if not src.readable or not dst.writable:
        raise SyscallError(errno.EBADF)
    if not _is_pipe(src) or not _is_pipe(dst) or _same_pipe(src, dst):
        raise SyscallError(errno.EINVAL)
    nonblock = bool(flags & SPLICE_F_NONBLOCK)
    length = min(length, _room(task, dst, nonblock or bool(dst.flags & O_NONBLOCK)))
    src_nonblock = nonblock or bool(src.flags & O_NONBLOCK)
    if isinstance(src, FifoFile):
        if isinstance(dst, FifoFile):
            n = hostsys.call(SYS_TEE, src.host_fd, dst.host_fd, length, SPLICE_F_NONBLOCK)
            if n == -errno.EAGAIN:
                _fifo_wait(src, src_nonblock)
            if n < 0:
                raise SyscallError(-n)
            return n
        data = _fifo_peek(src, length, src_nonblock)
    else:
        length = min(length, _available(src, src_nonblock))
        if isinstance(dst, PipeEnd):
            return _move_buffers(src.pipe, dst.pipe, length, keep=True)
        data = b"".join(chunk for chunk, _ in src.pipe.peek(length))
    if not data:
        return 0
    if isinstance(dst, FifoFile):
        return dst.write(data)
    n = dst.pipe.push(data, merge=False)
    dst.pipe.readq.wake()
    return n


def _move_buffers(src, dst, length, keep=False):
    """splice_pipe_to_pipe (keep: tee's link_pipe): buffer by buffer into free slots; a
    whole buffer moved keeps its merge flag, a part of one or a copy does not."""
    moved = 0
    for data, merge in src.peek(length):
        if not dst.free_slots():
            break
        dst.push(data, merge=merge and not keep)
        moved += len(data)
    if moved and not keep:
        src.take(moved)
        src.writeq.wake()
    if moved:
        dst.readq.wake()
    return moved


def sys_vmsplice(task, fd, iov, nr_segs, flags):
    """vmsplice(2), in fs/splice.c's order: flags, the fd and its direction (a writable
    file is written to), the iovec, then a pipe or EBADF. User pages go in as buffers of
    their own (one per piece of a user page, never merged with a later write); only
    SPLICE_F_NONBLOCK makes it not wait (Linux ignores the file's O_NONBLOCK here)."""
    if flags & ~SPLICE_F_ALL:
        raise SyscallError(errno.EINVAL)
    file = task.files.get(fd)
    if not file.writable and not file.readable:
        raise SyscallError(errno.EBADF)
    vecs = fs_iovecs(task, iov, nr_segs if nr_segs < 1 << 31 else 1 << 31)
    if not any(length for _, length in vecs):
        return 0
    if not _is_pipe(file):
        raise SyscallError(errno.EBADF)
    nonblock = bool(flags & SPLICE_F_NONBLOCK)
    if file.writable:
        return _vmsplice_to_pipe(task, file, vecs, nonblock)
    return _vmsplice_to_user(task, file, vecs, nonblock)


def _user_pieces(task, vecs, slots):
    """The iovec's bytes cut at user page boundaries, at most `slots` pieces; a fault
    ends them (EFAULT if it is the first)."""
    pieces = []
    for base, length in vecs:
        pos, end = base, base + length
        while pos < end and len(pieces) < slots:
            n = min(end - pos, PAGE_SIZE - pos % PAGE_SIZE)
            try:
                pieces.append(task.mm.read(pos, n))
            except SyscallError:
                if not pieces:
                    raise
                return pieces
            pos += n
        if len(pieces) >= slots:
            break
    return pieces


def _vmsplice_to_pipe(task, file, vecs, nonblock):
    if isinstance(file, FifoFile):
        slots = _fifo_room(task, file, nonblock) // PAGE_SIZE
        return file.write(b"".join(_user_pieces(task, vecs, slots)))
    pipe = file.pipe
    if pipe.readers == 0:
        task.kernel.send_signal(task.process, signals.SIGPIPE, task)
        raise SyscallError(errno.EPIPE)
    if not pipe.free_slots():
        if nonblock:
            raise SyscallError(errno.EAGAIN)
        raise Block(queue=pipe.writeq)
    done = 0
    for piece in _user_pieces(task, vecs, pipe.free_slots()):
        done += pipe.push(piece, merge=False)
    pipe.readq.wake()
    return done


def _vmsplice_to_user(task, file, vecs, nonblock):
    total = sum(length for _, length in vecs)
    if isinstance(file, FifoFile):
        usable = fs_usable(task, vecs, True)
        data = _fifo_take(file, min(total, sum(n for _, n in usable)), nonblock)
        return fs_scatter(task, usable, data)
    available = _available(file, nonblock)
    if not available:
        return 0
    usable = fs_usable(task, vecs, True)       # a fault before anything is taken
    data = file.pipe.take(min(available, sum(n for _, n in usable)))
    file.pipe.writeq.wake()
    return fs_scatter(task, usable, data)


# ---- pidfds -------------------------------------------------------------------------

PIDFD_NONBLOCK = O_NONBLOCK


class PidFd(File):
    """A pidfd: refers to a process; readable (POLLIN) once it has exited."""

    def __init__(self, process, flags):
        super().__init__(O_RDONLY | (flags & O_NONBLOCK), "anon_inode:[pidfd]")
        self.process = process

    def read(self, size):
        raise SyscallError(errno.EINVAL)

    def poll(self):
        process = self.process
        return select.POLLIN | select.POLLHUP if (process.zombie or not process.threads) else 0

    def wait_queues(self):
        parent = self.process.parent
        return (self.process.exit_queue,) + ((parent.child_exit,) if parent is not None else ())

    def stat(self):
        return make_stat(0o600, 0x5000 + self.process.tgid)


def sys_pidfd_open(task, pid, flags):
    """pidfd_open(2)."""
    if flags & ~PIDFD_NONBLOCK or pid <= 0:
        raise SyscallError(errno.EINVAL)
    target = task.kernel.task_by_vpid(pid)
    if target is None:
        raise SyscallError(errno.ESRCH)
    if target.tid != target.tgid:
        raise SyscallError(errno.ENOENT)
    return task.files.install(PidFd(target.process, flags), cloexec=True)


def sys_pidfd_send_signal(task, pidfd, sig, info, flags):
    """pidfd_send_signal(2)."""
    if flags:
        raise SyscallError(errno.EINVAL)
    file = task.files.get(pidfd)
    if isinstance(file, PidFd):
        process = file.process
    elif isinstance(file, DirFile) and getattr(file.node, "pid_process", None) is not None:
        process = file.node.pid_process     # a /proc/PID directory (not O_PATH, not task/TID)
    else:
        raise SyscallError(errno.EBADF)
    if sig < 0 or sig > 64:
        raise SyscallError(errno.EINVAL)
    if process.zombie or not process.threads:
        raise SyscallError(errno.ESRCH)
    raw = None
    if info:
        raw = task.mm.read(info, 128)
        signo, _, code = struct.unpack_from("<iii", raw)
        if signo != sig:
            raise SyscallError(errno.EINVAL)
        # Only to itself may a process send a siginfo that claims to come from the kernel.
        if process is not task.process and (code >= 0 or code == signals.SI_TKILL):
            raise SyscallError(errno.EPERM)
    creds.check_signal(task, process.threads[0], sig)    # check_kill_permission
    raw = signals.rlimit_info(task.kernel, process, sig, raw)    # RLIMIT_SIGPENDING
    task.kernel.send_signal(process, sig, task, info=raw)
    return 0


HANDLERS = {
    "splice": (sys_splice, "partial: data is copied, not moved"),
    "tee": sys_tee,
    "vmsplice": sys_vmsplice,
    "pidfd_open": sys_pidfd_open,
    "pidfd_send_signal": sys_pidfd_send_signal,
}
