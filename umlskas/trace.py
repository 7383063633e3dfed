"""The trace of guest syscalls: strace -f's text lines (TextTracer), JSON lines, strace -c's
table and --trace=NAMES filters. Calls are decoded by trace_calls (one formatter per call,
structs from trace_structs, names from trace_tables), the rest from the syscall table's
argument kinds (decode_arg, which the JSON trace uses too)."""

import collections
import errno
import json
import os
import sys
import time

from . import trace_structs as S
from . import trace_tables as T
from .kernel.errors import SyscallError
from .kernel.signals import NEVER_RESTART
from .trace_calls import CAPTURE_AT_ENTRY, FORMATTERS, Call
from .trace_structs import quote

STRING_LIMIT = 32
ARGV_LIMIT = 4096
AT_FDCWD = -100

_quote = quote


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
                return Sym("NULL" if value == 0 else hex(value))
            return Buf(mm.read(value, min(result, STRING_LIMIT + 1)), STRING_LIMIT)
    except (SyscallError, OSError):
        return Sym(hex(value))
    if kind == "dirfd" and value == AT_FDCWD:
        return Sym("AT_FDCWD")
    namer = KIND_NAMES.get(kind)
    if namer is not None:
        return Sym(namer(value))
    if kind in ("ptr", "struct", "sigset", "argv") or kind.endswith("buf"):
        return Sym("NULL" if value == 0 else hex(value))
    return value


KIND_NAMES = {
    "oflags": lambda v: T.open_flags(v & 0xFFFFFFFF),
    "prot": lambda v: T.flags(v, T.PROT_FLAGS, "PROT_NONE"),
    "mmapflags": lambda v: T.MAP_TYPES.get(v & 0xF, hex(v & 0xF)) + (
        "|" + T.flags(v & ~0xF, T.MAP_FLAGS) if v & ~0xF else ""),
    "atflags": lambda v: T.flags(v, T.AT_FLAGS),
    "mode": S.octal,
    "signal": lambda v: T.signal_name(v) if 0 < v <= 64 else str(v),
    "clockid": lambda v: T.enum(v, T.CLOCK_IDS, "{}"),
    "whence": lambda v: T.enum(v, T.SEEK_WHENCE, "{}"),
    "fcntlcmd": lambda v: T.enum(v, T.FCNTL_COMMANDS),
    "ioctlcmd": lambda v: T.enum(v & 0xFFFFFFFF, T.IOCTL_NAMES),
    "futexop": lambda v: T.futex_op(v & 0xFFFFFFFF),
    "sighow": lambda v: T.enum(v, T.SIGPROCMASK_HOW, "{}"),
    "archprctl": lambda v: T.enum(v, T.ARCH_PRCTL),
    "cloneflags": lambda v: T.flags(v & ~0xFF, T.CLONE_FLAGS, "") + (
        ("|" if v & ~0xFF else "") + T.signal_name(v & 0xFF) if v & 0xFF else "") or "0",
    "accessmode": lambda v: T.flags(v, T.ACCESS_MODES, "F_OK"),
    "resource": lambda v: T.enum(v, T.RLIMIT_NAMES, "{}"),
}


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


# The kernel's restart codes, as strace names a call a signal interrupts.
RESTART_CODES = {512: ("ERESTARTSYS", "To be restarted if SA_RESTART is set"),
                 513: ("ERESTARTNOINTR", "To be restarted"),
                 514: ("ERESTARTNOHAND", "To be restarted if no handler"),
                 516: ("ERESTART_RESTARTBLOCK", "Interrupted by signal")}
RESTARTBLOCK_CALLS = frozenset({"nanosleep", "clock_nanosleep", "poll"})


def format_result(entry, result):
    if result is None:
        return "?"
    if result < 0 and -result < 4096:
        restart = RESTART_CODES.get(-result)
        if restart is not None:
            if entry.name in RESTARTBLOCK_CALLS:
                restart = RESTART_CODES[516]
            return f"? {restart[0]} ({restart[1]})"
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
        # python-ptrace's fcntl and futex tables have another architecture's numbers
        # or miss the newer ones: the argument kinds name those (trace_tables).
        for name in ("fcntl", "futex", "getrlimit", "setrlimit", "rt_sigprocmask", "lseek"):
            _CONSTANT_NAMES.pop(name, None)
    return _CONSTANT_NAMES.get(name, {})


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
            n = len(value)
            value = Sym(f"{args[i]:#x} /* {n} var{'' if n == 1 else 's'} */")
        shown.append(value)
    return shown


def format_call(task, entry, args, result, captured=None):
    """One strace-style line: name(args) = result."""
    return format_call_parts(task, entry, args, result, captured=captured)


