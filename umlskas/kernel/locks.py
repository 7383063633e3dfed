"""Advisory file locks kept by the kernel: POSIX record locks, open file description locks, flock(2)."""

import errno
import fcntl
import os
import stat as statmod
import struct
import time

from .errors import Block, SyscallError, WaitQueue
from .files import O_PATH

F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
F_GETLK, F_SETLK, F_SETLKW = 5, 6, 7
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN, LOCK_MAND = 1, 2, 4, 8, 32
SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2
OFFSET_MAX = (1 << 63) - 1
MAX_DEADLK_ITERATIONS = 10
# struct flock (x86-64): short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid.
FLOCK = struct.Struct("<hh4xqqi4x")
# F_GETLK writes fields into the caller's own struct (padding kept, as Linux copies it back).
FLOCK_TYPE = struct.Struct("<h")
FLOCK_HEAD = struct.Struct("<hh")
FLOCK_RANGE = struct.Struct("<qqi")
# Waiting for a lock held outside this kernel: poll the host with this backoff (seconds).
HOST_POLL_FIRST, HOST_POLL_MAX = 0.001, 0.025


class Request:
    """A record-lock request, kept in task.restart while it waits."""

    __slots__ = ("task", "key", "owner", "start", "end", "type", "pid", "wait", "ofd", "file",
                 "delay")

    def __init__(self, task, key, owner, start, end, type, pid, wait=False, ofd=False,
                 file=None):
        self.task = task
        self.key = key
        self.owner = owner          # the fd table (POSIX) or the File (OFD)
        self.start = start
        self.end = end              # inclusive; OFFSET_MAX: to the end of the file
        self.type = type
        self.pid = pid              # what F_GETLK reports for it: the tgid, or -1 (OFD)
        self.wait = wait
        self.ofd = ofd
        self.file = file            # the File locked through, when its inode is the host's
        self.delay = 0.0            # the host poll's backoff while an outside lock is in the way


class LockContext:
    """The locks of one file (Linux's file_lock_context)."""

    __slots__ = ("key", "posix", "flocks", "queue", "mirrors")

    def __init__(self, key):
        self.key = key
        self.posix = {}     # owner -> [(start, end, type, pid)] sorted; owners in first-lock order
        self.flocks = []    # [(file, type)]
        self.queue = WaitQueue()
        self.mirrors = {}   # POSIX owner -> Mirror: its locks here, held on the host too

    def empty(self):
        return not self.posix and not self.flocks

    def test(self, owner, start, end, type):
        """posix_test_lock: (owner, lock) of the first lock in the way of [start, end]
        of `type` for `owner`, or None. An F_UNLCK test finds owner's own lock."""
        unlock = type == F_UNLCK
        for other, locks in self.posix.items():
            if (other is owner) is not unlock:
                continue
            for lock in locks:
                if lock[0] > end:
                    break
                if lock[1] >= start and (unlock or type == F_WRLCK or lock[2] == F_WRLCK):
                    return other, lock
        return None

    def set(self, owner, start, end, type, pid):
        """posix_lock_inode once nothing conflicts: owner's locks over [start, end]
        become `type` (or go, for F_UNLCK), split and merged as Linux does.
        Returns whether anything changed."""
        old = self.posix.get(owner, [])
        new = []
        for lock in old:
            s, e, t, p = lock
            if e < start or s > end:
                new.append(lock)
                continue
            if s < start:
                new.append((s, start - 1, t, p))
            if e > end:
                new.append((end + 1, e, t, p))
        if type != F_UNLCK:
            new.append((start, end, type, pid))
            new.sort(key=_start)
        merged = []
        for lock in new:
            if merged:
                prev = merged[-1]
                if prev[2] == lock[2] and prev[1] + 1 >= lock[0]:
                    merged[-1] = (prev[0], max(prev[1], lock[1]), prev[2], prev[3])
                    continue
            merged.append(lock)
        if merged == old:
            return False
        if merged:
            self.posix[owner] = merged
        else:
            self.posix.pop(owner, None)
        return True

    def flock_conflict(self, file, type):
        for other, held in self.flocks:
            if other is not file and (type == F_WRLCK or held == F_WRLCK):
                return True
        return False


def _start(lock):
    return lock[0]


