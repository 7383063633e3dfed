"""TT mode: User-mode Linux's historic tracing-thread protocol, behind the Mode interface.

The same kernel, the same syscall table and the same stub as SKAS mode
(mode_skas.py); only the way a guest syscall reaches the kernel differs. Names
follow the User-mode Linux 2.6 sources (arch/um/kernel/tt/), as in design.md
section 3. One guest `syscall`, step by step:

  1. The tracer resumes the guest with PTRACE_SYSCALL (`tracing = True`).
  2. The guest executes `syscall`: syscall-entry stop, SIGTRAP|0x80 (do_syscall).
     One PTRACE_GET_SYSCALL_INFO gives number and arch; the tracer keeps the
     number for the handler, as UML kept it in the task struct.
  3. The tracer nullifies the host call with POKEUSER orig_rax = -1, sets
     `sig = SIGUSR2`, `tracing = False` and resumes with PTRACE_CONT(SIGUSR2).
     Why -1 and not __NR_getpid: on x86-64 Linux a syscall number of -1 is
     skipped by the entry code (rax = -ENOSYS) without running anything, so no
     host syscall at all is made on the guest's behalf. Old UML used getpid
     because the 2.4-era hosts it ran on did not skip -1 reliably (that gap is
     why SYSEMU was invented); getpid works too but is a real host call.
     Because we resume with PTRACE_CONT, TIF_SYSCALL_TRACE is off: there is no
     syscall-exit stop for the nullified call; rax is -ENOSYS when the signal
     frame is built, and the kernel's answer overwrites it.
     A signal given when resuming a syscall stop is queued with send_sig() to
     that very thread; on the way back to user mode the host reports it as a
     signal-delivery stop (stop 2), which the tracer resumes with
     PTRACE_CONT(SIGUSR2) to let it be delivered.
  4. SIGUSR2 runs `stub_tt_usr2` (stub.c: sig_handler_common_tt ->
     usr2_handler -> syscall_handler_tt), which lives in the stub's pages, on a
     sigaltstack in stub memory mapped at TT_AREA at spawn (one slot per host
     thread). The kernel is Python in another process, so the handler cannot
     call it: its first instruction is an int3 (stop 3, "handler entry"). The
     tracer recognises it by rip, reads the saved registers from the
     handler's ucontext (rdx) and reports TRAP_SYSCALL with the number from
     step 2 and the arguments from that context. While the kernel handles the
     trap, get_regs()/set_regs()/get_fpregs()/set_fpregs() act on the saved
     context (the guest's registers), not on the handler's live registers.
  5. The kernel's result goes into the saved context's rax
     (SC_SET_SYSCALL_RETURN, one process_vm_writev) and the handler is resumed
     with PTRACE_CONT, tracing still off.
  6. On its return path (`stub_tt_return`, set_user_mode) the handler asks for
     OP_TRACE_ON by sending itself SIGUSR1 with tgkill: real host syscalls
     (getpid, gettid, tgkill) made by stub code while tracing is off.
  7. The tracer sees the SIGUSR1 signal-delivery stop (stop 4), suppresses it
     (`sig = 0`), runs do_proc_op(OP_TRACE_ON): `tracing = True`, and resumes
     with PTRACE_SYSCALL. (The op is OP_TRACE_ON by construction: only the
     return path sends SIGUSR1, and the tracer keeps the per-thread state, as
     UML's tracer read it from the task struct.)
  8. The handler's `ret` reaches the restorer and its rt_sigreturn, whose
     entry stop (stop 5) is recognised by rip inside the stub and let through;
     PTRACE_SYSCALL also gives its exit stop (stop 6), after which the guest
     resumes after its `syscall` with the result in rax.

Six ptrace stops (12 context switches between tracer and guest) per guest
syscall, against SKAS's one stop (2 switches). The C prototype of design.md
counted 5 stops / 10 switches because its handler ran the kernel's code in
place; here the int3 that carries the registers to the Python kernel is the
sixth. TTMode.stats counts them (UMLSKAS_TT_STATS=1 prints them at close).

Security difference from SKAS: in TT mode the handler runs *in the guest's
address space*, on a signal stack that is writable memory of that address
space, with host syscalls (tgkill, rt_sigreturn) made while tracing is off. The
guest cannot map over the stub's pages or the TT area (the kernel refuses
mappings at or above STUB_BASE and emulates mprotect/munmap), and the guest's
own rt_sigaction/sigprocmask/sigaltstack are emulated, so the host handlers
stay ours. But another guest thread of the same address space runs while a
thread is inside its handler and could write the signal frame on that stack
(for example the saved rip or the restorer pointer) with plain stores: TT trusts
guest threads not to race the handler's frame, which SKAS never has to (under
SYSEMU no host syscall ever runs outside the kernel's PTRACE_CONT injections,
whose code and data the guest cannot write). UML's TT mode had the same hole
(and worse: the kernel's memory itself was mapped in the process).

Other things as in SKAS: memory ops, injected syscalls, clone (a real host
clone; the child returns through its own copy of the handler frame),
exit_thread, interrupt, host signals of the guest and exits reuse StubChannel
and StubProcess. So do calls into the legacy vsyscall page: the stub's seccomp
filter makes them a PTRACE_EVENT_SECCOMP stop while the guest runs, answered
in one stop with no SIGUSR2 round (StubProcess.vsyscall_trap). The handler's
own host syscalls pass that filter (it traces only the vsyscall page's ip).
"""

