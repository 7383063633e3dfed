"""Signal syscalls: dispositions, masks, sending, waiting, sigreturn, alternate stacks, alarms."""

import errno
import struct
import time

from .. import creds, namespaces, signals
from ..errors import Block, SyscallError
from ..machine import RegsRefused
from ..signals import UNBLOCKABLE, recalc
from .time import KTIME_MAX, ktime_after, park_deadline

SIGKILL, SIGSTOP = 9, 19
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SIGACTION = struct.Struct("<QQQQ")   # handler, flags, restorer, mask
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = 2048
STACK_T = struct.Struct("<QiiQ")     # ss_sp, ss_flags, pad, ss_size
# sa_flags Linux keeps (UAPI_SA_FLAGS; SA_EXPOSE_TAGBITS is arm64's): others read back as 0.
SA_KNOWN = 0x1 | 0x2 | 0x4 | 0x04000000 | 0x08000000 | 0x10000000 | 0x40000000 | 0x80000000
ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2


def _check_signal(sig):
    if sig < 0 or sig > 64:
        raise SyscallError(errno.EINVAL)


def sys_rt_sigaction(task, sig, act, oact, sigsetsize):
    """rt_sigaction(2)."""
    if sigsetsize != 8:
        raise SyscallError(errno.EINVAL)
    if sig < 1 or sig > 64 or (act and sig in (SIGKILL, SIGSTOP)):
        raise SyscallError(errno.EINVAL)
    new = SIGACTION.unpack(task.mm.read(act, 32)) if act else None
    actions = task.sighand.actions
    if oact:
        task.mm.write(oact, SIGACTION.pack(*actions.get(sig, (0, 0, 0, 0))))
    if new is not None:
        handler, flags, restorer, mask = new
        actions[sig] = (handler, flags & SA_KNOWN, restorer, mask & ~UNBLOCKABLE)
        if signals.is_ignored(task, sig):
            # Setting a disposition to ignore discards the pending signal (POSIX).
            for t in task.process.threads:
                t.sigstate.pending.pop(sig, None)
            task.process.shared_pending.pop(sig, None)
        for t in task.process.threads:
            recalc(t)
    return 0


def sys_rt_sigprocmask(task, how, set_ptr, oset_ptr, sigsetsize):
    """rt_sigprocmask(2)."""
    if sigsetsize != 8:
        raise SyscallError(errno.EINVAL)
    old = task.sigmask
    if set_ptr:
        new, = struct.unpack("<Q", task.mm.read(set_ptr, 8))
        if how == SIG_BLOCK:
            mask = old | new
        elif how == SIG_UNBLOCK:
            mask = old & ~new
        elif how == SIG_SETMASK:
            mask = new
        else:
            raise SyscallError(errno.EINVAL)
        task.sigmask = mask & ~UNBLOCKABLE
        recalc(task)
    if oset_ptr:
        task.mm.write(oset_ptr, struct.pack("<Q", old))
    return 0


def sys_rt_sigpending(task, set_ptr, sigsetsize):
    """rt_sigpending(2)."""
    if sigsetsize > 8:
        raise SyscallError(errno.EINVAL)
    mask = signals.pending_mask(task.sigstate.pending) | \
        signals.pending_mask(task.process.shared_pending)
    task.mm.write(set_ptr, struct.pack("<Q", mask & task.sigmask)[:sigsetsize])
    return 0


def sys_rt_sigreturn(task):
    """rt_sigreturn(2): back from a handler to the context saved in its frame. A frame
    that cannot be read, or registers the host will not load (an MXCSR with reserved
    bits...), is Linux's badframe: SIGSEGV, forced (signal_fault)."""
    from ..kernel_proc import TaskResumes
    try:
        signals.sigreturn(task)
    except (SyscallError, RegsRefused):
        task.kernel.force_signal(task, signals.SIGSEGV)
    raise TaskResumes()


def sys_rt_sigsuspend(task, mask_ptr, sigsetsize):
    """rt_sigsuspend(2): wait with a temporary mask; always -EINTR after a handler."""
    if sigsetsize != 8:
        raise SyscallError(errno.EINVAL)
    if "suspended" not in task.restart:
        mask, = struct.unpack("<Q", task.mm.read(mask_ptr, 8))
        task.saved_sigmask = task.sigmask
        task.sigmask = mask & ~UNBLOCKABLE
        task.restart["suspended"] = True
        recalc(task)
    raise Block(queue=_signal_queue(task))


