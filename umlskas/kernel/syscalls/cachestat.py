"""cachestat(2): page cache statistics of a file's range (mm/filemap.c), from the host's
own page cache for files the host holds, nothing cached for the kernel's own files."""

import ctypes
import errno
import struct

from .. import creds, hostsys
from ..errors import SyscallError

SYS_CACHESTAT = 451
CACHESTAT = struct.Struct("<5Q")          # nr_cache, dirty, writeback, evicted, recently_evicted
O_ACCMODE, O_RDONLY = 3, 0


def sys_cachestat(task, fd, range_ptr, cstat_ptr, flags):
    """cachestat(2): EBADF, EFAULT for the range, EPERM without write access or
    ownership (can_do_cachestat), EINVAL for flags."""
    file = task.files.get(fd)
    off, length = struct.unpack("<QQ", task.mm.read(range_ptr, 16))
    if file.flags & O_ACCMODE == O_RDONLY and not _owner_or_capable(task, file):
        raise SyscallError(errno.EPERM)
    if flags:
        raise SyscallError(errno.EINVAL)
    out = bytes(CACHESTAT.size)
    host_fd = getattr(file, "host_fd", None)
    if host_fd is not None:
        rng = ctypes.create_string_buffer(struct.pack("<QQ", off, length), 16)
        buf = ctypes.create_string_buffer(CACHESTAT.size)
        if hostsys.call(SYS_CACHESTAT, host_fd, rng, buf, 0) == 0:
            out = buf.raw
    task.mm.write(cstat_ptr, out)
    return 0


def _owner_or_capable(task, file):
    if creds.capable(task, creds.CAP_FOWNER):
        return True
    try:
        return file.stat().st_uid == task.creds.fsuid
    except (OSError, SyscallError):
        return False


HANDLERS = {"cachestat": sys_cachestat}
