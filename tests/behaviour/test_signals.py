"""Signals: handlers, masks, alternate stacks, siginfo, timers, SIGCHLD,
SIGPIPE and wait statuses (guests tests/guests/sig_*.c), native vs umlskas.

Cases known to fail under umlskas carry ``skas_xfail`` (non-strict xfail for
the non-native modes only; see test_processes.py).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

import harness
from harness import assert_same, describe, native_result, run_guest
from test_processes import Case, check_guest, params, skas_xfail

BUSYBOX = shutil.which("busybox", path="/usr/bin:/bin:/usr/sbin:/sbin")

SIGNAL_CASES = {
    # synchronous faults
    "sigsegv_handler_siglongjmp_from_null_write": Case("sig_segv"),
    "sigaltstack_onstack_catches_stack_overflow": Case("sig_altstack"),
    "handler_frame_on_readonly_altstack_forces_sigsegv": Case("sig_altstack_ro", ("ro",)),
    "handler_frame_on_unmapped_altstack_forces_sigsegv": Case("sig_altstack_ro", ("unmapped",)),
    "nested_handlers_overflowing_altstack_die_of_sigsegv": Case("sig_altstack_ro", ("overflow",)),
    # interrupted system calls
    "alarm_interrupts_pipe_read_eintr_without_sa_restart": Case("sig_alarm_read", ("norestart",)),
    "alarm_with_sa_restart_read_continues": Case("sig_alarm_read", ("restart",)),
    # masks and handler flags
    "blocked_signal_delivered_when_unblocked": Case("sig_mask"),
    "siginfo_signo_code_pid_for_kill_to_self": Case("sig_siginfo"),
    "sa_resethand": Case("sig_flags", ("resethand",)),
    "sa_nodefer": Case("sig_flags", ("nodefer",)),
    "sa_mask_blocks_during_handler": Case("sig_flags", ("mask",)),
    # waiting for signals
    "sigsuspend": Case("sig_suspend"),
    "ppoll_pselect_epoll_pwait_apply_their_mask": Case("sig_pmask"),
    "interrupted_blocking_write_returns_the_part_sent": Case("sig_partial"),
    "pause_woken_by_signal": Case("sig_pause"),
    "sigwaitinfo_sigtimedwait_blocked_pending": Case("sig_wait"),
    "blocked_ignored_signal_stays_pending_sigchld_to_sigtimedwait": Case("sig_blocked_ignored"),
    "setitimer_real_periodic": Case("sig_itimer"),
    # signals and children
    "kill_child_sigterm_wait_status": Case("sig_kill_child"),
    "sigchld_handler_on_child_exit": Case("sig_chld", ("handler",)),
    "sigchld_ignored_children_autoreaped_wait_echild": Case("sig_chld", ("ignore",), timeout=20),
    "sa_nocldwait_handler_still_called": Case("sig_chld", ("nocldwait",), timeout=20),
    # SIGPIPE: the last step kills the guest itself (status -SIGPIPE)
    "sigpipe_default_kills_writer": Case("sig_pipe", ("default",), rc=-13),
    "sigpipe_ignored_write_gives_epipe": Case("sig_pipe", ("ignore",)),
    "sigpipe_handler_then_epipe": Case("sig_pipe", ("handler",)),
    "sigpipe_fifo_write_writev_sendfile": Case("sig_fifo_pipe", ("handler",)),
    "sigpipe_fifo_default_kills_writer": Case("sig_fifo_pipe", ("default",), rc=-13),
}


@pytest.mark.timeout(90)
@pytest.mark.parametrize("case", params(SIGNAL_CASES))
def test_signal(mode, case, guests, request):
    skas_xfail(request, mode, case.skas_xfail)
    check_guest(mode, [guests.path(case.guest), *case.args], rc=case.rc, timeout=case.timeout)


SHELLS = {"dash": "/bin/sh", "busybox": BUSYBOX}


def _shell(name):
    path = SHELLS[name]
    if path is None:
        pytest.skip(f"{name} not installed")
    return [path] if name != "busybox" else [path, "sh"]


SH_KILLED_XFAIL = ""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shell", list(SHELLS))
def test_guest_killed_by_signal_status(mode, shell, request):
    """`sh -c 'kill -TERM $$'` dies of SIGTERM: our caller sees -15, the same
    as natively."""
    skas_xfail(request, mode, SH_KILLED_XFAIL)
    argv = [*_shell(shell), "-c", "kill -TERM $$"]
    expected = native_result(argv)
    assert expected.returncode == -15, describe(expected)
    if mode == "native":
        return
    assert_same(expected, run_guest(mode, argv), mode)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("shell", list(SHELLS))
def test_shell_reports_143_for_sigterm(mode, shell, request):
    """A shell waiting for `sh -c 'kill -TERM $$'` reports $? = 143 (128+15)."""
    skas_xfail(request, mode, SH_KILLED_XFAIL)
    sh = _shell(shell)
    script = f"{' '.join(sh)} -c 'kill -TERM $$'; echo \"status $?\""
    argv = [*sh, "-c", script]
    expected = native_result(argv)
    assert expected.returncode == 0 and expected.stdout == b"status 143\n", describe(expected)
    if mode == "native":
        return
    assert_same(expected, run_guest(mode, argv), mode)


@pytest.mark.timeout(60)
def test_write_to_a_closed_host_pipe_is_sigpipe(mode):
    """`yes | head -1` with umlskas's own stdout the host pipe: the guest's write after
    the reader has gone dies of SIGPIPE (-13), as natively, instead of printing
    "Broken pipe" and exiting 1."""
    argv = ["yes"] if mode == "native" else harness.skas_command(mode, ["yes"])
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=harness.REPO_ROOT, env=dict(harness.DEFAULT_ENV))
    try:
        assert proc.stdout.readline() == b"y\n"
        proc.stdout.close()
        err = proc.stderr.read()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -13, err
