"""Escape suite: nothing a guest does through a descriptor or an indirect name changes an
overlay's lower layer (--sandbox, --overlay HOST:GUEST, --overlay HOST:GUEST:UPPER).

tests/guests/sec_escape_overlay.c opens lower files read-only (and O_PATH) and changes them
through the fd (fchmod, fchown, futimens, *at with AT_EMPTY_PATH, ftruncate, fallocate,
f*xattr, FS_IOC_SETFLAGS, locks, shared writable mappings), does so again after the file
was copied up by itself, a child or a metadata change, reopens the fds through
/proc/self/fd and /dev/fd for writing, links them elsewhere, opens lower files for writing
(write, pwrite, writev, sendfile, copy_file_range, splice, mmap), renames, removes and
creates beside lower names, works from a cwd (chdir, fchdir to an O_PATH fd) in a lower
directory, goes through symlinks (to another lower file, absolute, out of the overlay)
and changes a lower directory through its fd. Afterwards the host's lower tree, the
files beside it and the decoys in the kernel's working directory (a name the guest's
file also has: a relative host path would reach them) must be exactly as before. The
oracle is Linux: the same guest under `unshare -m` on a real overlayfs of a copy of the
tree, with the same layout.
"""

import fcntl
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

import harness
from harness import assert_same, run_guest

UMLSKAS_MODES = harness.UMLSKAS_MODES
FS_IOC_GETFLAGS = 0x80086601
FILES = 80

needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                                reason="the native oracle is an overlayfs mount in `unshare -m`")


@pytest.fixture
def victims():
    """A directory of files to damage outside /tmp (--sandbox makes /tmp private)."""
    base = harness.REPO_ROOT / "tests" / ".scratch"
    base.mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="overlay-", dir=base))
    probe = path / ".probe"
    probe.write_text("")
    try:
        os.setxattr(probe, "user.probe", b"1")
    except OSError:
        shutil.rmtree(path)
        pytest.skip(f"the filesystem of {base} has no user xattrs")
    probe.unlink()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def make_tree(base, guest_top):
    """base/R: the overlay's lower (see the guest's header); guest_top: R's guest path.
    Beside it: outside/o (what lo names from the host's side), mnt/R (the mount point
    of the --overlay runs) and a decoy for each file name (the kernel's cwd is base)."""
    low = base / "R"
    for d in ("d", "e", "r/sub", "s", "t", "q", "q2", "q3", "rw"):
        (low / d).mkdir(parents=True)
    for i in range(FILES):
        f = low / f"p{i:02d}"
        f.write_text("original\n")
        f.chmod(0o644)
        os.setxattr(f, "user.keep", b"1")
        (base / f"p{i:02d}").write_text("DECOY\n")
    for name in ("d/h", "r/r1", "r/r2", "r/sub/s", "s/s1", "s/s2", "s/s3",
                 "t/t1", "t/t2", "t/t3", "t/t4"):
        (low / name).write_text(name + "\n")
    for d in ("q", "q2", "q3"):
        os.setxattr(low / d, "user.keep", b"1")
    os.symlink("p70", low / "l2")
    os.symlink(f"{guest_top}/p71", low / "la")
    os.symlink("../outside/o", low / "lo")
    os.symlink("p62", low / "lx")
    (base / "outside").mkdir()
    (base / "outside" / "o").write_text("outside\n")
    (base / "mnt" / "R").mkdir(parents=True)
    return low


