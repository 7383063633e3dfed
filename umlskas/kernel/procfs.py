"""The kernel's own /proc: nothing in it comes from the host's processes.

How it works: a ProcFs is attached to the mount point /proc. The vfs asks it
for the node of the mount root (root_node) and then, one component at a time,
for each name below it (step, with the full guest path). A step answers a node
(ProcDir, ProcFile), a str (a symlink to follow: /proc/self, /proc/mounts,
/proc/PID/cwd ...), a LinkNode when the caller does not follow links, a
FileNode when /proc/PID/fd/N names an open file that has no path, or raises
ENOENT. Nodes are made on demand from the kernel's state and hold no state of
their own; a file's content is generated when it is first read (as seq_file
does), a directory's names when it is first listed.

What is there: the guest pids (and, hidden as on Linux, every guest thread
id), self, thread-self, and a fixed set of system files. Machine facts
(cpuinfo, meminfo, cpu times) are the host's, which is the machine's; in a
deterministic run everything that would vary between two runs is fixed or
comes from the virtual clock. Inode numbers are a hash of the path, so they
are stable across opens and runs.
"""

import errno
import os
import stat as statmod
import time
import zlib

from . import creds, namespaces, ptrace_guest, signals
from .errors import SyscallError
from .inotify import sysctls as notify_sysctls
from .files import (File, O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH,
                    O_TRUNC, open_flags, pack_dirents)
from .pagemap import PagemapFile
from .procmem import MemFile
from .vfs import FileNode, HostPath, LinkNode, may_access
from .syscalls.seccomp import status_lines as seccomp_status
from . import sysv_ipc, sysv_proc

ProcLink = LinkNode                      # the name fs.py and older tests use

DT_CHR, DT_DIR, DT_REG, DT_LNK = 2, 4, 8, 10
HZ = 100                                 # USER_HZ: clock ticks in stat files
CLOCK_BOOTTIME = 7
PROC_ROOT_INO = 1
RLIMIT_RSS = 5
NSFS_DEV = 4                             # st_dev of nsfs inodes (anonymous dev 0:4)
PIPEFS_MNT_ID = 13                       # mnt_id shown for files outside the mount table
KB = 1024
PAGE = 4096


# ---- helpers shared with devfs ---------------------------------------------------------

def inode_of(path):
    """A stable inode number for a kernel-made path."""
    return 0x1000 + zlib.crc32(path.encode("utf-8", "surrogateescape"))


def node_stat(mode, ino, *, size=0, nlink=1, dev=0, uid=0, gid=0, time_ns=0, rdev=0):
    """A complete os.stat_result for a kernel-made node."""
    t = time_ns / 1e9
    return os.stat_result((mode, ino, dev, nlink, uid, gid, size, t, t, t),
                          {"st_atime_ns": time_ns, "st_mtime_ns": time_ns,
                           "st_ctime_ns": time_ns, "st_blksize": 1024 if size else 4096,
                           "st_blocks": 0, "st_rdev": rdev})


def check_access(task, st, flags):
    """Permission to open a node with these flags (generic_permission)."""
    creds = getattr(task, "creds", None)
    if creds is None or flags & O_PATH:
        return
    acc = flags & O_ACCMODE
    want = (4 if acc != 1 else 0) | (2 if acc != 0 or flags & O_TRUNC else 0)
    if not may_access(creds, st, want):
        raise SyscallError(errno.EACCES)


def boot_realtime_ns(kernel):
    """Wall-clock time of the kernel's start (file times of /proc and /dev)."""
    if getattr(kernel, "deterministic", False):
        from .deterministic import EPOCH_NS
        return EPOCH_NS
    return time.time_ns()


class SynthLink(LinkNode):
    """A LinkNode that also knows its own lstat (owner, mode: fd links show the open
    mode, as lr-x------ for a read-only fd)."""

    __slots__ = ("perm", "uid", "gid", "dev", "time_ns")

    def __init__(self, target, path, perm=0o777, uid=0, gid=0, dev=0, time_ns=0):
        super().__init__(target, path)
        self.perm, self.uid, self.gid, self.dev, self.time_ns = perm, uid, gid, dev, time_ns

    def stat(self):
        return node_stat(statmod.S_IFLNK | self.perm, inode_of(self.path),
                         size=64 if "/fd/" in self.path else len(self.target), dev=self.dev,
                         uid=self.uid, gid=self.gid, time_ns=self.time_ns)


class PathFile(File):
    """An O_PATH descriptor of a kernel-made node."""

    def __init__(self, node, flags):
        super().__init__(flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW), node.path)
        self.node = node
        self.mode = node.stat().st_mode

    def stat(self):
        return self.node.stat()


class SynthNode:
    """What every kernel-made node has: a guest path, an owner and a mode."""

    is_dir = False
    kind = statmod.S_IFREG

    def __init__(self, path, perm, uid=0, gid=0, dev=0, time_ns=0):
        self.path = path
        self.perm = perm
        self.uid, self.gid = uid, gid
        self.dev = dev
        self.time_ns = time_ns

    def stat(self):
        return node_stat(self.kind | self.perm, inode_of(self.path), dev=self.dev,
                         uid=self.uid, gid=self.gid, time_ns=self.time_ns)

    def check_open(self, task, flags):
        if flags & O_DIRECTORY and not self.is_dir:
            raise SyscallError(errno.ENOTDIR)
        if self.is_dir and (flags & O_ACCMODE or flags & O_CREAT) and not flags & O_PATH:
            raise SyscallError(errno.EISDIR)
        if flags & O_CREAT and flags & O_EXCL:
            raise SyscallError(errno.EEXIST)
        check_access(task, self.stat(), flags)


class ProcDir(SynthNode):
    """A directory; entries is a list of (name, dtype) or a callable making one."""

    is_dir = True
    kind = statmod.S_IFDIR

    def __init__(self, entries, path, perm=0o555, uid=0, gid=0, dev=0, time_ns=0, ino=None):
        super().__init__(path, perm, uid, gid, dev, time_ns)
        self.make_entries = entries
        self.ino = ino

    def names(self):
        entries = self.make_entries
        return list(entries()) if callable(entries) else list(entries)

    @property
    def entries(self):
        return self.names()

    def stat(self):
        subdirs = sum(1 for _, dtype in self.names() if dtype == DT_DIR)
        return node_stat(self.kind | self.perm, self.ino or inode_of(self.path), dev=self.dev,
                         nlink=2 + subdirs, uid=self.uid, gid=self.gid, time_ns=self.time_ns)

    def open(self, task, flags):
        self.check_open(task, flags)
        if flags & O_PATH:
            return PathFile(self, flags)
        return DirFile(self, open_flags(flags))


