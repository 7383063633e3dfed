"""File and path syscalls: read/write family, open/close, stat family, directories, fcntl, ioctl."""

import errno
import os
import select as hostselect
import shutil
import stat as statmod
import struct
import time

from .. import creds as capabilities, devnodes, exec_guard, fown, fsnotify, hostsys, leases, locks
from .. import xattr
from ..rlimits import SIGXFSZ, fsize_grow, fsize_write
from ..errors import Block, SyscallError
from ..fdtable import FD_CLOEXEC
from ..files import (O_ACCMODE, O_APPEND, O_ASYNC, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL,
                     O_LARGEFILE, O_NOATIME, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_TMPFILE,
                     O_TRUNC,
                     O_WRONLY, SETFL_MASK, FIONBIO, FIONREAD, FifoFile, FifoState, HostFile, host_call, make_stat,
                     open_flags, pack_stat)
from ..pipe import PipeEnd, pipe_fcntl, pipefs_statfs
from ..procfs import ProcDir, ProcFile, ProcLink
from ..vfs import (AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_REMOVEDIR,
                   AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, DIR_FLAGS, FileNode, HostDir,
                   HostPath, may_access, proc_fd_path)

MAX_RW_COUNT = 0x7FFFF000
PATH_MAX = 4096
TASK_SIZE_MAX = 0x7FFFFFFFF000
DIRENT_BUF_MAX = 1 << 16
DIRENT_MIN = 24                 # the smallest linux_dirent64 record (a one-byte name)
IOV_MAX = 1024
FIOCLEX, FIONCLEX, FIOASYNC = 0x5451, 0x5450, 0x5452
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_GETLK, F_SETLK, F_SETLKW = 5, 6, 7
F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG = 8, 9, 10, 11
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
F_SETLEASE, F_GETLEASE, F_NOTIFY, F_DUPFD_QUERY = 1024, 1025, 1026, 1027
F_CREATED_QUERY = 1028
F_DUPFD_CLOEXEC, F_SETPIPE_SZ, F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS = 1030, 1031, 1032, 1033, 1034
CLOSE_RANGE_UNSHARE, CLOSE_RANGE_CLOEXEC = 2, 4
STATX_BUF = 256
UTIME_NOW, UTIME_OMIT = 0x3FFFFFFF, 0x3FFFFFFE
S_IFMT = 0o170000
STATFS_BUF = 120


# ---- reading and writing ---------------------------------------------------

def _readable_file(task, fd):
    held = task.restart.get("held_file")
    if held is not None:
        return held             # a retry of a call that waited (see _holding)
    file = task.files.get(fd)
    if not file.readable:
        raise SyscallError(errno.EBADF)
    return file


def _holding(task, file, call, *args):
    """call(*args); if it must wait, the task holds file until the call ends."""
    try:
        return call(*args)
    except Block:
        task.restart.hold(file)
        raise


def _writable_file(task, fd):
    held = task.restart.get("held_file")
    if held is not None:
        return held
    file = task.files.get(fd)
    if not file.writable:
        raise SyscallError(errno.EBADF)
    if getattr(file, "kill_privs", False):
        capabilities.remove_privs(task, file.host_fd)
    return file


def sys_read(task, fd, buf, count):
    """read(2). Reads no more than the guest can receive, as Linux's partial copy does."""
    file = _readable_file(task, fd)
    own_copy = getattr(file, "read_to_guest", None)
    if own_copy is not None:                 # a file whose read has its own order (inotify)
        return own_copy(task, buf, min(count, MAX_RW_COUNT))
    if count == 0:
        return 0
    if getattr(file, "reads_zeros", False):
        return _read_zeros(task, buf, count)
    room = task.mm.extent(buf, min(count, MAX_RW_COUNT), True)
    if room == 0:
        raise SyscallError(errno.EFAULT)
    data = _holding(task, file, file.read, room)
    task.mm.write(buf, data)
    return len(data)


def _read_zeros(task, buf, count):
    """read_iter_zero: zeros written straight into the guest's buffer, as far as it
    can take them (EFAULT if not at all, or if the range fails vfs_read's access_ok)."""
    if count > TASK_SIZE_MAX or buf > TASK_SIZE_MAX - count:
        raise SyscallError(errno.EFAULT)
    n = task.mm.write_zeros(buf, min(count, MAX_RW_COUNT))
    if n == 0:
        raise SyscallError(errno.EFAULT)
    return n


def _discarded(buf, count):
    """write_null: the count (at most MAX_RW_COUNT); the buffer is never read, only
    its range checked (vfs_write's access_ok)."""
    if count > TASK_SIZE_MAX or buf > TASK_SIZE_MAX - count:
        raise SyscallError(errno.EFAULT)
    return min(count, MAX_RW_COUNT)


def sys_write(task, fd, buf, count):
    """write(2). A buffer that stops being readable is written up to that point."""
    file = _writable_file(task, fd)
    if getattr(file, "discards_writes", False):
        return _discarded(buf, count)
    if count == 0:
        return 0
    avail = task.mm.extent(buf, min(count, MAX_RW_COUNT), False)
    if avail == 0:
        raise SyscallError(errno.EFAULT)
    avail = fsize_write(task, file, avail)
    return _holding(task, file, file.write, task.mm.read(buf, avail))


def sys_pread64(task, fd, buf, count, offset):
    """pread64(2)."""
    file = _readable_file(task, fd)
    if offset < 0:
        raise SyscallError(errno.EINVAL)
    if count == 0:
        return 0
    if getattr(file, "reads_zeros", False):
        return _read_zeros(task, buf, count)
    room = task.mm.extent(buf, min(count, MAX_RW_COUNT), True)
    if room == 0:
        raise SyscallError(errno.EFAULT)
    data = file.pread(room, offset)
    task.mm.write(buf, data)
    return len(data)


def sys_pwrite64(task, fd, buf, count, offset):
    """pwrite64(2)."""
    file = _writable_file(task, fd)
    if offset < 0:
        raise SyscallError(errno.EINVAL)
    if getattr(file, "discards_writes", False):
        return _discarded(buf, count)
    if count == 0:
        return 0
    avail = task.mm.extent(buf, min(count, MAX_RW_COUNT), False)
    if avail == 0:
        raise SyscallError(errno.EFAULT)
    avail = fsize_write(task, file, avail, offset)
    return file.pwrite(task.mm.read(buf, avail), offset)


def _iovecs(task, iov, iovcnt):
    """The iovec array, checked as Linux's import_iovec does: a negative length is
    EINVAL, then a range past the user address limit is EFAULT."""
    if iovcnt < 0 or iovcnt > IOV_MAX:
        raise SyscallError(errno.EINVAL)
    if iovcnt == 0:
        return []
    vecs = list(struct.iter_unpack("<QQ", task.mm.read(iov, 16 * iovcnt)))
    for _, length in vecs:
        if length > 0x7FFFFFFFFFFFFFFF:
            raise SyscallError(errno.EINVAL)
    for base, length in vecs:
        if base + length > TASK_SIZE_MAX:
            raise SyscallError(errno.EFAULT)
    return vecs


def _usable(task, vecs, writing, limit=MAX_RW_COUNT):
    """The prefix of vecs the guest memory allows (a short or bad iovec ends it),
    at most `limit` bytes in all; EFAULT if nothing is usable but something was asked for."""
    out = []
    total = 0
    for base, length in vecs:
        length = min(length, limit - total)
        ext = task.mm.extent(base, length, writing) if length else 0
        if ext:
            out.append((base, ext))
            total += ext
        if ext < length or total >= limit:
            break
    if not out and any(length for _, length in vecs):
        raise SyscallError(errno.EFAULT)
    return out


def _scatter(task, vecs, data):
    task.mm.scatter(vecs, data)           # many iovecs: one host copy
    return len(data)


def _gather(task, vecs):
    return task.mm.gather(vecs)


def sys_readv(task, fd, iov, iovcnt):
    """readv(2)."""
    file = _readable_file(task, fd)
    vecs = _usable(task, _iovecs(task, iov, iovcnt), True)
    total = sum(v[1] for v in vecs)
    if total == 0:
        return 0
    return _scatter(task, vecs, _holding(task, file, file.read, total))


def sys_writev(task, fd, iov, iovcnt):
    """writev(2)."""
    file = _writable_file(task, fd)
    if getattr(file, "discards_writes", False):
        return min(sum(length for _, length in _iovecs(task, iov, iovcnt)), MAX_RW_COUNT)
    data = _gather(task, _usable(task, _iovecs(task, iov, iovcnt), False))
    if not data:
        return 0
    return _holding(task, file, file.write, data[:fsize_write(task, file, len(data))])


def sys_preadv(task, fd, iov, iovcnt, pos_l, pos_h=0):
    """preadv(2)."""
    file = _readable_file(task, fd)
    vecs = _iovecs(task, iov, iovcnt)
    if pos_l < 0:
        raise SyscallError(errno.EINVAL)
    vecs = _usable(task, vecs, True)
    total = sum(v[1] for v in vecs)
    return _scatter(task, vecs, file.pread(total, pos_l)) if total else 0


def sys_pwritev(task, fd, iov, iovcnt, pos_l, pos_h=0):
    """pwritev(2)."""
    file = _writable_file(task, fd)
    vecs = _iovecs(task, iov, iovcnt)
    if pos_l < 0:
        raise SyscallError(errno.EINVAL)
    data = _gather(task, _usable(task, vecs, False))
    return file.pwrite(data[:fsize_write(task, file, len(data), pos_l)], pos_l) if data else 0


def sys_preadv2(task, fd, iov, iovcnt, pos_l, pos_h, flags):
    """preadv2(2); offset -1 means the file position. RWF_* hints are accepted."""
    if flags & ~0x3F:
        raise SyscallError(errno.EOPNOTSUPP)
    if pos_l == -1 or pos_l == 0xFFFFFFFFFFFFFFFF:
        return sys_readv(task, fd, iov, iovcnt)
    return sys_preadv(task, fd, iov, iovcnt, pos_l)


def _superblock(file):
    """What tells two files' file systems apart: the host's device for host files, the
    kind of file for the kernel's own (pipes, sockets, devices)."""
    host_fd = getattr(file, "host_fd", None)
    if host_fd is not None:
        return ("host", host_call(os.fstat, host_fd).st_dev)
    return ("kernel", type(file).__name__)


def sys_pwritev2(task, fd, iov, iovcnt, pos_l, pos_h, flags):
    """pwritev2(2)."""
    if flags & ~0x3F:
        raise SyscallError(errno.EOPNOTSUPP)
    if pos_l == -1 or pos_l == 0xFFFFFFFFFFFFFFFF:
        return sys_writev(task, fd, iov, iovcnt)
    return sys_pwritev(task, fd, iov, iovcnt, pos_l)


def sys_lseek(task, fd, offset, whence):
    """lseek(2)."""
    file = task.files.get(fd)
    if whence < 0 or whence > 4:
        raise SyscallError(errno.EINVAL)
    if offset >= 1 << 63:
        offset -= 1 << 64
    return file.lseek(offset, whence)


# ---- opening and closing ---------------------------------------------------

def open_node(task, node, flags, mode):
    """Open a resolved node; returns a File."""
    if isinstance(node, HostPath):
        return open_host(task, node, flags, mode)
    if isinstance(node, FileNode):
        return node.file
    if isinstance(node, ProcLink):
        raise SyscallError(errno.ELOOP)
    if flags & O_CREAT and flags & O_EXCL:
        raise SyscallError(errno.EEXIST)
    opener = getattr(node, "open", None)
    if opener is None:
        raise SyscallError(errno.ENOENT)
    return opener(task, flags)


def _not_a_host_process(name):
    """A bind of the host's /proc lists no processes (see vfs._host_process_path)."""
    return not (name.isdigit() or name in (b"self", b"thread-self"))


