"""eventfd: a 64-bit counter as a file (fs/eventfd.c).

read takes the whole count (or 1 with EFD_SEMAPHORE) and waits while it is 0;
write adds to it and waits while the sum would pass 0xfffffffffffffffe. read
needs at least 8 bytes, write exactly 8. Waiters park on the counter's one wait queue, which
every change wakes (so epoll and poll see the changes too).
"""

import errno
import itertools
import os
import struct

from .epoll import EPOLLIN, EPOLLOUT, KeyedWaitQueue
from .errors import Block, SyscallError
from .files import O_NONBLOCK, O_RDWR, File, make_stat

EFD_SEMAPHORE = 1
EFD_CLOEXEC = 0o2000000
EFD_NONBLOCK = 0o4000
EFD_FLAGS = EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK
ULLONG_MAX = 0xFFFFFFFFFFFFFFFF
POLLIN, POLLOUT, POLLERR = 0x1, 0x4, 0x8
_inodes = itertools.count(300000)


class EventFd(File):
    """An eventfd open file description."""

    def __init__(self, count, flags):
        super().__init__(O_RDWR | (flags & O_NONBLOCK), "anon_inode:[eventfd]")
        self.count = count
        self.semaphore = bool(flags & EFD_SEMAPHORE)
        self.queue = KeyedWaitQueue()
        self.ino = next(_inodes)

    def read(self, size):
        if size < 8:
            raise SyscallError(errno.EINVAL)
        if self.count == 0:
            if self.flags & O_NONBLOCK:
                raise SyscallError(errno.EAGAIN)
            raise Block(queue=self.queue)
        value = 1 if self.semaphore else self.count
        self.count -= value
        self.queue.wake(key=EPOLLOUT)
        return struct.pack("<Q", value)

    def write(self, data):
        # Current kernels want exactly 8 bytes here (the man page says "at least").
        if len(data) != 8:
            raise SyscallError(errno.EINVAL)
        value, = struct.unpack_from("<Q", data)
        if value == ULLONG_MAX:
            raise SyscallError(errno.EINVAL)
        if ULLONG_MAX - self.count <= value:
            if self.flags & O_NONBLOCK:
                raise SyscallError(errno.EAGAIN)
            raise Block(queue=self.queue)
        self.count += value
        self.queue.wake(key=EPOLLIN)
        return 8

    def poll(self):
        ev = 0
        if self.count > 0:
            ev |= POLLIN
        if self.count == ULLONG_MAX:
            ev |= POLLERR
        if ULLONG_MAX - 1 > self.count:
            ev |= POLLOUT
        return ev

    def wait_queues(self):
        return (self.queue,)

    def stat(self):
        return make_stat(0o600, self.ino, dev=0xE, uid=os.getuid(), gid=os.getgid())

    def fdinfo(self):
        return f"eventfd-count: {self.count:16x}\neventfd-id: {self.ino}\n" \
               f"eventfd-semaphore: {int(self.semaphore)}\n"

    def release(self):
        self.queue.wake()
