"""The guest's file tree: a mount table, and path resolution over it.

How it works: every guest path is resolved by the kernel itself, one component
at a time, in the guest's view: `..` stops at the guest root, symlinks are read
(readlink) and followed inside the view (ELOOP after 40), and each step asks
the mount table which filesystem holds the name. Filesystems are:

  bind     a host directory seen at a guest path (read-write or read-only);
  tmpfs    a private directory of this kernel's session in host memory
           (/dev/shm), gone when the kernel ends;
  overlay  a read-only host lower directory with a writable upper directory:
           names in the upper hide the lower, a write copies the file up first,
           a delete leaves a whiteout (an OCI-style `.wh.NAME` file in the
           upper; `.wh..wh..opq` marks a directory that hides the whole lower);
  proc/dev the kernel's own synthetic trees (procfs.py, devfs.py).

The host is reached through directory fds, never through a host path string:
each step opens the next directory with O_PATH|O_NOFOLLOW relative to the one
before (the mount's root fd, the cwd's fd, a dirfd's), and the result of a
lookup is a HostPath: the O_PATH fd of the host directory holding the name,
the name, the guest path and the mount. Every host operation on it is an *at
call on that fd that does not follow a final symlink. A directory that the
host (another program, a second umlskas on a shared bind) renames or swaps for
a symlink during a walk is seen as it is at that moment: the step fails with
ENOENT, ENOTDIR or ELOOP as Linux's own walk would, and can never lead outside
the mount. A directory found again from a guest path (after `..`, or for a
chroot) is opened with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
RESOLVE_NO_MAGICLINKS) from the mount's root fd: the guest's symlinks were
already followed in the guest's view, so a host symlink there means the tree
changed under us (ELOOP). Other results are a FileNode (an open file) or a
node of a synthetic tree.
"""

import ctypes
import errno
import os
import re
import shutil
import stat as statmod
import tempfile

from . import hostsys
from .creds import CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
from .errors import SyscallError

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200
AT_SYMLINK_FOLLOW = 0x400
AT_NO_AUTOMOUNT = 0x800
AT_EMPTY_PATH = 0x1000
AT_EACCESS = 0x200
MAX_SYMLINKS = 40
# openat2 resolve flags
RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS = 0x01, 0x02, 0x04
RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_CACHED = 0x08, 0x10, 0x20
MAGIC_LINK = re.compile(r"^/proc/[^/]+/(task/[^/]+/)?(fd/[^/]+|exe|cwd|root)$")
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
KERNEL_PID = os.getpid()
# A directory step on the host: never follows a symlink, never opens for I/O.
DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
NODE_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
HOST_RESOLVE = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
PATH_CHUNK = 3800                # host path pieces stay below PATH_MAX (4096)
STEP_RETRIES = 8                 # a name that keeps changing under a walk: ELOOP


# ---- host directory fds ----------------------------------------------------------

class HostDir:
    """An O_PATH fd of a host directory a walk reached, closed when the last
    reference goes. An overlay directory has an upper and a lower part (either
    may be None)."""

    __slots__ = ("fd", "lower")

    def __init__(self, fd, lower=None):
        self.fd = fd
        self.lower = lower

    def __del__(self):
        for fd in (self.fd, self.lower):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                ("resolve", ctypes.c_uint64)]


# A syscall(2) of our own, typed for openat2 (no per-call argument wrapping).
_openat2_call = ctypes.CDLL(None, use_errno=True).syscall
_openat2_call.restype = ctypes.c_long
_openat2_call.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p,
                          ctypes.c_size_t]
SYS_OPENAT2 = 437
_HOWS = {}                       # flags -> (struct open_how, its address)


def _openat2(dirfd, path, flags):
    how = _HOWS.get(flags)
    if how is None:
        st = _OpenHow(flags, 0, HOST_RESOLVE)
        how = _HOWS[flags] = (st, ctypes.addressof(st))
    while True:
        r = _openat2_call(SYS_OPENAT2, dirfd, path, how[1], 24)
        if r >= 0:
            return r
        err = ctypes.get_errno()
        if err != errno.EAGAIN and err != errno.EINTR:
            # EAGAIN: a rename raced a RESOLVE_BENEATH walk; look again.
            raise OSError(err, os.strerror(err))


def _have_openat2():
    try:
        fd = os.open("/", DIR_FLAGS)
    except OSError:
        return False
    try:
        os.close(_openat2(fd, b".", DIR_FLAGS))
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


HAVE_OPENAT2 = _have_openat2()


DCACHE_SIZE = 32                 # held directory fds: well inside the kernel's fd reserve
_PROC_SELF_FD = []


def _proc_self_fd():
    """An O_PATH fd of this process's own /proc/PID/fd (for readlink of held fds)."""
    if not _PROC_SELF_FD:
        _PROC_SELF_FD.append(os.open("/proc/self/fd", DIR_FLAGS))
    return _PROC_SELF_FD[0]


def _forget_proc_self_fd():
    # A child forked from a process using the API names its own fds, not its parent's.
    for fd in _PROC_SELF_FD:
        try:
            os.close(fd)
        except OSError:
            pass
    _PROC_SELF_FD.clear()
    _DCACHE_USABLE.clear()


os.register_at_fork(after_in_child=_forget_proc_self_fd)


_DCACHE_USABLE = []
CAP_DAC_OVERRIDE_BIT, CAP_DAC_READ_SEARCH_BIT = 1, 2


def dcache_usable():
    """Can the dentry cache serve here: the kernel's host process searches every
    directory whatever its mode (CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH), so a host
    chmod of a directory on a cached way can change no lookup's answer. Read once
    from /proc/self/status, on first use."""
    if not _DCACHE_USABLE:
        usable = False
        try:
            with open("/proc/self/status", "rb") as f:
                for line in f:
                    if line.startswith(b"CapEff:"):
                        caps = int(line.split()[1], 16)
                        usable = bool(caps & (1 << CAP_DAC_OVERRIDE_BIT |
                                              1 << CAP_DAC_READ_SEARCH_BIT))
                        break
        except (OSError, ValueError):
            pass
        _DCACHE_USABLE.append(usable and os.environ.get("UMLSKAS_NO_DCACHE") is None)
    return _DCACHE_USABLE[0]


def _open_piece(dirfd, piece, flags):
    if HAVE_OPENAT2:
        return _openat2(dirfd, piece, flags)
    # Without openat2: one O_NOFOLLOW step per name (the names hold no "..").
    names = piece.split(b"/")
    fd = dirfd
    try:
        for i, name in enumerate(names):
            try:
                nfd = os.open(name, DIR_FLAGS if i < len(names) - 1 else flags | os.O_NOFOLLOW,
                              dir_fd=fd)
            except NotADirectoryError:
                # A symlink is ELOOP, as openat2's RESOLVE_NO_SYMLINKS says.
                if statmod.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP)) from None
                raise
            if fd != dirfd:
                os.close(fd)
            fd = nfd
    except BaseException:
        if fd != dirfd:
            os.close(fd)
        raise
    return fd


