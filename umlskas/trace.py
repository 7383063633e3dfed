"""strace-like formatting of guest syscalls, from the syscall table's argument kinds."""

import errno
import os
import sys

from .kernel.errors import SyscallError

STRING_LIMIT = 32
AT_FDCWD = -100

OPEN_FLAGS = [(0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
              (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o4010000, "O_SYNC"),
              (0o10000, "O_DSYNC"), (0o20000, "O_ASYNC"), (0o40000, "O_DIRECT"),
              (0o200000, "O_DIRECTORY"), (0o400000, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"),
              (0o2000000, "O_CLOEXEC"), (0o10000000, "O_PATH"), (0o20000000, "O_TMPFILE")]
PROT_FLAGS = [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")]
MAP_FLAGS = [(0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x100, "MAP_GROWSDOWN"),
             (0x800, "MAP_DENYWRITE"), (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"),
             (0x20000, "MAP_STACK"), (0x100000, "MAP_FIXED_NOREPLACE")]
AT_FLAGS = [(0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR"), (0x400, "AT_SYMLINK_FOLLOW"),
            (0x800, "AT_NO_AUTOMOUNT"), (0x1000, "AT_EMPTY_PATH")]


def _flags(value, table, zero="0"):
    parts = []
    for bit, name in table:
        if value & bit == bit and bit:
            parts.append(name)
            value &= ~bit
    if value:
        parts.append(hex(value))
    return "|".join(parts) or zero


def _quote(data, limit=STRING_LIMIT):
    shown = data[:limit]
    out = []
    for b in shown:
        c = chr(b)
        if c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c in "\"\\":
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append(f"\\{b:o}")
    return '"' + "".join(out) + '"' + ("..." if len(data) > limit else "")


def format_arg(task, kind, value, size=None, result=None):
    mm = task.mm
    try:
        if kind in ("path", "str"):
            return _quote(mm.read_cstr(value, 4096), 4096 if kind == "path" else STRING_LIMIT) \
                if value else "NULL"
        if kind == "inbuf" and size is not None:
            return _quote(mm.read(value, min(size, STRING_LIMIT + 1)))
        if kind == "outbuf" and size is not None:
            if result is None or result < 0:
                return hex(value)
            return _quote(mm.read(value, min(result, STRING_LIMIT + 1)))
    except (SyscallError, OSError):
        return hex(value)
    if kind == "dirfd" and value == AT_FDCWD:
        return "AT_FDCWD"
    if kind == "oflags":
        acc = ("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")[value & 3]
        rest = _flags(value & ~3 & ~0o100000, OPEN_FLAGS, "")
        return acc + ("|" + rest if rest else "")
    if kind == "prot":
        return _flags(value, PROT_FLAGS, "PROT_NONE")
    if kind == "mmapflags":
        base = {1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"}.get(value & 0xF, hex(value & 0xF))
        rest = _flags(value & ~0xF, MAP_FLAGS, "")
        return base + ("|" + rest if rest else "")
    if kind == "atflags":
        return _flags(value, AT_FLAGS)
    if kind == "mode":
        return f"0{value:o}"
    if kind in ("ptr", "struct", "sigset", "argv") or kind.endswith("buf"):
        return "NULL" if value == 0 else hex(value)
    return str(value)


def format_result(entry, result):
    if result is None:
        return "?"
    if result < 0 and -result < 4096:
        name = errno.errorcode.get(-result, str(-result))
        return f"-1 {name} ({os.strerror(-result)})"
    if entry.ret == "ptr":
        return hex(result)
    return str(result)


_CONSTANT_NAMES = None


def constant_names(name):
    """Per-argument value names (lseek whence, fcntl cmd, futex op, rlimit resource...)
    from python-ptrace's syscall prototypes and constant tables; loaded on first use."""
    global _CONSTANT_NAMES
    if _CONSTANT_NAMES is None:
        try:
            from ptrace.syscall.linux_constants import SYSCALL_ARG_DICT
            from ptrace.syscall.prototypes import SYSCALL_PROTOTYPES
        except ImportError:
            SYSCALL_ARG_DICT, SYSCALL_PROTOTYPES = {}, {}
        _CONSTANT_NAMES = {}
        for syscall, by_arg in SYSCALL_ARG_DICT.items():
            proto = SYSCALL_PROTOTYPES.get(syscall)
            if proto is None:
                continue
            arg_names = [arg_name for _, arg_name in proto[1]]
            _CONSTANT_NAMES[syscall] = {arg_names.index(a): values for a, values in by_arg.items()
                                        if a in arg_names}
    return _CONSTANT_NAMES.get(name, {})


def format_call(task, entry, args, result):
    """One strace-style line: name(args) = result."""
    shown = []
    kinds = entry.kinds
    named = constant_names(entry.name)
    for i, kind in enumerate(kinds):
        values = named.get(i)
        if values is not None and args[i] in values:
            shown.append(values[args[i]])
            continue
        size = args[i + 1] if i + 1 < len(args) and kinds[i + 1] == "size" else None
        shown.append(format_arg(task, kind, args[i], size, result))
    return f"{entry.name}({', '.join(shown)}) = {format_result(entry, result)}"


class TextTracer:
    """Prints one line per guest syscall, prefixed by the pid when there are several."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    def __call__(self, task, entry, args, result, duration_ns):
        prefix = f"[pid {task.tid}] " if task.kernel.next_pid > 2 else ""
        self.stream.write(prefix + format_call(task, entry, args, result) + "\n")
        self.stream.flush()
