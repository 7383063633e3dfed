"""Extended attributes: Linux's permission rules (fs/xattr.c) before any host file is touched.

The kernel process usually runs as root, so the host would let every xattr call
through: the checks Linux makes against the caller are made here, in Linux's
order, with the guest's credentials and capabilities (creds.py):

  mnt_want_write    EROFS on a read-only mount, for the fd variants too (the
                    mount the fd was opened on), before anything else;
  xattr_permission  an immutable or append-only inode refuses writes (EPERM);
                    "trusted." needs CAP_SYS_ADMIN (EPERM to write; to a reader
                    without it the names are invisible: ENODATA, and listxattr
                    leaves them out); "user." is for regular files and
                    directories only (EPERM to write, ENODATA to read), needs
                    write (read) permission, and in a sticky directory only its
                    owner may write; "security." and "system." are left to their
                    handlers;
  commoncap.c       "security.capability" needs a valid v2/v3 header (EINVAL)
                    and CAP_SETFCAP; every other "security." write CAP_SYS_ADMIN;
  posix_acl.c       "system.posix_acl_access/default" need a well-formed ACL
                    (EINVAL, EOPNOTSUPP for another version), the owner or
                    CAP_FOWNER (EPERM), then a valid one (EINVAL); a default ACL
                    on a non-directory is EACCES (removing it: 0); other
                    "system." names and unknown prefixes are EOPNOTSUPP.

Beyond Linux, one rule of umlskas's own, as a security module would add it:
"security." and "trusted." are never written to a host-backed file (EPERM), only
to the kernel's private layers (a tmpfs or an in-memory overlay upper in the
session directory, which is the kernel's alone and removed when it ends). Root
in the guest is not root on the host: "security.capability" written on a host
file would hand real capabilities to whoever later runs it there, and
"trusted." names steer host subsystems (overlayfs). An overlay's lower layer is
never written: a write copies the file up first (vfs.writable), by path or fd.
"""

import errno
import fcntl
import os
import stat as statmod
import struct

from .creds import CAP_FOWNER, CAP_SETFCAP, CAP_SYS_ADMIN, capable
from .errors import SyscallError
from .files import KERNEL_PID, O_PATH, host_call
from .vfs import FileNode, HostPath, may_access

XATTR_CREATE, XATTR_REPLACE = 1, 2
XATTR_NAME_MAX, XATTR_SIZE_MAX, XATTR_LIST_MAX = 255, 65536, 65536

USER, TRUSTED, SECURITY, SYSTEM = b"user.", b"trusted.", b"security.", b"system."
CAPS = b"security.capability"
ACL_ACCESS, ACL_DEFAULT = b"system.posix_acl_access", b"system.posix_acl_default"
# security.capability headers (include/uapi/linux/capability.h)
VFS_CAP_REVISION_MASK, VFS_CAP_REVISION_2, VFS_CAP_REVISION_3 = 0xFF000000, 0x02000000, 0x03000000
XATTR_CAPS_SZ_2, XATTR_CAPS_SZ_3 = 20, 24
# POSIX ACL xattr format (include/uapi/linux/posix_acl_xattr.h)
POSIX_ACL_XATTR_VERSION = 2
ACL_USER_OBJ, ACL_USER, ACL_GROUP_OBJ, ACL_GROUP, ACL_MASK, ACL_OTHER = 1, 2, 4, 8, 0x10, 0x20
ACL_UNDEFINED_ID = 0xFFFFFFFF
FS_IOC_GETFLAGS, FS_IMMUTABLE_FL, FS_APPEND_FL = 0x80086601, 0x10, 0x20

_KERNEL_FD_DIR = f"/proc/{KERNEL_PID}/fd/"
_NOFOLLOW = {"follow_symlinks": False}


class Target:
    """What an xattr call works on: an existing host file, by the kernel's fd or by a
    host path free of symlinks, with the name (node) and mount it was reached by."""

    __slots__ = ("node", "fd", "path", "st")

    def __init__(self, node, fd, path, st):
        self.node, self.fd, self.path, self.st = node, fd, path, st

    @property
    def mount(self):
        return self.node.mount if self.node is not None else None

    def host(self):
        """(target, keyword arguments) for os.*xattr: the fd, or the path itself."""
        return (self.fd, {}) if self.fd is not None else (self.path, _NOFOLLOW)

    def read_host(self, vfs):
        """host() for a read: an fd opened on an overlay's lower before its file was
        copied up reads the copy (what the guest sees by that name), as on Linux."""
        m = self.mount
        if self.fd is not None and m is not None and m.is_overlay:
            upper = vfs.upper_node(self.node)
            if upper is not None and not upper.same_file(self.fd):
                self.node = upper            # holds the directory fd for the call
                return upper.via_dir(), _NOFOLLOW
        return self.host()


def of_file(file):
    """The target of the f*xattr calls: an open file (EBADF for O_PATH, as fdget)."""
    if file.flags & O_PATH:
        raise SyscallError(errno.EBADF)
    if file.host_fd is None:
        return Target(None, None, None, _synthetic_stat(file))
    return Target(file.vnode, file.host_fd, None, host_call(os.fstat, file.host_fd))