class ProcFile(SynthNode):
    """A file whose content (bytes) content() makes; write(task, data) if writable.

    As on Linux, opening for writing needs write permission (root has it through
    CAP_DAC_OVERRIDE, so its write to a read-only file fails later, with EINVAL)."""

    def __init__(self, content, path, perm=0o444, uid=0, gid=0, dev=0, time_ns=0, write=None):
        super().__init__(path, perm, uid, gid, dev, time_ns)
        self.content = content
        self.write = write

    def open(self, task, flags):
        if task is None and flags & O_ACCMODE and self.write is None:
            raise SyscallError(errno.EACCES)
        self.check_open(task, flags)
        if flags & O_PATH:
            return PathFile(self, flags)
        return ContentFile(self, open_flags(flags), task)


class PagemapNode(SynthNode):
    """/proc/PID/pagemap (pagemap.py)."""

    def __init__(self, t, path, perm, uid, gid, dev, time_ns):
        super().__init__(path, perm, uid, gid, dev, time_ns)
        self.t = t

    def open(self, task, flags):
        self.check_open(task, flags)
        if flags & O_PATH:
            return PathFile(self, flags)
        return PagemapFile(self.t, open_flags(flags), self.path, self)


class MemNode(PagemapNode):
    """/proc/PID/mem (procmem.py): opening it needs ptrace access to the process."""

    def open(self, task, flags):
        self.check_open(task, flags)
        if flags & O_PATH:
            return PathFile(self, flags)
        from .syscalls.other_process import may_attach
        if not may_attach(task, self.t):
            raise SyscallError(errno.EACCES)
        return MemFile(self.t, open_flags(flags), self.path, self)


class NsNode(SynthNode):
    """What a /proc/PID/ns link leads to: the namespace's nsfs inode."""

    def __init__(self, ns, text, path):
        super().__init__(path, 0o444)
        self.ns, self.text = ns, text

    def stat(self):
        return node_stat(statmod.S_IFREG | 0o444, self.ns.ino, dev=NSFS_DEV)

    def open(self, task, flags):
        if flags & O_DIRECTORY:
            raise SyscallError(errno.ENOTDIR)
        if flags & O_ACCMODE != 0 or flags & O_CREAT:
            raise SyscallError(errno.EPERM)         # as nsfs answers a root opener
        return namespaces.NsFile(self.ns, open_flags(flags), self.text, NSFS_DEV)


class SysctlFile(ProcFile):
    """A /proc/sys file: its mode binds root too (proc_sys_permission's test_perm:
    root is checked against the owner bits, so a 0200 file is write-only even for
    root and a 0444 one read-only)."""

    def check_open(self, task, flags):
        """sysctl's test_perm(): root's bits for euid 0, the group's for egid 0, else the
        others'; no capability overrides them."""
        creds = getattr(task, "creds", None)
        if creds is None or flags & O_PATH:
            return super().check_open(task, flags)
        if flags & O_DIRECTORY:
            raise SyscallError(errno.ENOTDIR)
        acc = flags & O_ACCMODE
        want = (4 if acc != 1 else 0) | (2 if acc != 0 or flags & O_TRUNC else 0)
        if creds.euid == 0:
            mode = self.perm >> 6
        elif creds.egid == 0 or 0 in getattr(creds, "groups", ()):
            mode = self.perm >> 3
        else:
            mode = self.perm
        if want & ~mode:
            raise SyscallError(errno.EACCES)


def sysctl_int(data, low=None, high=None):
    """proc_dointvec_minmax's parse of a write: one integer, then only white space."""
    text = bytes(data).split(b"\0", 1)[0].strip()
    try:
        value = int(text.split()[0]) if text and len(text.split()) == 1 else None
    except ValueError:
        value = None
    if value is None or (low is not None and value < low) or \
            (high is not None and value > high) or not -2**31 <= value < 2**31:
        raise SyscallError(errno.EINVAL)
    return value


class DirFile(File):
    """An open kernel-made directory: names are taken when first listed (and again
    after a rewind), as Linux's readdir sees the tree at the time of the call."""

    def __init__(self, node, flags):
        super().__init__(flags | O_DIRECTORY, node.path)
        self.node = node
        self.mode = statmod.S_IFDIR | node.perm
        self.listing = None
        self.pos = 0

    @property
    def entries(self):
        return self.node.names()

    def read(self, size):
        raise SyscallError(errno.EISDIR)

    def pread(self, size, offset):
        raise SyscallError(errno.EISDIR)

    def _listing(self):
        if self.listing is None:
            path = self.node.path
            parent = path[:path.rfind("/")] or "/"
            out = [(b".", DT_DIR, self.node.stat().st_ino), (b"..", DT_DIR, inode_of(parent))]
            for name, dtype in self.node.names():
                out.append((os.fsencode(name), dtype, inode_of(path + "/" + name)))
            self.listing = out
        return self.listing

    def getdents64(self, size):
        out, self.pos = pack_dirents(self._listing(), self.pos, size)
        return out

    def lseek(self, offset, whence):
        """generic_file_llseek on a directory whose i_size is 0: SEEK_END counts from
        0, SEEK_DATA and SEEK_HOLE find nothing."""
        if whence == 1 and offset == 0:
            return self.pos
        if whence in (3, 4):
            raise SyscallError(errno.ENXIO)
        base = {0: 0, 1: self.pos, 2: 0}.get(whence)
        if base is None or base + offset < 0:
            raise SyscallError(errno.EINVAL)
        offset += base
        if offset != self.pos:
            self.pos = offset
        if offset == 0:
            self.listing = None
        return offset

    def stat(self):
        return self.node.stat()


class ContentFile(File):
    """An open kernel-made file. The content is made at the first read and again
    after a rewind (seq_file); writes go to the node's writer."""

    def __init__(self, node, flags, task):
        super().__init__(flags, node.path)
        self.node = node
        self.task = task
        self.mode = statmod.S_IFREG | node.perm
        self.data = None
        self.pos = 0

    def _content(self):
        if self.data is None:
            self.data = self.node.content()
        return self.data

    def read(self, size):
        if not self.readable:
            raise SyscallError(errno.EBADF)
        data = self._content()[self.pos:self.pos + size]
        self.pos += len(data)
        return data

    def pread(self, size, offset):
        if not self.readable:
            raise SyscallError(errno.EBADF)
        return self._content()[offset:offset + size]

    def write(self, data):
        if not self.writable:
            raise SyscallError(errno.EBADF)
        if self.node.write is None:
            raise SyscallError(errno.EINVAL)     # root may open it for writing; no writer
        n = self.node.write(self.task, bytes(data))
        self.data = None
        return n

    def pwrite(self, data, offset):
        return self.write(data)

    def lseek(self, offset, whence):
        base = {0: 0, 1: self.pos}.get(whence)      # seq_lseek: no SEEK_END
        if base is None or base + offset < 0:
            raise SyscallError(errno.EINVAL)
        self.pos = base + offset
        if self.pos == 0:
            self.data = None
        return self.pos

    def stat(self):
        return self.node.stat()