def _signal_queue(task):
    from ..errors import WaitQueue
    q = getattr(task, "signal_queue", None)
    if q is None:
        q = task.signal_queue = WaitQueue()
    return q


def sys_pause(task):
    """pause(2)."""
    raise Block(queue=_signal_queue(task))


def sys_rt_sigtimedwait(task, set_ptr, info_ptr, timeout_ptr, sigsetsize):
    """rt_sigtimedwait(2)."""
    if sigsetsize != 8:
        raise SyscallError(errno.EINVAL)
    restart = task.restart
    if "sigwait_set" not in restart:
        wanted, = struct.unpack("<Q", task.mm.read(set_ptr, 8))
        wanted &= ~UNBLOCKABLE
        deadline = None
        if timeout_ptr:
            sec, nsec = struct.unpack("<qq", task.mm.read(timeout_ptr, 16))
            if sec < 0 or not 0 <= nsec < 10**9:
                raise SyscallError(errno.EINVAL)
            # 0 is "now" (EAGAIN at once); a time past KTIME_MAX never comes (False).
            deadline = park_deadline(ktime_after(time.monotonic_ns(), sec * 10**9 + nsec))
            if deadline is None:
                deadline = False
        restart["sigwait_set"] = wanted
        restart["sigwait_deadline"] = deadline
    wanted = restart["sigwait_set"]
    taken = signals.dequeue(task, wanted)
    if taken is not None:
        sig, info = taken
        recalc(task)
        if info_ptr:
            task.mm.write(info_ptr, info)
        return sig
    deadline = restart["sigwait_deadline"]
    if deadline and time.monotonic() >= deadline:
        raise SyscallError(errno.EAGAIN)
    raise Block(deadline=deadline or None, queue=_signal_queue(task))


def sys_sigaltstack(task, ss, old_ss):
    """sigaltstack(2)."""
    cur = task.altstack or (0, SS_DISABLE, 0)
    regs_sp = task.proc.get_regs().rsp if ss or old_ss else 0
    onstack = signals.on_altstack(task, regs_sp)
    new = None
    if ss:
        sp, flags, _, size = STACK_T.unpack(task.mm.read(ss, 24))
        if onstack:
            raise SyscallError(errno.EPERM)
        mode = flags & ~SS_AUTODISARM
        if mode not in (0, SS_DISABLE, SS_ONSTACK):
            raise SyscallError(errno.EINVAL)
        if mode == SS_DISABLE:
            new = (0, SS_DISABLE, 0)
        else:
            if size < MINSIGSTKSZ:
                raise SyscallError(errno.ENOMEM)
            new = (sp, flags & SS_AUTODISARM, size)
    if old_ss:
        flags = signals.altstack_flags(task, regs_sp)
        task.mm.write(old_ss, STACK_T.pack(cur[0], flags, 0, cur[2]))
    if new is not None:
        task.altstack = new
    return 0


def sys_kill(task, pid, sig):
    """kill(2): pid > 0 a process, 0 the caller's group, -1 all but init, < -1 a group."""
    _check_signal(sig)
    kernel = task.kernel
    if pid > 0:
        pid = namespaces.pid_kid(task, pid) or 1 << 40      # numbered in the caller's pid ns
        target = kernel.task_by_vpid(pid)
        if target is None:
            if kernel.zombie_by_pid(pid) is not None:
                return 0
            raise SyscallError(errno.ESRCH)
        creds.check_signal(task, target, sig)
        info = signals.rlimit_info(kernel, target.process, sig, None)
        kernel.send_signal(target.process, sig, task, info=info)
        return 0
    if pid == -1:
        # Everything the caller's pid namespace shows, bar its init and the caller.
        targets = [p for p in kernel.processes()
                   if namespaces.pid_nr(task, p.tgid) > 1 and p is not task.process]
    else:
        pgid = task.pgid if pid == 0 else namespaces.pid_kid(task, -pid) or 1 << 40
        targets = [p for p in kernel.processes() if p.pgid == pgid]
        targets.sort(key=lambda p: p is task.process)   # the caller last
    if not targets:
        raise SyscallError(errno.ESRCH)
    sent = 0
    for process in targets:
        # kill(-1) ignores the processes it may not signal; a group answers EPERM
        # only when it could signal none of them.
        if process.threads and not creds.may_signal(task, process.threads[0], sig):
            continue
        kernel.send_signal(process, sig, task,
                           info=signals.rlimit_info(kernel, process, sig, None))
        sent += 1
    if not sent and pid != -1:
        raise SyscallError(errno.EPERM)
    return 0


