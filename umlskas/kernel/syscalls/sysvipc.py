"""System V semaphore and message queue syscalls (semget/semop/semctl, msgget/msgsnd/msgrcv/msgctl).

The objects and the namespace are in ../sysv_ipc.py, shared memory's calls in
sysvshm.py (which uses the get and ipc64_perm helpers here). The handlers decode
the guest's arguments and structures (the x86-64 *64_ds layouts) and check them
in the order ipc/sem.c and ipc/msg.c do. A call that waits raises Block on the
object's WaitQueue and runs again when something changes there.
"""

import errno
import struct
import time

from ..errors import Block, SyscallError
from ..sysv_ipc import (CAP_SYS_RESOURCE, IPC_CREAT, IPC_EXCL, IPC_INFO, IPC_NOWAIT,
                        IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT, MSGMAP, MSGPOOL, MSGSEG,
                        MSGSSZ, MSGTQL, S_IRUGO, S_IWUGO, SEMAEM, SEMUME, SEMUSZ, SEMVMX,
                        MsgQueue, SemSet, capable, check_owner, ipcperms, namespace_of,
                        update_perm)
from .time import ktime_after, park_deadline

GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL = 11, 12, 13, 14, 15, 16, 17
SEM_STAT, SEM_INFO, SEM_STAT_ANY = 18, 19, 20
MSG_STAT, MSG_INFO, MSG_STAT_ANY = 11, 12, 13
MSG_NOERROR, MSG_EXCEPT, MSG_COPY = 0o10000, 0o20000, 0o40000
LONG_MIN, LONG_MAX = -(1 << 63), (1 << 63) - 1
INT_MAX = 0x7FFFFFFF

# struct ipc64_perm, then the rest of shmid64_ds / semid64_ds / msqid64_ds (x86-64).
PERM = struct.Struct("<iIIIIIHH4xQQ")
SEMID_DS = struct.Struct("<48sqQqQQQQ")
MSQID_DS = struct.Struct("<48sqqqQQQiiQQ")
SEMINFO = struct.Struct("<10i")
MSGINFO = struct.Struct("<7iH2x")
SEMBUF = struct.Struct("<HhH")


def _perm(obj):
    return PERM.pack(obj.key, obj.uid, obj.gid, obj.cuid, obj.cgid, obj.mode, obj.seq, 0, 0, 0)


def _read_perm(raw):
    """uid, gid, mode of an IPC_SET buffer's ipc64_perm."""
    _, uid, gid, _, _, mode = PERM.unpack(raw[:PERM.size])[:6]
    return uid, gid, mode


def _ipcget(ids, task, key, flg, create, more_checks=None):
    if key == IPC_PRIVATE:
        return create()
    obj = ids.keys.get(key)
    if obj is None:
        if not flg & IPC_CREAT:
            raise SyscallError(errno.ENOENT)
        return create()
    if flg & IPC_CREAT and flg & IPC_EXCL:
        raise SyscallError(errno.EEXIST)
    if more_checks is not None:
        more_checks(obj)
    if ipcperms(task, obj, flg):
        raise SyscallError(errno.EACCES)
    return obj.id


# ---- semaphores ----------------------------------------------------------------------


def sys_semget(task, key, nsems, semflg):
    """semget(2)."""
    ns = namespace_of(task)
    if nsems < 0 or nsems > ns.sc_semmsl:
        raise SyscallError(errno.EINVAL)

    def create():
        # newary()
        if not nsems:
            raise SyscallError(errno.EINVAL)
        if ns.used_sems + nsems > ns.sc_semmns:
            raise SyscallError(errno.ENOSPC)
        ident = ns.sem.add(SemSet(key, semflg, task.creds, nsems, ns.now()), ns.sc_semmni)
        ns.used_sems += nsems
        return ident

    def more_checks(sem):
        if nsems > sem.nsems:
            raise SyscallError(errno.EINVAL)

    return _ipcget(ns.sem, task, key, semflg, create, more_checks)


