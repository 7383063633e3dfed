"""Seccomp mode: guest syscalls reach the kernel as seccomp user notifications, without a ptrace stop.

How it works. Each fresh stub gets, before any guest instruction runs, a seccomp
filter (build_filter) installed with SECCOMP_FILTER_FLAG_NEW_LISTENER through
the stub's trampoline. The listener fd is taken into the kernel with
pidfd_getfd and closed in the stub, so only the kernel can answer. The filter
sends each guest syscall one of three ways:

  SECCOMP_RET_USER_NOTIF  the common calls (read, write, getpid, openat, futex...):
                          the guest thread sleeps in the host; the kernel reads
                          the notification (SECCOMP_IOCTL_NOTIF_RECV), runs the
                          handler and answers with SECCOMP_IOCTL_NOTIF_SEND
                          (result in val or error; never FLAG_CONTINUE, so the
                          host never runs a guest call). The guest never stops
                          for ptrace: two context switches, no ptrace request.
  SECCOMP_RET_TRACE       what must change the process from outside (clone and
                          fork, execve, the mmap family, rt_sigreturn,
                          sigaltstack, arch_prctl, exit...; TRACED), i386 and
                          x32 calls, and the vsyscall page: a
                          PTRACE_EVENT_SECCOMP stop that the kernel serves as
                          SKAS serves a SYSEMU stop (orig_rax = -1 at once, so
                          the host skips the call and rax is the kernel's).
  SECCOMP_RET_ALLOW       the kernel's own injected syscalls, only from the two
                          syscall instructions it injects through (stub_syscall,
                          stub_batch_syscall) and only with the per-run secret
                          in the sixth argument (or a MAP_FIXED mmap that ends
                          below the stub); anything else from there is a
                          SECCOMP_RET_TRACE stop that never runs the call
                          and gives the guest SIGSYS (see docs/security.md).

The run loop waits for notifications and ptrace stops at once: the C hot path
(_fastpath.seccomp_step) answers the previous notification, then polls the
listener fds and a SIGCHLD signalfd, with waitpid(WNOHANG) for stops; the
kernel's own poll (parked tasks, timers) also polls wait_fds().

A handler that needs the thread stopped (its registers for a signal frame, an
injected op, a cmpxchg) while it waits in a notification gets it stopped by
SeccompProc._stop: PTRACE_INTERRUPT ends the host's wait for the answer
(-ERESTARTSYS, the notification is gone), the thread stops, and the kernel
answers through its registers (rax, orig_rax = -1: no host restart). A thread
interrupted before its notification was read is rewound to its `syscall`
instruction (it makes the call again after the stop), and one whose answer
could not be sent (ENOENT: a signal took it out of the wait) gets the answer
written at its next stop.
"""

import ctypes
import errno
import fcntl
import logging
import os
import resource
import signal
import struct

from . import ptrace
from .build import load_fastpath
from .mode_skas import VSYSCALL_PAGE, SkasMode, StubProcess, pin_to_current_cpu
from .stub_channel import STUB_BASE, STUB_END, STUB_OPS_ADDR, StubChannel, _elf_symbols
from ..kernel.machine import (TRAP_EXITED, TRAP_I386, TRAP_INTERRUPT, TRAP_SIGNAL,
                              TRAP_SYSCALL)

log = logging.getLogger("umlskas")

_MASK64 = 0xFFFFFFFFFFFFFFFF
_WALL = ptrace.WALL
_X86_64 = ptrace.AUDIT_ARCH_X86_64
_ENOSYS = -errno.ENOSYS & _MASK64
_ERESTARTSYS = -512 & _MASK64
_REPLY_PTRACE = -2                     # seccomp_step's reply_fd for a ptrace stop
_SYS_SECCOMP = 1                       # si_code of a seccomp SIGSYS
_RESTARTS = {(-n) & _MASK64 for n in (512, 513, 514, 516)}

SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_NEW_LISTENER = 8
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
SECCOMP_IOCTL_NOTIF_SET_FLAGS = 0x40082104
SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP = 1

RET_TRACE = 0x7FF00000
RET_USER_NOTIF = 0x7FC00000
RET_ALLOW = 0x7FFF0000

# Where the filter is written in the ops page for the one injected seccomp() call.
_PROG_AT = 0xD000
_FILTER_AT = 0xD010

