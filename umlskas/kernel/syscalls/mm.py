"""Memory syscalls: thin handlers over AddressSpace (see address_space.py for the semantics)."""

import errno
import os
import stat as statmod
import struct

from ..address_space import (LEGACY_MAP_MASK, MAP_ANONYMOUS, MAP_HUGETLB, MAP_LOCKED,
                             MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE, PAGE, PROT_WRITE,
                             VmLimits)
from .. import creds
from ..errors import SyscallError
from ..files import O_PATH
from ..machine import MapOp, RegsRefused

ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
ARCH_GET_CPUID, ARCH_SET_CPUID = 0x1011, 0x1012
HOST_MSYNC = 26
MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4
DEV_ZERO = os.makedev(1, 5)
RLIMIT_DATA, RLIMIT_AS = 2, 9


def vm_limits(task):
    """The caller's limits for mm/mmap.c's checks (rlimit() of current)."""
    r = task.rlimits
    ipc_lock = _capable_ipc_lock(task)
    return VmLimits(r[RLIMIT_AS][0], r[RLIMIT_DATA],
                    None if ipc_lock else r[RLIMIT_MEMLOCK][0] // PAGE,
                    _can_do_mlock(task))


def sys_brk(task, addr):
    """brk(2)."""
    return task.mm.brk(addr, vm_limits(task))


def sys_mmap(task, addr, length, prot, flags, fd, offset):
    """mmap(2)."""
    if offset & (PAGE - 1):
        raise SyscallError(errno.EINVAL)
    file = None
    name = ""
    if not flags & MAP_ANONYMOUS:
        file = task.files.get(fd)
        if file.flags & O_PATH:
            raise SyscallError(errno.EBADF)
        if flags & MAP_HUGETLB:
            raise SyscallError(errno.EINVAL)        # not a hugetlbfs file
        if _is_dev_zero(file):
            # drivers/char/mem.c mmap_zero: shared or private anonymous memory, after
            # do_mmap's checks of the flags and the open mode.
            maptype = flags & MAP_TYPE
            if maptype == MAP_SHARED_VALIDATE and flags & ~LEGACY_MAP_MASK:
                raise SyscallError(errno.EOPNOTSUPP)
            if not file.readable or (maptype in (MAP_SHARED, MAP_SHARED_VALIDATE)
                                     and prot & PROT_WRITE and not file.writable):
                raise SyscallError(errno.EACCES)
            if maptype in (MAP_SHARED, MAP_SHARED_VALIDATE):
                name = "/dev/zero (deleted)"
                flags = flags & ~MAP_TYPE | MAP_SHARED
            file = None
            flags |= MAP_ANONYMOUS
    elif flags & MAP_HUGETLB:
        raise SyscallError(errno.ENOMEM)
    return task.mm.mmap(addr, length, prot, flags, file, offset if file is not None else 0,
                        name, vm_limits(task))


def _is_dev_zero(file):
    """Is this open file the zero device (char 1:5), the host's or a kernel-made one?"""
    mode = getattr(file, "mode", None)
    if mode is not None and not statmod.S_ISCHR(mode):
        return False                      # a regular file: no fstat on every mmap
    try:
        st = file.stat()
    except SyscallError:
        return False
    return statmod.S_ISCHR(st.st_mode) and (st.st_rdev or 0) == DEV_ZERO


def sys_munmap(task, addr, length):
    """munmap(2)."""
    return task.mm.munmap(addr, length)


def sys_mprotect(task, addr, length, prot):
    """mprotect(2)."""
    return task.mm.mprotect(addr, length, prot, vm_limits(task))


def sys_mremap(task, old_addr, old_size, new_size, flags, new_addr):
    """mremap(2)."""
    return task.mm.mremap(old_addr, old_size, new_size, flags, new_addr, vm_limits(task))


def sys_madvise(task, addr, length, advice):
    """madvise(2): content-changing advice is done by the host; hints are accepted."""
    return task.mm.madvise(addr, length, advice)


