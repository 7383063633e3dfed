"""Resource-limit checks shared by several syscalls: RLIMIT_FSIZE on writes and size changes."""

import errno
import os
import stat as statmod

from .errors import SyscallError

RLIMIT_FSIZE = 1
RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF
SIGXFSZ = 25


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
