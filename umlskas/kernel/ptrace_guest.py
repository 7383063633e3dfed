"""Guest ptrace: the kernel's own emulation of Linux's ptrace over its tasks (links, stops, events).

How it works: a traced task carries a Link (task.ptrace) naming its tracer. Every
place where Linux's tracee would stop (syscall entry and exit, a signal about to be
delivered, a group-stop, a ptrace event) the kernel parks the task like a blocked
one, with a continuation, records the wait status the tracer's wait reports and
wakes the tracer. The tracer's PTRACE_CONT/SYSCALL/... runs the continuation: the
syscall is emulated with the registers the tracer may have changed, its result
(also changeable) goes back to the guest, a signal the tracer chose is delivered.
The host stub of a stopped tracee stays in its host stop, so its registers are the
ones the tracer reads and writes. Nothing here touches the host's ptrace.
"""

import errno
import struct

from . import signals
from .errors import TaskGone

PTRACE_O_TRACESYSGOOD, PTRACE_O_TRACEFORK, PTRACE_O_TRACEVFORK = 1, 2, 4
PTRACE_O_TRACECLONE, PTRACE_O_TRACEEXEC, PTRACE_O_TRACEVFORKDONE = 8, 0x10, 0x20
PTRACE_O_TRACEEXIT, PTRACE_O_TRACESECCOMP = 0x40, 0x80
PTRACE_O_EXITKILL, PTRACE_O_SUSPEND_SECCOMP = 1 << 20, 1 << 21
OPTIONS_MASK = 0xFF | PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP

EVENT_FORK, EVENT_VFORK, EVENT_CLONE, EVENT_EXEC = 1, 2, 3, 4
EVENT_VFORK_DONE, EVENT_EXIT, EVENT_SECCOMP, EVENT_STOP = 5, 6, 7, 128
EVENT_OPTION = {EVENT_FORK: PTRACE_O_TRACEFORK, EVENT_VFORK: PTRACE_O_TRACEVFORK,
                EVENT_CLONE: PTRACE_O_TRACECLONE, EVENT_EXEC: PTRACE_O_TRACEEXEC,
                EVENT_VFORK_DONE: PTRACE_O_TRACEVFORKDONE, EVENT_EXIT: PTRACE_O_TRACEEXIT}

CLONE_VFORK, CLONE_THREAD, CLONE_UNTRACED, CLONE_PTRACE = 0x4000, 0x10000, 0x00800000, 0x2000
ERESTART = (-512, -513, -514, -516)
MASK64 = 0xFFFFFFFFFFFFFFFF

# Resume kinds.
RESUME_CONT, RESUME_SYSCALL, RESUME_SYSEMU = 0, 1, 2

# x86-64 struct user_regs_struct, in order.
USER_REGS = ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
             "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base",
             "gs_base", "ds", "es", "fs", "gs")
USER_REGS_SIZE = 8 * len(USER_REGS)
USER_DEBUGREG = 848                  # offsetof(struct user, u_debugreg)
USER_SIZE = USER_DEBUGREG + 64


class Link:
    """A tracee's side of the tie: who traces it, how, and the stop it is in."""

    def __init__(self, tracer, seized=False, options=0):
        self.tracer = tracer          # the tracing Task
        self.seized = seized
        self.options = options
        self.stopped = False          # in a ptrace stop (parked)
        self.kind = None              # "syscall", "signal", "event", "group", "listen"
        self.report = None            # wait status not yet collected by the tracer
        self.cont = None              # continuation run when the tracer resumes it
        self.siginfo = None           # last_siginfo of a signal or syscall stop
        self.stop_sig = 0             # the signal a signal-delivery-stop holds
        self.eventmsg = 0
        self.resume = RESUME_CONT
        self.step = False
        self.in_syscall = None        # entry between entry and exit (syscall stops)
        self.exit_stop = False        # the current syscall gets an exit stop
        self.info_op = 0              # PTRACE_GET_SYSCALL_INFO op of the stop
        self.result = None            # syscall result shown at an exit stop
        self.pending_event = None     # (event, message) to report before the syscall returns
        self.bypass = False           # the next delivery is the tracer's own signal
        self.interrupt = False        # PTRACE_INTERRUPT (or a SEIZE auto-attach) pending
        self.group_epoch = None       # the group-stop already reported
        self.debugreg = [0] * 8

    @property
    def tgid(self):                   # what wait reports for a stop: the tracee's tid
        return self.task.tid


