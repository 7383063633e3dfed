"""seccomp(2) for guests: strict mode and classic-BPF filters over struct seccomp_data,
checked by the kernel at every guest syscall before the handler runs (kernel/seccomp.c).

A task's filters are an immutable tuple, newest first, shared by reference: fork and
clone copy the reference, execve keeps it, TSYNC puts the caller's on every thread.
Each filter is validated as bpf_check_classic and seccomp_check_filter do, then run by
a small interpreter; the action with the highest precedence over all filters wins.
"""

import errno
import struct

from .. import creds, signals
from ..errors import SyscallError, TaskGone

SECCOMP_SET_MODE_STRICT, SECCOMP_SET_MODE_FILTER = 0, 1
SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES = 2, 3
SECCOMP_MODE_DISABLED, SECCOMP_MODE_STRICT, SECCOMP_MODE_FILTER = 0, 1, 2
FLAG_TSYNC, FLAG_LOG, FLAG_SPEC_ALLOW, FLAG_NEW_LISTENER = 1, 2, 4, 8
FLAG_TSYNC_ESRCH, FLAG_WAIT_KILLABLE_RECV = 16, 32
# NEW_LISTENER and WAIT_KILLABLE_RECV need user-space notification, which this kernel
# does not offer: they are unknown flags here, as on Linux before 5.0.
FLAG_MASK = FLAG_TSYNC | FLAG_LOG | FLAG_SPEC_ALLOW | FLAG_TSYNC_ESRCH

RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP, RET_ERRNO = 0x80000000, 0, 0x00030000, 0x00050000
RET_USER_NOTIF, RET_TRACE, RET_LOG, RET_ALLOW = 0x7FC00000, 0x7FF00000, 0x7FFC0000, 0x7FFF0000
RET_ACTION_FULL, RET_DATA = 0xFFFF0000, 0x0000FFFF
KNOWN_ACTIONS = (RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP, RET_ERRNO, RET_TRACE, RET_LOG,
                 RET_ALLOW)
AUDIT_ARCH_X86_64 = 0xC000003E
SYS_SECCOMP = 1
MAX_ERRNO = 4095
BPF_MAXINSNS = 4096
MAX_INSNS_PER_PATH = 32768
BPF_MEMWORDS = 16
SECCOMP_DATA_SIZE = 64
NR_READ, NR_WRITE, NR_EXIT, NR_RT_SIGRETURN = 0, 1, 60, 15
STRICT_ALLOWED = frozenset((NR_READ, NR_WRITE, NR_EXIT, NR_RT_SIGRETURN))

# Classic BPF opcodes (include/uapi/linux/bpf_common.h, filter.h).
LD, LDX, ST, STX, ALU, JMP, RET, MISC = range(8)
W, ABS, MEM, LEN, IMM = 0x00, 0x20, 0x60, 0x80, 0x00
K, X, A_SRC = 0x00, 0x08, 0x10
ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR = (0x00, 0x10, 0x20, 0x30, 0x40, 0x50,
                                                         0x60, 0x70, 0x80, 0x90, 0xA0)
JA, JEQ, JGT, JGE, JSET = 0x00, 0x10, 0x20, 0x30, 0x40
TAX, TXA = 0x00, 0x80
ALU_OPS = (ADD, SUB, MUL, DIV, AND, OR, XOR, LSH, RSH)
ALLOWED = frozenset(
    [RET | K, RET | A_SRC, ALU | NEG, LD | IMM, LDX | IMM, MISC | TAX, MISC | TXA,
     LD | MEM, LDX | MEM, ST, STX, JMP | JA, LD | W | ABS] +
    [ALU | op | src for op in ALU_OPS for src in (K, X)] +
    [JMP | op | src for op in (JEQ, JGE, JGT, JSET) for src in (K, X)])
CONDITIONAL = frozenset(JMP | op | src for op in (JEQ, JGE, JGT, JSET) for src in (K, X))
U32 = 0xFFFFFFFF


