"""Raw host syscalls the kernel makes on its own behalf (stat-family structs, statfs, access, guest memory).

These return the exact bytes and errno Linux gives, so the guest sees the
host's answer for a path the kernel has already resolved and checked.
"""

import ctypes
import errno
import fcntl
import os

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long

SYS_STATFS = 137
SYS_FSTATFS = 138
SYS_SYSINFO = 99
SYS_STATX = 332
SYS_FACCESSAT2 = 439
SYS_NEWFSTATAT = 262


def call(nr, *args):
    """Run host syscall nr; returns its result, or -errno."""
    conv = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    r = _syscall(ctypes.c_long(nr), *conv)
    if r < 0:
        return -ctypes.get_errno()
    return r


def with_buffer(nr, size, *args):
    """Run nr with a fresh out-buffer as its last argument; returns (result, bytes)."""
    buf = ctypes.create_string_buffer(size)
    r = call(nr, *args, buf)
    return r, buf.raw


def signalfd(signals, flags=0o4000 | 0o2000000):
    """A host signalfd(2) for the given signal numbers (SFD_NONBLOCK|SFD_CLOEXEC)."""
    mask = ctypes.create_string_buffer(128)
    bits = 0
    for sig in signals:
        bits |= 1 << (sig - 1)
    ctypes.memmove(mask, bits.to_bytes(8, "little"), 8)
    fd = _libc.signalfd(-1, mask, flags)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, "signalfd")
    return fd


def open_process_memory(host_pid):
    """A read-write fd of /proc/HOST_PID/mem (the guest's memory as the kernel's
    tracer may see it), or -1 if there is none. A plain file: copies through it
    are one pread/pwrite each, where process_vm_readv through ctypes costs about
    three times as much per call. It ignores page protections: the caller checks
    them against its own VMA list first (address_space.py)."""
    if not isinstance(host_pid, int) or host_pid <= 0:
        return -1
    try:
        fd = os.open(f"/proc/{host_pid}/mem", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return -1
    try:
        return dup_into_reserve(fd)
    finally:
        os.close(fd)


def dup_into_reserve(fd):
    """A close-on-exec duplicate of fd numbered in the kernel's own reserve (at or above
    files.HOST_FD_CEILING, see fdtable.host_fd_budget), for fds the kernel holds for
    long (guest memory, the dentry cache): they never take a number a guest's file
    could have had. -1 if the reserve is full (the caller does without)."""
    from . import files
    try:
        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, files.HOST_FD_CEILING)
    except (OverflowError, OSError) as e:
        if isinstance(e, OverflowError) or e.errno == errno.EINVAL:
            return os.dup(fd)           # no reserve (no kernel has set one: a unit test)
        return -1


# statx(2) with its own typed prototype and one reused buffer: the stat family's hot
# call (ls -l makes one per name), without call()'s per-argument wrapping.
_statx_call = ctypes.CDLL(None, use_errno=True).syscall
_statx_call.restype = ctypes.c_long
_statx_call.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                        ctypes.c_uint, ctypes.c_void_p]
_STATX_OUT = ctypes.create_string_buffer(256)
_STATX_ADDR = ctypes.addressof(_STATX_OUT)


def statx(dirfd, name, flags, mask):
    """The host's statx(dirfd, name, flags, mask): (0, the 256-byte struct statx) or
    (-errno, None)."""
    r = _statx_call(SYS_STATX, dirfd, name, flags, mask & 0xFFFFFFFF, _STATX_ADDR)
    if r < 0:
        return -ctypes.get_errno(), None
    return r, _STATX_OUT.raw


# Guest memory in many pieces: one process_vm_readv/writev for all of them (readv's and
# writev's iovecs), where /proc/PID/mem would take one call per piece. Like that file
# it is only used after the caller's VMA list has allowed every piece.
class _IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_vm_readv = ctypes.CDLL(None, use_errno=True).process_vm_readv
_vm_writev = ctypes.CDLL(None, use_errno=True).process_vm_writev
for _f in (_vm_readv, _vm_writev):
    _f.restype = ctypes.c_ssize_t
    _f.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p,
                   ctypes.c_ulong, ctypes.c_ulong]


def vm_readv(host_pid, pieces):
    """The bytes of [(address, length)] of host_pid's memory, joined, in one call;
    fewer where a piece could not be read."""
    total = sum(length for _, length in pieces)
    buf = ctypes.create_string_buffer(total)
    local = _IoVec(ctypes.addressof(buf), total)
    remote = (_IoVec * len(pieces))(*pieces)
    n = _vm_readv(host_pid, ctypes.addressof(local), 1, ctypes.addressof(remote),
                  len(pieces), 0)
    return buf.raw[:max(n, 0)]


def vm_writev(host_pid, pieces, data):
    """Write data across [(address, length)] of host_pid's memory in one call; the
    number of bytes written."""
    buf = ctypes.create_string_buffer(bytes(data), len(data))
    local = _IoVec(ctypes.addressof(buf), len(data))
    remote = (_IoVec * len(pieces))(*pieces)
    n = _vm_writev(host_pid, ctypes.addressof(local), 1, ctypes.addressof(remote),
                   len(pieces), 0)
    return max(n, 0)
