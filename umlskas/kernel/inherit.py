"""The first guest process's descriptors: the host fds umlskas was started with.

A host execve keeps every fd that is not close-on-exec; `umlskas run` does the same for
its guest (`cmd 5<file`, a make jobserver's pipe, systemd's LISTEN_FDS sockets). The
list is taken before umlskas opens anything of its own: Python opens every fd it makes
close-on-exec (PEP 446), so the fds without FD_CLOEXEC at start are exactly what the
parent gave. The kernel's own fds (stub channel, signalfd, wakeup pipe, log files,
/proc/PID/mem of the stubs) never reach a guest fd table.
"""

import errno
import fcntl
import logging
import os
import select
import stat as statmod

from .errors import Block, SyscallError
from .files import O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH, HostFile

log = logging.getLogger("umlskas")

STDIO = (0, 1, 2)


def host_fds_to_inherit():
    """The host fds of this process that an execve would pass on (no FD_CLOEXEC), in
    order. Each fd above 2 is made close-on-exec at once: from here on it is the
    guest's, and no host program umlskas starts (the stub, a compiler) gets it. A
    closed 0, 1 or 2 is filled with /dev/null for umlskas itself (close-on-exec, not
    the guest's): a file the kernel opens later must not land there."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        names = [str(fd) for fd in STDIO]
    fds = []
    for name in names:
        try:
            fd = int(name)
            if fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC:
                continue
        except (ValueError, OSError):
            continue                # the listing's own fd, already closed
        if fd not in STDIO:
            os.set_inheritable(fd, False)
        fds.append(fd)
    for fd in STDIO:
        try:
            fcntl.fcntl(fd, fcntl.F_GETFD)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            if null != fd:
                os.dup2(null, fd, inheritable=False)
                os.close(null)
    return sorted(fds)


def close_host_fds(fds):
    """--close-fds: the guest gets only 0-2, and the others are not held open either
    (a reader of an inherited pipe sees its end of file)."""
    for fd in fds:
        if fd not in STDIO:
            try:
                os.close(fd)
            except OSError:
                pass


class InheritedPipe(HostFile):
    """A host pipe or FIFO the guest inherited, through a description of the kernel's
    own whose host end is non-blocking: the kernel never sleeps in a read that another
    host process (the rest of a make jobserver) drained first; the guest's read waits."""

    def __init__(self, host_fd, flags, path):
        super().__init__(host_fd, flags, path)
        self.may_block = True

    def read(self, size):
        try:
            return super().read(size)
        except SyscallError as e:
            if e.errno == errno.EAGAIN and not self.flags & O_NONBLOCK:
                raise Block(fds=((self.host_fd, select.POLLIN),)) from None
            raise

    def write(self, data):
        """A blocking write goes on until all of data is in the pipe, as Linux's
        pipe_write does (the host end takes at most what fits at a time); the count
        written so far waits in task.restart, and a signal ends the call with it."""
        task = self.kernel.current if self.kernel is not None else None
        if self.flags & O_NONBLOCK or task is None:
            return super().write(data)
        done = task.restart.get("pipe_written", 0)
        while done < len(data):
            try:
                n = super().write(data[done:])
            except Block:
                if done:
                    task.restart["pipe_written"] = done
                raise
            except SyscallError:
                if done:
                    return done         # EPIPE after part of it: the part (and SIGPIPE)
                raise
            done += n
        return done


def install(kernel, table, fds):
    """Put the host fds `fds` into the guest fd table `table` at the same numbers.
    0-2 stay umlskas's own too (the kernel writes its messages there): the guest gets
    duplicates. Any other fd is handed over: the kernel holds it for the guest and
    closes it when the guest closes its last copy, so a pipe's reader sees EOF."""
    for fd in fds:
        try:
            file = _host_file(kernel, fd)
        except OSError as e:
            if fd not in STDIO:
                log.warning("inherited fd %d: %s; the guest does not get it", fd,
                            os.strerror(e.errno))
            continue
        except SyscallError as e:
            log.warning("inherited fd %d: %s; the guest does not get it", fd,
                        os.strerror(e.errno))
            continue
        try:
            table.install_at(fd, file)
        except SyscallError:
            # Past the guest's RLIMIT_NOFILE: no fd table slot for it.
            log.warning("inherited fd %d is past the guest's fd limit; the guest does "
                        "not get it", fd)
            file.release()


def _host_file(kernel, fd):
    """The open file description for the guest of host fd `fd`."""
    from . import files as files_module
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    guest_flags = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH)
    try:
        path = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        path = f"anon_inode:[{fd}]"
    if fd in STDIO:
        host = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 0)
    else:
        host = fd
        if host >= files_module.HOST_FD_CEILING:
            # In the kernel's reserve: move it down among the guests' host fds.
            host = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
            os.close(fd)
        os.set_inheritable(host, False)
    mode = os.fstat(host).st_mode
    if fd not in STDIO and statmod.S_ISSOCK(mode):
        from .inet_socket import InetSocket
        # The socket calls wait on the kernel's side (Block), never in the host call:
        # its host description becomes non-blocking (the guest's own O_NONBLOCK is kept
        # apart), as for every socket the kernel opens.
        fcntl.fcntl(host, fcntl.F_SETFL, flags | O_NONBLOCK)
        return InetSocket(kernel, host, guest_flags)
    if fd not in STDIO and statmod.S_ISFIFO(mode):
        own = _reopen_nonblocking(host, flags)
        if own is not None:
            os.close(host)
            pipe = InheritedPipe(own, guest_flags, path)
            pipe.kernel = kernel
            return pipe
    file = HostFile(host, guest_flags, path)
    file.kernel = kernel        # `guest | head`: a write past head's exit is SIGPIPE
    return file


def _reopen_nonblocking(fd, flags):
    """A new description of the pipe behind fd, non-blocking on the host (the parent's
    description keeps its own flags); None if the pipe cannot be opened again."""
    try:
        own = os.open(f"/proc/self/fd/{fd}",
                      (flags & O_ACCMODE) | O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    from . import files as files_module
    if own >= files_module.HOST_FD_CEILING:
        os.close(own)
        return None
    return own
