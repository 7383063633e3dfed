"""fcntl owners and signals, leases, dnotify and inotify guests (tests/guests/fown_*.c,
inotify_*.c), native vs umlskas."""

from __future__ import annotations

import pytest

from harness import check_guest_against_native

NOTIFY_GUESTS = ["fown_owner", "fown_sigio", "fown_dnotify", "fown_fcntl_misc", "fown_lease", "inotify_events", "inotify_queue"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", NOTIFY_GUESTS)
def test_notify_guest(mode, name, guests, tmp_path):
    binary = guests.path(name)

    def argv(tag):
        d = tmp_path / tag
        d.mkdir()
        return [binary, str(d)]

    check_guest_against_native(mode, argv, ends_with=b"done\n")