def open_host(task, node, flags, mode):
    """open(2) of a name in a host-backed mount: read-only mounts, overlay copy-up,
    permission checks with the guest's credentials, then the host's open."""
    vfs = task.kernel.vfs
    acc = flags & O_ACCMODE
    wants_write = not flags & O_PATH and (acc != 0 or flags & O_TRUNC)
    creds = task.creds
    if not node.exists and flags & O_CREAT:
        if node.slash:
            raise SyscallError(errno.EISDIR)
        _check_parent(task, node)
        vfs.creatable(node)
    elif node.exists:
        if flags & O_CREAT and flags & O_EXCL:
            raise SyscallError(errno.EEXIST)
        overrides = capabilities.creds_capable(creds, capabilities.CAP_DAC_OVERRIDE)
        noatime = flags & O_NOATIME and not flags & O_PATH
        if not overrides or wants_write or noatime:
            st = node.st or node.lstat()
            if not overrides and not flags & O_PATH:
                want = (4 if acc != 1 else 0) | (2 if wants_write else 0)
                if not may_access(creds, st, want):
                    raise SyscallError(errno.EACCES)
            if noatime:
                _check_owner(task, st)      # may_open: O_NOATIME for the owner or CAP_FOWNER
            if wants_write and (statmod.S_ISREG(st.st_mode) or statmod.S_ISDIR(st.st_mode)):
                if statmod.S_ISDIR(st.st_mode) and flags & O_TMPFILE != O_TMPFILE:
                    raise SyscallError(errno.EISDIR)
                vfs.writable(node)
                exec_guard.check_write(task.kernel, st)
    else:
        raise SyscallError(errno.ENOENT)
    st = node.st
    fifo = None
    if not flags & O_PATH and node.exists:
        if st is None:
            st = node.lstat()
        if statmod.S_ISFIFO(st.st_mode):
            fifo = (st.st_dev, st.st_ino)
        device = devnodes.device_of(st)
        if device is not None:
            return devnodes.open_device(task, device, flags, st, node.guest.rstrip("/"))
    if fifo is not None:
        return open_fifo(task, node, fifo, flags, node.guest)
    if st is not None and not flags & O_PATH:
        leases.break_lease(task, (st.st_dev, st.st_ino), flags)      # do_dentry_open
    host_flags = (flags & ~(O_CLOEXEC | O_NOCTTY)) | O_NOCTTY
    # Relative to the walk's directory fd; the last name is not followed on the host
    # (a symlink there now is one the host just put: ELOOP, as a changed tree).
    created = flags & O_CREAT and not node.exists or flags & O_TMPFILE == O_TMPFILE
    parent_st = _parent_stat(node, flags) if created else None
    hfd = node.open(host_flags, mode & 0o7777 & ~task.fs.umask)
    kill_privs = False
    if created:
        capabilities.own_new(task, parent_st, host_fd=hfd)
    elif wants_write and st is not None and statmod.S_ISREG(st.st_mode) and \
            st.st_mode & (statmod.S_ISUID | statmod.S_ISGID):
        kill_privs = True                   # set-ID bits: a write may clear them
        if flags & O_TRUNC:
            capabilities.remove_privs(task, hfd)   # handle_truncate -> do_truncate
    kept = flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW) if flags & O_PATH else open_flags(flags)
    if flags & O_TMPFILE == O_TMPFILE:
        # An unnamed file in that directory: no name of its own until linkat gives one.
        return HostFile(hfd, kept & ~O_TMPFILE | O_LARGEFILE,
                        (node.guest.rstrip("/") or "") + f"/#{os.fstat(hfd).st_ino} (deleted)")
    # The walk's lstat of the last name is this file's (it was no symlink, or O_PATH
    # would not have followed it): no second fstat for the mode.
    file = HostFile(hfd, kept, node.guest.rstrip("/") or "/",
                    st if st is not None and not statmod.S_ISLNK(st.st_mode) else None)
    file.kill_privs = kill_privs
    file.created = bool(not node.exists and flags & O_CREAT)     # F_CREATED_QUERY, IN_CREATE
    if node.mount is not None and node.mount.host_proc and node.path.rstrip("/") == "/proc":
        file.dir_filter = _not_a_host_process
    if node.mount is not None and statmod.S_ISDIR(file.mode) and not flags & O_PATH and \
            (node.mount.is_overlay or node.guest in vfs.mount_children):
        names = vfs.listing_with_mount_points(node, vfs.merged_names(node))
        if names is not None:
            file.merged = names
    # The file remembers its name and mount, not the walk's directory fd.
    fsnotify.remember_parent(task, file, node)
    node.hold = node.dirfd = node.st = None
    file.vnode = node
    return file


def _parent_stat(node, flags):
    """The directory a new file goes in (its group and S_ISGID decide the file's)."""
    try:
        if flags & O_TMPFILE == O_TMPFILE:
            return node.st or node.lstat()           # the directory itself
        if node.dirfd is not None:
            return os.fstat(node.dirfd)
    except (OSError, SyscallError):
        pass
    return None


def open_fifo(task, node, key, flags, guest=None):
    """open(2) of a FIFO. The host end is always opened non-blocking (a blocking open
    would stop the kernel); the guest's blocking open waits, as Linux's does, for the
    other side: a reader for a writer (the host says ENXIO until then), a writer for a
    reader (another guest's open, or data arriving)."""
    kernel = task.kernel
    state = kernel.fifos.get(key)
    if state is None:
        state = kernel.fifos[key] = FifoState(kernel)
    acc = flags & O_ACCMODE
    host_flags = (flags & ~(O_CLOEXEC | O_NOCTTY | O_CREAT | O_EXCL | O_TRUNC)) | \
        O_CLOEXEC | O_NOCTTY | O_NONBLOCK
    nonblock = bool(flags & O_NONBLOCK)
    restart = task.restart
    hfd = restart.pop("fifo_fd", None)
    if hfd is None:
        try:
            hfd = node.open(host_flags)
        except SyscallError as e:
            if e.errno == errno.ENXIO and not nonblock:
                if not restart.get("fifo_waiting"):
                    state.waiting_writers += 1
                    restart["fifo_waiting"] = True
                raise Block(deadline=time.monotonic() + 0.01, queue=state.queue) from None
            raise
    if acc == 0 and not nonblock and state.writers == 0:
        poller = hostselect.poll()
        poller.register(hfd, hostselect.POLLIN)
        if not poller.poll(0) and not state.waiting_writers:
            restart["fifo_fd"] = hfd
            state.queue.wake()
            raise Block(deadline=time.monotonic() + 0.01, queue=state.queue)
    if restart.pop("fifo_waiting", False):
        state.waiting_writers -= 1
    return FifoFile(hfd, open_flags(flags), guest or node.guest, state)


def sys_openat(task, dirfd, pathname, flags, mode):
    """openat(2). /proc/PID/fd/N of a non-path file gives that same open file."""
    path = task.mm.read_cstr(pathname)
    if flags & O_TMPFILE == O_TMPFILE and flags & O_ACCMODE == 0:
        raise SyscallError(errno.EINVAL)
    return _open_at(task, dirfd, path, flags, mode)


def _open_at(task, dirfd, path, flags, mode, resolve=0):
    """Resolve, open and install: openat's and openat2's common end."""
    follow = not flags & O_NOFOLLOW and not (flags & O_CREAT and flags & O_EXCL)
    if path:
        # EMFILE before the lookup (an empty name is getname's ENOENT, earlier still):
        # nothing created by O_CREAT, no host fd opened.
        task.files.check_free()
    node = task.kernel.vfs.lookup(task, dirfd, path, follow=follow, resolve=resolve)
    file = open_node(task, node, flags, mode)
    try:
        fd = task.files.install(file, cloexec=bool(flags & O_CLOEXEC))
    except SyscallError:
        if not file.refs:       # a new open file (not /proc/PID/fd's existing one)
            file.release()
        raise
    fsnotify.opened(task, file, node, getattr(file, "created", False), bool(flags & O_TRUNC))
    return fd


def sys_open(task, pathname, flags, mode):
    """open(2)."""
    return sys_openat(task, AT_FDCWD, pathname, flags, mode)


def sys_creat(task, pathname, mode):
    """creat(2)."""
    return sys_openat(task, AT_FDCWD, pathname, O_CREAT | O_WRONLY | O_TRUNC, mode)


def sys_close(task, fd):
    """close(2)."""
    task.files.close(fd)
    return 0


def sys_close_range(task, first, last, flags):
    """close_range(2)."""
    if flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) or first > last:
        raise SyscallError(errno.EINVAL)
    files = task.files
    for fd in sorted(f for f in files.files if first <= f <= last):
        if flags & CLOSE_RANGE_CLOEXEC:
            files.cloexec.add(fd)
        else:
            files.close(fd)
    return 0


def sys_dup(task, oldfd):
    """dup(2)."""
    return task.files.install(task.files.get(oldfd))


def sys_dup2(task, oldfd, newfd):
    """dup2(2)."""
    file = task.files.get(oldfd)
    if oldfd == newfd:
        return newfd
    task.files.install_at(newfd, file)
    return newfd


def sys_dup3(task, oldfd, newfd, flags):
    """dup3(2)."""
    if flags & ~O_CLOEXEC:
        raise SyscallError(errno.EINVAL)
    if oldfd == newfd:
        raise SyscallError(errno.EINVAL)
    file = task.files.get(oldfd)
    task.files.install_at(newfd, file, cloexec=bool(flags & O_CLOEXEC))
    return newfd