def _semop_deleted(task):
    """A semop/msgsnd/msgrcv woken because its object was removed: EIDRM."""
    waiting = task.restart.get("sysv_obj")
    if waiting is not None and waiting.deleted:
        raise SyscallError(errno.EIDRM)


def sys_semtimedop(task, semid, sops, nsops, timeout):
    """semtimedop(2): all the operations at once, or none; blocks (on the set's
    queue) for the first one that cannot go yet."""
    restart = task.restart
    if "sysv_result" in restart:
        # A semop or semctl of another task did this call's operations (update_queue).
        result = restart.pop("sysv_result")
        if result < 0:
            raise SyscallError(-result)
        return result
    _semop_deleted(task)
    ns = namespace_of(task)
    first = "sysv_deadline" not in restart
    if first and timeout:
        # ksys_semtimedop copies the timeout before anything else is looked at.
        sec, nsec = struct.unpack("<qq", task.mm.read(timeout, 16))
    if nsops < 1 or semid < 0:
        raise SyscallError(errno.EINVAL)
    if nsops > ns.sc_semopm:
        raise SyscallError(errno.E2BIG)
    raw = task.mm.read(sops, nsops * SEMBUF.size)
    ops = [SEMBUF.unpack_from(raw, i * SEMBUF.size) for i in range(nsops)]
    if first:
        deadline = None
        if timeout:
            if sec < 0 or not 0 <= nsec < 10**9:
                raise SyscallError(errno.EINVAL)
            deadline = park_deadline(ktime_after(time.monotonic_ns(), sec * 10**9 + nsec))
            if deadline is None:
                deadline = False
        restart["sysv_deadline"] = deadline
    deadline = restart["sysv_deadline"]
    top = max(op[0] for op in ops)
    alter = any(op[1] != 0 for op in ops)
    sem = ns.sem.check(semid)
    if top >= sem.nsems:
        raise SyscallError(errno.EFBIG)
    if ipcperms(task, sem, S_IWUGO if alter else S_IRUGO):
        raise SyscallError(errno.EACCES)
    blocking = sem.perform(ops, task.process, task.tgid, ns.now())
    if blocking is not None:
        if blocking[2] & IPC_NOWAIT:
            raise SyscallError(errno.EAGAIN)
        if deadline and time.monotonic() >= deadline:
            raise SyscallError(errno.EAGAIN)
        if task.sigpending:
            # do_semtimedop ends its sleep with -EINTR itself (no restart, not even
            # after a stop and SIGCONT with no handler).
            raise SyscallError(errno.EINTR)
        restart["sysv_obj"] = sem
        restart["sysv_ops"] = (sem, ops)
        restart["sysv_blocking"] = (sem, blocking[0], blocking[1])
        raise Block(deadline=deadline or None, queue=sem.queue)
    if alter:
        sem.update_queue(ns.now())
    return 0


def sys_semop(task, semid, sops, nsops):
    """semop(2)."""
    return sys_semtimedop(task, semid, sops, nsops, 0)


def _sem_ds(sem):
    return SEMID_DS.pack(_perm(sem), sem.otime, 0, sem.ctime, 0, sem.nsems, 0, 0)


