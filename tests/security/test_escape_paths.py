"""Escape suite: `..`, symlinks and magic links out of --root and out of the mounts in it,
and chroot tricks, against Linux with the same tree as a mount namespace's root.

docs/filesystem.md: `..` is taken on the guest path and stops at the root, symlinks are
read in the guest's view. So --root behaves like the root of a mount namespace after
pivot_root: the native oracle is exactly that (unshare -m -p, real bind, read-only bind and
overlay mounts, pivot_root into the tree, the old root detached), which makes the native run
safe: nothing outside the test's tree is reachable from it. The guest's own chroot is a
plain chroot inside it, escapable with fds from before it as on Linux, but never above the
root. (tests/behaviour/test_mounts.py compares `..` chains and the symlink race with
chroot(8); this covers the mounts, fds, magic links and chroots.)
"""

import os
import shutil

import pytest

import harness
from harness import assert_same, run_guest

UMLSKAS_MODES = harness.UMLSKAS_MODES
BUSYBOX = shutil.which("busybox")

needs_native_ns = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("pivot_root")
    or BUSYBOX is None,
    reason="the native oracle needs root, unshare, pivot_root and a static busybox")

# What only a umlskas guest prints (natively, as root in its namespace, the mounts would
# work; a new mount namespace copies the guest's mount table, which only the umlskas
# command line can change, so nothing more is reachable from it). The file handle is the
# kernel's own for the guest's /secret, and opens that file in the guest's view again.
UMLSKAS_ONLY = """\
umount2 /bind: -1 EPERM
mount tmpfs on /bind: -1 EPERM
mount --bind / /tmp: -1 EPERM
pivot_root: -1 EPERM
unshare CLONE_NEWNS: ok
setns: -1 EINVAL
name_to_handle_at: ok
open_by_handle_at: decoy
"""




def make_tree(base, guests):
    """The root, the host directories mounted in it and the real secret beside them."""
    outside = base / "outside"
    outside.mkdir(parents=True)
    secret = outside / "secret"
    secret.write_text("secret\n")
    root = base / "root"
    for d in ("in", "x", "tmp", "bind", "robind", "ov", "proc", "dev", ".old"):
        (root / d).mkdir(parents=True)
    (root / "tmp").chmod(0o1777)
    (root / "secret").write_text("decoy\n")
    (root / "top-file").write_text("top\n")
    (root / "in" / "file").write_text("inside\n")
    (root / "x" / "inner").write_text("x-inner\n")
    os.symlink("/proc/self/fd", root / "dev" / "fd")
    shutil.copy(guests.path("sec_escape_paths", static=True), root / "guest")
    dirs = {}
    for name in ("bind", "robind", "ov"):
        d = dirs[name] = outside / name
        d.mkdir()
        (d / "bfile").write_text(f"{name}-file\n")
        os.symlink("../secret", d / "rel")
        os.symlink("../../../../../..", d / "dotdots")
    os.symlink(str(secret), dirs["bind"] / "abshost")
    for d in ("upper", "work"):
        (outside / d).mkdir()
    return root, outside, secret, dirs


def native_run(base, guests, hostpid):
    root, outside, secret, dirs = make_tree(base, guests)
    bb = BUSYBOX
    script = f"""
        set -e
        mount --bind {root} {root}
        mount --bind {dirs['bind']} {root}/bind
        mount --bind {dirs['robind']} {root}/robind
        mount -o remount,bind,ro {root}/robind
        mount -t overlay overlay -o lowerdir={dirs['ov']},upperdir={outside}/upper,workdir={outside}/work {root}/ov
        mount -t proc proc {root}/proc
        cd {root}
        {shutil.which('pivot_root')} . .old
        exec /.old{bb} sh -c '/.old{bb} umount -l /.old && exec /guest "$@"' sh "$@"
    """
    r = run_guest("native", ["unshare", "-m", "-p", "-f", "--propagation", "private",
                             "sh", "-c", script, "sh", str(secret), str(hostpid), "native"])
    assert r.returncode == 0, harness.describe(r)
    assert secret.read_text() == "secret\n"
    return r


def umlskas_run(umode, base, guests, hostpid):
    root, outside, secret, dirs = make_tree(base, guests)
    before = {p: sorted(os.listdir(p)) for p in (outside, root, *dirs.values())}
    got = run_guest(umode, ["/guest", secret, hostpid, "umlskas"],
                    options=["--root", str(root), "--bind", f"{dirs['bind']}:/bind",
                             "--ro-bind", f"{dirs['robind']}:/robind",
                             "--overlay", f"{dirs['ov']}:/ov"])
    assert secret.read_text() == "secret\n"
    after = {p: sorted(os.listdir(p)) for p in before}
    assert after == before, "the guest created or moved host files\n" + harness.describe(got)
    return got


@needs_native_ns
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_no_path_leaves_the_root(umode, tmp_path, guests, sleeper):
    native = native_run(tmp_path / "native", guests, sleeper.pid)
    assert b"secret\n" not in native.stdout.replace(b"secret (", b"")
    got = umlskas_run(umode, tmp_path / umode, guests, sleeper.pid)
    expected = native.stdout.decode()
    tail = "/bind/bfile at the end: bind-file\n"
    assert expected.endswith(tail)
    expected = expected[:-len(tail)] + UMLSKAS_ONLY + tail
    assert_same(type(native)(native.args, 0, expected.encode(), b""), got, umode)
