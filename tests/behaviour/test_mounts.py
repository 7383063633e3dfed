"""The mount table: --root (against chroot(8) natively), --bind/--ro-bind, --tmpfs,
--overlay and --sandbox. Every test works on files it made itself in tmp_path."""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

import harness
from harness import assert_same, run_guest

UMLSKAS_MODES = ["skas", "tt"]
BUSYBOX = shutil.which("busybox")
needs_busybox = pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")


def make_root(tmp_path, guests):
    """A small root with the escape guest, and a secret outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret"
    secret.write_text("secret\n")
    root = tmp_path / "root"
    for d in ("in", "etc", "tmp"):
        (root / d).mkdir(parents=True)
    (root / "tmp").chmod(0o1777)
    (root / "in" / "file").write_text("inside\n")
    (root / "etc" / "abs").symlink_to(secret)
    (root / "etc" / "rel").symlink_to("../../outside/secret")
    shutil.copy(guests.path("vfs_escape", static=True), root / "vfs_escape")
    return root, secret


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("chroot") is None,
                    reason="the native oracle is chroot(8), which needs root")
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_escapes_from_root_fail_as_in_a_chroot(umode, tmp_path, guests):
    root, secret = make_root(tmp_path, guests)
    native = run_guest("native", [shutil.which("chroot"), str(root), "/vfs_escape", str(secret)])
    assert native.returncode == 0, harness.describe(native)
    assert b"symlink swap escapes: 0" in native.stdout
    got = run_guest(umode, ["/vfs_escape", str(secret)], options=["--root", str(root)])
    assert_same(native, got, umode)
    assert b"secret" not in got.stdout.replace(b"symlink swap escapes", b"")
    assert secret.read_text() == "secret\n"


@pytest.fixture
def victims():
    """A directory of files to damage, outside /tmp (which --sandbox replaces)."""
    base = harness.REPO_ROOT / "tests" / ".scratch"
    base.mkdir(exist_ok=True)
    path = tempfile.mkdtemp(prefix="victims-", dir=base)
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@needs_busybox
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_sandbox_keeps_the_host_untouched(umode, victims):
    (victims / "overwrite").write_text("original\n")
    (victims / "remove").write_text("keep me\n")
    (victims / "dir").mkdir()
    (victims / "dir" / "inner").write_text("inner\n")
    top = f"/umlskas-sandbox-test-{uuid.uuid4().hex}"
    script = f"""
        cd {victims}
        echo changed > overwrite
        rm remove
        rm -r dir
        mkdir dir && echo new > dir/fresh
        echo created > created
        echo top > {top}
        cat overwrite; ls; ls dir; cat {top}
        ls remove 2>&1 || true
    """
    try:
        got = run_guest(umode, [BUSYBOX, "sh", "-c", script], options=["--sandbox"])
        assert got.returncode == 0, harness.describe(got)
        assert got.stdout.decode() == ("changed\ncreated\ndir\noverwrite\nfresh\ntop\n"
                                       "ls: remove: No such file or directory\n")
    finally:
        leaked = os.path.exists(top)
        if leaked:
            os.unlink(top)
    assert not leaked, "the sandbox wrote to the host's /"
    assert (victims / "overwrite").read_text() == "original\n"
    assert (victims / "remove").read_text() == "keep me\n"
    assert sorted(os.listdir(victims)) == ["dir", "overwrite", "remove"]
    assert os.listdir(victims / "dir") == ["inner"]


@needs_busybox
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_overlay_copy_up_whiteouts_and_opaque_dirs(umode, tmp_path):
    lower = tmp_path / "lower"
    (lower / "d" / "sub").mkdir(parents=True)
    (lower / "a").write_text("a\n")
    (lower / "d" / "b").write_text("b\n")
    (lower / "d" / "sub" / "c").write_text("c\n")
    before = sorted(str(p.relative_to(lower)) for p in lower.rglob("*"))
    script = """
        cd /ov
        echo more >> a; cat a
        mv d/b d/b2; ls d
        rm -r d/sub; mkdir d/sub; ls -a d/sub
        ln a hard; ln -s a soft; cat hard soft
        chmod 600 a; stat -c %a a
        rm a; ls
        mkdir -p x/y && echo deep > x/y/z && cat x/y/z
        mv x x2 && ls x2/y
        rmdir d 2>&1 || true
    """
    got = run_guest(umode, [BUSYBOX, "sh", "-c", script],
                    options=["--overlay", f"{lower}:/ov"])
    assert got.returncode == 0, harness.describe(got)
    assert got.stdout.decode() == (
        "a\nmore\nb2\nsub\n.\n..\na\nmore\na\nmore\n600\nd\nhard\nsoft\n"
        "deep\nz\nrmdir: 'd': Directory not empty\n")
    assert sorted(str(p.relative_to(lower)) for p in lower.rglob("*")) == before
    assert (lower / "a").read_text() == "a\n"


@needs_busybox
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_overlay_with_an_upper_directory_keeps_changes_there(umode, tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir()
    (lower / "gone").write_text("x\n")
    (lower / "kept").write_text("k\n")
    got = run_guest(umode, [BUSYBOX, "sh", "-c", "rm /ov/gone; echo n > /ov/new; ls /ov"],
                    options=["--overlay", f"{lower}:/ov:{upper}"])
    assert got.stdout == b"kept\nnew\n", harness.describe(got)
    assert sorted(os.listdir(upper)) == [".wh.gone", "new"]
    assert sorted(os.listdir(lower)) == ["gone", "kept"]
    again = run_guest(umode, [BUSYBOX, "ls", "/ov"], options=["--overlay", f"{lower}:/ov:{upper}"])
    assert again.stdout == b"kept\nnew\n"


@needs_busybox
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_bind_ro_bind_and_tmpfs(umode, tmp_path):
    rw, ro = tmp_path / "rw", tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    (ro / "f").write_text("ro\n")
    script = """
        echo w > /mnt/rw/new && cat /mnt/rw/new
        cat /mnt/ro/f
        (echo x > /mnt/ro/f) 2>&1 || true
        touch /mnt/ro/g 2>&1 || true
        rm /mnt/ro/f 2>&1 || true
        mkdir /mnt/ro/f 2>&1 || true
        echo t > /scratch/t && cat /scratch/t && ls /scratch
        grep -c ' /scratch tmpfs ' /proc/self/mounts
        grep ' /mnt/ro ' /proc/self/mounts | grep -c ' ro,'
    """
    got = run_guest(umode, [BUSYBOX, "sh", "-c", script],
                    options=["--bind", f"{rw}:/mnt/rw", "--ro-bind", f"{ro}:/mnt/ro",
                             "--tmpfs", "/scratch"])
    out = got.stdout.decode()
    assert out.startswith("w\nro\n"), harness.describe(got)
    assert out.count("Read-only file system") == 3, out
    assert "mkdir: can't create directory '/mnt/ro/f': File exists" in out
    assert out.endswith("t\nt\n1\n1\n"), out
    assert (rw / "new").read_text() == "w\n"
    assert os.listdir(ro) == ["f"] and (ro / "f").read_text() == "ro\n"


def test_tmpfs_and_overlay_layers_are_removed(tmp_path):
    """The session directory in /dev/shm goes with the kernel."""
    if BUSYBOX is None:
        pytest.skip("busybox not installed")
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    before = set(os.listdir(shm)) if shm else set()
    got = run_guest("skas", [BUSYBOX, "sh", "-c", "echo x > /t/f; echo y > /etc/umlskas-test"],
                    options=["--sandbox", "--tmpfs", "/t"])
    assert got.returncode == 0, harness.describe(got)
    if shm:
        assert {n for n in set(os.listdir(shm)) - before if n.startswith("umlskas-")} == set()


@needs_busybox
def test_git_and_sqlite_in_a_tmpfs(tmp_path):
    git, sqlite = shutil.which("git"), shutil.which("sqlite3")
    if git is None or sqlite is None:
        pytest.skip("git or sqlite3 not installed")
    script = """
        set -e
        cd "$1"
        git init -q -b main .
        git config user.email t@example.com; git config user.name T
        echo one > f1; mkdir d; echo two > d/f2
        git add .
        GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z git commit -q -m first
        echo three >> f1; git rm -q d/f2; echo x > n; git add -A
        GIT_AUTHOR_DATE=2020-01-02T00:00:00Z GIT_COMMITTER_DATE=2020-01-02T00:00:00Z git commit -q -m second
        git log --stat
        sqlite3 db <<'SQL'
