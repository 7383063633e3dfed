"""IPC guests (tests/guests/ipc_*.c): eventfd, epoll, AF_UNIX and AF_INET sockets, native vs umlskas."""

from __future__ import annotations

import pytest

from harness import check_guest_against_native, make_tree

IPC_GUESTS = ["ipc_eventfd", "ipc_epoll", "ipc_socketpair", "ipc_scm_rights", "ipc_unix_listen",
              "ipc_inet", "ipc_timerfd", "ipc_mmsg", "ipc_mqueue",
              "ipc_vmsplice"]
NEEDS_DIR = {"ipc_unix_listen"}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", IPC_GUESTS)
def test_ipc_guest(mode, name, guests, tmp_path):
    binary = guests.path(name)

    def argv(tag):
        return [binary] + ([str(make_tree(tmp_path / tag))] if name in NEEDS_DIR else [])

    check_guest_against_native(mode, argv)
