"""System V IPC objects: an IpcNamespace holds the shm, semaphore and message queue id tables.

The rules follow ipc/util.c (ids, keys, ipcperms), ipc/shm.c, ipc/sem.c and
ipc/msg.c; the syscalls that decode the guest's arguments are in
syscalls/sysvipc.py. A shared memory segment is a host memfd the kernel owns:
shmat has the stub map it MAP_SHARED (as a file mapping of the kernel's fd), so
the host shares the pages between the processes that attach it and across fork.
An attach is the VMA's file (ShmAttach); shm_nattch counts those VMAs in the
live address spaces, as Linux counts its shm VMAs (each split and fork copy
opens one, each unmap, exec and exit closes one).
"""

import errno
import itertools
import mmap
import os

from .errors import SyscallError, WaitQueue
from . import files
from .files import KERNEL_PID

IPC_PRIVATE = 0
IPC_CREAT, IPC_EXCL, IPC_NOWAIT = 0o1000, 0o2000, 0o4000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
S_IRWXUGO = 0o777
S_IRUGO, S_IWUGO, S_IXUGO = 0o444, 0o222, 0o111

IPCMNI_SHIFT = 15
IPCMNI = 1 << IPCMNI_SHIFT
IPCID_SEQ_MAX = 0x7FFFFFFF >> IPCMNI_SHIFT      # ipcid_seq_max() without ipc_mni_extend
IPC_MIN_CYCLE = 64                              # RADIX_TREE_MAP_SIZE

# Linux's defaults (include/uapi/linux/{shm,sem,msg}.h).
SHMMIN = 1
SHMMNI = 4096
SHMMAX = 0xFFFFFFFFFFFFFFFF - (1 << 24)
SHMALL = 0xFFFFFFFFFFFFFFFF - (1 << 24)
SHMSEG = SHMMNI
SEMMNI, SEMMSL, SEMMNS, SEMOPM, SEMVMX = 32000, 32000, 1024000000, 500, 32767
SEMAEM = SEMVMX
SEMUME, SEMUSZ = SEMOPM, 20
MSGMNI, MSGMAX, MSGMNB = 32000, 8192, 16384
MSGPOOL = MSGMNI * MSGMNB // 1024
MSGTQL = MSGMAP = MSGMNB
MSGSSZ = 16
MSGSEG = min((MSGPOOL * 1024) // MSGSSZ, 0xFFFF)

SHM_DEST, SHM_LOCKED = 0o1000, 0o2000
SEM_UNDO = 0x1000
PAGE = 4096


def _page_up(n):
    return (n + PAGE - 1) & ~(PAGE - 1)


class IpcObject:
    """kern_ipc_perm: what every SysV object has."""

    def __init__(self, key, mode, creds):
        self.key = key
        self.mode = mode & S_IRWXUGO
        self.uid = self.cuid = creds.euid
        self.gid = self.cgid = creds.egid
        self.seq = 0
        self.id = -1
        self.deleted = False


def _host_cap_eff():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError, IndexError):
        pass
    return 0


HOST_CAP_EFF = _host_cap_eff()


def capable(task, cap):
    """A capability of the caller: its effective set where the credentials carry one
    (creds.cap_eff), else root's, which cannot exceed what the host gave umlskas."""
    creds = task.creds
    effective = getattr(creds, "cap_eff", None)
    if effective is not None:
        return bool(effective >> cap & 1)
    return creds.euid == 0 and bool(HOST_CAP_EFF >> cap & 1)


CAP_IPC_LOCK, CAP_IPC_OWNER, CAP_SYS_ADMIN, CAP_SYS_RESOURCE = 14, 15, 21, 24


def _in_group(creds, gid):
    return gid == creds.fsgid or gid in creds.groups


def ipcperms(task, obj, flag):
    """ipc/util.c ipcperms(): True if the access in flag's mode bits is refused."""
    creds = task.creds
    requested = (flag >> 6) | (flag >> 3) | flag
    granted = obj.mode
    if creds.euid in (obj.cuid, obj.uid):
        granted >>= 6
    elif _in_group(creds, obj.cgid) or _in_group(creds, obj.gid):
        granted >>= 3
    return bool(requested & ~granted & 7) and not capable(task, CAP_IPC_OWNER)