# Guest calls served at a PTRACE_EVENT_SECCOMP stop: they change the process from
# outside (injected clone or ops, registers, a new image) or end the thread, where
# a notification would have to be turned into a stop anyway.
TRACED = (
    56, 57, 58, 435,                # clone, fork, vfork, clone3
    59, 322,                        # execve, execveat
    9, 10, 11, 12, 25, 26, 27, 28,  # mmap, mprotect, munmap, brk, mremap, msync, mincore, madvise
    30, 67, 149, 150, 151, 152, 216, 325, 329,  # shmat, shmdt, mlock..., remap_file_pages, mlock2, pkey_mprotect
    15, 131, 158, 154, 205, 211,    # rt_sigreturn, sigaltstack, arch_prctl, modify_ldt, set/get_thread_area
    317, 157,                       # seccomp, prctl
    60, 231,                        # exit, exit_group
    34, 130,                        # pause, rt_sigsuspend (end in a signal frame)
)

_LD_ABS, _JEQ, _JGE, _JGT, _JSET, _JGE_X = 0x20, 0x15, 0x35, 0x25, 0x45, 0x3D
_RET, _ST, _LD_MEM, _LDX_MEM, _TAX, _ADD_X, _ADD_K = 0x06, 0x02, 0x60, 0x61, 0x07, 0x0C, 0x04
_NR, _ARCH, _IP_LO, _IP_HI = 0, 4, 8, 12


def _arg(i, hi=False):
    return 16 + 8 * i + (4 if hi else 0)


def _assemble(prog):
    """cBPF from a list of (code, k, jt, jf) and label strings; jt/jf may be labels."""
    labels, insns = {}, []
    for item in prog:
        if isinstance(item, str):
            labels[item] = len(insns)
        else:
            insns.append(item)
    out = bytearray()
    for i, (code, k, jt, jf) in enumerate(insns):
        def rel(target):
            if isinstance(target, str):
                off = labels[target] - i - 1
                if not 0 <= off <= 255:
                    raise ValueError(f"BPF jump to {target} out of range")
                return off
            return target
        out += struct.pack("<HBBI", code, rel(jt), rel(jf), k & 0xFFFFFFFF)
    return bytes(out), len(insns)


