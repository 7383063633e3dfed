"""Signals, delivered by the kernel: pending sets, the x86-64 rt_sigframe, rt_sigreturn, restarts.

How it works: a signal sent to a process or thread is queued on it (its
siginfo kept) unless its disposition ignores it and the target does not block
it (a blocked one waits: its handler may change, sigtimedwait may take it),
and a thread that can take it is woken: a parked syscall is ended (EINTR, or
restarted when the handler has SA_RESTART and the call is one Linux restarts),
a running thread is stopped with PTRACE_INTERRUPT. Delivery happens when a
thread is about to return to the guest: the kernel builds the frame Linux
builds (pretcode, ucontext with the saved registers and mask, siginfo, the FPU
state in fxsave form) below the stack pointer (or on the alternate stack),
points rip at the handler with rdi/rsi/rdx = signo, &info, &uc, and the
handler's return through sa_restorer comes back as rt_sigreturn, which
restores all of it. A default action is carried out by the kernel: ignore,
terminate (with the signal as the wait status), or stop/continue.
"""

import errno
import struct

from .errors import SyscallError, TaskGone

NSIG = 64
SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE = 1, 2, 3, 4, 5, 6, 7, 8
SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM = 9, 10, 11, 12, 13, 14, 15
SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG = 17, 18, 19, 20, 21, 22, 23
SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGSYS = 24, 25, 26, 27, 28, 31
SIGRTMIN = 32
RLIMIT_SIGPENDING = 11

SIG_DFL, SIG_IGN = 0, 1
SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO = 1, 2, 4
SA_RESTORER, SA_ONSTACK, SA_RESTART = 0x04000000, 0x08000000, 0x10000000
SA_NODEFER, SA_RESETHAND = 0x40000000, 0x80000000
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31

DEFAULT_IGNORE = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT}
DEFAULT_STOP = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}
DEFAULT_CORE = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ,
                SIGSYS}
NOT_FATAL_BY_DEFAULT = DEFAULT_STOP | DEFAULT_IGNORE
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))
SYNCHRONOUS = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS}

SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_TKILL = 0, 0x80, -1, -2, -6
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 4, 5, 6

# Syscalls that, interrupted by a handled signal, fail with EINTR even with
# SA_RESTART (Linux's ERESTARTNOHAND and ERESTART_RESTARTBLOCK): the rest
# (ERESTARTSYS) are restarted when the handler has SA_RESTART.
NEVER_RESTART = frozenset({
    "pause", "rt_sigsuspend", "rt_sigtimedwait", "poll", "ppoll", "select", "pselect6",
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "nanosleep", "clock_nanosleep",
    "signalfd4", "io_getevents", "msgrcv", "msgsnd", "semop", "semtimedop",
})

FRAME_SIZE = 8 + 304 + 128          # pretcode, struct ucontext, struct siginfo
FXSAVE_SIZE = 512
UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 2, 4
SIGCONTEXT_REGS = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp",
                   "rbx", "rdx", "rax", "rcx", "rsp", "rip", "eflags")
# eflags bits a signal return may change (FIX_EFLAGS in arch/x86/kernel/signal.c).
FIX_EFLAGS = 0x40DD5


def sigbit(sig):
    return 1 << (sig - 1)


def siginfo(signo, code=SI_USER, pid=0, uid=0, status=None, addr=None, value=0):
    """A 128-byte siginfo_t."""
    if addr is not None:
        body = struct.pack("<Q", addr)
    elif status is not None:
        body = struct.pack("<iIiiqq", pid, uid, status, 0, 0, 0)[:28]
    else:
        body = struct.pack("<iIQ", pid, uid, value)
    return (struct.pack("<iii4x", signo, 0, code) + body).ljust(128, b"\0")


def action_of(task, sig):
    return task.sighand.actions.get(sig, (SIG_DFL, 0, 0, 0))


def is_ignored(task, sig):
    handler = action_of(task, sig)[0]
    return handler == SIG_IGN or (handler == SIG_DFL and sig in DEFAULT_IGNORE)


class SignalState:
    """Per-thread pending signals; the process-wide set lives on the Process."""

    __slots__ = ("pending",)

    def __init__(self):
        self.pending = {}               # signo -> [siginfo bytes, ...]


def pending_mask(pending):
    mask = 0
    for sig, infos in pending.items():
        if infos:
            mask |= sigbit(sig)
    return mask


