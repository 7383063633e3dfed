"""The futex2 calls: futex_waitv(2), futex_wake(2), futex_wait(2), futex_requeue(2)."""

import errno
import struct

from ..errors import SyscallError
from .futex import (CLOCK_MONOTONIC, CLOCK_REALTIME, _abs_deadline, _block, _expired, _get,
                    _key, _queue, _requeue, _wait, _wake_key)

# struct futex_waitv {u64 val; u64 uaddr; u32 flags; u32 __reserved}
FUTEX_WAITV_MAX = 128
FUTEX2_SIZE_MASK, FUTEX2_SIZE_U32, FUTEX2_NUMA, FUTEX2_MPOL, FUTEX2_PRIVATE = 0x3, 0x2, 0x4, 0x8, 128


def sys_futex_waitv(task, waiters, nr_futexes, flags, timeout, clockid):
    """futex_waitv(2): wait on up to 128 words at once; returns the index of one that
    was woken."""
    restart = task.restart
    if "futex_deadline" in restart:
        woken = restart.pop("woken", None)
        queues = restart["futex_queue"]
        if woken is not None:
            return queues.index(woken) if woken in queues else 0
        if _expired(restart["futex_deadline"]):
            raise SyscallError(errno.ETIMEDOUT)
        _block(task, queues, restart["futex_deadline"])
    if flags:
        raise SyscallError(errno.EINVAL)
    if not nr_futexes or nr_futexes > FUTEX_WAITV_MAX or not waiters:
        raise SyscallError(errno.EINVAL)
    deadline = _timeout2(task, timeout, clockid) if timeout else None
    entries = _parse_waitv(task, waiters, nr_futexes)
    # futex_wait_multiple_setup: every key first, then every value.
    keys = [_key(task, uaddr, private) for _, uaddr, private in entries]
    for val, uaddr, _ in entries:
        if _get(task, uaddr) != val:
            raise SyscallError(errno.EAGAIN)
    kernel = task.kernel
    queues = tuple(_queue(kernel, key, True) for key in keys)
    restart["futex_queue"] = queues
    _block(task, queues, deadline)


def _futex2_private(flags):
    """futex2_to_flags + futex_flags_valid: 32-bit words only (no NUMA node word);
    whether FUTEX2_PRIVATE is set."""
    if flags & ~(FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE):
        raise SyscallError(errno.EINVAL)
    if flags & FUTEX2_SIZE_MASK != FUTEX2_SIZE_U32 or flags & (FUTEX2_NUMA | FUTEX2_MPOL):
        raise SyscallError(errno.EINVAL)
    return bool(flags & FUTEX2_PRIVATE)


def _parse_waitv(task, waiters, n):
    """futex_parse_waitv: [(val, uaddr, private)] from n struct futex_waitv."""
    entries = []
    for i in range(n):
        val, uaddr, wflags, reserved = struct.unpack("<QQII", task.mm.read(waiters + 24 * i, 24))
        if wflags & ~(FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE) or reserved:
            raise SyscallError(errno.EINVAL)
        private = _futex2_private(wflags)
        if val > 0xFFFFFFFF:
            raise SyscallError(errno.EINVAL)    # futex_validate_input: val must fit
        entries.append((val, uaddr, private))
    return entries


def sys_futex_wake(task, uaddr, mask, nr, flags):
    """futex_wake(2) (futex2): FUTEX_WAKE_BITSET, except that nr 0 wakes nobody."""
    private = _futex2_private(flags)
    if mask > 0xFFFFFFFF:
        raise SyscallError(errno.EINVAL)
    if not mask:
        raise SyscallError(errno.EINVAL)
    key = _key(task, uaddr, private)
    if nr == 0:
        return 0                                # FLAGS_STRICT
    return _wake_key(task.kernel, key, nr, mask)


def sys_futex_wait(task, uaddr, val, mask, flags, timeout, clockid):
    """futex_wait(2) (futex2): FUTEX_WAIT_BITSET with an absolute timeout on clockid."""
    restart = task.restart
    if "futex_deadline" in restart:
        return _wait(task, uaddr, False, val, mask, restart["futex_deadline"], False)
    private = _futex2_private(flags)
    if val > 0xFFFFFFFF or mask > 0xFFFFFFFF:
        raise SyscallError(errno.EINVAL)
    deadline = None
    if timeout:
        deadline = _timeout2(task, timeout, clockid)
    return _wait(task, uaddr, private, val, mask, deadline, False)


def sys_futex_requeue(task, waiters, flags, nr_wake, nr_requeue):
    """futex_requeue(2) (futex2): FUTEX_CMP_REQUEUE of waiters[0] to waiters[1], the
    value compared being waiters[0].val."""
    if flags or not waiters:
        raise SyscallError(errno.EINVAL)
    (val, uaddr, private), (_, uaddr2, private2) = _parse_waitv(task, waiters, 2)
    if private != private2:
        raise SyscallError(errno.EINVAL)        # both words' flags must be the same
    return _requeue(task, uaddr, uaddr2, nr_wake, nr_requeue, val, False, private)


def _timeout2(task, timeout, clockid):
    """futex2_setup_timeout: an absolute time on CLOCK_MONOTONIC or CLOCK_REALTIME."""
    if clockid not in (CLOCK_REALTIME, CLOCK_MONOTONIC):
        raise SyscallError(errno.EINVAL)
    sec, nsec = struct.unpack("<qq", task.mm.read(timeout, 16))
    if sec < 0 or not 0 <= nsec < 10**9:
        raise SyscallError(errno.EINVAL)
    return _abs_deadline(task, clockid, sec * 10**9 + nsec)


HANDLERS = {
    "futex_waitv": (sys_futex_waitv, "partial: 32-bit words, no FUTEX2_NUMA"),
    "futex_wake": (sys_futex_wake, "partial: 32-bit words, no FUTEX2_NUMA"),
    "futex_wait": (sys_futex_wait, "partial: 32-bit words, no FUTEX2_NUMA"),
    "futex_requeue": (sys_futex_requeue, "partial: 32-bit words, no FUTEX2_NUMA"),
}
