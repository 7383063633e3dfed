"""Clock and sleep syscalls. Blocking sleeps park the task until their deadline."""

import errno
import struct
import time

from .. import namespaces
from ..errors import Block, SyscallError

CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME = 4, 5, 6, 7
CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI = 8, 9, 11
HOST_CLOCKS = {0, 1, 4, 5, 6, 7, 8, 9, 11}
CPU_CLOCKS = {CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID}
TIMER_ABSTIME = 1
NSEC = 10**9
TIMESPEC = struct.Struct("<qq")
# Linux's ktime_t is a signed 64-bit count of ns: a longer time is clamped to KTIME_MAX
# (timespec64_to_ktime, ktime_add_safe), and a timer that expires at KTIME_MAX never does.
KTIME_MAX = (1 << 63) - 1


def ktime_after(now_ns, ns):
    """now + ns on a ktime clock, clamped at KTIME_MAX as ktime_add_safe does."""
    return min(now_ns + ns, KTIME_MAX)


def park_deadline(mono_ns):
    """The Block deadline (time.monotonic() seconds) for a CLOCK_MONOTONIC deadline
    in ns; None for KTIME_MAX and beyond, which never comes."""
    return None if mono_ns >= KTIME_MAX else mono_ns / NSEC


def clock_ns(task, clk):
    """The value of clock clk for task, in ns; EINVAL for clocks Linux does not have."""
    if clk in HOST_CLOCKS:
        return task.kernel.clock.now_ns(clk) + namespaces.time_offset(task, clk)
    if clk in CPU_CLOCKS or clk < 0:
        if clk < 0 and (clk & 7) == 7:
            raise SyscallError(errno.EINVAL)   # CPUCLOCK_PERTHREAD with invalid type
        return task.kernel.cpu_time_ns(task, clk)
    raise SyscallError(errno.EINVAL)


def read_timespec(task, addr):
    sec, nsec = TIMESPEC.unpack(task.mm.read(addr, 16))
    if sec < 0 or not 0 <= nsec < NSEC:
        raise SyscallError(errno.EINVAL)
    return sec * NSEC + nsec


