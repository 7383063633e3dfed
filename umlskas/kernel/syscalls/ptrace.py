"""ptrace(2) for guest tracers over guest tracees (kernel/ptrace.c, arch/x86/kernel/ptrace.c).

The requests work on the kernel's own tasks: registers are the stopped tracee's
host registers (its stub sits in a host stop), memory goes through the tracee's
address space, and stops and resumption are ptrace_guest's state machine.
"""

import errno
import struct

from .. import namespaces, ptrace_guest as pg, signals
from ..errors import SyscallError
from ..machine import RegsRefused
from .other_process import may_attach

TRACEME, PEEKTEXT, PEEKDATA, PEEKUSR, POKETEXT, POKEDATA, POKEUSR = 0, 1, 2, 3, 4, 5, 6
CONT, KILL, SINGLESTEP, GETREGS, SETREGS, GETFPREGS, SETFPREGS = 7, 8, 9, 12, 13, 14, 15
ATTACH, DETACH, SYSCALL, SYSEMU, SYSEMU_SINGLESTEP = 16, 17, 24, 31, 32
SETOPTIONS, GETEVENTMSG, GETSIGINFO, SETSIGINFO = 0x4200, 0x4201, 0x4202, 0x4203
GETREGSET, SETREGSET, SEIZE, INTERRUPT, LISTEN = 0x4204, 0x4205, 0x4206, 0x4207, 0x4208
PEEKSIGINFO, GETSIGMASK, SETSIGMASK = 0x4209, 0x420A, 0x420B
SECCOMP_GET_FILTER, GET_SYSCALL_INFO = 0x420C, 0x420E
ARCH_PRCTL = 30

NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE = 1, 2, 0x202
AUDIT_ARCH_X86_64 = 0xC000003E
FXSAVE_SIZE = 512
MASK64 = 0xFFFFFFFFFFFFFFFF
TASK_SIZE_MAX = (1 << 47) - 4096
PEEKSIGINFO_SHARED = 1


def sys_ptrace(task, request, pid, addr, data):
    """ptrace(2)."""
    kernel = task.kernel
    if request == TRACEME:
        return _traceme(task)
    target = kernel.tasks.get(namespaces.pid_kid(task, pid)) if pid > 0 else None
    if target is None:
        raise SyscallError(errno.ESRCH)
    if request in (ATTACH, SEIZE):
        return _attach(task, target, request == SEIZE, addr, data)
    link = target.ptrace
    if link is None or link.tracer is None or link.tracer.process is not task.process or \
            getattr(link, "detaching", False):
        raise SyscallError(errno.ESRCH)
    if request not in (KILL, INTERRUPT) and not link.stopped:
        raise SyscallError(errno.ESRCH)
    handler = REQUESTS.get(request)
    if handler is None:
        raise SyscallError(errno.EIO)
    return handler(task, target, link, addr & MASK64, data & MASK64)


def _traceme(task):
    if task.ptrace is not None:
        raise SyscallError(errno.EPERM)
    parent = task.process.parent
    if parent is None or not parent.threads:
        raise SyscallError(errno.EPERM)
    tracer = parent.threads[0]
    if not may_attach(tracer, task):
        raise SyscallError(errno.EPERM)
    pg.attach(task.kernel, tracer, task, False, 0)
    return 0


def _attach(task, target, seize, addr, data):
    options = 0
    if seize:
        if addr != 0 or data & ~pg.OPTIONS_MASK & MASK64:
            raise SyscallError(errno.EIO)
        options = data
    if target.process is task.process:
        raise SyscallError(errno.EPERM)
    if not may_attach(task, target):
        raise SyscallError(errno.EPERM)
    if target.process.zombie or target.ptrace is not None:
        raise SyscallError(errno.EPERM)
    kernel = task.kernel
    link = pg.attach(kernel, task, target, seize, options)
    if target.process.stopped and target.blocked is not None and \
            target.blocked[0] is not pg.PTRACE_STOP:
        # A job-control-stopped task transits to a ptrace (group-)stop at once.
        entry, args = target.blocked
        kernel._unpark(target)
        if target in kernel.ready:
            kernel.ready.remove(target)
        result = args[0] if args and entry.name == "(stopped)" else None
        sig = target.process.stop_report or signals.SIGSTOP
        report = (sig << 8) | 0x7F
        if seize:
            report |= pg.EVENT_STOP << 16
        link.group_epoch = getattr(target.process, "stop_epoch", 0)
        pg.stop(kernel, target, report, "group",
                lambda k, t: pg._finish(k, t, result, None))
        if not seize:
            signals.queue(target.sigstate.pending, signals.SIGSTOP,
                          signals.siginfo(signals.SIGSTOP, signals.SI_KERNEL))
        return 0
    if not seize:
        # ptrace_attach: SIGSTOP sent privately (SEND_SIG_PRIV).
        signals.queue(target.sigstate.pending, signals.SIGSTOP,
                      signals.siginfo(signals.SIGSTOP, signals.SI_KERNEL))
        signals.recalc(target)
        kernel.signal_wake(target)
    return 0