def sys_semctl(task, semid, semnum, cmd, arg):
    """semctl(2)."""
    if semid < 0:
        raise SyscallError(errno.EINVAL)
    ns = namespace_of(task)
    mm = task.mm
    if cmd in (IPC_INFO, SEM_INFO):
        info = SEMINFO.pack(ns.sc_semmns, ns.sc_semmni, ns.sc_semmns, ns.sc_semmns,
                            ns.sc_semmsl, ns.sc_semopm, SEMUME,
                            ns.sem.in_use if cmd == SEM_INFO else SEMUSZ, SEMVMX,
                            ns.used_sems if cmd == SEM_INFO else SEMAEM)
        mm.write(arg, info)
        return max(ns.sem.max_idx(), 0)
    if cmd in (IPC_STAT, SEM_STAT, SEM_STAT_ANY):
        sem = ns.sem.by_idx(semid) if cmd != IPC_STAT else ns.sem.check(semid)
        if cmd != SEM_STAT_ANY and ipcperms(task, sem, S_IRUGO):
            raise SyscallError(errno.EACCES)
        mm.write(arg, _sem_ds(sem))
        return 0 if cmd == IPC_STAT else sem.id
    if cmd in (GETALL, GETVAL, GETPID, GETNCNT, GETZCNT, SETALL):
        sem = ns.sem.check(semid)
        if ipcperms(task, sem, S_IWUGO if cmd == SETALL else S_IRUGO):
            raise SyscallError(errno.EACCES)
        if cmd == GETALL:
            mm.write(arg, struct.pack(f"<{sem.nsems}H", *sem.vals))
            return 0
        if cmd == SETALL:
            vals = list(struct.unpack(f"<{sem.nsems}H", mm.read(arg, 2 * sem.nsems)))
            if any(v > SEMVMX for v in vals):
                raise SyscallError(errno.ERANGE)
            sem.vals = vals
            sem.pids = [task.tgid] * sem.nsems
            sem.clear_undo()
            sem.ctime = ns.now()
            sem.update_queue(ns.now())
            return 0
        if semnum < 0 or semnum >= sem.nsems:
            raise SyscallError(errno.EINVAL)
        if cmd == GETVAL:
            return sem.vals[semnum]
        if cmd == GETPID:
            return sem.pids[semnum]
        return sem.count_waiting(list(task.kernel.tasks.values()), semnum, cmd == GETZCNT)
    if cmd == SETVAL:
        val = arg & 0xFFFFFFFF
        val = val - (1 << 32) if val & 0x80000000 else val
        if val > SEMVMX or val < 0:
            raise SyscallError(errno.ERANGE)
        sem = ns.sem.check(semid)
        if semnum < 0 or semnum >= sem.nsems:
            raise SyscallError(errno.EINVAL)
        if ipcperms(task, sem, S_IWUGO):
            raise SyscallError(errno.EACCES)
        sem.clear_undo(semnum)
        sem.vals[semnum] = val
        sem.pids[semnum] = task.tgid
        sem.ctime = ns.now()
        sem.update_queue(ns.now())
        return 0
    if cmd in (IPC_SET, IPC_RMID):
        if cmd == IPC_SET:
            uid, gid, mode = _read_perm(mm.read(arg, SEMID_DS.size))
        sem = ns.sem.check(semid)
        check_owner(task, sem)
        if cmd == IPC_RMID:
            ns.sem_free(sem)
            return 0
        update_perm(sem, uid, gid, mode)
        sem.ctime = ns.now()
        return 0
    raise SyscallError(errno.EINVAL)


# ---- message queues ------------------------------------------------------------------


def sys_msgget(task, key, msgflg):
    """msgget(2)."""
    ns = namespace_of(task)

    def create():
        return ns.msg.add(MsgQueue(key, msgflg, task.creds, ns.msg_ctlmnb, ns.now()),
                          ns.msg_ctlmni)

    return _ipcget(ns.msg, task, key, msgflg, create)


def _s64(v):
    return v - (1 << 64) if v & (1 << 63) else v