def sys_fcntl(task, fd, cmd, arg):
    """fcntl(2): dup, fd and status flags, record locks (the kernel's own)."""
    files = task.files
    file = files.get(fd)
    if file.flags & O_PATH and cmd not in (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD,
                                           F_GETFL, F_DUPFD_QUERY, F_CREATED_QUERY):
        raise SyscallError(errno.EBADF)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        if arg < 0 or arg >= (1 << 31) or arg >= files.limit:
            raise SyscallError(errno.EINVAL)
        return files.install(file, minfd=arg, cloexec=cmd == F_DUPFD_CLOEXEC)
    if cmd == F_GETFD:
        return FD_CLOEXEC if fd in files.cloexec else 0
    if cmd == F_SETFD:
        if arg & FD_CLOEXEC:
            files.cloexec.add(fd)
        else:
            files.cloexec.discard(fd)
        return 0
    if cmd == F_GETFL:
        return file.flags
    if cmd == F_SETFL:
        if arg & O_NOATIME and not file.flags & O_NOATIME:
            _check_noatime(task, file)
        # O_ASYNC sticks only where the file has a fasync operation (fasync_helper sets it).
        if (arg ^ file.flags) & O_ASYNC and fown.has_fasync(file):
            fown.set_async(file, fd, bool(arg & O_ASYNC), task.kernel)
            file.flags ^= O_ASYNC
        keep = SETFL_MASK & ~O_ASYNC
        file.flags = (file.flags & ~keep) | (arg & keep)
        return 0
    if cmd in (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
        return _lock(task, file, cmd, arg)
    if cmd == F_NOTIFY:
        return fsnotify.fcntl_notify(task, fd, file, arg)
    if cmd in fown.FCNTL_CMDS:
        return fown.fcntl(task, file, cmd, arg)
    if cmd == F_SETLEASE:
        argi = arg & 0xFFFFFFFF                  # fcntl_setlease takes an int
        return leases.setlease(task, fd, file, argi - (1 << 32) if argi >> 31 else argi)
    if cmd == F_GETLEASE:
        return leases.getlease(task, file)
    if cmd == F_CREATED_QUERY:
        return int(bool(getattr(file, "created", False)))     # FMODE_CREATED
    if cmd == F_DUPFD_QUERY:
        return int(files.get(arg) is file) if arg in files.files else _raise(errno.EBADF)
    if cmd in (F_GETPIPE_SZ, F_SETPIPE_SZ) and \
            (getattr(file, "pipe", None) is not None or isinstance(file, FifoFile)):
        return pipe_fcntl(task, file, cmd, arg)
    if cmd == F_GETPIPE_SZ or cmd == F_SETPIPE_SZ or cmd == F_ADD_SEALS or cmd == F_GET_SEALS:
        raise SyscallError(errno.EINVAL if cmd in (F_ADD_SEALS, F_GET_SEALS) else errno.EBADF)
    raise SyscallError(errno.EINVAL)


def _raise(err):
    raise SyscallError(err)


def _lock(task, file, cmd, arg):
    """Record locks (POSIX and OFD): the kernel's, and the host's for a host file (locks.py)."""
    return locks.fcntl_lock(task, file, cmd, arg)


def sys_flock(task, fd, operation):
    """flock(2): locks on the open file description, the kernel's and the host's (locks.py)."""
    return locks.flock(task, fd, operation)


def sys_ioctl(task, fd, cmd, arg):
    """ioctl(2): fd flags here; terminal requests by files.tty_ioctl's allow-list; ENOTTY
    otherwise."""
    file = task.files.get(fd)
    cmd &= 0xFFFFFFFF
    if cmd == FIOCLEX:
        task.files.cloexec.add(fd)
        return 0
    if cmd == FIONCLEX:
        task.files.cloexec.discard(fd)
        return 0
    if cmd == FIONBIO:
        on, = struct.unpack("<i", task.mm.read(arg, 4))
        file.flags = file.flags | O_NONBLOCK if on else file.flags & ~O_NONBLOCK
        return 0
    if cmd == FIOASYNC:
        on, = struct.unpack("<i", task.mm.read(arg, 4))
        if bool(on) != bool(file.flags & O_ASYNC):
            if not fown.has_fasync(file):
                raise SyscallError(errno.ENOTTY)
            fown.set_async(file, fd, bool(on), task.kernel)
        file.flags = file.flags | O_ASYNC if on else file.flags & ~O_ASYNC
        return 0
    if file.flags & O_PATH:
        raise SyscallError(errno.EBADF)
    if cmd == FIONREAD and hasattr(file, "fionread"):
        task.mm.write(arg, struct.pack("<i", file.fionread()))
        return 0
    if cmd in REMAP_IOCTLS:
        return _remap_ioctl(task, file, cmd, arg)
    return file.ioctl(task, cmd, arg)


FICLONE, FICLONERANGE, FIDEDUPERANGE = 0x40049409, 0x4020940D, 0xC0189436
REMAP_IOCTLS = frozenset({FICLONE, FICLONERANGE, FIDEDUPERANGE})


def _remap_ioctl(task, dst, cmd, arg):
    """FICLONE/FICLONERANGE/FIDEDUPERANGE (do_vfs_ioctl, for every file): checked as
    vfs_clone_file_range does, then EOPNOTSUPP: this kernel's file systems have no
    remap_file_range (as ext4's or tmpfs's; cp then copies)."""
    if cmd == FICLONE:
        src_fd = arg & 0xFFFFFFFF
    elif cmd == FICLONERANGE:
        src_fd = struct.unpack("<q", task.mm.read(arg, 8))[0] & 0xFFFFFFFF
    else:
        src_fd = None                   # FIDEDUPERANGE: dst is the source, its targets in arg
    src = dst if src_fd is None else task.files.get(src_fd)
    if _superblock(src) != _superblock(dst):
        raise SyscallError(errno.EXDEV)     # ioctl_file_clone: not the same mount
    for f in (src, dst):
        mode = getattr(f, "mode", None)
        if mode is not None and statmod.S_ISDIR(mode):
            raise SyscallError(errno.EISDIR)
        if mode is None or not statmod.S_ISREG(mode):
            raise SyscallError(errno.EINVAL)
    if src_fd is not None and (not src.readable or not dst.writable or dst.flags & O_APPEND):
        raise SyscallError(errno.EBADF)
    raise SyscallError(errno.EOPNOTSUPP)


# ---- the stat family ---------------------------------------------------------

def stat_node(node):
    """os.stat_result for a resolved node (links already followed as asked): kernel-made
    nodes stat themselves; a bare LinkNode is a symlink of its target's length."""
    if isinstance(node, HostPath):
        if not node.exists:
            raise SyscallError(errno.ENOENT)
        return devnodes.fix_stat(node.st or node.lstat())   # the walk's lstat of this name
    if isinstance(node, FileNode):
        return node.file.stat()
    own = getattr(node, "stat", None)
    if own is not None:
        return own()
    return make_stat(statmod.S_IFLNK | 0o777, 0x3000 + hash(node.path) % 100000,
                     size=len(node.target))


def _stat_at(task, dirfd, pathname, flags, statbuf):
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT):
        raise SyscallError(errno.EINVAL)
    path = task.mm.read_cstr(pathname)
    node = task.kernel.vfs.lookup(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW,
                                  empty_ok=bool(flags & AT_EMPTY_PATH))
    task.mm.write(statbuf, pack_stat(stat_node(node)))
    return 0


def sys_stat(task, pathname, statbuf):
    """stat(2)."""
    return _stat_at(task, AT_FDCWD, pathname, 0, statbuf)


def sys_lstat(task, pathname, statbuf):
    """lstat(2)."""
    return _stat_at(task, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW, statbuf)


def sys_newfstatat(task, dirfd, pathname, statbuf, flags):
    """newfstatat(2) (fstatat)."""
    return _stat_at(task, dirfd, pathname, flags, statbuf)


def sys_fstat(task, fd, statbuf):
    """fstat(2)."""
    file = task.files.get(fd)
    task.mm.write(statbuf, pack_stat(file.stat()))
    return 0


STATX_FLAGS = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | 0x6000
STATX_BASIC_STATS = 0x7FF