def tracer_of(task):
    link = task.ptrace
    return link.tracer if link is not None else None


def tracees_of(kernel, process):
    """The tasks traced by a thread of process (wait treats them as its children)."""
    return [t for t in kernel.tasks.values() if t.ptrace is not None
            and t.ptrace.tracer is not None and t.ptrace.tracer.process is process
            and not getattr(t.ptrace, "detaching", False)]


# ---- stops ------------------------------------------------------------------------------

class _PtraceStop:
    """The pseudo syscall a tracee in a ptrace stop is parked in."""
    name = "(ptrace stop)"
    handler = None
    ptrace_run = True


PTRACE_STOP = _PtraceStop()


def stop(kernel, task, report, kind, cont, info=None):
    """Park task in a ptrace stop that wait reports as `report`; cont(kernel, task) runs
    when the tracer resumes it."""
    link = task.ptrace
    link.stopped = True
    link.kind = kind
    link.report = report
    link.cont = cont
    if info is not None:
        link.siginfo = info
    task.blocked = (PTRACE_STOP, ())
    task.blocked_queues = ()
    notify_tracer(kernel, task, signals.CLD_TRAPPED, (report >> 8) & 0x7F)


def notify_tracer(kernel, task, code, status):
    tracer = task.ptrace.tracer
    process = tracer.process
    process.child_exit.wake()
    action = kernel._sigchld_action(process)
    if code in (signals.CLD_TRAPPED, signals.CLD_STOPPED) and action is not None and \
            action[1] & signals.SA_NOCLDSTOP:
        return
    info = signals.siginfo(signals.SIGCHLD, code, pid=task.tid, uid=task.creds.uid,
                           status=status)
    try:
        kernel.send_signal(process, signals.SIGCHLD, info=info)
    except TaskGone:
        pass


def resume(kernel, task):
    """The tracer let the tracee go: run the stop's continuation from the loop."""
    link = task.ptrace
    link.stopped = False
    link.report = None
    step = getattr(task.proc, "single_step", None)
    if step is not None and getattr(kernel.mode, "can_single_step", False):
        step(link.step and not getattr(link, "detaching", False))
    if task.blocked is not None and task.blocked[0] is PTRACE_STOP:
        kernel.ready.append(task)


def run_blocked(kernel, task, entry):
    """From _dispatch: a tracee (or a task just let go) runs on where it stopped."""
    link = task.ptrace
    cont = link.cont if link is not None else None
    if link is not None:
        link.cont = None
    if link is not None and getattr(link, "detaching", False):
        # Detached in this stop: the rest of the way runs untraced.
        task.ptrace = _Ghost(getattr(link, "resume_sig", 0), link.siginfo)
        try:
            if cont is None:
                _finish(kernel, task, None, None)
            else:
                cont(kernel, task)
        finally:
            if isinstance(task.ptrace, _Ghost):
                task.ptrace = None
        return
    if cont is None:
        _finish(kernel, task, None, None)
        return
    cont(kernel, task)


def syscall_report(link):
    return (((signals.SIGTRAP | 0x80) if link.options & PTRACE_O_TRACESYSGOOD
             else signals.SIGTRAP) << 8) | 0x7F


def _syscall_info(link):
    code = (signals.SIGTRAP | 0x80) if link.options & PTRACE_O_TRACESYSGOOD else signals.SIGTRAP
    return signals.siginfo(signals.SIGTRAP, code)


def syscall_trap(kernel, task, nr, raw):
    """A traced task made a syscall (from the run loop)."""
    link = task.ptrace
    if link.resume in (RESUME_SYSCALL, RESUME_SYSEMU):
        link.info_op = 1
        emulate = link.resume == RESUME_SYSEMU
        stop(kernel, task, syscall_report(link), "syscall",
             lambda k, t: _after_entry(k, t, emulate), _syscall_info(link))
        return
    run_syscall(kernel, task, nr, raw, False)