def _thread_target(task, tgid, tid):
    tid = namespaces.pid_kid(task, tid) or 1 << 40
    if tgid is not None:
        tgid = namespaces.pid_kid(task, tgid) or 1 << 40
    target = task.kernel.task_by_vpid(tid)
    if target is None or (tgid is not None and target.tgid != tgid):
        raise SyscallError(errno.ESRCH)
    return target


def sys_tgkill(task, tgid, tid, sig):
    """tgkill(2)."""
    if tgid <= 0 or tid <= 0:
        raise SyscallError(errno.EINVAL)
    _check_signal(sig)
    target = _thread_target(task, tgid, tid)
    creds.check_signal(task, target, sig)
    info = signals.rlimit_info(task.kernel, target.process, sig, None, target)
    task.kernel.send_signal(target.process, sig, task, info=info, thread=target)
    return 0


def sys_tkill(task, tid, sig):
    """tkill(2)."""
    if tid <= 0:
        raise SyscallError(errno.EINVAL)
    _check_signal(sig)
    target = _thread_target(task, None, tid)
    creds.check_signal(task, target, sig)
    info = signals.rlimit_info(task.kernel, target.process, sig, None, target)
    task.kernel.send_signal(target.process, sig, task, info=info, thread=target)
    return 0


def _queueinfo(task, tgid, tid, sig, uinfo):
    _check_signal(sig)
    info = bytearray(task.mm.read(uinfo, 128))
    code, = struct.unpack_from("<i", info, 8)
    if (code >= 0 or code == signals.SI_TKILL) and task.tgid != (tgid or tid):
        raise SyscallError(errno.EPERM)
    struct.pack_into("<i", info, 0, sig)
    return bytes(info)


def sys_rt_sigqueueinfo(task, tgid, sig, uinfo):
    """rt_sigqueueinfo(2)."""
    info = _queueinfo(task, tgid, 0, sig, uinfo)
    target = task.kernel.task_by_vpid(tgid)
    if target is None:
        raise SyscallError(errno.ESRCH)
    creds.check_signal(task, target, sig)
    info = signals.rlimit_info(task.kernel, target.process, sig, info)
    task.kernel.send_signal(target.process, sig, task, info=info)
    return 0


def sys_rt_tgsigqueueinfo(task, tgid, tid, sig, uinfo):
    """rt_tgsigqueueinfo(2)."""
    info = _queueinfo(task, tgid, tid, sig, uinfo)
    target = _thread_target(task, tgid, tid)
    creds.check_signal(task, target, sig)
    info = signals.rlimit_info(task.kernel, target.process, sig, info, target)
    task.kernel.send_signal(target.process, sig, task, info=info, thread=target)
    return 0


# ---- alarms and interval timers --------------------------------------------------

ITIMER_SIGNAL = {ITIMER_REAL: signals.SIGALRM, ITIMER_VIRTUAL: signals.SIGVTALRM,
                 ITIMER_PROF: signals.SIGPROF}
TIMEVAL2 = struct.Struct("<qqqq")   # it_interval, it_value (timeval each)


def _itimer_left(process, which):
    """(ns left, interval ns) of one of the process's interval timers."""
    timer = process.itimers.get(which)
    if timer is None:
        return 0, 0
    deadline, interval = timer
    # An armed timer shows at least 1 us left (itimer_get_remtime).
    return max(1000, deadline - time.monotonic_ns()), interval


