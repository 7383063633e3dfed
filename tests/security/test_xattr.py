"""Escape: extended attributes written past a read-only descriptor, a read-only mount,
an overlay's lower layer, or the caller's privileges (issue 10, item 1).

The kernel runs as root, so the host lets every xattr call through: a guest that
reached the host file could set security.capability (file capabilities), trusted.*
or an ACL on it. The guest tests/guests/sec_xattr.c tries every variant (by fd opened
O_RDONLY, by path, without following links) on files this test made; afterwards the
host's own view of the files (os.listxattr/os.getxattr, the mode) must be unchanged.
Where a native run is safe it is the oracle: a read-only bind mount in a private mount
namespace (unshare -m), and the unprivileged guest (uid 65534) on plain files.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import harness
from harness import run_guest

NOBODY = 65534
UNSHARE = shutil.which("unshare")


def _host_supports_xattrs(path):
    probe = Path(path) / ".xattr-probe"
    probe.write_text("")
    try:
        os.setxattr(probe, "user.probe", b"1")
        os.setxattr(probe, "trusted.probe", b"1")
        return True
    except OSError:
        return False
    finally:
        probe.unlink()


@pytest.fixture
def victims():
    """A directory of files to damage, outside /tmp (--sandbox makes /tmp private) and
    on a path every uid may walk (the unprivileged guest opens it by name)."""
    base = harness.REPO_ROOT / "tests" / ".scratch"
    base.mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="xattr-", dir=base))
    path.chmod(0o755)
    if os.geteuid() != 0:
        shutil.rmtree(path)
        pytest.skip("the victims are root-owned files with trusted.* xattrs: needs root")
    if not _host_supports_xattrs(path):
        shutil.rmtree(path)
        pytest.skip(f"the filesystem of {base} has no user/trusted xattrs")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def make_victims(d):
    """The files sec_xattr.c expects (see its header), fresh."""
    for name in os.listdir(d):
        p = d / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
    f = d / "f"
    f.write_text("root's file\n")
    f.chmod(0o644)
    os.setxattr(f, "user.keep", b"1")
    os.setxattr(f, "trusted.keep", b"1")
    own = d / "own"
    own.write_text("nobody's file\n")
    own.chmod(0o644)
    os.chown(own, NOBODY, NOBODY)
    os.setxattr(own, "user.keep", b"1")
    (d / "d").mkdir(mode=0o755)
    (d / "s").mkdir()
    (d / "s").chmod(0o1777)
    os.mkfifo(d / "p", 0o666)
    (d / "l").symlink_to("f")


def snapshot(d):
    """The host's view of every victim: mode, owner and all xattrs with their values."""
    out = {}
    for name in sorted(os.listdir(d)):
        p = d / name
        st = os.lstat(p)
        attrs = {}
        for a in os.listxattr(p, follow_symlinks=False):
            try:
                attrs[a] = os.getxattr(p, a, follow_symlinks=False)
            except OSError as e:
                attrs[a] = e.errno
        out[name] = (st.st_mode, st.st_uid, st.st_gid, attrs)
    return out


def lines(result):
    assert result.returncode == 0, harness.describe(result)
    return dict(line.split(": ", 1) for line in result.stdout.decode().splitlines())


# Every write sec_xattr.c makes, by its label's start (file names follow).
WRITES = ("fsetxattr", "fremovexattr", "setxattr", "lsetxattr", "removexattr", "lremovexattr")


