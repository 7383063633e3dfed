"""inotify(7): inotify_init1, inotify_add_watch, inotify_rm_watch and the event queue fd.

Marks live in the kernel's fsnotify.Notifier; an InotifyFile is one group: its
watches (wd -> Watch), and the queue of struct inotify_event records a read
returns (Linux's fs/notify/inotify/inotify_user.c and inotify_fsnotify.c).
"""

import ctypes
import errno
import itertools
import os
import stat as statmod
import struct

from . import fsnotify
from .errors import Block, SyscallError, WaitQueue
from .files import O_CLOEXEC, O_NONBLOCK, O_RDONLY, File, make_stat
from .fsnotify import IN_ALL_EVENTS, IN_IGNORED, IN_ISDIR, IN_Q_OVERFLOW

IN_ONLYDIR, IN_DONT_FOLLOW, IN_EXCL_UNLINK = 0x01000000, 0x02000000, 0x04000000
IN_MASK_CREATE, IN_MASK_ADD, IN_ONESHOT = 0x10000000, 0x20000000, 0x80000000
ALL_INOTIFY_BITS = (IN_ALL_EVENTS | fsnotify.IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED |
                    IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_ADD |
                    IN_MASK_CREATE | IN_ISDIR | IN_ONESHOT)
EVENT = struct.Struct("<iIII")
FIONREAD = 0x541B
POLLIN = 0x1 | 0x40
_inodes = itertools.count(400000)

# /proc/sys/fs/inotify (Linux's defaults; writable by root)
LIMITS = {"max_queued_events": 16384, "max_user_instances": 128, "max_user_watches": 65536}


def limits(kernel):
    lim = getattr(kernel, "inotify_limits", None)
    if lim is None:
        lim = kernel.inotify_limits = dict(LIMITS)
        for name in LIMITS:          # the host's values where it shows them
            try:
                with open(f"/proc/sys/fs/inotify/{name}") as f:
                    lim[name] = int(f.read().strip())
            except (OSError, ValueError):
                pass
    return lim


class Watch:
    """One inotify watch: a mark of its group on an inode."""

    fhandle = None                      # (type, bytes) of the inode's file handle

    def __init__(self, group, wd, key, mask):
        self.group = group
        self.wd = wd
        self.key = key
        self.mask = mask

    def fdinfo(self):
        """inotify_fdinfo's line: the inode, its device as the kernel encodes it, the
        user's mask, and the file handle when the file system gives one."""
        dev, ino = self.key
        sdev = (os.major(dev) << 20) | os.minor(dev)
        mask = self.mask & (IN_ALL_EVENTS | IN_EXCL_UNLINK | IN_ONESHOT)
        line = f"inotify wd:{self.wd:x} ino:{ino:x} sdev:{sdev:x} mask:{mask:x} ignored_mask:0 "
        if self.fhandle is not None:
            htype, raw = self.fhandle
            line += f"fhandle-bytes:{len(raw):x} fhandle-type:{htype:x} f_handle:{raw.hex()}"
        return line + "\n"

    def handle(self, notifier, mask, name, cookie, child):
        if not mask & self.mask & IN_ALL_EVENTS:
            return
        if name is not None and self.mask & IN_EXCL_UNLINK and child is not None and \
                _unlinked(child):
            return
        self.group.queue_event(self.wd, mask, cookie, name)
        if self.mask & IN_ONESHOT:
            self.group.drop_watch(self, notifier)

    def gone(self, notifier):
        """The inode went (IN_DELETE_SELF): the watch ends with IN_IGNORED."""
        self.group.drop_watch(self, notifier)


def _unlinked(file):
    try:
        return os.fstat(file.host_fd).st_nlink == 0
    except (OSError, TypeError):
        return False