class Filter:
    """One attached filter: its validated program and its own flags."""

    __slots__ = ("insns", "log")

    def __init__(self, insns, log):
        self.insns, self.log = insns, log


class SeccompState:
    """A task's seccomp: the mode and the filters (newest first)."""

    __slots__ = ("mode", "filters")

    def __init__(self, mode, filters=()):
        self.mode, self.filters = mode, filters


def _check_stores(insns):
    """check_load_and_stores(): every memory load must follow a store on all paths."""
    n = len(insns)
    masks = [None] * n
    masks[0] = 0
    for pc in range(n):
        memvalid = masks[pc]
        if memvalid is None:
            continue                     # unreachable
        code, jt, jf, k = insns[pc]
        if code in (ST, STX):
            memvalid |= 1 << k
        elif code in (LD | MEM, LDX | MEM):
            if not memvalid & (1 << k):
                raise SyscallError(errno.EINVAL)
        targets = []
        if code == JMP | JA:
            targets = [pc + 1 + k]
        elif code in CONDITIONAL:
            targets = [pc + 1 + jt, pc + 1 + jf]
        elif code & 7 != RET:
            targets = [pc + 1]
        for t in targets:
            masks[t] = memvalid if masks[t] is None else masks[t] & memvalid


def validate(raw):
    """bpf_check_classic() and seccomp_check_filter(): the program as (code, jt, jf, k)
    tuples, with the LEN loads turned into immediates, or EINVAL."""
    n = len(raw) // 8
    insns = []
    for pc in range(n):
        code, jt, jf, k = struct.unpack_from("<HBBI", raw, pc * 8)
        if code == LD | W | LEN:
            code, k = LD | IMM, SECCOMP_DATA_SIZE
        elif code == LDX | W | LEN:
            code, k = LDX | IMM, SECCOMP_DATA_SIZE
        if code not in ALLOWED:
            raise SyscallError(errno.EINVAL)
        if code == ALU | DIV | K and k == 0:
            raise SyscallError(errno.EINVAL)
        if code in (ALU | LSH | K, ALU | RSH | K) and k >= 32:
            raise SyscallError(errno.EINVAL)
        if code in (LD | MEM, LDX | MEM, ST, STX) and k >= BPF_MEMWORDS:
            raise SyscallError(errno.EINVAL)
        if code == JMP | JA and k >= n - pc - 1:
            raise SyscallError(errno.EINVAL)
        if code in CONDITIONAL and (pc + jt + 1 >= n or pc + jf + 1 >= n):
            raise SyscallError(errno.EINVAL)
        if code == LD | W | ABS and (k >= SECCOMP_DATA_SIZE or k & 3):
            raise SyscallError(errno.EINVAL)
        insns.append((code, jt, jf, k))
    if insns[-1][0] not in (RET | K, RET | A_SRC):
        raise SyscallError(errno.EINVAL)
    _check_stores(insns)
    return tuple(insns)


def run(insns, words, ip_words):
    """Run one filter on seccomp_data given as 32-bit words (ip_words() fetches the
    instruction pointer's two words, only when a filter reads them)."""
    a = x = 0
    mem = [0] * BPF_MEMWORDS
    pc = 0
    while True:
        code, jt, jf, k = insns[pc]
        pc += 1
        cls = code & 7
        if cls == RET:
            return k if code == RET | K else a
        if code == LD | W | ABS:
            i = k >> 2
            if i in (2, 3):
                a = ip_words()[i - 2]
            else:
                a = words[i]
        elif cls == JMP:
            if code == JMP | JA:
                pc += k
                continue
            operand = x if code & X else k
            op = code & 0xF0
            if op == JEQ:
                taken = a == operand
            elif op == JGT:
                taken = a > operand
            elif op == JGE:
                taken = a >= operand
            else:
                taken = bool(a & operand)
            pc += jt if taken else jf
        elif cls == ALU:
            op = code & 0xF0
            if op == NEG:
                a = -a & U32
                continue
            operand = x if code & X else k
            if op == ADD:
                a = (a + operand) & U32
            elif op == SUB:
                a = (a - operand) & U32
            elif op == MUL:
                a = (a * operand) & U32
            elif op == DIV:
                if not operand:
                    return 0           # classic BPF: a division by a zero X returns 0
                a //= operand
            elif op == AND:
                a &= operand
            elif op == OR:
                a |= operand
            elif op == XOR:
                a ^= operand
            elif op == LSH:
                a = (a << operand) & U32 if operand < 32 else 0
            elif op == RSH:
                a = a >> operand if operand < 32 else 0
        elif code == LD | IMM:
            a = k
        elif code == LDX | IMM:
            x = k
        elif code == LD | MEM:
            a = mem[k]
        elif code == LDX | MEM:
            x = mem[k]
        elif code == ST:
            mem[k] = a
        elif code == STX:
            mem[k] = x
        elif code == MISC | TAX:
            x = a
        elif code == MISC | TXA:
            a = x


