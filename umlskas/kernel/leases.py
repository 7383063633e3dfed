"""File leases: F_SETLEASE/F_GETLEASE and their break on a conflicting open or truncate.

How it works (Linux's fs/locks.c: generic_add_lease, check_conflicting_open,
__break_lease, time_out_leases, lease_modify): a lease belongs to an open file
description of a regular file and is kept per inode (host st_dev, st_ino). A
guest's open or truncate that conflicts with a lease (a writer with any lease, a
reader with a write lease) marks the lease for unlock or downgrade, signals its
holder once (kill_fasync POLL_MSG to the lease's fd: SIGIO or the F_SETSIG
signal), and then waits (O_NONBLOCK: EWOULDBLOCK) until the holder gives the
lease up or downgrades it, or /proc/sys/fs/lease-break-time seconds pass; then
the lease is taken away. Open counts are the guests' opens the kernel holds.
"""

import errno
import os
import stat as statmod
import time

from . import fown
from .errors import Block, SyscallError, WaitQueue

F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
O_ACCMODE, O_RDONLY, O_NONBLOCK, O_PATH = 3, 0, 0o4000, 0o10000000
LEASE_BREAK_TIME = 45


class Lease:
    """struct file_lease: the holder's description, its type, a pending break."""

    def __init__(self, file, fd, type_, key):
        self.file = file
        self.fd = fd
        self.type = type_
        self.key = key
        self.pending = None             # F_UNLCK or F_RDLCK: what the break asks for
        self.deadline = None            # monotonic time the break is enforced at

    def target(self):
        return self.pending if self.pending is not None else self.type


class LeaseTable:
    """The kernel's leases: inode key -> [Lease], and the openers waiting on them."""

    def __init__(self):
        self.by_key = {}
        self.waitq = WaitQueue()
        self.break_time = LEASE_BREAK_TIME


def table(kernel):
    t = getattr(kernel, "leases", None)
    if t is None:
        t = kernel.leases = LeaseTable()
    return t


def _key(file):
    st = os.fstat(file.host_fd)
    return (st.st_dev, st.st_ino), st


def _open_counts(kernel, key):
    """(writers, read-only openers) among the guests' open descriptions of the inode."""
    seen = set()
    writers = readers = 0
    for task in list(kernel.tasks.values()):
        files = getattr(task, "files", None)
        if files is None:
            continue
        for f in files.files.values():
            if id(f) in seen or f.host_fd is None or f.flags & O_PATH:
                continue
            seen.add(id(f))
            try:
                st = os.fstat(f.host_fd)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) != key:
                continue
            if f.flags & O_ACCMODE != O_RDONLY:
                writers += 1
            else:
                readers += 1
    return writers, readers


def _time_out(t, key):
    """time_out_leases: breaks past their deadline are carried out."""
    now = time.monotonic()
    for lease in list(t.by_key.get(key, ())):
        if lease.pending is not None and lease.deadline is not None and lease.deadline <= now:
            _modify(t, lease, lease.pending)


def _modify(t, lease, type_):
    """lease_modify: a new type, or F_UNLCK: the lease goes with the owner and signal."""
    lease.pending = lease.deadline = None
    if type_ == F_UNLCK:
        leases = t.by_key.get(lease.key, [])
        if lease in leases:
            leases.remove(lease)
        if not leases:
            t.by_key.pop(lease.key, None)
        file = lease.file
        file.lease = None
        own = getattr(file, "fown", None)
        if own is not None:
            own.pid = 0                  # f_delown
            own.signum = 0
        file.flags &= ~0o20000           # fasync_helper(0): FASYNC off
    else:
        lease.type = type_
    t.waitq.wake()


