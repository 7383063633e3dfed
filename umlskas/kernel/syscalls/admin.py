"""Administrative calls, answered as the guest world's own kernel: setting the clock (an
offset of the guest's CLOCK_REALTIME, never the host's), the kernel log, vhangup and reboot.

The guest world is to the host what a pid namespace is to its parent: a root guest
may set its own clock and reboot its own world (reboot_pid_ns), and nothing of it
reaches the host.
"""

import errno
import os
import struct

from .. import creds, hostsys
from ..errors import Block, SyscallError
from .time import CLOCK_REALTIME, NSEC, TIMESPEC

SYS_ADJTIMEX = 159
TIMEX_SIZE = 208
# do_settimeofday64 refuses times past TIME_SETTOD_SEC_MAX (KTIME_SEC_MAX - 30 years).
KTIME_SEC_MAX = ((1 << 63) - 1) // NSEC
TIME_SETTOD_SEC_MAX = KTIME_SEC_MAX - 30 * 365 * 86400


CAP_SYS_BOOT, CAP_SYS_TTY_CONFIG, CAP_SYSLOG = 22, 26, 34


def _capable(task, cap=creds.CAP_SYS_TIME):
    return creds.capable(task, cap)


# ---- setting the clock -----------------------------------------------------------------

def _valid_settod(sec, nsec):
    return sec >= 0 and 0 <= nsec < NSEC and sec < TIME_SETTOD_SEC_MAX