import collections
import errno
import logging
import os
import signal
import struct
import sys

from . import ptrace
from .mode_skas import SkasMode, StubProcess
from .stub_channel import STUB_BASE, _elf_symbols
from ..kernel.machine import (TRAP_EXITED, TRAP_I386, TRAP_INTERRUPT, TRAP_SIGNAL, TRAP_SYSCALL,
                              OpError)

log = logging.getLogger("umlskas")

_SYSCALL_STOP = signal.SIGTRAP | 0x80
_WALL = ptrace.WALL
_X86_64 = ptrace.AUDIT_ARCH_X86_64
_MASK64 = 0xFFFFFFFFFFFFFFFF
_NOSYS = 0xFFFFFFFFFFFFFFFF       # orig_rax = -1: the host skips the call
_SIGUSR1 = signal.SIGUSR1
_SIGUSR2 = signal.SIGUSR2
_SIGTRAP = signal.SIGTRAP

# Writable stub memory for TT: one signal-stack slot per host thread of an mm.
TT_AREA = 0x7FFBE0200000
TT_SLOT = 0x10000
TT_SLOTS = 256

CLONE_VM = 0x100

SA_SIGINFO = 0x4
SA_ONSTACK = 0x08000000
SA_RESTORER = 0x04000000

# ucontext_t / struct sigcontext (x86-64) offsets.
UC_STACK = 16                     # stack_t uc_stack {ss_sp, ss_flags, ss_size}
UC_MCONTEXT = 40
SC_GREGS = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi",
            "rbp", "rbx", "rdx", "rax", "rcx", "rsp", "rip", "eflags")
SC_RAX = UC_MCONTEXT + 8 * SC_GREGS.index("rax")
SC_FPSTATE = UC_MCONTEXT + 184
SC_SS = UC_MCONTEXT + 150          # the u16 ss after cs, gs, fs
SC_SIZE = 256
FP_XSTATE_MAGIC1 = 0x46505853
FX_SW_RESERVED = 464

