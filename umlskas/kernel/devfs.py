"""The kernel's own /dev: the memory devices, the terminals, and nothing else of the host.

How it works: a DevFs is attached to the mount point /dev, with the same
interface as ProcFs (root_node, step). null, zero, full, random and urandom
are made by the kernel (random bytes from os.urandom, or from the kernel's
seeded generator in a deterministic run). The terminal devices are the
host's, opened by the kernel: tty is the controlling terminal (the one a
guest session chose with TIOCSCTTY, else the kernel process's own, else
ENXIO as Linux), ptmx opens the host's /dev/ptmx, and pts/ shows only the
pseudo-terminals the guest made plus the ones it inherited as stdin, stdout
or stderr; opening pts/N opens the host's /dev/pts/N for those alone.
fd, stdin, stdout and stderr are links into the kernel's /proc/self/fd, and
shm is a directory that the mount table covers with a tmpfs.
"""

import errno
import fcntl
import os
import stat as statmod
import struct

from .errors import SyscallError
from .files import (File, HostFile, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOCTTY,
                    O_NONBLOCK, O_PATH, host_call, open_flags)
from .tty_jobctrl import CONSOLE, JobControl
from .procfs import (DT_CHR, DT_DIR, DT_LNK, PathFile, ProcDir, SynthLink, SynthNode,
                     boot_realtime_ns, check_access, inode_of, node_stat)

PTY_SLAVE_MAJOR, PTY_MAJOR_COUNT = 136, 8
TTY_GID = 5
TIOCGPTN, TIOCGPTPEER = 0x80045430, 0x5441
RNDGETENTCNT = 0x80045200
READ_CHUNK = 1 << 24                      # the most one read of a memory device returns

# name -> (major, minor, permissions, group)
DEVICES = {
    "null": (1, 3, 0o666, 0), "zero": (1, 5, 0o666, 0), "full": (1, 7, 0o666, 0),
    "random": (1, 8, 0o666, 0), "urandom": (1, 9, 0o666, 0),
    "tty": (5, 0, 0o666, TTY_GID), "ptmx": (5, 2, 0o666, TTY_GID),
}
LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
         "stderr": "/proc/self/fd/2"}
DIRS = {"pts": 0o755, "shm": 0o1777}


def pty_number(st):
    """The pts number of a host pty slave's stat, or None."""
    if not statmod.S_ISCHR(st.st_mode):
        return None
    major = os.major(st.st_rdev)
    if not PTY_SLAVE_MAJOR <= major < PTY_SLAVE_MAJOR + PTY_MAJOR_COUNT:
        return None
    return (major - PTY_SLAVE_MAJOR) * 256 + os.minor(st.st_rdev)


# ---- the memory devices (drivers/char/mem.c, random.c) --------------------------------

class CharDevice(File):
    """An open kernel-made character device."""

    def __init__(self, node, flags, kernel):
        super().__init__(flags, node.path)
        self.node = node
        self.kernel = kernel
        self.mode = statmod.S_IFCHR | node.perm

    def produce(self, size):
        return b""

    def consume(self, data):
        return len(data)

    def read(self, size):
        if not self.readable:
            raise SyscallError(errno.EBADF)
        return self.produce(min(size, READ_CHUNK))

    def write(self, data):
        if not self.writable:
            raise SyscallError(errno.EBADF)
        return self.consume(data)

    def pread(self, size, offset):
        return self.read(size)

    def pwrite(self, data, offset):
        return self.write(data)

    def lseek(self, offset, whence):
        return 0

    def stat(self):
        return self.node.stat()

    # No poll(): like mem.c's devices, null, zero and full are always ready, and
    # epoll refuses them (EPERM); random and urandom have one.

    def identity(self):
        return ("dev", self.node.path)


class NullDevice(CharDevice):
    # write_null: the count, the guest's buffer never read (syscalls/fs.py).
    discards_writes = True


class ZeroDevice(CharDevice):
    # read_iter_zero: zeros straight into the guest's buffer (AddressSpace.write_zeros).
    reads_zeros = True
    discards_writes = True               # write_zero is write_null

    def produce(self, size):
        return bytes(size)


class FullDevice(CharDevice):
    reads_zeros = True

    def produce(self, size):
        return bytes(size)

    def consume(self, data):
        raise SyscallError(errno.ENOSPC)


class RandomDevice(CharDevice):
    """random and urandom: the host's randomness, or the seeded generator of a
    deterministic run (the same bytes getrandom(2) and AT_RANDOM come from)."""

    def poll(self):
        return 0x5                          # POLLIN | POLLOUT: never waits

    def produce(self, size):
        make = getattr(self.kernel, "random_bytes", None)
        return make(size) if make is not None else os.urandom(size)

    def ioctl(self, task, cmd, arg):
        if cmd == RNDGETENTCNT:
            task.mm.write(arg, struct.pack("<i", 256))
            return 0
        raise SyscallError(errno.EINVAL)


DEVICE_FILES = {"null": NullDevice, "zero": ZeroDevice, "full": FullDevice,
                "random": RandomDevice, "urandom": RandomDevice}


