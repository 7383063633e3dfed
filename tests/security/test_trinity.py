"""trinity (Debian's syscall fuzzer) as a guest in a root of its own: bounded runs must end.

trinity forks children that make random system calls with random arguments; the
parent waits for them with SIGCHLD blocked in sigtimedwait and polls them with
kill(pid, 0). Every run here must end with trinity's normal exit status, with no
kernel bug (exit 125) and no stub left behind.

Safety: trinity NEVER runs natively here (we are root: it would fuzz the real kernel
and file system). The guest sees a copy of trinity, its libraries and a few /etc
files under the test's tmp_path as / (--root), the kernel's own /proc and /dev, and
no network (--net none: AF_INET sockets would be the host's). trinity runs with
--dropprivs (-X): its children fuzz as nobody, so a kernel permission bug cannot
turn into damage outside that copy.

Options, and why:
- --disable-fds=sockets: trinity 2023.01 picks a random protocol's setsockopt with
  net_protocols[rnd() % 46] from an array of 45 entries; the 46th slot is the first
  word of .dynamic (DT_NEEDED = 1), so generating its socket cache in the parent
  segfaults at address 0x21 on any kernel whose sockets answer like ours. The
  children still call socket/setsockopt on random fds (where the same bug only
  costs a child, which trinity replaces).
- -q: less output; -s SEED: reproducible choices; -N, -C 2: bounded, two children.

The default suite runs a short seeded smoke run per mode; the slow test runs seeds
1-20 with -N 5000 -C 2 (README: `python3 -m pytest -m slow tests/security/test_trinity.py`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

import harness

TRINITY = "/usr/bin/trinity"
UMLSKAS_MODES = harness.UMLSKAS_MODES     # never "native" (the `mode` fixture): see the docstring

pytestmark = pytest.mark.skipif(not os.path.exists(TRINITY),
                                reason="trinity not installed (test.sh installs it)")


def make_root(root):
    """A minimal root for trinity: the binary, its libraries and loader at the paths
    ldd names, passwd/group with nobody (for --dropprivs), an empty sticky /tmp."""
    listing = subprocess.run(["ldd", TRINITY], capture_output=True, text=True, check=True).stdout
    files = [TRINITY]
    for line in listing.splitlines():
        m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if m:
            files.append(m.group(1))
    for f in files:
        dest = root / f.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(f), dest)
    for d in ("etc", "proc", "dev", "sys", "tmp"):
        (root / d).mkdir(exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                     "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    (root / "etc/group").write_text("root:x:0:\nnogroup:x:65534:\n")
    return root


def run_trinity(mode, tmp_path, seed, count, timeout):
    root = make_root(tmp_path / "root")
    argv = [TRINITY, "-X", "--disable-fds=sockets", "-q", "-N", str(count), "-C", "2",
            "-s", str(seed)]
    r = harness.run_guest(mode, argv, timeout=timeout,
                          options=["--root", str(root), "--net", "none", "--cwd", "/tmp"])
    out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    tail = f"\n--- stdout tail:\n{out[-3000:]}\n--- stderr tail:\n{err[-3000:]}"
    assert r.returncode != 125 and "kernel bug" not in err, "kernel bug" + tail
    assert r.returncode == 0, f"trinity exited {r.returncode}" + tail
    ran = re.search(r"Ran (\d+) syscalls", out)
    assert ran and int(ran.group(1)) >= count, "trinity did not report its syscalls" + tail
    return int(ran.group(1))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_trinity_seeded_smoke_run_ends(umode, tmp_path):
    # Seed 2 hung before SIGCHLD reached the parent's sigtimedwait (blocked, default action).
    run_trinity(umode, tmp_path, seed=2, count=400, timeout=90)


@pytest.mark.slow
@pytest.mark.timeout(420)
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
@pytest.mark.parametrize("seed", range(1, 21))
def test_trinity_bounded_run_ends(umode, seed, tmp_path):
    run_trinity(umode, tmp_path, seed=seed, count=5000, timeout=400)
