"""File-system change notification: the marks inotify and dnotify put on inodes, and the hooks.

How it works (Linux's fs/notify/fsnotify.c): a mark is kept per watched inode,
keyed by its host (st_dev, st_ino). The kernel's own operations for its guests
(open, read, write, close, create, unlink, rename, chmod/chown/utimes, xattrs,
truncate) call the small hooks below after they succeed; a hook finds the marks
on the inode itself (an event without a name) and on its directory (the same
event with the child's name: Linux's fsnotify_parent), and on the directory a
name was made in, removed from or moved between. Nothing is computed while no
mark exists anywhere, so the hooks cost one attribute test then. Changes the
host makes to the files behind the kernel's back are not seen.
"""

import errno
import os
import stat as statmod

from . import changes
from .errors import SyscallError

IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE, IN_OPEN = (
    0x1, 0x2, 0x4, 0x8, 0x10, 0x20)
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_MOVE_SELF = (
    0x40, 0x80, 0x100, 0x200, 0x400, 0x800)
IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED = 0x2000, 0x4000, 0x8000
IN_ISDIR = 0x40000000
IN_ALL_EVENTS = 0xFFF
# Events a directory's mark also gets for its children, with the child's name.
CHILD_EVENTS = IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN


class Notifier:
    """The kernel's marks: inode key -> [mark]. A mark has .key and
    .handle(notifier, mask, name, cookie, self_event, child)."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.marks = {}
        self.cookies = 0

    def add(self, mark):
        self.marks.setdefault(mark.key, []).append(mark)
        _attach_open_files(self.kernel, self)

    def remove(self, mark):
        marks = self.marks.get(mark.key)
        if marks and mark in marks:
            marks.remove(mark)
            if not marks:
                del self.marks[mark.key]

    def cookie(self):
        self.cookies = (self.cookies + 1) & 0xFFFFFFFF or 1
        return self.cookies

    def send(self, key, mask, name=None, cookie=0, child=None):
        """Deliver one event to the marks on `key`; name set: an event about the entry
        `name` of that directory (child: the open file or unlinked state it came from)."""
        for mark in list(self.marks.get(key, ())):
            mark.handle(self, mask, name, cookie, child)

    def inode_event(self, key, parent, mask, child=None):
        """An event on an inode: its directory's marks (with the name) first, as
        fsnotify_handle_event does, then its own. parent: (dir key, name) or None."""
        if parent is not None and mask & CHILD_EVENTS and parent[0] in self.marks:
            self.send(parent[0], mask, parent[1], 0, child)
        if key in self.marks:
            self.send(key, mask, None, 0, child)


def notifier(kernel, create=False):
    n = getattr(kernel, "fsnotify", None)
    if n is None and create:
        n = kernel.fsnotify = Notifier(kernel)
    return n


def _active(kernel):
    n = getattr(kernel, "fsnotify", None)
    return n if n is not None and n.marks else None


def _attach_open_files(kernel, n):
    """Open host files learn of the notifier (their reads, writes and close report)."""
    for task in list(kernel.tasks.values()):
        files = getattr(task, "files", None)
        if files is None:
            continue
        for file in files.files.values():
            if file.host_fd is not None and getattr(file, "fsnotify", None) is None:
                file.fsnotify = n


def key_of_st(st):
    return (st.st_dev, st.st_ino)


def node_key(node):
    """(key, is_dir) of a vfs.HostPath that exists, or (None, False)."""
    try:
        st = node.st or node.lstat()
    except (SyscallError, OSError):
        return None, False
    return key_of_st(st), statmod.S_ISDIR(st.st_mode)


def parent_of(node):
    """(the key of the directory holding node, its name there) or None."""
    if getattr(node, "magic", False) or not node.name or node.dirfd is None:
        return None
    try:
        return key_of_st(os.fstat(node.dirfd)), os.fsencode(node.name)
    except (OSError, TypeError):
        return None


def _file_key(file):
    try:
        st = os.fstat(file.host_fd)
    except (OSError, TypeError):
        return None, False, 1
    return key_of_st(st), statmod.S_ISDIR(st.st_mode), st.st_nlink


def _file_parent(task, file):
    """The directory an open file was opened in, and its name there: recorded at open
    while marks existed, else found again from the name it was opened by."""
    parent = getattr(file, "fsn_parent", None)
    if parent is not None:
        return parent
    vnode = file.vnode
    guest = getattr(vnode, "guest", None) if vnode is not None else file.path   # (a FIFO's)
    parent = _parent_by_guest(task, guest if isinstance(guest, str) else None)
    if parent is not None:
        file.fsn_parent = parent
    return parent


def _parent_by_guest(task, guest):
    """(directory key, name) of a guest path, walking to its directory again."""
    if not guest or not guest.startswith("/") or task is None:
        return None
    guest = guest.rstrip("/")
    cut = guest.rfind("/")
    name = guest[cut + 1:]
    if not name:
        return None
    try:
        node = task.kernel.vfs.walk(task, "/", guest[:cut] or "/", True)
        st = node.lstat()
    except (SyscallError, OSError, AttributeError):
        return None
    return key_of_st(st), os.fsencode(name)


# ---- hooks (each a no-op while there are no marks) ------------------------------

def opened(task, file, node, created, truncated=False):
    """open(2) of a host file: IN_CREATE in its directory if it made it, then IN_OPEN."""
    if getattr(task.kernel, "change_journal", None) is not None:
        changes.opened(task.kernel, file, node, created, truncated)
    n = getattr(task.kernel, "fsnotify", None)
    if n is None or file.host_fd is None:
        return
    file.fsnotify = n
    if not n.marks:
        return
    if file.flags & 0o10000000:          # O_PATH: no events (FMODE_PATH)
        return
    parent = _file_parent(task, file)
    key, isdir, _ = _file_key(file)
    if created and parent is not None:
        n.send(parent[0], IN_CREATE, parent[1])
    n.inode_event(key, parent, IN_OPEN | (IN_ISDIR if isdir else 0), file)
    if truncated and not created:
        n.inode_event(key, parent, IN_MODIFY, file)      # handle_truncate after the open


def remember_parent(task, file, node):
    """open_host, while the walk's directory fd is still there: the directory and name
    the file's events are also reported to."""
    if _active(task.kernel) is not None:
        parent = parent_of(node)
        if parent is not None:
            file.fsn_parent = parent