def _task_still_waiting(task, req):
    """A recorded waiter counts while its task is alive and still in that request
    (task.restart is cleared when the call ends, by a result or by a signal)."""
    return task.restart.get("lock") is req and task.kernel.tasks.get(task.tid) is task


class LockManager:
    """All the kernel's file locks (one per Kernel: kernel.file_locks).

    Every guest file is opened by the one kernel process, so host locks alone could
    never make two guest processes conflict; the kernel keeps its own, as Linux's
    fs/locks.c does:

    - A LockContext per file (keyed by file identity: the host inode, a pipe, or
      the open file description itself) holds the record locks in Linux's order
      (owners in the order they first locked, each owner's ranges sorted and
      merged) and the flock locks.
    - A POSIX lock's owner is the fd table (Linux's files_struct: the process, or
      the processes sharing one with CLONE_FILES); an OFD lock's owner and a flock
      lock's holder is the open file description (File). The two families of
      record locks conflict with each other; flock locks only with flock locks.
    - Release: a POSIX owner's locks on a file go when it closes any fd of that
      file (FdTable.close calls close_posix, only while it holds locks) and so at
      exit; OFD and flock locks go with the last reference to the File (drop()
      calls release_file).
    - A conflicting F_SETLKW or flock parks on the context's wait queue; any
      change to the context's locks wakes its waiters, which try again. Waiting
      POSIX requests are recorded so F_SETLKW can answer EDEADLK when it would
      close a cycle (posix_locks_deadlock: follow what each owner waits for).

    The host sees them too, so that they exclude other umlskas kernels and host
    processes exactly as on Linux. For a file whose inode is the host's (hosted():
    a regular file or directory of a bind or of the host's tree; not a FIFO, a
    device, or an overlay's file, whose locks on Linux live on the overlay's own
    inode), each change that passed the kernel's own check is made on the host
    before the kernel records it, with OFD locks and flock, which belong to a host
    open file description and so keep guest owners apart:

    - POSIX: a Mirror per (owner, file), a host fd the kernel opens on the inode
      (through /proc/self/fd) that holds OFD locks equal to the owner's locks on
      it; it is closed when the owner's last lock there goes.
    - OFD locks: OFD locks on the File's own host fd; flock: flock() on it. Both go
      with that host fd when the File is released.
    - A lock outside the kernel in the way: F_SETLK and flock(LOCK_NB) answer
      EAGAIN; F_SETLKW and flock wait, parked on the context's queue and on a
      deadline that polls the host again (HOST_POLL_FIRST doubling to
      HOST_POLL_MAX), interruptible as any lock wait. F_GETLK reports it with
      l_pid -1 for an OFD lock (what Linux reports; so are other umlskas
      kernels' locks) and 0 for a host process's POSIX lock (its pid is not in the
      guest's pid space: Linux's answer across pid namespaces).
    - The kernel's bookkeeping stays the authority between its own guests (pids,
      EDEADLK, merging, release on close); the host only ever adds conflicts. (So
      a wait cycle that runs through a process outside the kernel is not EDEADLK.)
    - If the kernel cannot open a Mirror (the file's permissions changed since
      the guest opened it, as a user without CAP_DAC_OVERRIDE), that owner's locks
      on the file stay the kernel's own.
    """

    def __init__(self, still_waiting=_task_still_waiting):
        self.contexts = {}          # file key -> LockContext
        self.held = {}              # POSIX owner -> set of keys it holds locks on
        self.waiting = {}           # task -> Request: POSIX (not OFD) requests in F_SETLKW
        self.still_waiting = still_waiting

    # ---- contexts --------------------------------------------------------------

    def context(self, key, create=False):
        ctx = self.contexts.get(key)
        if ctx is None and create:
            ctx = self.contexts[key] = LockContext(key)
        return ctx

    def _changed(self, ctx):
        """Locks of ctx changed: let its waiters try again; forget an idle context."""
        if ctx.queue.waiters:
            ctx.queue.wake()
        self._tidy(ctx)

    def _tidy(self, ctx):
        if ctx.empty() and not ctx.queue.waiters and self.contexts.get(ctx.key) is ctx:
            del self.contexts[ctx.key]

    def _note_owner(self, owner, key, ctx):
        """Keep held (and the fd table's posix_locks hook) in step with ctx."""
        keys = self.held.get(owner)
        if owner in ctx.posix:
            if keys is None:
                keys = self.held[owner] = set()
                _set_hook(owner, self)
            keys.add(key)
        else:
            if ctx.mirrors:
                _close_mirror(ctx.mirrors.pop(owner, None), unlock=False)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.held[owner]
                    _set_hook(owner, None)

    def _drop_posix(self, ctx, owner):
        """All of owner's POSIX locks on ctx's file go (close, exit)."""
        if ctx.mirrors:
            _close_mirror(ctx.mirrors.pop(owner, None))
        if ctx.posix.pop(owner, None) is not None:
            self._changed(ctx)

    # ---- record locks ------------------------------------------------------------

    def test(self, key, owner, start, end, type, file=None):
        """F_GETLK: (start, end, type, pid) of the first lock in the way, or None.
        With file (hosted), a lock held outside the kernel counts too."""
        ctx = self.contexts.get(key)
        if ctx is not None:
            found = ctx.test(owner, start, end, type)
            if found is not None:
                return found[1]
        if file is None or type == F_UNLCK:
            return None
        mirror = ctx.mirrors.get(owner) if ctx is not None else None
        # The owner's own host locks are left out by asking through the fd that holds
        # them; any other kernel lock in the way was found above.
        return _host_test(mirror.fd if mirror is not None else file.host_fd, start, end, type)

    def setlk(self, req, waiter=None):
        """F_SETLK/F_SETLKW (and the OFD forms). Raises EAGAIN, EDEADLK, or Block on
        the context's queue (recording `waiter`, the task, for deadlock detection)."""
        ctx = self.context(req.key, create=req.type != F_UNLCK)
        if ctx is None:
            return 0
        if req.type != F_UNLCK:
            found = ctx.test(req.owner, req.start, req.end, req.type)
            if found is not None:
                self.waiting.pop(waiter, None)
                if not req.wait:
                    raise SyscallError(errno.EAGAIN)
                if not req.ofd and self.deadlock(req.owner, found[0]):
                    raise SyscallError(errno.EDEADLK)
                if waiter is not None and not req.ofd:
                    self.waiting[waiter] = req
                raise Block(queue=ctx.queue)
        self.waiting.pop(waiter, None)
        if req.file is not None:
            self._host_setlk(ctx, req)
        changed = ctx.set(req.owner, req.start, req.end, req.type, req.pid)
        if req.ofd:
            if req.owner in ctx.posix:
                req.owner.file_locks = self
        else:
            self._note_owner(req.owner, req.key, ctx)
        if changed:
            self._changed(ctx)
        else:
            self._tidy(ctx)
        return 0

    def _host_setlk(self, ctx, req):
        """Make req's change on the host (the kernel's own check passed). Raises
        EAGAIN, or Block to poll again, if a lock outside the kernel is in the way."""
        new = None
        if req.ofd:
            fd = req.file.host_fd
        else:
            mirror = ctx.mirrors.get(req.owner)
            if mirror is None:
                if req.type == F_UNLCK or req.owner in ctx.posix:
                    return          # nothing held there, or an owner the host cannot mirror
                mirror = new = _open_mirror(req.file)
                if mirror is None:
                    return
            elif not mirror.allows(req.type):
                mirror = self._reopen_mirror(ctx, req.owner, mirror, req.file)
            fd = mirror.fd
        if _host_setlk(fd, req.type, req.start, req.end):
            if new is not None:
                ctx.mirrors[req.owner] = new
            return
        if new is not None:
            os.close(new.fd)
        if not req.wait:
            self._tidy(ctx)
            raise SyscallError(errno.EAGAIN)
        req.delay = min(HOST_POLL_MAX, req.delay * 2) if req.delay else HOST_POLL_FIRST
        raise Block(queue=ctx.queue, deadline=time.monotonic() + req.delay)

    def _reopen_mirror(self, ctx, owner, mirror, file):
        """The owner now needs a lock its mirror's access mode cannot hold (a write
        lock through a read-only mirror): a read-write mirror takes over its locks."""
        new = _open_mirror(file, os.O_RDWR)
        if new is None:
            raise SyscallError(errno.ENOLCK)
        for start, end, type, _ in ctx.posix.get(owner, ()):
            if not _host_setlk(new.fd, type, start, end):
                os.close(new.fd)
                raise SyscallError(errno.ENOLCK)
        ctx.mirrors[owner] = new
        _close_mirror(mirror, unlock=False)
        return new

    def waiting_for(self, owner):
        """The owner of the lock a waiting request of `owner` is blocked by (Linux's
        what_owner_is_waiting_for), or None."""
        for task, req in list(self.waiting.items()):
            if not self.still_waiting(task, req):
                del self.waiting[task]
                continue
            if req.owner is not owner:
                continue
            ctx = self.contexts.get(req.key)
            found = ctx.test(owner, req.start, req.end, req.type) if ctx is not None else None
            if found is not None:
                return found[0]
        return None

    def deadlock(self, caller, blocker):
        """posix_locks_deadlock: would caller, waiting on blocker's lock, close a cycle?"""
        i = 0
        while True:
            blocker = self.waiting_for(blocker)
            if blocker is None:
                return False
            if i > MAX_DEADLK_ITERATIONS:
                return False
            i += 1
            if blocker is caller:
                return True

    def close_posix(self, owner, file):
        """owner (an fd table) closed an fd of file: its POSIX locks on the file go."""
        keys = self.held.get(owner)
        if not keys:
            return
        key = key_of(file)
        if key not in keys:
            return
        ctx = self.contexts.get(key)
        if ctx is not None:
            self._drop_posix(ctx, owner)
        keys.discard(key)
        if not keys:
            del self.held[owner]
            _set_hook(owner, None)

    def release_owner(self, owner):
        """Every POSIX lock of owner goes (its fd table is gone)."""
        for key in list(self.held.pop(owner, ())):
            ctx = self.contexts.get(key)
            if ctx is not None:
                self._drop_posix(ctx, owner)
        _set_hook(owner, None)

    def release_file(self, file):
        """The last reference to an open file description went: its OFD and flock locks go."""
        key = getattr(file, "lock_key", None)
        ctx = self.contexts.get(key) if key is not None else None
        if ctx is None:
            return
        changed = ctx.posix.pop(file, None) is not None
        kept = [(f, t) for f, t in ctx.flocks if f is not file]
        if len(kept) != len(ctx.flocks):
            ctx.flocks = kept
            changed = True
        if changed:
            if hosted(file):
                # Its host fd closes next, which ends them; unlock first all the same, in
                # case a host process the kernel forked has not yet exec'd (and closed it).
                _host_unlock_all(file.host_fd)
            self._changed(ctx)

    # ---- flock ---------------------------------------------------------------------

    def flock(self, key, file, type, wait, state=None):
        """flock_lock_inode: a conversion drops the old lock first (not atomically,
        as on Linux); a conflict is EAGAIN (EWOULDBLOCK) or Block on the queue.
        For a hosted file the host's flock() follows; state (the task's restart
        dict) keeps the host poll's backoff."""
        ctx = self.context(key, create=type != F_UNLCK)
        if ctx is None:
            return 0
        host = hosted(file)
        changed = False
        for i, (other, held) in enumerate(ctx.flocks):
            if other is file:
                if held == type:
                    return 0
                del ctx.flocks[i]
                changed = True
                break
        if type != F_UNLCK:
            if ctx.flock_conflict(file, type):
                if changed:
                    if host:
                        _host_flock(file.host_fd, fcntl.LOCK_UN)
                    if ctx.queue.waiters:
                        ctx.queue.wake()
                if not wait:
                    self._tidy(ctx)
                    raise SyscallError(errno.EAGAIN)
                raise Block(queue=ctx.queue)
            # The host drops the old lock first too, and keeps it dropped on a conflict.
            if host and not _host_flock(file.host_fd, (fcntl.LOCK_SH if type == F_RDLCK else
                                                       fcntl.LOCK_EX) | fcntl.LOCK_NB):
                if changed and ctx.queue.waiters:
                    ctx.queue.wake()
                if not wait:
                    self._tidy(ctx)
                    raise SyscallError(errno.EAGAIN)
                state = {} if state is None else state
                delay = state.get("flock_delay")
                delay = state["flock_delay"] = min(HOST_POLL_MAX, delay * 2) if delay else \
                    HOST_POLL_FIRST
                raise Block(queue=ctx.queue, deadline=time.monotonic() + delay)
            ctx.flocks.append((file, type))
            file.file_locks = self
        elif changed and host:
            _host_flock(file.host_fd, fcntl.LOCK_UN)
        if changed:
            self._changed(ctx)
        else:
            self._tidy(ctx)
        return 0