def pack_statx(st, mask):
    """struct statx from an os.stat_result (for nodes the host cannot statx)."""
    def ts(ns):
        return struct.pack("<qI4x", ns // 10**9, ns % 10**9)
    head = struct.pack("<IIQIIIHH QQQ", STATX_BASIC_STATS, st.st_blksize or 4096,
                       0, st.st_nlink, st.st_uid, st.st_gid, st.st_mode & 0xFFFF, 0,
                       st.st_ino, st.st_size, st.st_blocks)
    times = ts(st.st_atime_ns) + ts(0) + ts(st.st_ctime_ns) + ts(st.st_mtime_ns)
    devs = struct.pack("<IIII", os.major(st.st_rdev), os.minor(st.st_rdev),
                       os.major(st.st_dev), os.minor(st.st_dev))
    out = head + struct.pack("<Q", 0) + times + devs
    return out + bytes(STATX_BUF - len(out))


def sys_statx(task, dirfd, pathname, flags, mask, statxbuf):
    """statx(2): the host's own statx for host files."""
    if flags & ~STATX_FLAGS or flags & 0x6000 == 0x6000:
        raise SyscallError(errno.EINVAL)
    if mask & 0x80000000:
        raise SyscallError(errno.EINVAL)
    path = task.mm.read_cstr(pathname)
    node = task.kernel.vfs.lookup(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW,
                                  empty_ok=bool(flags & AT_EMPTY_PATH))
    if isinstance(node, HostPath):
        if not node.exists:
            raise SyscallError(errno.ENOENT)
        dirfd, name = node.at()
        how = 0 if node.magic else AT_EMPTY_PATH if not node.name else AT_SYMLINK_NOFOLLOW
        r, out = hostsys.statx(dirfd, name if node.name else b"", how | (flags & 0x6000), mask)
    elif isinstance(node, FileNode) and node.file.host_fd is not None:
        r, out = hostsys.statx(node.file.host_fd, b"", AT_EMPTY_PATH | (flags & 0x6000), mask)
    else:
        r, out = 0, pack_statx(stat_node(node), mask)
    if r < 0:
        raise SyscallError(-r)
    task.mm.write(statxbuf, out)
    return 0


def _statfs_node(node):
    if isinstance(node, HostPath):
        if not node.exists:
            raise SyscallError(errno.ENOENT)
        fd = node.pin()
        try:
            return hostsys.with_buffer(hostsys.SYS_FSTATFS, STATFS_BUF, fd)
        finally:
            os.close(fd)
    if isinstance(node, FileNode) and isinstance(node.file, PipeEnd):
        return 0, pipefs_statfs()
    if isinstance(node, FileNode) and node.file.host_fd is not None:
        return hostsys.with_buffer(hostsys.SYS_FSTATFS, STATFS_BUF, node.file.host_fd)
    return hostsys.with_buffer(hostsys.SYS_STATFS, STATFS_BUF, b"/proc")


def sys_statfs(task, pathname, buf):
    """statfs(2)."""
    path = task.mm.read_cstr(pathname)
    r, out = _statfs_node(task.kernel.vfs.lookup(task, AT_FDCWD, path))
    if r < 0:
        raise SyscallError(-r)
    task.mm.write(buf, out)
    return 0


def sys_fstatfs(task, fd, buf):
    """fstatfs(2)."""
    file = task.files.get(fd)
    r, out = _statfs_node(FileNode(file))
    if r < 0:
        raise SyscallError(-r)
    task.mm.write(buf, out)
    return 0


# ---- directories and names ---------------------------------------------------

def _getdents(task, fd, dirp, count, records):
    """getdents/getdents64 (fs/readdir.c): records(file, size) gives the records that fit
    in size bytes (EINVAL if the next one does not, b"" at the end). The count is an
    int there: 2^31 and more fits nothing. A buffer that a hole ends early gets the
    records before the hole, as filldir stops at its fault; EFAULT if none fits."""
    file = task.files.get(fd)
    if file.flags & O_PATH:
        raise SyscallError(errno.EBADF)
    count &= 0xFFFFFFFF
    # Fewer entries than fit is allowed: the host buffer stays small whatever count says.
    size = min(count, DIRENT_BUF_MAX) if count < 1 << 31 else 0
    room = task.mm.extent(dirp, size, True)
    if room >= size:
        data = records(file, size)
        task.mm.write(dirp, data)
        return len(data)
    try:
        pos = file.lseek(0, os.SEEK_CUR)
    except SyscallError:
        pos = None
    try:
        data = records(file, room)
    except SyscallError as e:
        if e.errno != errno.EINVAL:
            raise
        if records(file, size):         # it fits the count, not the memory
            if pos is not None:
                file.lseek(pos, os.SEEK_SET)
            raise SyscallError(errno.EFAULT) from None
        raise
    task.mm.write(dirp, data)
    return len(data)


def sys_getdents64(task, fd, dirp, count):
    """getdents64(2)."""
    return _getdents(task, fd, dirp, count, lambda file, size: file.getdents64(size))


def _old_dirents(file, size):
    """The old getdents records (d_type in the last byte): each is as long as its
    linux_dirent64 (ALIGN(18 + len + 2) == ALIGN(19 + len + 1)), so the same ones fit."""
    data = file.getdents64(size)
    out = []
    pos = 0
    while pos < len(data):
        ino, off, reclen, dtype = struct.unpack_from("<QqHB", data, pos)
        name = data[pos + 19:pos + reclen].split(b"\0", 1)[0]
        out.append(struct.pack("<QqH", ino, off, reclen) + name +
                   b"\0" * (reclen - 18 - len(name) - 1) + bytes([dtype]))
        pos += reclen
    return b"".join(out)


def sys_getdents(task, fd, dirp, count):
    """getdents(2): the old record layout."""
    return _getdents(task, fd, dirp, count, _old_dirents)


def _access(task, dirfd, pathname, mode, flags):
    if mode & ~7:
        raise SyscallError(errno.EINVAL)
    if flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    path = task.mm.read_cstr(pathname)
    node = task.kernel.vfs.lookup(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW,
                                  empty_ok=bool(flags & AT_EMPTY_PATH))
    if isinstance(node, HostPath):
        if not node.exists:
            raise SyscallError(errno.ENOENT)
        st = node.st or node.lstat()
        if mode & 2 and node.mount is not None and node.mount.readonly and \
                (statmod.S_ISREG(st.st_mode) or statmod.S_ISDIR(st.st_mode) or
                 statmod.S_ISLNK(st.st_mode)):
            raise SyscallError(errno.EROFS)
        c = task.creds
        if flags & AT_EACCESS:
            who = c
        else:
            # access_override_creds: the real ids; a real root has its permitted set
            # (the sets stay as they are under SECBIT_NO_SETUID_FIXUP).
            caps = c.cap_eff if c.securebits & 4 else c.cap_prm if c.uid == 0 else 0
            who = AccessCreds(c.uid, c.gid, c.groups, caps)
        if mode and not may_access(who, st, mode):
            raise SyscallError(errno.EACCES)
        return 0
    if mode & 2 and isinstance(node, (ProcDir, ProcFile)) and task.creds.fsuid != 0:
        raise SyscallError(errno.EACCES)
    return 0


class AccessCreds:
    """The ids access(2) checks with: the real ones unless AT_EACCESS."""

    __slots__ = ("fsuid", "fsgid", "groups", "cap_eff")

    def __init__(self, uid, gid, groups, cap_eff):
        self.fsuid, self.fsgid, self.groups, self.cap_eff = uid, gid, groups, cap_eff


def sys_access(task, pathname, mode):
    """access(2)."""
    return _access(task, AT_FDCWD, pathname, mode, 0)


def sys_faccessat(task, dirfd, pathname, mode):
    """faccessat(2) (the syscall has no flags argument)."""
    return _access(task, dirfd, pathname, mode, 0)


def sys_faccessat2(task, dirfd, pathname, mode, flags):
    """faccessat2(2)."""
    return _access(task, dirfd, pathname, mode, flags)


def sys_readlinkat(task, dirfd, pathname, buf, bufsiz):
    """readlinkat(2)."""
    path = task.mm.read_cstr(pathname)
    if bufsiz <= 0 or bufsiz >= 1 << 31:
        raise SyscallError(errno.EINVAL)
    if not path:
        # An empty path reads the link an O_PATH|O_NOFOLLOW fd refers to.
        file = task.files.get(dirfd) if dirfd != AT_FDCWD else None
        if file is None or not statmod.S_ISLNK(getattr(file, "mode", 0)) or \
                file.host_fd is None:
            raise SyscallError(errno.ENOENT)
        target = os.fsencode(host_call(os.readlink, "", dir_fd=file.host_fd))
        node = None
    else:
        node = task.kernel.vfs.lookup(task, dirfd, path, follow=False)
    if node is None:
        pass
    elif isinstance(node, HostPath):
        if not node.exists:
            raise SyscallError(errno.ENOENT)
        if not node.name or node.magic:
            raise SyscallError(errno.EINVAL)
        target = os.fsencode(host_call(os.readlink, node.name, dir_fd=node.dirfd))
    elif isinstance(node, ProcLink):
        target = os.fsencode(node.target)
    else:
        raise SyscallError(errno.EINVAL)
    target = target[:bufsiz]
    task.mm.write(buf, target)
    return len(target)


def sys_readlink(task, pathname, buf, bufsiz):
    """readlink(2)."""
    return sys_readlinkat(task, AT_FDCWD, pathname, buf, bufsiz)


def sys_getcwd(task, buf, size):
    """getcwd(2)."""
    cwd, root = task.fs.cwd, task.fs.root
    if root != "/":
        # Relative to a chroot; a cwd outside it is "(unreachable)" as Linux says.
        if cwd == root:
            cwd = "/"
        elif cwd.startswith(root + "/"):
            cwd = cwd[len(root):]
        else:
            cwd = "(unreachable)" + cwd
    cwd = os.fsencode(cwd) + b"\0"
    if len(cwd) > PATH_MAX:
        # d_path works in one page: a deeper cwd has no name (glibc then climbs "..").
        raise SyscallError(errno.ENAMETOOLONG)
    if size < len(cwd):
        raise SyscallError(errno.ERANGE)
    task.mm.write(buf, cwd)
    return len(cwd)


def host_dir_of(vfs, node):
    """The HostDir of a resolved host directory, kept as a cwd: it reaches the host
    by fd, whatever its depth, and follows the directory if it moves. None in an
    overlay: a copy-up may give the directory an upper part later, so it is found
    from its guest path each time."""
    if node.mount.is_overlay:
        return None
    if not node.name:
        return node.hold
    try:
        return HostDir(os.open(node.name, DIR_FLAGS, dir_fd=node.dirfd))
    except OSError as e:
        raise SyscallError(e.errno) from None


def _enter_file_dir(task, file):
    """fchdir, or chdir through a /proc/PID/fd link of a directory."""
    vfs = task.kernel.vfs
    path = vfs.dir_path_of(file)
    if path is None:
        raise SyscallError(errno.ENOTDIR)
    task.fs.cwd, task.fs.cwd_dir = path, vfs.walk_dir_of(file)
    return 0


def sys_chdir(task, pathname):
    """chdir(2)."""
    path = task.mm.read_cstr(pathname)
    vfs = task.kernel.vfs
    node = vfs.lookup(task, AT_FDCWD, path)
    if isinstance(node, HostPath):
        if not node.exists:
            raise SyscallError(errno.ENOENT)
        st = node.st or node.lstat()
        if not statmod.S_ISDIR(st.st_mode):
            raise SyscallError(errno.ENOTDIR)
        if not may_access(task.creds, st, 1):
            raise SyscallError(errno.EACCES)
        task.fs.cwd, task.fs.cwd_dir = node.guest.rstrip("/") or "/", host_dir_of(vfs, node)
        return 0
    if isinstance(node, FileNode):
        return _enter_file_dir(task, node.file)
    if getattr(node, "is_dir", isinstance(node, ProcDir)):
        task.fs.cwd, task.fs.cwd_dir = node.path, None
        return 0
    raise SyscallError(errno.ENOTDIR)


def sys_fchdir(task, fd):
    """fchdir(2)."""
    return _enter_file_dir(task, task.files.get(fd))


def sys_umask(task, mask):
    """umask(2)."""
    old = task.fs.umask
    task.fs.umask = mask & 0o777
    return old


# ---- changing the tree: the host does it, on paths the kernel resolved ------------

def _host_node(node):
    """The resolved name as a HostPath, or the errno Linux gives for kernel-made files."""
    if not isinstance(node, HostPath):
        raise SyscallError(errno.EACCES if isinstance(node, (ProcFile, ProcLink))
                           else errno.EPERM)
    return node


def _exists(node):
    return bool(node.exists)


def _named(node, err):
    """A name that can be made or removed: not ".", ".." or "/" (Linux's LAST_DOT,
    LAST_DOTDOT, LAST_ROOT give `err`), not the kernel's own fd link."""
    if not node.name or node.magic:
        raise SyscallError(err)
    return node


def _check_parent(task, node, victim=None):
    """Write and search permission on the directory a name is made in or removed from;
    in a sticky directory only the owner of the victim or of the directory may remove."""
    creds = task.creds
    if capabilities.creds_capable(creds, capabilities.CAP_DAC_OVERRIDE) and \
            (victim is None or capabilities.creds_capable(creds, capabilities.CAP_FOWNER)):
        return
    if node.dirfd is not None:
        st = host_call(os.fstat, node.dirfd)
    else:                                # an overlay directory not in the upper yet
        guest = node.guest.rstrip("/")
        hd = task.kernel.vfs.dir_of_guest(guest[:guest.rfind("/")] or "/")
        st = host_call(os.fstat, hd.fd if hd.fd is not None else hd.lower)
    if not may_access(creds, st, 3):
        raise SyscallError(errno.EACCES)
    if victim is not None and st.st_mode & statmod.S_ISVTX and \
            creds.fsuid not in (st.st_uid, victim.st_uid) and \
            not capabilities.creds_capable(creds, capabilities.CAP_FOWNER):
        raise SyscallError(errno.EPERM)


def _check_noatime(task, file):
    """setfl: O_NOATIME only for the file's owner or CAP_FOWNER (EPERM)."""
    try:
        st = file.stat()
    except SyscallError:
        return                                  # an inode with no stat: the kernel's own
    _check_owner(task, st)


def _check_owner(task, st):
    """chmod and friends: the owner or CAP_FOWNER (EPERM otherwise)."""
    if task.creds.fsuid != st.st_uid and not capabilities.capable(task, capabilities.CAP_FOWNER):
        raise SyscallError(errno.EPERM)


def _last_norm(path):
    """Does the path end on a name (Linux's LAST_NORM), not ".", ".." or "/"?"""
    last = path.rstrip(b"/").rsplit(b"/", 1)[-1]
    return last not in (b".", b"..", b"") or path == b""


def _create(task, dirfd, pathname, make, with_node=False):
    """A new name (mkdir, symlink, mknod): EEXIST, then EROFS, then the host's answer.
    make(dirfd, name) makes it in the host directory the walk reached."""
    path = task.mm.read_cstr(pathname)
    node = task.kernel.vfs.lookup(task, dirfd, path, follow=False)
    if not _last_norm(path):
        raise SyscallError(errno.EEXIST)        # filename_create: no name to make
    node = _named(_host_node(node), errno.EEXIST)
    if node.exists:
        raise SyscallError(errno.EEXIST)
    task.kernel.vfs.check_writable_mount(node)      # filename_create, before may_create
    _check_parent(task, node)
    task.kernel.vfs.creatable(node)
    host_call(make, node.dirfd, node.name, *((node,) if with_node else ()))
    capabilities.own_new(task, None, dirfd=node.dirfd, name=node.name)
    fsnotify.created(task, node)
    return node


def _reopened(task, file, gone=errno.EEXIST):
    """The node an open file's change goes to: for a file opened in an overlay's lower
    its name (copied up first, as overlayfs does: the host fd is the lower's and is
    never written), else None: the open file itself (an upper file stays that file,
    renamed or unlinked). A name removed since is `gone` (overlayfs's copy-up meets the
    whiteout: EEXIST; linkat checks i_nlink first: ENOENT)."""
    vnode = file.vnode
    if vnode is not None and vnode.mount is not None and vnode.mount.is_overlay and \
            not vnode.upper:
        node = task.kernel.vfs.walk(task, "/", vnode.guest, False)
        if isinstance(node, HostPath) and not node.exists:
            raise SyscallError(gone)
        return node
    return None


def _modify_node(task, node, change, owner_only=True, event=fsnotify.IN_ATTRIB):
    """A change to an existing file (chmod, chown, truncate, utimes): owner check,
    EROFS, overlay copy-up, then change(target): a host fd, or the kernel's
    /proc/PID/fd path of an O_PATH fd of the node (that very inode, a symlink too)."""
    if isinstance(node, FileNode):
        file = node.file
        vnode = file.vnode
        again = _reopened(task, file)
        if again is not None:
            node = again
        elif file.host_fd is not None:
            task.kernel.vfs.check_writable_mount(vnode)
            if owner_only:
                _check_owner(task, host_call(os.fstat, file.host_fd))
            host_call(change, file.host_fd if not file.flags & O_PATH
                      else proc_fd_path(file.host_fd))
            fsnotify.file_event(file, event, task)
            return 0
        else:
            raise SyscallError(errno.EPERM)
    node = _host_node(node)
    if not node.exists:
        raise SyscallError(errno.ENOENT)
    st = node.st or node.lstat()
    task.kernel.vfs.check_writable_mount(node)      # mnt_want_write before setattr_prepare
    if owner_only:
        _check_owner(task, st)
    task.kernel.vfs.writable(node)
    fd = node.pin()
    try:
        host_call(change, proc_fd_path(fd))
    finally:
        os.close(fd)
    fsnotify.node_event(task, node, event)
    return 0


def sys_mkdirat(task, dirfd, pathname, mode):
    """mkdirat(2)."""
    node = _create(task, dirfd, pathname,
                   lambda fd, name: os.mkdir(name, mode & 0o7777 & ~task.fs.umask, dir_fd=fd))
    task.kernel.vfs.created_dir(node)
    return 0


def sys_mkdir(task, pathname, mode):
    """mkdir(2)."""
    return sys_mkdirat(task, AT_FDCWD, pathname, mode)


def sys_unlinkat(task, dirfd, pathname, flags):
    """unlinkat(2): EROFS before the name is looked at, as Linux; overlays leave a whiteout."""
    if flags & ~AT_REMOVEDIR:
        raise SyscallError(errno.EINVAL)
    rmdir = bool(flags & AT_REMOVEDIR)
    vfs = task.kernel.vfs
    path = task.mm.read_cstr(pathname)
    # "name/" still names `name` itself (a symlink is not followed), which must then
    # be a directory: ENOTDIR otherwise, as Linux's do_rmdir/do_unlinkat say.
    slash = path.endswith(b"/") and path.strip(b"/") != b""
    node = _host_node(vfs.lookup(task, dirfd, path.rstrip(b"/") if slash else path,
                                 follow=False))
    last = path.rstrip(b"/").rsplit(b"/", 1)[-1]
    if last in (b".", b"..", b""):
        # Linux's LAST_DOT, LAST_DOTDOT, LAST_ROOT: no name to remove.
        raise SyscallError(errno.EISDIR if not rmdir else errno.EINVAL if last == b"." else
                           errno.ENOTEMPTY if last == b".." else errno.EBUSY)
    vfs.check_writable_mount(node)
    m = node.mount
    if vfs.is_mount_point(node.guest.rstrip("/") or "/") or not node.name:
        raise SyscallError(errno.EBUSY)
    if not node.exists:
        raise SyscallError(errno.ENOENT)
    if slash and not statmod.S_ISDIR((node.st or node.lstat()).st_mode):
        raise SyscallError(errno.ENOTDIR)
    if m is None or not m.is_overlay:
        _check_parent(task, node, node.st or node.lstat())
        token = fsnotify.before_remove(task, node)
        host_call(os.rmdir if rmdir else os.unlink, node.name, dir_fd=node.dirfd)
        devnodes.forget(node.st)
        fsnotify.removed(task, token)
        return 0
    st = node.st or node.lstat()
    if rmdir and not statmod.S_ISDIR(st.st_mode):
        raise SyscallError(errno.ENOTDIR)
    if not rmdir and statmod.S_ISDIR(st.st_mode):
        raise SyscallError(errno.EISDIR)
    _check_parent(task, node, st)
    if rmdir and vfs.merged_names(node):
        raise SyscallError(errno.ENOTEMPTY)
    in_lower = vfs.lower_exists(node)
    token = fsnotify.before_remove(task, node)
    if node.upper:
        if rmdir:
            # Only whiteouts are left in it (fd-relative: no symlink is followed).
            shutil.rmtree(node.name, dir_fd=node.dirfd, ignore_errors=True)
            guest = node.guest.rstrip("/")
            m.opaque.discard(m.rel(guest))
            prefix = m.rel(guest) + "/"
            m.whiteouts = {w for w in m.whiteouts if not w.startswith(prefix)}
        else:
            host_call(os.unlink, node.name, dir_fd=node.dirfd)
            devnodes.forget(st)
    vfs.removed(node, in_lower)
    fsnotify.removed(task, token)
    return 0


def sys_unlink(task, pathname):
    """unlink(2)."""
    return sys_unlinkat(task, AT_FDCWD, pathname, 0)


def sys_rmdir(task, pathname):
    """rmdir(2)."""
    return sys_unlinkat(task, AT_FDCWD, pathname, AT_REMOVEDIR)


def _two_paths(task, olddirfd, oldpath, newdirfd, newpath, follow_old=False, empty=False,
               link=False):
    """The two names of rename and link; link=True checks as do_linkat: the old name
    exists, the new one is creatable (EEXIST, then EROFS), then the mounts (EXDEV)."""
    vfs = task.kernel.vfs
    oldtext, newtext = task.mm.read_cstr(oldpath), task.mm.read_cstr(newpath)
    old = vfs.lookup(task, olddirfd, oldtext, follow=follow_old, empty_ok=empty)
    new = vfs.lookup(task, newdirfd, newtext, follow=False)
    if isinstance(old, FileNode) and empty and old.file.host_fd is not None and \
            isinstance(new, HostPath):
        file = old.file
        again = _reopened(task, file, errno.ENOENT)
        if again is not None:
            old = again
        elif file.vnode is not None or statmod.S_ISREG(getattr(file, "mode", 0)):
            # linkat(fd, "", AT_EMPTY_PATH) (an O_TMPFILE file too): the host links
            # the open file itself, through the kernel's fd.
            old = HostPath.of_file(file, file.vnode.mount if file.vnode is not None
                                   else new.mount)
    if not isinstance(old, HostPath) or not isinstance(new, HostPath):
        raise SyscallError(errno.EXDEV)
    if link:
        if not old.exists:
            raise SyscallError(errno.ENOENT)
        _named(new, errno.EEXIST)
        if new.exists:
            raise SyscallError(errno.EEXIST)
        vfs.check_writable_mount(new)
    # Linux compares the mounts of the two parent directories (a mount point itself
    # is then EBUSY, not EXDEV).
    if _parent_mount(vfs, old, oldtext) is not _parent_mount(vfs, new, newtext):
        raise SyscallError(errno.EXDEV)
    vfs.check_writable_mount(new)
    return old, new


def _parent_mount(vfs, node, text):
    guest = node.guest.rstrip("/")
    if not guest or text.rstrip(b"/").rsplit(b"/", 1)[-1] in (b".", b"..", b""):
        return node.mount                # ".", "..", "/": the directory walked to
    return vfs.mount_at(guest[:guest.rfind("/")] or "/")


RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4
SYS_LINKAT = 265


def sys_renameat2(task, olddirfd, oldpath, newdirfd, newpath, flags):
    """renameat2(2): RENAME_NOREPLACE and RENAME_EXCHANGE through the host. In an
    overlay a directory that has a lower part cannot move (EXDEV, as overlayfs
    without redirect_dir: mv then copies)."""
    if flags & ~7 or (flags & RENAME_EXCHANGE and flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)):
        raise SyscallError(errno.EINVAL)
    vfs = task.kernel.vfs
    oldtext, newtext = task.mm.read_cstr(oldpath), task.mm.read_cstr(newpath)
    if not _last_norm(oldtext) or not _last_norm(newtext):
        # ".", "..", "/" (not LAST_NORM): after the walks, EBUSY (EEXIST for a
        # NOREPLACE target), and nothing moves.
        vfs.lookup(task, olddirfd, oldtext, follow=False)
        vfs.lookup(task, newdirfd, newtext, follow=False)
        if _last_norm(oldtext) and flags & RENAME_NOREPLACE:
            raise SyscallError(errno.EEXIST)
        raise SyscallError(errno.EBUSY)
    old, new = _two_paths(task, olddirfd, oldpath, newdirfd, newpath)
    # do_renameat2 goes by the last name as written: ".", ".." or "/" is EBUSY (the
    # new one EEXIST under RENAME_NOREPLACE), whatever directory the walk reached.
    old_dot = _last_name(task.mm.read_cstr(oldpath)) in (b".", b"..", b"")
    new_dot = _last_name(task.mm.read_cstr(newpath)) in (b".", b"..", b"")
    if old_dot and not old.exists or new_dot and not new.exists:
        raise SyscallError(errno.ENOENT)     # filename_parentat: that directory is missing
    if old_dot:
        raise SyscallError(errno.EBUSY)
    if new_dot:
        raise SyscallError(errno.EEXIST if flags & RENAME_NOREPLACE else errno.EBUSY)
    if not old.name or old.magic or not new.name or new.magic:
        raise SyscallError(errno.EBUSY)      # ".", "..", "/": Linux's non-LAST_NORM
    if vfs.is_mount_point(old.guest) or vfs.is_mount_point(new.guest):
        raise SyscallError(errno.EBUSY)
    if not old.exists:
        raise SyscallError(errno.ENOENT)
    m = old.mount
    st = old.st or old.lstat()
    _check_parent(task, old, st)
    _check_parent(task, new, (new.st or new.lstat()) if new.exists else None)
    token = fsnotify.before_rename(task, old, new, flags)
    if m is None or not m.is_overlay:
        _host_rename(old, new, flags)
        fsnotify.renamed(task, token)
        return 0
    if flags & RENAME_WHITEOUT:
        raise SyscallError(errno.EINVAL)           # ovl_rename takes EXCHANGE, NOREPLACE only
    old_in_lower = vfs.lower_exists(old)
    new_in_lower = vfs.lower_exists(new)
    if old_in_lower and statmod.S_ISDIR(st.st_mode):
        raise SyscallError(errno.EXDEV)
    nst = (new.st or new.lstat()) if new.exists else None
    if flags & RENAME_EXCHANGE:
        if nst is None:
            raise SyscallError(errno.ENOENT)
        if new_in_lower and statmod.S_ISDIR(nst.st_mode):
            raise SyscallError(errno.EXDEV)
        vfs.writable(old)
        vfs.writable(new)
        _host_rename(old, new, flags)
        fsnotify.renamed(task, token)
        return 0
    if nst is not None:
        if flags & RENAME_NOREPLACE:
            raise SyscallError(errno.EEXIST)
        if statmod.S_ISDIR(nst.st_mode):
            if not statmod.S_ISDIR(st.st_mode):
                raise SyscallError(errno.EISDIR)
            if vfs.merged_names(new):
                raise SyscallError(errno.ENOTEMPTY)
        elif statmod.S_ISDIR(st.st_mode):
            raise SyscallError(errno.ENOTDIR)
    vfs.writable(old)
    if nst is not None and new.upper and statmod.S_ISDIR(nst.st_mode):
        # Only whiteouts are left in it (fd-relative: no symlink is followed).
        shutil.rmtree(new.name, dir_fd=new.dirfd, ignore_errors=True)
    new.exists = False
    vfs.creatable(new)
    _host_rename(old, new, 0)
    if statmod.S_ISDIR(st.st_mode) and new_in_lower:
        new.exists = "whiteout"
        vfs.created_dir(new)
    vfs.removed(old, old_in_lower)
    fsnotify.renamed(task, token)
    return 0