def file_event(file, mask, task=None):
    """read/write (IN_ACCESS, IN_MODIFY) and the like on an open host file."""
    n = getattr(file, "fsnotify", None)
    if n is None or not n.marks or file.flags & 0o10000000:
        return
    if mask & (IN_ACCESS | IN_MODIFY) and statmod.S_ISFIFO(getattr(file, "mode", 0)):
        return                           # a FIFO's reads and writes are not reported
    task = task or n.kernel.current
    key, isdir, _ = _file_key(file)
    n.inode_event(key, _file_parent(task, file), mask | (IN_ISDIR if isdir else 0), file)


def closed(file):
    """The last reference to an open host file went: IN_CLOSE_WRITE or _NOWRITE, and an
    unlinked inode's IN_DELETE_SELF once nothing holds it open (called before the host
    fd is closed)."""
    n = getattr(file, "fsnotify", None)
    if n is None or not n.marks or file.flags & 0o10000000:
        return
    key, isdir, nlink = _file_key(file)
    mask = IN_CLOSE_WRITE if file.flags & 3 else IN_CLOSE_NOWRITE
    n.inode_event(key, _file_parent(n.kernel.current, file), mask | (IN_ISDIR if isdir else 0),
                  file)
    if nlink == 0 and key in n.marks and not _open_elsewhere(n.kernel, key, file):
        _delete_self(n, key)


def _open_elsewhere(kernel, key, but=None):
    for task in list(kernel.tasks.values()):
        files = getattr(task, "files", None)
        if files is None:
            continue
        for f in files.files.values():
            if f is not but and f.host_fd is not None and not f.flags & 0o10000000:
                try:
                    st = os.fstat(f.host_fd)
                except OSError:
                    continue
                if key_of_st(st) == key:
                    return True
    return False


def _delete_self(n, key):
    n.send(key, IN_DELETE_SELF)
    for mark in list(n.marks.get(key, ())):
        mark.gone(n)


def node_event(task, node, mask):
    """A change made through a name (chmod, chown, utimes, truncate, setxattr)."""
    if mask & (IN_MODIFY | IN_ATTRIB):
        changes.node_changed(task.kernel, node)
    n = _active(task.kernel)
    if n is None:
        return
    if getattr(node, "file", None) is not None:      # a FileNode: the open file itself
        file_event(node.file, mask, task)
        return
    key, isdir = node_key(node)
    if key is not None:
        n.inode_event(key, parent_of(node), mask | (IN_ISDIR if isdir else 0))


