"""The fd table: guest fd numbers -> open file descriptions, with close-on-exec flags."""

import errno

from .errors import SyscallError

FD_CLOEXEC = 1


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

    def install(self, file, minfd=0, cloexec=False):
        """Put file at the lowest free fd >= minfd; returns the fd."""
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
            drop(old)

    def close(self, fd):
        file = self.files.pop(fd, None)
        if file is None:
            raise SyscallError(errno.EBADF)
        self.cloexec.discard(fd)
        if self.posix_locks is not None:
            self.posix_locks.close_posix(self, file)     # Linux's locks_remove_posix
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
