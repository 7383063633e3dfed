"""The change journal: which guest paths a run created, modified or deleted, as the kernel did it.

How it works: the kernel's own operations on the file tree already report what they
changed to fsnotify's hooks (fsnotify.py: created, removed, renamed, chmod/chown/
utimes/truncate/xattr by name, open with O_CREAT or O_TRUNC); each hook also tells the
journal, by guest path. Data written through an open file is found without a cost per
write: a regular file opened for writing keeps its (size, mtime, ctime) from the open,
and its last close compares them with the file's again (a write, a truncate or an mmap
store all move ctime). The journal exists only once asked for (journal(kernel), which
`umlskas run` does for the API's Result.changes); until then every hook costs one
attribute test. Nothing of the host tree is ever listed or snapshotted: a run with
cwd "/" costs what its own writes cost.

The journal is a dict {guest path: [kind, host path or None]}, kind "created",
"modified" or "deleted", merged as the changes come (created then deleted is nothing,
deleted then created is modified), so it can be written out as JSON as it is. It is
bounded: past MAX_ENTRIES paths (or MAX_PATH_BYTES of them) an untrusted guest cannot
grow it further; OVERFLOW_KEY ("", never a guest path) then says changes were lost.
"""

import os
import stat as statmod

O_PATH = 0o10000000
MAX_ENTRIES = 100_000
MAX_PATH_BYTES = 16 << 20
OVERFLOW_KEY = ""


class ChangeJournal(dict):
    """guest path -> [kind, host path or None]; see the module docstring."""

    __slots__ = ("path_bytes",)

    def __init__(self):
        super().__init__()
        self.path_bytes = 0

    @property
    def overflowed(self):
        return OVERFLOW_KEY in self

    def _set(self, guest, kind, host):
        if guest in self:
            self[guest] = [kind, host]
            return
        if len(self) >= MAX_ENTRIES or self.path_bytes + len(guest) > MAX_PATH_BYTES:
            super().__setitem__(OVERFLOW_KEY, ["overflow", None])
            return
        self.path_bytes += len(guest)
        self[guest] = [kind, host]

    def _drop(self, guest):
        if self.pop(guest, None) is not None:
            self.path_bytes -= len(guest)

    def created(self, guest, host=None):
        before = self.get(guest)
        # A name deleted (or modified) earlier in the run existed before it: made
        # again, it is a modification of what was there.
        kind = "modified" if before is not None and before[0] != "created" else "created"
        self._set(guest, kind, host)

    def modified(self, guest, host=None):
        before = self.get(guest)
        if before is not None and before[0] == "created":
            self._set(guest, "created", host or before[1])
        else:
            self._set(guest, "modified", host or (before[1] if before else None))

    def deleted(self, guest):
        before = self.get(guest)
        if before is not None and before[0] == "created":
            self._drop(guest)            # made and removed within the run: no change
        else:
            self._set(guest, "deleted", None)

    def renamed(self, old, new, replaced, exchange=False, new_host=None):
        """rename(old, new): old's name is gone (exchange: both names hold other
        files now), new's is made or replaced; changes recorded below a renamed
        directory move with it."""
        if exchange:
            self.modified(old)
            self.modified(new, new_host)
            return
        prefix = old.rstrip("/") + "/"
        moved = [(p, v) for p, v in self.items() if p.startswith(prefix)]
        for p, v in moved:
            self._drop(p)
        self.deleted(old)
        if replaced:
            self.modified(new, new_host)
        else:
            self.created(new, new_host)
        target = new.rstrip("/") + "/"
        for p, (kind, host) in moved:
            if kind != "deleted":
                self._set(target + p[len(prefix):], kind, None)


def journal(kernel):
    """The kernel's change journal, started on first use."""
    j = getattr(kernel, "change_journal", None)
    if j is None:
        j = kernel.change_journal = ChangeJournal()
    return j


def of(kernel):
    """The kernel's change journal, or None if nobody asked for one."""
    return getattr(kernel, "change_journal", None)


def _guest(node):
    guest = getattr(node, "guest", None)
    if guest is None and getattr(node, "file", None) is not None:
        guest = node.file.path
    return guest if isinstance(guest, str) and guest.startswith("/") else None


def _host(node):
    try:
        path = node.path
    except Exception:        # a node of a synthetic tree, or one with no mount
        return None
    return path if isinstance(path, str) and path.startswith("/") else None


def _file_state(fd):
    st = os.fstat(fd)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


# ---- hooks (called from fsnotify's, after the operation succeeded) -----------------

def opened(kernel, file, node, created, truncated):
    """open(2) of a host file: O_CREAT made it, O_TRUNC emptied it, or (opened for
    writing) its last close may find it written."""
    j = of(kernel)
    if j is None or file.host_fd is None or not file.flags & 3 or \
            file.flags & O_PATH or getattr(file, "vnode", None) is None or \
            not statmod.S_ISREG(getattr(file, "mode", 0) or 0):
        return          # (an O_TMPFILE has no vnode, and no name until linkat: `created`)
    guest = file.path
    if not isinstance(guest, str) or not guest.startswith("/"):
        return
    host = _host(node)
    if created:
        j.created(guest, host)
    elif truncated:
        j.modified(guest, host)
    try:
        file.journal_state = (j, guest, host, _file_state(file.host_fd))
    except OSError:
        pass


def closed(file):
    """The last close of a file opened for writing: modified if its size or times moved."""
    j, guest, host, before = file.journal_state
    file.journal_state = None
    try:
        if _file_state(file.host_fd) != before:
            j.modified(guest, host)
    except OSError:
        pass


def node_changed(kernel, node):
    """chmod, chown, utimes, truncate, setxattr through a name (or an open file)."""
    j = of(kernel)
    if j is None:
        return
    guest = _guest(node)
    if guest is not None:
        j.modified(guest.rstrip("/") or "/", _host(node))


def created(kernel, node):
    """mkdir, mknod, symlink, link, a linked O_TMPFILE."""
    j = of(kernel)
    if j is None:
        return
    guest = _guest(node)
    if guest is not None:
        j.created(guest.rstrip("/") or "/", _host(node))


def removed(kernel, guest):
    j = of(kernel)
    if j is not None and guest is not None:
        j.deleted(guest.rstrip("/") or "/")


def renamed(kernel, old, new, replaced, exchange, new_node):
    j = of(kernel)
    if j is not None and old is not None and new is not None:
        j.renamed(old.rstrip("/") or "/", new.rstrip("/") or "/", replaced, exchange,
                  _host(new_node))
