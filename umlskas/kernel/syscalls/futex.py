"""futex(2): WAIT/WAKE (and the BITSET forms) on the kernel's own wait queues."""

import errno
import struct
import time

from ..errors import Block, SyscallError, WaitQueue
from .time import KTIME_MAX, ktime_after, park_deadline

FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE = 0, 1, 3, 4
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF


def _queue(task, uaddr, create, private=True):
    key = task.mm.futex_key(uaddr, private)
    queues = task.kernel.futexes
    q = queues.get(key)
    if q is None and create:
        q = queues[key] = WaitQueue()
    return q


def sys_futex(task, uaddr, futex_op, val, timeout, uaddr2, val3):
    """futex(2): WAIT, WAKE, WAIT_BITSET, WAKE_BITSET, REQUEUE, CMP_REQUEUE."""
    cmd = futex_op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    if futex_op & FUTEX_CLOCK_REALTIME and cmd not in (FUTEX_WAIT_BITSET, 11, 13):
        raise SyscallError(errno.ENOSYS)
    if uaddr & 3:
        raise SyscallError(errno.EINVAL)
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        if cmd == FUTEX_WAIT_BITSET and (val3 & 0xFFFFFFFF) == 0:
            raise SyscallError(errno.EINVAL)
        restart = task.restart
        if "futex" not in restart:
            deadline = None
            if timeout:
                sec, nsec = struct.unpack("<qq", task.mm.read(timeout, 16))
                if sec < 0 or not 0 <= nsec < 10**9:
                    raise SyscallError(errno.EINVAL)
                ns = sec * 10**9 + nsec
                now = time.monotonic_ns()
                if cmd == FUTEX_WAIT:
                    end = ktime_after(now, ns)          # relative
                else:
                    # Absolute on the chosen clock; parking counts CLOCK_MONOTONIC.
                    clk = 0 if futex_op & FUTEX_CLOCK_REALTIME else 1
                    ns = min(ns, KTIME_MAX)
                    end = KTIME_MAX if ns == KTIME_MAX else \
                        ktime_after(now, ns - task.kernel.clock.now_ns(clk))
                deadline = park_deadline(end)
                if deadline is None:
                    deadline = False            # a timeout that never comes
            word, = struct.unpack("<I", task.mm.read(uaddr, 4))
            if word != val & 0xFFFFFFFF:
                raise SyscallError(errno.EAGAIN)
            restart["futex"] = deadline
        else:
            if restart.pop("woken", False):
                return 0
            deadline = restart["futex"]
            if deadline and time.monotonic() >= deadline:
                raise SyscallError(errno.ETIMEDOUT)
        task.futex_bitset = val3 & 0xFFFFFFFF if cmd == FUTEX_WAIT_BITSET else FUTEX_BITSET_MATCH_ANY
        raise Block(deadline=restart["futex"] or None,
                    queue=_queue(task, uaddr, True, bool(futex_op & FUTEX_PRIVATE_FLAG)))
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        if cmd == FUTEX_WAKE_BITSET and (val3 & 0xFFFFFFFF) == 0:
            raise SyscallError(errno.EINVAL)
        mask = val3 & 0xFFFFFFFF if cmd == FUTEX_WAKE_BITSET else FUTEX_BITSET_MATCH_ANY
        return futex_wake(task, uaddr, val, mask, bool(futex_op & FUTEX_PRIVATE_FLAG))
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        # futex_requeue: the counts are ints (nr_requeue comes in the timeout
        # argument), and a negative one is EINVAL before anything is read.
        nr_wake, nr_requeue = _s32(val), _s32(timeout)
        if nr_wake < 0 or nr_requeue < 0:
            raise SyscallError(errno.EINVAL)
        if cmd == FUTEX_CMP_REQUEUE:
            word, = struct.unpack("<I", task.mm.read(uaddr, 4))
            if word != val3 & 0xFFFFFFFF:
                raise SyscallError(errno.EAGAIN)
        private = bool(futex_op & FUTEX_PRIVATE_FLAG)
        src = _queue(task, uaddr, False, private)
        if src is None:
            return 0
        # Unlike futex_wake, the first nr_wake waiters (bitsets ignored) are woken,
        # exactly that many (0 wakes none); up to nr_requeue more move to uaddr2.
        # Both ops return how many were woken or moved (task_count).
        woken = src.waiters[:nr_wake]
        moved = src.waiters[nr_wake:nr_wake + nr_requeue]
        del src.waiters[:len(woken) + len(moved)]
        for waiter in woken:
            _wake(waiter)
        if moved:
            dst = _queue(task, uaddr2, True, private)
            dst.waiters.extend(moved)
            for t in moved:
                t.blocked_queues = (dst,)
        return len(woken) + len(moved)
    raise SyscallError(errno.ENOSYS)


def _s32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _wake(waiter):
    waiter.restart["woken"] = True
    waiter.kernel.wake(waiter)


def futex_wake(task, uaddr, count, mask=FUTEX_BITSET_MATCH_ANY, private=False):
    """Wake up to count waiters on uaddr whose bitset matches mask. As Linux's
    futex_wake (FUTEX_WAKE, FUTEX_WAKE_BITSET), the count is tested only after a
    wake-up: 0 or a negative count still wakes one waiter."""
    q = _queue(task, uaddr, False, private)
    if q is None:
        return 0
    count = _s32(count)
    woken = 0
    for waiter in list(q.waiters):
        if getattr(waiter, "futex_bitset", FUTEX_BITSET_MATCH_ANY) & mask:
            q.waiters.remove(waiter)
            _wake(waiter)
            woken += 1
            if woken >= count:
                break
    return woken


HANDLERS = {
    "futex": (sys_futex, "partial: WAIT/WAKE/BITSET/REQUEUE; no PI or WAKE_OP"),
}
