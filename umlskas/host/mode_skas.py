"""SKAS mode: every guest syscall is one PTRACE_SYSEMU stop, emulated by the kernel.

How it works: the guest runs in a stub process of its own, resumed with
PTRACE_SYSEMU. Its `syscall` instruction stops it at entry and the host skips
the call; wait() reads number, arguments and arch in one
PTRACE_GET_SYSCALL_INFO, the kernel emulates the call, and resume() writes
the result with one POKEUSER into rax and resumes with PTRACE_SYSEMU again.
Three ptrace requests and one waitpid per guest syscall.

Calls into the legacy vsyscall page (0xffffffffff600000 gettimeofday, ...400
time, ...800 getcpu) execute no `syscall` instruction: the host emulates them
from the page fault, so SYSEMU never stops them. The stub's seccomp filter
(stub.c) turns them into PTRACE_EVENT_SECCOMP stops; vsyscall_trap() hands
them to the kernel as the syscall they stand for (orig_rax) and sets orig_rax
= -1 so the host skips its own call and only emulates the `ret`, keeping the
kernel's answer in rax. The guest's ordinary syscalls stop at SYSEMU before
seccomp runs: the filter costs nothing on the hot path. A host booted with
vsyscall=none has no such calls to route: they fault (SIGSEGV) as natively.
"""

import errno
import logging
import os
import signal

from . import ptrace
from .build import load_fastpath
from .stub_channel import STUB_BASE, StubChannel
from ..kernel.machine import (TRAP_EXITED, TRAP_I386, TRAP_INTERRUPT, TRAP_SIGNAL,
                              TRAP_SYSCALL, RegsRefused)

_SYSCALL_STOP = signal.SIGTRAP | 0x80
_WALL = ptrace.WALL
_WNOHANG = os.WNOHANG
_X86_64 = ptrace.AUDIT_ARCH_X86_64
_MASK64 = 0xFFFFFFFFFFFFFFFF

VSYSCALL_PAGE = 0xFFFFFFFFFF600000
# The syscalls the host's vsyscall emulation stands in for (vsyscall_64.c).
VSYSCALL_NRS = (96, 201, 309)          # gettimeofday, time, getcpu
_EFLAGS_RF = 0x10000                   # resume flag: set in the fault's saved eflags
_DR7_EXEC_BP0 = 1                      # DR7: local enable of DR0, break on execution

log = logging.getLogger("umlskas")

# What ptrace answers for a register value it will not load (putreg: EIO for a base
# past TASK_SIZE_MAX or a bad selector; SETFPREGS: EINVAL for reserved MXCSR bits).
_REFUSALS = (errno.EIO, errno.EINVAL, errno.EPERM)


def refused(e):
    """A HostError from a register write as the kernel sees it: RegsRefused when
    the host refused the value, the error itself otherwise (the tracee is gone...)."""
    return RegsRefused(e.errno) if e.errno in _REFUSALS else e


def pin_to_current_cpu():
    """Keep the kernel and its stubs (which inherit this) on one CPU: a wake-up
    across vCPUs costs several times a ptrace round trip on the VMs we run on
    (measured: an injected syscall 88 us across, 11 us pinned)."""
    try:
        cpu = os.sched_getaffinity(0)
        with open("/proc/self/stat") as f:
            current = int(f.read().rsplit(")", 1)[1].split()[36])
        if current in cpu:
            os.sched_setaffinity(0, {current})
    except (OSError, ValueError, IndexError):
        pass


# Registers a kernel's set_regs() may leave as the vsyscall view had them for the
# call to end with a plain resume (only rax, the result, and orig_rax differ).
_VIEW_FIXED = tuple(n for n in ptrace.REG_NAMES if n not in ("rax", "orig_rax"))


