"""Guest ptrace: guest tracers over guest tracees (tests/guests/ptrace_*.c), native vs
umlskas in every mode, and Debian's strace run inside the guest."""

from __future__ import annotations

import pytest

from test_processes import Case, check_guest, params

PTRACE_CASES = {
    "traceme_syscall_stops_info_changed_result_skipped_call": Case("ptrace_basic", ("syscalls",)),
    "signal_delivery_stops_suppress_change_pass": Case("ptrace_basic", ("signals",)),
    "seize_fork_exec_exit_events_in_order": Case("ptrace_basic", ("events",)),
    "peek_poke_user_regsets_process_vm_readv": Case("ptrace_basic", ("memory",)),
    "attach_detach_tracerpid_tracing_stop": Case("ptrace_basic", ("attach",)),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", params(PTRACE_CASES))
def test_ptrace(mode, case, guests):
    check_guest(mode, [guests.path(case.guest), *case.args], rc=case.rc, timeout=case.timeout)
