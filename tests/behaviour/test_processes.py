"""Processes and threads: fork/wait, vfork/posix_spawn, execve, process
groups, pthreads (guests tests/guests/proc_*.c and thr_*.c), native vs umlskas.

Every guest prints deterministic text only (booleans instead of pids).  The
native run is the oracle; it must also be free of "BAD" lines and repeatable.
Cases known to fail under umlskas carry ``skas_xfail``: the xfail marker is
added for the non-native modes only (strict=False, so a fix shows as XPASS).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from harness import assert_same, bad_lines, describe, native_result, run_guest


def skas_xfail(request, mode, reason):
    """Mark the running test xfail (non-strict) when it runs under umlskas."""
    if reason and mode != "native":
        request.applymarker(pytest.mark.xfail(reason=reason, strict=False))


def check_guest(mode, argv, *, rc=0, repeat=True, timeout=None, **kw):
    """Natively: status rc, some output, no BAD line and (repeat=True) the
    same output twice.  Otherwise: same stdout and status as natively."""
    argv = [str(a) for a in argv]
    if mode == "native":
        first = run_guest("native", argv, timeout=timeout, **kw)
        assert first.returncode == rc, describe(first)
        assert first.stdout, describe(first)
        assert not bad_lines(first.stdout), "\n".join(bad_lines(first.stdout)) + "\n" + describe(first)
        if repeat:
            second = run_guest("native", argv, timeout=timeout, **kw)
            assert (second.returncode, second.stdout) == (first.returncode, first.stdout), \
                "native output is not deterministic:\n" + describe(first) + "\n" + describe(second)
        return first
    expected = native_result(argv, **kw)
    assert expected.returncode == rc, "native run: " + describe(expected)
    got = run_guest(mode, argv, timeout=timeout, **kw)
    assert_same(expected, got, mode)
    return got


@dataclass(frozen=True)
class Case:
    guest: str
    args: tuple = ()
    rc: int = 0
    skas_xfail: str = ""
    timeout: float | None = None  # per umlskas run (harness default otherwise)


def params(cases: dict):
    return [pytest.param(c, id=name) for name, c in cases.items()]


# --------------------------------------------------------------------------
# wait family

WAIT_CASES = {
    "hundred_children_distinct_codes_wait4": Case("proc_wait", ("hundred",), timeout=90),
    "waitpid_wnohang_before_and_after_exit": Case("proc_wait", ("nohang",)),
    "waitid_p_pid_p_all_wexited_wnowait": Case("proc_wait", ("waitid",)),
    "echild_without_children": Case("proc_wait", ("echild",)),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", params(WAIT_CASES))
def test_wait(mode, case, guests, request):
    skas_xfail(request, mode, case.skas_xfail)
    check_guest(mode, [guests.path(case.guest), *case.args], rc=case.rc, timeout=case.timeout)


@pytest.mark.timeout(60)
def test_orphan_is_reparented(mode, guests):
    """The grandchild's getppid() changes once its parent exits (to the
    guest's init under umlskas; natively to init or a subreaper)."""
    check_guest(mode, [guests.path("proc_orphan")])


@pytest.mark.timeout(60)
def test_clone3_and_clone_argument_checks(mode, guests):
    """Invalid clone3/clone flag combinations, sizes, exit signals, stacks and set_tid
    fail in Linux's order before any child exists; CLONE_PIDFD and
    CLONE_CLEAR_SIGHAND do what they say."""
    check_guest(mode, [guests.path("proc_clone3_flags")])


# --------------------------------------------------------------------------
# vfork, posix_spawn, execve

