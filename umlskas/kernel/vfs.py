"""Path resolution: guest paths to host paths or kernel-made /proc nodes.

How it works: the guest's view of the file tree is the host's, except /proc,
whose per-process parts are the kernel's own. The kernel resolves every path
itself, one component at a time (lstat, readlink, ELOOP after 40 links), so a
symlink such as /dev/fd -> /proc/self/fd lands in the kernel's /proc and never
in the host's /proc/self, which would be the kernel process. The result is a
canonical absolute host path the host can use without resolving links again,
or a node of the kernel's /proc.
"""

import errno
import os
import stat as statmod

from .errors import SyscallError

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200
AT_SYMLINK_FOLLOW = 0x400
AT_NO_AUTOMOUNT = 0x800
AT_EMPTY_PATH = 0x1000
AT_EACCESS = 0x200
MAX_SYMLINKS = 40


class HostPath:
    """A canonical host path (links resolved as asked)."""

    __slots__ = ("path",)

    def __init__(self, path):
        self.path = path


class FileNode:
    """Resolution ended on an open file itself (AT_EMPTY_PATH, a /proc/PID/fd/N link)."""

    __slots__ = ("file",)

    def __init__(self, file):
        self.file = file


class Vfs:
    """Resolves guest paths for one kernel; /proc/<pid> parts come from procfs."""

    def __init__(self, procfs):
        self.procfs = procfs

    def base_dir(self, task, dirfd):
        """The directory a relative path starts from."""
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

    def lookup(self, task, dirfd, path, follow=True, empty_ok=False):
        """Resolve `path` (bytes) relative to dirfd; returns HostPath, FileNode or a proc node."""
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
        if text[0] == "/":
            return self.walk(task, "/", text, follow)
        return self.walk(task, self.base_dir(task, dirfd), text, follow)

    def walk(self, task, cur, path, follow):
        """Component-by-component resolution; see the module docstring."""
        trailing_slash = path.endswith("/") and path.strip("/") != ""
        todo = [c for c in path.split("/") if c and c != "."]
        todo.reverse()
        if trailing_slash:
            follow = True
        links = 0
        procfs = self.procfs
        while todo:
            comp = todo.pop()
            if comp == "..":
                cur = os.path.dirname(cur) if cur != "/" else "/"
                continue
            nxt = cur + comp if cur == "/" else cur + "/" + comp
            last = not todo
            if nxt.startswith("/proc/"):
                node = procfs.step(task, nxt, last and not follow)
                if node is None:          # an ordinary host path under /proc
                    pass
                elif isinstance(node, str):   # a symlink target
                    links += 1
                    if links > MAX_SYMLINKS:
                        raise SyscallError(errno.ELOOP)
                    if node.startswith("/"):
                        cur = "/"
                    todo.extend(reversed([c for c in node.split("/") if c and c != "."]))
                    continue
                else:
                    if last:
                        return node
                    if isinstance(node, FileNode):
                        dirpath = self.dir_path_of(node.file)
                        if dirpath is None:
                            raise SyscallError(errno.ENOTDIR)
                        cur = dirpath
                        continue
                    cur = nxt
                    continue
            if last and not follow:
                cur = nxt
                break
            try:
                st = os.lstat(nxt)
            except OSError as e:
                if e.errno == errno.ENOENT and last:
                    cur = nxt
                    break
                raise SyscallError(e.errno) from None
            if statmod.S_ISLNK(st.st_mode):
                links += 1
                if links > MAX_SYMLINKS:
                    raise SyscallError(errno.ELOOP)
                target = os.readlink(nxt)
                if target.startswith("/"):
                    cur = "/"
                todo.extend(reversed([c for c in target.split("/") if c and c != "."]))
                continue
            if not last and not statmod.S_ISDIR(st.st_mode):
                raise SyscallError(errno.ENOTDIR)
            cur = nxt
        if cur.startswith("/proc/"):
            node = procfs.node(task, cur)
            if node is not None:
                return node
        return HostPath(cur + "/" if trailing_slash and cur != "/" else cur)