# Per-thread protocol states.
RUN_GUEST = "run_guest"          # PTRACE_SYSCALL, guest code running (tracing = 1)
DIRECT = "direct"                # stopped, live registers are the guest's
SENT_USR2 = "sent_usr2"          # PTRACE_CONT(SIGUSR2) from the entry stop (tracing = 0)
IN_HANDLER = "in_handler"        # SIGUSR2 delivered, the handler runs to its int3
HANDLER_STOP = "handler_stop"    # stopped at the int3: the kernel has the trap
RETURNING = "returning"          # handler resumed, on its way to SIGUSR1 (OP_TRACE_ON)
SIGRETURN = "sigreturn"          # PTRACE_SYSCALL: the handler's rt_sigreturn entry comes
SIGRETURN_EXIT = "sigreturn_exit"  # ... then its exit stop
DEAD = "dead"

_CONT_STATES = (SENT_USR2, IN_HANDLER, HANDLER_STOP, RETURNING, DEAD)


def _slot_base(slot):
    return TT_AREA + slot * TT_SLOT


def _alloc_slot(group):
    for i in range(TT_SLOTS):
        if i not in group:
            group.add(i)
            return i
    raise OpError(0, errno.EAGAIN)


class TTProcess(StubProcess):
    """A GuestProc for TT mode. Between TRAP_SYSCALL and the kernel's answer the
    thread is stopped inside its SIGUSR2 handler: register access then goes to
    the saved context (`ctx`, read from the ucontext) and is written back
    when the kernel resumes it."""

    __slots__ = ("mode", "state", "nr", "arch", "hregs", "ctx", "uc", "fpstate",
                 "ctx_dirty", "fp_dirty", "fp", "need_setregs", "owed_interrupt",
                 "group", "slot")

    def __init__(self, host_pid, channel, mode, group, slot):
        super().__init__(host_pid, channel)
        self.mode = mode
        self.state = DIRECT
        self.nr = 0
        self.arch = _X86_64
        self.hregs = None            # the handler's live registers at its int3
        self.ctx = None              # the guest's registers from the handler's ucontext
        self.uc = 0
        self.fpstate = 0
        self.ctx_dirty = False
        self.fp_dirty = False
        self.fp = None
        self.need_setregs = False    # a clone child: its live registers must become hregs
        self.owed_interrupt = False
        self.group = group           # the set of TT slots used in this host mm
        self.slot = slot

    # ---- registers: the saved context while in the handler ----------------------

    def get_regs(self):
        if self.state == HANDLER_STOP:
            return ptrace.UserRegs.from_buffer_copy(self.ctx)
        return super().get_regs()           # live (or a vsyscall stop's view)

    def set_regs(self, regs):
        if self.state == HANDLER_STOP:
            self.ctx = ptrace.UserRegs.from_buffer_copy(regs)
            self.ctx_dirty = True
        else:
            super().set_regs(regs)

    def get_fpregs(self):
        if self.state == HANDLER_STOP:
            if self.fp is None:
                self.fp = ptrace.vm_read(self.host_pid, self.fpstate, 512)
            return self.fp
        return ptrace.getfpregs(self.host_pid)

    def set_fpregs(self, data):
        if self.state == HANDLER_STOP:
            self.fp = bytes(data)[:512].ljust(512, b"\0")
            self.fp_dirty = True
        else:
            super().set_fpregs(data)

    def set_tls(self, fs_base):
        # fs_base is not part of a signal frame: the live register is the guest's.
        super().set_tls(fs_base)
        if self.state == HANDLER_STOP:
            self.ctx.fs_base = fs_base & _MASK64
            self.hregs.fs_base = fs_base & _MASK64

    # ---- the handler frame ------------------------------------------------------

    def _read_context(self, hregs):
        """At the handler's int3: the guest's registers from the ucontext at rdx."""
        self.hregs = hregs
        uc = self.uc = hregs.rdx
        raw = ptrace.vm_read(self.host_pid, uc + UC_MCONTEXT, SC_SIZE)
        if len(raw) != SC_SIZE:
            raise ptrace.HostError("read TT signal frame", self.host_pid, errno.EFAULT)
        vals = struct.unpack_from("<18Q", raw)
        ctx = ptrace.UserRegs.from_buffer_copy(hregs)
        for name, v in zip(SC_GREGS, vals):
            setattr(ctx, name, v)
        ctx.orig_rax = self.nr
        self.ctx = ctx
        self.fpstate, = struct.unpack_from("<Q", raw, 184)
        self.fp = None
        self.ctx_dirty = self.fp_dirty = False

    def _write_context(self, result):
        """SC_SET_SYSCALL_RETURN (and whatever else the kernel changed)."""
        pid = self.host_pid
        ctx = self.ctx
        if result is not None:
            ctx.rax = result & _MASK64
        if self.ctx_dirty:
            data = struct.pack("<18Q", *(getattr(ctx, n) for n in SC_GREGS))
            ptrace.vm_write(pid, self.uc + UC_MCONTEXT, data)
            hregs = self.hregs
            if ctx.ss != hregs.ss:
                # A stack segment from the guest's own sigreturn frame: the host's
                # rt_sigreturn loads it (UC_STRICT_RESTORE_SS), and faults as Linux would.
                ptrace.vm_write(pid, self.uc + SC_SS, struct.pack("<H", ctx.ss & 0xFFFF))
            if ctx.fs_base != hregs.fs_base:
                ptrace.pokeuser(pid, ptrace.OFF_FS_BASE, ctx.fs_base)
                hregs.fs_base = ctx.fs_base
            if ctx.gs_base != hregs.gs_base:
                ptrace.pokeuser(pid, ptrace.REG_OFFSET["gs_base"], ctx.gs_base)
                hregs.gs_base = ctx.gs_base
        elif result is not None:
            ptrace.vm_write(pid, self.uc + SC_RAX, struct.pack("<Q", ctx.rax))
        if self.fp_dirty and self.fpstate:
            # Keep the host's sw_reserved bytes (the xsave magic) and mark x87/SSE
            # present, so the host's rt_sigreturn restores what the kernel wrote.
            ptrace.vm_write(pid, self.fpstate, self.fp[:FX_SW_RESERVED])
            magic = ptrace.vm_read(pid, self.fpstate + FX_SW_RESERVED, 4)
            if len(magic) == 4 and struct.unpack("<I", magic)[0] == FP_XSTATE_MAGIC1:
                bv = ptrace.vm_read(pid, self.fpstate + 512, 8)
                if len(bv) == 8:
                    ptrace.vm_write(pid, self.fpstate + 512,
                                    struct.pack("<Q", struct.unpack("<Q", bv)[0] | 3))
        if self.need_setregs:
            ptrace.setregs(pid, self.hregs)
            self.need_setregs = False
        self.ctx_dirty = self.fp_dirty = False
        self.fp = None

    # ---- lifecycle --------------------------------------------------------------

    def clone(self, host_flags):
        """A real host clone. The child is a copy of this thread stopped in its
        handler: it returns to the guest through its own copy of the handler
        frame (a fork child has one at the same address; a CLONE_VM child gets
        the frame copied into a signal-stack slot of its own, whose uc_stack
        makes the host's rt_sigreturn install that slot as its sigaltstack,
        which the host cleared for the CLONE_VM child)."""
        if self.state != HANDLER_STOP:
            raise OpError(0, errno.EINVAL)
        if host_flags & CLONE_VM:
            group = self.group
            slot = _alloc_slot(group)
        else:
            group = {self.slot}
            slot = self.slot
        try:
            child_pid = self.channel.clone(self.host_pid, host_flags)
        except BaseException:
            if host_flags & CLONE_VM:
                group.discard(slot)
            raise
        child = TTProcess(child_pid, self.channel, self.mode, group, slot)
        hregs = ptrace.UserRegs.from_buffer_copy(self.hregs)
        delta = _slot_base(slot) - _slot_base(self.slot)
        if delta:
            top = _slot_base(self.slot) + TT_SLOT
            frame = bytearray(ptrace.vm_read(self.host_pid, hregs.rsp, top - hregs.rsp))
            uc_off = self.uc - hregs.rsp
            fp_ptr, = struct.unpack_from("<Q", frame, uc_off + SC_FPSTATE)
            struct.pack_into("<Q", frame, uc_off + SC_FPSTATE, fp_ptr + delta)
            struct.pack_into("<QiiQ", frame, uc_off + UC_STACK, _slot_base(slot), 0, 0, TT_SLOT)
            if ptrace.vm_write(child_pid, hregs.rsp + delta, bytes(frame)) != len(frame):
                raise OpError(0, errno.EFAULT)
            hregs.rsp += delta
            hregs.rdx += delta
        child.hregs = hregs
        child.uc = self.uc + delta
        child.fpstate = self.fpstate + delta if self.fpstate else 0
        child.ctx = ptrace.UserRegs.from_buffer_copy(self.ctx)
        child.ctx_dirty = True
        child.need_setregs = True
        child.nr = self.nr
        child.state = HANDLER_STOP
        self.mode.procs[child_pid] = child
        return child

    def exit_thread(self):
        self.state = DEAD
        super().exit_thread()

    def kill(self):
        self.state = DEAD
        super().kill()


