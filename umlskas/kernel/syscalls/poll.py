"""pipe(2)/pipe2(2) and the readiness calls: poll, ppoll, select, pselect6.

A file reports readiness through poll() (kernel files) or, for host files that
can block, by asking the host. A call that has to wait parks on the host fds
and the kernel wait queues involved, with its timeout as the deadline.
"""

import errno
import struct
import time

from ..errors import Block, SyscallError
from ..signals import with_temp_sigmask
from ..files import O_CLOEXEC, O_DIRECT, O_NONBLOCK
from ..epoll import file_revents
from ..pipe import make_pipe
from .time import park_deadline

POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND = 0x40, 0x80, 0x100, 0x200
DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM
POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR
POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR
POLLEX_SET = POLLPRI


def sys_pipe2(task, pipefd, flags):
    """pipe2(2)."""
    if flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT):
        raise SyscallError(errno.EINVAL)
    reader, writer = make_pipe(task.kernel, flags)
    files = task.files
    try:
        rfd = files.install(reader, cloexec=bool(flags & O_CLOEXEC))
    except SyscallError:
        reader.release()            # the pipe's pages go back to its user
        writer.release()
        raise
    try:
        wfd = files.install(writer, cloexec=bool(flags & O_CLOEXEC))
    except SyscallError:
        files.close(rfd)
        writer.release()
        raise
    try:
        task.mm.write(pipefd, struct.pack("<ii", rfd, wfd))
    except SyscallError:
        files.close(rfd)
        files.close(wfd)
        raise
    return 0


def sys_pipe(task, pipefd):
    """pipe(2)."""
    return sys_pipe2(task, pipefd, 0)


def file_events(file):
    """What a file is ready for now, as poll bits (the same answer epoll gets)."""
    return file_revents(file)


def _park(task, files_events, deadline):
    """Block until one of the files may have changed, or the deadline."""
    fds = []
    queues = []
    for file, events in files_events:
        waits = getattr(file, "wait_queues", None)
        if waits is not None:
            queues.extend(waits())
        elif file.host_fd is not None and getattr(file, "may_block", False):
            fds.append((file.host_fd, events & (POLLIN | POLLOUT | POLLPRI) or POLLIN))
    raise Block(fds=tuple(fds), deadline=park_at(deadline), queue=tuple(queues) or None)


# poll_select_set_timeout's end time saturates at TIME64_MAX seconds
# (timespec64_add_safe); the wait itself never ends past KTIME_MAX.
END_MAX_NS = ((1 << 63) - 1) * 10**9


def call_deadline(task, timeout_ns):
    """This call's end time (CLOCK_MONOTONIC ns, None: no timeout), fixed on its first run."""
    restart = task.restart
    if "poll_end" not in restart:
        restart["poll_end"] = None if timeout_ns is None else \
            min(time.monotonic_ns() + timeout_ns, END_MAX_NS)
    return restart["poll_end"]


def expired(end_ns):
    return end_ns is not None and time.monotonic_ns() >= end_ns


def park_at(end_ns):
    """The Block deadline for an end time from call_deadline."""
    return None if end_ns is None else park_deadline(end_ns)


def do_poll(task, fds_ptr, nfds, timeout_ns):
    if nfds > task.rlimits[7][0] or nfds > 0x7FFFFFFF:
        raise SyscallError(errno.EINVAL)
    raw = task.mm.read(fds_ptr, 8 * nfds)
    entries = list(struct.iter_unpack("<ihh", raw))
    deadline = call_deadline(task, timeout_ns)
    out = []
    count = 0
    watched = []
    for fd, events, _ in entries:
        revents = 0
        if fd >= 0:
            file = task.files.files.get(fd)
            if file is None:
                revents = POLLNVAL
            else:
                revents = file_events(file) & ((events & 0xFFFF) | POLLERR | POLLHUP)
                watched.append((file, events))
        if revents:
            count += 1
        out.append(struct.pack("<ihh", fd, events, revents - 0x10000 if revents & 0x8000 else revents))
    if count or timeout_ns == 0 or expired(deadline):
        task.mm.write(fds_ptr, b"".join(out))
        return count
    _park(task, watched, deadline)


def sys_poll(task, fds, nfds, timeout):
    """poll(2)."""
    return do_poll(task, fds, nfds & 0xFFFFFFFF, None if timeout < 0 else timeout * 10**6)


def read_timespec_ns(task, ptr):
    if not ptr:
        return None
    sec, nsec = struct.unpack("<qq", task.mm.read(ptr, 16))
    if sec < 0 or not 0 <= nsec < 10**9:
        raise SyscallError(errno.EINVAL)
    return sec * 10**9 + nsec


