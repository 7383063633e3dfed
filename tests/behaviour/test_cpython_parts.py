"""Behaviour found by running CPython's own test suites under umlskas
(docs/cpython-suites.md), pinned by C guests tests/guests/py_*.c, native vs umlskas."""

from __future__ import annotations

import pytest

from test_processes import Case, check_guest, params, skas_xfail

CPYTHON_CASES = {
    # test_threading.ThreadJoinOnShutdown.test_4_daemon_threads: threads sharing one
    # big lock as CPython's do its GIL, the main thread waiting for each to start;
    # the oldest were starved of service in TT mode (47 s for this guest, not 3).
    "gil_like_lock_every_thread_runs": Case("py_thread_starve", timeout=40),
}


@pytest.mark.timeout(100)
@pytest.mark.parametrize("case", params(CPYTHON_CASES))
def test_cpython_part(mode, case, guests, request):
    skas_xfail(request, mode, case.skas_xfail)
    check_guest(mode, [guests.path(case.guest), *case.args], rc=case.rc, timeout=case.timeout)
