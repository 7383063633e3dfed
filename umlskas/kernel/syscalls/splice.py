"""splice(2) and tee(2) between pipes and files, and pidfds (pidfd_open, pidfd_send_signal)."""

import errno
import select
import struct

from .. import creds, signals
from ..errors import SyscallError, Block
from ..files import O_NONBLOCK, O_RDONLY, File, make_stat
from ..pipe import PipeEnd
from ..procfs import DirFile

SPLICE_F_MOVE, SPLICE_F_NONBLOCK, SPLICE_F_MORE, SPLICE_F_GIFT = 1, 2, 4, 8
SPLICE_F_ALL = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT
MAX_RW_COUNT = 0x7FFFF000


def _room(task, dst, nonblock):
    """How much a pipe can take now (after the SIGPIPE/EPIPE and waiting rules)."""
    pipe = dst.pipe
    if pipe.readers == 0:
        task.kernel.send_signal(task.process, signals.SIGPIPE, task)
        raise SyscallError(errno.EPIPE)
    room = pipe.capacity - len(pipe.buf)
    if room == 0:
        if nonblock:
            raise SyscallError(errno.EAGAIN)
        raise Block(queue=pipe.writeq)
    return room


def _available(src, nonblock):
    """Bytes a pipe has now: 0 at EOF; EAGAIN or a wait when empty."""
    pipe = src.pipe
    if pipe.buf:
        return len(pipe.buf)
    if pipe.writers == 0:
        return 0
    if nonblock:
        raise SyscallError(errno.EAGAIN)
    raise Block(queue=pipe.readq)


def sys_splice(task, fd_in, off_in, fd_out, off_out, length, flags):
    """splice(2): moves data between a pipe and another file (copying, in this kernel).
    Checks in fs/splice.c's order: length 0, flags, the fds, offsets on a pipe, access."""
    if length == 0:
        return 0
    if flags & ~SPLICE_F_ALL:
        raise SyscallError(errno.EINVAL)
    src = task.files.get(fd_in)
    dst = task.files.get(fd_out)
    in_pipe, out_pipe = isinstance(src, PipeEnd), isinstance(dst, PipeEnd)
    if (in_pipe and off_in) or (out_pipe and off_out):
        raise SyscallError(errno.ESPIPE)
    if not src.readable or not dst.writable:
        raise SyscallError(errno.EBADF)
    if not in_pipe and not out_pipe:
        raise SyscallError(errno.EINVAL)
    if in_pipe and out_pipe and src.pipe is dst.pipe:
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
    if in_pipe:
        length = min(length, _available(src, nonblock or bool(src.flags & O_NONBLOCK)))
        if length == 0:
            return 0
    data = src.pread(length, pos_in) if pos_in is not None else src.read(length)
    if not data:
        return 0
    written = dst.pwrite(data, pos_out) if pos_out is not None else dst.write(data)
    if pos_in is not None:
        mm.write(off_in, struct.pack("<q", pos_in + written))
    if pos_out is not None:
        mm.write(off_out, struct.pack("<q", pos_out + written))
    return written


def sys_tee(task, fd_in, fd_out, length, flags):
    """tee(2): copies pipe data to another pipe without consuming it. Checks in
    fs/splice.c's order: flags, length 0, the fds, access (EBADF), then two pipes."""
    if flags & ~SPLICE_F_ALL:
        raise SyscallError(errno.EINVAL)
    if length == 0:
        return 0
    src = task.files.get(fd_in)
    dst = task.files.get(fd_out)
    if not src.readable or not dst.writable:
        raise SyscallError(errno.EBADF)
    if not isinstance(src, PipeEnd) or not isinstance(dst, PipeEnd) or src.pipe is dst.pipe:
        raise SyscallError(errno.EINVAL)
    nonblock = bool(flags & SPLICE_F_NONBLOCK)
    length = min(length, _room(task, dst, nonblock or bool(dst.flags & O_NONBLOCK)))
    length = min(length, _available(src, nonblock or bool(src.flags & O_NONBLOCK)))
    if length == 0:
        return 0
    data = bytes(src.pipe.buf[:length])
    dst.pipe.buf += data
    dst.pipe.readq.wake()
    return len(data)


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
    "pidfd_open": sys_pidfd_open,
    "pidfd_send_signal": sys_pidfd_send_signal,
}