def sys_msgsnd(task, msqid, msgp, msgsz, msgflg):
    """msgsnd(2): waits (on the queue's senders) while the queue is full."""
    _semop_deleted(task)
    mm = task.mm
    mtype = _s64(struct.unpack("<Q", mm.read(msgp, 8))[0])
    ns = namespace_of(task)
    if msgsz > ns.msg_ctlmax or _s64(msgsz) < 0 or msqid < 0:
        raise SyscallError(errno.EINVAL)
    if mtype < 1:
        raise SyscallError(errno.EINVAL)
    text = mm.read(msgp + 8, msgsz)
    q = ns.msg.check(msqid)
    if ipcperms(task, q, S_IWUGO):
        raise SyscallError(errno.EACCES)
    if not q.fits(msgsz):
        if msgflg & IPC_NOWAIT:
            raise SyscallError(errno.EAGAIN)
        task.restart["sysv_obj"] = q
        raise Block(queue=q.senders)
    q.lspid = task.tgid
    q.stime = ns.now()
    if not _pipelined_send(q, mtype, text, ns.now()):
        q.messages.append((mtype, text))
        q.cbytes += msgsz
        ns.msg_bytes += msgsz
        ns.msg_hdrs += 1
    return 0


def _testmsg(mtype, msgtyp, mode):
    return mode == "any" or (mode == "equal" and mtype == msgtyp) or \
        (mode == "notequal" and mtype != msgtyp) or (mode == "lessequal" and mtype <= msgtyp)


def _pipelined_send(q, mtype, text, now):
    """pipelined_send(): a waiting receiver that wants this message takes it at once,
    in the sender's context (it never enters the queue); one whose buffer is too
    small is woken with E2BIG and the next is tried. True if a receiver took it."""
    for t in list(q.receivers.waiters):
        want = t.restart.get("sysv_rcv")
        if want is None or want[0] is not q or not _testmsg(mtype, want[1], want[2]):
            continue
        q.receivers.waiters.remove(t)
        if want[3] < len(text):
            t.restart["sysv_result"] = -errno.E2BIG
            t.kernel.wake(t)
            continue
        q.lrpid = t.tgid
        q.rtime = now
        t.restart["sysv_msg"] = (mtype, text)
        t.kernel.wake(t)
        return True
    return False


def _find_msg(q, msgtyp, mode):
    """find_msg(): the index of the message to take, or None."""
    found = None
    for i, (mtype, _) in enumerate(q.messages):
        if mode == "number":
            if i == msgtyp:
                return i
            continue
        if mode == "any" or (mode == "equal" and mtype == msgtyp) or \
                (mode == "notequal" and mtype != msgtyp):
            return i
        if mode == "lessequal" and mtype <= msgtyp:
            if mtype == 1:
                return i
            found = i
            msgtyp = mtype - 1
    return found


def sys_msgrcv(task, msqid, msgp, msgsz, msgtyp, msgflg):
    """msgrcv(2): waits (on the queue's receivers) for a matching message."""
    restart = task.restart
    mm = task.mm
    if "sysv_msg" in restart:
        # A sender handed this call its message (_pipelined_send).
        mtype, text = restart.pop("sysv_msg")
        return _msg_fill(mm, msgp, msgsz, mtype, text)
    if "sysv_result" in restart:
        raise SyscallError(-restart.pop("sysv_result"))
    _semop_deleted(task)
    ns = namespace_of(task)
    if msqid < 0 or _s64(msgsz) < 0:
        raise SyscallError(errno.EINVAL)
    copy_size = None
    if msgflg & MSG_COPY:
        if msgflg & MSG_EXCEPT or not msgflg & IPC_NOWAIT:
            raise SyscallError(errno.EINVAL)
        copy_size = min(msgsz, ns.msg_ctlmax)
        mm.read(msgp + 8, copy_size)            # prepare_copy: load_msg of the buffer
    # convert_mode()
    if msgflg & MSG_COPY:
        mode = "number"
    elif msgtyp == 0:
        mode = "any"
    elif msgtyp < 0:
        msgtyp = LONG_MAX if msgtyp == LONG_MIN else -msgtyp
        mode = "lessequal"
    elif msgflg & MSG_EXCEPT:
        mode = "notequal"
    else:
        mode = "equal"
    q = ns.msg.check(msqid)
    if ipcperms(task, q, S_IRUGO):
        raise SyscallError(errno.EACCES)
    i = _find_msg(q, msgtyp, mode)
    if i is None:
        if msgflg & IPC_NOWAIT:
            raise SyscallError(errno.ENOMSG)
        restart["sysv_obj"] = q
        restart["sysv_rcv"] = (q, msgtyp, mode, INT_MAX if msgflg & MSG_NOERROR else msgsz)
        raise Block(queue=q.receivers)
    mtype, text = q.messages[i]
    if msgsz < len(text) and not msgflg & MSG_NOERROR:
        raise SyscallError(errno.E2BIG)
    if copy_size is not None:
        if len(text) > copy_size:
            raise SyscallError(errno.EINVAL)         # copy_msg: larger than the copy
    else:
        del q.messages[i]
        q.cbytes -= len(text)
        ns.msg_bytes -= len(text)
        ns.msg_hdrs -= 1
        q.rtime = ns.now()
        q.lrpid = task.tgid
        q.senders.wake()
    return _msg_fill(mm, msgp, msgsz, mtype, text)