def read_sigmask(task, ptr, size):
    """The sigset_t a p* call passes (None for a null pointer); EINVAL unless 8 bytes."""
    if not ptr:
        return None
    if size != 8:
        raise SyscallError(errno.EINVAL)
    return struct.unpack("<Q", task.mm.read(ptr, 8))[0]


def sys_ppoll(task, fds, nfds, tsp, sigmask, sigsetsize):
    """ppoll(2): the signal mask is the task's for the call's duration."""
    mask = read_sigmask(task, sigmask, sigsetsize)
    timeout_ns = read_timespec_ns(task, tsp)
    return _finish(task, tsp, timeout_ns, 10**9, lambda: with_temp_sigmask(
        task, mask, lambda: do_poll(task, fds, nfds & 0xFFFFFFFF, timeout_ns)))


def do_select(task, nfds, readfds, writefds, exceptfds, timeout_ns):
    if nfds < 0:
        raise SyscallError(errno.EINVAL)
    nfds = min(nfds, max(task.files.files, default=-1) + 1) if nfds > 1024 else nfds
    nbytes = (nfds + 63) // 64 * 8
    sets = []
    for ptr in (readfds, writefds, exceptfds):
        sets.append(int.from_bytes(task.mm.read(ptr, nbytes), "little") if ptr else 0)
    deadline = call_deadline(task, timeout_ns)
    results = [0, 0, 0]
    count = 0
    watched = []
    wanted = sets[0] | sets[1] | sets[2]
    for fd in range(nfds):
        if not wanted >> fd & 1:
            continue
        file = task.files.files.get(fd)
        if file is None:
            raise SyscallError(errno.EBADF)
        ev = file_events(file)
        watched.append((file, (POLLIN if sets[0] >> fd & 1 else 0) |
                        (POLLOUT if sets[1] >> fd & 1 else 0)))
        for i, mask in enumerate((POLLIN_SET, POLLOUT_SET, POLLEX_SET)):
            if sets[i] >> fd & 1 and ev & mask:
                results[i] |= 1 << fd
                count += 1
    if count or timeout_ns == 0 or expired(deadline):
        for ptr, value in zip((readfds, writefds, exceptfds), results):
            if ptr:
                task.mm.write(ptr, value.to_bytes(nbytes, "little"))
        return count
    _park(task, watched, deadline)


def _remaining_ns(task):
    end = task.restart.get("poll_end")
    return 0 if end is None else max(0, end - time.monotonic_ns())


def _finish(task, ptr, timeout_ns, per_sec, call):
    """poll_select_finish: run call(); when it returns, or a signal interrupts it, the
    time left goes back to the timeout at ptr (a timeval for select: per_sec 10**6;
    a timespec: 10**9). A timeout in memory the guest cannot write is no reason to
    fail the call (Linux then just does not update it)."""
    try:
        result = call()
    except Block:
        if ptr and timeout_ns and task.sigpending:
            _write_left(task, ptr, per_sec)
        raise
    if ptr and timeout_ns:
        _write_left(task, ptr, per_sec)
    return result


STICKY_TIMEOUTS = 0x4000000


def _write_left(task, ptr, per_sec):
    if getattr(task, "personality", 0) & STICKY_TIMEOUTS:
        return                  # poll_select_finish: the timeout is left as it was
    left = _remaining_ns(task)
    try:
        task.mm.write(ptr, struct.pack("<qq", left // 10**9, left % 10**9 // (10**9 // per_sec)))
    except SyscallError:
        pass


def sys_select(task, nfds, readfds, writefds, exceptfds, timeout):
    """select(2); the timeval is updated with the time left, as Linux does."""
    timeout_ns = None
    if timeout:
        sec, usec = struct.unpack("<qq", task.mm.read(timeout, 16))
        if sec < 0 or not 0 <= usec < 10**6:
            raise SyscallError(errno.EINVAL)
        timeout_ns = sec * 10**9 + usec * 1000
    return _finish(task, timeout, timeout_ns, 10**6, lambda: do_select(
        task, nfds, readfds, writefds, exceptfds, timeout_ns))


def sys_pselect6(task, nfds, readfds, writefds, exceptfds, tsp, sig):
    """pselect6(2): the signal mask is the task's for the call's duration."""
    mask = None
    if sig:
        mask_ptr, size = struct.unpack("<QQ", task.mm.read(sig, 16))
        mask = read_sigmask(task, mask_ptr, size)
    timeout_ns = read_timespec_ns(task, tsp)
    return _finish(task, tsp, timeout_ns, 10**9, lambda: with_temp_sigmask(
        task, mask, lambda: do_select(task, nfds, readfds, writefds, exceptfds, timeout_ns)))


HANDLERS = {
    "pipe": sys_pipe, "pipe2": sys_pipe2,
    "poll": sys_poll, "ppoll": sys_ppoll,
    "select": sys_select, "pselect6": sys_pselect6,
}