def build_filter(syscall_ip, batch_ip, secret, traced=TRACED):
    """The stub's filter. syscall_ip, batch_ip: the addresses right after the two
    syscall instructions the kernel injects through (seccomp_data's ip)."""
    if syscall_ip >> 32 != batch_ip >> 32:
        raise ValueError("stub syscall sites in different 4 GiB windows")
    stub_end = STUB_BASE
    prog = [
        (_LD_ABS, _ARCH, 0, 0),
        (_JEQ, _X86_64, 0, "trace"),              # i386 int $0x80: the kernel refuses it
        (_LD_ABS, _IP_HI, 0, 0),
        (_JEQ, syscall_ip >> 32, 0, "not_stub"),
        (_LD_ABS, _IP_LO, 0, 0),
        (_JEQ, syscall_ip & 0xFFFFFFFF, "secret", 0),
        (_JEQ, batch_ip & 0xFFFFFFFF, "secret", "guest"),
        "secret",
        (_LD_ABS, _arg(5), 0, 0),
        (_JEQ, secret & 0xFFFFFFFF, 0, "mmap"),
        (_LD_ABS, _arg(5, True), 0, 0),
        (_JEQ, secret >> 32, "allow", "mmap"),
        "mmap",                                    # the batch's mmap: no 6th arg to spare
        (_LD_ABS, _NR, 0, 0),
        (_JEQ, 9, 0, "forged"),
        (_LD_ABS, _arg(3), 0, 0),
        (_JSET, 0x10, 0, "allow"),                 # not MAP_FIXED: replaces nothing
        (_LD_ABS, _arg(0, True), 0, 0),
        (_JGE, 0x8000, "forged", 0),
        (_ST, 0, 0, 0),                            # M0 = addr_hi
        (_LD_ABS, _arg(1, True), 0, 0),
        (_JGE, 0x8000, "forged", 0),
        (_ST, 1, 0, 0),                            # M1 = len_hi
        (_LD_ABS, _arg(0), 0, 0),
        (_TAX, 0, 0, 0),                           # X = addr_lo
        (_LD_ABS, _arg(1), 0, 0),
        (_ADD_X, 0, 0, 0),                         # A = end_lo (mod 2^32)
        (_ST, 2, 0, 0),
        (_JGE_X, 0, "nocarry", 0),
        (_LD_MEM, 0, 0, 0),
        (_ADD_K, 1, 0, 0),
        (_ST, 0, 0, 0),
        "nocarry",
        (_LDX_MEM, 0, 0, 0),
        (_LD_MEM, 1, 0, 0),
        (_ADD_X, 0, 0, 0),                         # A = end_hi
        (_JGT, stub_end >> 32, "forged", 0),
        (_JEQ, stub_end >> 32, 0, "allow"),
        (_LD_MEM, 2, 0, 0),
        (_JGT, stub_end & 0xFFFFFFFF, "forged", "allow"),
        "not_stub",
        (_JEQ, 0xFFFFFFFF, "trace", "guest"),     # the vsyscall page (the kernel checks)
        "guest",
        (_LD_ABS, _NR, 0, 0),
        (_JGE, 512, "trace", 0),                   # x32, syscall(-1)...: the kernel answers
    ]
    for nr in traced:
        prog.append((_JEQ, nr, "trace", 0))
    prog += [
        (_RET, RET_USER_NOTIF, 0, 0),
        "trace", (_RET, RET_TRACE, 0, 0),
        "allow", (_RET, RET_ALLOW, 0, 0),
        # A guest's jump to a stub site: never run; the kernel sees it at a stop
        # and answers SIGSYS, as Linux's seccomp would a trapped call.
        "forged", (_RET, RET_TRACE, 0, 0),
    ]
    return _assemble(prog)


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def pidfd_getfd(pid, fd):
    """A copy of host process pid's descriptor fd (pidfd_getfd(2); we are its tracer)."""
    pidfd = os.pidfd_open(pid)
    try:
        got = _libc.syscall(ctypes.c_long(438), ctypes.c_int(pidfd), ctypes.c_int(fd),
                            ctypes.c_uint(0))
        if got < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"pidfd_getfd: {os.strerror(err)}")
        os.set_inheritable(got, False)
        return got
    finally:
        os.close(pidfd)


def to_reserve(fd):
    """fd moved to the top of the fd range, inside the kernel's reserve of host fds
    (at least the top 64, kernel/fdtable.py): the mode's own descriptors must not
    count against the guests' part."""
    floor = resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 32
    if fd >= floor or floor <= 3:
        return fd
    try:
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor)
    except OSError:
        return fd
    os.close(fd)
    return high


def notif_send(fd, notif_id, result):
    """Answer one notification from Python; False if its thread left the wait (ENOENT)."""
    if -4095 <= result < 0:
        resp = struct.pack("<QqiI", notif_id, 0, result, 0)
    else:
        resp = struct.pack("<QqiI", notif_id, result if result < 1 << 63 else result - (1 << 64),
                           0, 0)
    try:
        fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return False
        raise
    return True


def signalfd_sigchld():
    """A nonblocking, close-on-exec signalfd for SIGCHLD (the signal must be blocked)."""
    mask = (ctypes.c_uint64 * 16)()
    mask[0] = 1 << (signal.SIGCHLD - 1)
    fd = _libc.signalfd(-1, mask, os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"signalfd: {os.strerror(err)}")
    return fd


def available():
    """None if this host can run seccomp mode, else why not: user notifications
    (Linux 5.0), pidfd_getfd (5.6) and the C hot path."""
    action = ctypes.c_uint32(RET_USER_NOTIF)
    if _libc.syscall(ctypes.c_long(317), ctypes.c_long(2), ctypes.c_long(0),
                     ctypes.byref(action)) != 0:        # SECCOMP_GET_ACTION_AVAIL
        return "the host has no seccomp user notifications"
    try:
        os.close(pidfd_getfd(os.getpid(), 0))
    except OSError as e:
        if e.errno != errno.EBADF:
            return f"pidfd_getfd: {e.strerror}"
    fast = load_fastpath()
    if fast is None or not hasattr(fast, "seccomp_step"):
        return "no C hot path (a C compiler and the Python headers are needed)"
    return None