def setlease(task, fd, file, arg):
    """fcntl(F_SETLEASE)."""
    if arg not in (F_RDLCK, F_WRLCK, F_UNLCK):
        raise SyscallError(errno.EINVAL)
    try:
        st = file.stat()
    except SyscallError:
        raise SyscallError(errno.EINVAL) from None
    if task.creds.fsuid not in (0, st.st_uid):
        raise SyscallError(errno.EACCES)
    if not statmod.S_ISREG(st.st_mode) or file.host_fd is None:
        raise SyscallError(errno.EINVAL)
    kernel = task.kernel
    t = table(kernel)
    key = (st.st_dev, st.st_ino)
    mine = getattr(file, "lease", None)
    if arg == F_UNLCK:
        if mine is None:
            raise SyscallError(errno.EAGAIN)
        _modify(t, mine, F_UNLCK)
        return 0
    _time_out(t, key)
    writers, readers = _open_counts(kernel, key)
    if arg == F_RDLCK:
        if writers:
            raise SyscallError(errno.EAGAIN)
    else:
        self_w = 1 if file.flags & O_ACCMODE != O_RDONLY else 0
        if writers != self_w or readers != 1 - self_w:
            raise SyscallError(errno.EAGAIN)
    for other in t.by_key.get(key, ()):
        if other is mine:
            continue
        if arg == F_WRLCK or other.pending == F_UNLCK:
            raise SyscallError(errno.EAGAIN)
    if mine is not None:
        mine.type = arg                  # lease_modify through lm_change
        mine.pending = mine.deadline = None
        t.waitq.wake()
    else:
        mine = file.lease = Lease(file, fd, arg, key)
        mine.table = t
        t.by_key.setdefault(key, []).append(mine)
    # lease_setup: the lease's fasync entry (FASYNC set) and an owner if none.
    file.flags |= 0o20000
    own = fown.owner_of(file)
    if not own.pid:
        own.pid, own.type = task.tgid, fown.PIDTYPE_TGID
        own.uid, own.euid = task.creds.uid, task.creds.euid
    return 0


def getlease(task, file):
    """fcntl(F_GETLEASE): the type the lease has, or is being broken to."""
    mine = getattr(file, "lease", None)
    if mine is None:
        return F_UNLCK
    _time_out(table(task.kernel), mine.key)
    mine = getattr(file, "lease", None)
    return F_UNLCK if mine is None else mine.target()


def _conflicts(lease, want_write):
    return want_write or lease.type == F_WRLCK


def break_lease(task, key, flags):
    """__break_lease for an open (flags: its open flags) or a truncate (O_WRONLY) of
    the inode `key`: signal the holders, then wait or fail with EWOULDBLOCK."""
    t = getattr(task.kernel, "leases", None)
    if t is None or not t.by_key.get(key):
        return
    want_write = flags & O_ACCMODE != O_RDONLY
    _time_out(t, key)
    leases = [lease for lease in t.by_key.get(key, ()) if _conflicts(lease, want_write)]
    if not leases:
        return
    deadline = time.monotonic() + t.break_time if t.break_time > 0 else time.monotonic()
    for lease in leases:
        if want_write:
            if lease.pending == F_UNLCK:
                continue
            lease.pending = F_UNLCK
        else:
            if lease.pending is not None:
                continue
            lease.pending = F_RDLCK
        lease.deadline = deadline
        own = getattr(lease.file, "fown", None)
        if own is not None and own.pid:
            fown.send_sigio(task.kernel, own, lease.fd, fown.POLL_MSG)
    if flags & O_NONBLOCK:
        raise SyscallError(errno.EAGAIN)
    first = min(lease.deadline for lease in leases if lease.deadline is not None) \
        if any(lease.deadline is not None for lease in leases) else time.monotonic()
    raise Block(deadline=first, queue=t.waitq)


def released(file):
    """The description's last reference went: its lease goes (locks_remove_lease)."""
    lease = getattr(file, "lease", None)
    if lease is not None:
        _modify(lease.table, lease, F_UNLCK)


def sysctl_entry(kernel):
    """/proc/sys/fs/lease-break-time: (content(), write(task, data)), root may write."""
    def read():
        return f"{table(kernel).break_time}\n".encode()

    def write(task, data):
        if task.creds.euid != 0:
            raise SyscallError(errno.EPERM)
        try:
            value = int(data.split(b"\n", 1)[0].strip() or b"x")
        except ValueError:
            raise SyscallError(errno.EINVAL) from None
        if not -(1 << 31) <= value < (1 << 31):
            raise SyscallError(errno.EINVAL)
        table(kernel).break_time = value
        return len(data)
    return read, write
