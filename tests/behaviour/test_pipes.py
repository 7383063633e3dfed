"""Pipes, FIFOs, directory reads and name edge cases (tests/guests/pipe_*.c, fsx_*.c), native vs umlskas."""

from __future__ import annotations

import pytest

from harness import check_guest_against_native, make_tree

GUESTS = ["pipe_fifo_io", "pipe_close_blocked", "pipe_splice_fifo", "fsx_getdents", "fsx_dotnames", "fsx_sockets", "fsx_tty_efault", "pipe_user_pages"]
NEEDS_DIR = {"pipe_fifo_io", "pipe_close_blocked", "pipe_splice_fifo", "fsx_getdents", "fsx_dotnames", "fsx_tty_efault"}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", GUESTS)
def test_pipes_guest(mode, name, guests, tmp_path):
    binary = guests.path(name)

    def argv(tag):
        return [binary] + ([str(make_tree(tmp_path / tag))] if name in NEEDS_DIR else [])

    check_guest_against_native(mode, argv)
