"""File owners and SIGIO: F_SETOWN/F_GETOWN(_EX), F_SETSIG/F_GETSIG and O_ASYNC delivery.

How it works (Linux's fs/fcntl.c: f_setown, send_sigio, fasync_helper,
kill_fasync): the owner and the chosen signal belong to the open file
description (file.fown, shared by dup and fork). Turning O_ASYNC on (F_SETFL,
FIOASYNC) puts the description on its object's fasync list, remembering the fd
it was turned on through (the si_fd Linux reports); the object is the pipe for
a pipe end, the FIFO's state for a FIFO, the socket itself for a socket. When
that object becomes readable or writable (a pipe write, a read that makes
room, a close of the other end, data arriving on a socket) kill_fasync sends
the owner SIGIO with the kernel's siginfo, or the F_SETSIG signal with si_code
POLL_IN/POLL_OUT/..., si_band and si_fd.
"""

import errno
import fcntl as hostfcntl
import select
import struct
import time

from . import signals
from .errors import SyscallError

F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP = 0, 1, 2
PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID = "pid", "tgid", "pgid"
_TYPES = {F_OWNER_TID: PIDTYPE_PID, F_OWNER_PID: PIDTYPE_TGID, F_OWNER_PGRP: PIDTYPE_PGID}
_EX_TYPES = {v: k for k, v in _TYPES.items()}

POLL_IN, POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP = 1, 2, 3, 4, 5, 6
# fs/fcntl.c band_table (x86 mangle_poll is the identity).
BAND = {POLL_IN: 0x041, POLL_OUT: 0x304, POLL_MSG: 0x441, POLL_ERR: 0x008, POLL_PRI: 0x082,
        POLL_HUP: 0x018}
SI_SIGIO = -5
FIONREAD = 0x541B
SIGIO = 29
# Signals whose si_code values have their own meaning: they get SI_SIGIO instead of
# POLL_* (sig_specific_sicodes; SIGPOLL itself is SIGIO).
_SPECIFIC = {signals.SIGILL, signals.SIGFPE, signals.SIGSEGV, signals.SIGBUS, signals.SIGTRAP,
             signals.SIGCHLD, signals.SIGSYS}


class Owner:
    """struct fown_struct: who gets the signal, which one, and the setter's uids."""

    __slots__ = ("pid", "type", "signum", "uid", "euid")

    def __init__(self):
        self.pid = 0
        self.type = PIDTYPE_TGID
        self.signum = 0
        self.uid = self.euid = 0


def owner_of(file):
    own = getattr(file, "fown", None)
    if own is None:
        own = file.fown = Owner()
    return own


def _pid_exists(kernel, who):
    """find_vpid: a thread id, or a process group or session id still in use."""
    if who in kernel.tasks or kernel.zombie_by_pid(who) is not None:
        return True
    return any(p.pgid == who or p.sid == who for p in kernel.processes())


def _set(task, file, pid, type_):
    own = owner_of(file)
    own.pid = pid
    own.type = type_
    own.uid = task.creds.uid
    own.euid = task.creds.euid


def setown(task, file, arg):
    """F_SETOWN: a positive pid is a process, a negative one a process group."""
    who = arg - (1 << 32) if arg & 0x80000000 else arg & 0xFFFFFFFF
    type_ = PIDTYPE_TGID
    if who < 0:
        if who == -(1 << 31):
            raise SyscallError(errno.EINVAL)
        type_ = PIDTYPE_PGID
        who = -who
    if who and not _pid_exists(task.kernel, who):
        raise SyscallError(errno.ESRCH)
    _set(task, file, who, type_)
    return 0


def _targets(kernel, own):
    """The (process, thread or None) pairs the owner names now (pid_task)."""
    pid = own.pid
    if not pid:
        return []
    if own.type == PIDTYPE_PGID:
        return [(p, None) for p in kernel.processes() if p.pgid == pid and not p.zombie]
    t = kernel.tasks.get(pid)
    if t is None:
        return []
    if own.type == PIDTYPE_PID:
        return [(t.process, t)]
    return [(t.process, None)] if t.tid == t.tgid else []


def getown(task, file):
    """F_GETOWN: 0 when no live task holds the owner's pid."""
    own = getattr(file, "fown", None)
    if own is None or not _targets(task.kernel, own):
        return 0
    return -own.pid if own.type == PIDTYPE_PGID else own.pid


def setown_ex(task, file, arg):
    """F_SETOWN_EX: struct f_owner_ex {int type; pid_t pid;}."""
    type_, pid = struct.unpack("<ii", task.mm.read(arg, 8))
    if type_ not in _TYPES:
        raise SyscallError(errno.EINVAL)
    if pid and (pid < 0 or not _pid_exists(task.kernel, pid)):
        raise SyscallError(errno.ESRCH)
    _set(task, file, pid, _TYPES[type_])
    return 0


def getown_ex(task, file, arg):
    """F_GETOWN_EX."""
    own = getattr(file, "fown", None)
    pid, type_ = 0, F_OWNER_TID
    if own is not None:
        if _targets(task.kernel, own):
            pid = own.pid
        type_ = _EX_TYPES[own.type]
    task.mm.write(arg, struct.pack("<ii", type_, pid))
    return 0


def setsig(file, arg):
    """F_SETSIG: 0 means plain SIGIO; anything above _NSIG is EINVAL."""
    if arg > signals.NSIG or arg < 0:
        raise SyscallError(errno.EINVAL)
    owner_of(file).signum = arg
    return 0


def getsig(file):
    own = getattr(file, "fown", None)
    return own.signum if own is not None else 0


# F_SETOWN F_GETOWN F_SETSIG F_GETSIG F_SETOWN_EX F_GETOWN_EX F_GETOWNER_UIDS
FCNTL_CMDS = (8, 9, 10, 11, 15, 16, 17)


