"""Pipes: a kernel buffer with Linux's semantics (PIPE_BUF atomicity, EOF, EPIPE, O_NONBLOCK).

Readers and writers that must wait park on the pipe's wait queues; the other
end's progress wakes them, and their handler runs again.
"""

import collections
import errno
import fcntl
import itertools
import os
import stat as statmod
import struct

from .errors import Block, SyscallError, WaitQueue
from .fown import POLL_IN, POLL_OUT, kill_fasync
from .files import O_DIRECT, O_NONBLOCK, O_RDONLY, O_WRONLY, File, host_call, make_stat

PIPE_BUF = 4096
PAGE_SIZE = 4096
SIGPIPE = 13
PIPE_SIZE = 65536
PIPE_MAX_SIZE = 1048576             # /proc/sys/fs/pipe-max-size's default
PIPE_USER_PAGES_SOFT = 16384        # ... pipe-user-pages-soft (hard: 0, no limit)
PIPEFS_MAGIC = 0x50495045
PIPE_DEV = 0xD
ST_VALID = 0x20
F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032
CAP_SYS_ADMIN, CAP_SYS_RESOURCE = 21, 24
CLOCK_REALTIME = 0
PIPE_MIN_DEF_BUFFERS = 2            # a new pipe's pages for a user over the soft limit
MAP_SHARED = 1
PROT_WRITE = 2
_inodes = itertools.count(100000)


