"""File locks between guest processes (tests/guests/locks.c, and sqlite3), native vs umlskas.

Every guest file is opened by the one kernel process, so these pass only if the
kernel keeps fcntl, OFD and flock locks itself (umlskas/kernel/locks.py).
"""

from __future__ import annotations

import shutil

import pytest

from harness import check_guest_against_native, assert_same, describe, run_guest

SQLITE3 = shutil.which("sqlite3", path="/usr/bin:/bin")
BUSYBOX = shutil.which("busybox", path="/usr/bin:/bin:/usr/sbin:/sbin")


@pytest.mark.timeout(90)
def test_locks_guest(mode, guests, tmp_path):
    binary = guests.path("locks")

    def argv(tag):
        d = tmp_path / tag
        d.mkdir()
        return [binary, str(d)]

    check_guest_against_native(mode, argv, ends_with=b"done\n")


# Two sqlite3 writers at once on one database: each transaction waits for the
# other's locks (busy timeout); nothing is lost and the file stays sound.
WRITERS = """\
sqlite3 db "create table t(w integer, i integer);"
w() {
  i=0
  while [ $i -lt 15 ]; do
    sqlite3 -cmd ".timeout 20000" db \\
      "begin immediate; insert into t values($1, $i); select count(*) from t; commit;" \\
      >/dev/null || echo "writer $1 failed"
    i=$((i+1))
  done
}
w 1 & w 2 &
wait
sqlite3 db "select w, count(*), count(distinct i) from t group by w; pragma integrity_check;"
"""

# One sqlite3 holds an exclusive transaction: a writer without a busy timeout is
# refused with "database is locked", a reader with one waits for the commit.
LOCKED = """\
sqlite3 db "create table t(x integer);"
{
  echo "begin exclusive;"
  echo "insert into t values(1);"
  echo ".shell touch held"
  echo ".shell while [ ! -e release ]; do sleep 0.02; done"
  echo "commit;"
} | sqlite3 db &
while [ ! -e held ]; do sleep 0.02; done
sqlite3 db "insert into t values(2);" 2>&1
echo "refused writer: $?"
sqlite3 -cmd ".timeout 20000" db "select count(*) from t;" 2>&1 &
sleep 0.2
touch release
wait
sqlite3 -cmd ".timeout 20000" db "insert into t values(3); select count(*) from t; pragma integrity_check;"
"""

SCRIPTS = {"writers": (WRITERS, b"1|15|15\n2|15|15\nok\n"),
           "locked": (LOCKED, b"refused writer: 5\n1\n2\nok\n")}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_sqlite_concurrent(mode, name, tmp_path):
    if SQLITE3 is None or BUSYBOX is None:
        pytest.skip("sqlite3 or busybox not installed")
    script, must_have = SCRIPTS[name]
    (tmp_path / "script.sh").write_text(script)

    def run(tag):
        d = tmp_path / tag
        d.mkdir()
        return run_guest(mode if tag == mode else "native",
                         [BUSYBOX, "sh", str(tmp_path / "script.sh")], cwd=d, timeout=100)

    expected = run("native")
    assert expected.returncode == 0, describe(expected)
    out = b"".join(line + b"\n" for line in expected.stdout.splitlines()
                   if not line.startswith(b"Error"))
    assert out == must_have, describe(expected)
    if mode == "native":
        return
    got = run(mode)
    assert_same(expected, got, mode)


@pytest.mark.timeout(60)
def test_locks_ofd_posix_threads(mode, guests, tmp_path):
    """Threads of one process taking OFD and POSIX locks on one region until the main
    thread's sleep ends: the sleep must end under umlskas too, however busy the lock
    takers keep the kernel (they never all wait: readers share their lock)."""
    binary = guests.path("locks_ofd_posix_threads")

    def argv(tag):
        d = tmp_path / tag
        d.mkdir()
        return [binary, str(d)]

    check_guest_against_native(mode, argv, ends_with=b"done\n")