def recalc(task):
    """Refresh task.sigpending: is a signal deliverable to it now?"""
    mask = pending_mask(task.sigstate.pending) | pending_mask(task.process.shared_pending)
    task.sigpending = bool(mask & ~task.sigmask) or task.process.stopped or \
        (task.ptrace is not None and task.ptrace.interrupt)
    return task.sigpending


class Uncounted(bytes):
    """The siginfo of a signal queued without a sigqueue entry (the user was at
    RLIMIT_SIGPENDING): zeroed as collect_signal gives it, and not counted."""


def queue(pending, sig, info):
    infos = pending.setdefault(sig, [])
    if sig < SIGRTMIN and infos:
        return              # a standard signal is pending at most once
    if type(info) is Uncounted and infos:
        return              # only the pending bit, and it is set already
    infos.append(info)


def user_pending(kernel, uid):
    """How many queued signals (sigqueue entries) wait for processes of user uid:
    the count RLIMIT_SIGPENDING limits (ucounts UCOUNT_RLIMIT_SIGPENDING)."""
    n = 0
    for process in kernel.processes():
        threads = process.threads
        if not threads:
            continue
        sets = [(threads[0], process.shared_pending)] + [(t, t.sigstate.pending) for t in threads]
        for owner, pending in sets:
            if owner.creds.uid == uid:
                for infos in pending.values():
                    n += sum(1 for i in infos if type(i) is not Uncounted)
    return n


def rlimit_info(kernel, process, sig, info, thread=None):
    """__send_signal_locked's RLIMIT_SIGPENDING rule for a signal a guest sends
    (kill, tgkill, sigqueue...): the target user's queued signals are checked
    against the target's limit. Under it, or for a signal that will not be queued
    (ignored, SIGKILL, a standard one already pending), info is returned as it is
    (None: the caller's default). At it, a realtime signal sent other than by
    kill() is refused with EAGAIN; a standard signal with a negative si_code, or a
    realtime one from kill(), goes without its siginfo (an Uncounted one)."""
    if sig == 0 or sig == SIGKILL or process.zombie or not process.threads:
        return info
    leader = process.threads[0]
    target = thread or leader
    if is_ignored(leader, sig) and not target.sigmask & sigbit(sig):
        return info
    pending = (thread.sigstate.pending if thread is not None else process.shared_pending)
    if sig < SIGRTMIN and pending.get(sig):
        return info
    code = struct.unpack_from("<i", info, 8)[0] if info is not None else \
        (SI_USER if thread is None else SI_TKILL)
    if sig < SIGRTMIN and code >= 0:
        return info                     # override_rlimit: always gets its entry
    limit = target.rlimits[RLIMIT_SIGPENDING][0]
    if user_pending(kernel, target.creds.uid) < limit:
        return info
    if sig >= SIGRTMIN and code != SI_USER:
        raise SyscallError(errno.EAGAIN)
    return Uncounted(siginfo(sig, SI_USER))