# ---- resumption -------------------------------------------------------------------------

def _resume(kind):
    def request(task, target, link, addr, data):
        if data > signals.NSIG or data >= 1 << 32:
            raise SyscallError(errno.EIO)
        link.resume = kind
        link.step = False
        link.resume_sig = data
        if link.kind == "listen":
            link.kind = "group"
        pg.resume(task.kernel, target)
        return 0
    return request


def _step(kind):
    def request(task, target, link, addr, data):
        # Only a mode that says so can step its host process safely (TT mode's
        # single step would let a `syscall` instruction reach the host).
        if not getattr(task.kernel.mode, "can_single_step", False):
            raise SyscallError(errno.EIO)
        if data > signals.NSIG:
            raise SyscallError(errno.EIO)
        link.resume = kind
        link.step = True
        link.resume_sig = data
        pg.resume(task.kernel, target)
        return 0
    return request


def _kill(task, target, link, addr, data):
    if not target.process.zombie:
        task.kernel.end_process(target.process, signals.SIGKILL)
    return 0


def _detach(task, target, link, addr, data):
    if data > signals.NSIG:
        raise SyscallError(errno.EIO)
    pg.detach(task.kernel, target, data)
    return 0


def _interrupt(task, target, link, addr, data):
    if not link.seized:
        raise SyscallError(errno.EIO)
    if link.stopped:
        return 0
    link.interrupt = True
    target.sigpending = True
    task.kernel.signal_wake(target)
    return 0


def _listen(task, target, link, addr, data):
    if not link.seized or link.kind != "group":
        raise SyscallError(errno.EIO)
    if not target.process.stopped:
        # The group-stop ended already: the notification trap comes at once.
        link.kind = "event"
        link.report = (pg.EVENT_STOP << 16) | (signals.SIGTRAP << 8) | 0x7F
        pg.notify_tracer(task.kernel, target, signals.CLD_TRAPPED, signals.SIGTRAP)
        return 0
    link.kind = "listen"
    return 0


# ---- registers --------------------------------------------------------------------------

def _regs_bytes(target):
    regs = target.proc.get_regs()
    return struct.pack("<27Q", *((getattr(regs, n) & MASK64) for n in pg.USER_REGS))


def _set_regs_bytes(target, data):
    values = struct.unpack("<27Q", data)
    regs = target.proc.get_regs()
    for name, value in zip(pg.USER_REGS, values):
        if name in ("cs", "ss", "ds", "es", "fs", "gs"):
            continue        # the guest keeps its user segments (putreg refuses others)
        if name in ("fs_base", "gs_base") and value >= TASK_SIZE_MAX:
            raise SyscallError(errno.EIO)
        if name == "eflags":
            value = (regs.eflags & ~0x3F7FD5) | (value & 0x3F7FD5)
        setattr(regs, name, value)
    try:
        target.proc.set_regs(regs)
    except RegsRefused:
        raise SyscallError(errno.EIO) from None
    return 0


def _getregs(task, target, link, addr, data):
    task.mm.write(data, _regs_bytes(target))
    return 0


def _setregs(task, target, link, addr, data):
    return _set_regs_bytes(target, task.mm.read(data, pg.USER_REGS_SIZE))


def _getfpregs(task, target, link, addr, data):
    task.mm.write(data, target.proc.get_fpregs()[:FXSAVE_SIZE])
    return 0


def _setfpregs(task, target, link, addr, data):
    try:
        target.proc.set_fpregs(task.mm.read(data, FXSAVE_SIZE))
    except RegsRefused:
        raise SyscallError(errno.EINVAL) from None
    return 0