def open_beneath(dirfd, rel, flags=DIR_FLAGS):
    """Open `rel` ("a/b": no ".", ".." or empty names) below the directory `dirfd`,
    following no symlink on the way (OSError ELOOP if one is there) and staying
    below dirfd; pieces of at most PATH_CHUNK bytes, so depth has no limit."""
    data = os.fsencode(rel)
    if len(data) <= PATH_CHUNK:
        return _open_piece(dirfd, data, flags)
    fd = dirfd
    try:
        while data:
            if len(data) <= PATH_CHUNK:
                piece, data = data, b""
            else:
                cut = data.rfind(b"/", 0, PATH_CHUNK)
                piece, data = data[:cut], data[cut + 1:]
            nfd = _open_piece(fd, piece, flags if not data else DIR_FLAGS)
            if fd != dirfd:
                os.close(fd)
            fd = nfd
    except BaseException:
        if fd != dirfd:
            os.close(fd)
        raise
    return fd


def _exists_beneath(dirfd, rel):
    try:
        os.close(open_beneath(dirfd, rel, NODE_FLAGS))
        return True
    except OSError:
        return False


def proc_fd_path(fd):
    """The kernel's own /proc path of one of its fds: path calls on it reach exactly
    that inode (a symlink stays that symlink)."""
    return f"/proc/{KERNEL_PID}/fd/{fd}"


class HostPath:
    """A resolved name in a host-backed mount: the O_PATH fd of the host directory
    holding it (`dirfd`, kept open by `hold`) and its `name` there ("" when the
    node is that directory itself: ".", "/", a mount's root), its guest path and
    mount. Host operations on it are *at calls on (dirfd, name) that never follow
    a final symlink (a symlink the guest asked to follow was followed in the
    guest's view already). `magic`: the kernel's own /proc/PID/fd/N link for an
    open file (see procfs), which the host follows to that very file.

    exists is False for a missing last component (something may be created there),
    "whiteout" for one an overlay has hidden; st is its lstat when the walk took one."""

    __slots__ = ("hold", "dirfd", "name", "guest", "mount", "exists", "st", "upper",
                 "slash", "magic")

    def __init__(self, dirfd, name, guest, mount=None, exists=True, st=None, hold=None,
                 upper=False, slash=False, magic=False):
        self.hold = hold
        self.dirfd = dirfd
        self.name = name
        self.guest = guest
        self.mount = mount
        self.exists = exists
        self.st = st
        self.upper = upper               # overlay: the name is in the upper layer
        self.slash = slash               # the guest path ended with "/"
        self.magic = magic

    @classmethod
    def of_fd(cls, host_fd, guest, mount, upper=True):
        """The node of one of the kernel's open files (a /proc/PID/fd/N magic link).
        upper: False for a file opened in an overlay's lower layer (a change copies
        it up by its name first: the host fd itself must never be written)."""
        return cls(AT_FDCWD, proc_fd_path(host_fd), guest, mount, magic=True, upper=upper)

    @classmethod
    def of_file(cls, file, mount):
        """of_fd for an open HostFile: the layer its vnode was opened in (a file made
        with O_TMPFILE has no vnode; it was made where it may be written)."""
        vnode = file.vnode
        return cls.of_fd(file.host_fd, file.path, mount, vnode is None or bool(vnode.upper))

    @property
    def path(self):
        """A host path string for messages and for callers not yet on fds; not used
        to reach the host here (it may be stale, or longer than PATH_MAX)."""
        if self.magic:
            return self.name
        m = self.mount
        if m is None:
            return self.name
        rel = m.rel(self.guest.rstrip("/") or "/") if self.guest.startswith("/") else ""
        if m.is_overlay and self.upper:
            return m.upper + rel
        if m.file_bind:
            return m.host
        return m.lower_path(rel)

    def _check(self):
        if self.dirfd is None:
            raise SyscallError(errno.ENOENT)

    def lstat(self):
        """The host's lstat of the name (the magic link: of its file)."""
        self._check()
        try:
            if self.magic:
                return os.stat(self.name)
            if not self.name:
                return os.fstat(self.dirfd)
            return os.stat(self.name, dir_fd=self.dirfd, follow_symlinks=False)
        except OSError as e:
            raise SyscallError(e.errno) from None

    def lexists(self):
        try:
            self.lstat()
            return True
        except SyscallError:
            return False

    def open(self, flags, mode=0o666):
        """A host fd of the name (O_CLOEXEC); a final symlink is never followed."""
        self._check()
        try:
            if self.magic:
                return os.open(self.name, flags | os.O_CLOEXEC, mode)
            if not self.name:
                return os.open(".", flags | os.O_CLOEXEC, mode, dir_fd=self.dirfd)
            return os.open(self.name, flags | os.O_CLOEXEC | os.O_NOFOLLOW, mode,
                           dir_fd=self.dirfd)
        except OSError as e:
            raise SyscallError(e.errno) from None

    def pin(self):
        """An O_PATH fd of the node itself (the caller closes it)."""
        if not self.name and not self.magic:
            self._check()
            return os.dup(self.dirfd)
        return self.open(os.O_PATH | (0 if self.magic else os.O_NOFOLLOW))

    def via_dir(self):
        """A short host path that reaches exactly this name through the kernel's own fd
        of its directory, for host calls with no *at form (the xattr ones): use it
        without following a final symlink. The magic link's own path stays as it is."""
        self._check()
        if self.magic:
            return self.name
        return proc_fd_path(self.dirfd) + "/" + (self.name or ".")

    def same_file(self, host_fd):
        """Is host_fd open on this very inode?"""
        a, b = os.fstat(host_fd), self.lstat()
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)

    def at(self):
        """(dirfd, name bytes) for a raw *at syscall; the magic link is absolute."""
        self._check()
        return self.dirfd, os.fsencode(self.name) if self.name else b"."


class FileNode:
    """Resolution ended on an open file itself (AT_EMPTY_PATH, a /proc/PID/fd/N link)."""

    __slots__ = ("file",)

    def __init__(self, file):
        self.file = file


class LinkNode:
    """A symlink of a synthetic tree seen without following it (readlink, lstat)."""

    __slots__ = ("target", "path")

    def __init__(self, target, path):
        self.target, self.path = target, path


# ---- mounts --------------------------------------------------------------------

def host_fstype(path):
    """The host filesystem type holding `path` (from the kernel process's mounts)."""
    best, kind = "", "none"
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) < 3:
                    continue
                point = fields[1].replace("\\040", " ")
                if (path == point or path.startswith(point.rstrip("/") + "/")) and \
                        len(point) >= len(best):
                    best, kind = point, fields[2]
    except OSError:
        pass
    return kind


