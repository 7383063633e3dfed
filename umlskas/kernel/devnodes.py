"""Device nodes that mknod makes in the kernel's own layers: the kernel's devices, never the host's.

mknod(S_IFCHR/S_IFBLK) needs CAP_MKNOD, as on Linux. In a layer the kernel
owns (a tmpfs, an overlay's in-memory upper, in its session directory) the
node is a plain empty file on the host, which the kernel remembers as a device:
stat shows the device type and number, and opening it opens the kernel's own
device of that number (null, zero, full, random, urandom, tty, ptmx) or fails
with ENXIO, as a device without a driver does. The host never gets a device
node, so a guest can never reach a host device through one.

On a host-backed mount (a bind of a host directory) no node is made: a device
node there would be the host's own, usable by anyone on the host once made, and
a placeholder would outlive the session as a lie. mknod answers EPERM there, as
if the capability were missing (a rule of umlskas's own, as an LSM would add).
"""

import errno
import os
import stat as statmod

from .errors import SyscallError

# (host st_dev, st_ino) of a placeholder -> (S_IFCHR or S_IFBLK, rdev). The layers are
# the kernel's own tmpfs files: their inode numbers are not reused while it runs.
_NODES = {}


def kernel_layer(vfs, m):
    """Do new names under mount m land in a layer private to this kernel?"""
    if m is None or not getattr(vfs, "own_session_dir", False) or not vfs.session_dir:
        return False
    if m.is_overlay:
        layer = m.upper
    elif m.make_host is not None:
        layer = m.host_dir()
    else:
        return False
    return bool(layer) and layer.startswith(vfs.session_dir.rstrip("/") + "/")


def make(vfs, mount, kind, rdev):
    """The make(dirfd, name, perm) of a device node for mknodat, or EPERM (see above)."""
    if not kernel_layer(vfs, mount):
        raise SyscallError(errno.EPERM)

    def make_node(dirfd, name, perm):
        os.mknod(name, statmod.S_IFREG | perm, dir_fd=dirfd)
        st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
        _NODES[(st.st_dev, st.st_ino)] = (kind, rdev)
    return make_node


def device_of(st):
    """(kind, rdev) when this host stat is one of the kernel's device nodes, else None."""
    if st is None or not statmod.S_ISREG(st.st_mode):
        return None
    return _NODES.get((st.st_dev, st.st_ino))


def fix_stat(st):
    """The guest's view of a host stat: a device node's type, number and size 0."""
    dev = device_of(st)
    if dev is None:
        return st
    kind, rdev = dev
    fields = list(st[:10])
    fields[0] = kind | statmod.S_IMODE(st.st_mode)
    fields[6] = 0
    return os.stat_result(fields, {"st_atime_ns": st.st_atime_ns, "st_mtime_ns": st.st_mtime_ns,
                                   "st_ctime_ns": st.st_ctime_ns, "st_blksize": st.st_blksize,
                                   "st_blocks": 0, "st_rdev": rdev})


def fix_dirents(data, host_fd):
    """getdents64 records of a host directory with the d_type of its device nodes."""
    if not _NODES or not data:
        return data
    try:
        dev = os.fstat(host_fd).st_dev
    except OSError:
        return data
    out = bytearray(data)
    pos = 0
    while pos + 19 <= len(out):
        ino = int.from_bytes(out[pos:pos + 8], "little")
        reclen = int.from_bytes(out[pos + 16:pos + 18], "little")
        node = _NODES.get((dev, ino))
        if node is not None:
            out[pos + 18] = node[0] >> 12       # DT_CHR / DT_BLK
        if reclen == 0:
            break
        pos += reclen
    return bytes(out)


def forget(st):
    """The last name of a node went (unlink, rename over it)."""
    if st is not None and st.st_nlink <= 1:
        _NODES.pop((st.st_dev, st.st_ino), None)


def open_device(task, dev, flags, st=None, guest=None):
    """open(2) of a device node: the kernel's character device of that number (its
    fstat and /proc/PID/fd name are the node's, st and guest), or ENXIO."""
    from .devfs import DEVICES, DevNode

    class LayerNode(DevNode):
        """One of the kernel's devices reached through a node in a layer."""

        def stat(self):
            return fix_stat(st) if st is not None else super().stat()

    kind, rdev = dev
    devfs = task.kernel.vfs.devfs
    if kind == statmod.S_IFCHR and devfs is not None:
        for name, (major, minor, _, _) in DEVICES.items():
            if os.makedev(major, minor) == rdev:
                node = LayerNode(devfs, name)
                if guest is not None:
                    node.path = guest
                if st is not None:
                    node.perm = statmod.S_IMODE(st.st_mode)
                return node.open(task, flags & ~(os.O_CREAT | os.O_EXCL))
    raise SyscallError(errno.ENXIO)