class TTMode(SkasMode):
    """The Mode (see kernel/machine.py) that runs guests with the TT protocol."""

    name = "tt"
    stops_per_syscall = 6
    guest_top = STUB_BASE

    def __init__(self, pin_cpu=True):
        super().__init__(pin_cpu=pin_cpu, fast=False)
        syms = _elf_symbols(self.channel.path, ("stub_tt_usr2", "stub_tt_return", "stub_tt_usr1",
                                                "stub_tt_restorer", "stub_tt_end"))
        self.handler_return = syms["stub_tt_return"]
        self.restorer = syms["stub_tt_restorer"]
        self.stub_text = (STUB_BASE, syms["stub_tt_end"])
        handler_mask = _MASK64
        for s in (_SIGUSR1, _SIGTRAP, signal.SIGSEGV, signal.SIGBUS, signal.SIGILL,
                  signal.SIGFPE):
            handler_mask &= ~(1 << (s - 1))
        flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER
        self._act_usr2 = struct.pack("<4Q", syms["stub_tt_usr2"], flags, self.restorer,
                                     handler_mask)
        self._act_usr1 = struct.pack("<4Q", syms["stub_tt_usr1"], flags, self.restorer,
                                     handler_mask)
        self._info = ptrace.SyscallInfo()
        self.stats = {"syscalls": 0, "stops": 0}
        # Host stops already reaped, served first come, first served (see wait()).
        self._stops = collections.deque()
        self._ctxsw0 = self._ctx_switches()

    # ---- spawn and resume -------------------------------------------------------------

    def spawn(self):
        pid = self.channel.launch()
        proc = TTProcess(pid, self.channel, self, {0}, 0)
        self.procs[pid] = proc
        try:
            self.channel.run_batch(pid, [
                # The TT area: writable stub memory the guest cannot map over.
                (9, (TT_AREA, TT_SLOT * TT_SLOTS, 3, 0x4032, -1, 0), 0),
                # Our host handlers, on the sigaltstack of slot 0.
                (13, (_SIGUSR2, self._act_usr2, 0, 8), 0),
                (13, (_SIGUSR1, self._act_usr1, 0, 8), 0),
                (131, (struct.pack("<QiiQ", _slot_base(0), 0, 0, TT_SLOT), 0), 0),
                (14, (2, bytes(8), 0, 8), 0),          # an empty host signal mask
            ])
        except BaseException:
            proc.kill()
            raise
        return proc

    def start(self, proc):
        self._resume(proc, None)

    def resume(self, proc, result):
        self._resume(proc, result)

    def resume_plain(self, proc):
        self._resume(proc, None)

    def flush(self):
        pass

    def _resume(self, proc, result):
        pid = proc.host_pid
        if proc.state == HANDLER_STOP:
            proc._write_context(result)
            proc.state = RETURNING
            ptrace.cont(pid)
            return
        if result is not None:
            ptrace.pokeuser(pid, ptrace.OFF_RAX, result)
        proc.state = RUN_GUEST
        ptrace.syscall(pid)

    def _continue(self, proc):
        """Resume after a stop the protocol did not expect, keeping its tracing state."""
        if proc.state in _CONT_STATES:
            ptrace.cont(proc.host_pid)
        else:
            ptrace.syscall(proc.host_pid)

    # ---- the tracer ---------------------------------------------------------------

    def wait(self, block=True):
        channel = self.channel
        procs = self.procs
        while True:
            if channel.reaped:
                pid, status = channel.reaped.popitem()
            elif self._stops:
                pid, status = self._stops.popleft()
            else:
                pid, status = os.waitpid(-1, _WALL if block else _WALL | os.WNOHANG)
                if pid == 0:
                    return None
                # waitpid(-1) always reports the first stopped tracee in the host's list:
                # with more guest threads trapping than the loop serves, the ones at the
                # end of that list would starve (a GIL that only some threads ever get).
                # Take every stop that is there now and serve them in turn.
                stops = self._stops
                while True:
                    try:
                        more = os.waitpid(-1, _WALL | os.WNOHANG)
                    except ChildProcessError:
                        break
                    if more[0] == 0:
                        break
                    stops.append(more)
            proc = procs.get(pid)
            if proc is None:
                continue
            if status & 0xFF != 0x7F:
                del procs[pid]
                if self._stops:     # no stale stop of it may reach a later holder of the pid
                    self._stops = collections.deque(s for s in self._stops if s[0] != pid)
                proc.release()
                proc.group.discard(proc.slot)
                proc.state = DEAD
                return (proc, TRAP_EXITED, os.waitstatus_to_exitcode(status), None)
            self.stats["stops"] += 1
            try:
                trap = self._stopped(proc, status)
            except ptrace.HostError as e:
                if e.errno != errno.ESRCH:
                    raise
                continue        # it died under us; its exit status follows
            if trap is not None:
                return trap

    def _stopped(self, proc, status):
        pid = proc.host_pid
        sig = (status >> 8) & 0xFF
        event = status >> 16
        state = proc.state
        if event == ptrace.PTRACE_EVENT_SECCOMP and state == RUN_GUEST:
            # A call into the vsyscall page (mode_skas.StubProcess.vsyscall_trap): no
            # `syscall` ran, so no SIGUSR2 round; the kernel answers it from this
            # stop with the guest's registers live, as SKAS does.
            proc.state = DIRECT
            self.stats["syscalls"] += 1
            return proc.vsyscall_trap()
        if event == ptrace.PTRACE_EVENT_SECCOMP:
            log.error("TT: seccomp stop in guest %d's handler (state %s)", pid, state)
            proc.kill()
            return None
        if event:
            proc.vsys = None
            if event == ptrace.PTRACE_EVENT_STOP:
                if state == RUN_GUEST:
                    proc.state = DIRECT
                    return (proc, TRAP_INTERRUPT, 0, None)
                # Stopped inside the protocol: the interrupt is owed and given at the
                # next point where the guest's registers are live (or with a syscall).
                proc.owed_interrupt = True
            self._continue(proc)
            return None
        if sig == _SYSCALL_STOP:
            info = self._info
            if state == RUN_GUEST:
                ptrace.get_syscall_info(pid, info)
                if info.op != ptrace.PTRACE_SYSCALL_INFO_ENTRY:
                    ptrace.syscall(pid)
                    return None
                # do_syscall: remember the number, nullify the host call, SIGUSR2.
                proc.nr = info.nr
                proc.arch = info.arch
                ptrace.pokeuser(pid, ptrace.OFF_ORIG_RAX, _NOSYS)
                proc.state = SENT_USR2                         # tracing = 0
                ptrace.cont(pid, _SIGUSR2)                     # sig = SIGUSR2
                return None
            if state == SIGRETURN:
                ptrace.get_syscall_info(pid, info)
                lo, hi = self.stub_text
                if lo <= info.instruction_pointer < hi and info.nr == 15:
                    proc.state = SIGRETURN_EXIT                # the handler's own: let through
                    ptrace.syscall(pid)
                    return None
                log.error("TT: unexpected syscall %d at %#x in guest %d's handler",
                          info.nr, info.instruction_pointer, pid)
                proc.kill()
                return None
            if state == SIGRETURN_EXIT:
                self.stats["syscalls"] += 1
                if proc.owed_interrupt:
                    proc.owed_interrupt = False
                    proc.state = DIRECT
                    return (proc, TRAP_INTERRUPT, 0, None)
                proc.state = RUN_GUEST
                ptrace.syscall(pid)
                return None
            self._continue(proc)
            return None
        if state == SENT_USR2 and sig == _SIGUSR2:
            proc.state = IN_HANDLER
            ptrace.cont(pid, _SIGUSR2)                         # deliver it: the handler runs
            return None
        if state == IN_HANDLER and sig == _SIGTRAP:
            hregs = ptrace.getregs(pid)
            if hregs.rip == self.handler_return:
                # Handler entry: the kernel gets the guest's syscall from the frame.
                proc._read_context(hregs)
                proc.state = HANDLER_STOP
                proc.owed_interrupt = False    # the kernel looks at signals after a syscall
                ctx = proc.ctx
                if proc.arch == _X86_64:
                    return (proc, TRAP_SYSCALL, proc.nr,
                            (ctx.rdi, ctx.rsi, ctx.rdx, ctx.r10, ctx.r8, ctx.r9))
                return (proc, TRAP_I386, proc.nr,
                        tuple(getattr(ctx, r) & 0xFFFFFFFF
                              for r in ("rbx", "rcx", "rdx", "rsi", "rdi", "rbp")))
        if state == RETURNING and sig == _SIGUSR1:
            # do_proc_op(OP_TRACE_ON): suppress the signal, tracing = 1.
            proc.state = SIGRETURN
            ptrace.syscall(pid)
            return None
        if state in (RUN_GUEST, DIRECT):
            proc.vsys = None
            si = ptrace.getsiginfo(pid)
            proc.state = DIRECT
            return (proc, TRAP_SIGNAL, sig, (si.si_code, si.si_addr))
        if state == DEAD:
            # A stop taken before the thread was killed or told to exit (wait() queues
            # stops): nothing for the kernel; let it go on to its end.
            self._continue(proc)
            return None
        if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, _SIGTRAP):
            regs = ptrace.getregs(pid)
            log.error("TT: host signal %d in guest %d's handler (state %s, rip %#x)",
                      sig, pid, state, regs.rip)
            proc.kill()
            return None
        # Some other host signal in the middle of the protocol: not the guest's; drop it.
        self._continue(proc)
        return None

    # ---- accounting ---------------------------------------------------------------

    @staticmethod
    def _ctx_switches():
        try:
            with open("/proc/self/status") as f:
                return sum(int(line.split()[1]) for line in f
                           if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")))
        except (OSError, ValueError, IndexError):
            return 0

    def close(self):
        first = self.channel.ops_fd >= 0
        super().close()
        if first and os.environ.get("UMLSKAS_TT_STATS"):
            n = self.stats["syscalls"]
            sw = self._ctx_switches() - self._ctxsw0
            print(f"umlskas tt: {n} guest syscalls, {self.stats['stops']} ptrace stops"
                  f" ({self.stats['stops'] / max(n, 1):.2f}/syscall), tracer context switches"
                  f" {sw} ({sw / max(n, 1):.2f}/syscall)", file=sys.stderr)
