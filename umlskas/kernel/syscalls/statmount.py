"""statmount(2) and listmount(2) (fs/namespace.c, Linux 6.8+) over the guest's mount
table: unique 64-bit mount ids, children in id order, and struct statmount with its
strings, as seen from the caller's root."""

import errno
import os
import struct

from .. import hostsys
from ..errors import SyscallError
from ..procfs import _dev_of, mount_list, root_of, seen_from

MNT_UNIQUE_ID_OFFSET = 1 << 31
LSMT_ROOT = 0xFFFFFFFFFFFFFFFF
LISTMOUNT_REVERSE = 1
MNT_ID_REQ_SIZE_VER0, MNT_ID_REQ_SIZE_VER1 = 24, 32
STATMOUNT_SIZE = 512
(STATMOUNT_SB_BASIC, STATMOUNT_MNT_BASIC, STATMOUNT_PROPAGATE_FROM, STATMOUNT_MNT_ROOT,
 STATMOUNT_MNT_POINT, STATMOUNT_FS_TYPE, STATMOUNT_MNT_NS_ID, STATMOUNT_MNT_OPTS,
 STATMOUNT_FS_SUBTYPE, STATMOUNT_SB_SOURCE, STATMOUNT_OPT_ARRAY, STATMOUNT_OPT_SEC_ARRAY,
 STATMOUNT_SUPPORTED_MASK) = (1 << i for i in range(13))
SUPPORTED = (1 << 13) - 1
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOEXEC = 1, 2, 4, 8
MOUNT_ATTR_RELATIME = 0
MS_PRIVATE = 1 << 18
SB_RDONLY = 1
MNT_NS_ID = 0x1000000000000001          # the one mount namespace's id (ns_tree order)
SYS_STATFS = 137
MAGIC = {"proc": 0x9FA0, "tmpfs": 0x01021994, "devtmpfs": 0x01021994, "sysfs": 0x62656572,
         "overlay": 0x794C7630, "devpts": 0x1CD1, "mqueue": 0x19800202, "rootfs": 0x858458F6}


def _unique(m):
    return MNT_UNIQUE_ID_OFFSET + m.mount_id


def _visible(task):
    root = root_of(task)
    out = []
    for m in mount_list(task.kernel):
        if root == "/" or m.point == root or m.point.startswith(root + "/"):
            out.append(m)
    return out


def _read_req(task, req_ptr):
    """copy_mnt_id_req(): the size first (EINVAL below VER0, E2BIG for unknown
    non-zero tail bytes), then the rest; spare must be 0."""
    size, = struct.unpack("<I", task.mm.read(req_ptr, 4))
    if size < MNT_ID_REQ_SIZE_VER0:
        raise SyscallError(errno.EINVAL)
    if size > 4096:
        raise SyscallError(errno.E2BIG)
    raw = task.mm.read(req_ptr, size)
    if any(raw[MNT_ID_REQ_SIZE_VER1:]):
        raise SyscallError(errno.E2BIG)
    raw = raw.ljust(MNT_ID_REQ_SIZE_VER1, b"\0")
    _, spare, mnt_id, param, ns_id = struct.unpack("<IIQQQ", raw[:32])
    if spare:
        raise SyscallError(errno.EINVAL)
    if ns_id not in (0, MNT_NS_ID):
        raise SyscallError(errno.ENOENT)
    return mnt_id, param


def _find(task, mnt_id):
    for m in _visible(task):
        if _unique(m) == mnt_id or m.mount_id == mnt_id:
            return m
    raise SyscallError(errno.ENOENT)


def sys_listmount(task, req_ptr, ids_ptr, nr_ids, flags):
    """listmount(2): the unique ids of the mounts directly below req.mnt_id (LSMT_ROOT:
    the caller's root), greater than req.param (or smaller, with LISTMOUNT_REVERSE)."""
    if flags & ~LISTMOUNT_REVERSE:
        raise SyscallError(errno.EINVAL)
    if nr_ids > 1000000:
        raise SyscallError(errno.EOVERFLOW)
    mnt_id, last = _read_req(task, req_ptr)
    visible = _visible(task)
    if mnt_id == LSMT_ROOT:
        root = root_of(task)
        parent = max((m for m in visible if m.point == root or
                      root.startswith(m.prefix)), key=lambda m: len(m.point), default=None)
        if parent is None:
            raise SyscallError(errno.ENOENT)
    else:
        parent = _find(task, mnt_id)
    children = sorted((_unique(m) for m in visible
                       if m.parent_id == parent.mount_id and m is not parent),
                      reverse=bool(flags & LISTMOUNT_REVERSE))
    if last:
        children = [c for c in children if (c < last if flags & LISTMOUNT_REVERSE else c > last)]
    children = children[:nr_ids]
    if children:
        task.mm.write(ids_ptr, struct.pack(f"<{len(children)}Q", *children))
    return len(children)


