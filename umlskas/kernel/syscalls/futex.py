"""futex(2): wait queues, WAKE_OP, requeue and the priority-inheritance lock protocol."""

import errno
import struct
import time

from ..errors import Block, SyscallError, WaitQueue
from .time import KTIME_MAX, ktime_after, park_deadline

FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 3, 4, 5
FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI = 6, 7, 8
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2 = 11, 12, 13
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF
FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x80000000, 0x40000000, 0x3FFFFFFF
FUTEX_OP_OPARG_SHIFT = 8
# The ops that take a timeout (futex_cmd_has_timeout); for the others the argument
# is a count (nr_requeue, nr_wake2).
HAS_TIMEOUT = frozenset({FUTEX_WAIT, FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_WAIT_BITSET,
                         FUTEX_WAIT_REQUEUE_PI})
# FUTEX_CLOCK_REALTIME is accepted only with these; the others answer ENOSYS.
CLOCK_RT_OPS = frozenset({FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI2})
CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1
# An interrupted LOCK_PI (or WAIT_REQUEUE_PI before its requeue) starts again after
# the handler, whatever SA_RESTART says (kernel_proc reads it from task.restart).
ERESTARTNOINTR, ERESTARTNOHAND = -513, -514
SIGNAL_RESTART = "signal_restart"


class PiState:
    """The kernel side of a PI futex that has waiters: its owner (a task, None
    between an owner's death and the take-over) and the tasks blocked on it, in order."""

    __slots__ = ("owner", "queue")

    def __init__(self, owner):
        self.owner = owner
        self.queue = WaitQueue()


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _key(task, uaddr, private, write=False):
    """get_futex_key: EINVAL for a misaligned word, else the mm's key (or EFAULT)."""
    if uaddr & 3:
        raise SyscallError(errno.EINVAL)
    return task.mm.futex_key(uaddr, private, write)


def _get(task, uaddr):
    return struct.unpack("<I", task.mm.read(uaddr, 4))[0]


def _cmpxchg(task, uaddr, old, new):
    """The word's value before an atomic old -> new (equal to old when it worked)."""
    return task.mm.cmpxchg32(uaddr, old, new & 0xFFFFFFFF)




def _queue(kernel, key, create):
    q = kernel.futexes.get(key)
    if q is None and create:
        q = kernel.futexes[key] = WaitQueue()
    return q


def _pi_state(kernel, key):
    """The PI state of key while it has waiters (Linux frees it with the last one)."""
    ps = kernel.futex_pi.get(key)
    if ps is not None and not ps.queue.waiters:
        del kernel.futex_pi[key]
        return None
    return ps


def _wake(waiter, how=True):
    waiter.restart["woken"] = how
    waiter.kernel.wake(waiter)


def _timeout(task, cmd, op, timeout):
    """The deadline (time.monotonic() seconds, or None for never) of a futex timeout,
    as futex_init_timeout reads it: relative for FUTEX_WAIT, absolute CLOCK_REALTIME
    for LOCK_PI, else absolute on CLOCK_MONOTONIC (CLOCK_REALTIME with the flag)."""
    sec, nsec = struct.unpack("<qq", task.mm.read(timeout, 16))
    if sec < 0 or not 0 <= nsec < 10**9:
        raise SyscallError(errno.EINVAL)
    ns = sec * 10**9 + nsec
    now = time.monotonic_ns()
    if cmd == FUTEX_WAIT:
        return park_deadline(ktime_after(now, ns))
    realtime = cmd == FUTEX_LOCK_PI or op & FUTEX_CLOCK_REALTIME
    return _abs_deadline(task, CLOCK_REALTIME if realtime else CLOCK_MONOTONIC, ns)


def _abs_deadline(task, clk, ns):
    ns = min(ns, KTIME_MAX)
    if ns == KTIME_MAX:
        return None
    now = time.monotonic_ns()
    return park_deadline(ktime_after(now, ns - task.kernel.clock.now_ns(clk)))


def _expired(deadline):
    return deadline is not None and time.monotonic() >= deadline