def sys_msync(task, addr, length, flags):
    """msync(2): the host syncs the real mapping."""
    if addr & (PAGE - 1) or flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) or \
            (flags & MS_ASYNC and flags & MS_SYNC):
        raise SyscallError(errno.EINVAL)
    mm = task.mm
    end = addr + ((length + PAGE - 1) & ~(PAGE - 1))
    covered = addr
    for vma in mm.overlapping(addr, end):
        if vma.start > covered:
            raise SyscallError(errno.ENOMEM)
        covered = vma.end
    if covered < end:
        raise SyscallError(errno.ENOMEM)
    if end > addr:
        mm.run_ops([MapOp(HOST_MSYNC, (addr, end - addr, flags))])
    return 0


# mlock family (mm/mlock.c). A lock is the kernel's bookkeeping: the VMAs carry
# MAP_LOCKED (VM_LOCKED), which /proc/PID/status shows as VmLck and RLIMIT_MEMLOCK
# is checked against; the host keeps paging guest memory as it likes (the stub is
# never asked to pin the guest's range). Argument checks and errors follow Linux,
# in Linux's order, against the guest's own VMA list.
MLOCK_ONFAULT = 1
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4
RLIMIT_MEMLOCK = 8
_MASK64 = 0xFFFFFFFFFFFFFFFF
PROT_ACCESS = 7                   # PROT_READ | PROT_WRITE | PROT_EXEC: vma_is_accessible()


def _capable_ipc_lock(task):
    """CAP_IPC_LOCK."""
    return creds.capable(task, creds.CAP_IPC_LOCK)


def _can_do_mlock(task):
    """can_do_mlock(): a non-zero RLIMIT_MEMLOCK or CAP_IPC_LOCK."""
    return task.rlimits[RLIMIT_MEMLOCK][0] != 0 or _capable_ipc_lock(task)


def _lock_range(addr, length):
    """The page-rounded range mlock/munlock act on, as Linux computes it in 64 bits
    (a length that wraps around rounds to 0)."""
    length = (length + (addr & (PAGE - 1)) + PAGE - 1) & ~(PAGE - 1) & _MASK64
    return addr & ~(PAGE - 1), length


def _apply_lock(task, start, length, lock):
    """apply_vma_lock_flags(): EINVAL for a range that wraps, nothing for an empty
    one; otherwise the VMAs from start up to the first hole are (un)locked, and a
    hole (or no VMA at start) is ENOMEM: "some of the specified address range does
    not correspond to mapped pages"."""
    end = start + length
    if end > _MASK64:
        raise SyscallError(errno.EINVAL)
    if end == start:
        return
    mm = task.mm
    covered = start
    for vma in mm.overlapping(start, end):
        if vma.start > covered:
            break
        covered = vma.end
    reach = min(covered, end)
    if reach > start:
        mm.set_locked(start, reach, lock)
    if reach < end:
        raise SyscallError(errno.ENOMEM)


def _do_mlock(task, addr, length, onfault=False):
    """do_mlock(): EPERM without the right to lock, then the page rounding, the
    RLIMIT_MEMLOCK check against what is locked already (pages of the range that
    are locked count once; skipped with CAP_IPC_LOCK), the locking, and the
    populate step: a PROT_NONE page cannot be faulted in, which mlock reports as
    ENOMEM (EFAULT from __mm_populate, turned into ENOMEM) though the range stays
    locked; MLOCK_ONFAULT populates nothing."""
    if not _can_do_mlock(task):
        raise SyscallError(errno.EPERM)
    start, length = _lock_range(addr, length)
    if not _capable_ipc_lock(task):
        limit = task.rlimits[RLIMIT_MEMLOCK][0] // PAGE
        locked = length // PAGE + task.mm.locked_pages()
        if locked > limit:
            locked -= task.mm.locked_pages(start, start + length)
        if locked > limit:
            raise SyscallError(errno.ENOMEM)
    _apply_lock(task, start, length, True)
    if not onfault and any(not vma.prot & PROT_ACCESS
                           for vma in task.mm.overlapping(start, start + length)):
        raise SyscallError(errno.ENOMEM)
    return 0