# ---- terminals ------------------------------------------------------------------------

def _host_open(path, flags):
    host_flags = (flags & (O_ACCMODE | O_NONBLOCK)) | O_NOCTTY | O_CLOEXEC
    return host_call(os.open, path, host_flags)


class PtySlave(HostFile):
    """A host pty slave opened by the guest; TIOCSCTTY makes it its session's terminal."""

    def __init__(self, devfs, number, host_fd, flags, path, shown=None):
        super().__init__(host_fd, flags, path)
        self.devfs = devfs
        self.kernel = devfs.kernel
        self.number = number
        self.shown = shown            # opened as /dev/tty: fstat shows that node
        # One the guest made (the user's own terminals are inherited): see files.tty_ioctl.
        self.guest_pty = number in devfs.created and number not in devfs.inherited

    def stat(self):
        return self.shown.stat() if self.shown is not None else super().stat()

    def ioctl(self, task, cmd, arg):
        if cmd == TIOCGPTPEER:
            raise SyscallError(errno.EIO)      # ptm_open_peer: not a master
        return super().ioctl(task, cmd, arg)


class PtyMaster(HostFile):
    """The master side of a pty the guest made by opening ptmx."""

    guest_pty = True
    pty_master = True

    def __init__(self, devfs, number, host_fd, flags, path):
        super().__init__(host_fd, flags, path)
        self.devfs = devfs
        self.kernel = devfs.kernel
        self.number = number

    def ioctl(self, task, cmd, arg):
        if cmd == TIOCGPTPEER:
            peer = arg & 0xFFFFFFFF
            host_flags = (peer & (O_ACCMODE | O_NONBLOCK)) | O_NOCTTY | O_CLOEXEC
            hfd = host_call(fcntl.ioctl, self.host_fd, TIOCGPTPEER, host_flags)
            slave = PtySlave(self.devfs, self.number, hfd, open_flags(peer),
                             f"/dev/pts/{self.number}")
            try:
                return task.files.install(slave, cloexec=bool(peer & O_CLOEXEC))
            except SyscallError:
                slave.release()
                raise
        return super().ioctl(task, cmd, arg)

    def release(self):
        self.devfs.pty_closed(self.number)
        super().release()


class DevNode(SynthNode):
    """A character device of /dev."""

    kind = statmod.S_IFCHR

    def __init__(self, devfs, name):
        major, minor, perm, gid = DEVICES[name]
        super().__init__("/dev/" + name, perm, 0, gid, devfs.dev, devfs.time_ns)
        self.devfs = devfs
        self.name = name
        self.rdev = os.makedev(major, minor)

    def stat(self):
        """The host's node when it is this same device (so that an fd the guest
        inherited, say stdin on the host's /dev/null, and the guest's /dev/null
        are one file, as ttyname() and the like expect); else the kernel's own."""
        if not getattr(self.devfs.kernel, "deterministic", False):
            try:
                st = os.stat(self.path)
                if statmod.S_ISCHR(st.st_mode) and st.st_rdev == self.rdev:
                    return st
            except OSError:
                pass
        return node_stat(self.kind | self.perm, inode_of(self.path), dev=self.dev, uid=self.uid,
                         gid=self.gid, time_ns=self.time_ns, rdev=self.rdev)

    def open(self, task, flags):
        self.check_open(task, flags)
        if flags & O_PATH:
            return PathFile(self, flags)
        kept = open_flags(flags)
        devfs = self.devfs
        if self.name in DEVICE_FILES:
            return DEVICE_FILES[self.name](self, kept, devfs.kernel)
        if self.name == "tty":
            return devfs.open_tty(task, flags, kept)
        return devfs.open_ptmx(flags, kept)


class PtsNode:
    """/dev/pts/N (a pty the guest may use) or /dev/pts/ptmx: the host's node."""

    is_dir = False

    def __init__(self, devfs, number, path, host):
        self.devfs = devfs
        self.number = number
        self.path = path
        self.host = host

    def stat(self):
        return host_call(os.stat, self.host)

    def open(self, task, flags):
        st = self.stat()
        if flags & O_DIRECTORY:
            raise SyscallError(errno.ENOTDIR)
        if flags & O_CREAT and flags & O_EXCL:
            raise SyscallError(errno.EEXIST)
        check_access(task, st, flags)
        if flags & O_PATH:
            return PathFile(self, flags)
        if self.number is None:
            return self.devfs.open_ptmx(flags, open_flags(flags), self.host, self.path)
        hfd = _host_open(self.host, flags)
        slave = PtySlave(self.devfs, self.number, hfd, open_flags(flags), self.path)
        if not flags & O_NOCTTY:
            self.devfs.jobs.open_sets_ctty(task, slave)
        return slave


