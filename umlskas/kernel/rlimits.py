"""Resource-limit checks shared by several syscalls: RLIMIT_FSIZE on writes and size changes, RLIMIT_NPROC on clone, RLIMIT_CPU through the host."""

import errno
import os
import resource
import stat as statmod

from . import creds
from .errors import SyscallError

RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NPROC = 0, 1, 6
RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF
SIGKILL, SIGXCPU, SIGXFSZ = 9, 24, 25


def _too_big(task):
    """EFBIG, after send_sig(SIGXFSZ, current, 0) (its default action ends the caller)."""
    task.kernel.send_signal(task.process, SIGXFSZ, task)
    raise SyscallError(errno.EFBIG)


def fsize_write(task, file, count, pos=None):
    """How many of `count` bytes a write at `pos` (None: the file position, or the
    end with O_APPEND) may write under RLIMIT_FSIZE: generic_write_check_limits
    shortens a write that starts below the limit, and one at or past it is EFBIG
    with SIGXFSZ. Only regular files are limited (pipes, sockets, devices are not)."""
    limit = task.rlimits[RLIMIT_FSIZE][0]
    if limit == RLIM_INFINITY or count == 0:
        return count
    mode = getattr(file, "mode", None)
    if mode is None or file.host_fd is None or not statmod.S_ISREG(mode):
        return count
    if pos is None:
        if file.flags & os.O_APPEND:
            pos = os.fstat(file.host_fd).st_size
        else:
            pos = os.lseek(file.host_fd, 0, os.SEEK_CUR)
    if pos >= limit:
        _too_big(task)
    return min(count, limit - pos)


def fsize_grow(task, old_size, new_size):
    """inode_newsize_ok(): growing a file beyond RLIMIT_FSIZE (truncate, ftruncate,
    fallocate without KEEP_SIZE) is EFBIG with SIGXFSZ; shrinking is always allowed."""
    limit = task.rlimits[RLIMIT_FSIZE][0]
    if limit != RLIM_INFINITY and new_size > old_size and new_size > limit:
        _too_big(task)


# RLIMIT_CPU. CPU time is the host's to measure: a guest process's host process
# carries the guest's limit as its own soft RLIMIT_CPU (the lower of the guest's
# soft and hard limits, seconds either way), so the host's SIGXCPU at that point
# tells the kernel a limit was reached, and cpu_limit_signal says which one. The
# host's hard limit is left alone (raising it again would need the host's
# CAP_SYS_RESOURCE), so the host itself never kills the stub.


def _host_value(v):
    return resource.RLIM_INFINITY if v >= (1 << 63) - 1 else v


def apply_cpu_limit(task):
    """Give task's host process the guest's RLIMIT_CPU (after setrlimit, or a new stub)."""
    host_pid = getattr(task.proc, "host_pid", None)
    if host_pid is None:
        return
    soft, hard = task.rlimits[RLIMIT_CPU]
    try:
        _, host_hard = resource.prlimit(host_pid, resource.RLIMIT_CPU)
        want = min(soft, hard)
        if host_hard != resource.RLIM_INFINITY:
            want = min(want, host_hard)
        resource.prlimit(host_pid, resource.RLIMIT_CPU, (_host_value(want), host_hard))
    except (OSError, ValueError):
        pass                    # the host process is gone: nothing left to limit


def cpu_limit_signal(task):
    """The guest signal for the host's SIGXCPU: SIGKILL at the hard limit; SIGXCPU
    at the soft one, which then grows by a second as check_process_timers does;
    0 for a stale one (the limit was raised meanwhile)."""
    limits = task.rlimits[RLIMIT_CPU]
    soft, hard = limits
    if soft == RLIM_INFINITY and hard == RLIM_INFINITY:
        return 0
    if hard != RLIM_INFINITY and soft >= hard:
        return SIGKILL
    limits[0] = soft + 1
    apply_cpu_limit(task)
    return SIGXCPU


def check_nproc(kernel, task):
    """copy_process: EAGAIN when the new task would give the caller's real user more
    tasks (threads included) than the caller's RLIMIT_NPROC; root is exempt (the
    initial user, CAP_SYS_RESOURCE)."""
    uid = task.creds.uid
    limit = task.rlimits[RLIMIT_NPROC][0]
    if limit == RLIM_INFINITY or uid == 0 or creds.capable(task, creds.CAP_SYS_RESOURCE) \
            or creds.capable(task, creds.CAP_SYS_ADMIN):
        return
    if sum(1 for t in kernel.tasks.values() if t.creds.uid == uid) >= limit:
        raise SyscallError(errno.EAGAIN)