# ---- the host's side of the locks ---------------------------------------------------------

class Mirror:
    """A host fd of the kernel's on a file, holding one POSIX owner's locks on it as
    OFD locks (so the host tells the kernel's owners apart)."""

    __slots__ = ("fd", "readable", "writable")

    def __init__(self, fd, acc):
        self.fd = fd
        self.readable = acc != os.O_WRONLY
        self.writable = acc != os.O_RDONLY

    def allows(self, type):
        return type == F_UNLCK or (self.readable if type == F_RDLCK else self.writable)


def hosted(file):
    """Do locks on file reach the host? Its own host fd on a host regular file or
    directory, not one of an overlay (overlayfs keeps locks on its own inode)."""
    reach = getattr(file, "lock_hosted", None)
    if reach is None:
        mode = getattr(file, "mode", 0)
        mount = getattr(getattr(file, "vnode", None), "mount", None)
        reach = file.lock_hosted = getattr(file, "host_fd", None) is not None and \
            (statmod.S_ISREG(mode) or statmod.S_ISDIR(mode)) and \
            not (mount is not None and mount.is_overlay)
    return reach and file.host_fd is not None


def _open_mirror(file, acc=None):
    """A new host open file description of file's inode, with file's access mode
    (or acc); None if the host refuses that access (see LockManager)."""
    if acc is None:
        acc = os.O_RDWR if file.readable and file.writable else \
            os.O_WRONLY if file.writable else os.O_RDONLY
    try:
        fd = os.open(f"/proc/self/fd/{file.host_fd}",
                     acc | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ETXTBSY):
            return None
        raise SyscallError(errno.ENOLCK) from None      # out of fds: no room for the lock
    return Mirror(fd, acc)