def stat_event(task, st, node, mask):
    """A change to the inode `st` describes, reached by `node` (xattrs)."""
    if node is not None:
        changes.node_changed(task.kernel, node)
    n = _active(task.kernel)
    if n is None or st is None:
        return
    parent = parent_of(node) if node is not None and getattr(node, "dirfd", None) is not None \
        else None
    if parent is None and node is not None:
        parent = _parent_by_guest(task, getattr(node, "guest", None))
    n.inode_event(key_of_st(st), parent, mask | (IN_ISDIR if statmod.S_ISDIR(st.st_mode) else 0))


def before_remove(task, node):
    """What an unlink or rmdir needs to report, taken before the name goes (the last
    item: the guest path, for the change journal)."""
    n = _active(task.kernel)
    if n is None:
        return None if changes.of(task.kernel) is None else (None, False, None, 1, node.guest)
    key, isdir = node_key(node)
    try:
        nlink = (node.st or node.lstat()).st_nlink
    except (SyscallError, OSError):
        nlink = 1
    return key, isdir, parent_of(node), nlink, node.guest


def removed(task, token):
    """unlink/rmdir done: IN_ATTRIB (the link count) of a file, the inode's IN_DELETE_SELF
    when it is gone, then IN_DELETE in its directory (vfs_unlink, d_delete_notify)."""
    if token is None:
        return
    changes.removed(task.kernel, token[4])
    n = _active(task.kernel)
    if n is None:
        return
    key, isdir, parent, nlink, _ = token
    if not isdir and key in n.marks:
        n.send(key, IN_ATTRIB)
    if key in n.marks and (isdir or (nlink <= 1 and not _open_elsewhere(n.kernel, key))):
        _delete_self(n, key)
    if parent is not None:
        n.send(parent[0], IN_DELETE | (IN_ISDIR if isdir else 0), parent[1])


def created(task, node):
    """mkdir, mknod, symlink, link: IN_CREATE in the directory."""
    changes.created(task.kernel, node)
    n = _active(task.kernel)
    if n is None:
        return
    node.st = None
    isdir = node_key(node)[1]
    parent = parent_of(node)
    if parent is not None:
        n.send(parent[0], IN_CREATE | (IN_ISDIR if isdir else 0), parent[1])


def linked(task, old, new):
    """link(2): IN_ATTRIB on the inode (its link count), then IN_CREATE (fsnotify_link)."""
    n = _active(task.kernel)
    if n is None:
        changes.created(task.kernel, new)
        return
    key, _ = node_key(old) if getattr(old, "file", None) is None else _file_key(old.file)[:2]
    if key in n.marks:
        n.send(key, IN_ATTRIB)
    created(task, new)


def before_rename(task, old, new, flags=0):
    """What a rename needs to report, taken before it (the last item: the change
    journal's guest paths, whether new was replaced, RENAME_EXCHANGE)."""
    n = _active(task.kernel)
    moved = (old.guest, new.guest, bool(new.exists), bool(flags & RENAME_EXCHANGE), new)
    if n is None:
        return None if changes.of(task.kernel) is None else (None, False, None, None, None,
                                                             moved)
    key, isdir = node_key(old)
    target = node_key(new)[0] if new.exists else None
    return key, isdir, parent_of(old), parent_of(new), target, moved


def renamed(task, token):
    """rename done: IN_MOVED_FROM and IN_MOVED_TO with one cookie, IN_ATTRIB of a
    replaced inode, IN_MOVE_SELF of the moved one (fsnotify_move)."""
    if token is None:
        return
    changes.renamed(task.kernel, *token[5])
    n = _active(task.kernel)
    if n is None:
        return
    key, isdir, oldp, newp, target, _ = token
    cookie = n.cookie()
    flag = IN_ISDIR if isdir else 0
    if oldp is not None:
        n.send(oldp[0], FS_RENAME | flag, oldp[1])         # dnotify's DN_RENAME
        n.send(oldp[0], IN_MOVED_FROM | flag, oldp[1], cookie)
    if newp is not None:
        n.send(newp[0], IN_MOVED_TO | flag, newp[1], cookie)
    if target is not None and target in n.marks:
        n.send(target, IN_ATTRIB)
    if key is not None and key in n.marks:
        n.send(key, IN_MOVE_SELF)        # self events carry no IN_ISDIR
    if key is not None and newp is not None:
        _rename_open_files(n.kernel, key, newp)


