"""name_to_handle_at and open_by_handle_at (fs/fhandle.c) with handles of the kernel's own
making: a handle names a guest path and the (device, inode) it had, so opening one goes
through the guest's own namespace and can never reach a host file the guest cannot name.
A handle whose file is gone or replaced is stale (ESTALE)."""

import errno
import itertools
import struct

from .. import creds, hostsys
from ..errors import SyscallError
from ..files import O_PATH
from ..procfs import _shown_path, mount_of
from ..vfs import AT_EMPTY_PATH, AT_FDCWD
from .fs import _open_at, open_node

AT_SYMLINK_FOLLOW, AT_HANDLE_FID, AT_HANDLE_MNT_ID_UNIQUE = 0x400, 0x200, 0x001
AT_HANDLE_CONNECTABLE = 0x002
O_CREAT, O_EXCL, O_TRUNC = 0o100, 0o200, 0o1000
MAX_HANDLE_SZ = 128
FILEID_INO32_GEN = 1                      # the type ext4 and tmpfs report for a plain file
HANDLE_BYTES = 8
FILE_HANDLE = struct.Struct("<Ii")        # handle_bytes, handle_type
NO_EXPORT_FS = ("proc", "sysfs", "devpts", "mqueue", "cgroup2", "securityfs")
NO_EXPORT_PREFIXES = ("pipe:", "socket:", "anon_inode:")


STATX_BTIME, AT_EMPTY_PATH_HOST = 0x800, 0x1000


def _generation(file):
    """What tells a file from a later one with its inode number (a file system's
    i_generation, which ext4 reuses numbers without): the host file's birth time, or
    None for the kernel's own files, whose numbers are never reused."""
    host_fd = getattr(file, "host_fd", None)
    if host_fd is None:
        return None
    r, out = hostsys.with_buffer(hostsys.SYS_STATX, 256, host_fd, b"", AT_EMPTY_PATH_HOST,
                                 STATX_BTIME)
    if r < 0 or not struct.unpack_from("<I", out, 0)[0] & STATX_BTIME:
        return None
    return struct.unpack_from("<qI", out, 80)


class HandleTable:
    """Handles given out: token -> (guest path, st_dev, st_ino, generation)."""

    def __init__(self):
        self.by_token = {}
        self.by_identity = {}
        self.tokens = itertools.count(1)


def _table(kernel):
    table = getattr(kernel, "handle_table", None)
    if table is None:
        table = kernel.handle_table = HandleTable()
    return table


def sys_name_to_handle_at(task, dirfd, pathname, handle, mount_id, flags):
    """name_to_handle_at(2)."""
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID | AT_HANDLE_MNT_ID_UNIQUE |
                 AT_HANDLE_CONNECTABLE):
        raise SyscallError(errno.EINVAL)
    if flags & AT_HANDLE_CONNECTABLE and flags & AT_HANDLE_FID:
        raise SyscallError(errno.EINVAL)
    path = task.mm.read_cstr(pathname)
    node = task.kernel.vfs.lookup(task, dirfd, path, follow=bool(flags & AT_SYMLINK_FOLLOW),
                                  empty_ok=bool(flags & AT_EMPTY_PATH))
    file = open_node(task, node, O_PATH, 0)
    try:
        guest_path = _shown_path(file)
        st = file.stat()
        gen = _generation(file)
    finally:
        if not getattr(file, "refs", 0):
            file.release()
    mount = mount_of(task.kernel, guest_path) if guest_path.startswith("/") else None
    if mount is None or mount.fstype in NO_EXPORT_FS or guest_path.startswith(NO_EXPORT_PREFIXES):
        raise SyscallError(errno.EOPNOTSUPP)
    size, _ = FILE_HANDLE.unpack(task.mm.read(handle, FILE_HANDLE.size))
    if size > MAX_HANDLE_SZ:
        raise SyscallError(errno.EINVAL)
    table = _table(task.kernel)
    # One token per (file, name): a guest asking again, by any of a file's names, gets the
    # token it had, and the table grows with the files and names, not with the calls.
    identity = (st.st_dev, st.st_ino, gen, guest_path)
    token = table.by_identity.get(identity)
    if token is None:
        token = next(table.tokens)
        table.by_identity[identity] = token
        table.by_token[token] = (guest_path, st.st_dev, st.st_ino, gen)
    overflow = size < HANDLE_BYTES
    if flags & AT_HANDLE_MNT_ID_UNIQUE:
        task.mm.write(mount_id, struct.pack("<Q", mount.mount_id))
    else:
        task.mm.write(mount_id, struct.pack("<i", mount.mount_id))
    if overflow:
        task.mm.write(handle, FILE_HANDLE.pack(HANDLE_BYTES, FILEID_INO32_GEN))
        raise SyscallError(errno.EOVERFLOW)
    task.mm.write(handle, FILE_HANDLE.pack(HANDLE_BYTES, FILEID_INO32_GEN) +
                  struct.pack("<Q", token))
    return 0