class InotifyFile(File):
    """An inotify instance (anon_inode:inotify)."""

    def __init__(self, kernel, flags):
        super().__init__(O_RDONLY | (flags & O_NONBLOCK), "anon_inode:inotify")
        self.kernel = kernel
        self.watches = {}               # wd -> Watch
        self.by_key = {}                # inode key -> Watch
        self.events = []                # packed records, oldest first
        self.last = None                # (wd, mask, cookie, name) of the newest queued
        self.overflowed = False
        self.next_wd = 1
        self.readq = WaitQueue()
        self.ino = next(_inodes)

    # ---- the queue ---------------------------------------------------------------

    def queue_event(self, wd, mask, cookie, name):
        ident = (wd, mask, cookie, name)
        if self.events and self.last == ident:
            return                      # inotify_merge: the same as the newest
        if len(self.events) >= limits(self.kernel)["max_queued_events"]:
            if self.overflowed:
                return
            self.overflowed = True
            wd, mask, cookie, name = -1, IN_Q_OVERFLOW, 0, None
            ident = None
        if name:
            size = (len(name) + 1 + 15) // 16 * 16
            rec = EVENT.pack(wd, mask, cookie, size) + name.ljust(size, b"\0")
        else:
            rec = EVENT.pack(wd, mask, cookie, 0)
        self.events.append(rec)
        self.last = ident
        self.readq.wake()
        from . import fown
        fown.kill_fasync(self.kernel, self, fown.POLL_IN)

    def read_to_guest(self, task, buf, count):
        """inotify_read: events are taken off the queue before they are copied out, so a
        bad buffer loses them (EFAULT), as Linux's get_one_event then copy_to_user."""
        data = self.read(count)
        task.mm.write(buf, data)
        return len(data)

    def read(self, size):
        if not self.events:
            if self.flags & O_NONBLOCK:
                raise SyscallError(errno.EAGAIN)
            raise Block(queue=self.readq)
        out = bytearray()
        while self.events and len(out) + len(self.events[0]) <= size:
            out += self.events.pop(0)
        if not out:
            raise SyscallError(errno.EINVAL)
        if not self.events:
            self.last = None
        if self.overflowed and len(self.events) < limits(self.kernel)["max_queued_events"]:
            self.overflowed = any(EVENT.unpack_from(e)[1] == IN_Q_OVERFLOW for e in self.events)
        return bytes(out)

    def fdinfo(self):
        return "".join(w.fdinfo() for w in sorted(self.watches.values(), key=lambda w: -w.wd))

    def poll(self):
        return POLLIN if self.events else 0

    def lseek(self, offset, whence):
        return 0                        # noop_llseek: the position stays 0 (pread: ESPIPE)

    def wait_queues(self):
        return (self.readq,)

    def fionread(self):
        return sum(len(e) for e in self.events)

    def ioctl(self, task, cmd, arg):
        if cmd == FIONREAD:
            task.mm.write(arg, struct.pack("<i", self.fionread()))
            return 0
        raise SyscallError(errno.ENOTTY)

    def stat(self):
        return make_stat(0o600, self.ino, dev=0xE, uid=os.getuid(),      # an anon inode:
                         gid=os.getgid())                                # no type bits

    fasync_capable = True

    # ---- watches -----------------------------------------------------------------

    def add_watch(self, key, mask):
        notifier = fsnotify.notifier(self.kernel, create=True)
        old = self.by_key.get(key)
        if old is not None:
            if mask & IN_MASK_CREATE:
                raise SyscallError(errno.EEXIST)
            old.mask = (old.mask | mask) if mask & IN_MASK_ADD else mask
            return old.wd
        total = sum(len(g.watches) for g in _groups(self.kernel))
        if total >= limits(self.kernel)["max_user_watches"]:
            raise SyscallError(errno.ENOSPC)
        wd = self.next_wd
        self.next_wd += 1
        w = Watch(self, wd, key, mask)
        self.watches[wd] = w
        self.by_key[key] = w
        notifier.add(w)
        return wd

    def drop_watch(self, w, notifier, event=True):
        if self.watches.get(w.wd) is not w:
            return
        del self.watches[w.wd]
        self.by_key.pop(w.key, None)
        notifier.remove(w)
        if event:
            self.queue_event(w.wd, IN_IGNORED, 0, None)

    def rm_watch(self, wd):
        w = self.watches.get(wd)
        if w is None:
            raise SyscallError(errno.EINVAL)
        self.drop_watch(w, fsnotify.notifier(self.kernel, create=True))
        return 0

    def release(self):
        notifier = fsnotify.notifier(self.kernel)
        for w in list(self.watches.values()):
            self.drop_watch(w, notifier, event=False)
        groups = getattr(self.kernel, "inotify_groups", None)
        if groups is not None:
            groups.discard(self)