class Mount:
    """One entry of the mount table."""

    __slots__ = ("mount_id", "parent_id", "point", "fstype", "source", "host", "upper",
                 "readonly", "synth", "whiteouts", "opaque", "is_overlay", "prefix", "make_host",
                 "host_proc", "root", "file_bind")

    def __init__(self, point, fstype, source, host=None, upper=None, readonly=False,
                 synth=None, make_host=None):
        self.point = point
        self.prefix = point.rstrip("/") + "/"
        self.fstype = fstype
        self.source = source
        self.host = host                # bind/tmpfs: the directory; overlay: the lower
        self.upper = upper              # overlay only
        self.is_overlay = upper is not None
        self.readonly = readonly
        self.synth = synth              # ProcFs/DevFs for kernel-made trees
        self.make_host = make_host      # tmpfs: makes its directory on first use
        self.whiteouts = set()          # overlay: relative paths hidden from the lower
        self.opaque = set()             # overlay: relative dirs that hide the whole lower
        self.mount_id = self.parent_id = 0
        self.host_proc = host is not None and (host == "/proc" or host.startswith("/proc/"))
        self.root = None                # HostDir of the host directory, opened on first use
        self.file_bind = host is not None and synth is None and not os.path.isdir(host)
        if self.is_overlay:
            self._scan_upper()

    def options(self):
        opts = ["ro" if self.readonly else "rw"]
        if self.fstype in ("proc", "tmpfs", "devtmpfs"):
            opts.append("nosuid")
        if self.fstype == "proc":
            opts += ["nodev", "noexec"]
        return ",".join(opts + ["relatime"])

    def rel(self, guest):
        """The path of `guest` inside this mount: "" for its root, else "/a/b"."""
        return "" if guest == self.point else guest[len(self.prefix) - 1:]

    def _scan_upper(self):
        """Whiteouts already in an upper directory given by the user."""
        for root, dirs, files in os.walk(self.upper):
            rel = root[len(self.upper):]
            for name in files:
                if name == OPAQUE:
                    self.opaque.add(rel)
                elif name.startswith(WHITEOUT):
                    self.whiteouts.add(rel + "/" + name[len(WHITEOUT):])

    def lower_hidden(self, rel):
        """True if the lower's `rel` is hidden by a whiteout or an opaque directory."""
        if not self.whiteouts and not self.opaque:
            return False
        if rel in self.whiteouts:
            return True
        parent = rel
        while parent:
            parent = parent[:parent.rfind("/")]
            if parent in self.opaque or parent in self.whiteouts:
                return True
        return False

    def host_dir(self):
        """The host directory (an overlay's lower); a tmpfs makes its own on first use."""
        if self.host is None:
            self.host = self.make_host()
        return self.host

    def root_dir(self):
        """The HostDir of this mount's host directory (an overlay's: upper and lower;
        a file bind's: the directory holding the file), opened once and kept."""
        if self.root is None:
            try:
                if self.is_overlay:
                    upper = os.open(self.upper, DIR_FLAGS)
                    try:
                        self.root = HostDir(upper, os.open(self.host, DIR_FLAGS))
                    except BaseException:
                        os.close(upper)
                        raise
                elif self.file_bind:
                    self.root = HostDir(os.open(os.path.dirname(self.host) or "/", DIR_FLAGS))
                else:
                    self.root = HostDir(os.open(self.host_dir(), DIR_FLAGS))
            except OSError as e:
                raise SyscallError(e.errno) from None
        return self.root

    def close(self):
        self.root = None

    def locate(self, rel):
        """Setup time only (mount points in our own layers): the host path of `rel`
        and whether it exists."""
        host = self.lower_path(rel)
        if not self.is_overlay:
            return host, os.path.lexists(host)
        upper = self.upper + rel
        if os.path.lexists(upper):
            return upper, True
        if not self.lower_hidden(rel) and os.path.lexists(host):
            return host, True
        return upper, False

    def lower_path(self, rel):
        """`rel` in the host directory (for an overlay: in the lower)."""
        host = self.host_dir()
        return (host + rel if host != "/" else rel) if rel else host


