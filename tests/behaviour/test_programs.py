"""Real programs (busybox and Debian's coreutils/python), native vs umlskas."""

from __future__ import annotations

import os
import shutil

import pytest

from harness import assert_same, describe, native_result, run_guest

BUSYBOX = shutil.which("busybox", path="/usr/bin:/bin:/usr/sbin:/sbin")

PY_SNIPPET = ("import json, hashlib, os; "
              "print(json.dumps({'k': [1, 2]}), hashlib.sha256(b'x').hexdigest(), os.getcwd())")

# (id, argv, env or None, expected exit status)
PROGRAMS = [
    ("busybox-echo", ["busybox", "echo", "hello"], None, 0),
    ("busybox-ls-usr-bin", ["busybox", "ls", "-l", "/usr/bin"], None, 0),
    ("busybox-false", ["busybox", "false"], None, 1),
    ("busybox-true", ["busybox", "true"], None, 0),
    ("busybox-sh-builtins", ["busybox", "sh", "-c", "echo a; x=$((6*7)); echo $x; exit 3"], None, 3),
    ("busybox-cat-os-release", ["busybox", "cat", "/etc/os-release"], None, 0),
    ("ls-la-usr-share", ["/bin/ls", "-la", "/usr/share"], None, 0),
    ("cat-os-release", ["/bin/cat", "/etc/os-release"], None, 0),
    ("env", ["/usr/bin/env"], {"A": "1", "PATH": "/usr/bin:/bin"}, 0),
    ("sha256sum-ls", ["/usr/bin/sha256sum", "/bin/ls"], None, 0),
    ("python3.11", ["/usr/bin/python3.11", "-c", PY_SNIPPET], None, 0),
]


def _resolve(argv):
    if argv[0] == "busybox":
        if BUSYBOX is None:
            pytest.skip("busybox not installed")
        return [BUSYBOX, *argv[1:]]
    if not os.path.exists(argv[0]):
        pytest.skip(f"{argv[0]} not present")
    for a in argv[1:]:
        if a.startswith("/") and not os.path.exists(a):
            pytest.skip(f"{a} not present")
    return list(argv)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("argv,env,rc", [pytest.param(a, e, rc, id=i) for i, a, e, rc in PROGRAMS])
def test_program(mode, argv, env, rc):
    argv = _resolve(argv)
    expected = native_result(argv, env=env)
    assert expected.returncode == rc, describe(expected)
    if mode == "native":
        assert expected.stdout or rc != 0 or argv[-1] == "true", describe(expected)
        return
    assert_same(expected, run_guest(mode, argv, env=env), mode)


@pytest.mark.timeout(60)
def test_busybox_cat_scratch_file(mode, tmp_path):
    """A file written by the test, read back by a guest program."""
    if BUSYBOX is None:
        pytest.skip("busybox not installed")
    f = tmp_path / "lines.txt"
    f.write_bytes(b"".join(b"line %d\n" % i for i in range(2000)))
    r = run_guest(mode, [BUSYBOX, "wc", "-l", str(f)])
    assert r.returncode == 0, describe(r)
    assert r.stdout.split()[0] == b"2000", describe(r)


@pytest.mark.timeout(60)
def test_stdin_is_passed_through(mode):
    """The guest reads the caller's stdin (a pipe) until EOF."""
    if BUSYBOX is None:
        pytest.skip("busybox not installed")
    data = b"".join(b"stdin line %d\n" % i for i in range(500))
    r = run_guest(mode, [BUSYBOX, "cat"], input=data)
    assert r.returncode == 0, describe(r)
    assert r.stdout == data, describe(r)


@pytest.mark.timeout(60)
def test_stdin_file_offset_is_shared(mode, tmp_path):
    """stdin is an inherited regular-file description: the guest starts at the
    caller's offset and its reads move that shared offset."""
    if BUSYBOX is None:
        pytest.skip("busybox not installed")
    f = tmp_path / "input.txt"
    f.write_bytes(b"0123456789" + b"rest of the file\n")
    with open(f, "rb", buffering=0) as fh:
        fh.read(10)
        r = run_guest(mode, [BUSYBOX, "head", "-c", "4"], stdin=fh)
        after = os.lseek(fh.fileno(), 0, os.SEEK_CUR)
    assert r.returncode == 0, describe(r)
    assert r.stdout == b"rest", describe(r)
    native_after = _native_offset_after_head(tmp_path)
    assert after == native_after, f"offset after guest: {after}, natively {native_after}"


def _native_offset_after_head(tmp_path):
    f = tmp_path / "input-native.txt"
    f.write_bytes(b"0123456789" + b"rest of the file\n")
    with open(f, "rb", buffering=0) as fh:
        fh.read(10)
        run_guest("native", [BUSYBOX, "head", "-c", "4"], stdin=fh)
        return os.lseek(fh.fileno(), 0, os.SEEK_CUR)