def _last_name(path):
    """The last component of a path as written (b"" for "/")."""
    return path.rstrip(b"/").rsplit(b"/", 1)[-1]


def _host_rename(old, new, flags):
    """renameat2 between the host directories the walks reached."""
    r = hostsys.call(316, *old.at(), *new.at(), flags)
    if r < 0:
        raise SyscallError(-r)


def sys_renameat(task, olddirfd, oldpath, newdirfd, newpath):
    """renameat(2)."""
    return sys_renameat2(task, olddirfd, oldpath, newdirfd, newpath, 0)


def sys_rename(task, oldpath, newpath):
    """rename(2)."""
    return sys_renameat2(task, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0)


def sys_linkat(task, olddirfd, oldpath, newdirfd, newpath, flags):
    """linkat(2)."""
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    old, new = _two_paths(task, olddirfd, oldpath, newdirfd, newpath,
                          follow_old=bool(flags & AT_SYMLINK_FOLLOW),
                          empty=bool(flags & AT_EMPTY_PATH), link=True)
    if statmod.S_ISDIR((old.st or old.lstat()).st_mode):
        raise SyscallError(errno.EPERM)
    _check_parent(task, new)
    # A magic link (see procfs) is the file itself, unless it is still in an overlay's
    # lower: then its upper copy is linked (a host link of the lower inode would be a
    # second name for it, in the upper, through which the lower would be written).
    task.kernel.vfs.writable(old)
    task.kernel.vfs.creatable(new)
    r = hostsys.call(SYS_LINKAT, *old.at(), *new.at(), AT_SYMLINK_FOLLOW if old.magic else 0)
    if r < 0:
        raise SyscallError(-r)
    fsnotify.linked(task, old, new)
    return 0


def sys_link(task, oldpath, newpath):
    """link(2)."""
    return sys_linkat(task, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0)