def _signed_action(ret):
    action = ret & RET_ACTION_FULL
    return action - (1 << 32) if action & 0x80000000 else action


def evaluate(task, state, nr, raw):
    """seccomp_run_filters(): the winning return value for this syscall."""
    nr32 = nr & U32
    words = [nr32, AUDIT_ARCH_X86_64, 0, 0]
    for arg in raw:
        words.append(arg & U32)
        words.append((arg >> 32) & U32)
    ip = []

    def ip_words():
        if not ip:
            rip = task.proc.get_regs().rip
            ip.extend((rip & U32, rip >> 32))
        return ip
    best = RET_ALLOW
    for f in state.filters:
        ret = run(f.insns, words, ip_words)
        if _signed_action(ret) < _signed_action(best):
            best = ret
    return best


def check(kernel, task, proc, nr, raw):
    """Called for every syscall of a task under seccomp. Returns True when the syscall
    goes on to its handler; otherwise the action is carried out here (the guest answered,
    signalled or ended) and False is returned."""
    state = task.seccomp
    if state.mode == SECCOMP_MODE_STRICT:
        if nr in STRICT_ALLOWED:
            return True
        _kill_thread(kernel, task, signals.SIGKILL)
        return False
    ret = evaluate(task, state, nr, raw)
    action = ret & RET_ACTION_FULL
    data = ret & RET_DATA
    if action in (RET_ALLOW, RET_LOG):
        return True
    if action == RET_ERRNO:
        kernel.mode.resume(proc, -min(data, MAX_ERRNO))
        return False
    if action in (RET_TRACE, RET_USER_NOTIF):
        kernel.mode.resume(proc, -errno.ENOSYS)   # no tracer, no listener: ENOSYS
        return False
    if action == RET_TRAP:
        rip = proc.get_regs().rip
        info = struct.pack("<iii4xQiI", signals.SIGSYS, data, SYS_SECCOMP, rip,
                           nr if nr < 1 << 31 else nr - (1 << 64), AUDIT_ARCH_X86_64)
        info = info.ljust(128, b"\0")
        if kernel.force_signal_info(task, signals.SIGSYS, info):
            return False
        kernel.deliver_signals(task, nr, None)     # syscall_rollback: rax is the number
        return False
    # KILL_THREAD, KILL_PROCESS and unknown actions.
    if action == RET_KILL_THREAD and len(task.process.threads) > 1:
        _kill_thread(kernel, task, signals.SIGSYS)
    else:
        kernel.end_process(task.process, signals.SIGSYS)
    return False


def _kill_thread(kernel, task, sig):
    try:
        kernel.exit_thread(task, sig)
    except TaskGone:
        pass


# ---- the syscall ------------------------------------------------------------------------

def _may_assign(task, mode):
    state = task.seccomp
    return state is None or state.mode == mode


def _set_strict(task):
    if not _may_assign(task, SECCOMP_MODE_STRICT):
        raise SyscallError(errno.EINVAL)
    task.seccomp = SeccompState(SECCOMP_MODE_STRICT)
    return 0


