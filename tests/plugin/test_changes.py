"""Result.changes from the kernel's change journal (umlskas/kernel/changes.py): guest
paths of what the kernel itself wrote, no snapshot of the host tree; a working directory
hidden by a mount is umlskas.StartError."""

import os
import shutil
import time

import pytest

import umlskas
from umlskas.api import journal_changes
from umlskas.kernel.changes import ChangeJournal, MAX_ENTRIES, OVERFLOW_KEY

pytestmark = pytest.mark.timeout(120)

BUSYBOX = shutil.which("busybox")
needs_busybox = pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")


# ---------------------------------------------------------------- the journal itself

def test_journal_merges_as_the_changes_come():
    j = ChangeJournal()
    j.created("/a", "/h/a")
    j.modified("/a")
    assert j == {"/a": ["created", "/h/a"]}
    j.deleted("/a")
    assert j == {}                              # made and removed within the run
    j.deleted("/b")
    j.created("/b", "/h/b")
    assert j["/b"][0] == "modified"             # replaced: it existed before
    j.modified("/c", "/h/c")
    j.deleted("/c")
    assert j["/c"] == ["deleted", None]


def test_journal_rename_moves_what_is_below():
    j = ChangeJournal()
    j.created("/d")
    j.created("/d/f")
    j.renamed("/d", "/e", replaced=False)
    assert j == {"/e": ["created", None], "/e/f": ["created", None]}
    j.modified("/x")
    j.renamed("/x", "/y", replaced=True)
    assert j["/x"][0] == "deleted" and j["/y"][0] == "modified"
    j.renamed("/p", "/q", replaced=True, exchange=True)
    assert j["/p"][0] == j["/q"][0] == "modified"


def test_journal_is_bounded():
    j = ChangeJournal()
    for i in range(MAX_ENTRIES + 10):
        j.created(f"/f{i}")
    assert len(j) == MAX_ENTRIES + 1 and j.overflowed and j[OVERFLOW_KEY][0] == "overflow"
    changes = journal_changes({"/a": ["created", None], OVERFLOW_KEY: ["overflow", None]},
                                          ["/"], identity=True)
    assert not changes.complete and changes.paths() == ["a"]


# ---------------------------------------------------------------- through the kernel

@needs_busybox
def test_cwd_root_reports_exactly_the_tmpfs_write_quickly():
    start = time.monotonic()
    r = umlskas.run([BUSYBOX, "sh", "-c", "echo one > /scratch/out"], cwd="/",
                    mounts=[umlskas.Tmpfs("/scratch")], timeout=60)
    elapsed = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    assert [(c.kind, c.guest) for c in r.changes] == [("created", "/scratch/out")]
    assert r.changes.get("/scratch/out").read() == b"one\n"
    assert elapsed < 10, elapsed                 # no walk of the host's tree


@needs_busybox
def test_cwd_root_without_mounts_lists_only_the_guests_write(tmp_path):
    target = tmp_path / "written"
    r = umlskas.run([BUSYBOX, "sh", "-c", f"echo two > {target}; cat /etc/hostname >/dev/null"],
                    cwd="/", timeout=60)
    assert r.returncode == 0, r.stderr
    assert [(c.kind, c.guest, c.path) for c in r.changes] == [("created", str(target), str(target))]
    assert r.changes.get(str(target)).read() == b"two\n"