def of_node(node):
    """The target of a path: a host name, an open file (a /proc/PID/fd link)."""
    if isinstance(node, FileNode):
        return of_file(node.file)
    if not isinstance(node, HostPath):
        return Target(None, None, None, getattr(node, "stat", lambda: None)())
    if node.exists is False:
        raise SyscallError(errno.ENOENT)
    if node.magic and node.name.startswith(_KERNEL_FD_DIR):
        # A magic link reopened through the kernel's own fd: that fd is the file.
        fd = int(node.name[len(_KERNEL_FD_DIR):])
        return Target(node, fd, None, host_call(os.fstat, fd))
    # Through the kernel's fd of the name's directory: a host change after the walk
    # cannot redirect the call (see vfs.HostPath.via_dir).
    return Target(node, None, node.via_dir(), node.st or node.lstat())


def _synthetic_stat(file):
    try:
        return file.stat()
    except SyscallError:
        return None


def _immutable(target):
    """An immutable or append-only inode (chattr +i/+a): Linux's may_write_xattr."""
    st = target.st
    if st is None or not (statmod.S_ISREG(st.st_mode) or statmod.S_ISDIR(st.st_mode)):
        return False
    if target.fd is None and target.path is None:
        return False                    # a kernel-made file (/proc, /dev): no inode flags
    fd = target.fd
    opened = None
    try:
        if fd is None:
            opened = fd = os.open(target.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW |
                                  os.O_NOCTTY | os.O_CLOEXEC)
        flags, = struct.unpack_from("<i", fcntl.ioctl(fd, FS_IOC_GETFLAGS, b"\0" * 8))
    except OSError:
        return False
    finally:
        if opened is not None:
            os.close(opened)
    return bool(flags & (FS_IMMUTABLE_FL | FS_APPEND_FL))


def _refuse(target, err):
    """Refuse a write with err, unless may_write_xattr's EPERM came first."""
    if err != errno.EPERM and _immutable(target):
        err = errno.EPERM
    raise SyscallError(err)


# ---- checks ---------------------------------------------------------------------------

def check_read(task, target, name):
    """xattr_permission(MAY_READ)."""
    if name.startswith((SECURITY, SYSTEM)):
        return
    st = target.st
    if name.startswith(TRUSTED):
        if not capable(task, CAP_SYS_ADMIN):
            raise SyscallError(errno.ENODATA)
        return
    if name.startswith(USER) and st is not None and \
            not (statmod.S_ISREG(st.st_mode) or statmod.S_ISDIR(st.st_mode)):
        raise SyscallError(errno.ENODATA)
    if st is not None and not may_access(task.creds, st, 4):
        raise SyscallError(errno.EACCES)


def listed(task, names):
    """listxattr's names as the caller may see them: trusted.* only with CAP_SYS_ADMIN."""
    if capable(task, CAP_SYS_ADMIN):
        return names
    return [n for n in names if not n.startswith(TRUSTED)]


def check_write(task, target, name, value):
    """mnt_want_write, then vfs_setxattr/vfs_removexattr's checks (value None: remove).
    Returns False when Linux answers 0 without touching anything."""
    m = target.mount
    if m is not None and m.readonly:
        raise SyscallError(errno.EROFS)
    creds = task.creds
    st = target.st
    if name == CAPS:
        # cap_convert_nscap (set) / cap_inode_removexattr (remove): before the inode checks.
        if value is not None and value and not _valid_caps(value):
            raise SyscallError(errno.EINVAL)
        if not capable(task, CAP_SETFCAP):
            raise SyscallError(errno.EPERM)
        if _immutable(target):
            raise SyscallError(errno.EPERM)
    elif name in (ACL_ACCESS, ACL_DEFAULT):
        # do_set_acl parses the value before vfs_set_acl; then set_posix_acl.
        acl = _parse_acl(value) if value is not None else None
        if _immutable(target):
            raise SyscallError(errno.EPERM)
        if st is not None and name == ACL_DEFAULT and not statmod.S_ISDIR(st.st_mode):
            if acl is not None:
                raise SyscallError(errno.EACCES)
            return False
        if st is not None and creds.fsuid != st.st_uid and not capable(task, CAP_FOWNER):
            raise SyscallError(errno.EPERM)
        if acl is not None:
            _check_acl(acl)
    elif name.startswith((SECURITY, SYSTEM)):
        if _immutable(target):
            raise SyscallError(errno.EPERM)
        if name.startswith(SYSTEM):
            raise SyscallError(errno.EOPNOTSUPP)   # no handler takes the name
        if not capable(task, CAP_SYS_ADMIN):
            raise SyscallError(errno.EPERM)        # cap_inode_setxattr: CAP_SYS_ADMIN
    elif name.startswith(TRUSTED):
        if not capable(task, CAP_SYS_ADMIN):
            raise SyscallError(errno.EPERM)
        if _immutable(target):
            raise SyscallError(errno.EPERM)
    else:
        if st is not None and name.startswith(USER):
            if not (statmod.S_ISREG(st.st_mode) or statmod.S_ISDIR(st.st_mode)):
                raise SyscallError(errno.EPERM)
            if statmod.S_ISDIR(st.st_mode) and st.st_mode & statmod.S_ISVTX and \
                    creds.fsuid != st.st_uid and not capable(task, CAP_FOWNER):
                raise SyscallError(errno.EPERM)
        if st is not None and not may_access(creds, st, 2):
            _refuse(target, errno.EACCES)
        if not name.startswith(USER):
            _refuse(target, errno.EOPNOTSUPP)      # xattr_resolve_name: unknown prefix
    host_backed = target.fd is not None or target.path is not None
    if host_backed and name.startswith((SECURITY, TRUSTED)) and not _kernel_layer(task, m):
        # umlskas's own rule, as an LSM's: see the module docstring.
        raise SyscallError(errno.EPERM)
    return True