def sys_futex(task, uaddr, futex_op, val, timeout, uaddr2, val3):
    """futex(2): every op Linux 6 has (FUTEX_FD went in 2.6.26)."""
    cmd = futex_op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    private = bool(futex_op & FUTEX_PRIVATE_FLAG)
    restart = task.restart
    if "futex_deadline" in restart:
        deadline = restart["futex_deadline"]
    else:
        deadline = None
        if timeout and cmd in HAS_TIMEOUT:
            # Read and checked before the op is (the syscall entry does it).
            deadline = _timeout(task, cmd, futex_op, timeout)
        if futex_op & FUTEX_CLOCK_REALTIME and cmd not in CLOCK_RT_OPS:
            raise SyscallError(errno.ENOSYS)
    val3 &= 0xFFFFFFFF
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        bitset = val3 if cmd == FUTEX_WAIT_BITSET else FUTEX_BITSET_MATCH_ANY
        return _wait(task, uaddr, private, val, bitset, deadline)
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = val3 if cmd == FUTEX_WAKE_BITSET else FUTEX_BITSET_MATCH_ANY
        if not bitset:
            raise SyscallError(errno.EINVAL)
        return futex_wake(task, uaddr, val, bitset, private)
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_CMP_REQUEUE_PI):
        # The counts are ints (nr_requeue comes in the timeout argument).
        return _requeue(task, uaddr, uaddr2, _s32(val), _s32(timeout),
                        None if cmd == FUTEX_REQUEUE else val3, cmd == FUTEX_CMP_REQUEUE_PI,
                        private)
    if cmd == FUTEX_WAKE_OP:
        return _wake_op(task, uaddr, uaddr2, _s32(val), _s32(timeout), val3, private)
    if cmd in (FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI):
        return _lock_pi(task, uaddr, private, deadline, cmd == FUTEX_TRYLOCK_PI)
    if cmd == FUTEX_UNLOCK_PI:
        return _unlock_pi(task, uaddr, private)
    if cmd == FUTEX_WAIT_REQUEUE_PI:
        return _wait_requeue_pi(task, uaddr, private, val, deadline, uaddr2)
    raise SyscallError(errno.ENOSYS)


# ---- wait and wake ---------------------------------------------------------------------

def _block(task, queues, deadline, bitset=FUTEX_BITSET_MATCH_ANY, requeue_pi=None):
    task.restart["futex_deadline"] = deadline
    task.futex_bitset = bitset
    task.futex_requeue_pi = requeue_pi      # the PI futex a WAIT_REQUEUE_PI waiter expects
    raise Block(deadline=deadline, queue=queues)


def _wait(task, uaddr, private, val, bitset, deadline, timed_eintr=True):
    """futex_wait: block while the word holds val, until woken or timed out."""
    restart = task.restart
    if "futex_deadline" in restart:
        # Run again after parking: woken, timed out, or woken for nothing (wait again).
        if restart.pop("woken", None) is not None:
            return 0
        if _expired(deadline):
            raise SyscallError(errno.ETIMEDOUT)
        _block(task, restart["futex_queue"], deadline, bitset)
    if not bitset:
        raise SyscallError(errno.EINVAL)
    key = _key(task, uaddr, private)
    if _get(task, uaddr) != val & 0xFFFFFFFF:
        raise SyscallError(errno.EAGAIN)
    q = _queue(task.kernel, key, True)
    restart["futex_queue"] = q
    if deadline is not None and timed_eintr:
        # futex(2)'s wait with a timeout ends in EINTR under any handler (Linux
        # restarts it through restart_block only when no handler runs).
        restart[SIGNAL_RESTART] = ERESTARTNOHAND
    _block(task, q, deadline, bitset)


def futex_wake(task, uaddr, count, mask=FUTEX_BITSET_MATCH_ANY, private=False):
    """Wake up to count waiters on uaddr whose bitset matches mask. As Linux's
    futex_wake (FUTEX_WAKE, FUTEX_WAKE_BITSET), the count is tested only after a
    wake-up: 0 or a negative count still wakes one waiter."""
    return _wake_key(task.kernel, _key(task, uaddr, private), _s32(count), mask)


def _wake_key(kernel, key, count, mask=FUTEX_BITSET_MATCH_ANY):
    if _pi_state(kernel, key) is not None:
        raise SyscallError(errno.EINVAL)        # PI waiters are woken by UNLOCK_PI only
    q = kernel.futexes.get(key)
    if q is None:
        return 0
    woken = 0
    for waiter in list(q.waiters):
        if getattr(waiter, "futex_requeue_pi", None) is not None:
            raise SyscallError(errno.EINVAL)    # its rt_waiter: a WAIT_REQUEUE_PI waiter
        if getattr(waiter, "futex_bitset", FUTEX_BITSET_MATCH_ANY) & mask:
            q.waiters.remove(waiter)
            _wake(waiter, q)
            woken += 1
            if woken >= count:
                break
    return woken