def _close_mirror(mirror, unlock=True):
    if mirror is not None:
        if unlock:
            _host_unlock_all(mirror.fd)
        os.close(mirror.fd)


def _host_length(start, end):
    return 0 if end == OFFSET_MAX else end - start + 1


def _host_setlk(fd, type, start, end):
    """F_OFD_SETLK on a host fd; False if a lock outside the kernel is in the way."""
    try:
        fcntl.fcntl(fd, F_OFD_SETLK, FLOCK.pack(type, SEEK_SET, start,
                                                _host_length(start, end), 0))
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise SyscallError(e.errno) from None
    return True


def _host_unlock_all(fd):
    try:
        fcntl.fcntl(fd, F_OFD_SETLK, FLOCK.pack(F_UNLCK, SEEK_SET, 0, 0, 0))
        fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        pass


def _host_test(fd, start, end, type):
    """F_OFD_GETLK on a host fd: the lock in the way as (start, end, type, pid), or None.
    pid: -1 for an OFD lock (as Linux reports it), 0 for a host process's POSIX lock."""
    try:
        out = fcntl.fcntl(fd, F_OFD_GETLK, FLOCK.pack(type, SEEK_SET, start,
                                                      _host_length(start, end), 0))
    except OSError as e:
        raise SyscallError(e.errno) from None
    t, _, s, length, pid = FLOCK.unpack(out)
    if t == F_UNLCK:
        return None
    return s, OFFSET_MAX if length == 0 else s + length - 1, t, -1 if pid < 0 else 0


