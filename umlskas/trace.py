"""strace-like formatting of guest syscalls, from the syscall table's argument kinds."""

import collections
import errno
import json
import os
import sys
import time

from .kernel.errors import SyscallError

STRING_LIMIT = 32
ARGV_LIMIT = 4096
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


class Buf:
    """Bytes read from the guest (a string or buffer argument), shown up to limit."""

    __slots__ = ("data", "limit")

    def __init__(self, data, limit):
        self.data = data
        self.limit = limit

    @property
    def truncated(self):
        return len(self.data) > self.limit

    def text(self):
        """The shown part as str (undecodable bytes as backslash escapes)."""
        return self.data[:self.limit].decode("utf-8", "backslashreplace")


class Sym(str):
    """A symbolic or hexadecimal rendering (flags, constants, pointers)."""


def decode_arg(task, kind, value, size=None, result=None):
    """One argument as Buf (guest bytes), Sym (names, pointers) or int.

    Both the text trace (format_arg) and the JSON trace are rendered from this."""
    mm = task.mm
    try:
        if kind == "argv" and value:
            ptrs = mm.read_ptr_array(value, ARGV_LIMIT)
            return Strings([Buf(mm.read_cstr(p, 4096), STRING_LIMIT) for p in ptrs])
        if kind in ("path", "str"):
            if not value:
                return Sym("NULL")
            return Buf(mm.read_cstr(value, 4096), 4096 if kind == "path" else STRING_LIMIT)
        if kind == "inbuf" and size is not None:
            return Buf(mm.read(value, min(size, STRING_LIMIT + 1)), STRING_LIMIT)
        if kind == "outbuf" and size is not None:
            if result is None or result < 0:
                return Sym(hex(value))
            return Buf(mm.read(value, min(result, STRING_LIMIT + 1)), STRING_LIMIT)
    except (SyscallError, OSError):
        return Sym(hex(value))
    if kind == "dirfd" and value == AT_FDCWD:
        return Sym("AT_FDCWD")
    if kind == "oflags":
        acc = ("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")[value & 3]
        rest = _flags(value & ~3 & ~0o100000, OPEN_FLAGS, "")
        return Sym(acc + ("|" + rest if rest else ""))
    if kind == "prot":
        return Sym(_flags(value, PROT_FLAGS, "PROT_NONE"))
    if kind == "mmapflags":
        base = {1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"}.get(value & 0xF, hex(value & 0xF))
        rest = _flags(value & ~0xF, MAP_FLAGS, "")
        return Sym(base + ("|" + rest if rest else ""))
    if kind == "atflags":
        return Sym(_flags(value, AT_FLAGS))
    if kind == "mode":
        return Sym(f"0{value:o}")
    if kind in ("ptr", "struct", "sigset", "argv") or kind.endswith("buf"):
        return Sym("NULL" if value == 0 else hex(value))
    return value


class Strings(list):
    """A decoded string array (execve's argv and envp)."""


def render_text(value):
    """A decoded argument as strace shows it."""
    if isinstance(value, Buf):
        return _quote(value.data, value.limit)
    if isinstance(value, Strings):
        return "[" + ", ".join(render_text(v) for v in value) + "]"
    return str(value)


def render_json(value):
    """A decoded argument as a JSON value: str for strings and names, int for numbers."""
    if isinstance(value, Buf):
        return value.text() + ("..." if value.truncated else "")
    if isinstance(value, Strings):
        return [render_json(v) for v in value]
    if isinstance(value, Sym):
        return str(value)
    return value


def format_arg(task, kind, value, size=None, result=None):
    return render_text(decode_arg(task, kind, value, size, result))


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
        # python-ptrace's fcntl table has another architecture's numbers (F_SETOWN 6);
        # these are x86-64's (include/uapi/asm-generic/fcntl.h, linux/fcntl.h).
        _CONSTANT_NAMES["fcntl"] = {1: FCNTL_COMMANDS}
    return _CONSTANT_NAMES.get(name, {})


FCNTL_COMMANDS = {
    0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK",
    6: "F_SETLK", 7: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN", 10: "F_SETSIG",
    11: "F_GETSIG", 15: "F_SETOWN_EX", 16: "F_GETOWN_EX", 36: "F_OFD_GETLK",
    37: "F_OFD_SETLK", 38: "F_OFD_SETLKW", 1024: "F_SETLEASE", 1025: "F_GETLEASE",
    1026: "F_NOTIFY", 1030: "F_DUPFD_CLOEXEC", 1031: "F_SETPIPE_SZ", 1032: "F_GETPIPE_SZ",
    1033: "F_ADD_SEALS", 1034: "F_GET_SEALS",
}


def decode_args(task, entry, args, result):
    """Every argument of one call, decoded (see decode_arg)."""
    shown = []
    kinds = entry.kinds
    named = constant_names(entry.name)
    for i, kind in enumerate(kinds):
        values = named.get(i)
        if values is not None and args[i] in values:
            shown.append(Sym(values[args[i]]))
            continue
        size = args[i + 1] if i + 1 < len(args) and kinds[i + 1] == "size" else None
        value = decode_arg(task, kind, args[i], size, result)
        if kind == "argv" and i == len(kinds) - 1 - (entry.name == "execveat") and \
                isinstance(value, Strings):
            # The environment, as strace abbreviates it.
            value = Sym(f"{args[i]:#x} /* {len(value)} vars */")
        shown.append(value)
    return shown


def format_call(task, entry, args, result):
    """One strace-style line: name(args) = result."""
    shown = [render_text(v) for v in decode_args(task, entry, args, result)]
    return f"{entry.name}({', '.join(shown)}) = {format_result(entry, result)}"


def call_record(task, entry, args, result, start_ns, duration_ns):
    """One call as a JSON-ready dict (the --trace-json line)."""
    error = None
    if result is not None and result < 0 and -result < 4096:
        error = errno.errorcode.get(-result, str(-result))
    return {
        "tid": task.tid, "tgid": task.tgid, "nr": entry.nr, "name": entry.name,
        "args": [render_json(v) for v in decode_args(task, entry, args, result)],
        "result": result, "errno": error, "start_ns": start_ns, "duration_ns": duration_ns,
    }


# strace-style classes for --trace=%CLASS, from the table's names and argument kinds.
def _names_with_kind(*kinds):
    from .kernel.syscalls.names import SYSCALLS
    return frozenset(name for _, name, _, ks in SYSCALLS if any(k in kinds for k in ks))


def _all_names():
    from .kernel.syscalls.names import SYSCALLS
    return frozenset(name for _, name, _, _ in SYSCALLS)


PROCESS_CALLS = frozenset({
    "clone", "clone3", "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4",
    "waitid", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    "pidfd_send_signal", "pidfd_open", "unshare", "setns"})
MEMORY_CALLS = frozenset({
    "mmap", "mprotect", "munmap", "brk", "mremap", "msync", "mincore", "madvise", "mlock",
    "munlock", "mlockall", "munlockall", "remap_file_pages", "mbind", "set_mempolicy",
    "get_mempolicy", "mlock2", "pkey_mprotect", "pkey_alloc", "pkey_free", "process_madvise",
    "set_mempolicy_home_node", "map_shadow_stack", "shmat", "shmdt", "io_setup", "memfd_secret"})
NETWORK_CALLS = frozenset({
    "socket", "connect", "accept", "accept4", "sendto", "recvfrom", "sendmsg", "recvmsg",
    "sendmmsg", "recvmmsg", "shutdown", "bind", "listen", "getsockname", "getpeername",
    "socketpair", "setsockopt", "getsockopt"})
IPC_CALLS = frozenset({
    "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop", "msgget",
    "msgsnd", "msgrcv", "msgctl"})


def trace_class(name):
    """The syscall names of one strace class (%file, %process, %signal, %memory, %desc,
    %network, %ipc, %creds, %clock, %stat)."""
    all_names = _all_names()
    if name == "file":
        return _names_with_kind("path")
    if name == "process":
        return PROCESS_CALLS & all_names
    if name == "signal":
        return frozenset(n for n in all_names if "sig" in n or n in (
            "kill", "tkill", "tgkill", "pause", "pidfd_send_signal", "restart_syscall"))
    if name == "memory":
        return MEMORY_CALLS & all_names
    if name == "desc":
        return _names_with_kind("fd", "dirfd") | frozenset(
            n for n in all_names if n in ("pipe", "pipe2", "eventfd", "eventfd2", "epoll_create",
                                          "epoll_create1", "memfd_create", "timerfd_create",
                                          "signalfd", "signalfd4", "inotify_init",
                                          "inotify_init1", "userfaultfd", "select", "pselect6",
                                          "poll", "ppoll", "open", "creat"))
    if name == "network" or name == "net":
        return NETWORK_CALLS & all_names
    if name == "ipc":
        return IPC_CALLS & all_names
    if name == "creds":
        return frozenset(n for n in all_names if n.startswith(("getres", "setres")) or n in (
            "getuid", "geteuid", "getgid", "getegid", "setuid", "setgid", "setreuid", "setregid",
            "getgroups", "setgroups", "setfsuid", "setfsgid", "capget", "capset", "prctl"))
    if name == "clock":
        return frozenset(n for n in all_names if n.startswith(("clock_", "timer_")) or n in (
            "gettimeofday", "settimeofday", "time", "adjtimex", "nanosleep"))
    if name == "stat":
        return frozenset(n for n in ("stat", "lstat", "fstat", "newfstatat", "statx")
                         if n in all_names)
    raise ValueError(f"unknown syscall class %{name}")


TRACE_CLASSES = ("file", "process", "signal", "memory", "desc", "network", "ipc", "creds",
                 "clock", "stat")


def parse_filter(spec):
    """The set of syscall names a --trace=SPEC selects (None for all).

    SPEC is a comma list of syscall names and %CLASS names, as strace's -e trace=;
    a leading '!' negates the whole set; 'all' selects everything."""
    if spec is None or spec in ("", "all", True):
        return None
    negate = spec.startswith("!")
    if negate:
        spec = spec[1:]
    all_names = _all_names()
    chosen = set()
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        if item == "all":
            chosen |= all_names
        elif item.startswith("%"):
            chosen |= trace_class(item[1:])
        elif item in all_names:
            chosen.add(item)
        else:
            raise ValueError(f"unknown syscall name {item!r}")
    return frozenset(all_names - chosen) if negate else frozenset(chosen)


class TextTracer:
    """Prints one line per guest syscall, prefixed by the pid when there are several."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    def __call__(self, task, entry, args, result, duration_ns):
        prefix = f"[pid {task.tid}] " if task.kernel.next_pid > 2 else ""
        self.stream.write(prefix + format_call(task, entry, args, result) + "\n")
        self.stream.flush()


class JsonTracer:
    """Writes one JSON object per guest syscall (see call_record) to a stream.

    start_ns counts from the tracer's creation (just before the guest starts)."""

    def __init__(self, stream):
        self.stream = stream
        self.t0 = time.perf_counter_ns()

    def __call__(self, task, entry, args, result, duration_ns):
        start = time.perf_counter_ns() - duration_ns - self.t0
        record = call_record(task, entry, args, result, start, duration_ns)
        self.stream.write(json.dumps(record, separators=(",", ":")) + "\n")

    def close(self):
        self.stream.flush()


class SummaryTracer:
    """Counts calls, kernel time and errors per syscall; report() prints strace -c's table."""

    def __init__(self):
        self.calls = collections.Counter()
        self.errors = collections.Counter()
        self.time_ns = collections.Counter()

    def __call__(self, task, entry, args, result, duration_ns):
        name = entry.name
        self.calls[name] += 1
        self.time_ns[name] += duration_ns
        if result is not None and -4096 < result < 0:
            self.errors[name] += 1

    def report(self, stream=None):
        stream = stream or sys.stderr
        total_ns = sum(self.time_ns.values())
        rule = "------ ----------- ----------- --------- --------- ----------------"
        lines = ["% time     seconds  usecs/call     calls    errors syscall", rule]
        order = sorted(self.calls, key=lambda n: (-self.time_ns[n], -self.calls[n], n))
        for name in order:
            ns, calls, errs = self.time_ns[name], self.calls[name], self.errors[name]
            pct = 100.0 * ns / total_ns if total_ns else 0.0
            lines.append(f"{pct:6.2f} {ns / 1e9:11.6f} {ns / 1000 / calls:11.0f} {calls:9d} "
                         f"{errs if errs else '':>9} {name}")
        lines.append(rule)
        ncalls, nerrs = sum(self.calls.values()), sum(self.errors.values())
        lines.append(f"{100.0 if total_ns else 0.0:6.2f} {total_ns / 1e9:11.6f} "
                     f"{total_ns / 1000 / ncalls if ncalls else 0:11.0f} {ncalls:9d} "
                     f"{nerrs if nerrs else '':>9} total")
        stream.write("\n".join(lines) + "\n")
        stream.flush()


class Tracers:
    """Several tracers behind one name filter (a set of syscall names, or None for all)."""

    def __init__(self, tracers, names=None):
        self.tracers = [t for t in tracers if t is not None]
        self.names = names

    def __call__(self, task, entry, args, result, duration_ns):
        if self.names is not None and entry.name not in self.names:
            return
        for tracer in self.tracers:
            tracer(task, entry, args, result, duration_ns)