def _wake_op(task, uaddr, uaddr2, nr_wake, nr_wake2, encoded, private):
    """futex_wake_op: the atomic op on *uaddr2 (futex_atomic_op_inuser), then wake
    nr_wake on uaddr and, if the old value of *uaddr2 compares true, nr_wake2 there."""
    key1 = _key(task, uaddr, private)
    key2 = _key(task, uaddr2, private, write=True)
    op = (encoded >> 28) & 7
    cmp = (encoded >> 24) & 15
    oparg = _sext12(encoded >> 12)
    cmparg = _sext12(encoded)
    if encoded & (FUTEX_OP_OPARG_SHIFT << 28):
        oparg = 1 << (oparg & 31)
    if op > 4:
        raise SyscallError(errno.ENOSYS)        # before the word is touched
    old = _get(task, uaddr2)
    while True:
        new = (oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg)[op]
        cur = _cmpxchg(task, uaddr2, old, new)
        if cur == old:
            break
        old = cur
    old = _s32(old)
    if cmp > 5:
        raise SyscallError(errno.ENOSYS)        # after the op, as Linux
    cond = (old == cmparg, old != cmparg, old < cmparg, old <= cmparg, old > cmparg,
            old >= cmparg)[cmp]
    kernel = task.kernel
    woken = _wake_key(kernel, key1, nr_wake)
    if cond:
        woken += _wake_key(kernel, key2, nr_wake2)
    return woken


def _sext12(v):
    v &= 0xFFF
    return v - 0x1000 if v & 0x800 else v


# ---- requeue ---------------------------------------------------------------------------

def _requeue(task, uaddr, uaddr2, nr_wake, nr_requeue, cmpval, requeue_pi, private):
    """futex_requeue: wake nr_wake waiters of uaddr and move up to nr_requeue more to
    uaddr2 (CMP_REQUEUE_PI: onto the PI futex uaddr2, which the first one takes if it
    is free). Returns how many were woken or moved."""
    if nr_wake < 0 or nr_requeue < 0:
        raise SyscallError(errno.EINVAL)
    if requeue_pi and (uaddr == uaddr2 or nr_wake != 1):
        raise SyscallError(errno.EINVAL)
    key1 = _key(task, uaddr, private)
    key2 = _key(task, uaddr2, private, write=requeue_pi)
    if requeue_pi and key1 == key2:
        raise SyscallError(errno.EINVAL)
    if cmpval is not None and _get(task, uaddr) != cmpval:
        raise SyscallError(errno.EAGAIN)
    kernel = task.kernel
    src = kernel.futexes.get(key1)
    count = 0
    ps = None
    if requeue_pi:
        _get(task, uaddr2)
        top = src.waiters[0] if src is not None and src.waiters else None
        if top is None:
            return 0
        if getattr(top, "futex_requeue_pi", None) != key2:
            raise SyscallError(errno.EINVAL)    # not a WAIT_REQUEUE_PI waiter for uaddr2
        ps = _lock_pi_atomic(task, uaddr2, key2, top, set_waiters=nr_requeue > 0)
        if ps is True:
            src.waiters.remove(top)
            top.futex_requeue_pi = None
            _wake(top, "pi")                    # it owns uaddr2 now
            count = 1
            ps = _pi_state_for(kernel, key2, top) if nr_requeue else None
    elif _pi_state(kernel, key1) is not None:
        raise SyscallError(errno.EINVAL)
    if src is None:
        return count
    dst = None
    err = None
    for waiter in list(src.waiters):
        if count - nr_wake >= nr_requeue:
            break
        rq = getattr(waiter, "futex_requeue_pi", None)
        if (rq is not None) != requeue_pi or (requeue_pi and rq != key2):
            err = errno.EINVAL                  # the two ops pair only with each other
            break
        src.waiters.remove(waiter)
        count += 1
        if not requeue_pi:
            if count <= nr_wake:
                _wake(waiter, src)
                continue
            if dst is None:
                dst = _queue(kernel, key2, True)
            dst.waiters.append(waiter)
        else:
            # It now waits for the PI lock (rt_mutex_start_proxy_lock).
            dst = ps.queue
            dst.waiters.append(waiter)
            waiter.futex_requeue_pi = None
            waiter.restart["requeued_pi"] = True
        _move(waiter, src, dst)
    if err is not None:
        raise SyscallError(err)
    return count