PRAGMA journal_mode=WAL;
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<20000)
INSERT INTO t(k, v) SELECT 'key' || (x % 997), x * 7 % 1000 FROM c;
CREATE INDEX ik ON t(k);
SELECT count(*), sum(v) FROM t;
SELECT k, count(*) FROM t WHERE k IN ('key1','key500') GROUP BY k;
DELETE FROM t WHERE v < 500;
VACUUM;
PRAGMA integrity_check;
SELECT count(*) FROM t;
SQL
    """
    env = dict(harness.DEFAULT_ENV, HOME=str(tmp_path))
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    native = run_guest("native", ["/bin/sh", "-c", script, "sh", str(native_dir)], env=env)
    assert native.returncode == 0, harness.describe(native)
    got = run_guest("skas", ["/bin/sh", "-c", script, "sh", "/work-in-tmpfs"], env=env,
                    options=["--tmpfs", "/work-in-tmpfs"], timeout=120)
    assert_same(native, got, "skas")
    assert not os.path.exists("/work-in-tmpfs")


@needs_busybox
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_a_bind_of_the_hosts_proc_shows_no_processes(umode):
    """/proc/uptime through a bind is the host's; the kernel's, the stubs' and every other
    host process's directories are not there (their fd/, mem, root would be escapes)."""
    script = f"""
        cat /mnt/hp/uptime > /dev/null && echo uptime
        ls /mnt/hp | grep -c -E '^([0-9]+|self|thread-self)$'
        for p in /mnt/hp/self /mnt/hp/1 /mnt/hp/{os.getpid()}/fd /mnt/hp/1/../uptime; do
            test -e $p && echo "visible: $p"
        done
        echo done
    """
    got = run_guest(umode, [BUSYBOX, "sh", "-c", script], options=["--ro-bind", "/proc:/mnt/hp"])
    assert got.stdout == b"uptime\n0\ndone\n", harness.describe(got)
    me = run_guest(umode, [BUSYBOX, "ls", "/mnt/me"], options=["--ro-bind", "/proc/self:/mnt/me"])
    assert me.returncode != 0 and me.stdout == b"", harness.describe(me)


@needs_busybox
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_mount_points_are_busy_and_mounts_are_other_devices(umode, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("f\n")
    script = """
        rmdir /tmp/mp 2>&1; mv /tmp/mp /tmp/mp-moved 2>&1
        ln /tmp/mp/b/f /tmp/mp/hard 2>&1
        ls /mnt /mnt/new; ls -d /mnt/new/deep/b
        touch /mnt/new/x 2>&1
        true
    """
    got = run_guest(umode, [BUSYBOX, "sh", "-c", script],
                    options=["--tmpfs", "/tmp/mp", "--bind", f"{src}:/tmp/mp/b",
                             "--ro-bind", f"{src}:/mnt/new/deep/b"])
    out = got.stdout.decode()
    assert "rmdir: '/tmp/mp': Resource busy" in out or "Device or resource busy" in out, out
    assert out.count("busy") == 2, out
    assert "Invalid cross-device link" in out or "Cross-device link" in out, out
    assert "/mnt:\n" in out and "new\n" in out and "/mnt/new/deep/b\n" in out, out
    assert "Read-only file system" in out, out
