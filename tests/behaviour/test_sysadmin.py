"""Scheduling attributes, I/O priorities, clocks, the kernel log and the privileged
administrative calls (guests tests/guests/sys_*.c), native vs umlskas."""

from __future__ import annotations

import pytest

from harness import check_guest_against_native, guest_sources

SYS_GUESTS = sorted(name for name, _ in guest_sources() if name.startswith("sys_"))


def test_sys_guests_found():
    assert "sys_sched" in SYS_GUESTS


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", SYS_GUESTS)
def test_sys_guest(mode, name, guests):
    check_guest_against_native(mode, lambda tag: [guests.path(name)])