def _move(waiter, src, dst):
    """A parked waiter now waits on dst instead of src (futex_waitv's other words stay)."""
    waiter.blocked_queues = tuple(dst if q is src else q for q in waiter.blocked_queues)
    queues = waiter.restart.get("futex_queue")
    if isinstance(queues, tuple):
        waiter.restart["futex_queue"] = tuple(dst if q is src else q for q in queues)
    else:
        waiter.restart["futex_queue"] = dst


def _pi_state_for(kernel, key, owner):
    ps = kernel.futex_pi.get(key)
    if ps is None:
        ps = kernel.futex_pi[key] = PiState(owner)
    return ps


# ---- priority inheritance ------------------------------------------------------------------

def _lock_pi_atomic(task, uaddr, key, who, set_waiters=False):
    """futex_lock_pi_atomic for `who` (the caller, or the waiter CMP_REQUEUE_PI acts
    for): True when who took the word, else the PiState to wait on. EDEADLK when who
    owns it, EINVAL when the word and the kernel's state disagree, ESRCH when the TID
    in the word is no thread."""
    kernel = task.kernel
    for _ in range(16):
        uval = _get(task, uaddr)
        tid = uval & FUTEX_TID_MASK
        if tid == who.tid:
            raise SyscallError(errno.EDEADLK)
        normal = kernel.futexes.get(key)
        if normal is not None and normal.waiters:
            raise SyscallError(errno.EINVAL)    # plain waiters on a PI futex
        ps = _pi_state(kernel, key)
        if ps is not None:
            # attach_to_pi_state: the word must name the owner the kernel knows.
            if uval & FUTEX_OWNER_DIED:
                if ps.owner is None:
                    if tid:
                        raise SyscallError(errno.EINVAL)
                    return ps
                if not tid:
                    return ps
            elif ps.owner is None:
                raise SyscallError(errno.EINVAL)
            if tid != ps.owner.tid:
                raise SyscallError(errno.EINVAL)
            return ps
        if not tid:
            # Free (with the WAITERS or OWNER_DIED bit): take it, keep OWNER_DIED.
            newval = (uval & FUTEX_OWNER_DIED) | who.tid
            if set_waiters:
                newval |= FUTEX_WAITERS
            if _cmpxchg(task, uaddr, uval, newval) != uval:
                continue                        # the word changed: again
            return True
        # The first waiter: WAITERS sends the owner's unlock into the kernel.
        if _cmpxchg(task, uaddr, uval, uval | FUTEX_WAITERS) != uval:
            continue
        owner = kernel.task_by_vpid(tid)
        if owner is None or owner.tid != tid:
            if _get(task, uaddr) != uval | FUTEX_WAITERS:
                continue                        # the word changed: again
            raise SyscallError(errno.ESRCH)
        ps = kernel.futex_pi[key] = PiState(owner)
        return ps
    raise SyscallError(errno.EAGAIN)


def _take_over(task, uaddr, ps):
    """The owner died with waiters (exit_pi_state_list): the first one takes the lock
    and fixes the word (fixup_pi_state_owner): its TID, WAITERS and OWNER_DIED."""
    ps.owner = task
    uval = _get(task, uaddr)
    while True:
        cur = _cmpxchg(task, uaddr, uval, task.tid | FUTEX_WAITERS | FUTEX_OWNER_DIED)
        if cur == uval:
            return
        uval = cur


def _pi_woken(task, uaddr):
    """After parking on a PI futex: 0 if the lock was handed over, None if not."""
    how = task.restart.pop("woken", None)
    if how == "pi":
        return 0
    if how == "owner_died":
        try:
            _take_over(task, uaddr, task.restart["pi_state"])
        except SyscallError:
            pass
        return 0
    return None


def _lock_pi(task, uaddr, private, deadline, trylock):
    """futex_lock_pi (LOCK_PI, LOCK_PI2, TRYLOCK_PI)."""
    restart = task.restart
    if "pi_state" in restart:
        if _pi_woken(task, uaddr) is not None:
            return 0
        if _expired(deadline):
            raise SyscallError(errno.ETIMEDOUT)
        # Woken for nothing: try again from the word (the owner may be gone).
    key = _key(task, uaddr, private, write=True)
    ps = _lock_pi_atomic(task, uaddr, key, task)
    if ps is True:
        return 0
    if ps.owner is None:
        _take_over(task, uaddr, ps)
        return 0
    if trylock:
        raise SyscallError(errno.EAGAIN)
    restart["pi_state"] = ps
    restart[SIGNAL_RESTART] = ERESTARTNOINTR
    _block(task, ps.queue, deadline)