class DevFs:
    """Answers /dev lookups for one kernel."""

    fstype = "devtmpfs"

    def __init__(self, kernel, stdio_fds=(0, 1, 2)):
        self.kernel = kernel
        self.time_ns = boot_realtime_ns(kernel)
        try:
            self.dev = os.stat("/dev").st_dev
        except OSError:
            self.dev = 5
        self.inherited = set()        # host ptys the kernel's stdin/out/err are
        self.created = set()          # host ptys guests made through ptmx
        console = False               # does init's session start with the user's terminal?
        for fd in stdio_fds:
            try:
                n = pty_number(os.fstat(fd))
            except OSError:
                continue
            if n is not None:
                self.inherited.add(n)
            console = console or os.isatty(fd)
        if stdio_fds and not console:
            try:
                os.close(os.open("/dev/tty", os.O_RDWR | O_NOCTTY | O_CLOEXEC))
                console = True
            except OSError:
                pass
        # Sessions, controlling terminals, foreground groups.
        self.jobs = JobControl(kernel, console)

    # ---- the tree ------------------------------------------------------------------------

    def root_node(self, task):
        return ProcDir(self.root_names, "/dev", 0o755, 0, 0, self.dev, self.time_ns)

    def root_names(self):
        names = [(name, DT_CHR) for name in DEVICES]
        names += [(name, DT_LNK) for name in LINKS]
        names += [(name, DT_DIR) for name in DIRS]
        return sorted(names)

    def pts_numbers(self):
        """The ptys the guest may see, those that still exist."""
        return sorted(n for n in self.inherited | self.created
                      if os.path.exists(f"/dev/pts/{n}"))

    def pts_names(self):
        return [("ptmx", DT_CHR)] + [(str(n), DT_CHR) for n in self.pts_numbers()]

    def step(self, task, path, nofollow):
        """One component under /dev: a node, a link target (str), a LinkNode; ENOENT."""
        parts = path[len("/dev/"):].split("/")
        name = parts[0]
        if len(parts) == 1:
            if name in DEVICES:
                return DevNode(self, name)
            if name in LINKS:
                if not nofollow:
                    return LINKS[name]
                return SynthLink(LINKS[name], path, 0o777, 0, 0, self.dev, self.time_ns)
            if name == "pts":
                return self._pts_dir()
            if name == "shm":
                return ProcDir((), path, DIRS["shm"], 0, 0, self.dev, self.time_ns)
            raise SyscallError(errno.ENOENT)
        if name in DEVICES:
            raise SyscallError(errno.ENOTDIR)
        if name != "pts" or len(parts) != 2:
            raise SyscallError(errno.ENOENT)
        sub = parts[1]
        if sub == "ptmx":
            return PtsNode(self, None, path, "/dev/pts/ptmx")
        if not sub.isdigit() or (len(sub) > 1 and sub[0] == "0"):
            raise SyscallError(errno.ENOENT)
        n = int(sub)
        if n not in self.inherited and n not in self.created:
            raise SyscallError(errno.ENOENT)
        host = f"/dev/pts/{n}"
        if not os.path.exists(host):
            raise SyscallError(errno.ENOENT)
        return PtsNode(self, n, path, host)

    def _pts_dir(self):
        node = ProcDir(self.pts_names, "/dev/pts", 0o755, 0, 0, self.dev, self.time_ns)
        try:
            st = os.stat("/dev/pts")
            node.dev, node.time_ns = st.st_dev, st.st_mtime_ns
        except OSError:
            pass
        return node

    # ---- opening the terminals ------------------------------------------------------------

    def open_ptmx(self, flags, kept, host="/dev/ptmx", path="/dev/ptmx"):
        hfd = _host_open(host, flags)
        try:
            number, = struct.unpack("<I", fcntl.ioctl(hfd, TIOCGPTN, b"\0" * 4))
        except OSError as e:
            os.close(hfd)
            raise SyscallError(e.errno) from None
        self.created.add(number)
        return PtyMaster(self, number, hfd, kept, path)

    @property
    def session_tty(self):
        """guest sid -> the pts number of its controlling terminal (None: it has none
        any more; absent: it never chose one)."""
        return {sid: None if term is None else CONSOLE if term.key == CONSOLE else term.key[1]
                for sid, term in self.jobs.ctty.items()}

    def pty_closed(self, number):
        """The master of a guest-made pty is gone: so is its pts/N (as devpts removes it)."""
        if number not in self.inherited:
            self.created.discard(number)
        self.jobs.hangup(("pts", number))

    def open_tty(self, task, flags, kept):
        """/dev/tty: the calling process's controlling terminal: a pty a guest made, or
        the console (the kernel process's own terminal); one without gets ENXIO."""
        process = getattr(task, "process", None)
        term = self.jobs.ctty_of(process) if process is not None else self.jobs.console
        if term is None:
            raise SyscallError(errno.ENXIO)
        if term.key != CONSOLE:
            n = term.key[1]
            if not os.path.exists(f"/dev/pts/{n}"):
                raise SyscallError(errno.ENXIO)
            hfd = _host_open(f"/dev/pts/{n}", flags)
            return PtySlave(self, n, hfd, kept, "/dev/tty", DevNode(self, "tty"))
        hfd = _host_open("/dev/tty", flags)
        file = HostFile(hfd, kept, "/dev/tty")
        file.kernel = self.kernel
        return file
