"""timerfd: a timer whose expirations are read from a file (fs/timerfd.c).

Expirations are counted lazily from the clock, as hrtimer_forward_now does
when a periodic timerfd is read: the kernel wakes the file's wait queue once
at the next expiry (so poll, epoll and blocked reads see it) and re-arms only
when the count is consumed, as Linux re-arms a periodic timerfd only on read,
so a 1 ns interval costs nothing while nobody reads it.
"""

import errno
import itertools
import os
import struct
import time

from .epoll import EPOLLIN, KeyedWaitQueue
from .errors import Block, SyscallError
from .files import O_NONBLOCK, O_RDWR, File, make_stat

TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET = 1, 2
TFD_SETTIME_FLAGS = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET
TFD_CLOEXEC, TFD_NONBLOCK = 0o2000000, 0o4000
TFD_IOC_SET_TICKS = 0x40085400          # _IOW('T', 0, __u64)
POLLIN = 0x1
NSEC = 10**9
KTIME_MAX = (1 << 63) - 1
RECHECK_S = 1.0
_inodes = itertools.count(400000)


class TimerFd(File):
    """One timerfd open file description."""

    def __init__(self, kernel, clockid, flags):
        super().__init__(O_RDWR | (flags & O_NONBLOCK), "anon_inode:[timerfd]")
        self.kernel, self.clockid = kernel, clockid
        self.deadline = None            # next expiry, CLOCK_MONOTONIC ns; None: disarmed
        self.interval = 0               # ns; 0: one-shot
        self.ticks = 0                  # expirations counted but not yet read
        self.settime_flags = 0
        self.generation = 0
        self.pending_at = None          # time.monotonic() of the pending wake-up timer
        self.queue = KeyedWaitQueue()
        self.ino = next(_inodes)

    def _now(self):
        return self.kernel.clock.now_ns(1)

    def _collect(self):
        """Move the expirations due by now into ticks (hrtimer_forward_now)."""
        if self.deadline is None:
            return
        now = self._now()
        if now < self.deadline:
            return
        if self.interval:
            missed = (now - self.deadline) // self.interval + 1
            self.ticks += missed
            self.deadline = min(self.deadline + missed * self.interval, KTIME_MAX)
        else:
            self.ticks += 1
            self.deadline = None

    def _schedule(self):
        """Wake the queue when the next expiry comes. One kernel timer is pending per
        timerfd, at most RECHECK_S ahead (it checks again then): a timer per arming, kept
        until its far deadline, let a guest re-arming in a loop grow the kernel's timer
        heap without bound (half a KiB per call)."""
        if self.deadline is None or self.deadline >= KTIME_MAX:
            return
        delay = max(0, self.deadline - self._now())
        at = time.monotonic() + min(delay / NSEC, RECHECK_S)
        if self.pending_at is not None and self.pending_at <= at:
            return                      # that one comes first and schedules again

        def fire():
            if self.pending_at != at:
                return                  # superseded by an earlier one
            self.pending_at = None
            self._collect()
            if self.ticks:
                self.queue.wake(key=EPOLLIN)
            else:
                self._schedule()
        self.pending_at = at
        self.kernel.add_timer(at, fire)

    def arm(self, delay, interval, flags):
        """Start delay ns from now (None: disarm), then every interval ns."""
        self.generation += 1
        self.ticks = 0
        self.settime_flags = flags & TFD_SETTIME_FLAGS
        self.interval = interval
        if delay is None:
            self.deadline = None
            return
        self.deadline = min(self._now() + max(0, delay), KTIME_MAX)
        self._collect()
        if self.ticks:
            self.queue.wake(key=EPOLLIN)
        self._schedule()

    def remaining(self):
        """(interval, ns to the next expiry) as timerfd_gettime reports them."""
        self._collect()
        left = 0 if self.deadline is None else max(0, self.deadline - self._now())
        return self.interval, left

    def read(self, size):
        if size < 8:
            raise SyscallError(errno.EINVAL)
        self._collect()
        if not self.ticks:
            if self.flags & O_NONBLOCK:
                raise SyscallError(errno.EAGAIN)
            if self.kernel.clock.virtual and self.deadline is not None:
                self.kernel.clock.advance_to(1, self.deadline)   # virtual time: no waiting
                self._collect()
            else:
                raise Block(queue=self.queue)
        ticks, self.ticks = self.ticks, 0
        self.generation += 1
        self._schedule()
        return struct.pack("<Q", ticks)

    def poll(self):
        self._collect()
        return POLLIN if self.ticks else 0

    def wait_queues(self):
        return (self.queue,)

    def ioctl(self, task, cmd, arg):
        if cmd != TFD_IOC_SET_TICKS:
            raise SyscallError(errno.ENOTTY)
        ticks, = struct.unpack("<Q", task.mm.read(arg, 8))
        if not ticks:
            raise SyscallError(errno.EINVAL)
        self.ticks = ticks
        self.queue.wake(key=EPOLLIN)
        return 0

    def stat(self):
        return make_stat(0o600, self.ino, dev=0xE, uid=os.getuid(), gid=os.getgid())

    def fdinfo(self):
        interval, left = self.remaining()
        return (f"clockid: {self.clockid}\nticks: {self.ticks}\n"
                f"settime flags: 0{self.settime_flags:o}\n"
                f"it_value: ({left // NSEC}, {left % NSEC})\n"
                f"it_interval: ({interval // NSEC}, {interval % NSEC})\n")

    def release(self):
        self.generation += 1
        self.deadline = None
        self.queue.wake()
