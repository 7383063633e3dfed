"""Guest ptrace: guest tracers over guest tracees (tests/guests/ptrace_*.c), native vs
umlskas in every mode, and Debian's strace run inside the guest."""

from __future__ import annotations

import difflib
import pathlib
import re
import shutil
import subprocess

import pytest

from harness import describe, run_guest
from test_processes import Case, check_guest, params

PTRACE_CASES = {
    "traceme_syscall_stops_info_changed_result_skipped_call": Case("ptrace_basic", ("syscalls",)),
    "signal_delivery_stops_suppress_change_pass": Case("ptrace_basic", ("signals",)),
    "seize_fork_exec_exit_events_in_order": Case("ptrace_basic", ("events",)),
    "peek_poke_user_regsets_process_vm_readv": Case("ptrace_basic", ("memory",)),
    "attach_detach_tracerpid_tracing_stop": Case("ptrace_basic", ("attach",)),
    "seize_interrupt_group_stop_listen_detach_with_signal": Case("ptrace_basic", ("interrupt",)),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", params(PTRACE_CASES))
def test_ptrace(mode, case, guests):
    check_guest(mode, [guests.path(case.guest), *case.args], rc=case.rc, timeout=case.timeout)


# ---- strace inside the guest -----------------------------------------------------------

STRACE = shutil.which("strace", path="/usr/bin:/bin")
# Where strace prints a pid: siginfo, wait4/kill arguments, and what the calls that
# return a pid return.
PID_CONTEXTS = (
    r"(?<=si_pid=)(\d+)", r"(?<=wait4\()(\d+)", r"(?<=kill\()(\d+)",
    r"^(?:clone3?|v?fork|wait4|getpid|gettid|set_tid_address|rt_sigreturn)\(.*= (\d+)$",
)


def normalise_strace(text):
    """strace -f lines as comparable text: unfinished/resumed pairs joined, pids numbered
    by first appearance (only where strace prints a pid), addresses, the environment
    size and random bytes blanked."""
    pending, joined = {}, []
    for line in text.splitlines():
        m = re.match(r"(\d+)\s+(.*)", line)
        if not m:
            continue
        pid, rest = m.groups()
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")]
            continue
        resumed = re.match(r"<\.\.\. \S+ resumed>\s?(.*)", rest)
        if resumed:
            rest = pending.pop(pid, "") + resumed.group(1)
        joined.append((pid, rest))
    # Processes are named in the order they were created (the first line's, then each
    # clone's result), not the order their lines happen to interleave.
    names = {}
    if joined:
        names[joined[0][0]] = "P0"
    for _, rest in joined:
        born = re.match(r"(?:clone3?|v?fork)\(.*\)\s*=\s*(\d+)$", rest)
        if born:
            names.setdefault(born.group(1), f"P{len(names)}")
    for pid, _ in joined:
        names.setdefault(pid, f"P{len(names)}")
    out = []
    for pid, rest in joined:
        rest = re.sub(r"0x[0-9a-f]{5,}", "ADDR", rest)
        rest = re.sub(r"/\* \d+ vars \*/", "/* N vars */", rest)
        rest = re.sub(r'getrandom\("[^"]*"', 'getrandom("..."', rest)
        rest = re.sub(r"getppid\(\)\s+= \d+", "getppid() = PPID", rest)
        rest = re.sub(r"\s*([,()])\s*", r"\1", re.sub(r"\s+", " ", rest))
        for pattern in PID_CONTEXTS:
            rest = re.sub(pattern, lambda m: m.group(0)[:m.start(1) - m.start(0)] + names.get(
                m.group(1), m.group(1)) + m.group(0)[m.end(1) - m.start(0):], rest)
        out.append(f"{names[pid]} {rest}")
    return out


def line_match(native, guest):
    """Share of the native lines found, in order, in the guest's (per process)."""
    def grouped(lines):
        procs = {}
        for line in lines:
            procs.setdefault(line.split(" ", 1)[0], []).append(line)
        return [line for p in sorted(procs) for line in procs[p]]
    a, b = grouped(normalise_strace(native)), grouped(normalise_strace(guest))
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return same / max(len(a), 1), a, b


def _strace_run(mode, tmp_path, args):
    out = tmp_path / f"trace-{mode}.txt"
    result = run_guest(mode, [STRACE, *args[:1], "-o", str(out), *args[1:]], cwd=tmp_path,
                       timeout=120)
    return result, out.read_text() if out.exists() else ""


@pytest.mark.timeout(300)
def test_strace_f_pipeline_matches_native(mode, tmp_path):
    """`strace -f -o t.txt sh -c 'echo a | cat'`: the same trace lines as natively once
    pids and addresses are normalised (the floor is what umlskas's emulation of the
    traced calls allows; the process structure, exits and signals must all be there)."""
    if STRACE is None:
        pytest.skip("strace is not installed (test.sh installs it)")
    native, native_trace = _strace_run("native", tmp_path, ["-f", "sh", "-c", "echo a | cat"])
    assert native.returncode == 0 and native.stdout == b"a\n", describe(native)
    if mode == "native":
        return
    guest, guest_trace = _strace_run(mode, tmp_path, ["-f", "sh", "-c", "echo a | cat"])
    assert (guest.returncode, guest.stdout) == (0, b"a\n"), describe(guest)
    ratio, a, b = line_match(native_trace, guest_trace)
    for needed in ("P0 +++ exited with 0 +++", "P1 +++ exited with 0 +++",
                   "P2 +++ exited with 0 +++", "P2 write(1,\"a\\n\",2)= 2"):
        assert needed in b, needed + "\n" + "\n".join(b)
    assert b[0].startswith("P0 execve(\"/usr/bin/sh\","), b[:3]
    assert any("--- SIGCHLD {si_signo=SIGCHLD,si_code=CLD_EXITED" in line for line in b), b
    assert ratio >= 0.9, f"{ratio:.0%} of native lines matched\n" + "\n".join(
        difflib.unified_diff(a, b, lineterm="", n=0))


@pytest.mark.timeout(300)
def test_strace_f_threads(mode, tmp_path, guests):
    """strace -f on a program with a thread: the thread is followed from its clone to its
    own exit report, and strace ends cleanly."""
    if STRACE is None:
        pytest.skip("strace is not installed (test.sh installs it)")
    prog = guests.path("ptrace_threads")
    native, native_trace = _strace_run("native", tmp_path, ["-f", prog])
    assert native.returncode == 0 and native.stdout == b"thread\nmain\n", describe(native)
    if mode == "native":
        return
    guest, guest_trace = _strace_run(mode, tmp_path, ["-f", prog])
    assert (guest.returncode, guest.stdout) == (0, b"thread\nmain\n"), describe(guest)
    ratio, a, b = line_match(native_trace, guest_trace)
    for needed in ("P1 write(1,\"thread\\n\",7)= 7", "P1 exit(0)= ?",
                   "P1 +++ exited with 0 +++", "P0 +++ exited with 0 +++"):
        assert needed in b, needed + "\n" + "\n".join(b)
    assert ratio >= 0.85, f"{ratio:.0%} of native lines matched\n" + "\n".join(
        difflib.unified_diff(a, b, lineterm="", n=0))


@pytest.mark.timeout(300)
def test_strace_c_counts_the_calls(mode, tmp_path):
    """`strace -c`: the summary table names the calls the guest made."""
    if STRACE is None:
        pytest.skip("strace is not installed (test.sh installs it)")
    result, table = _strace_run(mode, tmp_path, ["-c", "sh", "-c", "echo a | cat"])
    assert result.returncode == 0 and result.stdout == b"a\n", describe(result)
    assert "% time" in table and "total" in table, table
    names = {line.split()[-1] for line in table.splitlines()[2:] if line.split()}
    for call in ("execve", "pipe2", "clone", "wait4", "close", "mmap"):
        assert call in names, table


# ---- gdb inside the guest ----------------------------------------------------------------

GDB = shutil.which("gdb", path="/usr/bin:/bin")
GDB_NOISE = re.compile(r"^(warning: |Using host libthread_db|\[Thread debugging|\[Inferior|"
                       r"Terminated|Download|\d+\t\.\./sysdeps)")


@pytest.fixture(scope="module")
def gdb_target(tmp_path_factory):
    """tests/guests/ptrace_gdb_target.c with debug information (-g -O0)."""
    if GDB is None:
        pytest.skip("gdb is not installed (test.sh installs it)")
    src = pathlib.Path(__file__).resolve().parent.parent / "guests" / "ptrace_gdb_target.c"
    out = tmp_path_factory.mktemp("gdb") / "target"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(out), str(src)], check=True, timeout=120)
    return out