class Vfs:
    """The mount table and path resolution for one kernel."""

    def __init__(self, procfs, devfs=None, specs=None, root=None, sandbox=False,
                 layers_dir=None):
        """specs/root/sandbox: see configured_mounts; none of them: default_mounts.
        layers_dir: where tmpfs and overlay uppers go and stay (default: a session
        directory in /dev/shm, removed by close())."""
        self.procfs = procfs
        self.devfs = devfs
        self.session_dir = layers_dir    # where tmpfs and overlay uppers live
        self.own_session_dir = False
        self.mounts = []
        self.sorted_mounts = []
        self.mount_children = {}         # guest dir -> {name: guest path} of the mount
                                         # points below it and the dirs on their way
        self.mount_cache = {}
        self.dcache = {}                 # the dentry cache (see _dcache_hit)
        self.canon_roots = {}            # Mount -> host path of its root, for the dcache
        self.points = set()              # every mount point (skeletons too)
        self.root = None
        try:
            if specs or root or sandbox:
                mounts = configured_mounts(self, specs or (), root, sandbox)
            else:
                mounts = default_mounts(self)
        except BaseException:
            self.close()
            raise
        for m in mounts:
            self.add_mount(m)
        self.write_manifest()

    # ---- the table ----------------------------------------------------------------

    def new_layer_dir(self, name):
        """A fresh directory for a tmpfs or an overlay upper, in the session directory."""
        if self.session_dir is None:
            base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
            sweep_stale_sessions(base)
            self.session_dir = tempfile.mkdtemp(prefix=f"umlskas-{os.getpid()}-", dir=base)
            self.own_session_dir = True
        os.makedirs(self.session_dir, exist_ok=True)
        label = name.strip("/").replace("/", "_") or "root"
        if not self.own_session_dir:
            # A directory the caller keeps (the API's Sandbox): the same name in every
            # run, so a second run sees the first one's files.
            path = os.path.join(self.session_dir, label)
            os.makedirs(path, mode=0o755, exist_ok=True)
            return path
        path = tempfile.mkdtemp(prefix=label + "-", dir=self.session_dir)
        os.chmod(path, 0o755)
        return path

    def write_manifest(self):
        """With a kept layers directory: which mount each layer belongs to (for the
        API's `changes`)."""
        if self.session_dir is None or self.own_session_dir:
            return
        layers = []
        for m in self.mounts:
            if m.is_overlay:
                layers.append({"point": m.point, "kind": "overlay", "dir": m.upper,
                               "lower": m.host})
            elif m.fstype == "tmpfs" and m.synth is None:
                layers.append({"point": m.point, "kind": "tmpfs", "dir": m.host_dir()})
        with open(os.path.join(self.session_dir, "mounts.json"), "w") as f:
            import json             # only for layered mounts: not at start
            json.dump(layers, f)

    def tmpfs(self, point):
        """A tmpfs mount; its directory is made when first used, mode 1777 as a fresh
        tmpfs has."""
        def make():
            path = self.new_layer_dir(point)
            os.chmod(path, 0o1777)
            return path
        return Mount(point, "tmpfs", "tmpfs", make_host=make)

    def add_mount(self, m):
        if self.mounts and m.point != "/":
            self._add_skeleton(m)
        m.mount_id = 20 + len(self.mounts)
        parent = self.mount_at(m.point) if self.mounts else None
        m.parent_id = parent.mount_id if parent is not None else 1
        if parent is not None and parent.synth is None:
            self._make_mount_point(parent, m.point)
        # Longest mount point first; a later mount on the same point hides the earlier.
        self._append(m, m.point)
        if m.point == "/":
            self.root = m

    def _add_skeleton(self, m):
        """A mount point below a directory the guest's view lacks, on a host tree we
        must not change (/mnt/new/dir on the host's /): the first missing directory
        becomes a small read-only tmpfs holding the way down, so that every directory
        on it can be listed, stat'ed and entered."""
        point = m.point
        guest = ""
        for comp in point.strip("/").split("/")[:-1]:
            guest += "/" + comp
            try:
                node = self.walk(None, "/", guest, True)
            except SyscallError:
                node = None
            if isinstance(node, HostPath) and node.exists is not False and \
                    statmod.S_ISDIR((node.st or node.lstat()).st_mode):
                continue
            if node is not None and not isinstance(node, HostPath):
                return                      # inside a synthetic tree: nothing to make
            holder = self.mount_at(guest)
            if holder.synth is None and (holder.make_host is not None or holder.is_overlay):
                return                      # our own layer: _make_mount_point makes it
            host = self.new_layer_dir("mount-points" + guest)
            os.makedirs(host + point[len(guest):], mode=0o755, exist_ok=True)
            skeleton = Mount(guest, "tmpfs", "tmpfs", host=host, readonly=True)
            skeleton.mount_id = 20 + len(self.mounts)
            skeleton.parent_id = holder.mount_id
            self._append(skeleton, guest)
            return

    def _append(self, m, guest):
        self.mounts.append(m)
        self.points.add(guest)
        self.mount_cache.clear()
        self.dcache.clear()              # a new mount point may cover a cached path
        self.canon_roots.clear()
        self.sorted_mounts = sorted(reversed(self.mounts), key=lambda x: -len(x.point))
        while guest != "/":
            parent = guest[:guest.rfind("/")] or "/"
            self.mount_children.setdefault(parent, {})[guest[guest.rfind("/") + 1:]] = guest
            guest = parent

    def is_mount_point(self, guest):
        return guest in self.points

    def _make_mount_point(self, parent, point):
        """Like bwrap: a mount point missing from a writable layer of ours (a tmpfs,
        an overlay) is made there; the host itself is never changed."""
        rel = parent.rel(point)
        if parent.is_overlay:
            host, exists = parent.locate(rel)
            if not exists:
                os.makedirs(parent.upper + rel, mode=0o755, exist_ok=True)
        elif parent.make_host is not None:
            os.makedirs(parent.host_dir() + rel, mode=0o755, exist_ok=True)

    def mount_at(self, guest):
        """The mount holding a guest path (remembered: this is on every path step)."""
        m = self.mount_cache.get(guest)
        if m is not None:
            return m
        for m in self.sorted_mounts:
            if guest == m.point or guest.startswith(m.prefix) or m.point == "/":
                break
        else:
            m = self.root
        if len(self.mount_cache) > 4096:
            self.mount_cache.clear()
        self.mount_cache[guest] = m
        return m

    def close(self):
        """Close the mounts' directory fds; remove this kernel's tmpfs and overlay uppers."""
        self.dcache.clear()
        for m in self.mounts:
            m.close()
        if self.own_session_dir and self.session_dir:
            shutil.rmtree(self.session_dir, ignore_errors=True)
            self.session_dir = None

    # ---- resolution --------------------------------------------------------------

    def base_dir(self, task, dirfd):
        """The guest directory a relative path starts from, and its HostDir (None:
        found again from the guest path when needed)."""
        if dirfd == AT_FDCWD:
            fs = task.fs
            hd = fs.cwd_dir
            if hd is None:
                # Not held yet (the first cwd, one in an overlay): found from its path,
                # and kept where a copy-up cannot change the answer.
                m = self.mount_at(fs.cwd)
                if m.synth is None:
                    try:
                        hd = self.dir_at(m, m.rel(fs.cwd))
                    except SyscallError:
                        return fs.cwd, None
                    if not m.is_overlay:
                        fs.cwd_dir = hd
            return fs.cwd, hd
        file = task.files.get(dirfd)
        path = self.dir_path_of(file)
        if path is None:
            raise SyscallError(errno.ENOTDIR)
        return path, self.walk_dir_of(file)

    @staticmethod
    def dir_path_of(file):
        mode = getattr(file, "mode", None)
        if mode is not None:
            return file.path if statmod.S_ISDIR(mode) else None
        return file.path if getattr(file, "entries", None) is not None else None

    @staticmethod
    def walk_dir_of(file):
        """A HostDir of an open host directory (its own inode, as Linux's openat(fd)
        starts from), kept with the file; None for kernel-made and overlay ones
        (an overlay directory has two host parts: found from the guest path)."""
        hd = getattr(file, "walk_dir", None)
        if hd is None:
            vnode = file.vnode
            if vnode is None or file.host_fd is None or vnode.mount is None or \
                    vnode.mount.is_overlay or vnode.magic:
                return None
            try:
                hd = file.walk_dir = HostDir(os.dup(file.host_fd))
            except OSError as e:
                raise SyscallError(e.errno) from None
        return hd

    def dir_at(self, m, rel):
        """The HostDir of the guest directory `rel` ("" or "/a/b") of the host-backed
        mount m, opened from the mount's root fd without following any symlink: the
        guest's symlinks were followed in the guest's view, so a host symlink here
        (ELOOP), a file (ENOTDIR) or nothing (ENOENT) means the tree changed."""
        root = m.root_dir()
        if not rel:
            return root
        try:
            if not m.is_overlay:
                return HostDir(open_beneath(root.fd, rel[1:]))
            upper = lower = None
            try:
                upper = open_beneath(root.fd, rel[1:])
            except (FileNotFoundError, NotADirectoryError):
                pass
            if not m.lower_hidden(rel):
                try:
                    lower = open_beneath(root.lower, rel[1:])
                except (FileNotFoundError, NotADirectoryError):
                    pass
            if upper is None and lower is None:
                raise SyscallError(errno.ENOENT)
            return HostDir(upper, lower)
        except OSError as e:
            raise SyscallError(e.errno) from None

    def dir_of_guest(self, guest):
        """The HostDir of a host-backed guest directory, or None (a synthetic one)."""
        m = self.mount_at(guest)
        if m.synth is not None:
            return None
        return self.dir_at(m, m.rel(guest))

    def lookup(self, task, dirfd, path, follow=True, empty_ok=False, resolve=0):
        """Resolve `path` (bytes) relative to dirfd; returns HostPath, FileNode or a node.
        resolve: openat2's RESOLVE_* flags."""
        if not path:
            if not empty_ok:
                raise SyscallError(errno.ENOENT)
            if dirfd == AT_FDCWD:
                return self.walk(task, task.fs.cwd, ".", True, at=task.fs.cwd_dir)
            return FileNode(task.files.get(dirfd))
        try:
            text = os.fsdecode(path)
        except UnicodeError:
            raise SyscallError(errno.EINVAL) from None
        top = task.fs.root if task is not None else "/"
        if text[0] == "/" and top == "/" and not resolve and self.dcache:
            node = self._cached_lookup(task, text)
            if node is not None:
                return node
        if resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT):
            base, at = self.base_dir(task, dirfd)
            if text[0] == "/" and resolve & RESOLVE_BENEATH:
                raise SyscallError(errno.EXDEV)
            return self.walk(task, base, text, follow, top=base, resolve=resolve, at=at)
        if text[0] == "/":
            return self.walk(task, top, text, follow, top=top, resolve=resolve)
        base, at = self.base_dir(task, dirfd)
        return self.walk(task, base, text, follow, top=top, resolve=resolve, at=at)

    def walk(self, task, cur, path, follow, top="/", resolve=0, at=None):
        """Component-by-component resolution; see the module docstring. `top` is the
        directory `..` and absolute symlinks stop at (the root, a chroot, RESOLVE_IN_ROOT);
        `at` the HostDir of `cur` when the caller holds one (a cwd, a dirfd)."""
        # "dir/", "dir/." and "dir/.." must name a directory (ENOTDIR otherwise).
        trailing_slash = path.endswith(("/", "/.", "/..")) and path.strip("/") != ""
        # "name/." walks into name: a missing one is ENOENT, not a name to create.
        dot_last = path.rstrip("/").endswith("/.")
        todo = [c for c in path.split("/") if c and c != "."]
        todo.reverse()
        if trailing_slash:
            follow = True
        if path.startswith("/"):
            cur, at = top, None
        links = 0
        retries = 0
        here = at                        # HostDir of cur (None: found again when needed)
        creds = getattr(task, "creds", None)
        # Who may search any directory (CAP_DAC_READ_SEARCH or _OVERRIDE) is not checked.
        searcher = creds if creds is not None and not creds.cap_eff & SEARCH_CAPS else None
        fast = searcher is None and HAVE_OPENAT2
        dcache_ok = fast and dcache_usable()
        while todo:
            if fast and len(todo) > 1 and here is None and dcache_ok:
                # The whole directory part seen before (the dentry cache): its held fd,
                # if the host still has that directory at that very path.
                dirs = todo[:0:-1]
                target = (cur if cur != "/" else "") + "/" + "/".join(dirs)
                hd = self._dcache_hit(target)
                if hd is not None:
                    here, cur = hd, target
                    del todo[1:]
                    continue
            if fast and len(todo) > 1:
                # The directories on the way in one openat2: it fails on a symlink
                # (ELOOP), a missing name or a file, and the steps below then take
                # them one at a time (following the guest's symlinks in its view).
                n = self._run_of_dirs(cur, todo)
                if n:
                    m = self.mount_at(cur)
                    if here is None:
                        here = self.dir_at(m, m.rel(cur))
                    run = todo[-n:]
                    run.reverse()
                    try:
                        fd = _openat2(here.fd, os.fsencode("/".join(run)), DIR_FLAGS)
                    except OSError:
                        fd = None
                        fast = False         # until a symlink brings new names
                    if fd is not None:
                        here = HostDir(fd)
                        for comp in run:
                            cur = cur + comp if cur == "/" else cur + "/" + comp
                        del todo[-n:]
                        if dcache_ok:
                            self._dcache_put(cur, m, here)
                        continue
            comp = todo.pop()
            if comp == "..":
                if cur == top:
                    if resolve & RESOLVE_BENEATH:
                        raise SyscallError(errno.EXDEV)
                    continue
                parent = cur[:cur.rfind("/")] or "/"
                if resolve & RESOLVE_NO_XDEV and self.mount_at(parent) is not self.mount_at(cur):
                    raise SyscallError(errno.EXDEV)
                cur, here = parent, None
                continue
            nxt = cur + comp if cur == "/" else cur + "/" + comp
            last = not todo
            m = self.mount_at(nxt)
            if resolve & RESOLVE_NO_XDEV and m is not self.mount_at(cur):
                raise SyscallError(errno.EXDEV)
            if m.synth is not None:
                if nxt == m.point:
                    node = m.synth.root_node(task)
                else:
                    node = m.synth.step(task, nxt, last and not follow)
                if isinstance(node, str):    # a symlink to follow
                    links += 1
                    if links > MAX_SYMLINKS:
                        raise SyscallError(errno.ELOOP)
                    if resolve & (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) and (
                            resolve & RESOLVE_NO_SYMLINKS or MAGIC_LINK.match(nxt)):
                        raise SyscallError(errno.ELOOP)
                    if node.startswith("/"):
                        if resolve & RESOLVE_BENEATH:
                            raise SyscallError(errno.EXDEV)
                        cur = top
                    todo.extend(reversed([c for c in node.split("/") if c and c != "."]))
                    here = None
                    continue
                # A magic link (/proc/PID/fd/N) ends on the open file itself, or on the
                # kernel's own fd for it (a HostPath, regular files only: see procfs).
                if isinstance(node, (FileNode, HostPath)) and resolve & (
                        RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS):
                    raise SyscallError(errno.ELOOP)
                if isinstance(node, HostPath):
                    dirpath = None
                elif isinstance(node, FileNode):
                    dirpath = self.dir_path_of(node.file)
                else:
                    dirpath = nxt if getattr(node, "is_dir", getattr(node, "entries", None)
                                             is not None) else None
                if last and not trailing_slash:
                    return node
                if dirpath is None:
                    raise SyscallError(errno.ENOTDIR)
                if last:
                    return node
                cur, here = dirpath, None
                if isinstance(node, FileNode):
                    here = self.walk_dir_of(node.file)
                continue
            if nxt == m.point and not m.file_bind:
                # The root of a host-backed mount: its fd is kept by the mount.
                root = m.root_dir()
                if last:
                    return HostPath(root.fd if root.fd is not None else root.lower, "", nxt,
                                    m, True, None, root, upper=m.is_overlay,
                                    slash=trailing_slash)
                if searcher is not None and not may_access(searcher, self._fstat_dir(root), 1):
                    raise SyscallError(errno.EACCES)
                cur, here = nxt, root
                continue
            # One name in a host directory: the directory's fd and an *at call.
            if nxt == m.point:               # a bind of a single file
                pdir, hname, rel = m.root_dir(), os.path.basename(m.host), ""
            else:
                rel = m.rel(nxt) if m.is_overlay or m.host_proc else None
                if here is None:
                    here = self.dir_at(m, m.rel(cur))
                pdir, hname = here, comp
                if m.host_proc and _host_process_path(m.lower_path(rel)):
                    raise SyscallError(errno.ENOENT)
            dfd, st, upper = self._step(m, pdir, hname, rel)
            if st is None:
                if last and not dot_last:
                    return HostPath(dfd, hname, nxt, m, False, None, pdir, upper=upper,
                                    slash=trailing_slash)
                raise SyscallError(errno.ENOENT)
            if statmod.S_ISLNK(st.st_mode):
                if last and not follow:
                    return HostPath(dfd, hname, nxt, m, True, st, pdir, upper=upper)
                links += 1
                if links > MAX_SYMLINKS or resolve & RESOLVE_NO_SYMLINKS:
                    raise SyscallError(errno.ELOOP)
                try:
                    target = os.readlink(hname, dir_fd=dfd)
                except OSError as e:
                    # No longer a symlink (changed under us): look at the name again.
                    retries = self._retry(retries, e.errno)
                    links -= 1
                    todo.append(comp)
                    continue
                if target.startswith("/"):
                    if resolve & RESOLVE_BENEATH:
                        raise SyscallError(errno.EXDEV)
                    cur, here = top, None
                todo.extend(reversed([c for c in target.split("/") if c and c != "."]))
                fast = searcher is None and HAVE_OPENAT2
                continue
            if last:
                if trailing_slash and not statmod.S_ISDIR(st.st_mode):
                    raise SyscallError(errno.ENOTDIR)
                return HostPath(dfd, hname, nxt, m, True, st, pdir, upper=upper,
                                slash=trailing_slash)
            if not statmod.S_ISDIR(st.st_mode):
                raise SyscallError(errno.ENOTDIR)
            if searcher is not None and not may_access(searcher, st, 1):
                raise SyscallError(errno.EACCES)
            try:
                here = self._enter(m, pdir, dfd, upper, hname, rel)
            except OSError as e:
                # It changed between the look and the step (renamed, swapped for a
                # symlink or a file): look at the name again.
                retries = self._retry(retries, e.errno)
                todo.append(comp)
                continue
            cur = nxt
        # The walk ended on a directory already reached (".", "..", "/", a cwd).
        m = self.mount_at(cur)
        if m.synth is not None:
            if cur == m.point:
                return m.synth.root_node(task)
            node = m.synth.step(task, cur, False)
            if isinstance(node, str):
                return self.walk(task, top, node, True, top=top)
            return node
        if here is None:
            here = self.dir_at(m, m.rel(cur))
        fd = here.fd if here.fd is not None else here.lower
        return HostPath(fd, "", cur, m, True, None, here, upper=here.fd is not None and
                        m.is_overlay)

    # ---- the dentry cache ------------------------------------------------------------
    # Guest directory path -> (HostDir, the host path the directory must still have).
    # Filled by the walk's one-openat2 runs of plain host directories (no symlink, no
    # mount point, no overlay: see _run_of_dirs), so an entry holds exactly what that
    # openat2 gave. A hit is checked against the host with one readlink of the held
    # fd's /proc/self/fd link (d_path: the directory's real path now, through real
    # directories only, " (deleted)" once removed): a rename or removal of any
    # directory on the way, by the guest or by the host, or one swapped for a
    # symlink, changes it, and the walk then goes the long way. Mount table changes
    # empty it. Only for walks whose base is found from its guest path (an absolute
    # name, after ".."), by a searcher that every permission lets through, in a
    # kernel whose host process is as well (dcache_usable): a host chmod of a
    # directory on the way can then change no answer.

    def _dcache_hit(self, target):
        entry = self.dcache.get(target)
        if entry is None:
            return None
        hd, link = entry
        try:
            if os.readlink(str(hd.fd), dir_fd=_proc_self_fd()) == link:
                return hd
        except OSError:
            pass
        del self.dcache[target]
        return None

    def _cached_lookup(self, task, text):
        """The walk of an absolute plain name ("/a/b/name": no ".", "..", "//" or
        trailing "/") whose directory part the dentry cache holds, without a walk:
        one lstat of the last name in the held directory, as the walk's last step
        takes it. None where the walk must go itself (a symlink last, a mount point,
        a searcher whose permissions are checked, anything not plain)."""
        i = text.rfind("/")
        if i <= 0 or i == len(text) - 1 or "//" in text or "/./" in text or \
                "/../" in text or text.endswith(("/.", "/..")) or text in self.points:
            return None
        creds = getattr(task, "creds", None)
        if creds is not None and not creds.cap_eff & SEARCH_CAPS:
            return None
        hd = self._dcache_hit(text[:i])
        if hd is None:
            return None
        m = self.mount_at(text)
        if m.synth is not None or m.is_overlay or m.host_proc or m.file_bind:
            return None
        name = text[i + 1:]
        try:
            st = os.stat(name, dir_fd=hd.fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return HostPath(hd.fd, name, text, m, False, None, hd)
        except OSError as e:
            raise SyscallError(e.errno) from None
        if statmod.S_ISLNK(st.st_mode):
            return None
        return HostPath(hd.fd, name, text, m, True, st, hd)

    def _dcache_put(self, target, m, hd):
        canon = self.canon_roots.get(m)
        if canon is None:
            try:
                canon = os.readlink(str(m.root_dir().fd), dir_fd=_proc_self_fd())
            except (OSError, SyscallError):
                return
            if not canon.startswith("/") or canon.endswith(" (deleted)"):
                return
            self.canon_roots[m] = canon
        held = hostsys.dup_into_reserve(hd.fd)
        if held < 0:
            return
        dcache = self.dcache
        if len(dcache) >= DCACHE_SIZE:
            del dcache[next(iter(dcache))]        # the oldest entry: its fd closes
        dcache[target] = (HostDir(held), (canon if canon != "/" else "") + m.rel(target))

    def _run_of_dirs(self, cur, todo):
        """How many of the next names (not the last one) lie in cur's plain host
        directory tree: no "..", no mount point, not in an overlay, a kernel tree or
        a bind of the host's /proc."""
        m = self.mount_at(cur)
        if m.synth is not None or m.is_overlay or m.host_proc or m.file_bind and cur == m.point:
            return 0
        n, size = 0, 0
        for i in range(len(todo) - 1, 0, -1):
            comp = todo[i]
            if comp == "..":
                break
            cur = cur + comp if cur == "/" else cur + "/" + comp
            size += len(comp) + 1
            if cur in self.points or size > PATH_CHUNK:
                break
            n += 1
        return n

    @staticmethod
    def _retry(retries, err):
        if retries >= STEP_RETRIES:
            raise SyscallError(err if err in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)
                               else errno.ELOOP)
        return retries + 1

    @staticmethod
    def _fstat_dir(hd):
        try:
            return os.fstat(hd.fd if hd.fd is not None else hd.lower)
        except OSError as e:
            raise SyscallError(e.errno) from None

    @staticmethod
    def _step(m, pdir, name, rel):
        """lstat of `name` in the host directory pdir: (fd of the layer holding it, its
        lstat or None if missing, in an overlay's upper?). An overlay's upper hides
        its lower; whiteouts and opaque directories hide the lower's names."""
        if not m.is_overlay:
            try:
                return pdir.fd, os.stat(name, dir_fd=pdir.fd, follow_symlinks=False), False
            except (FileNotFoundError, NotADirectoryError):
                return pdir.fd, None, False
            except OSError as e:
                raise SyscallError(e.errno) from None
        try:
            if pdir.fd is not None:
                try:
                    return pdir.fd, os.stat(name, dir_fd=pdir.fd, follow_symlinks=False), True
                except (FileNotFoundError, NotADirectoryError):
                    pass
            if pdir.lower is not None and not m.lower_hidden(rel):
                try:
                    return (pdir.lower, os.stat(name, dir_fd=pdir.lower, follow_symlinks=False),
                            False)
                except (FileNotFoundError, NotADirectoryError):
                    pass
        except OSError as e:
            raise SyscallError(e.errno) from None
        return pdir.fd, None, True

    @staticmethod
    def _enter(m, pdir, dfd, upper, name, rel):
        """The HostDir of the directory `name` just looked at (OSError if it is no
        longer a directory there)."""
        if not m.is_overlay:
            return HostDir(os.open(name, DIR_FLAGS, dir_fd=dfd))
        up = low = None
        try:
            if upper:
                up = os.open(name, DIR_FLAGS, dir_fd=dfd)
            if pdir.lower is not None and not m.lower_hidden(rel):
                try:
                    low = os.open(name, DIR_FLAGS, dir_fd=pdir.lower)
                except OSError:
                    if up is None:
                        raise
        except BaseException:
            if up is not None:
                os.close(up)
            raise
        return HostDir(up, low)

    # ---- changing the tree (what fs.py calls before a host operation) ---------------

    def writable(self, node):
        """Make an existing name changeable (EROFS; an overlay copies it up and the
        node then names the upper copy); returns its host path for legacy callers."""
        m = node.mount
        if m is None:
            return node.path
        if m.readonly:
            raise SyscallError(errno.EROFS)
        if m.is_overlay and not node.upper:
            rel = m.rel(node.guest.rstrip("/") or "/")
            if m.lower_hidden(rel):
                # An open file's name removed (or moved) since: overlayfs's copy-up
                # meets the whiteout. Never bring the lower's copy back.
                raise SyscallError(errno.EEXIST)
            if node.magic:
                self._check_magic_lower(m, rel, node)
            self._copy_up(m, rel)
            if rel:
                node.hold = self._upper_dir(m, rel[:rel.rfind("/")])
                node.dirfd, node.name = node.hold.fd, rel[rel.rfind("/") + 1:]
            else:
                node.hold = m.root_dir()
                node.dirfd, node.name = node.hold.fd, ""
            node.upper = True
            node.magic = False           # it names the upper copy now, not the open file
            node.st = None
        return node.path

    @staticmethod
    def _check_magic_lower(m, rel, node):
        """A /proc/PID/fd/N link of a file opened in the lower is copied up by the name
        it was opened by: that name must still hold that lower file (not another one
        since a rename), else there is nothing to copy up (ENOENT)."""
        try:
            a = os.stat(node.name)
            b = os.stat(rel[1:], dir_fd=m.root_dir().lower, follow_symlinks=False) \
                if rel else os.fstat(m.root_dir().lower)
        except OSError:
            raise SyscallError(errno.ENOENT) from None
        if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino):
            raise SyscallError(errno.ENOENT)

    def upper_node(self, node):
        """The overlay upper's copy of node's name (a HostPath), or None while the name
        has none: an open file's node may predate another process's copy-up."""
        if node.upper:
            return node
        m = node.mount
        rel = m.rel(node.guest.rstrip("/") or "/")
        if not rel:
            return HostPath(m.root_dir().fd, "", node.guest, m, hold=m.root_dir(), upper=True)
        if not _exists_beneath(m.root_dir().fd, rel[1:]):
            return None
        hold = self._upper_dir(m, rel[:rel.rfind("/")])
        return HostPath(hold.fd, rel[rel.rfind("/") + 1:], node.guest, m, hold=hold, upper=True)

    def check_writable_mount(self, node):
        m = getattr(node, "mount", None)
        if m is not None and m.readonly:
            raise SyscallError(errno.EROFS)

    def creatable(self, node):
        """Make a new name creatable (EROFS; overlay: parent copied up, whiteout
        dropped, the node names the upper); returns its host path for legacy callers."""
        m = node.mount
        if m is None:
            return node.path
        if m.readonly:
            raise SyscallError(errno.EROFS)
        if m.is_overlay:
            rel = m.rel(node.guest.rstrip("/") or "/")
            parent = rel[:rel.rfind("/")]
            name = rel[rel.rfind("/") + 1:]
            self._copy_up(m, parent)
            updir = self._upper_dir(m, parent)
            if rel in m.whiteouts:
                try:
                    os.unlink(WHITEOUT + name, dir_fd=updir.fd)
                except FileNotFoundError:
                    pass
                except OSError as e:
                    raise SyscallError(e.errno) from None
                m.whiteouts.discard(rel)
                node.exists = "whiteout"     # a directory made here hides the lower
            node.hold, node.dirfd, node.name, node.upper = updir, updir.fd, name, True
        return node.path

    def _upper_dir(self, m, rel):
        """HostDir of an overlay's upper directory `rel` (which exists)."""
        root = m.root_dir()
        if not rel:
            return HostDir(os.dup(root.fd))
        try:
            return HostDir(open_beneath(root.fd, rel[1:]))
        except OSError as e:
            raise SyscallError(e.errno) from None

    def created_dir(self, node):
        """After mkdir: over a whited-out name, the new directory hides the lower one."""
        m = node.mount
        if m is not None and m.is_overlay and node.exists == "whiteout":
            rel = m.rel(node.guest.rstrip("/"))
            try:
                fd = os.open(node.name, DIR_FLAGS, dir_fd=node.dirfd)
            except OSError as e:
                raise SyscallError(e.errno) from None
            try:
                _touch(fd, OPAQUE)
            finally:
                os.close(fd)
            m.opaque.add(rel)

    def removed(self, node, was_in_lower):
        """After a name was removed from the upper: hide the lower's copy too."""
        m = node.mount
        if m is None or not m.is_overlay or not was_in_lower:
            return
        rel = m.rel(node.guest.rstrip("/"))
        parent, name = rel[:rel.rfind("/")], rel[rel.rfind("/") + 1:]
        self._copy_up(m, parent)
        updir = self._upper_dir(m, parent)     # keeps the fd open for the call
        _touch(updir.fd, WHITEOUT + name)
        m.whiteouts.add(rel)

    def lower_exists(self, node):
        """Overlay: is this name present in the lower layer (and not hidden)?"""
        m = node.mount
        if m is None or not m.is_overlay:
            return False
        rel = m.rel(node.guest.rstrip("/") or "/")
        if not rel:
            return True
        return not m.lower_hidden(rel) and _exists_beneath(m.root_dir().lower, rel[1:])

    def merged_names(self, node):
        """Overlay: the names of a directory as the guest sees them ({name: lstat or
        None}), or None if the directory is not merged (a plain host listing is right)."""
        m = node.mount
        if m is None or not m.is_overlay:
            return None
        rel = m.rel(node.guest.rstrip("/") or "/")
        names = {}
        hd = self.dir_at(m, rel)
        try:
            if hd.fd is not None:
                for name, st in _listing(hd.fd):
                    if not name.startswith(WHITEOUT):
                        names[name] = st
            if hd.lower is not None and rel not in m.opaque and not m.lower_hidden(rel):
                for name, st in _listing(hd.lower):
                    if name not in names and (rel + "/" + name) not in m.whiteouts:
                        names[name] = st
        except OSError as e:
            raise SyscallError(e.errno) from None
        return names

    def listing_with_mount_points(self, node, names):
        """A directory's names plus the mount points (and directories on the way to
        them) it holds that its host directory lacks: `ls /` shows a `--tmpfs /work`.
        names: {name: lstat}, or None for the plain host listing. Returns the
        new dict, or None when nothing is missing."""
        children = self.mount_children.get(node.guest)
        if not children:
            return names
        if names is None:
            try:
                fd = node.pin()
                try:
                    names = dict(_listing(fd))
                finally:
                    os.close(fd)
            except (OSError, SyscallError):
                return None
        missing = False
        for name, guest in children.items():
            if name not in names:
                try:
                    target = self.walk(None, "/", guest, True)
                    if isinstance(target, HostPath):
                        names[name] = target.st or target.lstat()
                        missing = True
                except SyscallError:
                    continue
        return names if missing or node.mount.is_overlay else None

    def _copy_up(self, m, rel):
        """Make `rel` (and its parents) exist in the overlay's upper: a copy of the
        lower's (data, mode, owner, times), all through directory fds."""
        root = m.root_dir()
        if not rel or _exists_beneath(root.fd, rel[1:]):
            return
        parent, name = rel[:rel.rfind("/")], rel[rel.rfind("/") + 1:]
        self._copy_up(m, parent)
        up = self._upper_dir(m, parent)
        try:
            low = HostDir(open_beneath(root.lower, parent[1:]) if parent else os.dup(root.lower))
            st = os.stat(name, dir_fd=low.fd, follow_symlinks=False)
            if statmod.S_ISDIR(st.st_mode):
                os.mkdir(name, 0o700, dir_fd=up.fd)
            elif statmod.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(name, dir_fd=low.fd), name, dir_fd=up.fd)
            elif statmod.S_ISREG(st.st_mode):
                copy_file_data(low.fd, up.fd, name)
            else:
                os.mknod(name, st.st_mode, st.st_rdev, dir_fd=up.fd)
            if not statmod.S_ISLNK(st.st_mode):
                chmod_at(up.fd, name, statmod.S_IMODE(st.st_mode))
            try:
                os.chown(name, st.st_uid, st.st_gid, dir_fd=up.fd, follow_symlinks=False)
            except OSError:
                pass
            if not statmod.S_ISLNK(st.st_mode):
                # After the chown, which would drop security.capability again.
                copy_xattrs(low.fd, up.fd, name, self.own_session_dir and
                            m.upper.startswith(self.session_dir.rstrip("/") + "/"))
            os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=up.fd,
                     follow_symlinks=False)
        except OSError as e:
            raise SyscallError(e.errno) from None