def _groups(kernel):
    groups = getattr(kernel, "inotify_groups", None)
    if groups is None:
        groups = kernel.inotify_groups = set()
    return groups


# ---- the syscalls ------------------------------------------------------------------

def sys_inotify_init1(task, flags):
    """inotify_init1(2)."""
    if flags & ~(O_NONBLOCK | O_CLOEXEC):
        raise SyscallError(errno.EINVAL)
    groups = _groups(task.kernel)
    if len(groups) >= limits(task.kernel)["max_user_instances"]:
        raise SyscallError(errno.EMFILE)
    task.files.check_free()
    f = InotifyFile(task.kernel, flags)
    fd = task.files.install(f, cloexec=bool(flags & O_CLOEXEC))
    groups.add(f)
    return fd


def sys_inotify_init(task):
    """inotify_init(2)."""
    return sys_inotify_init1(task, 0)


def sys_inotify_add_watch(task, fd, pathname, mask):
    """inotify_add_watch(2): checks in Linux's order (mask bits, fd, the path)."""
    mask &= 0xFFFFFFFF
    if mask & ~ALL_INOTIFY_BITS or not mask & ALL_INOTIFY_BITS:
        raise SyscallError(errno.EINVAL)
    if mask & IN_MASK_ADD and mask & IN_MASK_CREATE:
        raise SyscallError(errno.EINVAL)
    group = task.files.get(fd)
    if not isinstance(group, InotifyFile):
        raise SyscallError(errno.EINVAL)
    path = task.mm.read_cstr(pathname)
    node = task.kernel.vfs.lookup(task, -100, path, follow=not mask & IN_DONT_FOLLOW)
    from .syscalls.fs import stat_node
    st = stat_node(node)
    if mask & IN_ONLYDIR and not statmod.S_ISDIR(st.st_mode):
        raise SyscallError(errno.ENOTDIR)
    creds = task.creds
    if creds.fsuid != 0:
        from .vfs import may_access
        if not may_access(creds, st, 4):
            raise SyscallError(errno.EACCES)
    wd = group.add_watch((st.st_dev, st.st_ino), mask)
    w = group.watches[wd]
    if w.fhandle is None:
        w.fhandle = _file_handle(node)
    return wd


class _FileHandle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int),
                ("f_handle", ctypes.c_ubyte * 128)]


_libc = ctypes.CDLL(None, use_errno=True)


def _file_handle(node):
    """name_to_handle_at of the watched inode (as exportfs_encode_fid), or None."""
    fd, close = None, False
    file = getattr(node, "file", None)
    try:
        if file is not None:
            fd = file.host_fd
        elif hasattr(node, "pin"):
            fd, close = node.pin(), True
        if fd is None:
            return None
        h = _FileHandle()
        h.handle_bytes = 128
        mount_id = ctypes.c_int()
        if _libc.name_to_handle_at(fd, b"", ctypes.byref(h), ctypes.byref(mount_id),
                                   0x1000) != 0:                       # AT_EMPTY_PATH
            return None
        return h.handle_type, bytes(h.f_handle[:h.handle_bytes])
    except (SyscallError, OSError):
        return None
    finally:
        if close:
            os.close(fd)


def sys_inotify_rm_watch(task, fd, wd):
    """inotify_rm_watch(2)."""
    group = task.files.get(fd)
    if not isinstance(group, InotifyFile):
        raise SyscallError(errno.EINVAL)
    return group.rm_watch(wd)


def sysctls(kernel):
    """/proc/sys/fs entries of notifications and leases: name -> (content(), write)."""
    from . import leases

    def limit(name):
        def read():
            return f"{limits(kernel)[name]}\n".encode()

        def write(task, data):
            if task.creds.euid != 0:
                raise SyscallError(errno.EPERM)
            try:
                value = int(data.split(b"\n", 1)[0].strip() or b"x")
            except ValueError:
                raise SyscallError(errno.EINVAL) from None
            if not 0 <= value < (1 << 31):
                raise SyscallError(errno.EINVAL)
            limits(kernel)[name] = value
            return len(data)
        return read, write

    return {
        "lease-break-time": leases.sysctl_entry(kernel),
        "leases-enable": ((lambda: b"1\n"), None),
        "dir-notify-enable": ((lambda: b"1\n"), None),
        "inotify": {name: limit(name) for name in LIMITS},
    }
