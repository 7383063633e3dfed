"""Syscall fuzzing: tests/guests/fuzz_syscalls.c makes thousands of random
syscalls (from a whitelist that is safe for the host) with random-ish
arguments.  Under umlskas every one of them must give a result or an errno:
no kernel bug, no hang, no crash.  The guest prints only "calls: N" / "done".
"""

from __future__ import annotations

import shutil

import pytest

from harness import describe, run_guest

SEEDS = [1, 2, 3, 4]
NCALLS = 3000
GUEST_TIMEOUT = 60  # a run takes a few seconds; a hang is a bug

# (mode, seed) -> reason, for runs that trigger a known, not yet fixed umlskas bug
KNOWN_BUGS: dict[tuple[str, int], str] = {}


def _check(result):
    text = describe(result)
    err = result.stderr.decode("utf-8", "replace")
    assert "kernel bug" not in err, text
    assert "Traceback" not in err, text
    assert result.returncode == 0, text
    assert result.stdout.decode("utf-8", "replace").splitlines() == [f"calls: {NCALLS}", "done"], text


@pytest.mark.timeout(GUEST_TIMEOUT + 60)
@pytest.mark.parametrize("seed", SEEDS)
def test_fuzz_syscalls(mode, seed, guests, tmp_path, request):
    """`mode` runs over conftest.MODES: natively (the guest itself must be
    sane) and under every umlskas mode."""
    if mode != "native" and (mode, seed) in KNOWN_BUGS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_BUGS[(mode, seed)], strict=False))
    binary = guests.path("fuzz_syscalls")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = run_guest(mode, [binary, str(seed), str(NCALLS), str(scratch)], timeout=GUEST_TIMEOUT)
    _check(result)


@pytest.mark.timeout(GUEST_TIMEOUT + 60)
@pytest.mark.parametrize("seed", [5, 6])
def test_fuzz_syscalls_in_a_sandbox(seed, guests, tmp_path):
    """The same random calls with every path going through the overlay of --sandbox
    and a tmpfs: still an answer for each, and the host directory stays as it was."""
    # The sandbox's /tmp is private: the guest and its scratch directory live in the
    # working directory, which stays visible (a checkout may itself be under /tmp).
    binary = tmp_path / "fuzz_syscalls"
    shutil.copy(guests.path("fuzz_syscalls"), binary)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "keep").write_text("keep\n")
    result = run_guest("skas", [binary, str(seed), str(NCALLS), str(scratch)],
                       timeout=GUEST_TIMEOUT, cwd=tmp_path,
                       options=["--sandbox", "--tmpfs", "/scratch-tmpfs"])
    _check(result)
    assert sorted(p.name for p in scratch.iterdir()) == ["keep"]
    assert (scratch / "keep").read_text() == "keep\n"
