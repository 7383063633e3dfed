"""Long timeouts (issue 10, item 5): a guest's wait of decades must neither crash the
kernel's run loop (a host poll() takes an int of ms) nor keep umlskas from acting on a
signal sent to it: SIGTERM to umlskas reaches the guest at once."""

import os
import select
import signal
import subprocess
import time

import pytest

import harness


def test_huge_timeouts_wait_and_are_interrupted(mode, guests):
    """alarm(0xffffffff), nanosleep/clock_nanosleep/select/ppoll/pselect6/futex/
    rt_sigtimedwait/timer_settime/setitimer with tv_sec LONG_MAX, poll/epoll_wait with
    INT_MAX ms: each waits until a signal ends it with EINTR, and reports Linux's
    clamped times."""
    harness.check_guest_against_native(mode, lambda tag: [guests.path("sec_timeouts")])


def _run_then_sigterm(mode, argv):
    """Start argv (natively or under mode), wait for its "ready" line, let it settle in
    its wait, send SIGTERM to the top process; (returncode, seconds SIGTERM took)."""
    cmd = argv if mode == "native" else harness.skas_command(mode, argv)
    started = time.time()
    proc = subprocess.Popen(cmd, cwd=harness.REPO_ROOT, env=dict(harness.DEFAULT_ENV),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready and proc.stdout.readline() == b"ready\n", "the guest never got ready"
        time.sleep(0.5)                       # into its wait
        assert proc.poll() is None
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{mode}: SIGTERM did not end `{' '.join(argv)}` in 10 s")
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    if mode != "native":
        harness._check_no_stub_left(started, " ".join(cmd))
    return proc.returncode, took, err


@pytest.mark.parametrize("wait", ["pause", "nanosleep"])
def test_sigterm_ends_a_long_sleep_at_once(mode, guests, wait):
    """`sleep infinity` (pause) and a nanosleep of LONG_MAX seconds: SIGTERM sent to
    umlskas is forwarded to the guest at once, which dies of it as natively (143 in a
    shell), not after the 7 s backstop with 130, nor with the loop's overflow (125)."""
    argv = ["/bin/sh", "-c", "echo ready; exec sleep infinity"] if wait == "pause" else \
        [guests.path("sec_timeouts"), "sleep"]
    code, took, err = _run_then_sigterm(mode, argv)
    assert code == -signal.SIGTERM, (code, err.decode(errors="replace")[-2000:])
    assert took < 2.0, f"{mode}: SIGTERM took {took:.2f} s to end the guest"