def _regset(task, target, link, addr, data, setting):
    base, length = struct.unpack("<QQ", task.mm.read(data, 16))
    if addr == NT_PRSTATUS:
        size = pg.USER_REGS_SIZE
    elif addr == NT_PRFPREG:
        size = FXSAVE_SIZE
    else:
        raise SyscallError(errno.EINVAL)
    n = min(length, size)
    if setting:
        if n < size:
            current = _regs_bytes(target) if addr == NT_PRSTATUS else \
                target.proc.get_fpregs()[:FXSAVE_SIZE]
            blob = task.mm.read(base, n) + current[n:]
        else:
            blob = task.mm.read(base, n)
        if addr == NT_PRSTATUS:
            _set_regs_bytes(target, blob)
        else:
            try:
                target.proc.set_fpregs(blob)
            except RegsRefused:
                raise SyscallError(errno.EINVAL) from None
    else:
        blob = _regs_bytes(target) if addr == NT_PRSTATUS else \
            target.proc.get_fpregs()[:FXSAVE_SIZE]
        task.mm.write(base, blob[:n])
    task.mm.write(data + 8, struct.pack("<Q", n))
    return 0


def _peekuser(task, target, link, addr, data):
    task.mm.write(data, struct.pack("<Q", _user_word(target, link, addr)))
    return 0


