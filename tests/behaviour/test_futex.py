"""futex(2) and futex_waitv(2) (guests tests/guests/futex_*.c), native vs umlskas:
WAKE_OP, the priority-inheritance ops, requeue, futex_waitv, private and shared
queues, and the argument checks in Linux's order.

The native run is the oracle; it must be free of "BAD" lines and repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness import assert_same, bad_lines, describe, native_result, run_guest


def check_guest(mode, argv, *, rc=0, timeout=None):
    argv = [str(a) for a in argv]
    if mode == "native":
        first = run_guest("native", argv, timeout=timeout)
        assert first.returncode == rc, describe(first)
        assert first.stdout, describe(first)
        assert not bad_lines(first.stdout), "\n".join(bad_lines(first.stdout)) + "\n" + describe(first)
        second = run_guest("native", argv, timeout=timeout)
        assert (second.returncode, second.stdout) == (first.returncode, first.stdout), \
            "native output is not deterministic:\n" + describe(first) + "\n" + describe(second)
        return first
    expected = native_result(argv)
    assert expected.returncode == rc, "native run: " + describe(expected)
    got = run_guest(mode, argv, timeout=timeout)
    assert_same(expected, got, mode)
    return got


@dataclass(frozen=True)
class Case:
    guest: str
    args: tuple = ()
    rc: int = 0


CASES = {
    "wake_op_ops_comparisons_and_errors": Case("futex_wake_op"),
    "argument_checks_in_linux_order": Case("futex_errors"),
    "private_and_shared_queues": Case("futex_shared"),
    "pi_protocol_raw": Case("futex_pi"),
    "glibc_pi_and_robust_mutexes": Case("futex_glibc"),
    "futex_waitv": Case("futex_waitv"),
    "wait_requeue_pi_and_cmp_requeue_pi": Case("futex_requeue_pi"),
    "signals_restart_or_eintr": Case("futex_signal"),
    "futex2_wake_wait_requeue": Case("futex_futex2"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in CASES.items()])
def test_futex(mode, case, guests):
    check_guest(mode, [guests.path(case.guest), *case.args], rc=case.rc)