def _host_flock(fd, operation):
    """flock() on a host fd; False if a lock outside the kernel is in the way."""
    try:
        fcntl.flock(fd, operation)
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            return False
        raise SyscallError(e.errno) from None
    return True


def _set_hook(owner, manager):
    """The fd table's close hook: FdTable.close asks the manager only while it holds locks."""
    try:
        owner.posix_locks = manager
    except AttributeError:
        pass


def key_of(file):
    """The file a lock is on: both ends of a pipe are one inode, a host file is its inode."""
    key = getattr(file, "lock_key", None)
    if key is None:
        pipe = getattr(file, "pipe", None)
        key = ("pipe", id(pipe)) if pipe is not None else file.identity()
        file.lock_key = key
    return key


def manager_of(kernel):
    locks = getattr(kernel, "file_locks", None)
    if locks is None:
        locks = kernel.file_locks = LockManager()
    return locks


# ---- the syscalls ----------------------------------------------------------------------

def _position(file):
    try:
        return file.lseek(0, SEEK_CUR)
    except SyscallError:
        return 0            # a pipe or socket: f_pos stays 0


def _size(file):
    try:
        return file.stat().st_size
    except SyscallError:
        return 0


def flock_range(file, whence, l_start, l_len):
    """flock64_to_posix_lock: (start, end) with Linux's EINVAL and EOVERFLOW."""
    if whence == SEEK_SET:
        base = 0
    elif whence == SEEK_CUR:
        base = _position(file)
    elif whence == SEEK_END:
        base = _size(file)
    else:
        raise SyscallError(errno.EINVAL)
    if l_start > OFFSET_MAX - base:
        raise SyscallError(errno.EOVERFLOW)
    start = base + l_start
    if start < 0:
        raise SyscallError(errno.EINVAL)
    if l_len > 0:
        if l_len - 1 > OFFSET_MAX - start:
            raise SyscallError(errno.EOVERFLOW)
        end = start + l_len - 1
    elif l_len < 0:
        if start + l_len < 0:
            raise SyscallError(errno.EINVAL)
        end = start - 1
        start += l_len
    else:
        end = OFFSET_MAX
    return start, end