def _tt_gdb_xfail(mode, request):
    if mode == "tt":
        request.applymarker(pytest.mark.xfail(
            reason="TT mode offers no single-step (a host PTRACE_SINGLESTEP would run a "
                   "guest `syscall` on the host), and a resumed breakpoint lands in the TT "
                   "handler's pages", strict=False))


def normalise_gdb(text, pie=False):
    """gdb's answers without what differs between any two runs (stack and library
    addresses, pids) and the lines it prints about its own set-up."""
    out = []
    for line in text.decode(errors="replace").splitlines():
        if GDB_NOISE.match(line):
            continue
        line = re.sub(r"0x0*7f[0-9a-f]{10}", "0xSTACK_OR_LIB", line)
        line = re.sub(r"process \d+", "process PID", line)
        if pie:     # a process gdb did not start has the address-space randomisation on
            line = re.sub(r"0x0*5[0-9a-f]{11}\b", "0xPIE", line)
        out.append(line)
    return out


def _gdb(mode, argv, cwd, pie=False):
    result = run_guest(mode, argv, cwd=cwd, timeout=180)
    return result, normalise_gdb(result.stdout + result.stderr, pie)


GDB_SESSIONS = {
    "crash_run_bt_info_registers_rip":
        ["-ex", "run", "-ex", "bt", "-ex", "info registers rip", "--args", "{target}", "crash"],
    "breakpoint_next_step_print_finish":
        ["-ex", "break square", "-ex", "run", "-ex", "bt", "-ex", "print v", "-ex", "next",
         "-ex", "next", "-ex", "print sq", "-ex", "finish", "-ex", "delete", "-ex", "step",
         "-ex", "info registers rip", "-ex", "continue", "{target}"],
}