def _set_realtime(task, new_ns):
    """do_settimeofday64(): a wall time before the boot (below CLOCK_MONOTONIC) is EINVAL."""
    clock = task.kernel.clock
    # timekeeping_inject_offset() (adjtimex ADJ_SETOFFSET) checks the resulting time as
    # settimeofday does: without it a huge offset moved the guest's clock past what a
    # timespec holds, and every later clock read was a kernel bug.
    if new_ns < clock.now_ns(1) or not _valid_settod(new_ns // NSEC, 0):
        raise SyscallError(errno.EINVAL)
    clock.realtime_offset += new_ns - clock.now_ns(CLOCK_REALTIME)


def sys_clock_settime(task, clk, tp):
    """clock_settime(2): CLOCK_REALTIME only; every other clock EINVAL."""
    if clk != CLOCK_REALTIME:
        raise SyscallError(errno.EINVAL)
    sec, nsec = TIMESPEC.unpack(task.mm.read(tp, 16))
    if not _valid_settod(sec, nsec):
        raise SyscallError(errno.EINVAL)
    if not _capable(task):
        raise SyscallError(errno.EPERM)
    _set_realtime(task, sec * NSEC + nsec)
    return 0


def sys_settimeofday(task, tv, tz):
    """settimeofday(2): EFAULT, EINVAL for the values, then EPERM, then the zone's range."""
    new = zone = None
    if tv:
        sec, usec = struct.unpack("<qq", task.mm.read(tv, 16))
        if not 0 <= usec < 1000000:
            raise SyscallError(errno.EINVAL)
        new = (sec, usec * 1000)
    if tz:
        zone = struct.unpack("<ii", task.mm.read(tz, 8))
    if new is not None and not _valid_settod(*new):
        raise SyscallError(errno.EINVAL)
    if not _capable(task):
        raise SyscallError(errno.EPERM)
    if zone is not None:
        if not -15 * 60 <= zone[0] <= 15 * 60:
            raise SyscallError(errno.EINVAL)
        task.kernel.sys_tz = zone
    if new is not None:
        _set_realtime(task, new[0] * NSEC + new[1])
    return 0


ADJ_OFFSET, ADJ_FREQUENCY, ADJ_MAXERROR, ADJ_ESTERROR = 0x1, 0x2, 0x4, 0x8
ADJ_STATUS, ADJ_TIMECONST, ADJ_TAI, ADJ_SETOFFSET = 0x10, 0x20, 0x80, 0x100
ADJ_NANO, ADJ_TICK, ADJ_ADJTIME, ADJ_OFFSET_READONLY = 0x2000, 0x4000, 0x8000, 0x2000
ADJ_OFFSET_SINGLESHOT = 0x8001
STA_NANO = 0x2000
USER_HZ = 100
# Settable struct timex fields: mode bit -> (offset, struct format).
TIMEX_FIELDS = {ADJ_FREQUENCY: (16, "<q"), ADJ_MAXERROR: (24, "<q"), ADJ_ESTERROR: (32, "<q"),
                ADJ_STATUS: (40, "<i"), ADJ_TIMECONST: (48, "<q"), ADJ_TICK: (88, "<q"),
                ADJ_TAI: (160, "<i")}
LLONG_MIN, LLONG_MAX, PPM_SCALE = -(1 << 63), (1 << 63) - 1, 1 << 16


def _validate_timex(task, modes, raw):
    """timekeeping_validate_timex()."""
    tick, = struct.unpack_from("<q", raw, 88)
    if modes & ADJ_ADJTIME:
        if (modes & ADJ_OFFSET_SINGLESHOT) != ADJ_OFFSET_SINGLESHOT:
            raise SyscallError(errno.EINVAL)
        if not modes & ADJ_OFFSET_READONLY and not _capable(task):
            raise SyscallError(errno.EPERM)
    else:
        if modes and not _capable(task):
            raise SyscallError(errno.EPERM)
        if modes & ADJ_TICK and not 900000 // USER_HZ <= tick <= 1100000 // USER_HZ:
            raise SyscallError(errno.EINVAL)
    if modes & ADJ_SETOFFSET:
        if not _capable(task):
            raise SyscallError(errno.EPERM)
        usec, = struct.unpack_from("<q", raw, 80)
        if usec < 0 or usec >= (NSEC if modes & ADJ_NANO else 1000000):
            raise SyscallError(errno.EINVAL)
    if modes & ADJ_FREQUENCY:
        freq, = struct.unpack_from("<q", raw, 16)
        if not LLONG_MIN // PPM_SCALE <= freq <= LLONG_MAX // PPM_SCALE:
            raise SyscallError(errno.EINVAL)


def _adjtimex(task, raw):
    """do_adjtimex() on the guest's clock: the host's NTP state, read only, with the guest's
    own changes laid over it and its time in the guest's CLOCK_REALTIME."""
    modes, = struct.unpack_from("<I", raw, 0)
    _validate_timex(task, modes, raw)
    kernel = task.kernel
    overrides = getattr(kernel, "timex_overrides", None)
    if overrides is None:
        overrides = kernel.timex_overrides = {}
    if not modes & ADJ_ADJTIME:
        for bit, (off, fmt) in TIMEX_FIELDS.items():
            if modes & bit:
                overrides[off] = (fmt, struct.unpack_from(fmt, raw, off)[0])
    if modes & ADJ_SETOFFSET:
        sec, frac = struct.unpack_from("<qq", raw, 72)
        delta = sec * NSEC + (frac if modes & ADJ_NANO else frac * 1000)
        _set_realtime(task, kernel.clock.now_ns(CLOCK_REALTIME) + delta)
    state, out = hostsys.with_buffer(SYS_ADJTIMEX, TIMEX_SIZE)
    if state < 0:
        raise SyscallError(-state)
    out = bytearray(out)
    for off, (fmt, value) in overrides.items():
        struct.pack_into(fmt, out, off, value)
    status, = struct.unpack_from("<i", out, 40)
    now = kernel.clock.now_ns(CLOCK_REALTIME)
    struct.pack_into("<qq", out, 72, now // NSEC,
                     now % NSEC if status & STA_NANO else now % NSEC // 1000)
    return state, bytes(out)


def sys_adjtimex(task, buf):
    """adjtimex(2)."""
    state, out = _adjtimex(task, task.mm.read(buf, TIMEX_SIZE))
    task.mm.write(buf, out)
    return state


def sys_clock_adjtime(task, clk, buf):
    """clock_adjtime(2): CLOCK_REALTIME as adjtimex; other clocks have no clock_adj."""
    raw = task.mm.read(buf, TIMEX_SIZE)
    if clk != CLOCK_REALTIME:
        if clk in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11) or (clk < 0 and (clk & 7) != 7):
            raise SyscallError(errno.EOPNOTSUPP)
        raise SyscallError(errno.EINVAL)
    state, out = _adjtimex(task, raw)
    task.mm.write(buf, out)
    return state


# ---- the kernel log (kernel/printk/printk.c do_syslog) ---------------------------------

SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN, SYSLOG_ACTION_READ = 0, 1, 2
SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR, SYSLOG_ACTION_CLEAR = 3, 4, 5
SYSLOG_ACTION_CONSOLE_OFF, SYSLOG_ACTION_CONSOLE_ON, SYSLOG_ACTION_CONSOLE_LEVEL = 6, 7, 8
SYSLOG_ACTION_SIZE_UNREAD, SYSLOG_ACTION_SIZE_BUFFER = 9, 10
LOG_BUF_LEN = 1 << 17
DMESG_RESTRICT = 1                      # Debian's default for kernel.dmesg_restrict


class KernelLog:
    """The guest world's kernel log: what umlskas itself would print to a console."""

    def __init__(self):
        self.text = b"<6>[    0.000000] umlskas: a user-space Linux kernel; the host's log " \
                    b"is not shown to guests\n"
        self.read_pos = 0                   # SYSLOG_ACTION_READ's position
        self.clear_pos = 0                  # what SYSLOG_ACTION_CLEAR dropped
        self.console_level = 7


def _log(kernel):
    log = getattr(kernel, "kernel_log", None)
    if log is None:
        log = kernel.kernel_log = KernelLog()
    return log


def sys_syslog(task, action, buf, length):
    """syslog(2) (the raw call behind klogctl and dmesg)."""
    length &= 0xFFFFFFFF                            # an int in Linux
    if length >= 1 << 31:
        length -= 1 << 32
    if DMESG_RESTRICT or action not in (SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_SIZE_BUFFER):
        if not _capable(task, CAP_SYSLOG) and not _capable(task, creds.CAP_SYS_ADMIN):
            raise SyscallError(errno.EPERM)
    log = _log(task.kernel)
    if action in (SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN, SYSLOG_ACTION_CONSOLE_OFF,
                  SYSLOG_ACTION_CONSOLE_ON):
        return 0
    if action in (SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR):
        if not buf or length < 0:
            raise SyscallError(errno.EINVAL)
        if not length:
            return 0
        if action == SYSLOG_ACTION_READ:
            data = log.text[log.read_pos:log.read_pos + length]
            if not data:
                raise Block()                       # until a signal: nothing more is logged
            task.mm.write(buf, data)
            log.read_pos += len(data)
            return len(data)
        # syslog_print_all(): the newest whole records that fit in length
        records = log.text[log.clear_pos:].splitlines(keepends=True)
        data = b""
        for record in reversed(records):
            if len(data) + len(record) > length:
                break
            data = record + data
        if data:
            task.mm.write(buf, data)
        if action == SYSLOG_ACTION_READ_CLEAR:
            log.clear_pos = len(log.text)
        return len(data)
    if action == SYSLOG_ACTION_CLEAR:
        log.clear_pos = len(log.text)
        return 0
    if action == SYSLOG_ACTION_CONSOLE_LEVEL:
        if not 1 <= length <= 8:
            raise SyscallError(errno.EINVAL)
        log.console_level = length
        return 0
    if action == SYSLOG_ACTION_SIZE_UNREAD:
        return len(log.text) - log.read_pos
    if action == SYSLOG_ACTION_SIZE_BUFFER:
        return LOG_BUF_LEN
    raise SyscallError(errno.EINVAL)


# ---- vhangup and reboot ----------------------------------------------------------------

def sys_vhangup(task):
    """vhangup(2): EPERM without CAP_SYS_TTY_CONFIG. A root guest's controlling terminal
    is the host's or a pty of the kernel's; hanging up the host's is refused (EPERM)."""
    if not _capable(task, CAP_SYS_TTY_CONFIG):
        raise SyscallError(errno.EPERM)
    if task.kernel.devfs.session_tty.get(task.sid) is not None or _kernel_has_tty():
        raise SyscallError(errno.EPERM)
    return 0


def _kernel_has_tty():
    """Whether the kernel process has a controlling terminal (that the guest's session
    shares when it chose none)."""
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


LINUX_REBOOT_MAGIC1 = 0xFEE1DEAD
LINUX_REBOOT_MAGIC2S = (672274793, 85072278, 369367448, 537993216)
LINUX_REBOOT_CMD_RESTART, LINUX_REBOOT_CMD_HALT = 0x01234567, 0xCDEF0123
LINUX_REBOOT_CMD_POWER_OFF, LINUX_REBOOT_CMD_RESTART2 = 0x4321FEDC, 0xA1B2C3D4
SIGHUP, SIGINT, SIGKILL = 1, 2, 9


def sys_reboot(task, magic1, magic2, cmd, arg):
    """reboot(2) as reboot_pid_ns() answers inside a pid namespace: restart ends the guest
    world with init killed by SIGHUP, halt and power-off by SIGINT; other commands EINVAL."""
    if not _capable(task, CAP_SYS_BOOT):
        raise SyscallError(errno.EPERM)
    if magic1 & 0xFFFFFFFF != LINUX_REBOOT_MAGIC1 or magic2 not in LINUX_REBOOT_MAGIC2S:
        raise SyscallError(errno.EINVAL)
    cmd &= 0xFFFFFFFF
    if cmd in (LINUX_REBOOT_CMD_RESTART, LINUX_REBOOT_CMD_RESTART2):
        sig = SIGHUP
    elif cmd in (LINUX_REBOOT_CMD_HALT, LINUX_REBOOT_CMD_POWER_OFF):
        sig = SIGINT
    else:
        raise SyscallError(errno.EINVAL)
    kernel = task.kernel
    init = kernel.init.process
    for process in kernel.processes():
        if process is not init and process is not task.process:
            kernel.end_process(process, SIGKILL)
    if task.process is init:
        kernel.exit_group(task, sig)
    kernel.end_process(init, sig)
    kernel.exit_group(task, 0)


HANDLERS = {
    "clock_settime": (sys_clock_settime, "partial: moves the guest's CLOCK_REALTIME only"),
    "settimeofday": (sys_settimeofday, "partial: moves the guest's CLOCK_REALTIME only"),
    "adjtimex": (sys_adjtimex, "partial: the host's NTP state, guest changes recorded only"),
    "clock_adjtime": (sys_clock_adjtime, "partial: as adjtimex, CLOCK_REALTIME"),
    "syslog": (sys_syslog, "partial: the guest world's own log"),
    "vhangup": (sys_vhangup, "partial: EPERM for the host's terminal"),
    "reboot": (sys_reboot, "partial: ends the guest world, as in a pid namespace"),
}