def sys_clock_gettime(task, clk, tp):
    """clock_gettime(2)."""
    ns = clock_ns(task, clk)
    task.mm.write(tp, TIMESPEC.pack(ns // NSEC, ns % NSEC))
    return 0


def sys_clock_getres(task, clk, res):
    """clock_getres(2)."""
    clock_ns(task, clk)
    if res:
        coarse = clk in (CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE)
        task.mm.write(res, TIMESPEC.pack(0, 4000000 if coarse else 1))
    return 0


def sys_gettimeofday(task, tv, tz):
    """gettimeofday(2)."""
    if tv:
        ns = task.kernel.clock.now_ns(CLOCK_REALTIME)
        task.mm.write(tv, struct.pack("<qq", ns // NSEC, ns % NSEC // 1000))
    if tz:
        task.mm.write(tz, struct.pack("<ii", *getattr(task.kernel, "sys_tz", (0, 0))))
    return 0


def sys_time(task, tloc):
    """time(2)."""
    sec = task.kernel.clock.now_ns(CLOCK_REALTIME) // NSEC
    if tloc:
        task.mm.write(tloc, struct.pack("<q", sec))
    return sec


def sleep_until(task, clk, deadline_ns, rem):
    """Park until clock clk reaches deadline_ns (KTIME_MAX: until a signal). A sleep a
    signal interrupts writes the time left to rem (if given) as do_nanosleep does."""
    now = clock_ns(task, clk)
    if now >= deadline_ns:
        return 0
    if task.sigpending:
        if rem:
            left = deadline_ns - now
            task.mm.write(rem, TIMESPEC.pack(left // NSEC, left % NSEC))
        raise Block()          # _blocked turns it into EINTR or a restart
    if deadline_ns >= KTIME_MAX:
        raise Block()          # forever: only a signal ends it
    if task.kernel.clock.virtual:
        task.kernel.clock.advance_to(clk, deadline_ns - namespaces.time_offset(task, clk))
        return 0
    # Parking uses the monotonic clock; an absolute realtime deadline is converted once.
    raise Block(deadline=park_deadline(time.monotonic_ns() + (deadline_ns - now)))


def sys_nanosleep(task, req, rem):
    """nanosleep(2)."""
    restart = task.restart
    if "deadline" not in restart:
        ns = read_timespec(task, req)
        restart["deadline"] = ktime_after(clock_ns(task, CLOCK_MONOTONIC), ns)
    return sleep_until(task, CLOCK_MONOTONIC, restart["deadline"], rem)


def sys_clock_nanosleep(task, clk, flags, req, rem):
    """clock_nanosleep(2)."""
    if clk == CLOCK_THREAD_CPUTIME_ID:
        raise SyscallError(errno.EINVAL)
    if clk not in (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI,
                   CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM) \
            and clk >= 0:
        raise SyscallError(errno.EINVAL if clk not in HOST_CLOCKS else errno.ENOTSUP)
    restart = task.restart
    if "deadline" not in restart:
        ns = read_timespec(task, req)
        if clk == CLOCK_PROCESS_CPUTIME_ID or clk < 0:
            clk = CLOCK_MONOTONIC    # the guest is idle while parked: sleep in real time
        elif clk == CLOCK_REALTIME and not flags & TIMER_ABSTIME:
            # __hrtimer_init(): a relative CLOCK_REALTIME sleep runs on CLOCK_MONOTONIC,
            # so that a guest setting the clock does not stretch others' sleeps (a woken
            # sleeper compared its old deadline with the new time: years of sleep).
            clk = CLOCK_MONOTONIC
        restart["deadline"] = min(ns, KTIME_MAX) if flags & TIMER_ABSTIME else \
            ktime_after(clock_ns(task, clk), ns)
        restart["clock"] = clk
    # An absolute sleep has nothing to report in rem (Linux leaves it alone).
    return sleep_until(task, restart["clock"], restart["deadline"],
                       0 if flags & TIMER_ABSTIME else rem)


CLK_TCK = 100


def _user_sys_ns(task, clk):
    """(user, system) CPU time in ns: the guest's own host thread(s), and the kernel's
    time serving its syscalls."""
    kernel = task.kernel
    if kernel.deterministic:
        return kernel.cpu_time_ns(task, clk), 0
    sys_ns = task.process.sys_ns if clk == CLOCK_PROCESS_CPUTIME_ID else task.sys_ns
    return kernel.user_time_ns(task, clk), sys_ns


def sys_times(task, buf):
    """times(2): the process's user and system time in clock ticks (no child times);
    returns ticks since the kernel booted."""
    if buf:
        user, system = _user_sys_ns(task, CLOCK_PROCESS_CPUTIME_ID)
        task.mm.write(buf, struct.pack("<qqqq", user * CLK_TCK // NSEC,
                                       system * CLK_TCK // NSEC, 0, 0))
    return (time.monotonic_ns() - task.kernel.boot_ns) * CLK_TCK // NSEC + 0x7FFF0000


RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD = 0, -1, 1


def sys_getrusage(task, who, usage):
    """getrusage(2): CPU time from the host's accounting of the stubs (all counted as user
    time), the peak RSS of the process; the other fields are 0."""
    if who not in (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD):
        raise SyscallError(errno.EINVAL)
    if who == RUSAGE_CHILDREN:
        ns, sys_ns, maxrss = 0, 0, 0
    else:
        ns, sys_ns = _user_sys_ns(task, CLOCK_PROCESS_CPUTIME_ID if who == RUSAGE_SELF
                                  else CLOCK_THREAD_CPUTIME_ID)
        maxrss = 0
        try:
            with open(f"/proc/{task.proc.host_pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        maxrss = int(line.split()[1])
        except (OSError, ValueError):
            pass
    us, sys_us = ns // 1000, sys_ns // 1000
    task.mm.write(usage, struct.pack("<qqqq", us // 10**6, us % 10**6, sys_us // 10**6,
                                     sys_us % 10**6)
                  + struct.pack("<q", maxrss) + bytes(144 - 40))
    return 0


HANDLERS = {
    "getrusage": (sys_getrusage, "partial: CPU times and maxrss only"),
    "times": (sys_times, "partial: no child times"),
    "clock_gettime": sys_clock_gettime, "clock_getres": sys_clock_getres,
    "gettimeofday": sys_gettimeofday, "time": sys_time,
    "nanosleep": sys_nanosleep, "clock_nanosleep": sys_clock_nanosleep,
}