# ---- what the guest is told about the system ---------------------------------------------

def uname_release(kernel):
    """(release, version) uname(2) answers (sys_uname) and /proc/sys/kernel shows."""
    if getattr(kernel, "deterministic", False):
        return "6.1.0-umlskas", "#1 SMP PREEMPT_DYNAMIC"
    u = os.uname()
    return u.release, u.version


def _host_text(path, default=""):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return default


def _host_int(path, default):
    try:
        return int(_host_text(path).split()[0])
    except (ValueError, IndexError):
        return default


def _mangle(text, chars=" \t\n\\"):
    """The octal escapes of /proc/mounts (seq_escape)."""
    return "".join(f"\\{ord(c):03o}" if c in chars else c for c in text)


class RootMount:
    """The mount table's fallback: a single root."""

    mount_id, parent_id, point, fstype, source, readonly = 20, 1, "/", "rootfs", "rootfs", False

    def options(self):
        return "rw"


def mount_list(kernel):
    vfs = getattr(kernel, "vfs", None)
    mounts = getattr(vfs, "mounts", None)
    return list(mounts) if mounts else [RootMount()]


def mount_of(kernel, path):
    """The mount holding a guest path (longest mount point that is a prefix)."""
    best = None
    for m in mount_list(kernel):
        point = m.point
        if path == point or path.startswith(point.rstrip("/") + "/"):
            if best is None or len(point) >= len(best.point):
                best = m
    return best


def _dev_of(m):
    synth = getattr(m, "synth", None)
    dev = getattr(synth, "dev", None)
    if dev is None:
        host = getattr(m, "upper", None) or getattr(m, "host", None)
        try:
            dev = os.stat(host).st_dev if host else 0
        except OSError:
            dev = 0
    return dev


def root_of(task):
    fs = getattr(task, "fs", None)
    return getattr(fs, "root", "/") or "/"


def seen_from(root, path):
    """A guest path as a process whose root (chroot) is `root` names it (d_path); a path
    outside that root keeps its full name."""
    if root == "/" or not path.startswith("/"):
        return path
    if path == root:
        return "/"
    if path.startswith(root + "/"):
        return path[len(root):]
    return path


def _visible_mounts(kernel, root):
    """(mount, its mount point as seen from root) for the mounts at or below root."""
    out = []
    for m in mount_list(kernel):
        if root == "/" or m.point == root or m.point.startswith(root + "/"):
            out.append((m, seen_from(root, m.point)))
    return out


def mounts_text(kernel, root="/"):
    lines = []
    for m, point in _visible_mounts(kernel, root):
        lines.append(f"{_mangle(m.source)} {_mangle(point)} {m.fstype} {m.options()} 0 0\n")
    return "".join(lines).encode()


def mountinfo_text(kernel, root="/"):
    lines = []
    for m, point in _visible_mounts(kernel, root):
        dev = _dev_of(m)
        lines.append(f"{m.mount_id} {m.parent_id} {os.major(dev)}:{os.minor(dev)} / "
                     f"{_mangle(point)} {m.options()} - {m.fstype} {_mangle(m.source)} "
                     f"{'ro' if m.readonly else 'rw'}\n")
    return "".join(lines).encode()


LIMIT_NAMES = (("Max cpu time", "seconds"), ("Max file size", "bytes"),
               ("Max data size", "bytes"), ("Max stack size", "bytes"),
               ("Max core file size", "bytes"), ("Max resident set", "bytes"),
               ("Max processes", "processes"), ("Max open files", "files"),
               ("Max locked memory", "bytes"), ("Max address space", "bytes"),
               ("Max file locks", "locks"), ("Max pending signals", "signals"),
               ("Max msgqueue size", "bytes"), ("Max nice priority", None),
               ("Max realtime priority", None), ("Max realtime timeout", "us"))
RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF


def limits_text(rlimits):
    """/proc/PID/limits, in fs/proc/base.c's layout."""
    out = [f"{'Limit':<25} {'Soft Limit':<20} {'Hard Limit':<20} {'Units':<10}\n"]
    for (name, unit), (soft, hard) in zip(LIMIT_NAMES, rlimits):
        line = f"{name:<25} " + \
            f"{'unlimited' if soft >= RLIM_INFINITY or soft < 0 else soft:<20} " + \
            f"{'unlimited' if hard >= RLIM_INFINITY or hard < 0 else hard:<20} "
        out.append(line + (f"{unit:<10}\n" if unit else "\n"))
    return "".join(out).encode()


def _sigmask(pending):
    mask = 0
    for sig, infos in pending.items():
        if infos:
            mask |= 1 << (sig - 1)
    return mask


PID_ENTRIES = (
    ("auxv", DT_REG), ("cgroup", DT_REG), ("cmdline", DT_REG), ("comm", DT_REG), ("cwd", DT_LNK),
    ("environ", DT_REG), ("exe", DT_LNK), ("fd", DT_DIR), ("fdinfo", DT_DIR),
    ("gid_map", DT_REG), ("limits", DT_REG), ("loginuid", DT_REG), ("maps", DT_REG), ("mem", DT_REG),
    ("mountinfo", DT_REG), ("mounts", DT_REG), ("ns", DT_DIR), ("oom_score", DT_REG),
    ("oom_score_adj", DT_REG), ("pagemap", DT_REG), ("personality", DT_REG), ("root", DT_LNK),
    ("sessionid", DT_REG), ("setgroups", DT_REG), ("stat", DT_REG), ("statm", DT_REG),
    ("status", DT_REG), ("task", DT_DIR), ("timens_offsets", DT_REG), ("uid_map", DT_REG),
    ("wchan", DT_REG))