def fcntl_lock(task, file, cmd, arg):
    """fcntl F_GETLK/F_SETLK/F_SETLKW and F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW."""
    locks = manager_of(task.kernel)
    req = task.restart.get("lock")
    if req is None:
        raw = task.mm.read(arg, FLOCK.size)
        l_type, whence, l_start, l_len, l_pid = FLOCK.unpack(raw)
        ofd = cmd in (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW)
        getlk = cmd in (F_GETLK, F_OFD_GETLK)
        if cmd == F_GETLK and l_type not in (F_RDLCK, F_WRLCK):
            raise SyscallError(errno.EINVAL)
        start, end = flock_range(file, whence, l_start, l_len)
        if l_type not in (F_RDLCK, F_WRLCK, F_UNLCK):
            raise SyscallError(errno.EINVAL)
        if not getlk and (l_type == F_RDLCK and not file.readable or
                          l_type == F_WRLCK and not file.writable):
            raise SyscallError(errno.EBADF)
        if ofd and l_pid != 0:
            raise SyscallError(errno.EINVAL)
        owner = file if ofd else task.files
        req = Request(task, key_of(file), owner, start, end, l_type, -1 if ofd else task.tgid,
                      wait=cmd in (F_SETLKW, F_OFD_SETLKW), ofd=ofd,
                      file=file if hosted(file) else None)
        if getlk:
            found = locks.test(req.key, owner, start, end, l_type, req.file)
            out = bytearray(raw)
            if found is None:
                FLOCK_TYPE.pack_into(out, 0, F_UNLCK)
            else:
                s, e, t, pid = found
                FLOCK_HEAD.pack_into(out, 0, t, SEEK_SET)
                FLOCK_RANGE.pack_into(out, 8, s, 0 if e == OFFSET_MAX else e - s + 1, pid)
            task.mm.write(arg, bytes(out))
            return 0
    try:
        return locks.setlk(req, task)
    except Block:
        task.restart["lock"] = req
        raise


def flock(task, fd, operation):
    """flock(2): LOCK_SH, LOCK_EX, LOCK_UN, with LOCK_NB."""
    if operation & LOCK_MAND:
        return 0            # Linux ignores the long-broken LOCK_MAND (with a warning)
    type = {LOCK_SH: F_RDLCK, LOCK_EX: F_WRLCK, LOCK_UN: F_UNLCK}.get(operation & ~LOCK_NB)
    if type is None:
        raise SyscallError(errno.EINVAL)
    file = task.files.get(fd)
    if file.flags & O_PATH:
        raise SyscallError(errno.EBADF)
    if type != F_UNLCK and not (file.readable or file.writable):
        raise SyscallError(errno.EBADF)
    return manager_of(task.kernel).flock(key_of(file), file, type, not operation & LOCK_NB,
                                         task.restart)
