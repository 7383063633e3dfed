"""System V IPC (tests/guests/sysv_*.c), native vs umlskas.

Shared memory segments (kernel-owned memfds mapped MAP_SHARED by the stub)
shared by a parent and its children, semaphores (a ping-pong between two
processes, SEM_UNDO, IPC_NOWAIT, timeouts, EINTR and EIDRM of a waiter),
message queues (a producer and a consumer, message types, a full queue), and
the error cases of every call. Every guest removes what it creates, so a
native run leaves nothing behind in the host's IPC namespace.
"""

from __future__ import annotations

import subprocess

import pytest

from harness import check_guest_against_native, describe, make_tree, run_guest


def _ipc_ids():
    """The ids `ipcs` lists on this machine (native runs must not add any)."""
    try:
        out = subprocess.run(["ipcs"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted(line.split()[1] for line in out.splitlines()
                  if line[:2] == "0x" and len(line.split()) > 1)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["sysv_shm", "sysv_sem", "sysv_msg", "sysv_proc", "sysv_thr"])
def test_sysv(mode, name, guests, tmp_path):
    binary = guests.path(name)
    before = _ipc_ids() if mode == "native" else None

    def argv(tag):
        return [binary, str(make_tree(tmp_path / tag))]

    check_guest_against_native(mode, argv, ends_with=b"done\n")
    if before is not None:
        assert _ipc_ids() == before, "the guest left SysV IPC objects on the host"


SYSCTL_EXPECTED = """\
msgmax 100: ok
msgmax: 4 '100\\x0a'
msgsnd 101: -1 EINVAL
msgsnd 100: 0
msgmax garbage: -1 EINVAL
msgmax negative: -1 EINVAL
msgmax: 4 '100\\x0a'
msgmnb 500: ok
new queue qbytes=500
old queue qbytes=16384
sem: ok
sem: 17 '250\\x0932000\\x0932\\x09128\\x0a'
semget 251: -1 EINVAL
semget 250: ok
semop 33: -1 E2BIG
semop 32: 0
sem semmni too big: -1 EINVAL
sem: 17 '200\\x0932000\\x0930\\x09128\\x0a'
shmmni 1: ok
shmget over shmmni: -1 ENOSPC
shmmni too big: -1 EINVAL
shmget again: ok
shmmax 8192: ok
shmget 8193: -1 EINVAL
done
"""


@pytest.mark.timeout(60)
def test_sysv_sysctl_writes(mode, guests):
    """Root's writes to the IPC sysctls change the limits (umlskas only: natively the
    guest would change the host's)."""
    if mode == "native":
        pytest.skip("would change the host's IPC limits")
    got = run_guest(mode, [guests.path("sysv_sysctl")])
    assert got.returncode == 0, describe(got)
    assert got.stdout.decode() == SYSCTL_EXPECTED