def _prepare(task, uargs):
    """seccomp_prepare_user_filter(): EFAULT, EINVAL for the length, EACCES without
    no_new_privs or CAP_SYS_ADMIN, EFAULT, then the program's own EINVAL."""
    length, = struct.unpack("<H", task.mm.read(uargs, 2))
    ptr, = struct.unpack("<Q", task.mm.read(uargs + 8, 8))
    if length == 0 or length > BPF_MAXINSNS:
        raise SyscallError(errno.EINVAL)
    if not task.creds.no_new_privs and not creds.capable(task, creds.CAP_SYS_ADMIN):
        raise SyscallError(errno.EACCES)
    return validate(task.mm.read(ptr, length * 8))


def _set_filter(task, flags, uargs):
    if flags & ~FLAG_MASK:
        raise SyscallError(errno.EINVAL)
    insns = _prepare(task, uargs)
    if not _may_assign(task, SECCOMP_MODE_FILTER):
        raise SyscallError(errno.EINVAL)
    old = task.seccomp.filters if task.seccomp is not None else ()
    total = len(insns) + sum(len(f.insns) + 4 for f in old)
    if total > MAX_INSNS_PER_PATH:
        raise SyscallError(errno.ENOMEM)
    state = SeccompState(SECCOMP_MODE_FILTER, (Filter(insns, bool(flags & FLAG_LOG)),) + old)
    if flags & FLAG_TSYNC:
        # seccomp_can_sync_threads(): every other thread must run the caller's filters
        # or an ancestor of them (no mode, or a suffix of the caller's list).
        for t in task.process.threads:
            if t is task:
                continue
            theirs = t.seccomp
            if theirs is not None and (theirs.mode != SECCOMP_MODE_FILTER or
                                       old[len(old) - len(theirs.filters):] != theirs.filters):
                if flags & FLAG_TSYNC_ESRCH:
                    raise SyscallError(errno.ESRCH)
                return t.tid
        for t in task.process.threads:
            t.seccomp = state
            if task.creds.no_new_privs:
                t.creds.no_new_privs = True     # TSYNC carries no_new_privs along
        return 0
    task.seccomp = state
    return 0


def sys_seccomp(task, op, flags, uargs):
    """seccomp(2)."""
    flags &= U32
    if op == SECCOMP_SET_MODE_STRICT:
        if flags or uargs:
            raise SyscallError(errno.EINVAL)
        return _set_strict(task)
    if op == SECCOMP_SET_MODE_FILTER:
        return _set_filter(task, flags, uargs)
    if op == SECCOMP_GET_ACTION_AVAIL:
        if flags:
            raise SyscallError(errno.EINVAL)
        action, = struct.unpack("<I", task.mm.read(uargs, 4))
        if action not in KNOWN_ACTIONS:
            raise SyscallError(errno.EOPNOTSUPP)
        return 0
    if op == SECCOMP_GET_NOTIF_SIZES:
        if flags:
            raise SyscallError(errno.EINVAL)
        task.mm.write(uargs, struct.pack("<HHH", 80, 24, 64))
        return 0
    raise SyscallError(errno.EINVAL)


def prctl_set_seccomp(task, mode, filter_ptr):
    """prctl(PR_SET_SECCOMP): strict mode, or a filter without flags."""
    if mode == SECCOMP_MODE_STRICT:
        return _set_strict(task)
    if mode == SECCOMP_MODE_FILTER:
        return _set_filter(task, 0, filter_ptr)
    raise SyscallError(errno.EINVAL)


def prctl_get_seccomp(task):
    state = task.seccomp
    return state.mode if state is not None else SECCOMP_MODE_DISABLED


def status_lines(task):
    """The Seccomp lines of /proc/PID/status."""
    state = task.seccomp
    mode = state.mode if state is not None else 0
    return f"Seccomp:\t{mode}\nSeccomp_filters:\t{len(state.filters) if state else 0}\n"


HANDLERS = {
    "seccomp": (sys_seccomp, "partial: strict and filter modes; no user notification "
                             "(NEW_LISTENER is an unknown flag), RET_TRACE gives ENOSYS"),
}
