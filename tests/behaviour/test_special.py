"""Guests with special expectations: exit statuses, int $0x80, exec errors."""

from __future__ import annotations

import os
import signal

import pytest

from harness import assert_same, describe, native_result, run_guest


@pytest.mark.timeout(60)
@pytest.mark.parametrize("static", [False, True], ids=["dynamic", "static"])
@pytest.mark.parametrize("how,rc", [("return", 5), ("exit", 4), ("exit_group", 3), ("flush", 6), ("big", 44)])
def test_exit_status(mode, guests, how, rc, static):
    argv = [guests.path("exits", static=static), how]
    expected = native_result(argv)
    assert expected.returncode == rc, describe(expected)
    if mode == "native":
        return
    assert_same(expected, run_guest(mode, argv), mode)


@pytest.mark.timeout(60)
def test_exit42(mode, guests):
    argv = [guests.path("exit42")]
    r = run_guest(mode, argv)
    assert r.returncode == 42, describe(r)
    assert r.stdout == b"exiting with 42\n", describe(r)


@pytest.mark.timeout(60)
def test_enosys_keeps_running(mode, guests):
    r = run_guest(mode, [guests.path("enosys")])
    assert r.returncode == 0, describe(r)
    out = r.stdout.decode()
    assert "syscall 1000: -1 ENOSYS" in out, describe(r)
    assert "alive" in out, describe(r)
    assert "getpid after enosys: ok" in out, describe(r)


@pytest.mark.timeout(60)
def test_fdscan_sees_only_stdio(mode, guests):
    r = run_guest(mode, [guests.path("fdscan")])
    assert r.returncode == 0, describe(r)
    lines = r.stdout.decode().splitlines()
    assert lines[0] == "open fds: 0 1 2", describe(r)
    assert lines[1] == "open fd count (raw, <4096): 3", describe(r)
    assert "first new fd: 3" in lines, describe(r)


@pytest.mark.timeout(60)
def test_int80(mode, guests):
    """Natively int $0x80 reaches the i386 syscall table (getpid, exit(7)).
    umlskas must refuse it with -ENOSYS, never run it as an x86-64 syscall."""
    r = run_guest(mode, [guests.path("int80")])
    out = r.stdout.decode("utf-8", "replace")
    assert "WRONG" not in out, describe(r)
    if mode == "native":
        if r.returncode == -signal.SIGSEGV:
            pytest.skip("kernel without IA32 emulation: int $0x80 faults natively")
        assert out.startswith("int80 getpid: positive\n"), describe(r)
        assert r.returncode == 7, describe(r)
        return
    assert "int80 getpid: ENOSYS" in out, describe(r)
    assert "int80 exit: ENOSYS" in out, describe(r)
    assert "int80 refused" in out, describe(r)
    assert "alive" in out, describe(r)
    assert r.returncode == 0, describe(r)


@pytest.mark.timeout(60)
def test_nonexistent_program_127(mode, tmp_path):
    r = run_guest(mode, [str(tmp_path / "no-such-program")])
    assert r.returncode == 127, describe(r)
    assert r.stdout == b"", describe(r)


@pytest.mark.timeout(60)
def test_not_executable_126(mode, tmp_path):
    prog = tmp_path / "not-executable"
    prog.write_text("#!/bin/sh\necho should not run\n")
    os.chmod(prog, 0o644)
    r = run_guest(mode, [str(prog)])
    assert r.returncode == 126, describe(r)
    assert r.stdout == b"", describe(r)


@pytest.mark.timeout(60)
def test_directory_is_not_executable_126(mode, tmp_path):
    d = tmp_path / "a-directory"
    d.mkdir()
    r = run_guest(mode, [str(d)])
    assert r.returncode == 126, describe(r)