def test_ro_bind_refuses_every_write_as_linux(mode, guests, victims):
    """--ro-bind: EROFS for every write, by path or by an O_RDONLY fd, whatever the name
    (fs/xattr.c: mnt_want_write comes before any permission or value check)."""
    make_victims(victims)
    before = snapshot(victims)
    guest = guests.path("sec_xattr")
    if mode == "native":
        if UNSHARE is None:
            pytest.skip("unshare(1) is needed for the native read-only bind")
        script = 'mount --bind -o ro "$1" "$1" && exec "$2" "$1"'
        got = run_guest("native", [UNSHARE, "-m", "sh", "-c", script, "sh", victims, guest])
    else:
        got = run_guest(mode, [guest, victims], options=["--ro-bind", f"{victims}:{victims}"])
    out = lines(got)
    writes = {k: v for k, v in out.items() if k.startswith(WRITES)}
    assert writes.pop("setxattr missing user.x") == "-1 ENOENT"
    assert writes and set(writes.values()) == {"-1 EROFS"}, writes
    assert out["get f trusted.keep"] == "1 '1'"
    assert out["list f"] == "trusted.keep user.keep"
    assert snapshot(victims) == before


def test_unprivileged_guest_gets_linux_answers(mode, guests, victims):
    """uid 65534 on plain host files: xattr_permission's answers (EACCES without write
    permission, EPERM for trusted.*, security.* and another owner's ACL, trusted.*
    invisible), and the host files change exactly as natively (its own file only)."""
    make_victims(victims)
    got = run_guest(mode, [guests.path("sec_xattr"), victims, NOBODY])
    out = lines(got)
    assert out["fsetxattr user.x f"] == "-1 EACCES"
    assert out["fsetxattr trusted.x f"] == "-1 EPERM"
    assert out["fsetxattr security.capability f"] == "-1 EPERM"
    assert out["fsetxattr security.capability garbage f"] == "-1 EINVAL"
    assert out["fsetxattr system.posix_acl_access f"] == "-1 EPERM"
    assert out["fremovexattr trusted.keep f"] == "-1 EPERM"
    assert out["get f trusted.keep"] == "-1 ENODATA"
    assert out["list f"] == "user.keep"
    assert out["fsetxattr user.x own"] == "0"
    assert out["fsetxattr security.capability own"] == "-1 EPERM"
    assert out["setxattr s user.x"] == "-1 EPERM"
    assert out["setxattr p user.x"] == "-1 EPERM"
    after = snapshot(victims)
    assert after["f"] == (0o100644, 0, 0, {"user.keep": b"1", "trusted.keep": b"1"})
    assert "security.capability" not in after["own"][3]
    if mode != "native":
        make_victims(victims)
        native = run_guest("native", [guests.path("sec_xattr"), victims, NOBODY])
        harness.assert_same(native, got, mode)
        assert snapshot(victims) == after


def _private_layer_lines(out):
    """In a layer private to the kernel, root may write every namespace, as on Linux."""
    for file in ("f", "own"):
        for label in ("fsetxattr user.x", "fsetxattr trusted.x", "fsetxattr security.capability",
                      "fsetxattr security.x", "fsetxattr system.posix_acl_access",
                      "fremovexattr user.keep", "setxattr user.y", "lsetxattr security.capability",
                      "removexattr security.capability"):
            assert out[f"{label} {file}"] == "0", (label, file, out)
        assert out[f"fsetxattr security.capability garbage {file}"] == "-1 EINVAL"
        assert out[f"fsetxattr system.posix_acl_access garbage {file}"] == "-1 EINVAL"
        assert out[f"fsetxattr system.posix_acl_access no mask {file}"] == "-1 EINVAL"
        assert out[f"fsetxattr other.x {file}"] == "-1 EOPNOTSUPP"
        assert out[f"get {file} user.x"] == "1 '1'"
        assert out[f"fgetxattr user.x {file}"] == "1"      # the fd sees the copy-up
        assert out[f"mode {file}"] == "647"
    assert out["fremovexattr trusted.keep f"] == "0"
    assert out["setxattrat trusted.z f"] == "0"
    assert out["get f trusted.keep"] == "-1 ENODATA"
    assert out["list f"] == "security.x trusted.x trusted.y user.x user.y user.z"
    assert out["setxattr p user.x"] == "-1 EPERM"
    assert out["lsetxattr l user.x"] == "-1 EPERM"
    assert out["setxattr f system.posix_acl_default"] == "-1 EACCES"