def sys_symlinkat(task, target, newdirfd, linkpath):
    """symlinkat(2)."""
    text = task.mm.read_cstr(target)
    if not text:
        raise SyscallError(errno.ENOENT)
    _create(task, newdirfd, linkpath,
            lambda fd, name: os.symlink(text, os.fsencode(name), dir_fd=fd))
    return 0


def sys_symlink(task, target, linkpath):
    """symlink(2)."""
    return sys_symlinkat(task, target, AT_FDCWD, linkpath)


def sys_fchmodat(task, dirfd, pathname, mode):
    """fchmodat(2): fchmodat2 without flags, as in Linux."""
    return sys_fchmodat2(task, dirfd, pathname, mode, 0)


def sys_chmod(task, pathname, mode):
    """chmod(2)."""
    return sys_fchmodat(task, AT_FDCWD, pathname, mode)


def sys_fchmod(task, fd, mode):
    """fchmod(2)."""
    file = task.files.get(fd)
    if file.flags & O_PATH:
        raise SyscallError(errno.EBADF)
    return _modify_node(task, FileNode(file), _chmod(task, mode))


def _chmod(task, mode):
    """chmod's change (p: a path or an fd): setattr_prepare drops S_ISGID when the file's
    group is not the caller's, without CAP_FSETID."""
    def change(p):
        m = mode & 0o7777
        if m & statmod.S_ISGID and not capabilities.capable(task, capabilities.CAP_FSETID):
            gid = os.stat(p).st_gid
            if gid != task.creds.fsgid and gid not in task.creds.groups:
                m &= ~statmod.S_ISGID
        os.chmod(p, m)
    return change


def sys_truncate(task, pathname, length):
    """truncate(2)."""
    if length < 0:
        raise SyscallError(errno.EINVAL)

    def change(p):
        if os.path.isdir(p):
            raise IsADirectoryError(errno.EISDIR, "")
        fsize_grow(task, os.stat(p).st_size, length)
        capabilities.remove_privs(task, p)
        os.truncate(p, length)
    path = task.mm.read_cstr(pathname)
    node = _host_node(task.kernel.vfs.lookup(task, AT_FDCWD, path))
    if not node.exists:
        raise SyscallError(errno.ENOENT)
    if not may_access(task.creds, node.st or node.lstat(), 2):
        raise SyscallError(errno.EACCES)
    st = node.st or node.lstat()
    exec_guard.check_write(task.kernel, st)
    leases.break_lease(task, (st.st_dev, st.st_ino), O_WRONLY)          # vfs_truncate
    return _modify_node(task, node, change, owner_only=False, event=fsnotify.IN_MODIFY)


def sys_ftruncate(task, fd, length):
    """ftruncate(2)."""
    file = task.files.get(fd)
    if file.flags & O_PATH:
        raise SyscallError(errno.EBADF)            # fdget: an O_PATH fd is no file here
    if length < 0:
        raise SyscallError(errno.EINVAL)
    if file.writable and file.host_fd is not None and \
            statmod.S_ISREG(getattr(file, "mode", 0) or 0):
        fsize_grow(task, host_call(os.fstat, file.host_fd).st_size, length)
    if getattr(file, "kill_privs", False) and file.writable:
        capabilities.remove_privs(task, file.host_fd)
    result = file.truncate(length)
    fsnotify.file_event(file, fsnotify.IN_MODIFY, task)
    return result


def sys_fsync(task, fd):
    """fsync(2)."""
    return task.files.get(fd).sync()


def sys_fdatasync(task, fd):
    """fdatasync(2)."""
    return task.files.get(fd).sync()


def sys_utimensat(task, dirfd, pathname, times, flags):
    """utimensat(2): both times UTIME_OMIT is 0 before the path or the flags are
    looked at, as sys_utimensat."""
    ns = None
    if times:
        ns = struct.unpack("<qqqq", task.mm.read(times, 32))
        if ns[1] == UTIME_OMIT and ns[3] == UTIME_OMIT:
            return 0
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    if ns is not None:
        for v in (ns[1], ns[3]):
            if not (0 <= v < 10**9 or v in (UTIME_OMIT, UTIME_NOW)):
                raise SyscallError(errno.EINVAL)
    return _utimensat_with(task, dirfd, pathname, ns, flags)


def _utimensat_with(task, dirfd, pathname, ns, flags=0):
    """utimensat's work, with the times as (sec, nsec, sec, nsec) or None for now."""
    if not pathname:
        # futimens: do_utimes_fd's fdget refuses an O_PATH fd (AT_EMPTY_PATH takes it).
        file = task.files.get(dirfd)
        if file.flags & O_PATH:
            raise SyscallError(errno.EBADF)
        node = FileNode(file)
    else:
        path = task.mm.read_cstr(pathname)
        node = task.kernel.vfs.lookup(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW,
                                      empty_ok=bool(flags & AT_EMPTY_PATH))
    if isinstance(node, FileNode):
        again = _reopened(task, node.file)
        if again is not None:
            node = again
    pinned = None
    vfs = task.kernel.vfs
    if isinstance(node, FileNode) and node.file.host_fd is not None:
        file = node.file
        vfs.check_writable_mount(file.vnode)        # vfs_utimes: mnt_want_write first
        _check_times_allowed(task, host_call(os.fstat, file.host_fd), ns)
        target = file.host_fd if not file.flags & O_PATH else proc_fd_path(file.host_fd)
    elif isinstance(node, HostPath):
        if not node.exists:
            raise SyscallError(errno.ENOENT)
        vfs.check_writable_mount(node)
        _check_times_allowed(task, node.st or node.lstat(), ns)
        vfs.writable(node)
        # The kernel's /proc/PID/fd link of an O_PATH fd: that inode, a symlink too.
        pinned = node.pin()
        target = proc_fd_path(pinned)
    else:
        raise SyscallError(errno.EPERM)
    try:
        _set_times(target, ns)
    finally:
        if pinned is not None:
            os.close(pinned)
    fsnotify.node_event(task, node, fsnotify.times_event(ns, UTIME_OMIT))
    return 0


def _check_times_allowed(task, st, ns):
    """setattr_prepare for times: explicit times need the owner (EPERM); "now" also
    write permission (EACCES)."""
    c = task.creds
    if c.fsuid != st.st_uid and not capabilities.capable(task, capabilities.CAP_FOWNER):
        if not (ns is None or (ns[1] == UTIME_NOW and ns[3] == UTIME_NOW)):
            raise SyscallError(errno.EPERM)
        if not may_access(c, st, 2):
            raise SyscallError(errno.EACCES)


def _set_times(target, ns):
    """utimensat's host call on a host fd or an fd's /proc link."""
    if ns is None:
        host_call(os.utime, target, None)
        return 0
    cur = host_call(os.stat, target)
    now = time.time_ns()

    def pick(sec, nsec, current):
        if nsec == UTIME_NOW:
            return now
        if nsec == UTIME_OMIT:
            return current
        return sec * 10**9 + nsec
    atime = pick(ns[0], ns[1], cur.st_atime_ns)
    mtime = pick(ns[2], ns[3], cur.st_mtime_ns)
    host_call(os.utime, target, ns=(atime, mtime))
    return 0


HANDLERS = {
    "read": sys_read, "write": sys_write, "pread64": sys_pread64, "pwrite64": sys_pwrite64,
    "readv": sys_readv, "writev": sys_writev, "preadv": sys_preadv, "pwritev": sys_pwritev,
    "preadv2": sys_preadv2, "pwritev2": sys_pwritev2, "lseek": sys_lseek,
    "open": sys_open, "openat": sys_openat, "creat": sys_creat, "close": sys_close,
    "close_range": sys_close_range, "dup": sys_dup, "dup2": sys_dup2, "dup3": sys_dup3,
    "fcntl": (sys_fcntl, "partial: no seals"),
    "ioctl": (sys_ioctl, "partial: FIOCLEX/FIONCLEX/FIONBIO/FIONREAD; tty requests from an allow-list"),
    "stat": sys_stat, "lstat": sys_lstat, "fstat": sys_fstat, "newfstatat": sys_newfstatat,
    "statx": sys_statx, "statfs": sys_statfs, "fstatfs": sys_fstatfs,
    "getdents64": sys_getdents64, "getdents": sys_getdents,
    "access": sys_access, "faccessat": sys_faccessat, "faccessat2": sys_faccessat2,
    "readlink": sys_readlink, "readlinkat": sys_readlinkat,
    "getcwd": sys_getcwd, "chdir": sys_chdir, "fchdir": sys_fchdir, "umask": sys_umask,
    "mkdir": sys_mkdir, "mkdirat": sys_mkdirat, "unlink": sys_unlink, "unlinkat": sys_unlinkat,
    "rmdir": sys_rmdir, "rename": sys_rename, "renameat": sys_renameat,
    "renameat2": sys_renameat2, "link": sys_link, "linkat": sys_linkat,
    "symlink": sys_symlink, "symlinkat": sys_symlinkat, "chmod": sys_chmod,
    "fchmod": sys_fchmod, "fchmodat": sys_fchmodat, "truncate": sys_truncate,
    "ftruncate": sys_ftruncate, "fsync": sys_fsync, "fdatasync": sys_fdatasync,
    "utimensat": sys_utimensat, "flock": sys_flock,
}


# ---- extended attributes, advice, copies ---------------------------------------------

# The rules (and umlskas's one rule beyond Linux's) are in kernel/xattr.py. Linux's order:
# flags, name and value are copied in before the path or fd is looked at (fs/xattr.c
# path_setxattrat, path_getxattrat...), then EROFS, then the permission checks.

def _xattr_name(task, name_ptr):
    name = task.mm.read_cstr(name_ptr, xattr.XATTR_NAME_MAX + 1, errno.ERANGE)
    if not name:
        raise SyscallError(errno.ERANGE)
    return name


def _xattr_at(task, dirfd, pathname, atflags):
    """The target of a path call (dirfd, pathname, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
    an empty path with AT_EMPTY_PATH is dirfd itself, as f*xattr."""
    if atflags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    path = task.mm.read_cstr(pathname) if pathname or not atflags & AT_EMPTY_PATH else b""
    if not path and atflags & AT_EMPTY_PATH and dirfd != AT_FDCWD:
        return xattr.of_file(task.files.get(dirfd))
    node = task.kernel.vfs.lookup(task, dirfd, path, follow=not atflags & AT_SYMLINK_NOFOLLOW,
                                  empty_ok=bool(atflags & AT_EMPTY_PATH))
    return xattr.of_node(node)


def _xattr_fd(task, fd):
    return xattr.of_file(task.files.get(fd))


def _getxattr(task, name_ptr, value, size, where, *args):
    name = _xattr_name(task, name_ptr)
    target = where(task, *args)
    xattr.check_read(task, target, name)
    if target.fd is None and target.path is None:
        raise SyscallError(errno.EOPNOTSUPP)
    host, kw = target.read_host(task.kernel.vfs)
    data = host_call(os.getxattr, host, name, **kw)
    if size == 0:
        return len(data)
    if size < len(data):
        raise SyscallError(errno.E2BIG if size >= xattr.XATTR_SIZE_MAX else errno.ERANGE)
    task.mm.write(value, data)
    return len(data)


def _listxattr(task, lst, size, where, *args):
    target = where(task, *args)
    if target.fd is None and target.path is None:
        return 0                    # a kernel-made file has none
    host, kw = target.read_host(task.kernel.vfs)
    names = xattr.listed(task, [os.fsencode(n) for n in host_call(os.listxattr, host, **kw)])
    names = b"".join(n + b"\0" for n in names)
    if size == 0:
        return len(names)
    if size < len(names):
        raise SyscallError(errno.E2BIG if size >= xattr.XATTR_LIST_MAX else errno.ERANGE)
    task.mm.write(lst, names)
    return len(names)