def _unlock_pi(task, uaddr, private):
    """futex_unlock_pi: only the owner; hand the lock to the first waiter, else free it."""
    for _ in range(16):
        uval = _get(task, uaddr)
        if uval & FUTEX_TID_MASK != task.tid:
            raise SyscallError(errno.EPERM)
        key = _key(task, uaddr, private, write=True)
        kernel = task.kernel
        normal = kernel.futexes.get(key)
        if normal is not None and normal.waiters:
            raise SyscallError(errno.EINVAL)
        ps = _pi_state(kernel, key)
        if ps is None:
            # No waiters in the kernel: free it (WAITERS and OWNER_DIED go too); a
            # word that changed meanwhile is left to user space.
            if _cmpxchg(task, uaddr, uval, 0) != uval:
                raise SyscallError(errno.EAGAIN)
            return 0
        if ps.owner is not task:
            raise SyscallError(errno.EINVAL)
        new_owner = ps.queue.waiters[0]
        # wake_futex_pi: WAITERS stays set while there is PI state; OWNER_DIED goes.
        cur = _cmpxchg(task, uaddr, uval, FUTEX_WAITERS | new_owner.tid)
        if cur != uval:
            if cur & FUTEX_TID_MASK == uval:
                continue                        # WAITERS came meanwhile: again
            raise SyscallError(errno.EINVAL)
        ps.queue.waiters.pop(0)
        ps.owner = new_owner
        _wake(new_owner, "pi")
        return 0
    raise SyscallError(errno.EAGAIN)


def _wait_requeue_pi(task, uaddr, private, val, deadline, uaddr2):
    """futex_wait_requeue_pi: wait on uaddr until CMP_REQUEUE_PI moves this task to the
    PI futex uaddr2; return owning uaddr2."""
    restart = task.restart
    if "futex_deadline" in restart:
        if _pi_woken(task, uaddr2) is not None:
            return 0
        if restart.get("requeued_pi"):
            if _expired(deadline):
                raise SyscallError(errno.ETIMEDOUT)
            if task.sigpending:
                # Requeued already: a restart would only find uaddr changed.
                raise SyscallError(errno.EAGAIN)
            # A waiter of uaddr2 now: wait for it as LOCK_PI does.
            key2 = _key(task, uaddr2, private, write=True)
            ps = _lock_pi_atomic(task, uaddr2, key2, task)
            if ps is True:
                return 0
            if ps.owner is None:
                _take_over(task, uaddr2, ps)
                return 0
            restart["pi_state"] = ps
            _block(task, ps.queue, deadline)
        # Woken before the requeue (handle_early_requeue_pi_wakeup).
        if _expired(deadline):
            raise SyscallError(errno.ETIMEDOUT)
        if task.sigpending:
            _block(task, restart["futex_queue"], deadline)   # ERESTARTNOINTR
        raise SyscallError(errno.EAGAIN)
    if uaddr == uaddr2:
        raise SyscallError(errno.EINVAL)
    key2 = _key(task, uaddr2, private, write=True)
    key = _key(task, uaddr, private)
    if _get(task, uaddr) != val & 0xFFFFFFFF:
        raise SyscallError(errno.EAGAIN)
    q = _queue(task.kernel, key, True)
    restart["futex_queue"] = q
    restart[SIGNAL_RESTART] = ERESTARTNOINTR
    _block(task, q, deadline, requeue_pi=key2)


def exit_pi_state_list(task):
    """exit_pi_state_list: the PI futexes a dying thread owns go to their first waiter,
    which finds OWNER_DIED in the word."""
    kernel = task.kernel
    for key, ps in list(kernel.futex_pi.items()):
        if ps.owner is not task:
            continue
        ps.owner = None
        if not ps.queue.waiters:
            del kernel.futex_pi[key]
            continue
        waiter = ps.queue.waiters.pop(0)
        waiter.restart["pi_state"] = ps
        ps.owner = waiter
        _wake(waiter, "owner_died")


HANDLERS = {
    "futex": (sys_futex, "partial: every op; PI futexes without priority boosting"),
}