def _rename_open_files(kernel, key, newp):
    """Open files of a renamed inode report to its new directory, by its new name (the
    dentry Linux's events follow)."""
    for task in list(kernel.tasks.values()):
        files = getattr(task, "files", None)
        if files is None:
            continue
        for f in files.files.values():
            if f.host_fd is None:
                continue
            try:
                st = os.fstat(f.host_fd)
            except OSError:
                continue
            if key_of_st(st) == key:
                f.fsn_parent = newp


def times_event(ns, omit):
    """utimensat: both times is IN_ATTRIB, atime alone IN_ACCESS, mtime alone IN_MODIFY
    (fsnotify_change)."""
    if ns is None or (ns[1] != omit and ns[3] != omit):
        return IN_ATTRIB
    return IN_ACCESS if ns[3] == omit else IN_MODIFY


# ---- dnotify (F_NOTIFY) -------------------------------------------------------------

DN_ACCESS, DN_MODIFY, DN_CREATE, DN_DELETE, DN_RENAME, DN_ATTRIB = 1, 2, 4, 8, 0x10, 0x20
DN_MULTISHOT = 0x80000000
FS_RENAME = 0x10000000            # fsnotify's rename event, sent to the old directory
RENAME_EXCHANGE = 2


def _dn_mask(arg):
    """convert_arg: DN_* to the fsnotify events each one stands for."""
    mask = 0
    if arg & DN_DELETE:
        mask |= IN_DELETE | IN_MOVED_FROM
    if arg & DN_MODIFY:
        mask |= IN_MODIFY
    if arg & DN_ACCESS:
        mask |= IN_ACCESS
    if arg & DN_ATTRIB:
        mask |= IN_ATTRIB
    if arg & DN_RENAME:
        mask |= FS_RENAME
    if arg & DN_CREATE:
        mask |= IN_CREATE | IN_MOVED_TO
    return mask


class DnotifyEntry:
    """struct dnotify_struct: one open directory's request, made through one fd table."""

    def __init__(self, key, file, fd, mask, multishot, table):
        self.key = key
        self.file = file
        self.fd = fd
        self.mask = mask
        self.multishot = multishot
        self.table = table

    def handle(self, notifier, mask, name, cookie, child):
        if not mask & self.mask:
            return
        from . import fown
        own = getattr(self.file, "fown", None)
        if own is not None and own.pid:
            fown.send_sigio(notifier.kernel, own, self.fd, fown.POLL_MSG)
        if not self.multishot:
            notifier.remove(self)
            _entries(self.file).remove(self)

    def gone(self, notifier):
        notifier.remove(self)
        entries = _entries(self.file)
        if self in entries:
            entries.remove(self)


def _entries(file):
    entries = getattr(file, "dnotify", None)
    if entries is None:
        entries = file.dnotify = []
    return entries


def dnotify_flush(file, table):
    """filp_close's dnotify_flush: a close through this fd table ends its requests."""
    entries = getattr(file, "dnotify", None)
    if not entries:
        return
    for e in [e for e in entries if e.table is table]:
        entries.remove(e)
        e.notifier.remove(e)


def fcntl_notify(task, fd, file, arg):
    """fcntl(F_NOTIFY) (fcntl_dirnotify): a 0 mask removes this fd table's request
    (on any file); a directory gets one request per fd table whose events add up; the
    caller becomes the owner unless one is set."""
    arg &= 0xFFFFFFFF
    if not arg & ~DN_MULTISHOT:
        dnotify_flush(file, task.files)
        return 0
    try:
        st = file.stat()
    except SyscallError:
        raise SyscallError(errno.ENOTDIR) from None
    if not statmod.S_ISDIR(st.st_mode):
        raise SyscallError(errno.ENOTDIR)
    from . import fown
    own = fown.owner_of(file)
    if not own.pid:
        own.pid, own.type = task.tgid, fown.PIDTYPE_TGID
        own.uid, own.euid = task.creds.uid, task.creds.euid
    n = notifier(task.kernel, create=True)
    entries = _entries(file)
    for e in entries:
        if e.table is task.files:
            e.fd = fd
            e.mask |= _dn_mask(arg)
            e.multishot = e.multishot or bool(arg & DN_MULTISHOT)
            return 0
    e = DnotifyEntry(key_of_st(st), file, fd, _dn_mask(arg), bool(arg & DN_MULTISHOT), task.files)
    e.notifier = n
    entries.append(e)
    n.add(e)
    return 0