class StubProcess:
    """A GuestProc (see kernel/machine.py) backed by a ptraced stub thread."""

    __slots__ = ("host_pid", "channel", "_mem_fd", "task", "vsys", "stepping")

    def __init__(self, host_pid, channel):
        self.host_pid = host_pid
        self.channel = channel
        self._mem_fd = -1
        self.task = None
        # At a vsyscall stop: (live registers at the stop, the guest's view of
        # them once the call returns). None otherwise; see vsyscall_trap().
        self.vsys = None
        self.stepping = False         # resume one instruction at a time (guest ptrace)

    def single_step(self, on):
        """Guest PTRACE_SINGLESTEP: from now on each resume runs one guest instruction
        (host PTRACE_SYSEMU_SINGLESTEP, so a `syscall` still stops for emulation and
        the host never runs it) and the host's SIGTRAP comes back as a TRAP_SIGNAL."""
        self.stepping = bool(on)

    def read(self, addr, size):
        if size <= 0:
            return b""
        return ptrace.vm_read(self.host_pid, addr, size)

    def write(self, addr, data):
        if not data:
            return 0
        return ptrace.vm_write(self.host_pid, addr, data)

    def poke(self, addr, data):
        if self._mem_fd < 0:
            self._mem_fd = os.open(f"/proc/{self.host_pid}/mem", os.O_RDWR | os.O_CLOEXEC)
        view = memoryview(data)
        while view:
            n = os.pwrite(self._mem_fd, view, addr)
            view = view[n:]
            addr += n

    def get_regs(self):
        regs = ptrace.getregs(self.host_pid)
        if self.vsys is not None and self._at_vsyscall(regs):
            return ptrace.UserRegs.from_buffer_copy(self.vsys[1])
        return regs

    def set_regs(self, regs):
        if self.vsys is not None and self._at_vsyscall(ptrace.getregs(self.host_pid)):
            view = self.vsys[1]
            if all(getattr(regs, n) == getattr(view, n) for n in _VIEW_FIXED):
                # Only the result changes: rax, as a plain resume would write it.
                ptrace.pokeuser(self.host_pid, ptrace.OFF_RAX, regs.rax)
                return
            self._leave_vsyscall()
        try:
            ptrace.setregs(self.host_pid, regs)
        except ptrace.HostError as e:
            raise refused(e) from None

    # ---- the legacy vsyscall page ---------------------------------------------------

    def vsyscall_trap(self):
        """At a PTRACE_EVENT_SECCOMP stop of the stub's filter: the guest called the
        vsyscall page. Returns the TRAP_SYSCALL the kernel handles (number =
        orig_rax, as the host set it), or None if this stop is not one (the
        thread is then killed: nothing else may raise it).

        orig_rax = -1 is written at once: resuming then makes the host skip its
        own call and emulate the `ret` (ip = the return address it read from
        the stack, sp += 8), keeping whatever the kernel put in rax. rip must
        not change during this stop (the host would kill the thread with
        SIGSYS), so the kernel sees a view of the registers as they will be
        after the `ret`; set_regs() applies changes beyond rax (a signal frame)
        after stepping the thread out of the stop (_leave_vsyscall)."""
        pid = self.host_pid
        regs = ptrace.getregs(pid)
        nr = regs.orig_rax
        ret_addr = self.read(regs.rsp, 8)
        if regs.rip & ~0xFFF != VSYSCALL_PAGE or nr not in VSYSCALL_NRS or len(ret_addr) != 8:
            log.error("unexpected seccomp stop in guest %d (nr %#x at %#x): killing it",
                      pid, nr, regs.rip)
            self.kill()
            return None
        ptrace.pokeuser(pid, ptrace.OFF_ORIG_RAX, _MASK64)
        regs.orig_rax = _MASK64
        view = ptrace.UserRegs.from_buffer_copy(regs)
        view.rip = int.from_bytes(ret_addr, "little")
        view.rsp = (regs.rsp + 8) & _MASK64
        view.orig_rax = nr
        view.eflags &= ~_EFLAGS_RF
        self.vsys = (regs, view)
        # getcpu's third argument is cleared by the host's emulation too.
        return (self, TRAP_SYSCALL, nr,
                (regs.rdi, regs.rsi, 0 if nr == 309 else regs.rdx, regs.r10, regs.r8, regs.r9))

    def _at_vsyscall(self, live):
        """Is the thread still in the vsyscall stop self.vsys recorded?"""
        stop = self.vsys[0]
        if live.rip == stop.rip and live.rsp == stop.rsp and live.orig_rax == _MASK64:
            return True
        self.vsys = None
        return False

    def _leave_vsyscall(self):
        """Finish the vsyscall stop so that every register may change: let the host
        emulate the `ret` and stop the thread on the first instruction after it,
        before it runs, with a hardware breakpoint there (the fault's saved RF
        flag, which would suppress it, is cleared). The live registers are then
        the guest's view."""
        pid = self.host_pid
        stop, view = self.vsys
        self.vsys = None
        dr = ptrace.OFF_DEBUGREG
        ptrace.pokeuser(pid, ptrace.REG_OFFSET["eflags"], stop.eflags & ~_EFLAGS_RF)
        ptrace.pokeuser(pid, dr, view.rip)
        ptrace.pokeuser(pid, dr + 7 * 8, _DR7_EXEC_BP0)
        ptrace.cont(pid)
        while True:
            _, status = os.waitpid(pid, _WALL)
            if not os.WIFSTOPPED(status):
                self.channel.reaped[pid] = status
                return
            if ptrace.getregs(pid).rip == view.rip:
                # The breakpoint, or any other stop before the first instruction (an
                # interrupt, a host signal: held back, as during an injected op).
                break
            ptrace.cont(pid)
        ptrace.pokeuser(pid, dr + 7 * 8, 0)
        ptrace.pokeuser(pid, dr, 0)

    def get_fpregs(self):
        return ptrace.getfpregs(self.host_pid)

    def set_fpregs(self, data):
        try:
            ptrace.setfpregs(self.host_pid, data)
        except ptrace.HostError as e:
            raise refused(e) from None

    def interrupt(self):
        """Stop the running thread soon (a TRAP_INTERRUPT follows)."""
        try:
            ptrace.interrupt(self.host_pid)
        except ptrace.HostError:
            pass

    def set_tls(self, fs_base):
        try:
            ptrace.pokeuser(self.host_pid, ptrace.OFF_FS_BASE, fs_base)
        except ptrace.HostError as e:
            raise refused(e) from None

    def run_ops(self, ops):
        self.channel.run_batch(self.host_pid, ops)

    def inject(self, nr, args=()):
        return self.channel.inject(self.host_pid, nr, args)

    def cmpxchg32(self, addr, old, new):
        return self.channel.cmpxchg32(self.host_pid, addr, old, new)

    def clone(self, host_flags):
        """A new host process or thread made by a real clone in this one (see StubChannel.clone)."""
        child = StubProcess(self.channel.clone(self.host_pid, host_flags), self.channel)
        self.channel.mode.procs[child.host_pid] = child
        return child

    def exit_thread(self):
        """End this host thread alone (SIGKILL would take its whole thread group)."""
        pid = self.host_pid
        regs = ptrace.getregs(pid)
        regs.rip = self.channel.trampoline
        regs.rax = 60
        regs.rdi = 0
        regs.orig_rax = 0xFFFFFFFFFFFFFFFF
        ptrace.setregs(pid, regs)
        ptrace.cont(pid)

    def kill(self):
        try:
            os.kill(self.host_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def release(self):
        if self._mem_fd >= 0:
            os.close(self._mem_fd)
            self._mem_fd = -1


class SkasMode:
    """The Mode (see kernel/machine.py) that runs guests under PTRACE_SYSEMU."""

    name = "skas"
    stops_per_syscall = 1
    can_single_step = True            # StubProcess.single_step (guest PTRACE_SINGLESTEP)
    guest_top = STUB_BASE

    def __init__(self, pin_cpu=True, fast=True):
        if pin_cpu:
            pin_to_current_cpu()
        self.channel = StubChannel()
        self.channel.mode = self
        self.procs = {}
        self._info = ptrace.SyscallInfo()
        # With the C hot path, resume() is deferred and done by the next wait() in
        # the same C call (POKEUSER, SYSEMU, waitpid, GET_SYSCALL_INFO).
        self._fast = load_fastpath() if fast else None
        self._pending = None              # (host pid, result) not yet resumed
        self._unhandled = None            # a step() result reply_and_wait passed on

    def spawn(self):
        self.flush()
        pid = self.channel.launch()
        proc = StubProcess(pid, self.channel)
        self.procs[pid] = proc
        return proc

    def start(self, proc):
        if proc.stepping:
            ptrace.sysemu_singlestep(proc.host_pid)
            return
        ptrace.sysemu(proc.host_pid)

    def resume(self, proc, result):
        if proc.stepping:
            self.flush()
            ptrace.pokeuser(proc.host_pid, ptrace.OFF_RAX, result)
            ptrace.sysemu_singlestep(proc.host_pid)
            return
        if self._fast is not None:
            if self._pending is not None:
                self.flush()
            self._pending = (proc.host_pid, result)
            return
        pid = proc.host_pid
        ptrace.pokeuser(pid, ptrace.OFF_RAX, result)
        ptrace.sysemu(pid)

    def reply_and_wait(self, proc, result):
        """resume(proc, result) and wait(True) in one: the hot path's single C call."""
        fast = self._fast
        if fast is None or self._pending is not None or self.channel.reaped:
            self.resume(proc, result)
            return self.wait(True)
        try:
            got = fast.step(self.procs, proc.host_pid, result, 1)
        except OSError as e:
            if e.errno != errno.ESRCH:
                raise
            return self.wait(True)
        if got is not None and len(got) == 4:
            return got
        self._unhandled = got
        return self.wait(True)

    def flush(self):
        """Carry out a deferred resume now."""
        pending = self._pending
        if pending is not None:
            self._pending = None
            pid, result = pending
            ptrace.pokeuser(pid, ptrace.OFF_RAX, result)
            ptrace.sysemu(pid)

    def resume_plain(self, proc):
        """Let the guest run on without touching rax (after a signal stop)."""
        if proc.stepping:
            ptrace.sysemu_singlestep(proc.host_pid)
            return
        ptrace.sysemu(proc.host_pid)

    def wait(self, block=True):
        channel = self.channel
        fast = self._fast
        while True:
            if self._unhandled is not None:
                if len(self._unhandled) == 4:
                    got, self._unhandled = self._unhandled, None
                    return got
                pid, status, nr, args, arch = self._unhandled
                self._unhandled = None
                if nr >= 0:
                    proc = self.procs.get(pid)
                    if proc is None:
                        continue
                    return (proc, TRAP_SYSCALL if arch == _X86_64 else TRAP_I386, nr, args)
            elif channel.reaped:
                self.flush()
                pid, status = channel.reaped.popitem()
            elif fast is not None:
                pending = self._pending
                self._pending = None
                try:
                    got = fast.step(self.procs, pending[0], pending[1], block) \
                        if pending is not None else fast.step(self.procs, 0, 0, block)
                except OSError as e:
                    if pending is not None and e.errno == errno.ESRCH:
                        continue     # the tracee died under us; its exit status follows
                    raise
                if got is None:
                    if block:
                        continue     # EINTR: the interpreter ran its signal handlers
                    return None
                if len(got) == 4:
                    return got
                pid, status, nr, args, arch = got
                if nr >= 0:
                    proc = self.procs.get(pid)
                    if proc is None:
                        continue
                    return (proc, TRAP_SYSCALL if arch == _X86_64 else TRAP_I386, nr, args)
            else:
                pid, status = os.waitpid(-1, _WALL if block else _WALL | _WNOHANG)
                if pid == 0:
                    return None
            proc = self.procs.get(pid)
            if proc is None:
                continue
            if status & 0xFF == 0x7F:
                sig = (status >> 8) & 0xFF
                if sig == _SYSCALL_STOP:
                    info = self._info
                    ptrace.get_syscall_info(pid, info)
                    kind = TRAP_SYSCALL if info.arch == _X86_64 else TRAP_I386
                    return (proc, kind, info.nr, tuple(info.args))
                event = status >> 16
                if event == ptrace.PTRACE_EVENT_SECCOMP:
                    trap = proc.vsyscall_trap()
                    if trap is not None:
                        return trap
                    continue
                proc.vsys = None
                if event == ptrace.PTRACE_EVENT_STOP:
                    return (proc, TRAP_INTERRUPT, 0, None)
                if event:
                    # PTRACE_EVENT_EXIT and the like: nothing for the kernel.
                    ptrace.sysemu(pid)
                    continue
                si = ptrace.getsiginfo(pid)
                return (proc, TRAP_SIGNAL, sig, (si.si_code, si.si_addr))
            del self.procs[pid]
            proc.release()
            code = os.waitstatus_to_exitcode(status)
            return (proc, TRAP_EXITED, code, None)

    def close(self):
        """Kill every stub and reap it. Stops on the way out (PTRACE_EVENT_EXIT,
        a group-exit of threads) are resumed until each host process is gone."""
        self._pending = None
        procs = self.procs
        for proc in list(procs.values()):
            proc.kill()
        while procs:
            try:
                pid, status = os.waitpid(-1, _WALL)
            except ChildProcessError:
                break
            if status & 0xFF == 0x7F:
                try:
                    ptrace.cont(pid)
                except ptrace.HostError:
                    pass
                continue
            proc = procs.pop(pid, None)
            if proc is not None:
                proc.release()
        for proc in procs.values():
            proc.release()
        procs.clear()
        self.channel.reaped.clear()
        self.channel.close()