def _msg_fill(mm, msgp, msgsz, mtype, text):
    """do_msg_fill(): the message is off the queue even if these copies fault."""
    mm.write(msgp, struct.pack("<q", mtype))
    n = min(msgsz, len(text))
    mm.write(msgp + 8, text[:n])
    return n


def _msq_ds(q):
    return MSQID_DS.pack(_perm(q), q.stime, q.rtime, q.ctime, q.cbytes, len(q.messages),
                         q.qbytes, q.lspid, q.lrpid, 0, 0)


def sys_msgctl(task, msqid, cmd, buf):
    """msgctl(2)."""
    if msqid < 0 or cmd < 0:
        raise SyscallError(errno.EINVAL)
    ns = namespace_of(task)
    mm = task.mm
    if cmd in (IPC_INFO, MSG_INFO):
        info = MSGINFO.pack(ns.msg.in_use if cmd == MSG_INFO else MSGPOOL,
                            ns.msg_hdrs if cmd == MSG_INFO else MSGMAP,
                            ns.msg_ctlmax, ns.msg_ctlmnb, ns.msg_ctlmni, MSGSSZ,
                            ns.msg_bytes if cmd == MSG_INFO else MSGTQL, MSGSEG)
        mm.write(buf, info)
        return max(ns.msg.max_idx(), 0)
    if cmd in (IPC_STAT, MSG_STAT, MSG_STAT_ANY):
        q = ns.msg.by_idx(msqid) if cmd != IPC_STAT else ns.msg.check(msqid)
        if cmd != MSG_STAT_ANY and ipcperms(task, q, S_IRUGO):
            raise SyscallError(errno.EACCES)
        mm.write(buf, _msq_ds(q))
        return 0 if cmd == IPC_STAT else q.id
    if cmd in (IPC_SET, IPC_RMID):
        if cmd == IPC_SET:
            raw = mm.read(buf, MSQID_DS.size)
            uid, gid, mode = _read_perm(raw)
            qbytes = MSQID_DS.unpack(raw)[6]
        q = ns.msg.check(msqid)
        check_owner(task, q)
        if cmd == IPC_RMID:
            ns.msg_free(q)
            return 0
        if qbytes > ns.msg_ctlmnb and not capable(task, CAP_SYS_RESOURCE):
            raise SyscallError(errno.EPERM)
        update_perm(q, uid, gid, mode)
        q.qbytes = qbytes
        q.ctime = ns.now()
        # expunge_all(-EAGAIN) and ss_wakeup: every waiter looks again (its rights too).
        q.senders.wake()
        q.receivers.wake()
        return 0
    raise SyscallError(errno.EINVAL)


HANDLERS = {
    "semget": sys_semget, "semop": sys_semop, "semtimedop": sys_semtimedop,
    "semctl": sys_semctl,
    "msgget": sys_msgget, "msgsnd": sys_msgsnd, "msgrcv": sys_msgrcv, "msgctl": sys_msgctl,
}