@pytest.mark.timeout(400)
@pytest.mark.parametrize("session", list(GDB_SESSIONS))
def test_gdb_session_matches_native(mode, session, gdb_target, tmp_path, request):
    """gdb -batch on a program run under it: the same answers as natively."""
    _tt_gdb_xfail(mode, request)
    argv = [GDB, "-nx", "-batch", *(a.format(target=gdb_target) for a in GDB_SESSIONS[session])]
    native, expected = _gdb("native", argv, tmp_path)
    assert native.returncode == 0 and expected, describe(native)
    assert any(line.startswith(("#0", "Breakpoint 1,")) for line in expected), expected
    if mode == "native":
        return
    guest, got = _gdb(mode, argv, tmp_path)
    assert guest.returncode == 0, describe(guest)
    assert got == expected, "\n".join(difflib.unified_diff(expected, got, lineterm=""))


@pytest.mark.timeout(400)
def test_gdb_attach_to_running_process(mode, gdb_target, tmp_path):
    """`gdb -p PID` on a process that waits in pause(): frames, a local, rip (no
    single-step needed: this works in TT mode too)."""
    script = (f"{gdb_target} wait > /dev/null & sleep 0.5; "
              f"{GDB} -nx -batch -p $! -ex 'frame 1' -ex 'print total' "
              f"-ex 'info registers rip' 2>&1; kill $!; wait $!; echo status $?")
    argv = ["/bin/sh", "-c", script]
    native, expected = _gdb("native", argv, tmp_path, pie=True)
    assert "$1 = 14" in expected and "status 143" in expected, describe(native)
    if mode == "native":
        return
    guest, got = _gdb(mode, argv, tmp_path, pie=True)
    assert got == expected, "\n".join(difflib.unified_diff(expected, got, lineterm=""))