def _user_word(target, link, addr):
    if addr & 7 or addr >= pg.USER_SIZE:
        raise SyscallError(errno.EIO)
    if addr < pg.USER_REGS_SIZE:
        return getattr(target.proc.get_regs(), pg.USER_REGS[addr // 8]) & MASK64
    if addr >= pg.USER_DEBUGREG:
        return link.debugreg[(addr - pg.USER_DEBUGREG) // 8]
    return 0


def _pokeuser(task, target, link, addr, data):
    if addr & 7 or addr >= pg.USER_SIZE:
        raise SyscallError(errno.EIO)
    if addr < pg.USER_REGS_SIZE:
        blob = bytearray(_regs_bytes(target))
        blob[addr:addr + 8] = struct.pack("<Q", data)
        return _set_regs_bytes(target, bytes(blob))
    if addr >= pg.USER_DEBUGREG:
        n = (addr - pg.USER_DEBUGREG) // 8
        if n in (4, 5):
            raise SyscallError(errno.EIO)
        if n < 4 and data >= TASK_SIZE_MAX:
            raise SyscallError(errno.EIO)
        link.debugreg[n] = data
        return 0
    return 0


# ---- memory -----------------------------------------------------------------------------

def _peek(task, target, link, addr, data):
    word = _mem_read(target, addr, 8)
    task.mm.write(data, word)
    return 0


def _mem_read(target, addr, n):
    mm = target.mm
    if addr + n > mm.top or _mapped(mm, addr, n) < n:
        raise SyscallError(errno.EIO)
    mm.proc = target.proc
    data = target.proc.read(addr, n)
    if len(data) != n:
        raise SyscallError(errno.EIO)
    return data


def _mapped(mm, addr, n):
    """Bytes from addr that lie in mappings (ptrace's FOLL_FORCE ignores protections)."""
    end = addr + n
    cur = addr
    while cur < end:
        vma = mm.find(cur)
        if vma is None or vma.start > cur:
            break
        cur = vma.end
    return max(0, min(cur, end) - addr)


def _poke(task, target, link, addr, data):
    mm = target.mm
    if addr + 8 > mm.top or _mapped(mm, addr, 8) < 8:
        raise SyscallError(errno.EIO)
    target.proc.poke(addr, struct.pack("<Q", data))
    return 0


# ---- signals and events ---------------------------------------------------------------

def _geteventmsg(task, target, link, addr, data):
    task.mm.write(data, struct.pack("<Q", link.eventmsg & MASK64))
    return 0


def _getsiginfo(task, target, link, addr, data):
    if link.siginfo is None:
        raise SyscallError(errno.EINVAL)
    task.mm.write(data, bytes(link.siginfo)[:128].ljust(128, b"\0"))
    return 0


def _setsiginfo(task, target, link, addr, data):
    info = task.mm.read(data, 128)
    if link.siginfo is None:
        raise SyscallError(errno.EINVAL)
    link.siginfo = info
    return 0


def _setoptions(task, target, link, addr, data):
    if data & ~pg.OPTIONS_MASK:
        raise SyscallError(errno.EINVAL)
    link.options = data
    return 0


def _getsigmask(task, target, link, addr, data):
    if addr != 8:
        raise SyscallError(errno.EINVAL)
    task.mm.write(data, struct.pack("<Q", target.sigmask))
    return 0


def _setsigmask(task, target, link, addr, data):
    if addr != 8:
        raise SyscallError(errno.EINVAL)
    mask, = struct.unpack("<Q", task.mm.read(data, 8))
    target.sigmask = mask & ~signals.UNBLOCKABLE
    signals.recalc(target)
    return 0


def _peeksiginfo(task, target, link, addr, data):
    off, flags, nr = struct.unpack("<QII", task.mm.read(addr, 16))
    if flags & ~PEEKSIGINFO_SHARED or off >= 1 << 31:
        raise SyscallError(errno.EINVAL)
    pending = target.process.shared_pending if flags & PEEKSIGINFO_SHARED \
        else target.sigstate.pending
    infos = [info for sig in sorted(pending) for info in pending[sig]]
    out = infos[off:off + nr]
    for i, info in enumerate(out):
        task.mm.write(data + 128 * i, bytes(info)[:128].ljust(128, b"\0"))
    return len(out)


def _get_syscall_info(task, target, link, addr, data):
    regs = target.proc.get_regs()
    op = link.info_op if link.kind == "syscall" else 0
    head = struct.pack("<B3xIQQ", op, AUDIT_ARCH_X86_64, regs.rip & MASK64, regs.rsp & MASK64)
    if op == 1:
        body = struct.pack("<7Q", regs.orig_rax & MASK64, regs.rdi & MASK64, regs.rsi & MASK64,
                           regs.rdx & MASK64, regs.r10 & MASK64, regs.r8 & MASK64,
                           regs.r9 & MASK64)
    elif op == 2:
        rval = regs.rax & MASK64
        rval = rval - (1 << 64) if rval >= 1 << 63 else rval
        body = struct.pack("<qB", rval, 1 if -4095 <= rval < 0 else 0)
    else:
        body = b""
    blob = head + body
    n = min(addr, len(blob))
    if n:
        task.mm.write(data, blob[:n])
    return len(blob)


def _arch_prctl(task, target, link, addr, data):
    regs = target.proc.get_regs()
    if data == 0x1003:          # ARCH_GET_FS
        task.mm.write(addr, struct.pack("<Q", regs.fs_base))
        return 0
    if data == 0x1004:          # ARCH_GET_GS
        task.mm.write(addr, struct.pack("<Q", regs.gs_base))
        return 0
    raise SyscallError(errno.EINVAL)


REQUESTS = {
    PEEKTEXT: _peek, PEEKDATA: _peek, PEEKUSR: _peekuser,
    POKETEXT: _poke, POKEDATA: _poke, POKEUSR: _pokeuser,
    CONT: _resume(pg.RESUME_CONT), SYSCALL: _resume(pg.RESUME_SYSCALL),
    SYSEMU: _resume(pg.RESUME_SYSEMU), KILL: _kill,
    SINGLESTEP: _step(pg.RESUME_CONT), SYSEMU_SINGLESTEP: _step(pg.RESUME_SYSEMU),
    GETREGS: _getregs, SETREGS: _setregs, GETFPREGS: _getfpregs, SETFPREGS: _setfpregs,
    DETACH: _detach, SETOPTIONS: _setoptions, GETEVENTMSG: _geteventmsg,
    GETSIGINFO: _getsiginfo, SETSIGINFO: _setsiginfo,
    GETREGSET: lambda t, tg, l, a, d: _regset(t, tg, l, a, d, False),
    SETREGSET: lambda t, tg, l, a, d: _regset(t, tg, l, a, d, True),
    INTERRUPT: _interrupt, LISTEN: _listen, PEEKSIGINFO: _peeksiginfo,
    GETSIGMASK: _getsigmask, SETSIGMASK: _setsigmask,
    GET_SYSCALL_INFO: _get_syscall_info, ARCH_PRCTL: _arch_prctl,
}

HANDLERS = {
    "ptrace": (sys_ptrace, "partial: guest tracers over guest tasks (no single-step yet)"),
}
