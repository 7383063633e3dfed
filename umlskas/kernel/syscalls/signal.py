"""Signal syscalls. Dispositions and masks are kept; delivery into guest handlers is not done yet."""

import errno
import struct

from ..errors import SyscallError

SIGKILL, SIGSTOP = 9, 19
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))
SIGACTION = struct.Struct("<QQQQ")   # handler, flags, restorer, mask
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = 2048
STACK_T = struct.Struct("<QiiQ")     # ss_sp, ss_flags, pad, ss_size
# Signals whose default action is to ignore them.
DEFAULT_IGNORE = {17, 23, 28}        # SIGCHLD, SIGURG, SIGWINCH
SIG_DFL, SIG_IGN = 0, 1
# sa_flags Linux keeps (UAPI_SA_FLAGS; SA_EXPOSE_TAGBITS is arm64's): others read back as 0.
SA_KNOWN = 0x1 | 0x2 | 0x4 | 0x04000000 | 0x08000000 | 0x10000000 | 0x40000000 | 0x80000000


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
    if oset_ptr:
        task.mm.write(oset_ptr, struct.pack("<Q", old))
    return 0


def sys_sigaltstack(task, ss, old_ss):
    """sigaltstack(2)."""
    cur = getattr(task, "altstack", (0, SS_DISABLE, 0))
    new = None
    if ss:
        sp, flags, _, size = STACK_T.unpack(task.mm.read(ss, 24))
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
        task.mm.write(old_ss, STACK_T.pack(cur[0], cur[1], 0, cur[2]))
    if new is not None:
        task.altstack = new
    return 0


def _check_signal(sig):
    if sig < 0 or sig > 64:
        raise SyscallError(errno.EINVAL)


def sys_kill(task, pid, sig):
    """kill(2): pid > 0 a process, 0 the caller's group, -1 all but init, < -1 a group."""
    _check_signal(sig)
    kernel = task.kernel
    if pid > 0:
        target = kernel.task_by_vpid(pid)
        if target is None:
            if kernel.zombie_by_pid(pid) is not None:
                return 0
            raise SyscallError(errno.ESRCH)
        kernel.send_signal(target.process, sig, task)
        return 0
    if pid == -1:
        targets = [p for p in kernel.processes() if p.tgid != 1 and p is not task.process]
        targets.append(task.process)
    else:
        pgid = task.pgid if pid == 0 else -pid
        targets = [p for p in kernel.processes() if p.pgid == pgid]
        targets.sort(key=lambda p: p is task.process)   # the caller last
    if not targets:
        raise SyscallError(errno.ESRCH)
    for process in targets:
        kernel.send_signal(process, sig, task)
    return 0


def sys_tgkill(task, tgid, tid, sig):
    """tgkill(2)."""
    if tgid <= 0 or tid <= 0:
        raise SyscallError(errno.EINVAL)
    _check_signal(sig)
    target = task.kernel.task_by_vpid(tid)
    if target is None or target.tgid != tgid:
        raise SyscallError(errno.ESRCH)
    task.kernel.send_signal(target.process, sig, task)
    return 0


def sys_tkill(task, tid, sig):
    """tkill(2)."""
    if tid <= 0:
        raise SyscallError(errno.EINVAL)
    _check_signal(sig)
    target = task.kernel.task_by_vpid(tid)
    if target is None:
        raise SyscallError(errno.ESRCH)
    task.kernel.send_signal(target.process, sig, task)
    return 0


HANDLERS = {
    "rt_sigaction": (sys_rt_sigaction, "partial: dispositions kept; handlers not yet run"),
    "rt_sigprocmask": sys_rt_sigprocmask,
    "sigaltstack": sys_sigaltstack,
    "kill": (sys_kill, "partial: default actions on the caller's own process"),
    "tgkill": (sys_tgkill, "partial: default actions only"),
    "tkill": (sys_tkill, "partial: default actions only"),
}
