"""sched_setattr/sched_getattr and I/O priorities (ioprio_set/ioprio_get): recorded per
task with Linux's checks; the host schedules the stubs."""

import errno
import os
import struct

from .. import creds
from ..errors import SyscallError
from .process import SCHED_BATCH, SCHED_FIFO, SCHED_IDLE, SCHED_OTHER, SCHED_RR

PAGE = 4096
SCHED_DEADLINE = 6
SCHED_RESET_ON_FORK = 0x40000000
SCHED_ATTR_SIZE_VER0, SCHED_ATTR_SIZE_VER1 = 48, 56
SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_RECLAIM, SCHED_FLAG_DL_OVERRUN = 0x01, 0x02, 0x04
SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_KEEP_PARAMS = 0x08, 0x10
SCHED_FLAG_UTIL_CLAMP_MIN, SCHED_FLAG_UTIL_CLAMP_MAX = 0x20, 0x40
SCHED_FLAG_UTIL_CLAMP = SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX
SCHED_FLAG_ALL = 0x7F
SCHED_FLAG_SUGOV = 0x10000000
FAIR_POLICIES = (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE)
RT_POLICIES = (SCHED_FIFO, SCHED_RR)
DL_SCALE = 10
# sysctl_sched_base_slice: 0.7 ms scaled by 1 + log2(CPUs), at most 8 CPUs counted.
BASE_SLICE = 700000 * (1 + (min(os.cpu_count() or 1, 8)).bit_length() - 1)
SCHED_ATTR = struct.Struct("<IIQiIQQQII")      # struct sched_attr, VER1 (56 bytes)


def _capable(task):
    return creds.capable(task, creds.CAP_SYS_NICE)


def _read_attr(task, uattr):
    """sched_copy_attr(): E2BIG (with the kernel's size written back) for sizes it cannot
    take or unknown non-zero tail bytes."""
    size, = struct.unpack("<I", task.mm.read(uattr, 4))
    if size > PAGE or (size and size < SCHED_ATTR_SIZE_VER0):
        task.mm.write(uattr, struct.pack("<I", SCHED_ATTR_SIZE_VER1))
        raise SyscallError(errno.E2BIG)
    size = size or SCHED_ATTR_SIZE_VER0
    raw = task.mm.read(uattr, size)
    if any(raw[SCHED_ATTR_SIZE_VER1:]):
        task.mm.write(uattr, struct.pack("<I", SCHED_ATTR_SIZE_VER1))
        raise SyscallError(errno.E2BIG)
    fields = list(SCHED_ATTR.unpack(raw[:SCHED_ATTR_SIZE_VER1].ljust(SCHED_ATTR_SIZE_VER1, b"\0")))
    if fields[2] & SCHED_FLAG_UTIL_CLAMP and size < SCHED_ATTR_SIZE_VER1:
        raise SyscallError(errno.EINVAL)
    fields[3] = max(-20, min(19, fields[3]))          # sched_nice
    return fields


def _dl_params_valid(runtime, deadline, period):
    """__checkparam_dl()."""
    if deadline == 0 or deadline < (1 << DL_SCALE):
        return False
    if deadline & (1 << 63) or period & (1 << 63):
        return False
    if period and period < deadline:
        return False
    return runtime <= deadline and runtime >= (1 << DL_SCALE)


def sys_sched_setattr(task, pid, uattr, flags):
    """sched_setattr(2)."""
    if not uattr or pid < 0 or flags:
        raise SyscallError(errno.EINVAL)
    _size, policy, sflags, nice, prio, runtime, deadline, period, _umin, _umax = \
        _read_attr(task, uattr)
    if policy >= 1 << 31:
        raise SyscallError(errno.EINVAL)
    target = task.kernel.task_for_pid(task, pid)
    if sflags & SCHED_FLAG_KEEP_POLICY:
        policy = target.sched_policy
    if sflags & SCHED_FLAG_KEEP_PARAMS:                 # get_params()
        prio = target.sched_priority
        nice = target.nice
        runtime = getattr(target, "sched_slice", None) or BASE_SLICE
    if policy not in FAIR_POLICIES + RT_POLICIES + (SCHED_DEADLINE,):
        raise SyscallError(errno.EINVAL)
    # __sched_setscheduler()'s order: flags, priority, parameters, the caller's rights,
    # then utilisation clamps.
    if sflags & ~(SCHED_FLAG_ALL | SCHED_FLAG_SUGOV) or prio > 99:
        raise SyscallError(errno.EINVAL)
    if policy == SCHED_DEADLINE and not _dl_params_valid(runtime, deadline, period):
        raise SyscallError(errno.EINVAL)
    if (policy in RT_POLICIES) != (prio != 0):
        raise SyscallError(errno.EINVAL)
    if not _capable(task):
        if policy in RT_POLICIES + (SCHED_DEADLINE,):
            raise SyscallError(errno.EPERM)      # RLIMIT_RTPRIO is 0; no DL for users
        if policy in FAIR_POLICIES and nice < target.nice:
            raise SyscallError(errno.EPERM)
        if task.creds.euid not in (target.creds.euid, target.creds.uid):
            raise SyscallError(errno.EPERM)      # check_same_owner()
    if sflags & SCHED_FLAG_SUGOV:
        raise SyscallError(errno.EINVAL)
    if sflags & SCHED_FLAG_UTIL_CLAMP:
        raise SyscallError(errno.EOPNOTSUPP)     # as a kernel without CONFIG_UCLAMP_TASK
    target.sched_policy = policy
    target.sched_priority = prio if policy in RT_POLICIES else 0
    if policy in FAIR_POLICIES:
        target.nice = nice
    if policy in FAIR_POLICIES:
        # Linux 6.12+: a fair task's sched_runtime asks for a custom slice.
        target.sched_slice = min(max(runtime, 100000), 100000000) if runtime else None
    target.sched_reset_on_fork = bool(sflags & SCHED_FLAG_RESET_ON_FORK)
    target.sched_dl = (runtime, deadline, period or deadline) if policy == SCHED_DEADLINE \
        else None
    return 0


