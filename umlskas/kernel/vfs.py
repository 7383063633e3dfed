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

The result of a lookup is a HostPath (a host path free of symlinks, with the
guest path and the mount it lies in), a FileNode (an open file), or a node of
a synthetic tree. Because only the kernel changes the tree on the guest's
behalf and it does so between two of its own steps, a guest cannot swap a
symlink in between a resolution and the host operation that uses it.
"""

import errno
import json
import os
import re
import shutil
import stat as statmod
import tempfile

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


class HostPath:
    """A resolved name: its host path (no symlinks in it), guest path and mount.

    exists is False for a missing last component (something may be created there)."""

    __slots__ = ("path", "guest", "mount", "exists", "st")

    def __init__(self, path, guest=None, mount=None, exists=True, st=None):
        self.path = path
        self.guest = path if guest is None else guest
        self.mount = mount
        self.exists = exists
        self.st = st                    # its lstat, when the walk took one


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
                 "identity", "host_proc")

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
        self.identity = point == "/" and host == "/" and upper is None   # guest path = host path
        self.host_proc = host is not None and (host == "/proc" or host.startswith("/proc/"))
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

    def locate(self, rel):
        """Host path of `rel` in this mount, and whether it exists (None: not looked at)."""
        host = self.lower_path(rel)
        if self.host_proc and _host_process_path(host):
            raise SyscallError(errno.ENOENT)
        if not self.is_overlay:
            return host, None
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

    def in_upper(self, path):
        return self.is_overlay and (path == self.upper or path.startswith(self.upper + "/"))


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
                    os.path.isdir(node.path):
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
        self.mount_cache.clear()
        self.sorted_mounts = sorted(reversed(self.mounts), key=lambda x: -len(x.point))
        while guest != "/":
            parent = guest[:guest.rfind("/")] or "/"
            self.mount_children.setdefault(parent, {})[guest[guest.rfind("/") + 1:]] = guest
            guest = parent

    def is_mount_point(self, guest):
        return any(m.point == guest for m in self.mounts)

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
        """Remove this kernel's tmpfs and overlay uppers."""
        if self.own_session_dir and self.session_dir:
            shutil.rmtree(self.session_dir, ignore_errors=True)
            self.session_dir = None

    # ---- resolution --------------------------------------------------------------

    def base_dir(self, task, dirfd):
        """The guest directory a relative path starts from."""
        if dirfd == AT_FDCWD:
            return task.fs.cwd
        file = task.files.get(dirfd)
        path = self.dir_path_of(file)
        if path is None:
            raise SyscallError(errno.ENOTDIR)
        return path

    @staticmethod
    def dir_path_of(file):
        mode = getattr(file, "mode", None)
        if mode is not None:
            return file.path if statmod.S_ISDIR(mode) else None
        return file.path if getattr(file, "entries", None) is not None else None

    def lookup(self, task, dirfd, path, follow=True, empty_ok=False, resolve=0):
        """Resolve `path` (bytes) relative to dirfd; returns HostPath, FileNode or a node.
        resolve: openat2's RESOLVE_* flags."""
        if not path:
            if not empty_ok:
                raise SyscallError(errno.ENOENT)
            if dirfd == AT_FDCWD:
                return self.walk(task, task.fs.cwd, ".", True)
            return FileNode(task.files.get(dirfd))
        try:
            text = os.fsdecode(path)
        except UnicodeError:
            raise SyscallError(errno.EINVAL) from None
        top = task.fs.root if task is not None else "/"
        if resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT):
            base = self.base_dir(task, dirfd)
            if text[0] == "/" and resolve & RESOLVE_BENEATH:
                raise SyscallError(errno.EXDEV)
            return self.walk(task, base, text, follow, top=base, resolve=resolve)
        if text[0] == "/":
            return self.walk(task, top, text, follow, top=top, resolve=resolve)
        return self.walk(task, self.base_dir(task, dirfd), text, follow, top=top,
                         resolve=resolve)

    def walk(self, task, cur, path, follow, top="/", resolve=0):
        """Component-by-component resolution; see the module docstring. `top` is the
        directory `..` and absolute symlinks stop at (the root, a chroot, RESOLVE_IN_ROOT)."""
        # "dir/", "dir/." and "dir/.." must name a directory (ENOTDIR otherwise).
        trailing_slash = path.endswith(("/", "/.", "/..")) and path.strip("/") != ""
        todo = [c for c in path.split("/") if c and c != "."]
        todo.reverse()
        if trailing_slash:
            follow = True
        if path.startswith("/"):
            cur = top
        links = 0
        host = None                      # host path of cur, once known
        final_st = None
        creds = getattr(task, "creds", None)
        searcher = creds if creds is not None and creds.fsuid != 0 else None
        while todo:
            comp = todo.pop()
            if comp == "..":
                if cur == top:
                    if resolve & RESOLVE_BENEATH:
                        raise SyscallError(errno.EXDEV)
                    continue
                parent = cur[:cur.rfind("/")] or "/"
                if resolve & RESOLVE_NO_XDEV and self.mount_at(parent) is not self.mount_at(cur):
                    raise SyscallError(errno.EXDEV)
                cur = parent
                host = None
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
                    host = None
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
                cur, host = dirpath, None
                continue
            if m.identity:
                hp, exists = nxt, None
            else:
                hp, exists = m.locate(m.rel(nxt))
            if last and not follow:
                return HostPath(hp + "/" if trailing_slash else hp, nxt, m, exists)
            if exists is False:
                if last:
                    return HostPath(hp + "/" if trailing_slash else hp, nxt, m, False)
                raise SyscallError(errno.ENOENT)
            try:
                st = os.lstat(hp)
            except OSError as e:
                if e.errno == errno.ENOENT and last:
                    return HostPath(hp + "/" if trailing_slash else hp, nxt, m, False)
                raise SyscallError(e.errno) from None
            if statmod.S_ISLNK(st.st_mode):
                links += 1
                if links > MAX_SYMLINKS or resolve & RESOLVE_NO_SYMLINKS:
                    raise SyscallError(errno.ELOOP)
                target = os.readlink(hp)
                if target.startswith("/"):
                    if resolve & RESOLVE_BENEATH:
                        raise SyscallError(errno.EXDEV)
                    cur = top
                todo.extend(reversed([c for c in target.split("/") if c and c != "."]))
                host = None
                continue
            if not last:
                if not statmod.S_ISDIR(st.st_mode):
                    raise SyscallError(errno.ENOTDIR)
                if searcher is not None and not may_access(searcher, st, 1):
                    raise SyscallError(errno.EACCES)
            else:
                final_st = st
                if trailing_slash:
                    hp += "/"
            cur, host = nxt, hp
        # The walk ended on a directory already reached (".", "..", "/", a cwd).
        m = self.mount_at(cur)
        if m.synth is not None:
            if cur == m.point:
                return m.synth.root_node(task)
            node = m.synth.step(task, cur, False)
            if isinstance(node, str):
                return self.walk(task, top, node, True, top=top)
            return node
        if host is None:
            host, exists = m.locate(m.rel(cur))
            if exists is False:
                raise SyscallError(errno.ENOENT)
            final_st = None
        return HostPath(host, cur, m, True, final_st)

    # ---- changing the tree (what fs.py calls before a host operation) ---------------

    def writable(self, node):
        """The host path to modify an existing file at (EROFS, overlay copy-up)."""
        m = node.mount
        if m is None:
            return node.path
        if m.readonly:
            raise SyscallError(errno.EROFS)
        if m.is_overlay and not m.in_upper(node.path):
            node.path = self._copy_up(m, m.rel(node.guest))
        return node.path

    def check_writable_mount(self, node):
        m = getattr(node, "mount", None)
        if m is not None and m.readonly:
            raise SyscallError(errno.EROFS)

    def creatable(self, node):
        """The host path to create a new name at (EROFS; overlay: parent copied up,
        whiteout dropped)."""
        m = node.mount
        if m is None:
            return node.path
        if m.readonly:
            raise SyscallError(errno.EROFS)
        if m.is_overlay:
            rel = m.rel(node.guest)
            parent = rel[:rel.rfind("/")]
            self._copy_up(m, parent)
            name = rel[rel.rfind("/") + 1:]
            if rel in m.whiteouts:
                try:
                    os.unlink(m.upper + parent + "/" + WHITEOUT + name)
                except FileNotFoundError:
                    pass
                m.whiteouts.discard(rel)
                node.exists = "whiteout"     # a directory made here hides the lower
            node.path = m.upper + rel
        return node.path

    def created_dir(self, node):
        """After mkdir: over a whited-out name, the new directory hides the lower one."""
        m = node.mount
        if m is not None and m.is_overlay and node.exists == "whiteout":
            rel = m.rel(node.guest)
            _touch(m.upper + rel + "/" + OPAQUE)
            m.opaque.add(rel)

    def removed(self, node, was_in_lower):
        """After a name was removed from the upper: hide the lower's copy too."""
        m = node.mount
        if m is None or not m.is_overlay or not was_in_lower:
            return
        rel = m.rel(node.guest)
        parent, name = rel[:rel.rfind("/")], rel[rel.rfind("/") + 1:]
        self._copy_up(m, parent)
        _touch(m.upper + parent + "/" + WHITEOUT + name)
        m.whiteouts.add(rel)

    def lower_exists(self, node):
        """Overlay: is this name present in the lower layer (and not hidden)?"""
        m = node.mount
        if m is None or not m.is_overlay:
            return False
        rel = m.rel(node.guest)
        return not m.lower_hidden(rel) and os.path.lexists(m.lower_path(rel))

    def merged_names(self, node):
        """Overlay: the names of a directory as the guest sees them, or None if the
        directory is not merged (a plain host directory listing is right)."""
        m = node.mount
        if m is None or not m.is_overlay:
            return None
        rel = m.rel(node.guest)
        names = {}
        upper = m.upper + rel
        try:
            if os.path.isdir(upper):
                for e in os.scandir(upper):
                    if not e.name.startswith(WHITEOUT):
                        names[e.name] = upper + "/" + e.name
            lower = m.lower_path(rel)
            if rel not in m.opaque and not m.lower_hidden(rel) and os.path.isdir(lower):
                for e in os.scandir(lower):
                    if e.name not in names and (rel + "/" + e.name) not in m.whiteouts:
                        names[e.name] = lower.rstrip("/") + "/" + e.name
        except OSError as e:
            raise SyscallError(e.errno) from None
        return names

    def listing_with_mount_points(self, node, names):
        """A directory's names plus the mount points (and directories on the way to
        them) it holds that its host directory lacks: `ls /` shows a `--tmpfs /work`.
        names: {name: host path}, or None for the plain host listing. Returns the
        new dict, or None when nothing is missing."""
        children = self.mount_children.get(node.guest)
        if not children:
            return names
        if names is None:
            try:
                names = {e.name: e.path for e in os.scandir(node.path)}
            except OSError:
                return None
        missing = False
        for name, guest in children.items():
            if name not in names:
                try:
                    target = self.walk(None, "/", guest, True)
                except SyscallError:
                    continue
                if isinstance(target, HostPath):
                    names[name] = target.path
                    missing = True
        return names if missing or node.mount.is_overlay else None

    def _copy_up(self, m, rel):
        """Make `rel` (and its parents) exist in the overlay's upper; returns its path."""
        upper = m.upper + rel
        if os.path.lexists(upper):
            return upper
        if rel:
            self._copy_up(m, rel[:rel.rfind("/")])
        lower = m.lower_path(rel)
        try:
            st = os.lstat(lower)
        except OSError as e:
            raise SyscallError(e.errno) from None
        try:
            if statmod.S_ISDIR(st.st_mode):
                os.mkdir(upper, 0o700)
            elif statmod.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(lower), upper)
            elif statmod.S_ISREG(st.st_mode):
                copy_file_data(lower, upper)
            else:
                os.mknod(upper, st.st_mode, st.st_rdev)
            if not statmod.S_ISLNK(st.st_mode):
                os.chmod(upper, statmod.S_IMODE(st.st_mode))
            try:
                os.chown(upper, st.st_uid, st.st_gid, follow_symlinks=False)
            except OSError:
                pass
            # After the chown, which would drop security.capability again.
            copy_xattrs(lower, upper, self.own_session_dir and
                        upper.startswith(self.session_dir.rstrip("/") + "/"))
            os.utime(upper, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
        except OSError as e:
            raise SyscallError(e.errno) from None
        return upper


def _host_process_path(path):
    """A host /proc path of a process (the kernel's, a stub's, anyone's): a bind of the
    host's /proc shows its system files (uptime, meminfo...), never its processes, whose
    fd/, mem and root would be the host's and the kernel's own."""
    rest = path[len("/proc/"):] if path.startswith("/proc/") else ""
    first = rest.split("/", 1)[0]
    return first.isdigit() or first in ("self", "thread-self")


def _touch(path):
    """An empty marker file (whiteout, opaque); the host's errno becomes the guest's."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600))
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


def copy_xattrs(src, dst, private):
    """Overlay copy-up keeps the file's extended attributes (as ovl_copy_xattr); security.*
    and trusted.* only into a layer private to the kernel (see xattr.py: never onto a
    host-backed file, such as a kept upper directory)."""
    try:
        names = os.listxattr(src, follow_symlinks=False)
    except OSError:
        return
    for name in names:
        if not private and name.startswith(("security.", "trusted.")):
            continue
        try:
            os.setxattr(dst, name, os.getxattr(src, name, follow_symlinks=False),
                        follow_symlinks=False)
        except OSError:
            pass            # a name the upper's filesystem does not take


def copy_file_data(src, dst):
    """Copy a regular file's bytes in the host kernel (copy_file_range/sendfile)."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        size = os.fstat(fin.fileno()).st_size
        done = 0
        while done < size:
            try:
                n = os.copy_file_range(fin.fileno(), fout.fileno(), size - done)
            except OSError:
                n = os.sendfile(fout.fileno(), fin.fileno(), None, size - done)
            if n <= 0:
                break
            done += n


def may_access(creds, st, mask):
    """generic_permission: may these credentials read (4), write (2), exec/search (1)?"""
    mode = st.st_mode
    if creds.fsuid == 0:
        # CAP_DAC_OVERRIDE: anything but executing a file no one may execute.
        return not mask & 1 or statmod.S_ISDIR(mode) or mode & 0o111
    if creds.fsuid == st.st_uid:
        bits = (mode >> 6) & 7
    elif creds.fsgid == st.st_gid or st.st_gid in creds.groups:
        bits = (mode >> 3) & 7
    else:
        bits = mode & 7
    return bits & mask == mask


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