def _magic(m):
    if m.synth is not None or m.fstype in ("proc", "overlay", "tmpfs"):
        return MAGIC.get(m.fstype, 0)
    host = getattr(m, "upper", None) or getattr(m, "host", None)
    if host:
        r, out = hostsys.with_buffer(SYS_STATFS, 120, os.fsencode(host))
        if r == 0:
            return struct.unpack_from("<q", out, 0)[0]
    return MAGIC.get(m.fstype, 0)


def sys_statmount(task, req_ptr, buf, bufsize, flags):
    """statmount(2)."""
    if flags:
        raise SyscallError(errno.EINVAL)
    mnt_id, mask = _read_req(task, req_ptr)
    m = _find(task, mnt_id)
    root = root_of(task)
    strings = bytearray()

    def add(text):
        off = len(strings)
        strings.extend(text.encode() + b"\0")
        return off

    got = 0
    fields = {}
    if mask & STATMOUNT_SB_BASIC:
        dev = _dev_of(m)
        fields.update(dev_major=os.major(dev), dev_minor=os.minor(dev), magic=_magic(m),
                      sb_flags=SB_RDONLY if m.readonly else 0)
        got |= STATMOUNT_SB_BASIC
    if mask & STATMOUNT_MNT_BASIC:
        parent = next((p for p in mount_list(task.kernel) if p.mount_id == m.parent_id), m)
        opts = m.options().split(",")
        attr = (MOUNT_ATTR_RDONLY if m.readonly else 0) | \
            (MOUNT_ATTR_NOSUID if "nosuid" in opts else 0) | \
            (MOUNT_ATTR_NODEV if "nodev" in opts else 0) | \
            (MOUNT_ATTR_NOEXEC if "noexec" in opts else 0)
        fields.update(mnt_id=_unique(m), parent=_unique(parent), old=m.mount_id,
                      old_parent=m.parent_id, attr=attr, propagation=MS_PRIVATE)
        got |= STATMOUNT_MNT_BASIC
    if mask & STATMOUNT_PROPAGATE_FROM:
        got |= STATMOUNT_PROPAGATE_FROM
    if mask & STATMOUNT_MNT_ROOT:
        fields["mnt_root"] = add("/")
        got |= STATMOUNT_MNT_ROOT
    if mask & STATMOUNT_MNT_POINT:
        fields["mnt_point"] = add(seen_from(root, m.point))
        got |= STATMOUNT_MNT_POINT
    if mask & STATMOUNT_FS_TYPE:
        fields["fs_type"] = add(m.fstype)
        got |= STATMOUNT_FS_TYPE
    if mask & STATMOUNT_MNT_NS_ID:
        fields["ns_id"] = MNT_NS_ID
        got |= STATMOUNT_MNT_NS_ID
    if mask & STATMOUNT_MNT_OPTS:
        fields["mnt_opts"] = add("")
        got |= STATMOUNT_MNT_OPTS
    if mask & STATMOUNT_SB_SOURCE:
        fields["sb_source"] = add(m.source)
        got |= STATMOUNT_SB_SOURCE
    if mask & STATMOUNT_OPT_ARRAY:
        fields["opt_num"], fields["opt_array"] = 0, len(strings)
        got |= STATMOUNT_OPT_ARRAY
    if mask & STATMOUNT_OPT_SEC_ARRAY:
        fields["opt_sec_num"], fields["opt_sec_array"] = 0, len(strings)
        got |= STATMOUNT_OPT_SEC_ARRAY
    if mask & STATMOUNT_SUPPORTED_MASK:
        fields["supported"] = SUPPORTED
        got |= STATMOUNT_SUPPORTED_MASK
    total = STATMOUNT_SIZE + len(strings)
    if bufsize < STATMOUNT_SIZE or total > bufsize:
        raise SyscallError(errno.EOVERFLOW)
    out = bytearray(STATMOUNT_SIZE)
    f = fields.get
    struct.pack_into("<IIQIIQII", out, 0, total, f("mnt_opts", 0), got, f("dev_major", 0),
                     f("dev_minor", 0), f("magic", 0), f("sb_flags", 0), f("fs_type", 0))
    struct.pack_into("<QQIIQQQQQ", out, 40, f("mnt_id", 0), f("parent", 0), f("old", 0),
                     f("old_parent", 0), f("attr", 0), f("propagation", 0), 0, 0, 0)
    struct.pack_into("<IIQIIIIIIQ", out, 104, f("mnt_root", 0), f("mnt_point", 0),
                     f("ns_id", 0), 0, f("sb_source", 0), f("opt_num", 0),
                     f("opt_array", 0), f("opt_sec_num", 0), f("opt_sec_array", 0),
                     f("supported", 0))
    task.mm.write(buf, bytes(out) + bytes(strings))
    return 0


HANDLERS = {"statmount": (sys_statmount, "partial: no per-file-system options"),
            "listmount": sys_listmount}