def _after_entry(kernel, task, emulated):
    link = task.ptrace
    link.info_op = 0
    regs = task.proc.get_regs()
    if emulated:
        # PTRACE_SYSEMU: the tracer answered the call; no exit stop.
        _finish(kernel, task, None, None)
        return
    nr = regs.orig_rax
    raw = (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9)
    run_syscall(kernel, task, nr, raw, True)


def run_syscall(kernel, task, nr, raw, exit_stop):
    """Emulate the call (as the run loop would) with an exit stop if asked."""
    from .syscalls.table import TABLE
    from .syscalls.seccomp import check as seccomp_check
    link = task.ptrace
    link.exit_stop = exit_stop
    if nr == MASK64:
        # orig_rax = -1 at the entry stop: the call is skipped, rax is what the tracer left.
        link.in_syscall = None
        _syscall_done(kernel, task, task.proc.get_regs().rax, None)
        return
    if task.seccomp is not None and not seccomp_check(kernel, task, task.proc, nr, raw):
        return
    entry = TABLE[nr] if nr < len(TABLE) else None
    if entry is None or entry.handler is None:
        link.in_syscall = None
        _syscall_done(kernel, task, -errno.ENOSYS, None)
        return
    link.in_syscall = entry
    if entry.name in ("exit", "exit_group") and link.options & PTRACE_O_TRACEEXIT:
        status = ((raw[0] & 0xFF) << 8)
        link.eventmsg = status
        stop(kernel, task, _event_report(EVENT_EXIT), "event",
             lambda k, t: k._dispatch(t, entry, entry.decode(raw)),
             signals.siginfo(signals.SIGTRAP, signals.SIGTRAP | (EVENT_EXIT << 8)))
        return
    kernel._dispatch(task, entry, entry.decode(raw))


def _syscall_done(kernel, task, result, entry):
    link = task.ptrace
    if link.exit_stop:
        link.in_syscall = entry or _SKIPPED
    if not return_to_user(kernel, task, result, entry):
        _finish(kernel, task, result, entry, checked=True)


class _Skipped:
    name = "(skipped)"
    nr = -1


_SKIPPED = _Skipped()


def _event_report(event):
    return (event << 16) | (signals.SIGTRAP << 8) | 0x7F


def return_to_user(kernel, task, result, entry):
    """The tracee is about to return to the guest with `result` (None: rax is set):
    ptrace-event stop, syscall-exit-stop, then group or signal-delivery-stop. True if
    it stopped (its continuation carries on); False: the caller returns as usual."""
    link = task.ptrace
    if link is None or link.tracer is None or task.tid not in kernel.tasks:
        return False
    if link.pending_event is not None:
        event, msg = link.pending_event
        link.pending_event = None
        link.eventmsg = msg
        stop(kernel, task, _event_report(event), "event",
             lambda k, t: _finish(k, t, result, entry),
             signals.siginfo(signals.SIGTRAP, signals.SIGTRAP | (event << 8)))
        return True
    if link.in_syscall is not None:
        link.in_syscall = None
        if link.exit_stop and link.resume in (RESUME_SYSCALL, RESUME_SYSEMU):
            link.exit_stop = False
            regs = task.proc.get_regs()
            if result is not None:
                regs.rax = result & MASK64
            if entry is not None and entry is not _SKIPPED:
                regs.orig_rax = entry.nr    # an op run in the stub reset it
            task.proc.set_regs(regs)
            link.info_op = 2
            stop(kernel, task, syscall_report(link), "syscall",
                 lambda k, t: _after_exit(k, t, entry), _syscall_info(link))
            return True
        link.exit_stop = False
    if link.bypass:
        link.bypass = False
        return False
    if link.interrupt:
        link.interrupt = False
        sig = signals.SIGTRAP
        if task.process.stopped:
            sig = task.process.stop_report or signals.SIGSTOP
            link.group_epoch = getattr(task.process, "stop_epoch", 0)
        stop(kernel, task, (EVENT_STOP << 16) | (sig << 8) | 0x7F,
             "group" if task.process.stopped else "event",
             lambda k, t: _finish(k, t, result, entry),
             signals.siginfo(signals.SIGTRAP, signals.SIGTRAP | (EVENT_STOP << 8)))
        return True
    if task.process.stopped and link.group_epoch != getattr(task.process, "stop_epoch", 0):
        link.group_epoch = getattr(task.process, "stop_epoch", 0)
        sig = task.process.stop_report or link.stop_sig or signals.SIGSTOP
        report = (sig << 8) | 0x7F
        if link.seized:
            report |= EVENT_STOP << 16
        stop(kernel, task, report, "group", lambda k, t: _finish(k, t, result, entry))
        return True
    taken = signals.dequeue(task, ~task.sigmask | signals.sigbit(signals.SIGKILL))
    if taken is None:
        return False
    sig, info = taken
    signals.recalc(task)
    if sig == signals.SIGKILL:
        signals.queue(task.sigstate.pending, sig, info)
        return False
    link.stop_sig = sig
    stop(kernel, task, (sig << 8) | 0x7F, "signal",
         lambda k, t: _after_signal(k, t, result, entry), bytes(info))
    return True