def _valid_caps(value):
    """commoncap.c validheader: a v2 or v3 vfs_cap_data of its exact size."""
    if len(value) < 4:
        return False
    magic, = struct.unpack_from("<I", value)
    rev = magic & VFS_CAP_REVISION_MASK
    return (len(value) == XATTR_CAPS_SZ_2 and rev == VFS_CAP_REVISION_2) or \
        (len(value) == XATTR_CAPS_SZ_3 and rev == VFS_CAP_REVISION_3)


def _parse_acl(value):
    """posix_acl_from_xattr: entries (tag, perm, id), or None for no ACL (removes it)."""
    if not value:
        return None
    if len(value) < 4:
        raise SyscallError(errno.EINVAL)
    version, = struct.unpack_from("<I", value)
    if version != POSIX_ACL_XATTR_VERSION:
        raise SyscallError(errno.EOPNOTSUPP)
    if (len(value) - 4) % 8:
        raise SyscallError(errno.EINVAL)
    entries = [struct.unpack_from("<HHI", value, off) for off in range(4, len(value), 8)]
    if not entries:
        return None
    for tag, _, ident in entries:
        if tag not in (ACL_USER_OBJ, ACL_USER, ACL_GROUP_OBJ, ACL_GROUP, ACL_MASK, ACL_OTHER):
            raise SyscallError(errno.EINVAL)
        if tag in (ACL_USER, ACL_GROUP) and ident == ACL_UNDEFINED_ID:
            raise SyscallError(errno.EINVAL)     # make_kuid: no such id
    return entries


def _check_acl(entries):
    """posix_acl_valid: one owner, named users, one group, named groups, a mask when
    there are named entries, one other; permissions rwx only."""
    state, needs_mask = ACL_USER_OBJ, False
    for tag, perm, _ in entries:
        if perm & ~7:
            raise SyscallError(errno.EINVAL)
        if tag == ACL_USER_OBJ and state == ACL_USER_OBJ:
            state = ACL_USER
        elif tag == ACL_USER and state == ACL_USER:
            needs_mask = True
        elif tag == ACL_GROUP_OBJ and state == ACL_USER:
            state = ACL_GROUP
        elif tag == ACL_GROUP and state == ACL_GROUP:
            needs_mask = True
        elif tag == ACL_MASK and state == ACL_GROUP:
            state = ACL_OTHER
        elif tag == ACL_OTHER and (state == ACL_OTHER or (state == ACL_GROUP and not needs_mask)):
            state = 0
        else:
            raise SyscallError(errno.EINVAL)
    if state != 0:
        raise SyscallError(errno.EINVAL)


def _kernel_layer(task, m):
    """Do writes to mount m land in a layer private to this kernel (a tmpfs or an
    overlay upper inside its own session directory, which it removes at exit)?"""
    vfs = task.kernel.vfs
    if m is None or not vfs.own_session_dir or not vfs.session_dir:
        return False
    if m.is_overlay:
        layer = m.upper
    elif m.make_host is not None:
        layer = m.host_dir()
    else:
        return False
    return layer.startswith(vfs.session_dir.rstrip("/") + "/")


def write_target(task, target):
    """Where the write goes: the file itself, or for a file still in an overlay's lower
    layer its copy in the upper (copied up by the name it was reached by)."""
    if target.fd is None and target.path is None:
        raise SyscallError(errno.EOPNOTSUPP)       # a kernel-made file: no xattrs
    m = target.mount
    if m is not None and m.is_overlay:
        node, vfs = target.node, task.kernel.vfs
        if target.fd is not None:
            upper = vfs.upper_node(node)
            if upper is not None and upper.same_file(target.fd):
                return target.fd, {}
            # A fresh node of the name: the open file's own node must go on naming the
            # layer its host fd is in (a magic link of it would write the lower else).
            node = target.node = HostPath(None, "", node.guest, m)   # held by target
        vfs.writable(node)
        return node.via_dir(), _NOFOLLOW
    return target.host()
