"""trace.py: one decoder behind the text trace, the JSON trace and the filters."""

import io
import json

import pytest

from umlskas import trace
from umlskas.kernel.errors import SyscallError
from umlskas.kernel.syscalls.table import BY_NAME


class FakeMM:
    def __init__(self, memory):
        self.memory = memory

    def read_cstr(self, addr, limit):
        if addr not in self.memory:
            raise SyscallError(14)
        return self.memory[addr].split(b"\0")[0][:limit]

    def read(self, addr, size):
        if addr not in self.memory:
            raise SyscallError(14)
        return self.memory[addr][:size]


class FakeKernel:
    next_pid = 2
    tasks = {1: None}


class FakeTask:
    tid = tgid = 1
    kernel = FakeKernel()

    def __init__(self, memory=None):
        self.mm = FakeMM(memory or {})


def test_text_format_unchanged():
    task = FakeTask({0x1000: b"/etc/passwd\0", 0x2000: b"hello\n"})
    line = trace.format_call(task, BY_NAME["openat"], [-100, 0x1000, 0o2000000 | 0o100, 0o644], 3)
    assert line == 'openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CREAT|O_CLOEXEC, 0644) = 3'
    line = trace.format_call(task, BY_NAME["write"], [1, 0x2000, 6], 6)
    assert line == 'write(1, "hello\\n", 6) = 6'
    line = trace.format_call(task, BY_NAME["openat"], [-100, 0x9999, 0, 0], -2)
    assert line == "openat(AT_FDCWD, 0x9999, O_RDONLY) = -1 ENOENT (No such file or directory)"
    line = trace.format_call(task, BY_NAME["mmap"], [0, 4096, 3, 0x22, -1, 0], 0x7f0000000000)
    assert line == "mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000"


def test_text_tracer_output():
    out = io.StringIO()
    trace.TextTracer(out)(FakeTask(), BY_NAME["close"], [3], 0, 10)
    assert out.getvalue() == "close(3)" + " " * 32 + "= 0\n"     # strace's column 40


def test_json_record_uses_the_same_decoding():
    task = FakeTask({0x1000: b"caf\xc3\xa9 \xff\0", 0x2000: b"x" * 100})
    rec = trace.call_record(task, BY_NAME["openat"], [-100, 0x1000, 0o1101, 0o600], -13, 5, 7)
    assert rec == {"tid": 1, "tgid": 1, "nr": BY_NAME["openat"].nr, "name": "openat",
                   "args": ["AT_FDCWD", "caf\u00e9 \\xff", "O_WRONLY|O_CREAT|O_TRUNC", "0600"],
                   "result": -13, "errno": "EACCES", "start_ns": 5, "duration_ns": 7}
    rec = trace.call_record(task, BY_NAME["write"], [1, 0x2000, 100], 100, 0, 0)
    assert rec["args"] == [1, "x" * 32 + "...", 100]
    assert rec["errno"] is None


def test_json_tracer_lines():
    out = io.StringIO()
    tracer = trace.JsonTracer(out)
    tracer(FakeTask(), BY_NAME["getpid"], [], 1, 100)
    tracer(FakeTask(), BY_NAME["exit_group"], [0], None, 0)
    first, second = [json.loads(line) for line in out.getvalue().splitlines()]
    assert first["name"] == "getpid" and first["duration_ns"] == 100 and first["start_ns"] >= 0
    assert second["result"] is None and second["args"] == [0]


def test_filters_and_classes():
    assert trace.parse_filter(None) is None and trace.parse_filter("all") is None
    assert trace.parse_filter("open,close") == {"open", "close"}
    file_calls = trace.parse_filter("%file")
    assert {"open", "openat", "execve", "stat", "unlink"} <= file_calls
    assert "read" not in file_calls and "mmap" not in file_calls
    assert {"clone", "execve", "exit_group", "wait4", "kill"} <= trace.parse_filter("%process")
    assert {"rt_sigaction", "rt_sigprocmask", "kill"} <= trace.parse_filter("%signal")
    assert {"mmap", "munmap", "brk", "mprotect"} <= trace.parse_filter("%memory")
    assert {"read", "write", "close"} <= trace.parse_filter("%desc")
    negated = trace.parse_filter("!%memory")
    assert "mmap" not in negated and "read" in negated
    for name in trace.TRACE_CLASSES:
        assert trace.parse_filter("%" + name)
    with pytest.raises(ValueError):
        trace.parse_filter("nosuch")
    with pytest.raises(ValueError):
        trace.parse_filter("%nosuch")


def test_filtered_tracers_and_summary():
    out = io.StringIO()
    summary = trace.SummaryTracer()
    both = trace.Tracers([trace.TextTracer(out), summary], trace.parse_filter("close,openat"))
    task = FakeTask()
    both(task, BY_NAME["close"], [3], 0, 2000)
    both(task, BY_NAME["close"], [9], -9, 4000)
    both(task, BY_NAME["getpid"], [], 1, 1000)          # filtered out
    assert out.getvalue() == (
        "close(3)                                = 0\n"
        "close(9)                                = -1 EBADF (Bad file descriptor)\n")
    report = io.StringIO()
    summary.report(report)
    lines = report.getvalue().splitlines()
    assert lines[0] == "% time     seconds  usecs/call     calls    errors syscall"
    assert lines[2].split() == ["100.00", "0.000006", "3", "2", "1", "close"]
    assert lines[-1].split() == ["100.00", "0.000006", "3", "2", "1", "total"]


def test_fcntl_commands_have_x86_64_names():
    from umlskas.trace_tables import FCNTL_COMMANDS as names
    assert (names[5], names[6], names[7], names[8], names[37]) == (
        "F_GETLK", "F_SETLK", "F_SETLKW", "F_SETOWN", "F_OFD_SETLK")