def _arm(task, which, value_ns, interval_ns):
    """Arm (value 0: disarm) one of the process's interval timers. The CPU-time
    ones (VIRTUAL, PROF) count real time: the guest's CPU time is the host's.
    Times are ns, clamped as Linux's ktime is: an expiry never goes past KTIME_MAX."""
    process = task.process
    kernel = task.kernel
    if not value_ns:
        process.itimers.pop(which, None)
        return
    timer = (min(time.monotonic_ns() + value_ns, KTIME_MAX), min(interval_ns, KTIME_MAX))
    process.itimers[which] = timer
    _schedule(kernel, process, which, timer)


def _schedule(kernel, process, which, timer):
    def fire():
        if process.itimers.get(which) is not timer or process.zombie or not process.threads:
            return
        if timer[1]:
            nxt = (min(max(timer[0] + max(timer[1], 50000), time.monotonic_ns()), KTIME_MAX),
                   timer[1])
            process.itimers[which] = nxt
            _schedule(kernel, process, which, nxt)
        else:
            del process.itimers[which]
        sig = ITIMER_SIGNAL[which]
        kernel.send_signal(process, sig, info=signals.siginfo(sig, signals.SI_KERNEL))
    if timer[0] < KTIME_MAX:            # one at KTIME_MAX never expires
        kernel.add_timer(timer[0] / 1e9, fire, key=(process, which))


def sys_alarm(task, seconds):
    """alarm(2): returns the seconds left of the previous alarm, rounded as Linux's
    alarm_setitimer does: to the nearest second, but never 0 while one is pending."""
    left, _ = _itimer_left(task.process, ITIMER_REAL)
    _arm(task, ITIMER_REAL, (seconds & 0xFFFFFFFF) * 10**9, 0)
    sec, nsec = divmod(left, 10**9)
    if (not sec and nsec) or nsec >= 500000000:
        sec += 1
    return sec


def _itimerval(process, which):
    left, interval = _itimer_left(process, which)

    def tv(ns):
        return ns // 10**9, ns % 10**9 // 1000
    return TIMEVAL2.pack(*tv(interval), *tv(left))


def sys_setitimer(task, which, new_value, old_value):
    """setitimer(2). ITIMER_VIRTUAL and ITIMER_PROF run on real time."""
    if which not in ITIMER_SIGNAL:
        raise SyscallError(errno.EINVAL)
    new = None
    if new_value:
        isec, iusec, vsec, vusec = TIMEVAL2.unpack(task.mm.read(new_value, 32))
        for sec, usec in ((isec, iusec), (vsec, vusec)):
            if sec < 0 or not 0 <= usec < 10**6:
                raise SyscallError(errno.EINVAL)
        new = (vsec * 10**9 + vusec * 1000, isec * 10**9 + iusec * 1000)
    if old_value:
        task.mm.write(old_value, _itimerval(task.process, which))
    if new is not None:
        _arm(task, which, new[0], new[1])
    return 0


def sys_getitimer(task, which, curr_value):
    """getitimer(2)."""
    if which not in ITIMER_SIGNAL:
        raise SyscallError(errno.EINVAL)
    task.mm.write(curr_value, _itimerval(task.process, which))
    return 0



def sys_restart_syscall(task):
    """restart_syscall(2): this kernel restarts interrupted calls itself (the handler runs
    again with what it kept), so a guest's own call finds no restart block: EINTR, as
    do_no_restart_syscall answers."""
    raise SyscallError(errno.EINTR)

HANDLERS = {
    "rt_sigaction": sys_rt_sigaction, "rt_sigprocmask": sys_rt_sigprocmask,
    "rt_sigpending": sys_rt_sigpending, "rt_sigreturn": sys_rt_sigreturn,
    "rt_sigsuspend": sys_rt_sigsuspend, "pause": sys_pause,
    "restart_syscall": sys_restart_syscall,
    "rt_sigtimedwait": sys_rt_sigtimedwait, "sigaltstack": sys_sigaltstack,
    "kill": (sys_kill, "partial: job-control stop signals are dropped"),
    "tgkill": sys_tgkill, "tkill": sys_tkill,
    "rt_sigqueueinfo": sys_rt_sigqueueinfo, "rt_tgsigqueueinfo": sys_rt_tgsigqueueinfo,
    "alarm": sys_alarm,
    "setitimer": (sys_setitimer, "partial: ITIMER_VIRTUAL/PROF count real time"),
    "getitimer": sys_getitimer,
}