def sys_sched_getattr(task, pid, uattr, usize, flags):
    """sched_getattr(2): the kernel's attr, cut to usize and zero-filled up to it."""
    if not uattr or pid < 0 or usize > PAGE or usize < SCHED_ATTR_SIZE_VER0 or flags:
        raise SyscallError(errno.EINVAL)
    target = task.kernel.task_for_pid(task, pid)
    policy = target.sched_policy
    sflags = SCHED_FLAG_RESET_ON_FORK if getattr(target, "sched_reset_on_fork", False) else 0
    runtime = deadline = period = 0
    dl = getattr(target, "sched_dl", None)
    if policy == SCHED_DEADLINE and dl:
        runtime, deadline, period = dl
    elif policy in FAIR_POLICIES:
        runtime = getattr(target, "sched_slice", None) or BASE_SLICE   # EEVDF's slice
    size = min(usize, SCHED_ATTR_SIZE_VER1)
    out = SCHED_ATTR.pack(size, policy, sflags, target.nice if policy in FAIR_POLICIES else 0,
                          target.sched_priority if policy in RT_POLICIES else 0,
                          runtime, deadline, period, 0, 0)
    task.mm.write(uattr, out[:size].ljust(usize, b"\0"))
    return 0


# ---- I/O priorities (block/ioprio.c) ---------------------------------------------------

IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER = 1, 2, 3
IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE = 0, 1, 2, 3
IOPRIO_CLASS_SHIFT = 13
IOPRIO_NR_LEVELS = 8


def _ioprio_check(task, ioprio):
    """ioprio_check_cap()."""
    cls, level = (ioprio >> IOPRIO_CLASS_SHIFT) & 0x7, ioprio & 0x7
    if ioprio < 0 or ioprio >> 16:
        raise SyscallError(errno.EINVAL)
    if cls == IOPRIO_CLASS_RT and not _capable(task):
        raise SyscallError(errno.EPERM)
    if cls in (IOPRIO_CLASS_RT, IOPRIO_CLASS_BE):
        if level >= IOPRIO_NR_LEVELS:
            raise SyscallError(errno.EINVAL)
    elif cls == IOPRIO_CLASS_NONE:
        if ioprio & 0x1FFF:
            raise SyscallError(errno.EINVAL)
    elif cls != IOPRIO_CLASS_IDLE:
        raise SyscallError(errno.EINVAL)


def _io_targets(task, which, who):
    kernel = task.kernel
    if which == IOPRIO_WHO_PROCESS:
        return [kernel.task_for_pid(task, who)]
    if which == IOPRIO_WHO_PGRP:
        pgid = who or task.pgid
        return [t for t in kernel.tasks.values() if t.pgid == pgid]
    if which == IOPRIO_WHO_USER:
        uid = who if who else task.creds.uid
        return [t for t in kernel.tasks.values() if t.creds.uid == uid]
    raise SyscallError(errno.EINVAL)


def sys_ioprio_set(task, which, who, ioprio):
    """ioprio_set(2)."""
    _ioprio_check(task, ioprio)
    targets = _io_targets(task, which, who)
    if not targets:
        raise SyscallError(errno.ESRCH)
    for t in targets:
        if t.creds.uid not in (task.creds.euid, task.creds.uid) and not _capable(task):
            raise SyscallError(errno.EPERM)
        t.ioprio = ioprio
    return 0


def _ioprio_best(a, b):
    """ioprio_best(): a task without a class counts as BE level 4; the lower value wins."""
    norm = (IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT) | 4
    return min(a if a >> IOPRIO_CLASS_SHIFT else norm, b if b >> IOPRIO_CLASS_SHIFT else norm)


def sys_ioprio_get(task, which, who):
    """ioprio_get(2)."""
    targets = _io_targets(task, which, who)
    if not targets:
        raise SyscallError(errno.ESRCH)
    if which == IOPRIO_WHO_PROCESS:
        return getattr(targets[0], "ioprio", 0)
    best = getattr(targets[0], "ioprio", 0)
    for t in targets:
        best = _ioprio_best(best, getattr(t, "ioprio", 0))
    return best


HANDLERS = {
    "sched_setattr": (sys_sched_setattr, "partial: recorded (the host schedules the stubs)"),
    "sched_getattr": sys_sched_getattr,
    "ioprio_set": (sys_ioprio_set, "partial: recorded"), "ioprio_get": sys_ioprio_get,
}