def fcntl(task, file, cmd, arg):
    """fcntl(2)'s owner and signal commands."""
    if cmd == 8:
        return setown(task, file, arg)
    if cmd == 9:
        return getown(task, file)
    if cmd == 10:
        return setsig(file, arg)
    if cmd == 11:
        return getsig(file)
    if cmd == 15:
        return setown_ex(task, file, arg)
    if cmd == 17:
        return getowner_uids(task, file, arg)
    return getown_ex(task, file, arg)


def getowner_uids(task, file, arg):
    """F_GETOWNER_UIDS: the uid and euid of whoever set the owner (0, 0 if none)."""
    own = getattr(file, "fown", None)
    uids = (own.uid, own.euid) if own is not None else (0, 0)
    task.mm.write(arg, struct.pack("<II", *uids))
    return 0


# ---- O_ASYNC -----------------------------------------------------------------

def holder_of(file):
    """The object whose state changes are reported to this description's owner."""
    pipe = getattr(file, "pipe", None)
    if pipe is not None:
        return pipe
    state = getattr(file, "state", None)
    if state is not None and hasattr(state, "readers"):
        return state                    # a FIFO's shared state (files.FifoFile)
    return file


def has_fasync(file):
    """Does the file's kind have Linux's fasync operation (FIOASYNC is ENOTTY without)?"""
    return holder_of(file) is not file or getattr(file, "may_block", False) or \
        hasattr(file, "peer") or getattr(file, "fasync_capable", False)


def set_async(file, fd, on, kernel=None):
    """fasync_helper: add the description (with the fd it was named by) to its object's
    list, or take it off. Only objects that report readiness keep a list. A host-backed
    stream (a terminal, an inet socket) changes state in the host, where the kernel does
    not see it happen: it is polled instead (see _poll_hosts)."""
    holder = holder_of(file)
    lst = holder.__dict__.setdefault("fasync", {})
    if on:
        lst[id(file)] = (file, fd)
        if holder is file and file.host_fd is not None and kernel is not None:
            _watch_host(kernel, file)
    else:
        lst.pop(id(file), None)


HOST_POLL_S = 0.01


def _host_state(file):
    poller = select.poll()
    poller.register(file.host_fd, select.POLLIN | select.POLLOUT)
    ev = dict(poller.poll(0)).get(file.host_fd, 0)
    count = 0
    if ev & select.POLLIN:
        try:
            count = struct.unpack("<i", hostfcntl.ioctl(file.host_fd, FIONREAD, b"\0" * 4))[0]
        except OSError:
            count = 0
    return bool(ev & select.POLLIN), bool(ev & select.POLLOUT), count


def _watch_host(kernel, file):
    hosts = kernel.__dict__.setdefault("fasync_hosts", {})
    try:
        hosts[id(file)] = [file, *_host_state(file)]
    except (OSError, ValueError):
        return
    if not getattr(kernel, "fasync_hosts_polling", False):
        kernel.fasync_hosts_polling = True
        kernel.add_timer(time.monotonic() + HOST_POLL_S, lambda: _poll_hosts(kernel))


def _poll_hosts(kernel):
    """Every HOST_POLL_S while O_ASYNC host streams exist: new input (more bytes than
    seen last time) is POLL_IN, becoming writable POLL_OUT, as the tty and socket layers
    signal on arrival and on room."""
    hosts = kernel.fasync_hosts
    for key, entry in list(hosts.items()):
        file, was_in, was_out, was_count = entry
        if not file.refs or file.host_fd is None or not file.flags & 0o20000:
            del hosts[key]
            continue
        try:
            now_in, now_out, count = _host_state(file)
        except (OSError, ValueError):
            del hosts[key]
            continue
        entry[1:] = [now_in, now_out, count]
        if now_in and (not was_in or count > was_count):
            kill_fasync(kernel, file, POLL_IN)
        if now_out and not was_out:
            kill_fasync(kernel, file, POLL_OUT)
    if hosts:
        kernel.add_timer(time.monotonic() + HOST_POLL_S, lambda: _poll_hosts(kernel))
    else:
        kernel.fasync_hosts_polling = False


def kill_fasync(kernel, holder, reason, readers=None):
    """Signal the owners of the O_ASYNC descriptions on holder. readers: True for the
    reading side only (a pipe's fasync_readers), False for the writing side, None all."""
    lst = getattr(holder, "fasync", None)
    if not lst:
        return
    for key, (file, fd) in list(lst.items()):
        if not file.refs:                # closed: __fput took it off (fasync(-1, filp, 0))
            del lst[key]
            continue
        if readers is not None and not (file.readable if readers else file.writable):
            continue
        own = getattr(file, "fown", None)
        if own is not None and own.pid:
            send_sigio(kernel, own, fd, reason)


def send_sigio(kernel, own, fd, reason):
    """send_sigio: the owner's signal to each task the owner names, when the setter's
    uids allow it (sigio_perm)."""
    signum = own.signum
    if signum:
        code = SI_SIGIO if signum in _SPECIFIC else reason
        info = (struct.pack("<iii4xqi", signum, 0, code, BAND[reason], fd)).ljust(128, b"\0")
    else:
        signum = SIGIO
        info = signals.siginfo(SIGIO, signals.SI_KERNEL)
    for process, thread in _targets(kernel, own):
        creds = (thread or process.threads[0]).creds if process.threads else None
        if creds is None or not _perm(own, creds):
            continue
        kernel.send_signal(process, signum, current=kernel.current, info=info, thread=thread)


def _perm(own, creds):
    return own.euid == 0 or own.euid in (creds.suid, creds.uid) or \
        own.uid in (creds.suid, creds.uid)
