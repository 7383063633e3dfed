"""Scheduling attributes, I/O priorities, clocks, the kernel log and the privileged
administrative calls (guests tests/guests/sys_*.c), native vs umlskas."""

from __future__ import annotations

import os
import signal
import time

import pytest

from harness import bad_lines, check_guest_against_native, describe, guest_sources, run_guest

# sys_root_only_* guests change the clock or reboot: they run under umlskas only.
SYS_GUESTS = sorted(name for name, _ in guest_sources()
                    if name.startswith("sys_") and not name.startswith("sys_root_only_"))


def test_sys_guests_found():
    assert {"sys_sched", "sys_clock_admin", "sys_memquery", "sys_seccomp",
            "sys_other_process", "sys_keys", "sys_fhandle", "sys_statmount"} <= set(SYS_GUESTS)


NEEDS_DIR = {"sys_fhandle", "sys_cachestat"}       # argv[1]: a fresh scratch directory


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", SYS_GUESTS)
def test_sys_guest(mode, name, guests, tmp_path):
    def argv(tag):
        if name not in NEEDS_DIR:
            return [guests.path(name)]
        scratch = tmp_path / tag
        scratch.mkdir()
        return [guests.path(name), str(scratch)]
    check_guest_against_native(mode, argv)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("umlmode", ["skas", "tt"])
def test_root_guest_sets_its_own_clock(umlmode, guests):
    """Never natively: a root guest's clock changes move only the guest's CLOCK_REALTIME."""
    before = time.time()
    got = run_guest(umlmode, [guests.path("sys_root_only_settime")],
                    env={**os.environ, "UMLSKAS_GUEST_ONLY": "1"})
    assert got.returncode == 0, describe(got)
    assert not bad_lines(got.stdout), describe(got)
    assert b"zone: -120" in got.stdout and b"settimeofday +1 day: 0" in got.stdout, describe(got)
    assert abs(time.time() - before) < 60          # the host's clock did not move


@pytest.mark.timeout(60)
@pytest.mark.parametrize("umlmode", ["skas", "tt"])
def test_reboot_ends_the_guest_world(umlmode, guests):
    """reboot(POWER_OFF) by a root guest: init ends as killed by SIGINT (reboot_pid_ns)."""
    got = run_guest(umlmode, [guests.path("sys_root_only_settime"), "reboot"],
                    env={**os.environ, "UMLSKAS_GUEST_ONLY": "1"})
    assert got.returncode == -signal.SIGINT, describe(got)   # umlskas re-raises it
    assert b"BAD" not in got.stdout, describe(got)
