"""Namespaces (tests/guests/ns_*.c): unshare, clone with CLONE_NEW*, setns, /proc/PID/ns
and nsfs ioctls, UTS names, pid numbering, user namespace maps, time namespace
offsets, non-root refusals; native vs umlskas. The guests print no pids or inode
numbers, only what a native run prints the same every time.
"""

from __future__ import annotations

import pytest

from harness import assert_same, bad_lines, describe, native_result, run_guest

SECTIONS = ["links", "uts", "setns", "flags", "pid", "pid_clone", "threads", "net", "user", "time", "nonroot"]


def check_guest(mode, argv):
    argv = [str(a) for a in argv]
    if mode == "native":
        first = run_guest("native", argv)
        assert first.returncode == 0, describe(first)
        assert first.stdout, describe(first)
        assert not bad_lines(first.stdout), describe(first)
        second = run_guest("native", argv)
        assert second.stdout == first.stdout, \
            "native output is not deterministic:\n" + describe(first) + "\n" + describe(second)
        return
    expected = native_result(argv)
    got = run_guest(mode, argv)
    assert_same(expected, got, mode)


@pytest.mark.parametrize("section", SECTIONS)
def test_ns_basic(mode, guests, section):
    check_guest(mode, [guests.path("ns_basic"), section])