VFORK_CASES = {
    "vfork_then_exit_shares_memory": Case("proc_vfork", ("exit",)),
    "vfork_then_execve": Case("proc_vfork", ("exec",)),
    "posix_spawn_true_and_missing_program_enoent": Case("proc_vfork", ("spawn",)),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", params(VFORK_CASES))
def test_vfork_and_spawn(mode, case, guests, request):
    skas_xfail(request, mode, case.skas_xfail)
    check_guest(mode, [guests.path(case.guest), *case.args], rc=case.rc)


SCRIPTS = {
    "hello.sh": ('#!/bin/sh\necho "argc=$#"\nfor a in "$@"; do echo "arg: $a"; done\nexit 3\n', 0o755),
    "args.sh": ("#!/bin/echo interp-arg\n", 0o755),
    "nested.sh": ("#!./hello.sh\n", 0o755),
    "badinterp.sh": ("#!/nonexistent/interp\n", 0o755),
    "noexec.sh": ("#!/bin/sh\necho no\n", 0o644),
    "spaced.sh": ("#!  /bin/sh  \necho spaced\n", 0o755),
}


def _write_scripts(d):
    d.mkdir()
    for name, (text, perm) in SCRIPTS.items():
        (d / name).write_text(text)
        os.chmod(d / name, perm)
    return d.resolve()


@pytest.mark.timeout(60)
def test_execve_hashbang_script(mode, guests, tmp_path):
    """execve of #! scripts written to tmp_path: arguments, interpreter
    argument, nested interpreter, ENOENT interpreter, EACCES."""
    binary = guests.path("proc_exec")
    if mode == "native":
        check_guest("native", [binary, "script", _write_scripts(tmp_path / "native")])
        return
    expected = run_guest("native", [binary, "script", _write_scripts(tmp_path / "native")])
    assert expected.returncode == 0, describe(expected)
    got = run_guest(mode, [binary, "script", _write_scripts(tmp_path / mode)])
    assert_same(expected, got, mode)


@pytest.mark.timeout(60)
def test_close_on_exec_and_inherited_fds(mode, guests):
    """O_CLOEXEC / FD_CLOEXEC / dup3 / F_DUPFD_CLOEXEC descriptors are gone
    after execve; the others (a pipe with data in it) are inherited."""
    check_guest(mode, [guests.path("proc_exec"), "cloexec"])


# --------------------------------------------------------------------------
# pipes, ids, process groups


@pytest.mark.timeout(90)
def test_fork_pipe_round_trips(mode, guests):
    """1000 request/answer round trips and 1 MiB through pipes to a child, EOF, EPIPE."""
    check_guest(mode, [guests.path("proc_pipe")], timeout=75)


@pytest.mark.timeout(60)
def test_getpid_getppid_relations(mode, guests):
    check_guest(mode, [guests.path("proc_ids")])


@pytest.mark.timeout(60)
def test_process_groups_and_sessions(mode, guests):
    """setpgid/getpgid/setsid/getsid relations, EPERM cases, kill(-pgid)."""
    check_guest(mode, [guests.path("proc_pgrp")])


# --------------------------------------------------------------------------
# threads

THREAD_CASES = {
    "four_threads_mutex_counter_condvar": Case("thr_counter", timeout=75),
    "pthread_join_values_and_pthread_exit": Case("thr_join", rc=3),
    "main_thread_pthread_exit_last_thread_ends_process": Case("thr_join", ("main-exit",), rc=0),
    "exit_from_non_main_thread": Case("thr_exit_group", ("exit",), rc=7),
    "exit_group_from_non_main_thread": Case("thr_exit_group", ("exit_group",), rc=9),
    "raw_thread_exit_leaves_others_running": Case("thr_exit_group", ("raw_exit",), rc=4),
    "futex_wake_count_zero_wakes_one_requeue_counts": Case("thr_futex_wake_zero"),
}


@pytest.mark.timeout(90)
@pytest.mark.parametrize("case", params(THREAD_CASES))
def test_threads(mode, case, guests, request):
    skas_xfail(request, mode, case.skas_xfail)
    check_guest(mode, [guests.path(case.guest), *case.args], rc=case.rc, timeout=case.timeout)
