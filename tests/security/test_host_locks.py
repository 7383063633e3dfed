"""File locks reach the host: a guest's fcntl, OFD and flock locks exclude other
umlskas kernels and host processes, and theirs exclude the guest, as on Linux.

Before, the kernel kept its locks to itself: two umlskas runs writing one SQLite
database through the same --bind each believed they held its write lock and lost
commits. Natively every check here holds too (the oracle); the only answers that
differ are the pids a lock is reported with across the boundary: a host process
sees a guest's POSIX lock as the OFD lock the kernel holds it with (l_pid -1), and
a guest sees a host process's lock with l_pid 0, as across pid namespaces.
"""

from __future__ import annotations

import errno
import fcntl
import os
import queue
import shutil
import struct
import subprocess
import sys
import threading
import time

import pytest

import harness

KINDS = ("posix", "ofd", "flock")
FLOCK = struct.Struct("hhqqi4x")
GUEST_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


# ---- a guest driven line by line (tests/guests/locks_host.c) ------------------------------

class Guest:
    """One run of locks_host, natively or under a umlskas mode."""

    def __init__(self, mode, argv, options=()):
        self.mode = mode
        cmd = [str(a) for a in argv] if mode == "native" else \
            harness.skas_command(mode, [str(a) for a in argv], options)
        self.proc = subprocess.Popen(cmd, cwd=harness.REPO_ROOT, env=dict(harness.DEFAULT_ENV),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.lines = queue.Queue()
        self.err = bytearray()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=harness._pump, args=(self.proc.stderr, self.err),
                         daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout=20):
        try:
            got = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"{self.mode}: no answer within {timeout}s\n{self.err.decode()}")
        if got is None:
            pytest.fail(f"{self.mode}: the guest ended (status {self.proc.wait()})\n"
                        f"{self.err.decode()}")
        return got

    def cmd(self, text, timeout=20):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()
        return self.line(timeout)

    def quiet(self, seconds):
        """Nothing more comes for `seconds`: the guest is still waiting."""
        try:
            got = self.lines.get(timeout=seconds)
        except queue.Empty:
            return
        pytest.fail(f"{self.mode}: the guest answered {got!r} while it should wait")

    def end(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


def finish(started, *guests):
    for g in guests:
        g.end()
    harness._check_no_stub_left(started, "the lock guests")


# ---- the host's side ----------------------------------------------------------------------

def host_try(kind, fd, exclusive):
    """The test process locks fd (POSIX lockf for posix and ofd, flock for flock),
    without waiting; False if a lock is in the way."""
    try:
        if kind == "flock":
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        else:
            fcntl.lockf(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except OSError as e:
        assert e.errno in (errno.EAGAIN, errno.EACCES), e
        return False
    return True


def host_unlock(kind, fd):
    if kind == "flock":
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)


def host_getlk(fd):
    """F_GETLK for a write lock over the whole file, from the test process."""
    out = fcntl.fcntl(fd, fcntl.F_GETLK, FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
    t, whence, start, length, pid = FLOCK.unpack(out)
    return ({fcntl.F_RDLCK: "RD", fcntl.F_WRLCK: "WR", fcntl.F_UNLCK: "UN"}[t], start, length, pid)


# ---- (2) a C guest and the host ------------------------------------------------------------

@pytest.mark.timeout(90)
@pytest.mark.parametrize("kind", KINDS)
def test_guest_and_host_locks_exclude_each_other(mode, guests, tmp_path, kind):
    path = tmp_path / "shared.dat"
    path.write_bytes(b"x" * 100)
    fd = os.open(path, os.O_RDWR)
    started = time.time()
    g = Guest(mode, [guests.path("locks_host"), path])
    try:
        assert g.cmd("open") == "ok"
        # The guest holds a write lock: the host is refused, readers and writers alike.
        assert g.cmd(f"setlk {kind} wr") == "ok"
        assert not host_try(kind, fd, True)
        assert not host_try(kind, fd, False)
        if kind != "flock":
            pid = g.proc.pid if mode == "native" and kind == "posix" else -1
            assert host_getlk(fd) == ("WR", 0, 0, pid)
        # Downgraded to a read lock: the host may share it, not write.
        assert g.cmd(f"setlk {kind} rd") == "ok"
        assert host_try(kind, fd, False)
        host_unlock(kind, fd)
        assert not host_try(kind, fd, True)
        assert g.cmd(f"setlk {kind} un") == "ok"
        assert host_try(kind, fd, True)

        # The host holds a write lock: the guest is refused, sees it, waits for it.
        assert g.cmd(f"setlk {kind} wr") == "-1 EAGAIN"
        assert g.cmd(f"setlk {kind} rd") == "-1 EAGAIN"
        if kind != "flock":
            pid = os.getpid() if mode == "native" else 0
            assert g.cmd(f"getlk {kind} rd") == f"WR start 0 len 0 pid {pid}"
        assert g.cmd("alarm 200") == "ok"
        assert g.cmd(f"setlkw {kind} wr") == "wait"
        assert g.line() == "-1 EINTR"               # a signal ends the wait
        assert g.cmd(f"setlkw {kind} wr") == "wait"
        g.quiet(0.5)
        host_unlock(kind, fd)
        assert g.line() == "ok"                     # the host let go: the guest has it
        assert not host_try(kind, fd, False)

        # Released on the host when the guest closes its fd, and when it exits.
        assert g.cmd("close") == "ok"
        assert host_try(kind, fd, True)
        host_unlock(kind, fd)
        assert g.cmd("open") == "ok"
        assert g.cmd(f"setlk {kind} wr") == "ok"
        assert not host_try(kind, fd, True)
        assert g.cmd("exit") == "bye"
        assert g.proc.wait(timeout=20) == 0
        assert host_try(kind, fd, True)
        host_unlock(kind, fd)
    finally:
        finish(started, g)
        os.close(fd)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("kind", KINDS)
def test_two_kernels_exclude_each_other(mode, guests, tmp_path, kind):
    """Two umlskas runs on one file (natively: two processes)."""
    path = tmp_path / "shared.dat"
    path.write_bytes(b"x" * 100)
    started = time.time()
    a = Guest(mode, [guests.path("locks_host"), path])
    b = Guest(mode, [guests.path("locks_host"), path])
    try:
        assert a.cmd("open") == b.cmd("open") == "ok"
        assert a.cmd(f"setlk {kind} rd") == "ok"
        assert b.cmd(f"setlk {kind} rd") == "ok"
        assert b.cmd(f"setlk {kind} wr") == "-1 EAGAIN"
        assert b.cmd(f"setlk {kind} un") == "ok"
        assert a.cmd(f"setlk {kind} wr") == "ok"
        assert b.cmd(f"setlk {kind} rd") == "-1 EAGAIN"
        if kind != "flock":
            pid = a.proc.pid if mode == "native" and kind == "posix" else -1
            assert b.cmd(f"getlk {kind} wr") == f"WR start 0 len 0 pid {pid}"
        assert b.cmd(f"setlkw {kind} wr") == "wait"
        b.quiet(0.5)
        assert a.cmd(f"setlk {kind} un") == "ok"
        assert b.line() == "ok"
        assert a.cmd(f"setlk {kind} rd") == "-1 EAGAIN"
    finally:
        finish(started, a, b)


@pytest.mark.timeout(90)
def test_read_only_bind_still_locks(mode, guests, tmp_path):
    """A read lock through a read-only fd of a read-only bind reaches the host; a write
    lock needs a write fd (EBADF); flock needs only an open fd."""
    data = tmp_path / "data"
    data.mkdir()
    path = data / "shared.dat"
    path.write_bytes(b"x" * 100)
    fd = os.open(path, os.O_RDWR)
    started = time.time()
    guest_path = path if mode == "native" else "/ro/shared.dat"
    g = Guest(mode, [guests.path("locks_host"), guest_path], options=["--ro-bind", f"{data}:/ro"])
    try:
        assert g.cmd("openro") == "ok"
        assert g.cmd("setlk posix wr") == "-1 EBADF"
        assert g.cmd("setlk posix rd") == "ok"
        assert not host_try("posix", fd, True)
        assert host_try("posix", fd, False)
        host_unlock("posix", fd)
        assert g.cmd("setlk posix un") == "ok"
        assert g.cmd("setlk flock wr") == "ok"
        assert not host_try("flock", fd, False)
        assert g.cmd("exit") == "bye"
    finally:
        finish(started, g)
        os.close(fd)


# ---- (1) SQLite: two umlskas runs and a host writer on one database ----------------------

# Each writer: wait until all writers have started, then n transactions that read a
# counter, insert a row and write the counter back; print how many committed.
WRITER = r"""
import os, sqlite3, sys, time
db, n, tag, ready, writers, journal = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], \
    int(sys.argv[5]), sys.argv[6]
con = sqlite3.connect(db, timeout=20, isolation_level=None)
con.execute("PRAGMA journal_mode=" + journal)
open(os.path.join(ready, tag), "w").close()
while len(os.listdir(ready)) < writers:
    time.sleep(0.005)
ok = 0
for i in range(n):
    try:
        con.execute("BEGIN IMMEDIATE")
        (c,) = con.execute("SELECT n FROM counter").fetchone()
        con.execute("INSERT INTO t VALUES (?, ?)", (tag, i))
        con.execute("UPDATE counter SET n = ?", (c + 1,))
        con.execute("COMMIT")
        ok += 1
    except sqlite3.Error as e:
        print(tag, "transaction", i, "failed:", e, file=sys.stderr)
        try:
            con.execute("ROLLBACK")
        except sqlite3.Error:
            pass
print(ok)
"""


def _sqlite_race(mode, tmp_path, instances, host_writers, n, timeout, journal="delete"):
    """Run the writers at once: `instances` umlskas runs with tmp_path bound at /data
    (natively: plain processes) and `host_writers` host processes. Returns a report
    and the figures (successes, counter, rows, integrity)."""
    if GUEST_PYTHON is None or subprocess.run([GUEST_PYTHON, "-c", "import sqlite3"]).returncode:
        pytest.skip("no python3 with sqlite3 to run as the guest")
    import sqlite3
    (tmp_path / "writer.py").write_text(WRITER)
    (tmp_path / "ready").mkdir()
    db = tmp_path / "db"
    con = sqlite3.connect(db)
    con.executescript("CREATE TABLE t(w TEXT, i INTEGER); CREATE TABLE counter(n INTEGER);"
                      "INSERT INTO counter VALUES (0);")
    con.commit()
    con.close()
    writers = instances + host_writers
    procs = []
    started = time.time()
    for k in range(instances):
        argv = [GUEST_PYTHON, "/data/writer.py", "/data/db", n, f"guest{k}", "/data/ready", writers,
                journal]
        if mode == "native":
            argv = [GUEST_PYTHON, tmp_path / "writer.py", db, n, f"guest{k}", tmp_path / "ready",
                    writers, journal]
        else:
            argv = harness.skas_command(mode, [str(a) for a in argv],
                                        ["--bind", f"{tmp_path}:/data"])
        procs.append(subprocess.Popen([str(a) for a in argv], cwd=harness.REPO_ROOT,
                                      env=dict(harness.DEFAULT_ENV), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, start_new_session=True))
    for k in range(host_writers):
        procs.append(subprocess.Popen(
            [sys.executable, str(tmp_path / "writer.py"), str(db), str(n), f"host{k}",
             str(tmp_path / "ready"), str(writers), journal],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True))
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            results.append((p.returncode, out.decode(), err.decode()))
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait()
    if mode != "native":
        harness._check_no_stub_left(started, "the SQLite writers")
    for status, out, err in results:
        assert status == 0 and out.strip().isdigit(), (status, out, err[-3000:])
    successes = sum(int(out) for _, out, _ in results)
    con = sqlite3.connect(db)
    counter = con.execute("SELECT n FROM counter").fetchone()[0]
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    report = (f"{mode}, {journal} journal: {writers} writers x {n}: {successes} reported "
              f"commits, counter {counter}, rows {rows}, lost {successes - counter}, "
              f"integrity {integrity}\n"
              + "".join("".join(err.splitlines(True)[-5:]) for _, _, err in results))
    return report, (successes, counter, rows, integrity)


@pytest.mark.timeout(150)
@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_sqlite_two_kernels_and_a_host_writer_lose_no_commit(mode, tmp_path, journal):
    """Rollback journal: the database file's lock bytes; WAL: the -shm file's read
    marks and write lock too, with its shared mapping."""
    n = 300
    report, (successes, counter, rows, integrity) = _sqlite_race(mode, tmp_path, 2, 1, n, 120,
                                                                 journal)
    print(report)
    assert (successes, counter, rows, integrity) == (3 * n, 3 * n, 3 * n, "ok"), report


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sqlite_three_kernels_and_two_host_writers_heavy(mode, tmp_path):
    """Run with -m slow (the default run leaves it out: about a minute per mode)."""
    n = 1000
    report, (successes, counter, rows, integrity) = _sqlite_race(mode, tmp_path, 3, 2, n, 560)
    print(report)
    assert (successes, counter, rows, integrity) == (5 * n, 5 * n, 5 * n, "ok"), report
