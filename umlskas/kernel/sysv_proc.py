"""/proc/sysvipc/{shm,sem,msg} and the /proc/sys/kernel IPC limits of an IpcNamespace."""

import errno
import os

from .errors import SyscallError
from .sysv_ipc import IPCMNI, kernel_namespace, namespace_of


SHM_HEADER = ("       key      shmid perms                  size  cpid  lpid nattch   uid   gid"
              "  cuid  cgid      atime      dtime      ctime                   rss"
              "                  swap\n")
SHM_LINE = "%10d %10d  %4o %21u %5u %5u  %5u %5u %5u %5u %5u %10u %10u %10u %21u %21u\n"
SEM_HEADER = ("       key      semid perms      nsems   uid   gid  cuid  cgid      otime"
              "      ctime\n")
MSG_HEADER = ("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid"
              "  cgid      stime      rtime      ctime\n")


def _key(k):
    """key_t as the %d of Linux's seq_printf shows it."""
    k &= 0xFFFFFFFF
    return k - (1 << 32) if k & 0x80000000 else k


def proc_shm(ns):
    """/proc/sysvipc/shm (sysvipc_shm_proc_show)."""
    ns.shm_sweep()
    counts = ns.shm_attaches()
    lines = [SHM_HEADER]
    for s in ns.shm.objects():
        try:
            rss = os.fstat(s.memfd).st_blocks * 512
        except OSError:
            rss = 0
        lines.append(SHM_LINE % (
            _key(s.key), s.id, s.mode, s.size, s.cpid, s.lpid, counts.get(s, 0), s.uid, s.gid,
            s.cuid, s.cgid, s.atime, s.dtime, s.ctime, rss, 0))
    return "".join(lines).encode()


def proc_sem(ns):
    """/proc/sysvipc/sem (sysvipc_sem_proc_show)."""
    lines = [SEM_HEADER]
    for s in ns.sem.objects():
        lines.append("%10d %10d  %4o %10u %5u %5u %5u %5u %10u %10u\n" % (
            _key(s.key), s.id, s.mode, s.nsems, s.uid, s.gid, s.cuid, s.cgid, s.otime,
            s.ctime))
    return "".join(lines).encode()


def proc_msg(ns):
    """/proc/sysvipc/msg (sysvipc_msg_proc_show)."""
    lines = [MSG_HEADER]
    for q in ns.msg.objects():
        lines.append("%10d %10d  %4o  %10u %10u %5u %5u %5u %5u %5u %5u %10u %10u %10u\n" % (
            _key(q.key), q.id, q.mode, q.cbytes, len(q.messages), q.lspid, q.lrpid, q.uid,
            q.gid, q.cuid, q.cgid, q.stime, q.rtime, q.ctime))
    return "".join(lines).encode()


INT_MAX = 0x7FFFFFFF
ULONG_MAX = 0xFFFFFFFFFFFFFFFF


def _sysctl_ints(data, count, lo, hi):
    """The integers a sysctl write gives (proc_dointvec_minmax and friends): EINVAL
    for anything else or a value out of [lo, hi]."""
    words = data.split()
    try:
        values = [int(w) for w in words[:count]]
    except ValueError:
        raise SyscallError(errno.EINVAL) from None
    if not values or any(v < lo or v > hi for v in values):
        raise SyscallError(errno.EINVAL)
    return values


def sysctl_entries(kernel):
    """/proc/sys/kernel/{shmmax,shmall,shmmni,sem,msgmax,msgmnb,msgmni}: name ->
    (content(), write(task, data)). Writing needs root (the files are 0644)."""
    def current_ns(task=None):
        # As Linux's ipc sysctls: the namespace of `current`, the task whose read or
        # write this is.
        task = task if task is not None else getattr(kernel, "current", None)
        return namespace_of(task) if task is not None else kernel_namespace(kernel)

    def entry(attrs, lo, hi):
        def content():
            ns = current_ns()
            return ("\t".join(str(getattr(ns, a)) for a in attrs) + "\n").encode()

        def write(task, data):
            values = _sysctl_ints(data, len(attrs), lo, hi)
            ns = current_ns(task)
            for a, v in zip(attrs, values):
                setattr(ns, a, v)
            return len(data)
        return content, write

    def sem_write(task, data):
        # proc_ipc_sem_dointvec: SEMMNI is capped by the id space, the rest are ints.
        # proc_dointvec stores what it parsed; a SEMMNI above the id space alone is
        # then put back, and the write fails.
        values = _sysctl_ints(data, 4, -INT_MAX - 1, INT_MAX)
        ns = current_ns(task)
        for a, v in zip(("sc_semmsl", "sc_semmns", "sc_semopm", "sc_semmni"), values):
            if a == "sc_semmni" and v > IPCMNI:
                raise SyscallError(errno.EINVAL)
            setattr(ns, a, v)
        return len(data)

    sem_content = entry(("sc_semmsl", "sc_semmns", "sc_semopm", "sc_semmni"), 0, 0)[0]
    return {
        "shmmax": entry(("shm_ctlmax",), 0, ULONG_MAX),
        "shmall": entry(("shm_ctlall",), 0, ULONG_MAX),
        "shmmni": entry(("shm_ctlmni",), 0, IPCMNI),
        "sem": (sem_content, sem_write),
        "msgmax": entry(("msg_ctlmax",), 0, INT_MAX),
        "msgmnb": entry(("msg_ctlmnb",), 0, INT_MAX),
        "msgmni": entry(("msg_ctlmni",), 0, IPCMNI),
    }
