"""Open file descriptions: host-backed files and streams, and synthetic (proc) files.

A File is what an fd points at (shared by dup and fork), holding the status
flags and the offset. Host-backed files keep a host fd in the kernel process;
the guest never sees its number. Reads and writes that could wait (pipes,
ttys, sockets inherited from the host) first ask the host whether they would
block and, if so, park the task (raise Block) instead of blocking the kernel.
"""

import ctypes
import errno
import fcntl
import os
import select
import signal
import stat as statmod
import struct
import time

from . import changes, devnodes, fown, fsnotify, signals
from .errors import Block, SyscallError

O_ACCMODE = 3
O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK = 0o100, 0o200, 0o400, 0o1000, 0o2000, 0o4000
O_DSYNC, O_ASYNC, O_DIRECT, O_LARGEFILE, O_DIRECTORY = 0o10000, 0o20000, 0o40000, 0o100000, 0o200000
O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_SYNC, O_PATH, O_TMPFILE = (
    0o400000, 0o1000000, 0o2000000, 0o4010000, 0o10000000, 0o20200000)
# Flags F_SETFL may change (fs/fcntl.c SETFL_MASK).
SETFL_MASK = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME

STAT_STRUCT = struct.Struct("<QQQIIIiQqqqqqqqqq24x")

TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ, TIOCSWINSZ = 0x540F, 0x5410, 0x5413, 0x5414
FIONREAD, FIONBIO = 0x541B, 0x5421
TCXONC, TCFLSH = 0x540A, 0x540B
TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK = 0x80045430, 0x40045431, 0x80045439
TERMIOS_SIZE = 36
TCSBRK, TCSBRKP, TIOCEXCL, TIOCNXCL, TIOCSCTTY, TIOCNOTTY, TIOCGSID = (
    0x5409, 0x5425, 0x540C, 0x540D, 0x540E, 0x5422, 0x5429)
TCGETS2, TCSETS2, TCSETSW2, TCSETSF2 = 0x802C542A, 0x402C542B, 0x402C542C, 0x402C542D
TCGETA, TCSETA, TCSETAW, TCSETAF = 0x5405, 0x5406, 0x5407, 0x5408
TIOCOUTQ, TIOCSTI, TIOCPKT, TIOCSETD, TIOCGETD = 0x5411, 0x5412, 0x5420, 0x5423, 0x5424
TIOCCONS, TIOCSBRK, TIOCCBRK, TIOCVHANGUP = 0x541D, 0x5427, 0x5428, 0x5437
TIOCGPKT, TIOCGEXCL = 0x80045438, 0x80045440
TCOOFF = 0
TIOCGSOFTCAR, TIOCSSOFTCAR, TIOCSSERIAL = 0x5419, 0x541A, 0x541F
TIOCGLCKTRMIOS, TIOCSLCKTRMIOS = 0x5456, 0x5457
SERIAL_STRUCT_SIZE, KTERMIOS_SIZE, CLOCAL = 72, 36, 0o4000
N_TTY = 0
SIGTTOU = 22

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long
SYS_getdents64 = 217
_DENTS_BUF = ctypes.create_string_buffer(1 << 16)

KERNEL_PID = os.getpid()
ERESTARTSYS = 512                   # restart the call after the signal (kernel_proc)


def make_stat(mode, ino, size=0, nlink=1, dev=0x16, uid=0, gid=0, time_ns=0):
    """A complete os.stat_result for a kernel-made file (all fields set)."""
    t = time_ns / 1e9
    return os.stat_result((mode, ino, dev, nlink, uid, gid, size, t, t, t),
                          {"st_atime_ns": time_ns, "st_mtime_ns": time_ns,
                           "st_ctime_ns": time_ns, "st_blksize": 4096, "st_blocks": 0,
                           "st_rdev": 0})