def _flags(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        return struct.unpack("<i", fcntl.ioctl(fd, FS_IOC_GETFLAGS, b"\0" * 8)[:4])[0]
    except OSError:
        return None
    finally:
        os.close(fd)


def snapshot(root, skip=()):
    """Everything about a tree that a change could touch."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in skip]
        for name in [""] + dirnames + filenames:
            path = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(path)
            if os.path.islink(path):
                data, xattrs, flags = os.readlink(path), None, None
            else:
                data = open(path, "rb").read() if os.path.isfile(path) else None
                xattrs = sorted((n, os.getxattr(path, n)) for n in os.listxattr(path))
                flags = _flags(path)
            out[os.path.relpath(path, root)] = (st.st_mode, st.st_uid, st.st_gid, st.st_size,
                                                st.st_mtime_ns, st.st_ctime_ns, st.st_nlink,
                                                data, xattrs, flags)
    return out


def _diff(before, after):
    lines = []
    for k in sorted(set(before) | set(after)):
        if before.get(k) != after.get(k):
            lines.append(f"{k}: {before.get(k)} -> {after.get(k)}")
    return "\n".join(lines[:40])


# Answers where umlskas knowingly differs from overlayfs (each refuses; none changes the
# lower): the inode-flag ioctls are not passed to the host (ENOTTY); a file opened in the
# lower and then renamed is copied up by the name it was opened by, which is a whiteout
# now (overlayfs follows its dentry to the new name; the kernel keeps no such link).
KNOWN = {
    b"ioctl FS_IOC_SETFLAGS ro fd": b"-1 ENOTTY",
    b"ioctl FS_IOC_FSSETXATTR ro fd": b"-1 ENOTTY",
    b"reopen /proc/self/fd/N of moved p64 O_RDWR, write": b"-1 EEXIST",
    b"setxattr /proc/self/fd/N of moved p64": b"-1 EEXIST",
}


def _known(out):
    lines = []
    for line in out.split(b"\n"):
        label, sep, _ = line.partition(b": ")
        lines.append(label + sep + KNOWN[label] if sep and label in KNOWN else line)
    return b"\n".join(lines)


_native_cache = {}


def run_native(guests, tmp_path, layout):
    """The guest on a real overlayfs: "sandbox" mounts the whole base over itself (as
    --sandbox does for /), "overlay" mounts base/R at base/mnt/R."""
    if layout in _native_cache:
        return _native_cache[layout]
    base = tmp_path / f"native-{layout}"
    base.mkdir()
    up, work = tmp_path / f"native-{layout}-up", tmp_path / f"native-{layout}-work"
    up.mkdir()
    work.mkdir()
    if layout == "sandbox":
        top, lower, point = base / "R", base, base
    else:
        top, lower, point = base / "mnt" / "R", base / "R", base / "mnt" / "R"
    make_tree(base, top)
    script = ('mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" && '
              'cd "$5" && exec "$0" "$6"')
    native = run_guest("native", ["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                                  guests.path("sec_escape_overlay", static=True),
                                  lower, up, work, point, base, top])
    assert native.returncode == 0, harness.describe(native)
    _native_cache[layout] = native
    return native


def run_umlskas(umode, guests, base, variant):
    if variant == "sandbox":
        top = base / "R"
        options = ["--sandbox"]
    else:
        top = base / "mnt" / "R"
        spec = f"{base / 'R'}:{top}"
        if variant == "upper":
            (base / "upper").mkdir()
            spec += f":{base / 'upper'}"
        options = ["--overlay", spec]
    make_tree(base, top)
    guest = guests.path("sec_escape_overlay", static=True)
    if variant == "sandbox":
        # --sandbox hides the host's /tmp but for the working directory, and a checkout
        # under /tmp (as in CI) keeps its guest binaries there.
        shutil.copy2(guest, base / "guest")
        guest = base / "guest"
    skip = {str(base / "upper")}
    before = snapshot(base, skip)
    got = run_guest(umode, [guest, top], cwd=base, options=options)
    after = snapshot(base, skip)
    if after != before:
        pytest.fail("the guest changed the overlay's lower layer or the host files beside "
                    "it:\n" + _diff(before, after) + "\n" + harness.describe(got))
    return got


@needs_root
@pytest.mark.parametrize("variant", ["sandbox", "memory", "upper"])
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_overlay_lower_is_never_changed(umode, variant, tmp_path, guests, victims):
    native = run_native(guests, tmp_path, "sandbox" if variant == "sandbox" else "overlay")
    got = run_umlskas(umode, guests, victims, variant)
    assert_same(subprocess.CompletedProcess(native.args, native.returncode,
                                            _known(native.stdout), native.stderr), got, umode)
    if variant == "upper":
        # the write through the reopened old fd went to the kept upper copy
        assert (victims / "upper" / "p37").read_text() == "COPIED\nl\nPWNED\n"