def send(kernel, process, sig, info, thread=None, current=None):
    """Send sig to a process (or to one of its threads). Returns nothing; raises
    TaskGone when the calling task's own process ends because of it."""
    if sig == 0 or process.zombie or not process.threads:
        return
    leader = process.threads[0]
    # A traced target gets every signal queued: its tracer sees it first (sig_ignored
    # and complete_signal's fatal shortcut leave ptraced tasks alone).
    traced = (thread or leader).ptrace is not None
    if sig == SIGCONT:
        # Continues a stopped process whatever its disposition; pending stops go.
        for pending in [process.shared_pending] + [t.sigstate.pending for t in process.threads]:
            for stop in DEFAULT_STOP:
                pending.pop(stop, None)
        kernel.continue_process(process)
    elif sig in DEFAULT_STOP:
        for pending in [process.shared_pending] + [t.sigstate.pending for t in process.threads]:
            pending.pop(SIGCONT, None)
    # An ignored signal is discarded when sent, unless the target blocks it: its
    # handler may change before it is unblocked, and sigtimedwait may take it
    # (Linux's sig_ignored; a SIGCHLD at its default action reaches a parent that
    # blocks it and waits in sigtimedwait).
    if (is_ignored(leader, sig) and sig not in (SIGKILL, SIGSTOP) and not traced
            and not (thread or leader).sigmask & sigbit(sig)):
        if kernel.tracer is not None:
            # A traced Linux task still takes it (strace shows it at its next return).
            kernel.trace_event(thread or leader, "ignored_signal", (sig, info))
        return
    handler = action_of(leader, sig)[0]
    if sig == SIGKILL or (handler == SIG_DFL and sig not in NOT_FATAL_BY_DEFAULT and not traced
                          and not _blocked_everywhere(process, sig, thread)):
        if kernel.tracer is not None and sig != SIGKILL:
            kernel.trace_event(thread or leader, "signal", (sig, info))
        kernel.end_process(process, sig)
        if current is not None and current.process is process:
            raise TaskGone()
        return
    if (sig == SIGSTOP or (handler == SIG_DFL and sig in DEFAULT_STOP)) and not traced:
        jobs = getattr(getattr(kernel, "devfs", None), "jobs", None)
        if sig != SIGSTOP and jobs is not None and jobs.orphaned(process.pgid):
            return      # get_signal: job-control stops do nothing in an orphaned group
        kernel.stop_process(process, sig)
        return
    if thread is not None:
        queue(thread.sigstate.pending, sig, info)
        targets = [thread]
    else:
        queue(process.shared_pending, sig, info)
        targets = list(process.threads)
    for t in targets:
        recalc(t)
    process.signalfd_queue.wake()
    for t in targets:
        if t.sigpending or _waits_for(t, sig):
            kernel.signal_wake(t)
            if thread is None:
                break


def _blocked_everywhere(process, sig, thread):
    bit = sigbit(sig)
    threads = [thread] if thread is not None else process.threads
    return all(t.sigmask & bit for t in threads)


def _waits_for(task, sig):
    waiting = task.restart.get("sigwait_set")
    return waiting is not None and waiting & sigbit(sig)


def dequeue(task, allowed):
    """Take the lowest-numbered pending signal in `allowed` (thread first); (sig, info) or None."""
    best = None
    for pending in (task.sigstate.pending, task.process.shared_pending):
        for sig, infos in pending.items():
            if infos and sigbit(sig) & allowed and (best is None or sig < best[0]):
                best = (sig, pending)
    if best is None:
        return None
    sig, pending = best
    info = pending[sig].pop(0)
    if not pending[sig]:
        del pending[sig]
    return sig, info


def on_altstack(task, sp):
    stack = task.altstack
    if not stack or stack[1] & SS_DISABLE:
        return False
    base, _, size = stack
    return base < sp <= base + size


def altstack_flags(task, sp):
    stack = task.altstack
    if not stack or stack[1] & SS_DISABLE:
        return SS_DISABLE
    return SS_ONSTACK if on_altstack(task, sp) else stack[1] & SS_AUTODISARM


def setup_frame(task, sig, info, regs, old_mask):
    """Build the rt_sigframe and point the registers at the handler. Returns False
    when the frame cannot be written (setup_rt_frame fails: the caller forces SIGSEGV,
    Linux's signal_setup_done(failed) -> force_sigsegv)."""
    handler, flags, restorer, mask = action_of(task, sig)
    if flags & SA_RESETHAND:
        # get_signal resets a SA_RESETHAND action before the frame is built, so
        # also when building it fails; the flags are kept.
        task.sighand.actions[sig] = (SIG_DFL, flags, restorer, mask)
    mm = task.mm
    sp = regs.rsp
    stack = task.altstack
    # get_sigframe: on_sig_stack (false under SS_AUTODISARM) of the interrupted sp.
    nested = on_altstack(task, sp) and not stack[1] & SS_AUTODISARM
    sp -= 128                                            # the red zone
    entering = False
    if flags & SA_ONSTACK and stack and not stack[1] & SS_DISABLE and stack[2] and \
            not (on_altstack(task, sp) and not stack[1] & SS_AUTODISARM):
        sp = stack[0] + stack[2]
        entering = True
    uc_stack = struct.pack("<QiiQ", stack[0] if stack else 0,
                           altstack_flags(task, regs.rsp), 0, stack[2] if stack else 0)
    fpstate = (sp - FXSAVE_SIZE) & ~63
    frame = ((fpstate - FRAME_SIZE + 8) & ~15) - 8
    if (nested or entering) and not stack[0] < frame <= stack[0] + stack[2]:
        return False          # the frame would overflow the alternate stack
    if not flags & SA_RESTORER:
        return False
    sigcontext = struct.pack("<18Q", *(getattr(regs, r) & 0xFFFFFFFFFFFFFFFF
                                       for r in SIGCONTEXT_REGS))
    sigcontext += struct.pack("<HHHH", regs.cs, regs.gs, regs.fs, regs.ss)
    sigcontext += struct.pack("<QQQQQ", 0, 0, old_mask, 0, fpstate) + bytes(64)
    ucontext = struct.pack("<QQ", UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, 0) + uc_stack + \
        sigcontext + struct.pack("<Q", old_mask)
    blob = struct.pack("<Q", restorer) + ucontext + info
    try:
        mm.write(fpstate, task.proc.get_fpregs())
        mm.write(frame, blob)
    except SyscallError:
        return False
    if stack and stack[1] & SS_AUTODISARM:
        task.altstack = (0, SS_DISABLE, 0)
    regs.rsp = frame
    regs.rip = handler
    regs.rdi = sig
    regs.rsi = frame + 8 + 304
    regs.rdx = frame + 8
    regs.rax = 0
    regs.eflags &= ~(0x400 | 0x10000 | 0x100)            # DF, RF, TF
    regs.orig_rax = 0xFFFFFFFFFFFFFFFF
    new_mask = task.sigmask | mask
    if not flags & SA_NODEFER:
        new_mask |= sigbit(sig)
    task.sigmask = new_mask & ~UNBLOCKABLE
    return True


