"""IPC guests (tests/guests/ipc_*.c): eventfd, epoll, AF_UNIX sockets, native vs umlskas."""

from __future__ import annotations

import pytest

from harness import assert_same, bad_lines, describe, make_tree, run_guest

IPC_GUESTS = ["ipc_eventfd", "ipc_epoll", "ipc_socketpair", "ipc_scm_rights", "ipc_unix_listen"]
NEEDS_DIR = {"ipc_unix_listen"}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", IPC_GUESTS)
def test_ipc_guest(mode, name, guests, tmp_path):
    binary = guests.path(name)

    def argv(tag):
        return [binary] + ([str(make_tree(tmp_path / tag))] if name in NEEDS_DIR else [])

    if mode == "native":
        first = run_guest("native", argv("native-1"))
        assert first.returncode == 0, describe(first)
        assert not bad_lines(first.stdout), "\n".join(bad_lines(first.stdout)) + "\n" + describe(first)
        second = run_guest("native", argv("native-2"))
        assert (second.returncode, second.stdout) == (first.returncode, first.stdout), \
            "native output is not deterministic:\n" + describe(first) + "\n" + describe(second)
        return
    expected = run_guest("native", argv("native"))
    got = run_guest(mode, argv(mode))
    assert_same(expected, got, mode)