def _after_exit(kernel, task, entry):
    link = task.ptrace
    link.info_op = 0
    rax = task.proc.get_regs().rax
    result = rax - (1 << 64) if rax >= 1 << 63 else rax
    _finish(kernel, task, result, entry if entry is not _SKIPPED else None)


def _after_signal(kernel, task, result, entry):
    """The tracer resumed a signal-delivery-stop with link.resume_sig (0: suppressed)."""
    link = task.ptrace
    sig = getattr(link, "resume_sig", 0)
    link.resume_sig = 0
    if sig:
        info = link.siginfo
        if info is None or struct.unpack_from("<i", info)[0] != sig:
            tracer = link.tracer
            info = signals.siginfo(sig, signals.SI_USER, pid=tracer.tgid if tracer else 0,
                                   uid=tracer.creds.uid if tracer else 0)
        if task.sigmask & signals.sigbit(sig):
            signals.queue(task.sigstate.pending, sig, info)
            signals.recalc(task)
        else:
            _deliver_now(kernel, task, sig, info, result, entry)
            return
    _finish(kernel, task, result, entry)


def _deliver_now(kernel, task, sig, info, result, entry):
    """Carry out the tracer's signal: a stop signal's default stops the group;
    otherwise it goes first in the queue and delivery runs without another stop."""
    handler = signals.action_of(task, sig)[0]
    if handler == signals.SIG_DFL and sig in signals.DEFAULT_STOP:
        kernel.stop_process(task.process, sig)
        _finish(kernel, task, result, entry)
        return
    if handler == signals.SIG_DFL and sig == signals.SIGCONT or handler == signals.SIG_IGN:
        _finish(kernel, task, result, entry)
        return
    pending = task.sigstate.pending
    pending.setdefault(sig, []).insert(0, info)
    task.sigpending = True
    task.ptrace.bypass = True
    kernel.deliver_signals(task, result, entry)


def _finish(kernel, task, result, entry, checked=False):
    """Return to the guest: further stops first, then signals, then the result."""
    if task.tid not in kernel.tasks:
        return
    if not checked and return_to_user(kernel, task, result, entry):
        return
    link = task.ptrace
    if link is not None:
        link.bypass = False
    if task.sigpending or result in ERESTART:
        if link is not None:
            link.bypass = True      # this round of stops is done
        kernel.deliver_signals(task, result, entry)
    elif result is None:
        kernel.mode.resume_plain(task.proc)
    else:
        kernel.mode.resume(task.proc, result)


def deliver_hook(kernel, task, result, entry):
    """From deliver_signals: True when a stop took over."""
    return return_to_user(kernel, task, result, entry)


# ---- attach, clone, exec, exit -------------------------------------------------------------

def attach(kernel, tracer, tracee, seized, options):
    kernel.tracing = True
    link = Link(tracer, seized, options)
    link.task = tracee
    tracee.ptrace = link
    return link