def _host_caps():
    """The kernel process's bounding set: a guest root has no power its kernel lacks."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return (1 << 41) - 1


HOST_CAPS = _host_caps()


def capable(task, cap):
    """Linux's capable(cap) for the task's credentials."""
    creds = task.creds
    check = getattr(creds, "capable", None)
    if check is not None:
        return check(cap)
    return creds.euid == 0 and bool(HOST_CAPS >> cap & 1)


def unprivileged(task):
    """fs/pipe.c pipe_is_unprivileged_user."""
    return not (capable(task, CAP_SYS_RESOURCE) or capable(task, CAP_SYS_ADMIN))


def account_pages(kernel, uid, old, new):
    """Move a pipe of uid's from old to new pages; the user's pipe pages after it."""
    table = getattr(kernel, "pipe_user_pages", None)
    if table is None:
        table = kernel.pipe_user_pages = {}
    table[uid] = table.get(uid, 0) + new - old
    return table[uid]


def too_many_pages(kernel, pages, which):
    """Over pipe-user-pages-soft or -hard (0: no limit)?"""
    default = PIPE_USER_PAGES_SOFT if which == "soft" else 0
    limit = getattr(kernel, f"pipe_user_pages_{which}", default)
    return bool(limit) and pages > limit


def round_pipe_size(size):
    """fs/pipe.c round_pipe_size: 0 (invalid) above 2^31, else a power-of-two of pages."""
    if size > 1 << 31:
        return 0
    if size < PAGE_SIZE:
        return PAGE_SIZE
    return 1 << (size - 1).bit_length()


def pipe_fcntl(task, file, cmd, arg):
    """F_GETPIPE_SZ/F_SETPIPE_SZ on a pipe end or a FIFO (fs/pipe.c pipe_fcntl)."""
    pipe = getattr(file, "pipe", None)
    if cmd == F_GETPIPE_SZ:
        if pipe is not None:
            return pipe.capacity
        return host_call(fcntl.fcntl, file.host_fd, F_GETPIPE_SZ)
    size = round_pipe_size(arg & 0xFFFFFFFF)        # the argument is an unsigned int
    if not size:
        raise SyscallError(errno.EINVAL)
    current = pipe.capacity if pipe is not None else \
        host_call(fcntl.fcntl, file.host_fd, F_GETPIPE_SZ)
    max_size = getattr(task.kernel, "pipe_max_size", PIPE_MAX_SIZE)
    if size > current and size > max_size and not capable(task, CAP_SYS_RESOURCE):
        raise SyscallError(errno.EPERM)
    if pipe is None:
        return host_call(fcntl.fcntl, file.host_fd, F_SETPIPE_SZ, size)
    kernel = task.kernel
    slots = size // PAGE_SIZE
    pages = account_pages(kernel, pipe.uid, pipe.accounted, slots)
    if slots > pipe.accounted and (too_many_pages(kernel, pages, "hard") or
                                   too_many_pages(kernel, pages, "soft")) and \
            unprivileged(task):
        account_pages(kernel, pipe.uid, slots, pipe.accounted)
        raise SyscallError(errno.EPERM)
    # Linux counts the page buffers in use: fewer slots than that is EBUSY.
    if slots < pipe.slots_used():
        account_pages(kernel, pipe.uid, slots, pipe.accounted)
        raise SyscallError(errno.EBUSY)
    pipe.capacity = size
    pipe.accounted = slots
    pipe.writeq.wake()
    return size


def pipefs_statfs():
    """struct statfs of pipefs (simple_statfs: type, block size, name length)."""
    return struct.pack("<qqqqqqqiiqqq4q", PIPEFS_MAGIC, PAGE_SIZE, 0, 0, 0, 0, 0,
                       PIPE_DEV, 0, 255, PAGE_SIZE, ST_VALID, 0, 0, 0, 0)


class Pipe:
    """The shared buffer and the counts of open ends. The data lies in page buffers as
    in Linux's pipe ring: at most capacity // PAGE_SIZE of them, each [bytes left,
    where they end in their page, whether a write may add to it]."""

    def __init__(self, capacity=PIPE_SIZE, uid=0, owner=None, time_ns=0):
        self.bufs = collections.deque()
        self.nbytes = 0
        self.capacity = capacity
        self.uid = uid                  # the user its pages are accounted to
        # The inode's owner (the creator's fsuid/fsgid) and its one time stamp: pipefs
        # inodes are S_NOCMTIME and never updated by reads or writes.
        self.owner = owner or (os.getuid(), os.getgid())
        self.time_ns = time_ns
        self.accounted = capacity // PAGE_SIZE
        self.readers = 0
        self.writers = 0
        self.readq = WaitQueue()       # readers waiting for data or EOF
        self.writeq = WaitQueue()      # writers waiting for room or a gone reader
        self.ino = next(_inodes)

    def stat(self):
        return make_stat(statmod.S_IFIFO | 0o600, self.ino, dev=PIPE_DEV, uid=self.owner[0],
                         gid=self.owner[1], time_ns=self.time_ns)

    def slots_used(self):
        """The page buffers in use (F_SETPIPE_SZ cannot go below them: EBUSY)."""
        return len(self.bufs)

    def free_slots(self):
        return max(0, self.capacity // PAGE_SIZE - len(self.bufs))

    def take(self, size):
        """Up to size bytes from the front; a page is freed once it is emptied."""
        out = []
        bufs = self.bufs
        while size > 0 and bufs:
            buf = bufs[0]
            data = buf[0]
            if len(data) <= size:
                out.append(data)            # popped: nothing else holds it
                size -= len(data)
                bufs.popleft()
            else:
                out.append(data[:size])
                del data[:size]
                size = 0
        got = b"".join(out)
        self.nbytes -= len(got)
        return got

    def peek(self, size):
        """[(bytes, mergeable)] of the first size bytes, buffer by buffer, left in place."""
        out = []
        for data, _end, merge, _packet in self.bufs:
            if size <= 0:
                break
            out.append((bytes(data[:size]), merge and len(data) <= size))
            size -= len(data)
        return out

    def merge_tail(self, data):
        """pipe_write's first step: data (a write's length modulo PAGE_SIZE) goes into the
        last page if that page takes writes and has room for all of it."""
        if not data or not self.bufs:
            return 0
        buf = self.bufs[-1]
        if not buf[2] or buf[1] + len(data) > PAGE_SIZE:
            return 0
        buf[0] += data
        buf[1] += len(data)
        self.nbytes += len(data)
        return len(data)

    def push(self, data, merge=True, packet=False):
        """data into new pages while slots are free; how much went in. A packet page
        (O_DIRECT writer) is read whole or not at all."""
        done = 0
        free = self.free_slots()
        while done < len(data) and free:
            chunk = data[done:done + PAGE_SIZE]
            self.bufs.append([bytearray(chunk), len(chunk), merge, packet])
            done += len(chunk)
            free -= 1
        self.nbytes += done
        return done


class PipeEnd(File):
    """One end of a pipe (an open file description)."""

    def __init__(self, kernel, pipe, flags):
        super().__init__(flags, f"pipe:[{pipe.ino}]")
        self.kernel = kernel
        self.pipe = pipe
        if self.readable:
            pipe.readers += 1
        if self.writable:
            pipe.writers += 1

    def read(self, size):
        try:
            return self._read(size)
        finally:
            # pipe_read tells O_ASYNC writers there is room, whatever the outcome.
            kill_fasync(self.kernel, self.pipe, POLL_OUT, readers=False)

    def _read(self, size):
        pipe = self.pipe
        if pipe.nbytes:
            first = pipe.bufs[0]
            if first[3]:
                # A packet: this read ends with it, and what it did not take is dropped.
                data = pipe.take(min(size, len(first[0])))
                if pipe.bufs and pipe.bufs[0] is first:
                    pipe.take(len(first[0]))
            else:
                data = pipe.take(size)
            pipe.writeq.wake()
            return data
        if pipe.writers == 0:
            return b""
        if self.flags & O_NONBLOCK:
            raise SyscallError(errno.EAGAIN)
        raise Block(queue=pipe.readq)

    def write(self, data):
        """Called again after a Block until all of data is written (blocking mode)."""
        try:
            return self._write(data)
        finally:
            # pipe_write tells O_ASYNC readers there is data, whatever the outcome.
            kill_fasync(self.kernel, self.pipe, POLL_IN, readers=True)

    def _write(self, data):
        """fs/pipe.c pipe_write: the length's sub-page part merges into the last page
        if it fits, the rest goes a page at a time into free slots (so a write of up to
        PIPE_BUF is atomic). Called again after a Block until all of data is written
        (blocking mode): the task's restart state carries how much went in already."""
        pipe = self.pipe
        task = self.kernel.current
        restart = task.restart
        done = restart.get("pipe_written", 0)
        if pipe.readers == 0:
            self.kernel.send_signal(task.process, SIGPIPE, task)
            if done:
                return done
            raise SyscallError(errno.EPIPE)
        packet = bool(self.flags & O_DIRECT)
        if not restart.get("pipe_merged") and not packet:
            done = pipe.merge_tail(data[:len(data) & (PAGE_SIZE - 1)])
        if done < len(data):
            done += pipe.push(data[done:] if done else data, not packet, packet)
        if done:
            pipe.readq.wake()
        if done == len(data):
            return done
        if self.flags & O_NONBLOCK:
            if done:
                return done
            raise SyscallError(errno.EAGAIN)
        restart["pipe_written"] = done
        restart["pipe_merged"] = True
        raise Block(queue=pipe.writeq)

    def poll(self):
        """Ready events now: POLLIN 1, POLLOUT 4, POLLERR 8, POLLHUP 16."""
        pipe = self.pipe
        ev = 0
        if self.readable:
            if pipe.nbytes:
                ev |= 1
            if pipe.writers == 0:
                ev |= 16
        if self.writable:
            # fs/pipe.c pipe_poll: a free slot gives POLLOUT, no reader adds POLLERR.
            if pipe.free_slots():
                ev |= 4
            if pipe.readers == 0:
                ev |= 8
        return ev

    def wait_queues(self):
        return (self.pipe.readq, self.pipe.writeq)

    def stat(self):
        return self.pipe.stat()

    def fionread(self):
        return self.pipe.nbytes

    def check_mmap(self, prot, maptype):
        # mm/mmap.c do_mmap checks the access mode before it finds no ->mmap.
        if maptype == MAP_SHARED and prot & PROT_WRITE and not self.writable:
            raise SyscallError(errno.EACCES)
        if not self.readable:
            raise SyscallError(errno.EACCES)
        raise SyscallError(errno.ENODEV)

    def statfs(self):
        return pipefs_statfs()

    def release(self):
        pipe = self.pipe
        if self.readable:
            pipe.readers -= 1
        if self.writable:
            pipe.writers -= 1
        if pipe.readers == 0 and pipe.writers == 0:
            account_pages(self.kernel, pipe.uid, pipe.accounted, 0)
            pipe.accounted = 0
        pipe.readq.wake()
        pipe.writeq.wake()
        if (pipe.readers == 0) != (pipe.writers == 0):     # pipe_release
            kill_fasync(self.kernel, pipe, POLL_IN, readers=True)
            kill_fasync(self.kernel, pipe, POLL_OUT, readers=False)