def sys_open_by_handle_at(task, mountdirfd, handle, flags):
    """open_by_handle_at(2): EBADF, EPERM without CAP_DAC_READ_SEARCH, the handle's own
    checks, then ESTALE for one this kernel did not give out or whose file changed."""
    if mountdirfd != AT_FDCWD:
        if mountdirfd < 0:
            raise SyscallError(errno.EBADF)
        anchor = task.files.get(mountdirfd)
    else:
        anchor = None
    if not creds.capable(task, creds.CAP_DAC_READ_SEARCH):
        raise SyscallError(errno.EPERM)
    size, kind = FILE_HANDLE.unpack(task.mm.read(handle, FILE_HANDLE.size))
    if size > MAX_HANDLE_SZ or size == 0:
        raise SyscallError(errno.EINVAL)
    if kind < 0 or kind & 0xFFFF0000 & ~0x00010000:
        raise SyscallError(errno.EINVAL)
    body = task.mm.read(handle + FILE_HANDLE.size, size)
    entry = None
    if size == HANDLE_BYTES and kind & 0xFF == FILEID_INO32_GEN:
        entry = _table(task.kernel).by_token.get(struct.unpack("<Q", body)[0])
    if entry is None:
        raise SyscallError(errno.ESTALE)
    guest_path, dev, ino, gen = entry
    if anchor is not None:
        try:
            if anchor.stat().st_dev != dev:
                raise SyscallError(errno.ESTALE)       # another file system's handle
        except OSError:
            raise SyscallError(errno.ESTALE) from None
    # The file is opened by its path, which may now name another file: open it without
    # O_CREAT/O_EXCL/O_TRUNC first and check it is the handle's, so that a stale handle
    # never creates or truncates what replaced its file; O_TRUNC is then a second open
    # of the same name, checked again.
    fd = _open_checked(task, guest_path, flags & ~(O_CREAT | O_EXCL | O_TRUNC), dev, ino, gen)
    if flags & O_CREAT and flags & O_EXCL:
        task.files.close(fd)
        raise SyscallError(errno.EEXIST)
    if flags & O_TRUNC:
        task.files.close(fd)
        fd = _open_checked(task, guest_path, flags & ~(O_CREAT | O_EXCL), dev, ino, gen)
    return fd


def _open_checked(task, guest_path, flags, dev, ino, gen):
    try:
        fd = _open_at(task, AT_FDCWD, guest_path.encode(), flags, 0)
    except SyscallError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            raise SyscallError(errno.ESTALE) from None
        raise
    file = task.files.get(fd)
    st = file.stat()
    if (st.st_dev, st.st_ino, _generation(file)) != (dev, ino, gen):
        task.files.close(fd)
        raise SyscallError(errno.ESTALE)
    return fd


HANDLERS = {
    "name_to_handle_at": (sys_name_to_handle_at, "partial: the kernel's own handles"),
    "open_by_handle_at": (sys_open_by_handle_at, "partial: the kernel's own handles"),
}