def _listing(fd):
    """(name, lstat or None) of the host directory behind fd (an O_PATH fd is fine)."""
    dfd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
    try:
        out = []
        with os.scandir(dfd) as it:
            for e in it:
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    st = None
                out.append((e.name, st))
        return out
    finally:
        os.close(dfd)


def chmod_at(dirfd, name, mode):
    """chmod of a name, never through a symlink (one there now: EOPNOTSUPP): the
    kernel's /proc/PID/fd link of an O_PATH fd reaches exactly that inode."""
    fd = os.open(name, NODE_FLAGS, dir_fd=dirfd) if name else dirfd
    try:
        if statmod.S_ISLNK(os.fstat(fd).st_mode):
            raise OSError(errno.EOPNOTSUPP, "symlink")
        os.chmod(proc_fd_path(fd), mode)
    finally:
        if name:
            os.close(fd)


def _host_process_path(path):
    """A host /proc path of a process (the kernel's, a stub's, anyone's): a bind of the
    host's /proc shows its system files (uptime, meminfo...), never its processes, whose
    fd/, mem and root would be the host's and the kernel's own."""
    rest = path[len("/proc/"):] if path.startswith("/proc/") else ""
    first = rest.split("/", 1)[0]
    return first.isdigit() or first in ("self", "thread-self")


