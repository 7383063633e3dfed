"""Calls through the legacy vsyscall page must reach the kernel, not the host.

The host emulates 0xffffffffff600000 (gettimeofday), ...400 (time) and ...800
(getcpu) from the page fault of the call: no `syscall` instruction runs, so
PTRACE_SYSEMU never stops it. Unrouted, such a call is missing from --trace
and gives the host's real time under --deterministic. The stub's seccomp filter
turns it into a PTRACE_EVENT_SECCOMP stop that the kernel answers.
A host booted with vsyscall=none has no such page: the calls fault natively
and under umlskas alike (SIGSEGV).
"""

import re
import signal

import pytest

import harness
from harness import describe, run_guest

EPOCH_S = 1_700_000_000            # --deterministic's CLOCK_REALTIME at boot


def host_has_vsyscall():
    with open("/proc/self/maps") as f:
        return "[vsyscall]" in f.read()


needs_vsyscall = pytest.mark.skipif(not host_has_vsyscall(),
                                    reason="host booted with vsyscall=none")


def _umlskas_only(mode):
    if mode == "native":
        pytest.skip("an umlskas option: no native counterpart")


@needs_vsyscall
@pytest.mark.timeout(90)
def test_vsyscall_values_are_sane(mode, guests):
    """gettimeofday/time/getcpu through the page succeed and agree with clock_gettime."""
    harness.check_guest_against_native(
        mode, lambda tag: [guests.path("sec_vsyscall", static=True)])


@needs_vsyscall
@pytest.mark.timeout(90)
def test_vsyscall_time_is_the_virtual_clock(mode, guests):
    """Under --deterministic the vsyscall clock is the kernel's virtual one, not the host's."""
    _umlskas_only(mode)
    r = run_guest(mode, [guests.path("sec_vsyscall", static=True), "values"],
                  options=["--deterministic"])
    assert r.returncode == 0, describe(r)
    v = {line.split()[0]: [int(x) for x in line.split()[1:]]
         for line in r.stdout.decode().splitlines()}
    assert v["clock_gettime"] == [EPOCH_S], describe(r)
    assert v["gettimeofday"] == [0, EPOCH_S], describe(r)
    assert v["time"] == [EPOCH_S, EPOCH_S], describe(r)
    assert v["getcpu"][0] == 0, describe(r)
    # The same bytes on a second run: nothing of the host's clock leaked in.
    again = run_guest(mode, [guests.path("sec_vsyscall", static=True), "values"],
                      options=["--deterministic"])
    assert again.stdout == r.stdout, describe(again)


@needs_vsyscall
@pytest.mark.timeout(90)
def test_vsyscall_calls_are_traced(mode, guests):
    """--trace shows each vsyscall call as the syscall it stands for."""
    _umlskas_only(mode)
    r = run_guest(mode, [guests.path("sec_vsyscall", static=True), "values"],
                  options=["--trace"])
    assert r.returncode == 0, describe(r)
    err = r.stderr.decode("utf-8", "replace")
    assert re.search(r"^gettimeofday\(\{tv_sec=\d+, tv_usec=\d+\}, NULL\) +\= 0$", err, re.M), \
        describe(r)
    assert re.search(r"^time\(0x[0-9a-f]+\) +\= \d+$", err, re.M), describe(r)
    assert re.search(r"^getcpu\(\[\d+\], \[\d+\], NULL\) +\= 0$", err, re.M), describe(r)


@needs_vsyscall
@pytest.mark.timeout(120)
def test_vsyscall_with_signals_arriving(mode, guests):
    """Signals that land while a vsyscall call is stopped in the kernel get their
    handler frame built after the call returns: the caller's state survives."""
    harness.check_guest_against_native(
        mode, lambda tag: [guests.path("sec_vsyscall", static=True), "signals"], timeout=90)


@needs_vsyscall
@pytest.mark.timeout(60)
def test_misaligned_vsyscall_faults(mode, guests):
    """A call into the page off its entry points: SIGSEGV, natively and under umlskas."""
    r = run_guest(mode, [guests.path("sec_vsyscall", static=True), "misaligned"])
    assert r.returncode == -signal.SIGSEGV, describe(r)
    assert r.stdout == b"before\n", describe(r)


@pytest.mark.skipif(host_has_vsyscall(), reason="host has a vsyscall page")
@pytest.mark.timeout(60)
def test_no_vsyscall_page_faults_as_natively(mode, guests):
    """vsyscall=none: the call faults with SIGSEGV, natively and under umlskas."""
    r = run_guest(mode, [guests.path("sec_vsyscall", static=True)])
    assert r.returncode == -signal.SIGSEGV, describe(r)