class SeccompProc(StubProcess):
    """A GuestProc whose thread is ptrace-stopped or waits in a seccomp notification."""

    __slots__ = ("notif", "sysnr", "mode")

    def __init__(self, host_pid, channel, mode):
        super().__init__(host_pid, channel)
        self.notif = None       # (listener fd, id) while it waits for our answer
        self.sysnr = None       # the syscall of the trap it is stopped in (the view's orig_rax)
        self.mode = mode

    def _stop(self):
        """Turn a wait in a notification into a ptrace stop (see the module's docstring)."""
        notif = self.notif
        if notif is None:
            return
        self.notif = None
        pid = self.host_pid
        try:
            ptrace.interrupt(pid)
        except ptrace.HostError:
            return
        while True:
            _, status = os.waitpid(pid, _WALL)
            if not os.WIFSTOPPED(status):
                self.channel.reaped[pid] = status
                return
            if status >> 16 == ptrace.PTRACE_EVENT_STOP:
                break
            ptrace.cont(pid)            # a host signal or event on the way: held back
        regs = ptrace.getregs(pid)
        if regs.orig_rax != _MASK64:
            self.sysnr = regs.orig_rax
        regs.rax = _ENOSYS
        regs.orig_rax = _MASK64
        ptrace.setregs(pid, regs)

    def get_regs(self):
        self._stop()
        regs = super().get_regs()
        if self.sysnr is not None:
            regs.orig_rax = self.sysnr
        return regs

    def set_regs(self, regs):
        self._stop()
        if self.sysnr is not None and regs.orig_rax != _MASK64:
            # In a syscall stop the host must still skip the call: its orig_rax stays -1.
            regs = ptrace.UserRegs.from_buffer_copy(regs)
            regs.orig_rax = _MASK64
        super().set_regs(regs)

    def get_fpregs(self):
        self._stop()
        return super().get_fpregs()

    def set_fpregs(self, data):
        self._stop()
        super().set_fpregs(data)

    def set_tls(self, fs_base):
        self._stop()
        super().set_tls(fs_base)

    def run_ops(self, ops):
        self._stop()
        super().run_ops(ops)

    def inject(self, nr, args=()):
        self._stop()
        return super().inject(nr, args)

    def cmpxchg32(self, addr, old, new):
        self._stop()
        return super().cmpxchg32(addr, old, new)

    def clone(self, host_flags):
        self._stop()
        child = SeccompProc(self.channel.clone(self.host_pid, host_flags), self.channel,
                            self.mode)
        self.mode.procs[child.host_pid] = child
        return child

    def exit_thread(self):
        self._stop()
        pid = self.host_pid
        regs = ptrace.getregs(pid)
        regs.rip = self.channel.trampoline
        regs.rax = 60
        regs.rdi = 0
        regs.r9 = self.channel.secret
        regs.orig_rax = _MASK64
        ptrace.setregs(pid, regs)
        ptrace.cont(pid)

    def interrupt(self):
        # A thread waiting for our answer is, for the kernel, stopped in a trap.
        if self.notif is None:
            super().interrupt()


