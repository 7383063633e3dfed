"""POSIX per-process timers (timer_create family), timerfd and signalfd."""

import errno
import struct
import time

from .. import creds, signals
from ..errors import Block, SyscallError
from ..files import O_NONBLOCK, O_RDONLY, File, make_stat
from ..timerfd import TFD_CLOEXEC, TFD_NONBLOCK, TFD_SETTIME_FLAGS, TFD_TIMER_ABSTIME, TimerFd
from .time import (CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME,
                   CLOCK_REALTIME_ALARM, KTIME_MAX, NSEC, clock_ns)

SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
TIMER_ABSTIME = 1
ITIMERSPEC = struct.Struct("<qqqq")          # it_interval, it_value (timespec each)
SFD_NONBLOCK, SFD_CLOEXEC = 0o4000, 0o2000000
SIGINFO_SIZE = 128
MIN_PERIOD = 50000             # ns: a periodic timer fires at most every 50 us (hrtimer-like)


class PosixTimer:
    """One timer_create(2) timer: when it expires it queues its signal (once: a
    still-pending expiry counts as an overrun)."""

    def __init__(self, process, timer_id, clock, notify, signo, value, thread):
        self.process, self.id, self.clock = process, timer_id, clock
        self.notify, self.signo, self.value, self.thread = notify, signo, value, thread
        self.deadline = None            # CLOCK_MONOTONIC ns (at most KTIME_MAX)
        self.interval = 0               # ns
        self.overrun = 0
        self.pending_overrun = 0
        self.generation = 0

    def arm(self, kernel, delay, interval):
        """Start the timer delay ns from now (None: disarm), then every interval ns;
        like an hrtimer's, the expiry is clamped at KTIME_MAX, which never comes."""
        self.generation += 1
        if delay is None:
            self.deadline = None
            return
        self.deadline = min(time.monotonic_ns() + max(0, delay), KTIME_MAX)
        self.interval = min(interval, KTIME_MAX)
        self._schedule(kernel, self.generation)

    def _schedule(self, kernel, generation):
        def fire():
            if generation != self.generation or self.process.zombie or not self.process.threads:
                return
            if self.interval:
                # Expiries missed meanwhile count as overruns (computed, not looped: the
                # interval may be a nanosecond); the next one is at least MIN_PERIOD away.
                step = max(self.interval, MIN_PERIOD)
                missed = max(0, (time.monotonic_ns() - self.deadline) // step)
                self.pending_overrun += missed
                self.deadline = min(self.deadline + (missed + 1) * step, KTIME_MAX)
                self._schedule(kernel, generation)
            else:
                self.deadline = None
            self.expire(kernel)
        if self.deadline < KTIME_MAX:
            kernel.add_timer(self.deadline / NSEC, fire, key=self)

    def expire(self, kernel):
        if self.notify == SIGEV_NONE:
            return
        pending = self.thread.sigstate.pending if self.thread is not None else \
            self.process.shared_pending
        if any(struct.unpack_from("<ii", info, 16)[0] == self.id
               for info in pending.get(self.signo, ()) if
               struct.unpack_from("<i", info, 8)[0] == signals.SI_TIMER):
            self.pending_overrun += 1
            return
        self.overrun, self.pending_overrun = self.pending_overrun, 0
        body = struct.pack("<iiQ", self.id, self.overrun, self.value)
        info = (struct.pack("<iii4x", self.signo, 0, signals.SI_TIMER) + body).ljust(128, b"\0")
        kernel.send_signal(self.process, self.signo, info=info, thread=self.thread)

    def left(self):
        """ns to the next expiry (0: disarmed)."""
        if self.deadline is None:
            return 0
        return max(1, self.deadline - time.monotonic_ns())


def _timespec(sec, nsec):
    """A timespec in ns, clamped at KTIME_MAX as timespec64_to_ktime does."""
    if sec < 0 or not 0 <= nsec < NSEC:
        raise SyscallError(errno.EINVAL)
    return min(sec * NSEC + nsec, KTIME_MAX)


def _pack_itimerspec(interval, left):
    return ITIMERSPEC.pack(interval // NSEC, interval % NSEC, left // NSEC, left % NSEC)


def sys_timer_create(task, clockid, sevp, timerid):
    """timer_create(2): SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID; CPU clocks run on real time."""
    clock_ns(task, clockid)
    notify, signo, value, tid = SIGEV_SIGNAL, signals.SIGALRM, 0, 0
    if sevp:
        raw = task.mm.read(sevp, 64)
        value, signo, notify, tid = struct.unpack_from("<Qiii", raw, 0)
    if notify not in (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID):
        raise SyscallError(errno.EINVAL)
    if notify != SIGEV_NONE and not 1 <= signo <= 64:
        raise SyscallError(errno.EINVAL)
    thread = None
    if notify == SIGEV_THREAD_ID:
        thread = task.kernel.task_by_vpid(tid)
        if thread is None or thread.tgid != task.tgid:
            raise SyscallError(errno.EINVAL)
    process = task.process
    timer_id = 0
    while timer_id in process.posix_timers:
        timer_id += 1
    if not sevp:
        value = timer_id
    timer = PosixTimer(process, timer_id, clockid, notify, signo, value, thread)
    task.mm.write(timerid, struct.pack("<i", timer_id))
    process.posix_timers[timer_id] = timer
    return 0


def _timer(task, timer_id):
    timer = task.process.posix_timers.get(timer_id)
    if timer is None:
        raise SyscallError(errno.EINVAL)
    return timer


def sys_timer_settime(task, timer_id, flags, new_value, old_value):
    """timer_settime(2)."""
    timer = _timer(task, timer_id)
    isec, insec, vsec, vnsec = ITIMERSPEC.unpack(task.mm.read(new_value, 32))
    interval = _timespec(isec, insec)
    value = _timespec(vsec, vnsec)
    if old_value:
        task.mm.write(old_value, _pack_itimerspec(timer.interval, timer.left()))
    if value == 0:
        timer.arm(task.kernel, None, 0)
        return 0
    if flags & TIMER_ABSTIME:
        value = KTIME_MAX if value == KTIME_MAX else value - clock_ns(task, timer.clock)
    timer.arm(task.kernel, value, interval)
    return 0


def sys_timer_gettime(task, timer_id, curr_value):
    """timer_gettime(2)."""
    timer = _timer(task, timer_id)
    task.mm.write(curr_value, _pack_itimerspec(timer.interval if timer.deadline else 0,
                                               timer.left()))
    return 0


def sys_timer_getoverrun(task, timer_id):
    """timer_getoverrun(2)."""
    return _timer(task, timer_id).overrun


def sys_timer_delete(task, timer_id):
    """timer_delete(2)."""
    timer = _timer(task, timer_id)
    timer.arm(task.kernel, None, 0)
    del task.process.posix_timers[timer_id]
    return 0


# ---- timerfd ------------------------------------------------------------------------

TIMERFD_CLOCKS = (CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME,
                  CLOCK_BOOTTIME_ALARM)
ALARM_CLOCKS = (CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM)
CAP_WAKE_ALARM = 35
# The alarm clocks count like their plain twins here: the guest cannot suspend the host.
PLAIN_CLOCK = {CLOCK_REALTIME_ALARM: CLOCK_REALTIME, CLOCK_BOOTTIME_ALARM: CLOCK_BOOTTIME}


def _wake_alarm_allowed(task):
    return creds.capable(task, CAP_WAKE_ALARM)


def sys_timerfd_create(task, clockid, flags):
    """timerfd_create(2)."""
    if flags & ~(TFD_CLOEXEC | TFD_NONBLOCK) or clockid not in TIMERFD_CLOCKS:
        raise SyscallError(errno.EINVAL)
    if clockid in ALARM_CLOCKS and not _wake_alarm_allowed(task):
        raise SyscallError(errno.EPERM)
    return task.files.install(TimerFd(task.kernel, clockid, flags),
                              cloexec=bool(flags & TFD_CLOEXEC))


def _timerfd(task, fd):
    file = task.files.get(fd)
    if not isinstance(file, TimerFd):
        raise SyscallError(errno.EINVAL)
    return file


def sys_timerfd_settime(task, fd, flags, new_value, old_value):
    """timerfd_settime(2), with do_timerfd_settime's order: EFAULT, EINVAL, EBADF."""
    isec, insec, vsec, vnsec = ITIMERSPEC.unpack(task.mm.read(new_value, 32))
    if flags & ~TFD_SETTIME_FLAGS:
        raise SyscallError(errno.EINVAL)
    interval = _timespec(isec, insec)
    value = _timespec(vsec, vnsec)
    timer = _timerfd(task, fd)
    if timer.clockid in ALARM_CLOCKS and not _wake_alarm_allowed(task):
        raise SyscallError(errno.EPERM)
    old = _pack_itimerspec(*timer.remaining())
    if value == 0:
        timer.arm(None, interval, flags)
    else:
        if flags & TFD_TIMER_ABSTIME:
            clk = PLAIN_CLOCK.get(timer.clockid, timer.clockid)
            value = KTIME_MAX if value == KTIME_MAX else value - clock_ns(task, clk)
        timer.arm(value, interval, flags)
    if old_value:
        task.mm.write(old_value, old)
    return 0


def sys_timerfd_gettime(task, fd, curr_value):
    """timerfd_gettime(2)."""
    timer = _timerfd(task, fd)
    task.mm.write(curr_value, _pack_itimerspec(*timer.remaining()))
    return 0


# ---- signalfd -----------------------------------------------------------------------

def signalfd_siginfo(sig, info):
    """struct signalfd_siginfo (128 bytes) from a siginfo_t."""
    signo, err, code = struct.unpack_from("<iii", info, 0)
    pid, uid = struct.unpack_from("<iI", info, 16)
    status, = struct.unpack_from("<i", info, 24)
    ptr, = struct.unpack_from("<Q", info, 24)
    addr = struct.unpack_from("<Q", info, 16)[0] if sig in signals.SYNCHRONOUS else 0
    tid = overrun = 0
    if code == signals.SI_TIMER:
        tid, overrun = struct.unpack_from("<ii", info, 16)
        pid = uid = 0
    out = struct.pack("<IiiIIiIIIIiiQQQQ", sig, err, code, pid & 0xFFFFFFFF, uid, 0, tid, 0,
                      overrun, 0, status if sig == signals.SIGCHLD else (ptr & 0xFFFFFFFF),
                      ptr & 0xFFFFFFFF, ptr, 0, 0, addr)
    return out.ljust(SIGINFO_SIZE, b"\0")


class SignalFd(File):
    """A signalfd: reading takes pending signals in its mask from the reading thread."""

    def __init__(self, kernel, mask, flags):
        super().__init__(O_RDONLY | (flags & O_NONBLOCK), "anon_inode:[signalfd]")
        self.kernel = kernel
        self.mask = mask

    def _reader(self):
        return self.kernel.current

    def read(self, size):
        if size < SIGINFO_SIZE:
            raise SyscallError(errno.EINVAL)
        task = self._reader()
        out = []
        while len(out) * SIGINFO_SIZE + SIGINFO_SIZE <= size:
            taken = signals.dequeue(task, self.mask)
            if taken is None:
                break
            out.append(signalfd_siginfo(*taken))
        if out:
            signals.recalc(task)
            return b"".join(out)
        if self.flags & O_NONBLOCK:
            raise SyscallError(errno.EAGAIN)
        raise Block(queue=task.process.signalfd_queue)

    def poll(self):
        task = self._reader()
        if task is None:
            return 0
        pending = signals.pending_mask(task.sigstate.pending) | \
            signals.pending_mask(task.process.shared_pending)
        return 1 if pending & self.mask else 0

    def wait_queues(self):
        task = self._reader()
        return (task.process.signalfd_queue,) if task is not None else ()

    def stat(self):
        return make_stat(0o600, 0x4000 + id(self) % 100000)


def sys_signalfd4(task, fd, mask_ptr, sizemask, flags):
    """signalfd4(2)."""
    if flags & ~(SFD_NONBLOCK | SFD_CLOEXEC) or sizemask != 8:
        raise SyscallError(errno.EINVAL)
    mask, = struct.unpack("<Q", task.mm.read(mask_ptr, 8))
    mask &= ~signals.UNBLOCKABLE
    if fd != -1:
        file = task.files.get(fd)
        if not isinstance(file, SignalFd):
            raise SyscallError(errno.EINVAL)
        file.mask = mask
        return fd
    return task.files.install(SignalFd(task.kernel, mask, flags), cloexec=bool(flags & SFD_CLOEXEC))


def sys_signalfd(task, fd, mask_ptr, sizemask):
    """signalfd(2)."""
    return sys_signalfd4(task, fd, mask_ptr, sizemask, 0)


HANDLERS = {
    "timer_create": (sys_timer_create, "partial: CPU-time clocks count real time"),
    "timer_settime": sys_timer_settime, "timer_gettime": sys_timer_gettime,
    "timer_getoverrun": sys_timer_getoverrun, "timer_delete": sys_timer_delete,
    "signalfd": sys_signalfd, "signalfd4": sys_signalfd4,
    "timerfd_create": sys_timerfd_create, "timerfd_settime": sys_timerfd_settime,
    "timerfd_gettime": sys_timerfd_gettime,
}
