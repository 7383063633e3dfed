"""System V shared memory syscalls: shmget/shmat/shmdt/shmctl.

A segment is a memfd the kernel holds (../sysv_ipc.py); shmat maps it into the
guest like a MAP_SHARED file mapping, with a ShmAttach as the VMA's file, so
fork, exec, exit and munmap detach it as they would any mapping.
"""

import errno
import struct

from ..address_space import MAP_FIXED, MAP_SHARED, PAGE, PROT_EXEC, PROT_READ, PROT_WRITE
from ..errors import SyscallError
from ..sysv_ipc import (CAP_IPC_LOCK, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, S_IRUGO,
                        S_IWUGO, S_IXUGO, SHM_DEST, SHM_LOCKED, SHMMIN, SHMSEG, ShmAttach,
                        ShmSegment, capable, check_owner, ipcperms, namespace_of, update_perm)
from .sysvipc import _ipcget, _perm, _read_perm

SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000
SHM_LOCK, SHM_UNLOCK, SHM_STAT, SHM_INFO, SHM_STAT_ANY = 11, 12, 13, 14, 15
SHMLBA = PAGE
SHM_HUGETLB, SHM_HUGE_SHIFT, SHM_HUGE_MASK = 0o4000, 26, 0x3F
RLIMIT_MEMLOCK = 8
RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF

# The rest of struct shmid64_ds after its ipc64_perm; shminfo64; shm_info (x86-64).
SHMID_DS = struct.Struct("<48sQqqqiiQQQ")
SHMINFO = struct.Struct("<9Q")
SHM_INFO_S = struct.Struct("<i4x5Q")

def sys_shmget(task, key, size, shmflg):
    """shmget(2)."""
    ns = namespace_of(task)
    ns.shm_sweep()

    def create():
        # newseg()
        if size < SHMMIN or size > ns.shm_ctlmax:
            raise SyscallError(errno.EINVAL)
        pages = (size + PAGE - 1) // PAGE
        if ns.shm_tot + pages > ns.shm_ctlall:
            raise SyscallError(errno.ENOSPC)
        if ns.shm.in_use >= ns.shm_ctlmni:
            raise SyscallError(errno.ENOSPC)
        huge = (shmflg >> SHM_HUGE_SHIFT) & SHM_HUGE_MASK if shmflg & SHM_HUGETLB else None
        seg = ShmSegment(key, shmflg, task.creds, size, task.tgid, ns.now(), huge)
        try:
            ident = ns.shm.add(seg, ns.shm_ctlmni)
        except SyscallError:
            seg.close()
            raise
        ns.shm_tot += seg.pages
        return ident

    def more_checks(seg):
        if seg.size < size:
            raise SyscallError(errno.EINVAL)

    return _ipcget(ns.shm, task, key, shmflg, create, more_checks)


def sys_shmat(task, shmid, shmaddr, shmflg):
    """shmat(2): the segment's memfd mapped MAP_SHARED by the stub."""
    if shmid < 0:
        raise SyscallError(errno.EINVAL)
    addr = shmaddr
    fixed = False
    if addr:
        if addr & (SHMLBA - 1):
            if shmflg & SHM_RND:
                addr &= ~(SHMLBA - 1)
                if not addr and shmflg & SHM_REMAP:
                    raise SyscallError(errno.EINVAL)
            elif addr & (PAGE - 1):
                raise SyscallError(errno.EINVAL)
        fixed = True
    elif shmflg & SHM_REMAP:
        raise SyscallError(errno.EINVAL)
    if shmflg & SHM_RDONLY:
        prot, acc = PROT_READ, S_IRUGO
    else:
        prot, acc = PROT_READ | PROT_WRITE, S_IRUGO | S_IWUGO
    if shmflg & SHM_EXEC:
        prot |= PROT_EXEC
        acc |= S_IXUGO
    ns = namespace_of(task)
    ns.shm_sweep()
    seg = ns.shm.check(shmid)
    if ipcperms(task, seg, acc):
        raise SyscallError(errno.EACCES)
    size = seg.map_size
    mm = task.mm
    if fixed and not shmflg & SHM_REMAP:
        if addr + size > (1 << 64) - 1 or mm.overlapping(addr, addr + size):
            raise SyscallError(errno.EINVAL)
    attach = ShmAttach(seg, bool(shmflg & SHM_RDONLY))
    flags = MAP_SHARED | (MAP_FIXED if fixed else 0)
    result = mm.mmap(addr if fixed else 0, size, prot, flags, attach, 0)
    seg.atime = ns.now()
    seg.lpid = task.tgid
    return result


