"""Calls that reach into another guest process: pidfd_getfd, process_vm_readv and
process_vm_writev, process_madvise and process_mrelease (mm/process_vm_access.c,
kernel/pid.c, mm/madvise.c). Only guest processes can be named, and only the guest
part of their address space (below the stub) can be read or written."""

import errno
import struct

from .. import creds
from ..errors import SyscallError
from .fs import _iovecs
from .splice import PidFd

UIO_MAXIOV = 1024
COPY_CHUNK = 1 << 20
PAGE = 4096


def may_attach(task, target):
    """ptrace_may_access(PTRACE_MODE_*_REALCREDS) (kcmp reads, the others attach: the
    same rule here): the same process, CAP_SYS_PTRACE, or a
    caller whose real ids are all of the target's ids (and the target is dumpable)."""
    if task.tgid == target.tgid or creds.capable(task, creds.CAP_SYS_PTRACE):
        return True
    me, them = task.creds, target.creds
    if not getattr(target.process, "dumpable", True):
        return False
    return me.uid == them.uid == them.euid == them.suid and \
        me.gid == them.gid == them.egid == them.sgid


def _pidfd_process(task, pidfd):
    file = task.files.get(pidfd)
    if not isinstance(file, PidFd):
        raise SyscallError(errno.EBADF)
    return file.process


def sys_pidfd_getfd(task, pidfd, targetfd, flags):
    """pidfd_getfd(2): a duplicate (close-on-exec) of another process's descriptor."""
    if flags:
        raise SyscallError(errno.EINVAL)
    process = _pidfd_process(task, pidfd)
    if process.zombie or not process.threads:
        raise SyscallError(errno.ESRCH)
    target = process.threads[0]
    if not may_attach(task, target):
        raise SyscallError(errno.EPERM)
    if targetfd < 0:
        raise SyscallError(errno.EBADF)
    return task.files.install(target.files.get(targetfd), cloexec=True)


def _remote_iovecs(task, iov, count):
    if count > UIO_MAXIOV:
        raise SyscallError(errno.EINVAL)
    return _iovecs(task, iov, count)


def _process_vm(task, pid, local_iov, liovcnt, remote_iov, riovcnt, flags, writing):
    """process_vm_rw(): bytes copied, or the error when none were."""
    if flags:
        raise SyscallError(errno.EINVAL)
    if liovcnt > UIO_MAXIOV:
        raise SyscallError(errno.EINVAL)
    local = [(b, n) for b, n in _iovecs(task, local_iov, liovcnt) if n]
    if not local:
        return 0
    remote = _remote_iovecs(task, remote_iov, riovcnt)
    if not any(n for _, n in remote):
        return 0
    target = task.kernel.task_by_vpid(pid) if pid > 0 else None
    if target is None or target.process.zombie:
        raise SyscallError(errno.ESRCH)
    if not may_attach(task, target):
        raise SyscallError(errno.EPERM)
    theirs = target.mm
    theirs.proc = target.proc       # a live thread of that memory does its host accesses
    copied = 0
    li, loff = 0, 0
    error = 0
    for rbase, rlen in remote:
        roff = 0
        while roff < rlen and li < len(local):
            lbase, llen = local[li]
            # At most COPY_CHUNK at a time: the bytes pass through the kernel's own memory,
            # and a guest's 2 GiB of untouched mappings must not become 2 GiB here.
            n = min(rlen - roff, llen - loff, COPY_CHUNK)
            src_mm, src = (task.mm, lbase + loff) if writing else (theirs, rbase + roff)
            dst_mm, dst = (theirs, rbase + roff) if writing else (task.mm, lbase + loff)
            n = min(n, src_mm.extent(src, n, False), dst_mm.extent(dst, n, True))
            if n <= 0:
                error = errno.EFAULT
                break
            try:
                dst_mm.write(dst, src_mm.read(src, n))
            except SyscallError as e:
                error = e.errno
                break
            copied += n
            roff += n
            loff += n
            if loff == llen:
                li, loff = li + 1, 0
        if error or li == len(local):
            break
    if copied:
        return copied
    if error:
        raise SyscallError(error)
    return 0


def sys_process_vm_readv(task, pid, local_iov, liovcnt, remote_iov, riovcnt, flags):
    """process_vm_readv(2)."""
    return _process_vm(task, pid, local_iov, liovcnt, remote_iov, riovcnt, flags, False)


def sys_process_vm_writev(task, pid, local_iov, liovcnt, remote_iov, riovcnt, flags):
    """process_vm_writev(2)."""
    return _process_vm(task, pid, local_iov, liovcnt, remote_iov, riovcnt, flags, True)


MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED, MADV_COLLAPSE = 20, 21, 3, 25


def sys_process_madvise(task, pidfd, vec, vlen, advice, flags):
    """process_madvise(2): the hints another process may be given are accepted (the host
    manages the stubs' memory); the ranges are checked as Linux checks them."""
    if flags:
        raise SyscallError(errno.EINVAL)
    if advice not in (MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED, MADV_COLLAPSE):
        raise SyscallError(errno.EINVAL)
    if vlen > UIO_MAXIOV:
        raise SyscallError(errno.EINVAL)
    vecs = _iovecs(task, vec, vlen)
    process = _pidfd_process(task, pidfd)
    if process.zombie or not process.threads:
        raise SyscallError(errno.ESRCH)
    target = process.threads[0]
    if not may_attach(task, target):
        raise SyscallError(errno.EPERM)
    done = 0
    for base, n in vecs:
        if base & (PAGE - 1):
            if done:
                break
            raise SyscallError(errno.EINVAL)
        end = base + ((n + PAGE - 1) & ~(PAGE - 1))
        cur = base
        while cur < end:
            vma = target.mm.find(cur)
            if vma is None:
                if done:
                    return done
                raise SyscallError(errno.ENOMEM)
            cur = vma.end
        done += n
    return done


def sys_process_mrelease(task, pidfd, flags):
    """process_mrelease(2): only for a process that is being killed (EINVAL otherwise)."""
    if flags:
        raise SyscallError(errno.EINVAL)
    process = _pidfd_process(task, pidfd)
    if process.zombie or not process.threads:
        return 0           # its memory is already gone
    raise SyscallError(errno.EINVAL)


HANDLERS = {
    "pidfd_getfd": sys_pidfd_getfd,
    "process_vm_readv": sys_process_vm_readv, "process_vm_writev": sys_process_vm_writev,
    "process_madvise": (sys_process_madvise, "partial: hints checked and accepted"),
    "process_mrelease": sys_process_mrelease,
}
