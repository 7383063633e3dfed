"""Escape suite: nothing a guest does changes a --ro-bind's host files.

tests/guests/sec_escape_robind.c tries every syscall that can change a file or a directory
(open for writing/creating/truncating, truncate, writes through read-only fds after F_SETFL,
chmod/chown/utimes in all their forms, rename/link in, out and within, symlink, mknod,
mkdir, rmdir, unlink, fallocate, shared writable mappings and mprotect, copy_file_range,
sendfile, splice, reopening /proc/self/fd/N and O_PATH fds for writing, O_TMPFILE + linkat
into the bind, and the xattr calls). The oracle is Linux itself: the same guest under
`unshare -m` with a real read-only bind mount of a copy of the same tree. Afterwards the
host tree must be unchanged: listing, content, mode, owner, times and xattrs.
"""

import os
import shutil

import pytest

import harness
from harness import assert_same, run_guest

UMLSKAS_MODES = harness.UMLSKAS_MODES

needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="the native oracle is a read-only bind mount in `unshare -m`")


def make_tree(base):
    """The read-only source, an empty mount point and a writable directory."""
    src, mnt, rw = base / "src", base / "mnt", base / "rw"
    (src / "d").mkdir(parents=True)
    (src / "e").mkdir()
    mnt.mkdir()
    rw.mkdir()
    (src / "f").write_text("original\n")
    os.chmod(src / "f", 0o644)
    (src / "d" / "g").write_text("g\n")
    os.symlink("f", src / "l")
    (rw / "w").write_text("writable\n")
    return src, mnt, rw


def snapshot(root):
    """Everything about a tree that a write could change."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [""] + dirnames + filenames:
            path = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(path)
            if os.path.islink(path):
                data = os.readlink(path)
                xattrs = None
            else:
                data = open(path, "rb").read() if os.path.isfile(path) else None
                xattrs = sorted(os.listxattr(path))
            out[os.path.relpath(path, root)] = (st.st_mode, st.st_uid, st.st_gid, st.st_size,
                                                st.st_mtime_ns, st.st_ctime_ns, st.st_nlink,
                                                data, xattrs)
    return out


def run_native(guests, base, which):
    src, mnt, rw = make_tree(base)
    script = ('mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && shift && '
              'exec "$0" "$@"')
    native = run_guest("native", ["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                                  guests.path("sec_escape_robind", static=True), src, mnt, rw, which])
    assert native.returncode == 0, harness.describe(native)
    return native


def run_umlskas(umode, guests, base, which):
    src, mnt, rw = make_tree(base)
    before = snapshot(src)
    got = run_guest(umode, [guests.path("sec_escape_robind", static=True), mnt, rw, which],
                    options=["--ro-bind", f"{src}:{mnt}"])
    assert snapshot(src) == before, "the guest changed the read-only bind's host files\n" + \
        harness.describe(got)
    assert sorted(os.listdir(rw)) == ["w"], "something was linked or renamed out of the bind"
    assert (rw / "w").read_text() == "writable\n"
    return got


@needs_root
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_ro_bind_write_paths_fail_and_change_nothing(umode, tmp_path, guests):
    native = run_native(guests, tmp_path / "native", "main")
    got = run_umlskas(umode, guests, tmp_path / umode, "main")
    assert_same(native, got, umode)
    assert b"f now: original\n" in got.stdout


@needs_root
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_ro_bind_xattr_writes_fail_and_change_nothing(umode, tmp_path, guests):
    native = run_native(guests, tmp_path / "native", "xattr")
    got = run_umlskas(umode, guests, tmp_path / umode, "xattr")
    assert_same(native, got, umode)