def _touch(dirfd, name):
    """An empty marker file (whiteout, opaque); the host's errno becomes the guest's."""
    try:
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC |
                         os.O_NOFOLLOW, 0o600, dir_fd=dirfd))
    except OSError as e:
        raise SyscallError(e.errno) from None


def sweep_stale_sessions(base):
    """Remove the session directories of kernels that died without cleaning up
    (SIGKILL): their names carry the kernel's pid."""
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) != 3 or parts[0] != "umlskas" or not parts[1].isdigit():
            continue
        try:
            os.kill(int(parts[1]), 0)
            continue                     # alive (or not ours to judge)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
        except OSError:
            continue


def copy_xattrs(srcdir, dstdir, name, private):
    """Overlay copy-up keeps the file's extended attributes (as ovl_copy_xattr); security.*
    and trusted.* only into a layer private to the kernel (see xattr.py: never onto a
    host-backed file, such as a kept upper directory). Both names are reached through
    O_PATH fds of their directories, so neither can be a symlink swapped in meanwhile."""
    src = os.open(name, NODE_FLAGS, dir_fd=srcdir)
    try:
        dst = os.open(name, NODE_FLAGS, dir_fd=dstdir)
    except OSError:
        os.close(src)
        raise
    try:
        # The kernel's /proc/PID/fd link of an O_PATH fd reaches exactly that inode.
        src_path, dst_path = proc_fd_path(src), proc_fd_path(dst)
        try:
            names = os.listxattr(src_path)
        except OSError:
            return
        for xname in names:
            if not private and xname.startswith(("security.", "trusted.")):
                continue
            try:
                os.setxattr(dst_path, xname, os.getxattr(src_path, xname))
            except OSError:
                pass            # a name the upper's filesystem does not take
    finally:
        os.close(src)
        os.close(dst)