def detach(kernel, task, sig=0):
    """Untie task; a stopped tracee runs on (with sig, if it was in a signal stop)."""
    link = task.ptrace
    if link is None:
        return
    link.detaching = True
    link.resume = RESUME_CONT
    link.resume_sig = sig if link.kind == "signal" else 0
    link.pending_event = None
    if task.tid not in kernel.tasks or not link.stopped or \
            task.blocked is None or task.blocked[0] is not PTRACE_STOP:
        task.ptrace = None
        return
    if link.kind in ("group", "listen") and task.process.stopped:
        task.ptrace = None
        task.blocked = None
        kernel._park_stopped(task, None)
        return
    resume(kernel, task)


class _Ghost(Link):
    """What a just-detached task's continuation sees: no tracer, no more stops."""

    def __init__(self, sig, info):
        super().__init__(None)
        self.resume_sig = sig
        self.siginfo = info


def on_clone(kernel, task, child, flags, exit_signal):
    """clone by a tracee: auto-attach the child if the options say so (the child is
    then parked in its first stop, not started: True)."""
    link = task.ptrace
    if flags & CLONE_UNTRACED:
        return False
    if flags & CLONE_VFORK:
        event = EVENT_VFORK
    elif flags & CLONE_THREAD or exit_signal != signals.SIGCHLD:
        event = EVENT_CLONE
    else:
        event = EVENT_FORK
    if not link.options & EVENT_OPTION[event] and not flags & CLONE_PTRACE:
        return False
    new = attach(kernel, link.tracer, child, link.seized, link.options)
    from . import namespaces
    link.pending_event = (event, namespaces.pid_nr(link.tracer, child.tid)) \
        if link.options & EVENT_OPTION[event] else None
    if link.seized:
        report = (EVENT_STOP << 16) | (signals.SIGTRAP << 8) | 0x7F
        new.siginfo = None
        kind = "event"
    else:
        report = (signals.SIGSTOP << 8) | 0x7F
        new.siginfo = signals.siginfo(signals.SIGSTOP, signals.SI_USER)
        new.stop_sig = signals.SIGSTOP
        kind = "signal"

    def first_run(k, t):
        sig = getattr(t.ptrace, "resume_sig", 0) if t.ptrace is not None else 0
        if t.ptrace is not None:
            t.ptrace.resume_sig = 0
        if sig:
            signals.queue(t.sigstate.pending, sig, signals.siginfo(sig, signals.SI_USER))
            signals.recalc(t)
        if t.sigpending:
            k.deliver_signals(t, None, None)
        else:
            k.mode.start(t.proc)
    new.first = True
    stop(kernel, child, report, kind, first_run)
    return True


def after_resumes(kernel, task):
    """A traced task's handler set its registers itself (execve, rt_sigreturn): the
    exec event and the exit stop. True if a stop took over."""
    link = task.ptrace
    entry = link.in_syscall
    if entry is not None and entry.name in ("execve", "execveat"):
        link.siginfo = None
        if link.options & PTRACE_O_TRACEEXEC:
            link.pending_event = (EVENT_EXEC, task.tid)
        elif not link.seized:
            # The legacy SIGTRAP after a successful exec.
            signals.queue(task.sigstate.pending, signals.SIGTRAP,
                          signals.siginfo(signals.SIGTRAP, signals.SI_USER))
            signals.recalc(task)
    if return_to_user(kernel, task, None, entry):
        return True
    _finish(kernel, task, None, None, checked=True)
    return True


def exit_to_tracer(kernel, process, leader, wstatus):
    """end_process of a tracee whose tracer is not its parent: the tracer is told and
    reaps it first; the parent hears of it after that (release_to_parent). True if so."""
    link = leader.ptrace
    if link is None:
        return False
    tracer = link.tracer
    leader.ptrace = None
    if tracer.process is process.parent or tracer.process.zombie:
        return False
    process.zombie = True
    process.traced_by = tracer.process
    zombies = tracer.process.__dict__.setdefault("ptrace_zombies", [])
    zombies.append(process)
    tracer.process.child_exit.wake()
    if wstatus & 0x7F:
        code, status = signals.CLD_KILLED, wstatus & 0x7F
    else:
        code, status = signals.CLD_EXITED, (wstatus >> 8) & 0xFF
    info = signals.siginfo(signals.SIGCHLD, code, pid=process.tgid, uid=leader.creds.uid,
                           status=status)
    try:
        kernel.send_signal(tracer.process, signals.SIGCHLD, info=info)
    except TaskGone:
        pass
    process.ptrace_leader = leader
    return True