def check_owner(task, obj):
    """ipcctl_obtain_check()'s rights: the owner, the creator, or CAP_SYS_ADMIN."""
    euid = task.creds.euid
    if euid not in (obj.cuid, obj.uid) and not capable(task, CAP_SYS_ADMIN):
        raise SyscallError(errno.EPERM)


def update_perm(obj, uid, gid, mode):
    """ipc_update_perm(): uid, gid and the permission bits from an IPC_SET buffer."""
    if uid == 0xFFFFFFFF or gid == 0xFFFFFFFF:
        raise SyscallError(errno.EINVAL)
    obj.uid, obj.gid = uid, gid
    obj.mode = (obj.mode & ~S_IRWXUGO) | (mode & S_IRWXUGO)


class IpcIds:
    """struct ipc_ids: one id table (index -> object) with its key index."""

    def __init__(self, limit):
        self.limit = limit            # ipc_mni: the table's size
        self.entries = {}             # idx -> object
        self.keys = {}                # key -> object (not IPC_PRIVATE)
        self.seq = 0
        self.last_idx = -1
        self.next_idx = 0             # the idr's cyclic cursor

    @property
    def in_use(self):
        return len(self.entries)

    def max_idx(self):
        """ipc_get_maxidx()."""
        if not self.entries:
            return -1
        if len(self.entries) == self.limit:
            return self.limit - 1
        return max(self.entries)

    def add(self, obj, limit):
        """ipc_addid(): ENOSPC when the table is full; the id is idx + seq * 32768."""
        if self.in_use >= limit:
            raise SyscallError(errno.ENOSPC)
        # ipc_idr_alloc: idr_alloc_cyclic below max(in_use * 3/2, 64), at most IPCMNI.
        max_idx = min(max(self.in_use * 3 // 2, IPC_MIN_CYCLE), self.limit)
        cursor = min(self.next_idx, max_idx)
        candidates = itertools.chain(range(cursor, max_idx), range(0, cursor))
        idx = next((i for i in candidates if i not in self.entries), None)
        if idx is None:
            raise SyscallError(errno.ENOSPC)
        self.next_idx = idx + 1
        if idx <= self.last_idx:
            self.seq += 1
            if self.seq >= IPCID_SEQ_MAX:
                self.seq = 0
        self.last_idx = idx
        obj.seq = self.seq
        obj.id = idx + (self.seq << IPCMNI_SHIFT)
        self.entries[idx] = obj
        if obj.key != IPC_PRIVATE:
            self.keys[obj.key] = obj
        return obj.id

    def remove(self, obj):
        """ipc_rmid()."""
        self.entries.pop(obj.id & (IPCMNI - 1), None)
        self.set_key_private(obj)
        obj.deleted = True

    def set_key_private(self, obj):
        if obj.key != IPC_PRIVATE and self.keys.get(obj.key) is obj:
            del self.keys[obj.key]
        obj.key = IPC_PRIVATE

    def by_idx(self, idx):
        """ipc_obtain_object_idr(): the object at an index (the *_STAT commands)."""
        obj = self.entries.get(idx) if 0 <= idx < IPCMNI else None
        if obj is None:
            raise SyscallError(errno.EINVAL)
        return obj

    def check(self, ident):
        """ipc_obtain_object_check(): the object an id names, or EINVAL."""
        if ident < 0:
            raise SyscallError(errno.EINVAL)
        obj = self.entries.get(ident & (IPCMNI - 1))
        if obj is None or obj.seq != ident >> IPCMNI_SHIFT:
            raise SyscallError(errno.EINVAL)
        return obj

    def objects(self):
        return [self.entries[i] for i in sorted(self.entries)]


# ---- shared memory -------------------------------------------------------------------


def _default_huge_page():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("Hugepagesize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 2 << 20


class ShmSegment(IpcObject):
    """struct shmid_kernel, its memory a host memfd the kernel holds."""

    def __init__(self, key, mode, creds, size, pid, now, huge=None):
        """huge: None, or the log2 of the huge page size asked for (0: the default
        size) of an SHM_HUGETLB segment."""
        super().__init__(key, mode, creds)
        self.size = size
        self.atime = self.dtime = 0
        self.ctime = now
        self.cpid = pid
        self.lpid = 0
        self.pages = _page_up(size) // PAGE
        self.map_size = _page_up(size)
        self.locker = None            # the uid whose RLIMIT_MEMLOCK an SHM_LOCK counts
        flags = os.MFD_CLOEXEC
        if huge is not None:
            # The host's hugetlbfs gives the memory, or the error Linux gives when it
            # has no huge pages to reserve (ENOMEM) or the size is unknown (EINVAL).
            flags |= os.MFD_HUGETLB | (huge << 26)
            hsize = 1 << huge if huge else _default_huge_page()
            self.map_size = (size + hsize - 1) // hsize * hsize
        try:
            self.memfd = os.memfd_create("SYSV%08x" % (key & 0xFFFFFFFF), flags)
        except OSError as e:
            raise SyscallError(e.errno) from None
        if self.memfd >= files.HOST_FD_CEILING:
            # Only the kernel's own reserve of host fds is left (as for guest files).
            os.close(self.memfd)
            raise SyscallError(errno.ENFILE)
        try:
            os.ftruncate(self.memfd, self.map_size if huge is not None else size)
            if huge is not None:
                # hugetlb_file_setup reserves the pages when the segment is made.
                mmap.mmap(self.memfd, self.map_size, mmap.MAP_SHARED).close()
        except (OSError, ValueError) as e:
            os.close(self.memfd)
            raise SyscallError(getattr(e, "errno", None) or errno.ENOMEM) from None

    def close(self):
        if self.memfd >= 0:
            os.close(self.memfd)
            self.memfd = -1


class ShmAttach:
    """One shmat: what the attach's VMAs map (the file of Linux's shm_file_data)."""

    def __init__(self, seg, readonly):
        self.seg = seg
        self.readonly = readonly
        self.path = self.path_name()

    def check_mmap(self, prot, maptype):
        # An SHM_RDONLY attach has no VM_MAYWRITE: mprotect(PROT_WRITE) is EACCES.
        if prot & 2 and self.readonly:
            raise SyscallError(errno.EACCES)

    def stub_path(self):
        return f"/proc/{KERNEL_PID}/fd/{self.seg.memfd}".encode()

    def stub_open_flags(self):
        return os.O_RDONLY if self.readonly else os.O_RDWR

    def identity(self):
        # One key for every attach of the segment: shared futexes in it meet.
        return ("sysv-shm", id(self.seg))

    def path_name(self):
        return "/SYSV%08x (deleted)" % (self.seg.key & 0xFFFFFFFF)


# ---- semaphores ----------------------------------------------------------------------


class SemSet(IpcObject):
    """struct sem_array: values, last pids, the tasks waiting, the undo lists."""

    def __init__(self, key, mode, creds, nsems, now):
        super().__init__(key, mode, creds)
        self.nsems = nsems
        self.vals = [0] * nsems
        self.pids = [0] * nsems
        self.otime = 0
        self.ctime = now
        self.queue = WaitQueue()      # tasks in semop; each re-checks when woken
        self.undo = {}                # Process -> [semadj per semaphore]

    def count_waiting(self, tasks, semnum, zero):
        """count_semcnt(): the tasks in semop on this set (parked, or woken and not yet
        run again) whose blocking operation is on semnum and waits for zero (GETZCNT)
        or for an increase (GETNCNT)."""
        n = 0
        for t in tasks:
            blocking = t.restart.get("sysv_blocking")
            if blocking is None or blocking[0] is not self or blocking[1] != semnum:
                continue
            if (zero and blocking[2] == 0) or (not zero and blocking[2] < 0):
                n += 1
        return n

    def perform(self, ops, process, pid, now):
        """perform_atomic_semop(): all of ops, in order, or none. Returns the first
        operation that has to wait (num, op, flg), or None when done; ERANGE for a
        value or an undo adjustment out of range."""
        vals = list(self.vals)
        undos = any(flg & SEM_UNDO for _, _, flg in ops)
        adj = list(self.undo.get(process) or [0] * self.nsems) if undos else None
        for num, op, flg in ops:
            cur = vals[num]
            if (op == 0 and cur) or cur + op < 0:
                return (num, op, flg)
            cur += op
            if cur > SEMVMX:
                raise SyscallError(errno.ERANGE)
            if flg & SEM_UNDO:
                undo = adj[num] - op
                if undo < -SEMAEM - 1 or undo > SEMAEM:
                    raise SyscallError(errno.ERANGE)
                adj[num] = undo
            vals[num] = cur
        self.vals = vals
        for num, _, _ in ops:
            self.pids[num] = pid
        if undos:
            self.undo[process] = adj
        self.otime = now
        return None

    def update_queue(self, now):
        """update_queue(): after a change, the waiters' operations are tried in the
        order they came, and done here for those that can go now (as Linux does them
        in the waker's context); each one done may let an earlier one go, so the scan
        starts again. A done waiter finds its result in restart["sysv_result"]."""
        again = True
        while again:
            again = False
            for t in list(self.queue.waiters):
                waiting = t.restart.get("sysv_ops")
                if waiting is None or waiting[0] is not self:
                    continue
                try:
                    blocking = self.perform(waiting[1], t.process, t.tgid, now)
                except SyscallError as e:
                    blocking, result = None, -e.errno
                else:
                    result = 0
                if blocking is not None:
                    t.restart["sysv_blocking"] = (self, blocking[0], blocking[1])
                    continue
                self.queue.waiters.remove(t)
                t.restart.pop("sysv_blocking", None)
                t.restart["sysv_result"] = result
                t.kernel.wake(t)
                if result == 0 and any(op for _, op, _ in waiting[1]):
                    again = True
                    break

    def clear_undo(self, semnum=None):
        for adj in self.undo.values():
            if semnum is None:
                adj[:] = [0] * self.nsems
            else:
                adj[semnum] = 0


# ---- message queues ------------------------------------------------------------------


class MsgQueue(IpcObject):
    """struct msg_queue: the messages in order, and who waits to send or receive."""

    def __init__(self, key, mode, creds, qbytes, now):
        super().__init__(key, mode, creds)
        self.messages = []            # [(mtype, bytes)]
        self.cbytes = 0
        self.qbytes = qbytes
        self.stime = self.rtime = 0
        self.ctime = now
        self.lspid = self.lrpid = 0
        self.senders = WaitQueue()
        self.receivers = WaitQueue()

    def fits(self, size):
        """msg_fits_inqueue()."""
        return size + self.cbytes <= self.qbytes and 1 + len(self.messages) <= self.qbytes


# ---- the namespace -------------------------------------------------------------------


class IpcNamespace:
    """struct ipc_namespace: the three id tables and their limits (the sysctls)."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.shm_ctlmax, self.shm_ctlall, self.shm_ctlmni = SHMMAX, SHMALL, SHMMNI
        self.sc_semmsl, self.sc_semmns, self.sc_semopm, self.sc_semmni = \
            SEMMSL, SEMMNS, SEMOPM, SEMMNI
        self.msg_ctlmax, self.msg_ctlmnb, self.msg_ctlmni = MSGMAX, MSGMNB, MSGMNI
        self.shm = IpcIds(IPCMNI)
        self.sem = IpcIds(IPCMNI)
        self.msg = IpcIds(IPCMNI)
        self.shm_tot = 0              # pages in all segments
        self.used_sems = 0
        self.msg_bytes = 0
        self.msg_hdrs = 0
        namespaces = getattr(kernel, "ipc_namespaces", None)
        if namespaces is None:
            namespaces = kernel.ipc_namespaces = []
        namespaces.append(self)

    def now(self):
        return self.kernel.clock.now_ns(0) // 10**9

    # -- shm

    def shm_attaches(self):
        """seg -> number of VMAs mapping it in live address spaces (shm_nattch)."""
        counts = {}
        seen = set()
        for t in list(self.kernel.tasks.values()):
            mm = getattr(t, "mm", None)
            if mm is None or id(mm) in seen:
                continue
            seen.add(id(mm))
            for vma in mm.vmas:
                f = vma.file
                if isinstance(f, ShmAttach):
                    counts[f.seg] = counts.get(f.seg, 0) + 1
        return counts

    def nattch(self, seg):
        return self.shm_attaches().get(seg, 0)

    def shm_sweep(self):
        """Destroy the removed (SHM_DEST) segments nobody has attached any more: the
        last detach, munmap, exec or exit has happened since."""
        dest = [s for s in self.shm.entries.values() if s.mode & SHM_DEST]
        if not dest:
            return
        counts = self.shm_attaches()
        for seg in dest:
            if not counts.get(seg):
                self.shm_destroy(seg)

    def shm_destroy(self, seg):
        self.shm.remove(seg)
        self.shm_tot -= seg.pages
        seg.close()

    def shm_closed(self, process, mm):
        """A process's address space goes (exit): shm_close() of each attach VMA records
        that process as the last one to touch the segment."""
        now = None
        for vma in mm.vmas:
            f = vma.file
            if isinstance(f, ShmAttach) and not f.seg.deleted:
                now = self.now() if now is None else now
                f.seg.lpid = process.tgid
                f.seg.dtime = now
        self.shm_sweep()

    # -- sem

    def sem_free(self, sem):
        """freeary(): the set goes; its waiters wake to EIDRM."""
        self.sem.remove(sem)
        self.used_sems -= sem.nsems
        sem.undo.clear()
        sem.queue.wake()

    def exit_sem(self, process):
        """exit_sem(): apply the process's SEM_UNDO adjustments, clamped to
        0..SEMVMX, and let the waiters look again."""
        for sem in list(self.sem.entries.values()):
            adj = sem.undo.pop(process, None)
            if adj is None:
                continue
            for i, a in enumerate(adj):
                if a:
                    sem.vals[i] = min(max(sem.vals[i] + a, 0), SEMVMX)
                    sem.pids[i] = process.tgid
            sem.update_queue(self.now())

    def free(self):
        """free_ipc_ns(): the namespace's last task is gone; every object goes with it
        (the waiters it could have are gone too)."""
        for seg in list(self.shm.entries.values()):
            self.shm_destroy(seg)
        for sem in list(self.sem.entries.values()):
            self.sem_free(sem)
        for q in list(self.msg.entries.values()):
            self.msg_free(q)
        namespaces = getattr(self.kernel, "ipc_namespaces", [])
        if self in namespaces:
            namespaces.remove(self)

    # -- msg

    def msg_free(self, q):
        """freeque(): the queue and its messages go; both kinds of waiter wake to EIDRM."""
        self.msg.remove(q)
        self.msg_bytes -= q.cbytes
        self.msg_hdrs -= len(q.messages)
        q.messages.clear()
        q.cbytes = 0
        q.senders.wake()
        q.receivers.wake()


def namespace_of(task):
    """The caller's IPC namespace. A task with namespaces of its own (task.nsproxy,
    Linux's nsproxy) finds its objects on its `ipc` namespace's `sysv` attribute,
    made on first use; the initial one is the kernel's."""
    kernel = task.kernel
    proxy = getattr(task, "nsproxy", None)
    owner = getattr(proxy, "ipc", None) if proxy is not None else None
    if owner is None:
        return kernel_namespace(kernel)
    ns = getattr(owner, "sysv", None)
    if ns is None:
        init = getattr(getattr(kernel, "init_nsproxy", None), "ipc", None)
        ns = kernel_namespace(kernel) if owner is init else IpcNamespace(kernel)
        owner.sysv = ns
    return ns


def kernel_namespace(kernel):
    """The initial IPC namespace (what /proc shows)."""
    ns = getattr(kernel, "ipc_ns", None)
    if ns is None:
        ns = kernel.ipc_ns = IpcNamespace(kernel)
    return ns


def unshare_sysvsem(kernel, process):
    """unshare(CLONE_SYSVSEM), and CLONE_NEWIPC which implies it: the process's
    SEM_UNDO adjustments are applied now (exit_sem), as at exit."""
    for ns in getattr(kernel, "ipc_namespaces", ()):
        ns.exit_sem(process)


def exec_mm(kernel, process, mm):
    """execve drops the old address space: shm_close() of its attaches."""
    if mm.users <= 1:
        for ns in getattr(kernel, "ipc_namespaces", ()):
            ns.shm_closed(process, mm)


def exit_process(kernel, process, mm):
    """What do_exit does for SysV IPC: exit_sem, and shm_close for the attaches of an
    address space nobody else uses."""
    for ns in getattr(kernel, "ipc_namespaces", ()):
        ns.exit_sem(process)
        if mm is not None and mm.users <= 0:
            ns.shm_closed(process, mm)