@pytest.mark.parametrize("umode", ["skas", "tt"])
def test_sandbox_writes_stay_in_memory(umode, guests, victims):
    """--sandbox: the files are in the overlay's lower (the host's /): every write, by
    an O_RDONLY fd too, copies the file up into memory; the host file never changes."""
    make_victims(victims)
    before = snapshot(victims)
    got = run_guest(umode, [guests.path("sec_xattr"), victims], options=["--sandbox"])
    _private_layer_lines(lines(got))
    assert snapshot(victims) == before


@pytest.mark.parametrize("umode", ["skas", "tt"])
def test_overlay_in_memory_never_writes_the_lower(umode, guests, victims):
    make_victims(victims)
    before = snapshot(victims)
    got = run_guest(umode, [guests.path("sec_xattr"), "/ovl"],
                    options=["--overlay", f"{victims}:/ovl"])
    _private_layer_lines(lines(got))
    assert snapshot(victims) == before


@pytest.mark.parametrize("umode", ["skas", "tt"])
def test_overlay_kept_upper_gets_no_security_or_trusted(umode, guests, victims):
    """--overlay HOST:GUEST:UPPER keeps the upper on the host: user.* and ACLs reach it,
    security.* and trusted.* do not (umlskas's rule, see kernel/xattr.py)."""
    lower = victims / "lower"
    upper = victims / "upper"
    lower.mkdir()
    make_victims(lower)
    before = snapshot(lower)
    got = run_guest(umode, [guests.path("sec_xattr"), "/ovl"],
                    options=["--overlay", f"{lower}:/ovl:{upper}"])
    out = lines(got)
    assert out["fsetxattr user.x f"] == "0"
    assert out["fsetxattr system.posix_acl_access f"] == "0"
    for label in ("fsetxattr trusted.x f", "fsetxattr security.capability f",
                  "fsetxattr security.x f", "fremovexattr trusted.keep f",
                  "lsetxattr security.capability f", "setxattr trusted.y f"):
        assert out[label] == "-1 EPERM", (label, out)
    assert snapshot(lower) == before
    for name in ("f", "own"):
        attrs = os.listxattr(upper / name)
        assert not [a for a in attrs if a.startswith(("security.capability", "trusted."))], attrs


def test_host_bind_refuses_security_and_trusted_to_root(mode, guests, victims):
    """Root in the guest on a read-write host directory: user.* and ACLs as on Linux,
    but security.* and trusted.* are not written to the host file (EPERM)."""
    if mode == "native":
        pytest.skip("natively root may write them: this is umlskas's own rule")
    make_victims(victims)
    got = run_guest(mode, [guests.path("sec_xattr"), victims])
    out = lines(got)
    assert out["fsetxattr user.x f"] == "0"
    for label in ("fsetxattr trusted.x f", "fsetxattr security.capability f",
                  "fremovexattr trusted.keep f", "lsetxattr security.capability own",
                  "setxattrat trusted.z f", "removexattrat trusted.z own"):
        assert out[label] == "-1 EPERM", (label, out)
    assert out["fsetxattr security.capability garbage f"] == "-1 EINVAL"
    after = snapshot(victims)
    assert after["f"][3].get("trusted.keep") == b"1"
    assert not [a for n in after for a in after[n][3]
                if a.startswith("security.capability") or a in ("trusted.x", "trusted.y")]


def test_kernel_made_files_answer_an_errno(mode, guests, victims):
    """xattr calls on procfs files and pipes (which have no host file behind the name)
    answer as Linux, as root and as an unprivileged guest; one such removexattr was a
    kernel bug (exit 125) found by trinity."""
    make_victims(victims)
    for who in ([], [NOBODY]):
        got = lines(run_guest(mode, [guests.path("sec_xattr"), victims, *who]))
        kernel_made = {k: v for k, v in got.items() if k.startswith("kernel-made ")}
        assert len(kernel_made) == 5, got
        if mode != "native":
            native = lines(run_guest("native", [guests.path("sec_xattr"), victims, *who]))
            assert kernel_made == {k: v for k, v in native.items()
                                   if k.startswith("kernel-made ")}