def _setxattr(task, name_ptr, value, size, flags, where, *args):
    if flags & ~(xattr.XATTR_CREATE | xattr.XATTR_REPLACE):
        raise SyscallError(errno.EINVAL)
    name = _xattr_name(task, name_ptr)
    if size > xattr.XATTR_SIZE_MAX:
        raise SyscallError(errno.E2BIG)
    data = task.mm.read(value, size) if size else b""
    target = where(task, *args)
    if xattr.check_write(task, target, name, data):
        host, kw = xattr.write_target(task, target)
        host_call(os.setxattr, host, name, data, flags, **kw)
        fsnotify.stat_event(task, target.st, target.node, fsnotify.IN_ATTRIB)  # fsnotify_xattr
    return 0


def _removexattr(task, name_ptr, where, *args):
    name = _xattr_name(task, name_ptr)
    target = where(task, *args)
    if xattr.check_write(task, target, name, None):
        host, kw = xattr.write_target(task, target)
        host_call(os.removexattr, host, name, **kw)
        fsnotify.stat_event(task, target.st, target.node, fsnotify.IN_ATTRIB)
    return 0


def sys_getxattr(task, pathname, name, value, size):
    """getxattr(2)."""
    return _getxattr(task, name, value, size, _xattr_at, AT_FDCWD, pathname, 0)


def sys_lgetxattr(task, pathname, name, value, size):
    """lgetxattr(2)."""
    return _getxattr(task, name, value, size, _xattr_at, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW)


def sys_fgetxattr(task, fd, name, value, size):
    """fgetxattr(2)."""
    return _getxattr(task, name, value, size, _xattr_fd, fd)


def sys_listxattr(task, pathname, lst, size):
    """listxattr(2)."""
    return _listxattr(task, lst, size, _xattr_at, AT_FDCWD, pathname, 0)


def sys_llistxattr(task, pathname, lst, size):
    """llistxattr(2)."""
    return _listxattr(task, lst, size, _xattr_at, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW)


def sys_flistxattr(task, fd, lst, size):
    """flistxattr(2)."""
    return _listxattr(task, lst, size, _xattr_fd, fd)


def sys_setxattr(task, pathname, name, value, size, flags):
    """setxattr(2)."""
    return _setxattr(task, name, value, size, flags, _xattr_at, AT_FDCWD, pathname, 0)


def sys_lsetxattr(task, pathname, name, value, size, flags):
    """lsetxattr(2)."""
    return _setxattr(task, name, value, size, flags, _xattr_at, AT_FDCWD, pathname,
                     AT_SYMLINK_NOFOLLOW)


def sys_fsetxattr(task, fd, name, value, size, flags):
    """fsetxattr(2)."""
    return _setxattr(task, name, value, size, flags, _xattr_fd, fd)


def sys_removexattr(task, pathname, name):
    """removexattr(2)."""
    return _removexattr(task, name, _xattr_at, AT_FDCWD, pathname, 0)


def sys_lremovexattr(task, pathname, name):
    """lremovexattr(2)."""
    return _removexattr(task, name, _xattr_at, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW)


def sys_fremovexattr(task, fd, name):
    """fremovexattr(2)."""
    return _removexattr(task, name, _xattr_fd, fd)


XATTR_ARGS_SIZE_VER0 = 16       # struct xattr_args {u64 value; u32 size; u32 flags;}


def _xattr_args(task, uargs, usize):
    """setxattrat/getxattrat's struct xattr_args (copy_struct_from_user)."""
    if usize < XATTR_ARGS_SIZE_VER0:
        raise SyscallError(errno.EINVAL)
    if usize > 4096:
        raise SyscallError(errno.E2BIG)
    raw = task.mm.read(uargs, usize)
    if any(raw[XATTR_ARGS_SIZE_VER0:]):
        raise SyscallError(errno.E2BIG)
    return struct.unpack_from("<QII", raw)


def sys_setxattrat(task, dirfd, pathname, atflags, name, uargs, usize):
    """setxattrat(2) (Linux 6.13)."""
    value, size, flags = _xattr_args(task, uargs, usize)
    if atflags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    return _setxattr(task, name, value, size, flags, _xattr_at, dirfd, pathname, atflags)


def sys_getxattrat(task, dirfd, pathname, atflags, name, uargs, usize):
    """getxattrat(2) (Linux 6.13)."""
    value, size, flags = _xattr_args(task, uargs, usize)
    if flags or atflags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    return _getxattr(task, name, value, size, _xattr_at, dirfd, pathname, atflags)


def sys_listxattrat(task, dirfd, pathname, atflags, lst, size):
    """listxattrat(2) (Linux 6.13)."""
    return _listxattr(task, lst, size, _xattr_at, dirfd, pathname, atflags)


def sys_removexattrat(task, dirfd, pathname, atflags, name):
    """removexattrat(2) (Linux 6.13)."""
    if atflags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    return _removexattr(task, name, _xattr_at, dirfd, pathname, atflags)


def sys_fadvise64(task, fd, offset, length, advice):
    """fadvise64(2): checked and accepted (advice only)."""
    file = task.files.get(fd)
    if advice < 0 or advice > 5:
        raise SyscallError(errno.EINVAL)
    mode = getattr(file, "mode", None)
    if mode is None and isinstance(file, PipeEnd):
        mode = statmod.S_IFIFO          # an anonymous pipe is a FIFO inode to Linux
    if mode is not None and (statmod.S_ISFIFO(mode) or statmod.S_ISSOCK(mode)):
        raise SyscallError(errno.ESPIPE)
    if length < 0:
        raise SyscallError(errno.EINVAL)
    return 0


def _copy(task, in_fd, off_in_ptr, out_fd, off_out_ptr, count, checks_regular):
    src = _readable_file(task, in_fd)
    dst = _writable_file(task, out_fd)
    off_in = struct.unpack("<q", task.mm.read(off_in_ptr, 8))[0] if off_in_ptr else None
    off_out = struct.unpack("<q", task.mm.read(off_out_ptr, 8))[0] if off_out_ptr else None
    if (off_in is not None and off_in < 0) or (off_out is not None and off_out < 0):
        raise SyscallError(errno.EINVAL)
    if checks_regular:
        for f in (src, dst):
            mode = getattr(f, "mode", None)
            if mode is not None and statmod.S_ISDIR(mode):
                raise SyscallError(errno.EISDIR)
            if mode is None or not statmod.S_ISREG(mode):
                raise SyscallError(errno.EINVAL)
        if dst.flags & O_APPEND:
            raise SyscallError(errno.EBADF)
    want = min(count, MAX_RW_COUNT, 1 << 20)
    count = fsize_write(task, dst, want, off_out)
    pos = None
    if off_in is None and statmod.S_ISREG(getattr(src, "mode", 0)):
        # Read without moving the file offset: a destination that has to wait (a full
        # pipe or socket) raises Block and this handler runs again, and it must find
        # the same bytes (the pipe's writer keeps its progress in task.restart).
        pos = src.lseek(0, os.SEEK_CUR)
    if off_in is not None or pos is not None:
        data = src.pread(count, off_in if off_in is not None else pos)
    else:
        data = src.read(count)
    if not data:
        return 0

    def advance(n):
        """Move the offsets past the n bytes written (also when a signal ends a wait
        after part of the data went: the kernel then returns n)."""
        if off_in is not None:
            task.mm.write(off_in_ptr, struct.pack("<q", off_in + n))
        elif pos is not None:
            src.lseek(pos + n, os.SEEK_SET)
        elif n < len(data):
            src.lseek(n - len(data), 1)
        if off_out is not None:
            task.mm.write(off_out_ptr, struct.pack("<q", off_out + n))
    task.restart["on_partial"] = advance
    n = dst.pwrite(data, off_out) if off_out is not None else dst.write(data)
    advance(n)
    if count < want and n == count and not checks_regular and \
            (off_in is not None or pos is not None) and \
            src.pread(1, (off_in if off_in is not None else pos) + n):
        # sendfile goes on after a write cut short at RLIMIT_FSIZE (splice_direct_to_actor
        # loops): its next write fails, which raises SIGXFSZ, and the call returns n.
        task.kernel.send_signal(task.process, SIGXFSZ, task)
    return n


def sys_copy_file_range(task, fd_in, off_in, fd_out, off_out, length, flags):
    """copy_file_range(2), as reads and writes through the kernel."""
    if flags:
        raise SyscallError(errno.EINVAL)
    return _copy(task, fd_in, off_in, fd_out, off_out, length, True)


def sys_sendfile(task, out_fd, in_fd, offset, count):
    """sendfile(2), as a read and a write through the kernel."""
    src = _readable_file(task, in_fd)
    if isinstance(src, (PipeEnd, FifoFile)):
        # A pipe has no ->splice_read: an offset is ESPIPE (no FMODE_PREAD), else EINVAL
        # once the output passed its checks (fs/read_write.c do_sendfile).
        if offset:
            raise SyscallError(errno.ESPIPE)
        _writable_file(task, out_fd)
        raise SyscallError(errno.EINVAL)
    return _copy(task, in_fd, offset, out_fd, 0, count, False)


HANDLERS.update({
    "getxattr": sys_getxattr, "lgetxattr": sys_lgetxattr, "fgetxattr": sys_fgetxattr,
    "listxattr": sys_listxattr, "llistxattr": sys_llistxattr, "flistxattr": sys_flistxattr,
    "setxattr": sys_setxattr, "lsetxattr": sys_lsetxattr, "fsetxattr": sys_fsetxattr,
    "removexattr": sys_removexattr, "lremovexattr": sys_lremovexattr,
    "fremovexattr": sys_fremovexattr, "setxattrat": sys_setxattrat,
    "getxattrat": sys_getxattrat, "listxattrat": sys_listxattrat,
    "removexattrat": sys_removexattrat, "fadvise64": sys_fadvise64,
    "copy_file_range": sys_copy_file_range, "sendfile": sys_sendfile,
})


# ---- ownership, special files, space, anonymous files ------------------------------------

def sys_fchownat(task, dirfd, pathname, owner, group, flags):
    """fchownat(2)."""
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    path = task.mm.read_cstr(pathname)
    node = task.kernel.vfs.lookup(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW,
                                  empty_ok=bool(flags & AT_EMPTY_PATH))
    uid = -1 if owner == 0xFFFFFFFF else owner
    gid = -1 if group == 0xFFFFFFFF else group
    return _chown_node(task, node, uid, gid)


def _chown_node(task, node, uid, gid):
    """chown's rule: only a privileged caller changes the owner; the owner may set the
    group to one of its own groups."""
    c = task.creds

    def change(target):
        # target: a host fd, or an fd's /proc link (followed: it is that inode).
        if not capabilities.capable(task, capabilities.CAP_CHOWN):
            # chown_ok, chgrp_ok: the owner may "change" the owner to itself and the
            # group to one of its own; no change at all is no check.
            st = os.stat(target)
            owner = st.st_uid == c.fsuid
            if uid != -1 and not (owner and uid == st.st_uid) or \
                    gid != -1 and not (owner and (gid in (st.st_gid, c.fsgid) or gid in c.groups)):
                raise PermissionError(errno.EPERM, "")
        os.chown(target, uid, gid)
    return _modify_node(task, node, change, owner_only=False)


def sys_chown(task, pathname, owner, group):
    """chown(2)."""
    return sys_fchownat(task, AT_FDCWD, pathname, owner, group, 0)


def sys_lchown(task, pathname, owner, group):
    """lchown(2)."""
    return sys_fchownat(task, AT_FDCWD, pathname, owner, group, AT_SYMLINK_NOFOLLOW)


def sys_fchown(task, fd, owner, group):
    """fchown(2)."""
    file = task.files.get(fd)
    if file.flags & O_PATH:
        raise SyscallError(errno.EBADF)
    return _chown_node(task, FileNode(file), -1 if owner == 0xFFFFFFFF else owner,
                       -1 if group == 0xFFFFFFFF else group)