@needs_busybox
def test_every_kind_of_change_by_guest_path(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    for name in ("keep", "append", "trunc", "chmod", "gone", "moved", "opened"):
        (work / name).write_text(name + "\n")
    script = ("echo more >> append; : > trunc; chmod 600 chmod; rm gone; mv moved moved2; "
              "mkdir d; echo x > d/f; ln -s keep link; cat keep >/dev/null; "
              ": >> opened; touch -d @0 stamp; mkdir tmpd; rmdir tmpd")
    r = umlskas.run([BUSYBOX, "sh", "-c", script], cwd=str(work), timeout=60)
    assert r.returncode == 0, r.stderr
    assert sorted(r.changes.paths("created")) == ["d", "d/f", "link", "moved2", "stamp"]
    assert sorted(r.changes.paths("modified")) == ["append", "chmod", "trunc"]
    assert sorted(r.changes.paths("deleted")) == ["gone", "moved"]
    assert all(c.root == str(work) and c.guest == str(work / c.relpath) for c in r.changes)
    assert r.changes.get("append").read() == b"append\nmore\n"


@needs_busybox
def test_overlay_changes_keep_their_data(tmp_path):
    lower = tmp_path / "lower"
    lower.mkdir()
    (lower / "mod").write_text("m\n")
    (lower / "gone").write_text("g\n")
    r = umlskas.run([BUSYBOX, "sh", "-c", "echo x >> mod; rm gone; echo n > new"], cwd="/ov",
                    mounts=[umlskas.Overlay(str(lower), "/ov")], timeout=60)
    assert r.returncode == 0, r.stderr
    assert [(c.kind, c.guest) for c in r.changes] == [
        ("created", "/ov/new"), ("modified", "/ov/mod"), ("deleted", "/ov/gone")]
    assert r.changes.get("/ov/mod").read() == b"m\nx\n"
    assert r.changes.get("new").read() == b"n\n"
    assert (lower / "mod").read_text() == "m\n" and (lower / "gone").exists()


# ---------------------------------------------------------------- a hidden working directory

def test_a_tmpfs_over_the_cwd_is_an_error(tmp_path):
    with pytest.raises(umlskas.StartError) as info:
        umlskas.run(["true"], cwd=str(tmp_path), mounts=[umlskas.Tmpfs(os.path.dirname(tmp_path))])
    assert "hidden" in str(info.value) and "Tmpfs" in str(info.value)


def test_a_bind_lacking_the_cwd_is_an_error(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(umlskas.StartError):
        umlskas.run(["true"], cwd="/in/missing", mounts=[umlskas.Bind(str(tmp_path / "a"), "/in")])


@needs_busybox
def test_the_cwd_may_be_a_mount_point_of_its_own(tmp_path):
    r = umlskas.run([BUSYBOX, "sh", "-c", "pwd; echo a > f"], cwd="/x",
                    mounts=[umlskas.Tmpfs("/x")], timeout=60)
    assert r.stdout == b"/x\n" and r.changes.paths() == ["f"]


def test_umlskas_exit_125_is_a_start_error(tmp_path):
    with pytest.raises(umlskas.StartError) as info:
        umlskas.run(["true"], mounts=[umlskas.Bind(str(tmp_path / "missing"), "/m")])
    assert info.value.result.returncode == 125
    assert str(info.value).startswith("umlskas: ")


GUEST_PY = """
import os, socket
os.link("keep", "hard"); os.rename("hard", "hard2")
s = socket.socket(socket.AF_UNIX); s.bind("sock"); s.close()
fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o600); os.write(fd, b"x"); os.close(fd)
os.truncate("trunc", 1)
os.utime("stamp", (1, 1))
fd = os.open("opened", os.O_RDWR); os.close(fd)
fd = os.open("written", os.O_WRONLY); os.pwrite(fd, b"W", 0); os.close(fd)
os.mkdir("dir"); open("dir/in", "w").close(); os.rename("dir", "dir2")
"""


def test_links_sockets_tmpfiles_times_and_directory_renames(tmp_path):
    python = "/usr/bin/python3"
    if not os.path.exists(python):
        pytest.skip("no /usr/bin/python3")
    for name in ("keep", "trunc", "stamp", "opened", "written"):
        (tmp_path / name).write_text(name)
    r = umlskas.run([python, "-c", GUEST_PY], cwd=str(tmp_path), timeout=60)
    assert r.returncode == 0, r.stderr
    assert sorted(r.changes.paths("created")) == ["dir2", "dir2/in", "hard2", "sock"]
    assert sorted(r.changes.paths("modified")) == ["stamp", "trunc", "written"]
    assert r.changes.paths("deleted") == []           # made and moved within the run
    assert r.changes.get("written").read() == b"Written"
