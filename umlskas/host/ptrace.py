"""Thin ctypes binding to ptrace(2), process_vm_readv/writev(2) and friends.

Every failure raises HostError naming the operation and the host pid. Only
the thread that attached may call these (a ptrace rule), so the kernel runs
single-threaded. Register offsets and names (orig_rax, r10...) live here and
in mode_skas.py only.
"""

import ctypes
import errno
import os

_libc = ctypes.CDLL(None, use_errno=True)
_ptrace = _libc.ptrace
_ptrace.restype = ctypes.c_long
_ptrace.argtypes = (ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_get_errno = ctypes.get_errno

# Requests (include/uapi/linux/ptrace.h); python-ptrace lacks SYSEMU, SEIZE, INTERRUPT.
PTRACE_PEEKUSER = 3
PTRACE_POKEUSER = 6
PTRACE_CONT = 7
PTRACE_KILL = 8
PTRACE_GETREGS = 12
PTRACE_SETREGS = 13
PTRACE_GETFPREGS = 14
PTRACE_SETFPREGS = 15
PTRACE_SETOPTIONS = 0x4200
PTRACE_GETEVENTMSG = 0x4201
PTRACE_GETSIGINFO = 0x4202
PTRACE_SYSCALL = 24
PTRACE_SYSEMU = 31
PTRACE_SYSEMU_SINGLESTEP = 32
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_GET_SYSCALL_INFO = 0x420E

PTRACE_O_TRACESYSGOOD = 0x1
PTRACE_O_TRACEFORK = 0x2
PTRACE_O_TRACEVFORK = 0x4
PTRACE_O_TRACECLONE = 0x8
PTRACE_O_TRACEEXEC = 0x10
PTRACE_O_TRACEEXIT = 0x40
PTRACE_O_TRACESECCOMP = 0x80
PTRACE_O_EXITKILL = 0x100000

PTRACE_EVENT_FORK = 1
PTRACE_EVENT_VFORK = 2
PTRACE_EVENT_CLONE = 3
PTRACE_EVENT_EXEC = 4
PTRACE_EVENT_EXIT = 6
PTRACE_EVENT_SECCOMP = 7
PTRACE_EVENT_STOP = 128

PTRACE_SYSCALL_INFO_ENTRY = 1
AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_I386 = 0x40000003

WALL = 0x40000000

STUB_OPTIONS = (PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK
                | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC
                | PTRACE_O_TRACEEXIT | PTRACE_O_TRACESECCOMP)

REG_NAMES = ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
             "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags",
             "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs")
REG_OFFSET = {name: 8 * i for i, name in enumerate(REG_NAMES)}
OFF_RAX = REG_OFFSET["rax"]
OFF_ORIG_RAX = REG_OFFSET["orig_rax"]
OFF_RIP = REG_OFFSET["rip"]
OFF_FS_BASE = REG_OFFSET["fs_base"]
OFF_DEBUGREG = 848                # offsetof(struct user, u_debugreg) on x86-64


class UserRegs(ctypes.Structure):
    """struct user_regs_struct (x86-64)."""
    _fields_ = [(name, ctypes.c_ulonglong) for name in REG_NAMES]


class SyscallInfo(ctypes.Structure):
    """struct ptrace_syscall_info, entry variant."""
    _fields_ = [("op", ctypes.c_uint8), ("pad", ctypes.c_uint8 * 3),
                ("arch", ctypes.c_uint32), ("instruction_pointer", ctypes.c_uint64),
                ("stack_pointer", ctypes.c_uint64), ("nr", ctypes.c_uint64),
                ("args", ctypes.c_uint64 * 6), ("ret_data", ctypes.c_uint32),
                ("pad2", ctypes.c_uint32)]


class SigInfo(ctypes.Structure):
    """siginfo_t head: signo, errno, code, then the union (fault address first)."""
    _fields_ = [("si_signo", ctypes.c_int), ("si_errno", ctypes.c_int),
                ("si_code", ctypes.c_int), ("pad", ctypes.c_int),
                ("si_addr", ctypes.c_uint64), ("rest", ctypes.c_uint8 * 112)]


class HostError(OSError):
    """A host operation on a stub failed: names the operation and the pid."""

    def __init__(self, op, pid, err):
        super().__init__(err, f"{op}(pid {pid}): {os.strerror(err)}")
        self.op = op
        self.pid = pid


def _fail(op, pid):
    raise HostError(op, pid, _get_errno())


def seize(pid, options=STUB_OPTIONS):
    if _ptrace(PTRACE_SEIZE, pid, None, options) < 0:
        _fail("PTRACE_SEIZE", pid)


def interrupt(pid):
    if _ptrace(PTRACE_INTERRUPT, pid, None, None) < 0:
        _fail("PTRACE_INTERRUPT", pid)


def sysemu(pid, sig=0):
    if _ptrace(PTRACE_SYSEMU, pid, None, sig) < 0:
        _fail("PTRACE_SYSEMU", pid)