def sys_shmdt(task, shmaddr):
    """shmdt(2), as ksys_shmdt: the first attach VMA at or above shmaddr whose offset
    is its distance from shmaddr is unmapped, then the later VMAs of that same attach
    that line up the same way, up to the segment's size from shmaddr."""
    if shmaddr & (PAGE - 1):
        raise SyscallError(errno.EINVAL)
    mm = task.mm

    def lines_up(vma):
        return isinstance(vma.file, ShmAttach) and vma.start >= shmaddr and \
            vma.start - shmaddr == vma.offset

    vmas = mm.overlapping(shmaddr, 1 << 64)
    first = next((i for i, v in enumerate(vmas) if lines_up(v)), None)
    if first is None:
        raise SyscallError(errno.EINVAL)
    attach = vmas[first].file
    size = attach.seg.map_size
    targets = [vmas[first]]
    for vma in vmas[first + 1:]:
        if vma.end - shmaddr > size:
            break
        if lines_up(vma) and vma.file is attach:
            targets.append(vma)
    for vma in targets:
        mm.munmap(vma.start, vma.end - vma.start)
    seg = attach.seg
    ns = namespace_of(task)
    if not seg.deleted:
        seg.dtime = ns.now()
        seg.lpid = task.tgid
    ns.shm_sweep()
    return 0


def _shm_ds(ns, seg):
    return SHMID_DS.pack(_perm(seg), seg.size, seg.atime, seg.dtime, seg.ctime, seg.cpid,
                         seg.lpid, ns.nattch(seg), 0, 0)


def sys_shmctl(task, shmid, cmd, buf):
    """shmctl(2)."""
    if cmd < 0 or shmid < 0:
        raise SyscallError(errno.EINVAL)
    ns = namespace_of(task)
    ns.shm_sweep()
    if cmd == IPC_INFO:
        info = SHMINFO.pack(ns.shm_ctlmax, SHMMIN, ns.shm_ctlmni, SHMSEG, ns.shm_ctlall,
                            0, 0, 0, 0)
        task.mm.write(buf, info)
        return max(ns.shm.max_idx(), 0)
    if cmd == SHM_INFO:
        task.mm.write(buf, SHM_INFO_S.pack(ns.shm.in_use, ns.shm_tot, 0, 0, 0, 0))
        return max(ns.shm.max_idx(), 0)
    if cmd in (IPC_STAT, SHM_STAT, SHM_STAT_ANY):
        seg = ns.shm.by_idx(shmid) if cmd != IPC_STAT else ns.shm.check(shmid)
        if cmd != SHM_STAT_ANY and ipcperms(task, seg, S_IRUGO):
            raise SyscallError(errno.EACCES)
        task.mm.write(buf, _shm_ds(ns, seg))
        return 0 if cmd == IPC_STAT else seg.id
    if cmd in (IPC_SET, IPC_RMID):
        if cmd == IPC_SET:
            uid, gid, mode = _read_perm(task.mm.read(buf, SHMID_DS.size))
        seg = ns.shm.check(shmid)
        check_owner(task, seg)
        if cmd == IPC_RMID:
            # do_shm_rmid: attached, it only loses its key until the last detach.
            if ns.nattch(seg):
                seg.mode |= SHM_DEST
                ns.shm.set_key_private(seg)
            else:
                ns.shm_destroy(seg)
            return 0
        update_perm(seg, uid, gid, mode)
        seg.ctime = ns.now()
        return 0
    if cmd in (SHM_LOCK, SHM_UNLOCK):
        seg = ns.shm.check(shmid)
        if not capable(task, CAP_IPC_LOCK):
            if task.creds.euid not in (seg.uid, seg.cuid):
                raise SyscallError(errno.EPERM)
            if cmd == SHM_LOCK and not task.rlimits[RLIMIT_MEMLOCK][0]:
                raise SyscallError(errno.EPERM)
        # Nothing is pinned (the host pages it as it likes); the flag, and the
        # accounting against RLIMIT_MEMLOCK of the user who locks (user_shm_lock),
        # are what shows.
        if cmd == SHM_LOCK:
            if not seg.mode & SHM_LOCKED:
                uid = task.creds.uid
                limit = task.rlimits[RLIMIT_MEMLOCK][0]
                locked = sum(s.pages for s in ns.shm.entries.values()
                             if s.mode & SHM_LOCKED and s.locker == uid)
                if not capable(task, CAP_IPC_LOCK) and limit != RLIM_INFINITY and \
                        locked + seg.pages > limit // PAGE:
                    raise SyscallError(errno.ENOMEM)
                seg.mode |= SHM_LOCKED
                seg.locker = uid
        else:
            seg.mode &= ~SHM_LOCKED
        return 0
    raise SyscallError(errno.EINVAL)



HANDLERS = {
    "shmget": sys_shmget, "shmat": sys_shmat, "shmdt": sys_shmdt,
    "shmctl": (sys_shmctl,
               "partial: SHM_LOCK sets the flag and counts RLIMIT_MEMLOCK, nothing is pinned"),
}
