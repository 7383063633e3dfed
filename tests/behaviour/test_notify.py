"""fcntl owners and signals, leases, dnotify and inotify guests (tests/guests/fown_*.c,
inotify_*.c), native vs umlskas."""

from __future__ import annotations

import pytest

from harness import UMLSKAS_MODES, check_guest_against_native, describe, run_guest

NOTIFY_GUESTS = ["fown_owner", "fown_sigio", "fown_dnotify", "fown_fcntl_misc", "fown_lease", "inotify_events", "inotify_queue", "fown_thread", "fown_tty", "fown_perm", "inotify_fdinfo"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", NOTIFY_GUESTS)
def test_notify_guest(mode, name, guests, tmp_path):
    binary = guests.path(name)

    def argv(tag):
        d = tmp_path / tag
        d.mkdir()
        return [binary, str(d)]

    check_guest_against_native(mode, argv, ends_with=b"done\n")


LEASE_TIMEOUT = b"""write lease-break-time: 2
lease-break-time: 1
write lease: 0
writer's open: done
waited about the break time: yes
lease after the break time: 2
done
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_lease_break_time(umode, guests, tmp_path):
    """lease-break-time is enforced: written inside umlskas only (natively it is the host's)."""
    r = run_guest(umode, [guests.path("fown_lease_timeout"), str(tmp_path)])
    assert (r.returncode, r.stdout) == (0, LEASE_TIMEOUT), describe(r)


TAIL_F = """\
echo one > log
tail -f log > out &
t=$!
sleep 0.5
echo two >> log
sleep 0.5
echo three >> log
sleep 0.5
kill $t
wait
cat out
"""


@pytest.mark.timeout(60)
def test_tail_follows_with_inotify(mode, tmp_path):
    """coreutils `tail -f` watches the file with inotify: appends show up."""
    (tmp_path / "s.sh").write_text(TAIL_F)
    r = run_guest(mode, ["/bin/sh", str(tmp_path / "s.sh")], cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, b"one\ntwo\nthree\n"), describe(r)
