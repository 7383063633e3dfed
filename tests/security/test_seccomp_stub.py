"""Escape suite, seccomp mode: the stub's syscall sites, the listener fd, the guest's own filter.

The guest (tests/guests/sec_seccomp_stub.c) jumps to the two syscall instructions seccomp
mode's filter lets through (the kernel's injection sites), with the host calls an attacker
wants (kill a host process, open a host file, mkdir a host path, mmap or munmap over the
stub), with SIGSYS handled, blocked and ignored; then installs its own seccomp filter.
Every jump must end in SIGSYS (or a death by it), nothing may reach the host, and the
guest's filter must be the kernel's emulation. Only run under umlskas: natively these
probes would kill and create on the host.
"""

import os
import shutil
import subprocess
import sys
import time

import harness
from harness import run_guest

# A jump to a stub site is answered with SIGSYS (SYS_SECCOMP) the kernel raises at the
# traced stop; its si_syscall is not filled in (0), unlike a guest filter's own SIGSYS.
EXPECTED = """\
stub_syscall getpid: SIGSYS code 1 nr 0
stub_syscall kill host sleeper: SIGSYS code 1 nr 0
stub_syscall kill, guessed secret: SIGSYS code 1 nr 0
stub_syscall openat host secret: SIGSYS code 1 nr 0
stub_syscall mkdir host canary: SIGSYS code 1 nr 0
batch site kill host sleeper: SIGSYS code 1 nr 0
batch site mmap over the stub: SIGSYS code 1 nr 0
batch site mmap across the stub: SIGSYS code 1 nr 0
batch site mmap wrapping around: SIGSYS code 1 nr 0
batch site munmap the stub: SIGSYS code 1 nr 0
stub text unchanged: yes
getpid after the jumps: 1
jump with SIGSYS blocked: killed by SIGSYS
jump with SIGSYS ignored: killed by SIGSYS
no_new_privs: 0
seccomp filter: 0
getppid under the guest filter: -1 EPERM
getpgrp under the guest filter: SIGSYS code 1 nr 111
stub_syscall getpid under the guest filter: SIGSYS code 1 nr 0
getpid still the guest's: 1
int $0x80 mkdir of the host canary: ENOSYS
alive
"""


def stub_sites():
    from umlskas.host.build import stub_path
    from umlskas.host.stub_channel import _elf_symbols
    syms = _elf_symbols(stub_path(), ("stub_syscall", "stub_batch_syscall"))
    return [hex(syms["stub_syscall"]), hex(syms["stub_batch_syscall"])]


def test_jump_to_stub_syscall_sites(tmp_path, guests, sleeper):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret"
    secret.write_text("secret\n")
    canary = outside / "made-by-the-guest"
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(guests.path("sec_seccomp_stub", static=True), root / "guest")
    got = run_guest("seccomp", ["/guest", secret, sleeper.pid, canary, *stub_sites()],
                    options=["--root", str(root)])
    assert (got.returncode, got.stdout.decode()) == (0, EXPECTED), harness.describe(got)
    assert sleeper.poll() is None, "the guest killed a host process"
    assert not canary.exists(), "a guest syscall ran on the host"
    assert secret.read_text() == "secret\n"


def _stub_pids(parent):
    """Host pids of the umlskas-stub processes under one umlskas run."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and comm.startswith("umlskas-stub"):
            out.append(int(entry))
    return out


def test_no_listener_fd_in_guest(tmp_path):
    """The listener fd lives only in the kernel: the stub holds no descriptor at all."""
    proc = subprocess.Popen([sys.executable, "-m", "umlskas", "run", "--mode", "seccomp", "--",
                             "/bin/sh", "-c", "read x"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, cwd=tmp_path,
                            env=dict(os.environ, PYTHONPATH=str(harness.REPO_ROOT)))
    try:
        stubs = []
        for _ in range(200):
            stubs = _stub_pids(proc.pid)
            if stubs:
                break
            time.sleep(0.05)
        assert stubs, "no stub found under the run"
        time.sleep(0.2)
        for pid in stubs:
            assert os.listdir(f"/proc/{pid}/fd") == [], f"stub {pid} holds descriptors"
        kernel_fds = [os.readlink(f"/proc/{proc.pid}/fd/{fd}")
                      for fd in os.listdir(f"/proc/{proc.pid}/fd")]
        assert any("seccomp notify" in link for link in kernel_fds), kernel_fds
    finally:
        proc.communicate(b"\n", timeout=30)
    assert proc.returncode == 0