class SeccompMode(SkasMode):
    """The Mode (see kernel/machine.py) that runs guests behind a seccomp filter."""

    name = "seccomp"
    stops_per_syscall = 0

    def __init__(self, pin_cpu=True, fast=True):
        if pin_cpu:
            pin_to_current_cpu()
        self.channel = StubChannel()
        self.channel.mode = self
        self.channel.secret = int.from_bytes(os.urandom(8), "little")
        syms = _elf_symbols(self.channel.path, ("stub_syscall", "stub_batch_syscall"))
        self.filter, self.filter_len = build_filter(syms["stub_syscall"] + 2,
                                                    syms["stub_batch_syscall"] + 2,
                                                    self.channel.secret)
        self.procs = {}
        self._info = ptrace.SyscallInfo()
        self._fast = load_fastpath() if fast else None
        if self._fast is None or not hasattr(self._fast, "seccomp_step"):
            self.channel.close()
            raise OSError(errno.ENOSYS, "seccomp mode needs its C hot path (a C compiler "
                                        "and the Python headers)")
        self._step = self._fast.seccomp_step
        self._pending = None              # (fd, id, result, host pid) not yet sent
        self._unhandled = None
        self._lost = {}                   # host pid -> an answer its wait did not take
        self._listeners = ()
        self._sigfd = signalfd_sigchld()
        self._sigfd_moved = False
        self._chld_unsure = True          # SIGCHLD may be unblocked: block it before sleeping
        self._old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])

    # ---- starting stubs ------------------------------------------------------------------

    def spawn(self):
        self.flush()
        pid = self.channel.launch()
        try:
            self._install_filter(pid)
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, _WALL)
            raise
        proc = SeccompProc(pid, self.channel, self)
        self.procs[pid] = proc
        return proc

    def _install_filter(self, pid):
        """seccomp(SET_MODE_FILTER, NEW_LISTENER) in the stub; its listener comes here."""
        page = self.channel.ops
        page[_FILTER_AT:_FILTER_AT + len(self.filter)] = self.filter
        struct.pack_into("<HxxxxxxQ", page, _PROG_AT, self.filter_len, STUB_OPS_ADDR + _FILTER_AT)
        fd = self.channel.inject(pid, 317, (SECCOMP_SET_MODE_FILTER,
                                            SECCOMP_FILTER_FLAG_NEW_LISTENER,
                                            STUB_OPS_ADDR + _PROG_AT))
        if fd < 0:
            raise OSError(-fd, f"the stub's seccomp filter: {os.strerror(-fd)}")
        try:
            listener = to_reserve(pidfd_getfd(pid, fd))
        finally:
            self.channel.inject(pid, 3, (fd,))
        if not self._sigfd_moved:
            # The kernel raised its RLIMIT_NOFILE after this mode was made.
            self._sigfd = to_reserve(self._sigfd)
            self._sigfd_moved = True
        try:
            # Linux 6.6: the answer wakes the guest on this CPU, as a handoff.
            # (The flags are the ioctl's argument itself, not a pointer to them.)
            fcntl.ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
        except OSError as e:
            log.debug("SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: %s", e.strerror)
        self._listeners = self._listeners + (listener,)

    def wait_fds(self):
        """Descriptors the run loop's own poll must watch: a notification is a trap."""
        return self._listeners

    # ---- resuming --------------------------------------------------------------------

    def start(self, proc):
        ptrace.cont(proc.host_pid)

    def resume(self, proc, result):
        """Deferred to the next wait() (or flush()): a notification's answer, or rax and
        PTRACE_CONT at a ptrace stop."""
        if self._pending is not None:
            self.flush()
        notif = proc.notif
        if notif is not None:
            proc.notif = None
            self._pending = (notif[0], notif[1], result, proc.host_pid)
        else:
            proc.sysnr = None
            self._pending = (_REPLY_PTRACE, 0, result, proc.host_pid)

    def reply_and_wait(self, proc, result):
        """resume(proc, result) and wait(True) in one C call."""
        if self._pending is not None or self.channel.reaped:
            self.resume(proc, result)
            return self.wait(True)
        notif = proc.notif
        if notif is not None:
            proc.notif = None
            fd, notif_id = notif
        else:
            proc.sysnr = None
            fd, notif_id = _REPLY_PTRACE, 0
        try:
            got = self._step(self.procs, self._listeners, self._sigfd, fd, notif_id,
                             result, proc.host_pid, self._lost, 1, self._chld_unsure)
        except OSError as e:
            if e.errno != errno.ESRCH:
                raise
            return self.wait(True)
        self._chld_unsure = False
        if got is not None and len(got) == 4:
            return got
        self._unhandled = got
        return self.wait(True)

    def flush(self):
        pending = self._pending
        if pending is not None:
            self._pending = None
            fd, notif_id, result, pid = pending
            if fd == _REPLY_PTRACE:
                try:
                    ptrace.pokeuser(pid, ptrace.OFF_RAX, result)
                    ptrace.cont(pid)
                except ptrace.HostError as e:
                    if e.errno != errno.ESRCH:
                        raise
            elif not notif_send(fd, notif_id, result):
                self._lost[pid] = result

    def resume_plain(self, proc):
        proc._stop()
        proc.sysnr = None
        ptrace.cont(proc.host_pid)

    # ---- waiting ---------------------------------------------------------------------

    def _settle(self, proc, pid):
        """At a ptrace stop: a thread taken out of a notification wait by a signal
        either gets the answer it missed or is rewound to make the call again."""
        lost = self._lost.pop(pid, None)
        regs = ptrace.getregs(pid)
        if regs.orig_rax == _MASK64 or regs.rax not in _RESTARTS:
            return
        if lost is not None:
            regs.rax = lost & _MASK64
        else:
            regs.rip = (regs.rip - 2) & _MASK64
            regs.rax = regs.orig_rax
        regs.orig_rax = _MASK64
        ptrace.setregs(pid, regs)

    def wait(self, block=True):
        channel = self.channel
        step = self._step
        procs = self.procs
        while True:
            if self._unhandled is not None:
                got, self._unhandled = self._unhandled, None
                if len(got) == 4:
                    return got
                if len(got) == 2:
                    pid, status = got
                else:
                    self._other(got)
                    continue
            elif channel.reaped:
                self.flush()
                pid, status = channel.reaped.popitem()
            else:
                pending = self._pending
                self._pending = None
                unsure = self._chld_unsure
                if not block:
                    self._chld_unsure = True    # the run loop's poll path unblocks SIGCHLD
                elif unsure:
                    self._chld_unsure = False
                if pending is None:
                    got = step(procs, self._listeners, self._sigfd, -1, 0, 0, 0,
                               self._lost, block, unsure)
                else:
                    try:
                        got = step(procs, self._listeners, self._sigfd, *pending,
                                   self._lost, block, unsure)
                    except OSError as e:
                        if e.errno == errno.ESRCH:
                            continue
                        raise
                if got is None:
                    if block:
                        continue     # EINTR: the interpreter ran its signal handlers
                    return None
                n = len(got)
                if n == 4:
                    return got
                if n != 2:
                    self._other(got)
                    continue
                pid, status = got
            proc = procs.get(pid)
            if proc is None:
                continue
            if status & 0xFF == 0x7F:
                sig = (status >> 8) & 0xFF
                event = status >> 16
                if event == ptrace.PTRACE_EVENT_SECCOMP:
                    trap = self._seccomp_stop(proc, pid)
                    if trap is not None:
                        return trap
                    continue
                proc.vsys = None
                if event == ptrace.PTRACE_EVENT_STOP:
                    self._settle(proc, pid)
                    return (proc, TRAP_INTERRUPT, 0, None)
                if event:
                    ptrace.cont(pid)
                    continue
                self._settle(proc, pid)
                si = ptrace.getsiginfo(pid)
                return (proc, TRAP_SIGNAL, sig, (si.si_code, si.si_addr))
            del procs[pid]
            self._lost.pop(pid, None)
            proc.release()
            return (proc, TRAP_EXITED, os.waitstatus_to_exitcode(status), None)

    def _other(self, got):
        """seccomp_step's rarer answers: a listener without users, a stranger's call."""
        if len(got) == 1:
            fd = got[0]
            self._listeners = tuple(f for f in self._listeners if f != fd)
            os.close(fd)
        elif got is not None:
            fd, notif_id, pid = got
            log.error("seccomp notification from unknown host thread %d", pid)
            notif_send(fd, notif_id, -errno.ENOSYS)

    def _seccomp_stop(self, proc, pid):
        """A SECCOMP_RET_TRACE stop: the trap the kernel handles, or None."""
        info = self._info
        ptrace.get_syscall_info(pid, info)
        if info.instruction_pointer & ~0xFFF == VSYSCALL_PAGE:
            return proc.vsyscall_trap()
        ip = info.instruction_pointer
        if ip >> 63:
            log.error("seccomp stop of guest %d at %#x: killing it", pid, ip)
            proc.kill()
            return None
        ptrace.pokeuser(pid, ptrace.OFF_ORIG_RAX, _MASK64)   # the host skips the call
        if STUB_BASE <= ip < STUB_END:
            # The guest jumped to one of the stub's syscall sites without the secret:
            # the call never runs; the guest gets SIGSYS (SYS_SECCOMP) for it.
            proc.sysnr = None
            return (proc, TRAP_SIGNAL, signal.SIGSYS, (_SYS_SECCOMP, ip - 2))
        proc.sysnr = info.nr
        kind = TRAP_SYSCALL if info.arch == _X86_64 else TRAP_I386
        return (proc, kind, info.nr, tuple(info.args))

    def close(self):
        self._pending = None
        super().close()
        for fd in self._listeners:
            os.close(fd)
        self._listeners = ()
        if self._sigfd >= 0:
            os.close(self._sigfd)
            self._sigfd = -1
            signal.pthread_sigmask(signal.SIG_SETMASK, self._old_mask)
