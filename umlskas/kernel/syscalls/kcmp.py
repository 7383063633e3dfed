"""kcmp(2): whether two guest processes share a kernel object (kernel/kcmp.c)."""

import errno
import os
import struct

from ..epoll import Epoll
from ..errors import SyscallError
from .other_process import may_attach

KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM = range(7)
KCMP_EPOLL_TFD = 7
# Linux orders objects by obfuscated kernel addresses, so the 1/2 answer for different
# objects is stable within a boot and unpredictable across boots; so is ours.
_COOKIE = int.from_bytes(os.urandom(8), "little") | 1


def _order(a, b):
    if a is b:
        return 0
    ka = (id(a) ^ _COOKIE) * 0x9E3779B97F4A7C15 & (1 << 64) - 1
    kb = (id(b) ^ _COOKIE) * 0x9E3779B97F4A7C15 & (1 << 64) - 1
    return 1 if ka < kb else 2


def sys_kcmp(task, pid1, pid2, kind, idx1, idx2):
    """kcmp(2): 0 for the same object, 1 or 2 for different ones."""
    kernel = task.kernel
    t1 = kernel.task_by_vpid(pid1) if pid1 > 0 else None
    t2 = kernel.task_by_vpid(pid2) if pid2 > 0 else None
    if t1 is None or t2 is None:
        raise SyscallError(errno.ESRCH)
    if not may_attach(task, t1) or not may_attach(task, t2):
        raise SyscallError(errno.EPERM)
    if kind == KCMP_FILE:
        f1, f2 = _lookup(t1, idx1), _lookup(t2, idx2)
        if f1 is None or f2 is None:
            raise SyscallError(errno.EBADF)
        return _order(f1, f2)
    if kind == KCMP_VM:
        return _order(t1.mm, t2.mm)
    if kind == KCMP_FILES:
        return _order(t1.files, t2.files)
    if kind == KCMP_FS:
        return _order(t1.fs, t2.fs)
    if kind == KCMP_SIGHAND:
        return _order(t1.sighand, t2.sighand)
    if kind == KCMP_IO:
        return _order(getattr(t1, "io_context", None), getattr(t2, "io_context", None))
    if kind == KCMP_SYSVSEM:
        return _order(getattr(t1.process, "sem_undo", None), getattr(t2.process, "sem_undo", None))
    if kind == KCMP_EPOLL_TFD:
        return _epoll_target(task, t1, t2, idx1, idx2)
    raise SyscallError(errno.EINVAL)


def _lookup(target, fd):
    if not 0 <= fd < 1 << 31:
        return None
    try:
        return target.files.get(fd)
    except SyscallError:
        return None


def _epoll_target(task, t1, t2, idx1, slot_addr):
    """kcmp_epoll_target(): is t1's fd idx1 the file t2's epoll watches as (tfd, toff)?"""
    efd, tfd, toff = struct.unpack("<III", task.mm.read(slot_addr, 12))
    f1 = _lookup(t1, idx1)
    if f1 is None:
        raise SyscallError(errno.EBADF)
    ep = _lookup(t2, efd)
    if ep is None:
        raise SyscallError(errno.EBADF)
    if not isinstance(ep, Epoll):
        raise SyscallError(errno.EINVAL)
    found = [e.file for (fd, _), e in ep.entries.items() if fd == tfd]
    if len(found) <= toff:
        raise SyscallError(errno.ENOENT)
    return _order(f1, found[toff])


HANDLERS = {"kcmp": sys_kcmp}