def make_pipe(kernel, flags):
    """The read and write ends of a new pipe; flags may hold O_NONBLOCK. Its size and
    pages as fs/pipe.c alloc_pipe_info: at most pipe-max-size, 2 pages for a user
    over pipe-user-pages-soft, ENFILE over the hard limit (unprivileged users)."""
    task = kernel.current
    uid = task.creds.uid if task is not None else 0
    pages = PIPE_SIZE // PAGE_SIZE
    if task is not None:
        max_size = getattr(kernel, "pipe_max_size", PIPE_MAX_SIZE)
        if PIPE_SIZE > max_size and not capable(task, CAP_SYS_RESOURCE):
            pages = max_size // PAGE_SIZE
        total = account_pages(kernel, uid, 0, pages)
        if too_many_pages(kernel, total, "soft") and unprivileged(task):
            total = account_pages(kernel, uid, pages, PIPE_MIN_DEF_BUFFERS)
            pages = PIPE_MIN_DEF_BUFFERS
        if too_many_pages(kernel, total, "hard") and unprivileged(task):
            account_pages(kernel, uid, pages, 0)
            raise SyscallError(errno.ENFILE)
    owner = (task.creds.fsuid, task.creds.fsgid) if task is not None else None
    pipe = Pipe(pages * PAGE_SIZE, uid, owner, kernel.clock.now_ns(CLOCK_REALTIME))
    if task is None:
        pipe.accounted = 0
    # Packet mode (O_DIRECT) is the writer's: the read end's flags never show it.
    return (PipeEnd(kernel, pipe, O_RDONLY | (flags & O_NONBLOCK)),
            PipeEnd(kernel, pipe, O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT))))