def format_call_parts(task, entry, args, result, split=False, captured=None):
    """format_call's line; with split, only the part strace prints when the call
    enters and waits: "name(" and the arguments up to the first the call fills."""
    formatter = FORMATTERS.get(entry.name)
    call = None
    shown = None
    if formatter is not None:
        call = Call(task, entry, args, result, None, captured)
        try:
            shown = formatter(call)
        except Exception:           # noqa: BLE001 - a decoding problem never ends a run
            shown = None            # unreadable or odd guest memory: fall back to the kinds
    if shown is None:
        shown = [render_text(v) for v in decode_args(task, entry, args, result)]
    if split:
        head = f"{entry.name}("
        after = _filled(entry, shown)
        kept = shown[:after]
        return head + "".join(a + ", " for a in kept) if after < len(shown) else \
            head + ", ".join(kept)
    if call is not None and call.result_text is not None:
        text = call.result_text
    else:
        text = format_result(entry, result)
    if call is not None and call.suffix:
        text += call.suffix
    return f"{entry.name}({', '.join(shown)}) = {text}"


# Arguments a waiting call fills (by index): strace prints them only when it returns.
FILLED_ARGS = {"read": 1, "pread64": 1, "readv": 1, "preadv": 1, "recvfrom": 1, "recvmsg": 1,
               "wait4": 1, "waitid": 2, "poll": 99, "ppoll": 99, "select": 99, "pselect6": 99,
               "nanosleep": 1, "clock_nanosleep": 3, "epoll_wait": 1, "epoll_pwait": 1,
               "accept": 1, "accept4": 1, "rt_sigtimedwait": 1, "futex": 99, "pause": 0,
               "rt_sigsuspend": 99, "msgrcv": 1, "getrandom": 0, "connect": 99,
               "sendto": 99, "sendmsg": 99, "write": 99, "writev": 99, "open": 99,
               "openat": 99, "flock": 99, "fcntl": 99, "semop": 99, "mq_timedreceive": 1}


def _filled(entry, shown):
    """How many of the shown arguments strace prints at a waiting call's entry."""
    n = FILLED_ARGS.get(entry.name)
    if n is None:
        n = next((i for i, k in enumerate(entry.kinds) if k in ("outbuf", "struct")),
                 len(shown))
    return min(n, len(shown))


def call_record(task, entry, args, result, start_ns, duration_ns):
    """One call as a JSON-ready dict (the --trace-json line)."""
    error = None
    if result is not None and result < 0 and -result < 4096:
        restart = RESTART_CODES.get(-result)
        error = restart[0] if restart else errno.errorcode.get(-result, str(-result))
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


ALIGN_COLUMN = 40       # strace's -a default: " = " starts at this column when it can