class ThreadExit:
    """A traced thread (not a group leader) that ended: its tracer's wait reports the
    exit under its tid, once (nobody else reaps threads)."""

    zombie = True
    parent = None

    def __init__(self, task, wstatus, tracer):
        self.tgid = task.tid
        self.pgid = task.process.pgid
        self.exit_status = wstatus
        self.traced_by = tracer


def thread_exit(kernel, task, wstatus):
    link = task.ptrace
    task.ptrace = None
    tracer = link.tracer if link is not None else None
    if tracer is None or tracer.process.zombie or task.tid == task.tgid:
        return
    record = ThreadExit(task, wstatus & 0xFF7F if wstatus & 0x7F else wstatus, tracer.process)
    tracer.process.__dict__.setdefault("ptrace_zombies", []).append(record)
    tracer.process.child_exit.wake()


def release_to_parent(kernel, process):
    """The tracer reaped a traced zombie: now it is the real parent's child to reap."""
    tracer = process.traced_by
    process.traced_by = None
    if tracer is not None and process in getattr(tracer, "ptrace_zombies", ()):
        tracer.ptrace_zombies.remove(process)
    parent = process.parent
    if parent is None:
        return
    leader = getattr(process, "ptrace_leader", None)
    action = kernel._sigchld_action(parent)
    if action is not None and (action[0] == signals.SIG_IGN or
                               action[1] & signals.SA_NOCLDWAIT) \
            and process.exit_signal == signals.SIGCHLD:
        if process in parent.children:
            parent.children.remove(process)
        process.zombie = False
        parent.child_exit.wake()
        return
    parent.child_exit.wake()
    if leader is not None:
        kernel._notify_parent(parent, process, leader, process.exit_status, process.exit_signal)


def tracer_gone(kernel, process):
    """The tracing process exits: EXITKILL tracees die, the others are let go."""
    for t in tracees_of(kernel, process):
        if t.ptrace.options & PTRACE_O_EXITKILL:
            t.ptrace = None
            kernel.end_process(t.process, signals.SIGKILL)
        else:
            detach(kernel, t)
    for z in list(getattr(process, "ptrace_zombies", ())):
        release_to_parent(kernel, z)


def on_continue(kernel, process):
    """SIGCONT for a process: a seized tracee that listens traps again (EVENT_STOP)."""
    for t in process.threads:
        link = t.ptrace
        if link is not None and link.stopped and link.kind == "listen":
            link.kind = "event"
            link.report = (EVENT_STOP << 16) | (signals.SIGTRAP << 8) | 0x7F
            notify_tracer(kernel, t, signals.CLD_TRAPPED, signals.SIGTRAP)


# ---- wait -------------------------------------------------------------------------------

def wait_traced(kernel, task, pid, options, exited):
    """What the tracer's wait sees of its tracees first: (link_or_process, what) or None;
    also whether it has any tracee matching (so no ECHILD)."""
    process = task.process
    any_match = False
    for t in tracees_of(kernel, process):
        if not _pid_matches(t, pid, process):
            continue
        any_match = True
        link = t.ptrace
        if link.stopped and link.report is not None and options & 0x2:  # WUNTRACED/WSTOPPED
            return (link, "ptrace"), True
        if link.stopped and link.report is not None:
            return (link, "ptrace"), True
    for z in getattr(process, "ptrace_zombies", ()):
        if not _pid_matches(z, pid, process):
            continue
        any_match = True
        if exited:
            return (z, "ptrace_exit"), True
    return None, any_match


def _pid_matches(t, pid, process):
    if pid > 0:
        return getattr(t, "tid", t.tgid) == pid or t.tgid == pid
    if pid == -1:
        return True
    pgid = t.pgid if hasattr(t, "pgid") else None
    if pid == 0:
        return pgid == process.pgid
    return pgid == -pid


def proc_state(task):
    link = task.ptrace
    if link is not None and link.stopped:
        return ("t", "tracing stop")
    return None


def tracer_pid(task):
    link = task.ptrace
    if link is None:
        return 0
    from . import namespaces
    return namespaces.pid_nr(task, link.tracer.tgid)
