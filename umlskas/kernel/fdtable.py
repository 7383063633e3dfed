"""The fd table: guest fd numbers -> open file descriptions, with close-on-exec flags."""

import errno

from . import fsnotify
from .errors import SyscallError

FD_CLOEXEC = 1
NR_OPEN = 1048576                 # Linux's default /proc/sys/fs/nr_open

# Host descriptors. The kernel holds a host fd for each open guest file that is the
# host's (files.HostFile: files, directories, host devices, ptys, memfds, inet
# sockets, FIFOs), all under the kernel's own RLIMIT_NOFILE, L (raised as far as
# the host lets it at start). Two rules keep one guest from starving the others:
#  - a reserve for the kernel: a guest's new host fd numbered L - RESERVE or more is
#    closed again and the guest gets ENFILE (Linux's "too many open files in the
#    system"). The host hands out the lowest free fd, so every guest host fd stays
#    below that line and what the kernel needs for itself when guests fork and exec
#    (stub spawn, the stubs' /proc/PID/mem and maps, the loader's opens of the
#    program and its interpreter, the run loop's pipe and signalfd) finds free fds
#    above it. RESERVE is L/8, at least 64 and at most 4096.
#  - a share per process: a guest's RLIMIT_NOFILE (soft and hard) goes no higher
#    than half of what is left (the guest's nr_open), so one process at its limit
#    leaves the other half to the rest. Processes together can still use up the
#    guests' part: then opens fail with ENFILE, while fork and exec go on.


def host_fd_budget(limit):
    """(the first host fd number a guest may not get, the guest's nr_open) for a
    kernel whose RLIMIT_NOFILE is `limit`."""
    reserve = max(64, min(4096, limit // 8))
    ceiling = max(limit - reserve, 0)
    return ceiling, max(min(NR_OPEN, ceiling // 2), 16)


class FdTable:
    """One process's fds (shared by CLONE_FILES threads)."""

    posix_locks = None           # the kernel's LockManager while this table owns POSIX locks

    def __init__(self, limit=1024):
        self.files = {}          # fd -> File
        self.cloexec = set()     # fds with FD_CLOEXEC
        self.limit = limit       # RLIMIT_NOFILE soft limit, checked on allocation
        self.users = 1           # processes sharing this table (CLONE_FILES)

    def get(self, fd):
        try:
            return self.files[fd]
        except KeyError:
            raise SyscallError(errno.EBADF) from None

    def _lowest_free(self, minfd):
        fd = minfd
        files = self.files
        while fd in files:
            fd += 1
        if fd >= self.limit:
            raise SyscallError(errno.EMFILE)
        return fd

    def check_free(self):
        """EMFILE now if no fd is free (open checks before it opens anything, as
        Linux's get_unused_fd_flags comes before the lookup)."""
        self._lowest_free(0)

    def install(self, file, minfd=0, cloexec=False):
        """Put file at the lowest free fd >= minfd; returns the fd. (A caller that made
        a new file with a host fd checks check_free() first, or releases the file
        when this fails: its host fd must not outlive the failed call.)"""
        fd = self._lowest_free(minfd)
        self._set(fd, file, cloexec)
        return fd

    def _set(self, fd, file, cloexec):
        self.files[fd] = file
        file.refs = getattr(file, "refs", 0) + 1
        if cloexec:
            self.cloexec.add(fd)
        else:
            self.cloexec.discard(fd)

    def install_at(self, fd, file, cloexec=False):
        """dup2 semantics: replace whatever fd held."""
        if fd < 0 or fd >= self.limit:
            raise SyscallError(errno.EBADF)
        old = self.files.get(fd)
        self._set(fd, file, cloexec)
        if old is not None:
            if self.posix_locks is not None:
                self.posix_locks.close_posix(self, old)
            if getattr(old, "dnotify", None):
                fsnotify.dnotify_flush(old, self)
            drop(old)

    def close(self, fd):
        file = self.files.pop(fd, None)
        if file is None:
            raise SyscallError(errno.EBADF)
        self.cloexec.discard(fd)
        if self.posix_locks is not None:
            self.posix_locks.close_posix(self, file)     # Linux's locks_remove_posix
        if getattr(file, "dnotify", None):
            fsnotify.dnotify_flush(file, self)           # filp_close
        drop(file)

    def close_all(self):
        for fd in list(self.files):
            self.close(fd)
        if self.posix_locks is not None:
            self.posix_locks.release_owner(self)

    def close_on_exec(self):
        for fd in sorted(self.cloexec):
            self.close(fd)

    def copy(self):
        """fork without CLONE_FILES."""
        table = FdTable(self.limit)
        for fd, file in self.files.items():
            table._set(fd, file, fd in self.cloexec)
        return table


def drop(file):
    """One reference fewer; the description is released with its last fd."""
    file.refs -= 1
    if file.refs == 0:
        locks = getattr(file, "file_locks", None)
        if locks is not None:
            locks.release_file(file)                    # its OFD and flock locks
        file.release()
