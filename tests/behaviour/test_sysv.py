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

from harness import check_guest_against_native, make_tree


def _ipc_ids():
    """The ids `ipcs` lists on this machine (native runs must not add any)."""
    try:
        out = subprocess.run(["ipcs"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted(line.split()[1] for line in out.splitlines()
                  if line[:2] == "0x" and len(line.split()) > 1)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["sysv_shm", "sysv_sem", "sysv_msg", "sysv_proc"])
def test_sysv(mode, name, guests, tmp_path):
    binary = guests.path(name)
    before = _ipc_ids() if mode == "native" else None

    def argv(tag):
        return [binary, str(make_tree(tmp_path / tag))]

    check_guest_against_native(mode, argv, ends_with=b"done\n")
    if before is not None:
        assert _ipc_ids() == before, "the guest left SysV IPC objects on the host"