def sys_mknodat(task, dirfd, pathname, mode, dev):
    """mknodat(2): regular files, FIFOs and sockets on the host; device nodes with
    CAP_MKNOD, as the kernel's own in its own layers only (devnodes.py)."""
    kind = mode & S_IFMT
    if kind == 0:
        kind = statmod.S_IFREG
    if kind == statmod.S_IFDIR:                   # may_mknod
        raise SyscallError(errno.EPERM)
    if kind not in (statmod.S_IFREG, statmod.S_IFIFO, statmod.S_IFSOCK,
                    statmod.S_IFCHR, statmod.S_IFBLK):
        raise SyscallError(errno.EINVAL)
    perm = mode & 0o7777 & ~task.fs.umask

    def make(fd, name, node):
        if kind in (statmod.S_IFCHR, statmod.S_IFBLK):
            # vfs_mknod: CAP_MKNOD after may_create; then the kernel's own node (devnodes.py).
            if not capabilities.capable(task, capabilities.CAP_MKNOD):
                raise OSError(errno.EPERM, "")
            try:
                devnodes.make(task.kernel.vfs, node.mount, kind, dev)(fd, name, perm)
            except SyscallError as e:
                raise OSError(e.errno, "") from None
            return
        os.mknod(name, kind | perm, dir_fd=fd)
    _create(task, dirfd, pathname, make, with_node=True)
    return 0


def sys_mknod(task, pathname, mode, dev):
    """mknod(2)."""
    return sys_mknodat(task, AT_FDCWD, pathname, mode, dev)


FALLOC_FL_KEEP_SIZE = 1


def sys_fallocate(task, fd, mode, offset, length):
    """fallocate(2), by the host on the kernel's host fd."""
    file = task.files.get(fd)
    if offset < 0 or length <= 0:
        raise SyscallError(errno.EINVAL)
    if not file.writable:
        raise SyscallError(errno.EBADF)
    host_mode = getattr(file, "mode", None)
    if file.host_fd is None or host_mode is None:
        raise SyscallError(errno.ESPIPE if getattr(file, "pipe", None) else errno.ENODEV)
    if statmod.S_ISFIFO(host_mode):
        raise SyscallError(errno.ESPIPE)
    if not mode & FALLOC_FL_KEEP_SIZE and statmod.S_ISREG(host_mode):
        fsize_grow(task, host_call(os.fstat, file.host_fd).st_size, offset + length)
    r = hostsys.call(285, file.host_fd, mode, offset, length)
    if r < 0:
        raise SyscallError(-r)
    return 0


def sys_sync(task):
    """sync(2)."""
    os.sync()
    return 0


def sys_syncfs(task, fd):
    """syncfs(2)."""
    task.files.get(fd)
    os.sync()
    return 0


MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB, MFD_NOEXEC_SEAL, MFD_EXEC = 1, 2, 4, 8, 16


def sys_memfd_create(task, name_ptr, flags):
    """memfd_create(2): a host memfd owned by the kernel (so mmap of it is real)."""
    name = task.mm.read_cstr(name_ptr, 250, errno.EINVAL)
    if flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC) or \
            flags & MFD_HUGETLB:
        raise SyscallError(errno.EINVAL)
    task.files.check_free()     # EMFILE before a host memfd exists
    hfd = host_call(os.memfd_create, os.fsdecode(name), os.MFD_CLOEXEC)
    file = HostFile(hfd, 2 | O_LARGEFILE, f"/memfd:{os.fsdecode(name)} (deleted)")
    return task.files.install(file, cloexec=bool(flags & MFD_CLOEXEC))


HANDLERS.update({
    "chown": sys_chown, "lchown": sys_lchown, "fchown": sys_fchown, "fchownat": sys_fchownat,
    "mknod": (sys_mknod, "partial: device nodes only in the kernel's own layers (devnodes.py)"),
    "mknodat": (sys_mknodat, "partial: device nodes only in the kernel's own layers (devnodes.py)"),
    "fallocate": sys_fallocate, "sync": sys_sync, "syncfs": sys_syncfs,
    "memfd_create": (sys_memfd_create, "partial: no file seals"),
})


# ---- openat2, chroot, and the older spellings of the calls above -------------------

OPEN_HOW_SIZE_VER0 = 24
# Flags openat2 accepts (build_open_flags: VALID_OPEN_FLAGS); anything else is EINVAL.
VALID_OPEN_FLAGS = (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                    O_NONBLOCK | 0o4010000 | 0o20000 | 0o40000 | O_LARGEFILE | O_DIRECTORY |
                    O_NOFOLLOW | 0o1000000 | O_CLOEXEC | O_PATH | O_TMPFILE)
RESOLVE_ALL = 0x3F


def sys_openat2(task, dirfd, pathname, how, size):
    """openat2(2): struct open_how checked as Linux does (unknown flags, resolve bits or
    a mode without O_CREAT are EINVAL, non-zero bytes past the known struct E2BIG),
    then RESOLVE_* applied by the kernel's own path walk."""
    if size < OPEN_HOW_SIZE_VER0 or size > 4096:
        raise SyscallError(errno.EINVAL if size < OPEN_HOW_SIZE_VER0 else errno.E2BIG)
    raw = task.mm.read(how, size)
    if any(raw[OPEN_HOW_SIZE_VER0:]):
        raise SyscallError(errno.E2BIG)
    flags, mode, resolve = struct.unpack("<QQQ", raw[:OPEN_HOW_SIZE_VER0])
    if flags & ~VALID_OPEN_FLAGS or resolve & ~RESOLVE_ALL:
        raise SyscallError(errno.EINVAL)
    if flags & (O_CREAT | O_TMPFILE) == 0 and mode or mode & ~0o7777:
        raise SyscallError(errno.EINVAL)
    if flags & O_TMPFILE == O_TMPFILE and flags & O_ACCMODE == 0:
        raise SyscallError(errno.EINVAL)
    if flags & O_PATH and flags & ~(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC):
        raise SyscallError(errno.EINVAL)
    if resolve & 0x08 and resolve & 0x10:                  # BENEATH and IN_ROOT
        raise SyscallError(errno.EINVAL)
    if resolve & 0x20 and flags & (O_CREAT | O_TRUNC | O_TMPFILE):   # RESOLVE_CACHED
        raise SyscallError(errno.EAGAIN)
    return _open_at(task, dirfd, task.mm.read_cstr(pathname), flags, mode, resolve)


def sys_chroot(task, pathname):
    """chroot(2): the process's root becomes a directory of the guest's view; `..`
    and absolute paths and symlinks stop there from now on."""
    path = task.mm.read_cstr(pathname)
    node = task.kernel.vfs.lookup(task, AT_FDCWD, path)
    if not isinstance(node, HostPath):
        if not getattr(node, "is_dir", False):
            raise SyscallError(errno.ENOTDIR)
        guest = node.path
    else:
        if not node.exists:
            raise SyscallError(errno.ENOENT)
        st = node.st or node.lstat()
        if not statmod.S_ISDIR(st.st_mode):
            raise SyscallError(errno.ENOTDIR)
        if not may_access(task.creds, st, 1):
            raise SyscallError(errno.EACCES)
        guest = node.guest
    if not capabilities.capable(task, capabilities.CAP_SYS_CHROOT):
        raise SyscallError(errno.EPERM)
    task.fs.root = guest.rstrip("/") or "/"
    return 0


def sys_fchmodat2(task, dirfd, pathname, mode, flags):
    """fchmodat2(2): AT_SYMLINK_NOFOLLOW (a symlink's mode cannot change: EOPNOTSUPP)
    and AT_EMPTY_PATH."""
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(errno.EINVAL)
    path = task.mm.read_cstr(pathname) if pathname or not flags & AT_EMPTY_PATH else b""
    node = task.kernel.vfs.lookup(task, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW,
                                  empty_ok=bool(flags & AT_EMPTY_PATH))
    if isinstance(node, HostPath) and flags & AT_SYMLINK_NOFOLLOW and node.exists and \
            statmod.S_ISLNK((node.st or node.lstat()).st_mode):
        task.kernel.vfs.check_writable_mount(node)  # chmod_common: mnt_want_write first
        raise SyscallError(errno.EOPNOTSUPP)
    if isinstance(node, FileNode) and node.file.flags & O_PATH and node.file.vnode is None:
        raise SyscallError(errno.EBADF)
    return _modify_node(task, node, _chmod(task, mode))


def _timeval_times(task, times):
    """utimes/futimesat's two struct timeval as utimensat's (sec, nsec, sec, nsec), or
    None for now (EINVAL for a usec outside 0..999999)."""
    if not times:
        return None
    sec_a, usec_a, sec_m, usec_m = struct.unpack("<qqqq", task.mm.read(times, 32))
    for usec in (usec_a, usec_m):
        if not 0 <= usec < 1000000:
            raise SyscallError(errno.EINVAL)
    return sec_a, usec_a * 1000, sec_m, usec_m * 1000


def sys_futimesat(task, dirfd, pathname, times):
    """futimesat(2)."""
    return _utimensat_with(task, dirfd, pathname, _timeval_times(task, times))


def sys_utimes(task, pathname, times):
    """utimes(2)."""
    return sys_futimesat(task, AT_FDCWD, pathname, times)


def sys_utime(task, pathname, times):
    """utime(2): struct utimbuf {actime, modtime} in whole seconds."""
    ns = None
    if times:
        actime, modtime = struct.unpack("<qq", task.mm.read(times, 16))
        ns = (actime, 0, modtime, 0)
    return _utimensat_with(task, AT_FDCWD, pathname, ns)


SYNC_FILE_RANGE_ALL = 7


def sys_sync_file_range(task, fd, offset, nbytes, flags):
    """sync_file_range(2): checked as Linux does, then the host syncs the file."""
    if flags & ~SYNC_FILE_RANGE_ALL:
        raise SyscallError(errno.EINVAL)
    for v in (offset, nbytes):
        if v >= 1 << 63:
            raise SyscallError(errno.EINVAL)
    if offset + nbytes >= 1 << 63 and nbytes:
        raise SyscallError(errno.EINVAL)
    file = task.files.get(fd)
    mode = getattr(file, "mode", None)
    if file.host_fd is None or mode is None or not (statmod.S_ISREG(mode) or
                                                    statmod.S_ISDIR(mode) or
                                                    statmod.S_ISBLK(mode) or
                                                    statmod.S_ISLNK(mode)):
        raise SyscallError(errno.ESPIPE)
    if flags:
        host_call(os.fdatasync, file.host_fd)
    return 0


def sys_readahead(task, fd, offset, count):
    """readahead(2): a hint; EBADF/EINVAL as Linux gives them."""
    file = task.files.get(fd)
    if not file.readable:
        raise SyscallError(errno.EBADF)
    mode = getattr(file, "mode", None)
    if mode is None or not statmod.S_ISREG(mode) or offset >= 1 << 63:
        raise SyscallError(errno.EINVAL)
    return 0


def sys_mount(task, source, target, fstype, flags, data):
    """mount(2): the guest has no CAP_SYS_ADMIN over the kernel's mount table (mounts
    are made on the umlskas command line): EPERM, as in a container without it."""
    raise SyscallError(errno.EPERM)


def sys_umount2(task, target, flags):
    """umount2(2): EPERM, see sys_mount."""
    raise SyscallError(errno.EPERM)


def sys_pivot_root(task, new_root, put_old):
    """pivot_root(2): EPERM, see sys_mount."""
    raise SyscallError(errno.EPERM)


HANDLERS.update({
    "openat2": sys_openat2, "chroot": sys_chroot, "fchmodat2": sys_fchmodat2,
    "futimesat": sys_futimesat, "utimes": sys_utimes, "utime": sys_utime,
    "sync_file_range": sys_sync_file_range, "readahead": sys_readahead,
    "mount": (sys_mount, "partial: EPERM, mounts come from the umlskas command line"),
    "umount2": (sys_umount2, "partial: EPERM, mounts come from the umlskas command line"),
    "pivot_root": (sys_pivot_root, "partial: EPERM, mounts come from the umlskas command line"),
})