def pack_stat(st):
    """struct stat (x86-64) from an os.stat_result."""
    return STAT_STRUCT.pack(
        st.st_dev, st.st_ino, st.st_nlink, st.st_mode, st.st_uid, st.st_gid, 0,
        st.st_rdev or 0, st.st_size, st.st_blksize or 4096, st.st_blocks or 0,
        st.st_atime_ns // 10**9, st.st_atime_ns % 10**9,
        st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9,
        st.st_ctime_ns // 10**9, st.st_ctime_ns % 10**9)


def open_flags(flags):
    """The status flags an open file description keeps of open(2)'s (F_GETFL, fdinfo)."""
    return (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE


def host_call(fn, *args, **kwargs):
    """Run an os.* call; its OSError becomes the guest's errno."""
    try:
        return fn(*args, **kwargs)
    except OSError as e:
        raise SyscallError(e.errno) from None


class File:
    """An open file description. Subclasses override what they support."""

    host_fd = None
    refs = 0                        # fds pointing here, across all fd tables
    vnode = None                    # the vfs.HostPath it was opened by, if any

    def __init__(self, flags, path):
        self.flags = flags
        self.path = path            # what /proc/self/fd/N shows

    @property
    def readable(self):
        return self.flags & O_ACCMODE != O_WRONLY and not self.flags & O_PATH

    @property
    def writable(self):
        return self.flags & O_ACCMODE != O_RDONLY and not self.flags & O_PATH

    def read(self, size):
        raise SyscallError(errno.EINVAL)

    def write(self, data):
        raise SyscallError(errno.EINVAL)

    def pread(self, size, offset):
        raise SyscallError(errno.ESPIPE)

    def pwrite(self, data, offset):
        raise SyscallError(errno.ESPIPE)

    def lseek(self, offset, whence):
        raise SyscallError(errno.ESPIPE)

    def stat(self):
        raise SyscallError(errno.EBADF)

    def getdents64(self, size):
        raise SyscallError(errno.ENOTDIR)

    def ioctl(self, task, cmd, arg):
        raise SyscallError(errno.ENOTTY)

    def check_mmap(self, prot, maptype):
        raise SyscallError(errno.ENODEV)

    def truncate(self, length):
        raise SyscallError(errno.EINVAL)

    def sync(self):
        raise SyscallError(errno.EINVAL)

    def statfs(self):
        raise SyscallError(errno.ENOSYS)

    def release(self):
        """The last fd referring to this description was closed."""

    def path_name(self):
        return self.path

    def identity(self):
        """What this file is, across opens (shared-memory keys)."""
        return ("file", id(self))


# The first host fd number a guest's file may not have: the fds above it are the
# kernel's reserve (see fdtable.host_fd_budget; the Kernel sets it at start).
HOST_FD_CEILING = 1 << 62


class HostFile(File):
    """A file, directory or device of the host, opened by the kernel."""

    def __init__(self, host_fd, flags, path, st=None):
        if host_fd >= HOST_FD_CEILING:
            # Only the kernel's reserve is left: the guest's open fails as Linux's
            # does when the system's file table is full.
            os.close(host_fd)
            raise SyscallError(errno.ENFILE)
        super().__init__(flags, path)
        self.host_fd = host_fd
        st = st or os.fstat(host_fd)
        self.mode = st.st_mode
        # Things that can make a read or write wait: poll before touching them.
        self.is_tty = statmod.S_ISCHR(st.st_mode) and os.isatty(host_fd)
        self.may_block = statmod.S_ISFIFO(st.st_mode) or statmod.S_ISSOCK(st.st_mode) or \
            self.is_tty
        self.dir_filter = None      # callable(name) -> keep?, for /proc listings

    def _ready(self, events):
        if not self.may_block:
            return
        poller = select.poll()
        poller.register(self.host_fd, events)
        if poller.poll(0):
            return
        if self.flags & O_NONBLOCK:
            raise SyscallError(errno.EAGAIN)
        raise Block(fds=((self.host_fd, events),))

    def read(self, size):
        if not self.readable:
            raise SyscallError(errno.EBADF)
        if statmod.S_ISDIR(self.mode):
            raise SyscallError(errno.EISDIR)
        if self.is_tty and self.kernel is not None:
            # n_tty_read's job_control: a background group gets SIGTTIN, not the input.
            _jobs(self).check_read(self.kernel.current, self)
        self._ready(select.POLLIN)
        data = host_call(os.read, self.host_fd, size)
        if data and self.fsnotify is not None:
            fsnotify.file_event(self, fsnotify.IN_ACCESS)
        return data

    def write(self, data):
        if not self.writable:
            raise SyscallError(errno.EBADF)
        if self.is_tty and self.kernel is not None:
            task = self.kernel.current
            if task is not None and _jobs(self).in_background(task, self):
                # n_tty_write: with TOSTOP a background group gets SIGTTOU.
                lflag, = struct.unpack_from("<I", host_call(
                    fcntl.ioctl, self.host_fd, TCGETS, b"\0" * TERMIOS_SIZE), 12)
                _jobs(self).check_write(task, self, lflag)
        self._ready(select.POLLOUT)
        if self.flags & O_APPEND and statmod.S_ISREG(self.mode):
            host_call(os.lseek, self.host_fd, 0, os.SEEK_END)
        try:
            n = os.write(self.host_fd, data)
            if n and self.fsnotify is not None:
                fsnotify.file_event(self, fsnotify.IN_MODIFY)
            return n
        except BlockingIOError:
            # The host end is non-blocking (a FIFO) but the guest's is not.
            if self.flags & O_NONBLOCK:
                raise SyscallError(errno.EAGAIN) from None
            raise Block(fds=((self.host_fd, select.POLLOUT),)) from None
        except OSError as e:
            if e.errno == errno.EPIPE and self.kernel is not None:
                # A host pipe or FIFO with no reader: Linux's pipe_write raises
                # SIGPIPE with the EPIPE (the kernel itself ignores it on the host).
                # write, writev and sendfile all come through here.
                task = self.kernel.current
                self.kernel.send_signal(task.process, signals.SIGPIPE, task)
            raise SyscallError(e.errno) from None

    kernel = None                   # set where the writer's SIGPIPE must be raised

    def pread(self, size, offset):
        if not self.readable:
            raise SyscallError(errno.EBADF)
        if statmod.S_ISDIR(self.mode):
            raise SyscallError(errno.EISDIR)
        data = host_call(os.pread, self.host_fd, size, offset)
        if data and self.fsnotify is not None:
            fsnotify.file_event(self, fsnotify.IN_ACCESS)
        return data

    def pwrite(self, data, offset):
        if not self.writable:
            raise SyscallError(errno.EBADF)
        n = host_call(os.pwrite, self.host_fd, data, offset)
        if n and self.fsnotify is not None:
            fsnotify.file_event(self, fsnotify.IN_MODIFY)
        return n

    fsnotify = None                 # the kernel's fsnotify.Notifier once marks exist
    journal_state = None            # opened for writing with a change journal: changes.py

    def lseek(self, offset, whence):
        if self.merged is not None:
            if whence == 1 and offset == 0:
                return self.merged_pos
            if whence != 0 or offset < 0:
                raise SyscallError(errno.EINVAL)
            self.merged_pos = offset
            return offset
        return host_call(os.lseek, self.host_fd, offset, whence)

    def stat(self):
        return devnodes.fix_stat(host_call(os.fstat, self.host_fd))

    merged = None                   # an overlay directory's names -> their lstat
    merged_pos = 0

    def merged_dents(self, size):
        """getdents64 of an overlay directory: the upper's names, then the lower's."""
        if not isinstance(self.merged, list):
            entries = [(b".", 4, 1), (b"..", 4, 1)]
            for name, st in sorted(self.merged.items()):
                if st is None:              # gone since it was listed
                    continue
                entries.append((os.fsencode(name),
                                statmod.S_IFMT(devnodes.fix_stat(st).st_mode) >> 12, st.st_ino))
            self.merged = entries
        out, self.merged_pos = pack_dirents(self.merged, self.merged_pos, size)
        return out

    def getdents64(self, size):
        if not statmod.S_ISDIR(self.mode):
            raise SyscallError(errno.ENOTDIR)
        if self.fsnotify is not None:
            fsnotify.file_event(self, fsnotify.IN_ACCESS)   # iterate_dir, every call
        if self.merged is not None:
            return self.merged_dents(size)
        # One buffer for every call (getdents64 sizes are at most DIRENT_BUF_MAX):
        # no allocation and zero-fill of up to 64 KiB per call.
        buf = _DENTS_BUF if size <= len(_DENTS_BUF) else ctypes.create_string_buffer(size)
        while True:
            n = _syscall(SYS_getdents64, self.host_fd, buf, size)
            if n < 0:
                raise SyscallError(ctypes.get_errno())
            data = devnodes.fix_dirents(ctypes.string_at(buf, n), self.host_fd)
            if self.dir_filter is None or n == 0:
                return data
            kept = filter_dirents(data, self.dir_filter)
            if kept:
                return kept

    guest_pty = False               # a pty the guest made (ptmx): see tty_ioctl

    def ioctl(self, task, cmd, arg):
        if cmd == FIONREAD and not statmod.S_ISDIR(self.mode):
            out = host_call(fcntl.ioctl, self.host_fd, FIONREAD, b"\0" * 4)
            task.mm.write(arg, out)
            return 0
        if not statmod.S_ISCHR(self.mode) or not os.isatty(self.host_fd):
            raise SyscallError(errno.ENOTTY)
        return tty_ioctl(task, self, cmd, arg)

    def check_mmap(self, prot, maptype):
        # mm/mmap.c do_mmap: the access mode first, then a file without ->mmap (ENODEV).
        if maptype == 1 and prot & 2 and self.flags & O_ACCMODE != O_RDWR:
            raise SyscallError(errno.EACCES)
        if not self.readable:
            raise SyscallError(errno.EACCES)
        if not (statmod.S_ISREG(self.mode) or statmod.S_ISBLK(self.mode)):
            raise SyscallError(errno.ENODEV)
        # mm/mmap.c refuses an append-only *inode* (chattr +a), not an O_APPEND open;
        # the host's own mmap of the reopened file enforces the inode flag.

    def identity(self):
        st = os.fstat(self.host_fd)
        return ("inode", st.st_dev, st.st_ino)

    def stub_path(self):
        """A path by which a stub can open this same file."""
        return f"/proc/{KERNEL_PID}/fd/{self.host_fd}".encode()

    def stub_open_flags(self):
        return O_RDWR if self.flags & O_ACCMODE == O_RDWR else O_RDONLY

    def truncate(self, length):
        if not self.writable:
            raise SyscallError(errno.EINVAL)
        host_call(os.ftruncate, self.host_fd, length)
        return 0

    def sync(self):
        host_call(os.fsync, self.host_fd)
        return 0

    def release(self):
        try:
            if getattr(self, "lease", None) is not None:
                from . import leases
                leases.released(self)
            if self.fsnotify is not None:
                fsnotify.closed(self)       # IN_CLOSE_*, while the host fd still names it
            if self.journal_state is not None:
                changes.closed(self)        # written since its open? (the change journal)
        finally:
            # (an event's SIGIO may end the closing process itself: TaskGone)
            os.close(self.host_fd)
            self.host_fd = None


class FifoState:
    """The guest-side opens of one host FIFO, so a blocking open can wait for the other end."""

    def __init__(self, kernel=None):
        from .errors import WaitQueue
        self.kernel = kernel
        self.readers = 0
        self.writers = 0
        self.waiting_writers = 0
        self.queue = WaitQueue()


class FifoFile(HostFile):
    """A host FIFO opened by the kernel (its host end non-blocking)."""

    def __init__(self, host_fd, flags, path, state):
        super().__init__(host_fd, flags, path)
        self.may_block = True
        self.state = state
        self.kernel = state.kernel
        if self.readable:
            state.readers += 1
        if self.writable:
            state.writers += 1
        state.queue.wake()

    def read(self, size):
        try:
            return super().read(size)
        except SyscallError as e:
            if e.errno == errno.EAGAIN and not self.flags & O_NONBLOCK:
                raise Block(fds=((self.host_fd, select.POLLIN),)) from None
            raise
        finally:
            # pipe_read's and pipe_write's O_ASYNC signals for the guests' own I/O (the
            # host's writers to the FIFO are not seen).
            fown.kill_fasync(self.kernel, self.state, fown.POLL_OUT, readers=False)

    def write(self, data):
        try:
            return super().write(data)
        finally:
            fown.kill_fasync(self.kernel, self.state, fown.POLL_IN, readers=True)

    def release(self):
        if self.readable:
            self.state.readers -= 1
        if self.writable:
            self.state.writers -= 1
        self.state.queue.wake()
        try:
            if (self.state.readers == 0) != (self.state.writers == 0):
                fown.kill_fasync(self.kernel, self.state, fown.POLL_IN, readers=True)
                fown.kill_fasync(self.kernel, self.state, fown.POLL_OUT, readers=False)
        finally:
            super().release()


def filter_dirents(data, keep):
    """linux_dirent64 records whose name keep() accepts."""
    out = []
    pos = 0
    while pos < len(data):
        reclen, = struct.unpack_from("<H", data, pos + 16)
        name = data[pos + 19:pos + reclen].split(b"\0", 1)[0]
        if keep(name):
            out.append(data[pos:pos + reclen])
        pos += reclen
    return b"".join(out)


def pack_dirents(entries, pos, size):
    """The linux_dirent64 records of entries[pos:] ((name, dtype, ino) each) that fit in
    size bytes, and the position after them; EINVAL if not even the first fits."""
    out = b""
    while pos < len(entries):
        name, dtype, ino = entries[pos]
        rec = dirent64(ino, pos + 1, dtype, name)
        if len(out) + len(rec) > size:
            if not out:
                raise SyscallError(errno.EINVAL)
            break
        out += rec
        pos += 1
    return out, pos


def dirent64(ino, off, dtype, name):
    """One linux_dirent64 record."""
    reclen = (19 + len(name) + 1 + 7) & ~7
    return struct.pack("<QqHB", ino, off, reclen, dtype) + name + b"\0" * (reclen - 19 - len(name))


class MemoryFile(File):
    """A read-only file whose contents the kernel generates when it is opened (proc files)."""

    def __init__(self, content, path, flags=O_RDONLY):
        super().__init__(flags, path)
        self.content = content
        self.pos = 0

    def read(self, size):
        if not self.readable:
            raise SyscallError(errno.EBADF)
        data = self.content[self.pos:self.pos + size]
        self.pos += len(data)
        return data

    def pread(self, size, offset):
        return self.content[offset:offset + size]

    def write(self, data):
        raise SyscallError(errno.EBADF if not self.writable else errno.EACCES)

    def lseek(self, offset, whence):
        base = {0: 0, 1: self.pos, 2: len(self.content)}.get(whence)
        if base is None or base + offset < 0:
            raise SyscallError(errno.EINVAL)
        self.pos = base + offset
        return self.pos

    def stat(self):
        return make_stat(statmod.S_IFREG | 0o444, 0x1000 + hash(self.path) % 100000)


class SyntheticDir(File):
    """A directory listing the kernel generates (/proc/self/fd, /proc/PID)."""

    def __init__(self, entries, path, flags=O_RDONLY | O_DIRECTORY):
        super().__init__(flags, path)
        self.entries = [(b".", 4), (b"..", 4)] + [(os.fsencode(n), t) for n, t in entries]
        self.pos = 0

    def read(self, size):
        raise SyscallError(errno.EISDIR)

    def getdents64(self, size):
        entries = [(name, dtype, 1000 + i) for i, (name, dtype) in enumerate(self.entries)]
        out, self.pos = pack_dirents(entries, self.pos, size)
        return out

    def lseek(self, offset, whence):
        if whence == 1 and offset == 0:
            return self.pos
        if whence != 0 or offset < 0:
            raise SyscallError(errno.EINVAL)
        self.pos = offset
        return offset

    def stat(self):
        return make_stat(statmod.S_IFDIR | 0o555, 0x2000 + hash(self.path) % 100000, nlink=2)


# ---- terminal requests (tty_ioctl(4)) ----------------------------------------------------
#
# A terminal fd of the host is the user's terminal (the kernel's stdin/out/err, its
# /dev/tty, an inherited /dev/pts/N) or a pty the guest made through ptmx. The kernel
# is root there, so nothing reaches the host but an allow-list of requests that are
# harmless to the terminal, checked with Linux's rules first:
#   reads (TTY_GET) of settings, window size and queue length;
#   TCSETS*/TCSETA* (termios: shells and editors need them) and TCFLSH, TCXONC (but
#     TCOOFF, which would leave the user's output stopped after umlskas ends, only on
#     the guest's own ptys), after Linux's tty_check_change (see _check_change);
#   TIOCSWINSZ: on the guest's own ptys; on the user's terminal only while umlskas is
#     its foreground job (the SIGWINCH the host then sends goes to umlskas's own job),
#     from the background it is accepted and dropped;
#   the pty master requests (TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCPKT, TIOCGPKT,
#     TIOCGPTPEER in devfs) and TIOCEXCL/TIOCNXCL/TIOCGEXCL on the guest's own ptys.
# Emulated, never passed: TIOCGETD/TIOCSETD (only N_TTY exists here: any other
#   discipline is EINVAL, Linux's answer for one no module provides; the host would
#   load modules for the root kernel and leave the user's terminal dead), TIOCGPGRP,
#   TIOCSPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY (job control is the kernel's: see
#   tty_jobctrl, which also checks reads and TOSTOP writes), TIOCGSOFTCAR
#   and TIOCSSOFTCAR (the CLOCAL bit, through TCGETS/TCSETS), TIOCSSERIAL (copied in,
#   then ENOTTY: no serial driver), TIOCGLCKTRMIOS (read), TIOCSLCKTRMIOS (EPERM for a
#   non-root guest; applied on the guest's own ptys only), TIOCEXCL
#   and TIOCNXCL on the user's terminal (accepted without effect: exclusive mode would
#   outlive umlskas), breaks (TCSBRK 0, TCSBRKP, TIOCSBRK, TIOCCBRK: accepted without
#   a break on the user's terminal, as on a pty, which has none: a break on a serial
#   console is a magic SysRq) and tcdrain (TCSBRK n: waits, parked, for TIOCOUTQ 0).
# Refused: TIOCSTI (typing into the user's terminal), TIOCCONS (redirecting the host's
#   console), TIOCVHANGUP with EPERM, what a caller without CAP_SYS_ADMIN gets; every
#   other request (TIOCLINUX, KD*, VT_*, TIOCM*...) with
#   ENOTTY, Linux's answer for a request the terminal does not support.

TIOCGLCKTRMIOS = 0x5456
TTY_GET = {TCGETS: TERMIOS_SIZE, TCGETS2: 44, TCGETA: 18, TIOCGWINSZ: 8, TIOCOUTQ: 4,
           TIOCGLCKTRMIOS: TERMIOS_SIZE}
TTY_SET = {TCSETS: TERMIOS_SIZE, TCSETSW: TERMIOS_SIZE, TCSETSF: TERMIOS_SIZE, TCSETS2: 44,
           TCSETSW2: 44, TCSETSF2: 44, TCSETA: 18, TCSETAW: 18, TCSETAF: 18}
PTY_GET = {TIOCGPTN: 4, TIOCGPTLCK: 4, TIOCGPKT: 4}      # the master's (pty_unix98_ioctl)
PTY_SET = {TIOCSPTLCK: 4, TIOCPKT: 4}
TTY_REFUSED = (TIOCSTI, TIOCCONS, TIOCVHANGUP)
DRAIN_POLL = 0.02                   # seconds between two looks at an output queue


def tty_ioctl(task, file, cmd, arg):
    """A terminal request on a host tty fd: see the table above."""
    hfd = file.host_fd
    own = file.guest_pty
    master = own and getattr(file, "pty_master", False)
    if cmd == TIOCGEXCL and own:
        task.mm.write(arg, host_call(fcntl.ioctl, hfd, cmd, b"\0" * 4))
        return 0
    size = TTY_GET.get(cmd) or (master and PTY_GET.get(cmd))
    if size:
        task.mm.write(arg, host_call(fcntl.ioctl, hfd, cmd, b"\0" * size))
        return 0
    size = TTY_SET.get(cmd)
    if size:
        data = task.mm.read(arg, size)
        _check_change(task, file)
        _host_set(hfd, cmd, data)
        return 0
    if cmd == TIOCGETD:
        task.mm.write(arg, struct.pack("<i", N_TTY))
        return 0
    if cmd == TIOCSETD:
        disc, = struct.unpack("<i", task.mm.read(arg, 4))
        if disc != N_TTY:
            raise SyscallError(errno.EINVAL)
        return 0
    if cmd == TIOCSWINSZ:
        data = task.mm.read(arg, 8)
        if own or not _background(hfd):
            _host_set(hfd, cmd, data)
        return 0
    # Job control is the kernel's (tty_jobctrl): sessions and foreground groups.
    if cmd == TIOCGPGRP:
        return _jobs(file, task).tiocgpgrp(task, file, arg, master)
    if cmd == TIOCGSID:
        return _jobs(file, task).tiocgsid(task, file, arg, master)
    if cmd == TIOCSPGRP:
        return _jobs(file, task).tiocspgrp(task, file, arg)
    if cmd == TIOCSCTTY:
        return _jobs(file, task).tiocsctty(task, file, arg)
    if cmd == TIOCNOTTY:
        return _jobs(file, task).tiocnotty(task, file, master)
    if cmd == TIOCGSOFTCAR:
        termios = host_call(fcntl.ioctl, hfd, TCGETS, b"\0" * TERMIOS_SIZE)
        cflag, = struct.unpack_from("<I", termios, 8)
        task.mm.write(arg, struct.pack("<i", 1 if cflag & CLOCAL else 0))
        return 0
    if cmd == TIOCSSOFTCAR:
        on, = struct.unpack("<i", task.mm.read(arg, 4))
        termios = bytearray(host_call(fcntl.ioctl, hfd, TCGETS, b"\0" * TERMIOS_SIZE))
        cflag, = struct.unpack_from("<I", termios, 8)
        struct.pack_into("<I", termios, 8, cflag | CLOCAL if on else cflag & ~CLOCAL)
        _host_set(hfd, TCSETS, bytes(termios))
        return 0
    if cmd == TIOCSSERIAL:
        task.mm.read(arg, SERIAL_STRUCT_SIZE)     # copied in, then no serial driver
        raise SyscallError(errno.ENOTTY)
    if cmd == TIOCGLCKTRMIOS:
        task.mm.write(arg, host_call(fcntl.ioctl, hfd, cmd, b"\0" * KTERMIOS_SIZE))
        return 0
    if cmd == TIOCSLCKTRMIOS:
        if task.creds.euid != 0:
            raise SyscallError(errno.EPERM)       # capable(CAP_SYS_ADMIN) comes first
        data = task.mm.read(arg, KTERMIOS_SIZE)
        if own:
            host_call(fcntl.ioctl, hfd, cmd, data)
        return 0                # the user's terminal: accepted, no lock outliving us
    if master and cmd in PTY_SET:
        host_call(fcntl.ioctl, hfd, cmd, task.mm.read(arg, 4))
        return 0
    if cmd in (TCFLSH, TCXONC):
        if cmd == TCXONC and arg & 0xFFFFFFFF == TCOOFF and not own:
            raise SyscallError(errno.EPERM)
        _check_change(task, file)
        _host_set(hfd, cmd, arg & 0xFFFFFFFF)
        return 0
    if cmd in (TCSBRK, TCSBRKP, TIOCSBRK, TIOCCBRK):
        _check_change(task, file)
        if own:
            host_call(fcntl.ioctl, hfd, cmd, arg & 0xFFFFFFFF)
        elif cmd == TCSBRK and arg & 0xFFFFFFFF:
            # tcdrain: wait (parked, never in the host) until the output has gone.
            queued, = struct.unpack("<i", host_call(fcntl.ioctl, hfd, TIOCOUTQ, b"\0" * 4))
            if queued:
                raise Block(deadline=time.monotonic() + DRAIN_POLL)
        return 0
    if cmd in (TIOCEXCL, TIOCNXCL):
        if own:
            host_call(fcntl.ioctl, hfd, cmd, 0)
        return 0
    if cmd in TTY_REFUSED:
        raise SyscallError(errno.EPERM)
    raise SyscallError(errno.ENOTTY)


def _host_set(hfd, cmd, arg):
    """A change to a host terminal, with SIGTTOU blocked in the kernel process: if
    umlskas went to the background since _check_change looked, the host lets the call
    through instead of stopping the kernel (and every guest with it)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, (SIGTTOU,))
    try:
        host_call(fcntl.ioctl, hfd, cmd, arg)
    finally:
        if SIGTTOU not in old:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, (SIGTTOU,))


def _background(hfd):
    """Is hfd the kernel process's controlling terminal, with another foreground job?"""
    try:
        fg = os.tcgetpgrp(hfd)
    except OSError:
        return False            # not our controlling terminal: the host never stops us
    return fg > 0 and fg != os.getpgrp()


def _jobs(file, task=None):
    """The job control of the kernel the file (or the task) belongs to."""
    devfs = getattr(file, "devfs", None)
    if devfs is None:
        devfs = (getattr(file, "kernel", None) or task.kernel).devfs
    return devfs.jobs


def _check_change(task, file):
    """Linux's tty_check_change for a change to the terminal. First the guest's own job
    control (tty_jobctrl: its background groups get SIGTTOU). Then the host's: when
    umlskas itself is a background job of the user's terminal the host would stop the
    kernel process with SIGTTOU; the guest gets what Linux gives its own process group
    instead: the call goes through if it blocks or ignores SIGTTOU, EIO if its process
    group is orphaned (as init's is), else SIGTTOU to its process group and a restart."""
    _jobs(file, task).check_change(task, file)
    if file.guest_pty or not _background(file.host_fd):
        return
    if task.sigmask & signals.sigbit(SIGTTOU) or \
            signals.action_of(task, SIGTTOU)[0] == signals.SIG_IGN:
        return
    kernel = task.kernel
    group = [p for p in kernel.processes() if p.pgid == task.pgid]
    if all(p.parent is None or p.parent.pgid == p.pgid or p.parent.sid != p.sid
           for p in group):
        raise SyscallError(errno.EIO)
    for p in group:
        kernel.send_signal(p, SIGTTOU, info=signals.siginfo(SIGTTOU, signals.SI_KERNEL))
    raise SyscallError(ERESTARTSYS)