TID_ENTRIES = tuple(e for e in PID_ENTRIES if e[0] not in ("task", "timens_offsets"))
# Modes of /proc/PID files that are not 0444 (fs/proc/base.c tgid_base_stuff).
PID_FILE_PERMS = {"auxv": 0o400, "environ": 0o400, "comm": 0o644, "oom_score_adj": 0o644, "loginuid": 0o644,
                  "uid_map": 0o644, "gid_map": 0o644, "setgroups": 0o644, "personality": 0o400,
                  "timens_offsets": 0o644, "pagemap": 0o400}
# timerslack_ns: a process's, not a thread's (tgid_base_stuff); the slack is in creds.py.
PID_ENTRIES = tuple(sorted(PID_ENTRIES + (("timerslack_ns", DT_REG),)))
PID_FILE_PERMS["timerslack_ns"] = 0o666

ROOT_FILES = ("cpuinfo", "filesystems", "loadavg", "meminfo", "stat", "uptime", "version")


def _shown_path(file):
    """What /proc/PID/fd/N reads as for an open file."""
    name = getattr(file, "path_name", None)
    return name() if name is not None else file.path


def _is_pid(name):
    return name.isdigit() and not (len(name) > 1 and name[0] == "0") and len(name) < 10


class ProcFs:
    """Answers /proc lookups for the tasks of one kernel."""

    fstype = "proc"

    def __init__(self, kernel):
        self.kernel = kernel
        self.time_ns = boot_realtime_ns(kernel)
        try:
            self.dev = os.stat("/proc").st_dev
        except OSError:
            self.dev = 0x16
        self.boot_id = None
        self.loginuid = _host_text("/proc/self/loginuid", "4294967295").strip() or "4294967295"
        self.sessionid = _host_text("/proc/self/sessionid", "4294967295").strip() or \
            "4294967295"
        self.sys = self._sys_tree()

    @property
    def deterministic(self):
        return getattr(self.kernel, "deterministic", False)

    # ---- the tree --------------------------------------------------------------------

    def root_node(self, task):
        return ProcDir(self.root_names, "/proc", dev=self.dev, time_ns=self.time_ns,
                       ino=PROC_ROOT_INO)

    def root_names(self):
        names = [(name, DT_REG) for name in ROOT_FILES]
        names += [("mounts", DT_LNK), ("sys", DT_DIR), ("sysvipc", DT_DIR)]
        names.sort()
        names += [("self", DT_LNK), ("thread-self", DT_LNK)]
        names += [(str(p.tgid), DT_DIR) for p in sorted(self.kernel.processes(),
                                                          key=lambda p: p.tgid)]
        return names

    def _dir(self, entries, path, perm=0o555, uid=0, gid=0):
        return ProcDir(entries, path, perm, uid, gid, self.dev, self.time_ns)

    def _file(self, content, path, perm=0o444, uid=0, gid=0, write=None):
        return ProcFile(content, path, perm, uid, gid, self.dev, self.time_ns, write)

    def _link(self, target, path, nofollow, uid=0, gid=0):
        if not nofollow:
            return target
        return SynthLink(target, path, 0o777, uid, gid, self.dev, self.time_ns)

    def step(self, task, path, nofollow):
        """One component under /proc: a node, a symlink target (str) to follow, a
        LinkNode (nofollow), a FileNode; ENOENT if there is no such name."""
        parts = path[len("/proc/"):].split("/")
        head = parts[0]
        if len(parts) == 1:
            if head in ("self", "thread-self") and task is None:
                raise SyscallError(errno.ENOENT)       # no task: the kernel's own lookups
            if head == "self":
                return self._link(str(task.tgid), path, nofollow)
            if head == "thread-self":
                return self._link(f"{task.tgid}/task/{task.tid}", path, nofollow)
            if head == "mounts":
                return self._link("self/mounts", path, nofollow)
            if head == "sys":
                return self._dir(self._names_of(self.sys), path)
            if head in ROOT_FILES:
                maker = getattr(self, "root_" + head)
                return self._file(maker, path)
        if head == "sys":
            return self._sys_step(parts[1:], path)
        if head == "sysvipc":
            return self._sysvipc_step(task, parts[1:], path)
        if not _is_pid(head):
            raise SyscallError(errno.ENOENT)
        owner = self.kernel.task_by_vpid(int(head))
        if owner is None:
            raise SyscallError(errno.ENOENT)
        rest = parts[1:]
        entries = PID_ENTRIES
        if rest[:1] == ["task"] and len(rest) >= 2:
            thread = self.kernel.task_by_vpid(int(rest[1])) if _is_pid(rest[1]) else None
            if thread is None or thread.tgid != owner.tgid:
                raise SyscallError(errno.ENOENT)
            owner, rest, entries = thread, rest[2:], TID_ENTRIES
        return self._entry(task, owner, rest, path, nofollow, entries)

    @staticmethod
    def _names_of(tree):
        return sorted((name, DT_DIR if isinstance(v, dict) else DT_REG)
                      for name, v in tree.items())

    def _sys_step(self, rest, path):
        node = self.sys
        for name in rest:
            if not isinstance(node, dict) or name not in node:
                raise SyscallError(errno.ENOENT)
            node = node[name]
        if isinstance(node, dict):
            return self._dir(self._names_of(node), path)
        content, write, *mode = node
        perm = mode[0] if mode else 0o644 if write else 0o444
        return SysctlFile(content, path, perm, 0, 0, self.dev, self.time_ns, write)

    def _sysvipc_step(self, task, rest, path):
        """/proc/sysvipc/{shm,sem,msg}: the reader's IPC namespace (sysv_proc.py)."""
        if not rest:
            return self._dir([(n, DT_REG) for n in ("msg", "sem", "shm")], path)
        show = {"shm": sysv_proc.proc_shm, "sem": sysv_proc.proc_sem,
                "msg": sysv_proc.proc_msg}.get(rest[0])
        if show is None or len(rest) != 1:
            raise SyscallError(errno.ENOENT if show is None else errno.ENOTDIR)
        ns = sysv_ipc.namespace_of(task) if task is not None else \
            sysv_ipc.kernel_namespace(self.kernel)
        return self._file(lambda: show(ns), path)

    def _entry(self, reader, t, rest, path, nofollow, entries):
        """/proc/PID/... of task t, looked up by reader (links are shown as the
        reader's root sees them)."""
        creds = t.creds if hasattr(t, "creds") else None
        uid = creds.euid if creds is not None else 0
        gid = creds.egid if creds is not None else 0
        if creds is not None and creds.dumpable != 1 and rest and \
                not (len(rest) == 1 and rest[0] == "task"):
            # task_dump_owner: a non-dumpable task's files are root's (its 0555
            # directories, /proc/PID and task, keep the task's owner).
            uid = gid = 0
        if not rest:
            node = self._dir(entries, path, 0o555, uid, gid)
            if entries is PID_ENTRIES:
                node.pid_process = getattr(t, "process", None)   # an open /proc/PID is a pidfd too
            return node
        name = rest[0]
        if name not in dict(entries):
            raise SyscallError(errno.ENOENT)
        if name in ("exe", "cwd", "root"):
            if len(rest) != 1:
                raise SyscallError(errno.ENOTDIR)
            target = {"exe": t.exe, "cwd": t.fs.cwd, "root": root_of(t)}[name]
            if target is None:
                raise SyscallError(errno.ENOENT)
            return self._link(seen_from(root_of(reader), target), path, nofollow, uid, gid)
        if name in ("fd", "fdinfo"):
            if len(rest) == 1:
                dtype = DT_LNK if name == "fd" else DT_REG
                return self._dir(lambda: [(str(fd), dtype) for fd in sorted(t.files.files)],
                                 path, 0o500, uid, gid)
            if len(rest) != 2 or not _is_pid(rest[1]):
                raise SyscallError(errno.ENOENT)
            fd = int(rest[1])
            file = t.files.files.get(fd)
            if file is None:
                raise SyscallError(errno.ENOENT)
            if name == "fdinfo":
                return self._file(lambda: self.fdinfo(t, fd, file), path, 0o444, uid, gid)
            shown = seen_from(root_of(reader), _shown_path(file))
            if nofollow:
                perm = {0: 0o500, 1: 0o300}.get(file.flags & O_ACCMODE, 0o700)
                return SynthLink(shown, path, perm, uid, gid, self.dev, self.time_ns)
            root = root_of(reader)
            mode = getattr(file, "mode", None)
            named = file.path.startswith("/") and mode is not None
            inside = root == "/" or file.path == root or file.path.startswith(root + "/")
            if named and inside and getattr(file, "host_fd", None) is not None and \
                    statmod.S_ISREG(mode):
                # A magic link: opening it reopens the file itself, even renamed or
                # deleted (O_TMPFILE, linkat), through the kernel's own fd. The name's
                # mount still rules writes (EROFS, overlay copy-up).
                vnode = file.vnode
                mount = vnode.mount if vnode is not None else \
                    self.kernel.vfs.mount_at(file.path.rsplit("/", 1)[0] or "/")
                return HostPath.of_file(file, mount)
            if named and inside:
                return seen_from(root, file.path)
            return FileNode(file)           # no path (a pipe), or outside the reader's root
        if name == "ns":
            return self._ns_entry(reader, t, rest, path, nofollow, uid, gid)
        if name == "task":
            if len(rest) == 1:
                return self._dir(lambda: [(str(x.tid), DT_DIR) for x in
                                          sorted(self.kernel.threads_of(t),
                                                 key=lambda x: x.tid)],
                                 path, 0o555, uid, gid)
            raise SyscallError(errno.ENOENT)
        if len(rest) != 1:
            raise SyscallError(errno.ENOTDIR)
        if name == "pagemap":
            return PagemapNode(t, path, 0o400, uid, gid, self.dev, self.time_ns)
        if name == "mem":
            return MemNode(t, path, 0o600, uid, gid, self.dev, self.time_ns)
        maker = getattr(self, "file_" + name)
        writer = getattr(self, "write_" + name, None)
        return self._file(lambda: maker(t), path, PID_FILE_PERMS.get(name, 0o444), uid, gid,
                          write=(lambda task, data: writer(task, t, data)) if writer else None)

    def _ns_entry(self, reader, t, rest, path, nofollow, uid, gid):
        """/proc/PID/ns and its links; following one ends on the namespace's nsfs file."""
        if len(rest) == 1:
            return self._dir([(n, DT_LNK) for n in namespaces.NS_LINKS], path, 0o511, uid, gid)
        if len(rest) != 2 or rest[1] not in namespaces.NS_LINKS:
            raise SyscallError(errno.ENOENT)
        ns = namespaces.ns_of_link(t, rest[1])
        if ns is None:
            raise SyscallError(errno.ENOENT)
        text = namespaces.link_text(rest[1], ns)
        if nofollow:
            return SynthLink(text, path, 0o777, uid, gid, self.dev, self.time_ns)
        return NsNode(ns, text, path)

    # ---- the root's files ----------------------------------------------------------------

    def boottime_ns(self):
        """CLOCK_BOOTTIME: the virtual clock's in a deterministic run, else the host's."""
        clock = getattr(self.kernel, "clock", None)
        if clock is not None:
            return clock.now_ns(CLOCK_BOOTTIME)
        return time.clock_gettime_ns(CLOCK_BOOTTIME)

    def root_uptime(self):
        if self.deterministic:
            up = self.boottime_ns() / 1e9
            return f"{up:.2f} {up:.2f}\n".encode()
        return _host_text("/proc/uptime", "0.00 0.00\n").encode()

    def _task_counts(self):
        tasks = list(getattr(self.kernel, "tasks", {}).values())
        running = sum(1 for t in tasks if getattr(t, "blocked", None) is None)
        return max(running, 1), len(tasks)

    def _last_pid(self):
        return max(getattr(self.kernel, "next_pid", 2) - 1, 0)

    def root_loadavg(self):
        running, total = self._task_counts()
        if self.deterministic:
            head = "0.00 0.00 0.00"
        else:
            head = " ".join(_host_text("/proc/loadavg", "0.00 0.00 0.00").split()[:3])
        return f"{head} {running}/{total} {self._last_pid()}\n".encode()

    def root_stat(self):
        ncpu = os.cpu_count() or 1
        if self.deterministic:
            from .deterministic import BOOT_NS, EPOCH_NS
            busy = self.boottime_ns() // 10**7
            cpus = [f"cpu  {busy} 0 0 {busy * (ncpu - 1)} 0 0 0 0 0 0"]
            cpus += [f"cpu{i} {busy if i == 0 else 0} 0 0 {0 if i == 0 else busy} 0 0 0 0 0 0"
                     for i in range(ncpu)]
            lines = cpus + ["intr 0", "ctxt 0", f"btime {(EPOCH_NS - BOOT_NS) // 10**9}"]
        else:
            lines = [line for line in _host_text("/proc/stat").splitlines()
                     if line.startswith(("cpu", "intr", "ctxt", "btime"))]
        running, _ = self._task_counts()
        lines += [f"processes {self._last_pid()}", f"procs_running {running}",
                  "procs_blocked 0"]
        if not self.deterministic:
            lines += [line for line in _host_text("/proc/stat").splitlines()
                      if line.startswith("softirq")]
        return ("\n".join(lines) + "\n").encode()

    def root_cpuinfo(self):
        text = _host_text("/proc/cpuinfo")
        if self.deterministic:
            text = "\n".join("cpu MHz\t\t: 2000.000" if line.startswith("cpu MHz") else line
                             for line in text.split("\n"))
        return text.encode()

    def root_meminfo(self):
        text = _host_text("/proc/meminfo")
        if not self.deterministic:
            return text.encode()
        # The figures sysinfo(2) gives in a deterministic run: 8 GiB, half free.
        fixed = {"MemTotal": 8 << 20, "MemFree": 4 << 20, "MemAvailable": 4 << 20,
                 "Hugepagesize": 2048, "CommitLimit": 4 << 20}
        out = []
        for line in text.splitlines():
            key, _, value = line.partition(":")
            kb = value.strip().endswith("kB")
            number = fixed.get(key, 0)
            out.append(f"{key + ':':<16}{number:>8}{' kB' if kb else ''}")
        return ("\n".join(out) + "\n").encode()

    def root_version(self):
        release, version = uname_release(self.kernel)
        if not self.deterministic:
            text = _host_text("/proc/version")
            if release in text:
                return text.encode()
        return f"Linux version {release} (umlskas@umlskas) (gcc) {version}\n".encode()

    def root_filesystems(self):
        text = _host_text("/proc/filesystems")
        return (text or "nodev\tproc\nnodev\ttmpfs\nnodev\tdevtmpfs\n").encode()

    # ---- /proc/sys --------------------------------------------------------------------

    def _sys_tree(self):
        """name -> subtree (dict) or (content(), write(task, data) or None)."""
        def const(value):
            return (lambda: f"{value}\n".encode()), None

        def host(path, default):
            value = _host_text(path).strip() or str(default)
            return const(value)

        kernel = self.kernel
        return {
            "kernel": {
                "hostname": (lambda: self._uts_text("hostname"),
                             lambda task, data: self._set_uts(task, "hostname", data)),
                "domainname": (lambda: self._uts_text("domainname"),
                               lambda task, data: self._set_uts(task, "domainname", data)),
                "osrelease": ((lambda: f"{uname_release(kernel)[0]}\n".encode()), None),
                "version": ((lambda: f"{uname_release(kernel)[1]}\n".encode()), None),
                "ostype": const("Linux"),
                "pid_max": const(4194304),
                "threads-max": host("/proc/sys/kernel/threads-max", 126000),
                "ngroups_max": const(65536),
                "cap_last_cap": host("/proc/sys/kernel/cap_last_cap", 40),
                "overflowuid": const(65534),
                "overflowgid": const(65534),
                **sysv_proc.sysctl_entries(kernel),
                "tainted": const(0),
                "core_pattern": (lambda: f"{self._core_pattern()}\n".encode(),
                                 self._set_core_pattern),
                "random": {
                    "uuid": ((lambda: f"{self._uuid()}\n".encode()), None),
                    "boot_id": ((lambda: f"{self._boot_id()}\n".encode()), None),
                    "entropy_avail": const(256),
                    "poolsize": const(256),
                },
                "yama": {"ptrace_scope": const(0)},
            },
            "vm": {
                "overcommit_memory": host("/proc/sys/vm/overcommit_memory", 0),
                "max_map_count": (lambda: f"{self._max_map_count()}\n".encode(),
                                  self._set_max_map_count),
                "drop_caches": (lambda: b"", self._drop_caches, 0o200),
            },
            "fs": {
                "file-max": host("/proc/sys/fs/file-max", 9223372036854775807),
                "nr_open": ((lambda: f"{kernel.nr_open}\n".encode()), None),  # fdtable.py
                "pipe-max-size": self._pipe_knob("pipe_max_size", 1048576),
                "pipe-user-pages-soft": self._pipe_knob("pipe_user_pages_soft", 16384),
                "pipe-user-pages-hard": self._pipe_knob("pipe_user_pages_hard", 0),
                **notify_sysctls(kernel),
            },
        }

    def _uts_text(self, field):
        """hostname/domainname of the reader's UTS namespace."""
        current = getattr(self.kernel, "current", None)
        if current is None:
            return f"{getattr(self.kernel, field)}\n".encode()
        return getattr(namespaces.uts(current), field).split(b"\0", 1)[0] + b"\n"

    def _pipe_knob(self, field, default):
        """A /proc/sys/fs/pipe-* value of this kernel, root-writable (kernel/sysctl.c)."""
        kernel = self.kernel

        def read():
            return f"{getattr(kernel, field, default)}\n".encode()

        def write(task, data):
            creds = getattr(task, "creds", None)
            if creds is not None and creds.euid != 0:
                raise SyscallError(errno.EPERM)
            text = bytes(data).split(b"\0", 1)[0].strip()
            if not text.isdigit() or len(text) > 20:
                raise SyscallError(errno.EINVAL)
            value = int(text)
            if field == "pipe_max_size":
                # proc_dopipe_max_size: stored rounded, as F_SETPIPE_SZ would round it.
                value = 0 if value > 1 << 31 else max(4096, 1 << (value - 1).bit_length())
                if value == 0:
                    raise SyscallError(errno.EINVAL)
            elif value >= 1 << 64:
                raise SyscallError(errno.EINVAL)
            setattr(kernel, field, value)
            return len(data)
        return read, write

    def _set_uts(self, task, field, data):
        """A write to hostname/domainname (sethostname/setdomainname)."""
        creds = getattr(task, "creds", None)
        if creds is not None and creds.euid != 0:
            raise SyscallError(errno.EPERM)
        value = data.split(b"\n", 1)[0].split(b"\0", 1)[0]
        if len(value) > 64:
            raise SyscallError(errno.EINVAL)
        if task is not None:
            namespaces.set_uts(task, field, value)
        else:
            setattr(self.kernel, field, value.decode(errors="replace"))
        return len(data)

    def _core_pattern(self):
        value = getattr(self.kernel, "core_pattern", None)
        return value if value is not None else (_host_text("/proc/sys/kernel/core_pattern")
                                                .strip() or "core")

    def _set_core_pattern(self, task, data):
        """proc_dostring: up to the first newline, at most CORENAME_MAX_SIZE bytes;
        kept by the kernel (the guest never writes a core file)."""
        text = bytes(data).split(b"\n", 1)[0].split(b"\0", 1)[0][:127]
        self.kernel.core_pattern = text.decode(errors="surrogateescape")
        return len(data)

    def _max_map_count(self):
        value = getattr(self.kernel, "max_map_count", None)
        return value if value is not None else _host_int("/proc/sys/vm/max_map_count", 65530)

    def _set_max_map_count(self, task, data):
        self.kernel.max_map_count = sysctl_int(data, 0)
        return len(data)

    def _drop_caches(self, task, data):
        """drop_caches: 1..4 accepted and nothing done (the kernel keeps no cache)."""
        sysctl_int(data, 1, 4)
        return len(data)

    def _uuid(self):
        raw = bytearray(self.kernel.random_bytes(16))
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _boot_id(self):
        if self.boot_id is None:
            self.boot_id = self._uuid()
        return self.boot_id

    # ---- /proc/PID files ----------------------------------------------------------------

    def fdinfo(self, t, fd, file):
        pos = 0
        try:
            pos = file.lseek(0, 1)
        except SyscallError:
            pass
        cloexec = 0o2000000 if fd in t.files.cloexec else 0
        path = _shown_path(file)
        m = mount_of(self.kernel, path) if path.startswith("/") else None
        mnt_id = m.mount_id if m is not None else PIPEFS_MNT_ID
        try:
            ino = file.stat().st_ino
        except (SyscallError, OSError):
            ino = 0
        own = getattr(file, "fdinfo", None)     # the file kind's show_fdinfo lines
        return (f"pos:\t{pos}\nflags:\t0{file.flags | cloexec:o}\nmnt_id:\t{mnt_id}\n"
                f"ino:\t{ino}\n{own() if own is not None else ''}").encode()

    def file_cmdline(self, t):
        return t.cmdline

    def file_environ(self, t):
        return t.environ

    def file_auxv(self, t):
        return getattr(t, "auxv", b"")

    def file_comm(self, t):
        return t.comm + b"\n"

    def write_comm(self, task, t, data):
        if task is not None and task.tgid != t.tgid:
            raise SyscallError(errno.EINVAL)
        t.comm = bytes(data[:15]).split(b"\0", 1)[0]
        return len(data)

    def file_timerslack_ns(self, t):
        """timerslack_ns_show: another task's needs CAP_SYS_NICE."""
        reader = getattr(self.kernel, "current", None)
        if reader is not None and reader is not t and not creds.capable(reader, creds.CAP_SYS_NICE):
            raise SyscallError(errno.EPERM)
        return f"{t.creds.timer_slack}\n".encode()

    def write_timerslack_ns(self, task, t, data):
        """timerslack_ns_write: 0 is the default slack; a real-time task keeps 0."""
        try:
            text = bytes(data).decode("ascii")
            if text.endswith("\n"):
                text = text[:-1]
            if not text.isdigit():
                raise ValueError
            slack = int(text)
        except (UnicodeDecodeError, ValueError):
            raise SyscallError(errno.EINVAL) from None
        if slack >= 1 << 64:
            raise SyscallError(errno.ERANGE)
        if task is not None and task is not t and not creds.capable(task, creds.CAP_SYS_NICE):
            raise SyscallError(errno.EPERM)
        if t.sched_policy in (1, 2):            # SCHED_FIFO, SCHED_RR
            slack = 0
        elif slack == 0:
            slack = t.creds.default_slack
        t.creds.timer_slack = slack
        return len(data)

    def file_maps(self, t):
        return t.mm.maps_text().encode()

    def file_mounts(self, t):
        return mounts_text(self.kernel, root_of(t))

    def file_mountinfo(self, t):
        return mountinfo_text(self.kernel, root_of(t))

    def file_limits(self, t):
        return limits_text(t.rlimits)

    def file_cgroup(self, t):
        return b"0::/\n"

    @staticmethod
    def oom_score_adj(process):
        """A process's oom_score_adj; one never set is its parent's (fork copies it)."""
        while process is not None:
            value = getattr(process, "oom_score_adj", None)
            if value is not None:
                return value
            process = getattr(process, "parent", None)
        return 0

    def file_oom_score_adj(self, t):
        return f"{self.oom_score_adj(t.process)}\n".encode()

    def write_oom_score_adj(self, task, t, data):
        try:
            value = int(data.strip() or b"x")
        except ValueError:
            raise SyscallError(errno.EINVAL) from None
        if not -1000 <= value <= 1000:
            raise SyscallError(errno.EINVAL)
        t.process.oom_score_adj = value
        return len(data)

    def file_oom_score(self, t):
        adj = self.oom_score_adj(t.process)
        return f"{max(0, 666 + adj * 2 // 3)}\n".encode() if adj > -1000 else b"0\n"

    def file_loginuid(self, t):
        return self.loginuid.encode()

    def file_sessionid(self, t):
        return self.sessionid.encode()

    def file_uid_map(self, t):
        return namespaces.map_text(getattr(self.kernel, "current", None), t, "uid_map")

    def write_uid_map(self, task, t, data):
        return namespaces.write_map(task, t, "uid_map", data)

    def file_gid_map(self, t):
        return namespaces.map_text(getattr(self.kernel, "current", None), t, "gid_map")

    def write_gid_map(self, task, t, data):
        return namespaces.write_map(task, t, "gid_map", data)

    def file_setgroups(self, t):
        return namespaces.setgroups_text(t)

    def write_setgroups(self, task, t, data):
        return namespaces.write_setgroups(task, t, data)

    def file_timens_offsets(self, t):
        return namespaces.timens_text(t)

    def write_timens_offsets(self, task, t, data):
        return namespaces.write_timens(task, t, data)

    def file_personality(self, t):
        return f"{getattr(t, 'personality', 0):08x}\n".encode()

    def file_wchan(self, t):
        return b"0"

    def _state(self, t):
        process = t.process
        if getattr(process, "zombie", False):
            return "Z", "zombie"
        link = getattr(t, "ptrace", None)
        if link is not None and link.stopped:
            return "t", "tracing stop"
        if getattr(process, "stopped", False):
            return "T", "stopped"
        if getattr(t, "blocked", None) is not None and t is not getattr(self.kernel, "current",
                                                                        None):
            return "S", "sleeping"
        return "R", "running"

    def _memory(self, t):
        """(size, rss, text, data, stack, lib, shared) in bytes."""
        size = text = data = stack = lib = 0
        for v in t.mm.vmas:
            length = v.end - v.start
            size += length
            if v.name == "[stack]":
                stack += length
            elif v.prot & 4 and v.name.startswith("/"):
                if v.name == t.exe:
                    text += length
                else:
                    lib += length
            elif v.prot & 2 and v.flags & 3 != 1:
                data += length
        rss, shared = size, 0
        if not self.deterministic:
            host_pid = getattr(getattr(t, "proc", None), "host_pid", None)
            fields = _host_text(f"/proc/{host_pid}/statm").split() if host_pid else []
            if len(fields) >= 3:
                rss, shared = int(fields[1]) * PAGE, int(fields[2]) * PAGE
                rss = min(rss, size)
        return size, rss, text, data, stack, lib, shared

    def _cpu_ticks(self, t):
        """(utime, stime) in clock ticks."""
        if self.deterministic:
            clock = getattr(self.kernel, "clock", None)
            return (getattr(clock, "elapsed", 0) // (10**9 // HZ), 0)
        host_pid = getattr(getattr(t, "proc", None), "host_pid", None)
        text = _host_text(f"/proc/{host_pid}/stat") if host_pid else ""
        fields = text[text.rfind(")") + 2:].split()
        system = getattr(getattr(t, "process", None), "sys_ns", 0) // (10**9 // HZ)
        try:
            return int(fields[11]) + int(fields[12]), system
        except (IndexError, ValueError):
            return 0, 0

    def file_status(self, t):
        c = t.creds
        state = self._state(t)
        size, rss, text, data, stack, lib, shared = self._memory(t)
        pending = _sigmask(t.sigstate.pending)
        shared_pending = _sigmask(t.process.shared_pending)
        ncpu = os.cpu_count() or 1

        def kb(n):
            return f"{n // KB:>8} kB"
        lines = [
            f"Name:\t{t.comm.decode(errors='replace')}", f"Umask:\t{t.fs.umask:04o}",
            f"State:\t{state[0]} ({state[1]})", f"Tgid:\t{t.tgid}", "Ngid:\t0",
            f"Pid:\t{t.tid}", f"PPid:\t{t.ppid}", f"TracerPid:\t{ptrace_guest.tracer_pid(t)}",
            f"Uid:\t{c.uid}\t{c.euid}\t{c.suid}\t{c.fsuid}",
            f"Gid:\t{c.gid}\t{c.egid}\t{c.sgid}\t{c.fsgid}",
            f"FDSize:\t{max(64, 1 << max(len(t.files.files) - 1, 1).bit_length())}",
            "Groups:\t" + " ".join(str(g) for g in c.groups) + " ",
            "NStgid:\t" + "\t".join(map(str, namespaces.nspids(t, t.tgid))),
            "NSpid:\t" + "\t".join(map(str, namespaces.nspids(t, t.tid))),
            "NSpgid:\t" + "\t".join(map(str, namespaces.nspids(t, t.pgid))),
            "NSsid:\t" + "\t".join(map(str, namespaces.nspids(t, t.sid))),
            "Kthread:\t0",
            f"VmPeak:\t{kb(size)}", f"VmSize:\t{kb(size)}", f"VmLck:\t{kb(t.mm.locked_pages() * PAGE)}",
            f"VmPin:\t{kb(0)}", f"VmHWM:\t{kb(rss)}", f"VmRSS:\t{kb(rss)}",
            f"RssAnon:\t{kb(max(rss - shared, 0))}", f"RssFile:\t{kb(shared)}",
            f"RssShmem:\t{kb(0)}", f"VmData:\t{kb(data)}", f"VmStk:\t{kb(stack)}",
            f"VmExe:\t{kb(text)}", f"VmLib:\t{kb(lib)}", f"VmPTE:\t{kb(0)}",
            f"VmSwap:\t{kb(0)}", f"HugetlbPages:\t{kb(0)}", "CoreDumping:\t0",
            "THP_enabled:\t1", "untag_mask:\t0xffffffffffffffff",
            f"Threads:\t{len(self.kernel.threads_of(t))}",
            f"SigQ:\t{signals.user_pending(self.kernel, c.uid)}/{t.rlimits[11][0] if t.rlimits[11][0] < RLIM_INFINITY else 0}",
            f"SigPnd:\t{pending:016x}", f"ShdPnd:\t{shared_pending:016x}",
            f"SigBlk:\t{t.sigmask:016x}",
            f"SigIgn:\t{t.sig_ignored_mask():016x}", f"SigCgt:\t{t.sig_caught_mask():016x}",
            *creds.status_lines(c), *seccomp_status(t).splitlines(),
            f"Cpus_allowed:\t{(1 << ncpu) - 1:x}", f"Cpus_allowed_list:\t0-{ncpu - 1}"
            if ncpu > 1 else "Cpus_allowed_list:\t0",
            "Mems_allowed:\t1", "Mems_allowed_list:\t0",
            "voluntary_ctxt_switches:\t0", "nonvoluntary_ctxt_switches:\t0",
        ]
        return ("\n".join(lines) + "\n").encode()

    def file_stat(self, t):
        comm = t.comm.decode(errors="replace")
        state = self._state(t)[0]
        size, rss, text, data, stack, lib, shared = self._memory(t)
        utime, stime = self._cpu_ticks(t)
        mm = t.mm
        code = [v for v in mm.vmas if v.prot & 4 and v.name == t.exe]
        start_code = min((v.start for v in code), default=0)
        end_code = max((v.end for v in code), default=0)
        rsslim = t.rlimits[RLIMIT_RSS][0]
        fields = [
            t.tid, f"({comm})", state, t.ppid, t.pgid, t.sid, 0, -1, 0x400000,
            0, 0, 0, 0, utime, stime, 0, 0, 20 + t.nice, t.nice,
            len(self.kernel.threads_of(t)), 0, t.start_ticks, size, rss // PAGE,
            rsslim, start_code, end_code, mm.stack_top, 0, 0,
            _sigmask(t.sigstate.pending) | _sigmask(t.process.shared_pending), t.sigmask,
            t.sig_ignored_mask(), t.sig_caught_mask(), 0, 0, 0,
            getattr(t.process, "exit_signal", 17), 0, t.sched_priority, t.sched_policy,
            0, 0, 0, 0, 0, mm.brk_start, 0, 0, 0, 0, 0]
        return (" ".join(str(f) for f in fields) + "\n").encode()

    def file_statm(self, t):
        size, rss, text, data, stack, lib, shared = self._memory(t)
        return (f"{size // PAGE} {rss // PAGE} {shared // PAGE} {text // PAGE} 0 "
                f"{(data + stack) // PAGE} 0\n").encode()