def sysemu_singlestep(pid, sig=0):
    """One guest instruction, its syscalls still stopped for emulation (x86 request 32)."""
    if _ptrace(PTRACE_SYSEMU_SINGLESTEP, pid, None, sig) < 0:
        _fail("PTRACE_SYSEMU_SINGLESTEP", pid)


def cont(pid, sig=0):
    if _ptrace(PTRACE_CONT, pid, None, sig) < 0:
        _fail("PTRACE_CONT", pid)


def syscall(pid, sig=0):
    if _ptrace(PTRACE_SYSCALL, pid, None, sig) < 0:
        _fail("PTRACE_SYSCALL", pid)


def getregs(pid, regs=None):
    regs = regs if regs is not None else UserRegs()
    if _ptrace(PTRACE_GETREGS, pid, None, ctypes.addressof(regs)) < 0:
        _fail("PTRACE_GETREGS", pid)
    return regs


def setregs(pid, regs):
    if _ptrace(PTRACE_SETREGS, pid, None, ctypes.addressof(regs)) < 0:
        _fail("PTRACE_SETREGS", pid)


def getfpregs(pid):
    """The FPU/SSE state in fxsave layout (struct user_fpregs_struct, 512 bytes)."""
    buf = ctypes.create_string_buffer(512)
    if _ptrace(PTRACE_GETFPREGS, pid, None, ctypes.addressof(buf)) < 0:
        _fail("PTRACE_GETFPREGS", pid)
    return buf.raw


def setfpregs(pid, data):
    buf = ctypes.create_string_buffer(bytes(data), 512)
    if _ptrace(PTRACE_SETFPREGS, pid, None, ctypes.addressof(buf)) < 0:
        _fail("PTRACE_SETFPREGS", pid)


def peekuser(pid, offset):
    ctypes.set_errno(0)
    value = _ptrace(PTRACE_PEEKUSER, pid, offset, None)
    if value == -1 and _get_errno():
        _fail("PTRACE_PEEKUSER", pid)
    return value & 0xFFFFFFFFFFFFFFFF


def pokeuser(pid, offset, value):
    if _ptrace(PTRACE_POKEUSER, pid, offset, value & 0xFFFFFFFFFFFFFFFF) < 0:
        _fail("PTRACE_POKEUSER", pid)


def get_syscall_info(pid, info):
    """Fill `info` (a SyscallInfo) for the current stop; returns its size."""
    n = _ptrace(PTRACE_GET_SYSCALL_INFO, pid, ctypes.sizeof(info), ctypes.addressof(info))
    if n < 0:
        _fail("PTRACE_GET_SYSCALL_INFO", pid)
    return n


def getsiginfo(pid):
    info = SigInfo()
    if _ptrace(PTRACE_GETSIGINFO, pid, None, ctypes.addressof(info)) < 0:
        _fail("PTRACE_GETSIGINFO", pid)
    return info


def geteventmsg(pid):
    msg = ctypes.c_ulong()
    if _ptrace(PTRACE_GETEVENTMSG, pid, None, ctypes.addressof(msg)) < 0:
        _fail("PTRACE_GETEVENTMSG", pid)
    return msg.value


class _IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_process_vm_readv = _libc.process_vm_readv
_process_vm_readv.restype = ctypes.c_ssize_t
_process_vm_readv.argtypes = (ctypes.c_int, ctypes.POINTER(_IoVec), ctypes.c_ulong,
                              ctypes.POINTER(_IoVec), ctypes.c_ulong, ctypes.c_ulong)
_process_vm_writev = _libc.process_vm_writev
_process_vm_writev.restype = ctypes.c_ssize_t
_process_vm_writev.argtypes = _process_vm_readv.argtypes


def vm_read(pid, addr, size):
    """Read guest memory honouring page protections; returns the bytes read
    (fewer than asked where an unmapped page ends the range)."""
    buf = ctypes.create_string_buffer(size)
    local = _IoVec(ctypes.addressof(buf), size)
    remote = _IoVec(addr, size)
    n = _process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if n < 0:
        err = _get_errno()
        if err == errno.EFAULT:
            return b""
        raise HostError("process_vm_readv", pid, err)
    return buf.raw[:n]


def vm_write(pid, addr, data):
    """Write guest memory honouring page protections; returns bytes written."""
    size = len(data)
    buf = ctypes.create_string_buffer(bytes(data), size)
    local = _IoVec(ctypes.addressof(buf), size)
    remote = _IoVec(addr, size)
    n = _process_vm_writev(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if n < 0:
        err = _get_errno()
        if err == errno.EFAULT:
            return 0
        raise HostError("process_vm_writev", pid, err)
    return n


def wait_any(nohang=False):
    """waitpid(-1, WALL): (pid, status), or (0, 0) with nohang and nothing ready."""
    return os.waitpid(-1, WALL | (os.WNOHANG if nohang else 0))