class TextTracer:
    """Prints strace -f's lines: one per guest syscall, signal delivery (--- SIG ---) and
    exit (+++ exited +++), with "[pid N] " while several tasks live, or with every
    line in a pid column when writing to a file (pid_column, as strace -f -o FILE)."""

    def __init__(self, stream=None, pid_column=False):
        self.stream = stream or sys.stderr
        self.pid_column = pid_column
        self.held = {}          # tid -> lines shown at its next syscall (ignored signals)
        self.ended = {}         # tid -> the waiting call already shown as interrupted
        self.calling = None     # (task, entry, args) of the call running now (traced path)
        self.names = None       # the --trace=NAMES selection (Tracers sets it), None for all
        self.early = None       # (tid, args) of a call printed before it returned
        self.captured = {}      # tid -> (args, what CAPTURE_AT_ENTRY read at the start)
        # tid -> (entry, args, length of its "<unfinished ...>" part or None, task)
        self.waiting = {}

    def _prefix(self, task, gone=False):
        if self.pid_column:
            return f"{task.tid:<5d} "
        live = len(task.kernel.tasks) + (gone and task.tid not in task.kernel.tasks)
        if live > 1:
            return f"[pid {task.tid:5d}] "
        return ""

    def _early(self, task, entry, args, result):
        """Print a call's line before it returns (its process ends during it)."""
        self(task, entry, args, result, 0)
        self.early = (task.tid, args)

    def __call__(self, task, entry, args, result, duration_ns):
        early = self.early
        if early is not None:
            self.early = None
            if early[0] == task.tid and early[1] is args:
                return                  # printed already, by _early
        self.calling = None
        self._interleave(task)
        captured = self.captured.pop(task.tid, None) if self.captured else None
        captured = captured[1] if captured is not None and captured[0] is args else None
        opened = self.waiting.pop(task.tid, None)
        if opened is not None and opened[2] is not None and opened[0] is entry:
            # Its "<unfinished ...>" is out: the rest of the line, as strace resumes it.
            after = format_call_parts(task, entry, args, result, captured=captured)
            self._write(align(self._prefix(task) + f"<... {entry.name} resumed>" +
                              after[opened[2]:]))
        else:
            self._write(align(self._prefix(task) +
                              format_call(task, entry, args, result, captured)))
        held = self.held.pop(task.tid, None)
        if held:
            for text in held:
                self._write(self._prefix(task) + text)

    def _interleave(self, task):
        """Another task's line comes: calls still waiting print "<unfinished ...>" first."""
        if not self.waiting:
            return
        for tid, (entry, args, cut, other) in list(self.waiting.items()):
            if tid == task.tid or cut is not None:
                continue
            # The part strace prints at entry: the arguments the call only reads, up to
            # the first one it writes (those differ once it has returned).
            before = format_call_parts(other, entry, args, None, split=True)
            self.waiting[tid] = (entry, args, len(before), other)
            self._write(self._prefix(other) + before + " <unfinished ...>")

    def event(self, task, kind, value):
        """A line that is no syscall: a signal taken (value: (sig, siginfo bytes)), one
        the kernel discards as ignored (shown after the task's next call, where a traced
        Linux task takes it), a call that waits ("blocked": (entry, args)), or the end
        of a task (value: its wait status)."""
        if kind in ("enter", "blocked") and self.names is not None and \
                value[0].name not in self.names:
            return                      # a call --trace=NAMES leaves out
        if kind == "enter":
            entry, args = value
            self.calling = (task, entry, args)
            capture = CAPTURE_AT_ENTRY.get(entry.name)
            if capture is not None:
                try:
                    self.captured[task.tid] = (args, capture(task, args))
                except Exception:       # noqa: BLE001 - shown from the call's end instead
                    pass
            if entry.ret == "noreturn" and entry.name != "rt_sigreturn":
                self._early(task, entry, args, None)       # exit, exit_group: "= ?" first
            return
        if kind == "blocked":
            entry, args = value
            if task.tid not in self.waiting:
                # As strace prints a call's start when it enters: other waiting calls
                # end their lines as unfinished before this one's.
                self._interleave(task)
                self.waiting[task.tid] = (entry, args, None, task)
            return
        if kind in ("signal", "ignored_signal"):
            sig, info = value
            text = f"--- {T.signal_name(sig)} {S.siginfo_bytes(info)} ---"
            if kind == "ignored_signal":
                self.held.setdefault(task.tid, []).append(text)
                return
            # A fatal signal ends a waiting call: strace shows the call interrupted first;
            # one a call sends to its own process (raise, abort) shows after that call.
            self._end_waiting_call(task, interrupted=True)
            calling = self.calling
            if calling is not None and calling[0].tgid == task.tgid and self.early is None:
                self._early(*calling, 0)
            self._interleave(task)
            self._write(self._prefix(task) + text)
        elif kind == "exit":
            self.held.pop(task.tid, None)
            self._end_waiting_call(task, interrupted=False)
            self.waiting.pop(task.tid, None)
            self.captured.pop(task.tid, None)
            self.ended.pop(task.tid, None)
            self._interleave(task)
            self._write(self._prefix(task, gone=True) + exit_text(value))

    def _end_waiting_call(self, task, interrupted):
        """The line of the call task waits in (parked by the kernel), once."""
        blocked = getattr(task, "blocked", None)
        if not blocked or getattr(blocked[0], "name", None) is None:
            return
        entry, args = blocked
        if self.ended.get(task.tid) is blocked or \
                (self.names is not None and entry.name not in self.names):
            return
        self.ended[task.tid] = blocked
        result = None
        if interrupted:
            result = -514 if entry.name in NEVER_RESTART else -512
        self(task, entry, args, result, 0)

    def _write(self, line):
        self.stream.write(line + "\n")
        self.stream.flush()


def align(line):
    """Pad before " = " to strace's column (counting the pid prefix, as strace does)."""
    head, sep, tail = line.rpartition(") = ")
    if not sep:
        return line
    head += ")"
    if len(head) + 1 < ALIGN_COLUMN:
        return head.ljust(ALIGN_COLUMN - 1) + " = " + tail
    return head + " = " + tail


def exit_text(wstatus):
    """+++ exited with N +++, +++ killed by SIGX (core dumped) +++."""
    sig = wstatus & 0x7F
    if sig == 0:
        return f"+++ exited with {(wstatus >> 8) & 0xFF} +++"
    core = " (core dumped)" if wstatus & 0x80 else ""
    return f"+++ killed by {T.signal_name(sig)}{core} +++"


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
        for tracer in self.tracers:
            if hasattr(tracer, "names"):
                tracer.names = names    # for the lines it prints outside a call's end

    def __call__(self, task, entry, args, result, duration_ns):
        if self.names is not None and entry.name not in self.names:
            return
        for tracer in self.tracers:
            tracer(task, entry, args, result, duration_ns)

    def event(self, task, kind, value):
        """Signal and exit lines, for the tracers that print them (strace prints them
        whatever -e trace= selects)."""
        for tracer in self.tracers:
            event = getattr(tracer, "event", None)
            if event is not None:
                event(task, kind, value)