def copy_file_data(srcdir, dstdir, name):
    """Copy the regular file `name` from one host directory fd to a new file in
    another, in the host kernel (copy_file_range/sendfile)."""
    fin = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=srcdir)
    try:
        fout = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW |
                       os.O_CLOEXEC, 0o600, dir_fd=dstdir)
        try:
            size = os.fstat(fin).st_size
            done = 0
            while done < size:
                try:
                    n = os.copy_file_range(fin, fout, size - done)
                except OSError:
                    n = os.sendfile(fout, fin, None, size - done)
                if n <= 0:
                    break
                done += n
        finally:
            os.close(fout)
    finally:
        os.close(fin)


SEARCH_CAPS = 1 << CAP_DAC_READ_SEARCH | 1 << CAP_DAC_OVERRIDE


def may_access(creds, st, mask):
    """generic_permission: may these credentials read (4), write (2), exec/search (1)?
    The mode bits first, then the DAC overrides of the effective capabilities."""
    mode = st.st_mode
    if creds.fsuid == st.st_uid:
        bits = (mode >> 6) & 7
    elif creds.fsgid == st.st_gid or st.st_gid in creds.groups:
        bits = (mode >> 3) & 7
    else:
        bits = mode & 7
    if bits & mask == mask:
        return True
    caps = creds.cap_eff
    if statmod.S_ISDIR(mode):
        # DACs are overridable for directories; reading and searching by READ_SEARCH.
        if not mask & 2 and caps >> CAP_DAC_READ_SEARCH & 1:
            return True
        return bool(caps >> CAP_DAC_OVERRIDE & 1)
    if mask == 4 and caps >> CAP_DAC_READ_SEARCH & 1:
        return True
    # Executing needs at least one exec bit, even with CAP_DAC_OVERRIDE.
    if not mask & 1 or mode & 0o111:
        return bool(caps >> CAP_DAC_OVERRIDE & 1)
    return False