def sigreturn(task):
    """rt_sigreturn(2): restore what setup_frame saved: the registers first, then the FPU
    state, as restore_sigcontext does (a bad FPU state faults with the registers already
    restored). Raises SyscallError for a frame it cannot read, RegsRefused for values
    the host will not load."""
    proc = task.proc
    regs = proc.get_regs()
    frame = regs.rsp - 8
    mm = task.mm
    uc = mm.read(frame + 8, 304)
    uc_flags, _ = struct.unpack_from("<QQ", uc, 0)
    ss_sp, ss_flags, _, ss_size = struct.unpack_from("<QiiQ", uc, 16)
    values = struct.unpack_from("<18Q", uc, 40)
    cs, gs, fs, ss = struct.unpack_from("<HHHH", uc, 40 + 144)
    fpstate, = struct.unpack_from("<Q", uc, 40 + 152 + 32)
    mask, = struct.unpack_from("<Q", uc, 40 + 256)
    for name, value in zip(SIGCONTEXT_REGS, values):
        if name == "eflags":
            regs.eflags = (regs.eflags & ~FIX_EFLAGS) | (value & FIX_EFLAGS)
        else:
            setattr(regs, name, value)
    if uc_flags & UC_STRICT_RESTORE_SS:
        regs.ss = ss | 3         # restore_sigcontext forces RPL 3 (ss 0 becomes 3: a fault)
    regs.orig_rax = 0xFFFFFFFFFFFFFFFF
    task.sigmask = mask & ~UNBLOCKABLE
    if not ss_flags & SS_ONSTACK and task.altstack is not None:
        if ss_flags & SS_DISABLE:
            task.altstack = (0, SS_DISABLE, 0)
        else:
            task.altstack = (ss_sp, ss_flags & SS_AUTODISARM, ss_size)
    recalc(task)
    proc.set_regs(regs)
    if fpstate:
        proc.set_fpregs(mm.read(fpstate, FXSAVE_SIZE))


def with_temp_sigmask(task, mask, call):
    """ppoll, pselect6, epoll_pwait: run call() with `mask` as the signal mask (None: no
    change). A signal the temporary mask lets through interrupts the wait and its handler
    runs; the frame keeps the real mask (deliver_signals takes saved_sigmask), as
    sigsuspend. A call that ends without one puts the real mask back."""
    if mask is None:
        return call()
    from .errors import Block
    if "temp_sigmask" not in task.restart:
        task.restart["temp_sigmask"] = True
        task.saved_sigmask = task.sigmask
        task.sigmask = mask & ~UNBLOCKABLE
        recalc(task)
    try:
        result = call()
    except Block:
        raise
    except BaseException:
        _restore_sigmask(task)
        raise
    _restore_sigmask(task)
    return result


def _restore_sigmask(task):
    if task.saved_sigmask is not None:
        task.sigmask = task.saved_sigmask
        task.saved_sigmask = None
        recalc(task)