def sys_mlock(task, addr, length):
    """mlock(2): the range counts as locked (VmLck, RLIMIT_MEMLOCK); the host
    does not pin it."""
    return _do_mlock(task, addr, length)


def sys_mlock2(task, addr, length, flags):
    """mlock2(2): MLOCK_ONFAULT is the only flag."""
    if flags & ~MLOCK_ONFAULT:
        raise SyscallError(errno.EINVAL)
    return _do_mlock(task, addr, length, bool(flags & MLOCK_ONFAULT))


def sys_munlock(task, addr, length):
    """munlock(2): the same range rules as mlock, no privilege needed."""
    start, length = _lock_range(addr, length)
    _apply_lock(task, start, length, False)
    return 0


def sys_mlockall(task, flags):
    """mlockall(2): flag checks, EPERM, then MCL_CURRENT against RLIMIT_MEMLOCK
    (the whole address space, total_vm); MCL_FUTURE locks later mappings and brk."""
    if not flags or flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) or flags == MCL_ONFAULT:
        raise SyscallError(errno.EINVAL)
    if not _can_do_mlock(task):
        raise SyscallError(errno.EPERM)
    mm = task.mm
    if flags & MCL_CURRENT and not _capable_ipc_lock(task):
        if mm.vm_pages()[0] > task.rlimits[RLIMIT_MEMLOCK][0] // PAGE:
            raise SyscallError(errno.ENOMEM)
    mm.def_locked = MAP_LOCKED if flags & MCL_FUTURE else 0
    if flags & MCL_CURRENT:
        for vma in mm.vmas:
            vma.flags |= MAP_LOCKED
    return 0


def sys_munlockall(task):
    """munlockall(2)."""
    task.mm.def_locked = 0
    for vma in task.mm.vmas:
        vma.flags &= ~MAP_LOCKED
    return 0


def sys_arch_prctl(task, code, addr):
    """arch_prctl(2): FS/GS base; CPUID faulting, by the host (creds.set_cpuid)."""
    if code == ARCH_SET_FS:
        if addr >= task.mm.top:
            raise SyscallError(errno.EPERM)
        try:
            task.proc.set_tls(addr)
        except RegsRefused:
            raise SyscallError(errno.EPERM) from None
        return 0
    if code == ARCH_GET_FS:
        task.mm.write(addr, struct.pack("<Q", task.proc.get_regs().fs_base))
        return 0
    if code == ARCH_SET_GS:
        if addr >= task.mm.top:
            raise SyscallError(errno.EPERM)
        regs = task.proc.get_regs()
        regs.gs_base = addr
        try:
            task.proc.set_regs(regs)
        except RegsRefused:
            raise SyscallError(errno.EPERM) from None
        return 0
    if code == ARCH_GET_GS:
        task.mm.write(addr, struct.pack("<Q", task.proc.get_regs().gs_base))
        return 0
    if code == ARCH_GET_CPUID:
        return int(not task.creds.nocpuid)
    if code == ARCH_SET_CPUID:
        return creds.set_cpuid(task, bool(addr))
    raise SyscallError(errno.EINVAL)


HANDLERS = {
    "brk": sys_brk, "mmap": sys_mmap, "munmap": sys_munmap, "mprotect": sys_mprotect,
    "mremap": sys_mremap,
    "madvise": (sys_madvise, "partial: DONTNEED/FREE/REMOVE done by the host, other advice accepted"),
    "msync": sys_msync,
    "mlock": (sys_mlock, "partial: Linux's checks and accounting (VmLck, RLIMIT_MEMLOCK); the host does not pin the pages"),
    "mlock2": (sys_mlock2, "partial: Linux's checks and accounting (VmLck, RLIMIT_MEMLOCK); the host does not pin the pages"),
    "mlockall": (sys_mlockall, "partial: Linux's checks and accounting (VmLck, MCL_FUTURE); the host does not pin the pages"),
    "munlock": sys_munlock, "munlockall": sys_munlockall,
    "arch_prctl": (sys_arch_prctl, "partial: SET/GET FS and GS, GET/SET_CPUID"),
}