def default_mounts(vfs):
    """What a launcher's user expects: the host tree as it is, with the kernel's own
    /proc and /dev, and a private /dev/shm."""
    return standard_mounts(vfs, Mount("/", host_fstype("/"), "/", host="/"))


def standard_mounts(vfs, root):
    """root, then /proc, /dev and /dev/shm on it."""
    mounts = [root, Mount("/proc", "proc", "proc", synth=vfs.procfs)]
    if vfs.devfs is not None:
        mounts.append(Mount("/dev", "devtmpfs", "udev", synth=vfs.devfs))
    mounts.append(vfs.tmpfs("/dev/shm"))
    return mounts


def _real_dir(host, what):
    path = os.path.realpath(host)
    if not os.path.isdir(path) and what != "bind":
        raise ValueError(f"{what} source {host!r} is not a directory")
    if not os.path.exists(path):
        raise ValueError(f"{what} source {host!r} does not exist")
    return path


def configured_mounts(vfs, specs, root=None, sandbox=False):
    """The mount table a command line asks for, in its order (as bwrap applies them).

    specs: (kind, host, guest, upper) with kind "bind", "ro-bind", "tmpfs" or "overlay";
    root: the host directory seen as / (default: the host's /);
    sandbox: / is an overlay of root (writes stay in memory) with a private /tmp."""
    base = _real_dir(root or "/", "root")
    if sandbox:
        top = Mount("/", "overlay", "overlay", host=base, upper=vfs.new_layer_dir("root"))
    else:
        top = Mount("/", host_fstype(base), base, host=base)
    mounts = standard_mounts(vfs, top)
    if sandbox:
        mounts.append(vfs.tmpfs("/tmp"))
    for kind, host, guest, upper in specs:
        guest = "/" + "/".join(c for c in guest.split("/") if c and c != ".")
        if ".." in guest.split("/"):
            raise ValueError(f"mount point {guest!r} must not contain '..'")
        if kind == "tmpfs":
            mounts.append(vfs.tmpfs(guest))
        elif kind == "overlay":
            lower = _real_dir(host, "overlay")
            if upper:
                os.makedirs(upper, exist_ok=True)
                up = os.path.realpath(upper)
            else:
                up = vfs.new_layer_dir(guest)
            mounts.append(Mount(guest, "overlay", "overlay", host=lower, upper=up))
        else:
            src = _real_dir(host, "bind")
            mounts.append(Mount(guest, host_fstype(src), src, host=src,
                                readonly=kind == "ro-bind"))
    return mounts
