"""The kernel's own /proc and /dev (procfs.py, devfs.py).

Two kinds of tests:
* guests (tests/guests/proc_fs.c, dev_fs.c, and small Python and shell
  scripts) that print only what is the same natively and under umlskas: the
  native run is the oracle, the umlskas run must print the same;
* checks of what only umlskas shows (run in the skas and tt modes only): /proc
  lists the guest's processes and nothing of the host's, /dev lists the
  kernel's devices, deterministic runs repeat.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from harness import (DEFAULT_ENV, REPO_ROOT, assert_same, bad_lines, describe, native_result,
                     run_guest)

PY = "/usr/bin/python3.11" if os.path.exists("/usr/bin/python3.11") else sys.executable
BUSYBOX = shutil.which("busybox")
PROC_ENV = {**DEFAULT_ENV, "PROCFS_TEST": "yes"}
DEV_NAMES = sorted(["null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm",
                    "fd", "stdin", "stdout", "stderr"])
PROC_NAMES = sorted(["self", "thread-self", "cpuinfo", "meminfo", "stat", "uptime", "loadavg",
                     "version", "filesystems", "mounts", "sys", "sysvipc"])


def check_guest(mode, argv, *, env=None, repeat=True, timeout=None):
    """Natively: status 0, some output, no BAD line, the same output twice.
    Under umlskas: the same stdout and status as natively."""
    argv = [str(a) for a in argv]
    if mode == "native":
        first = run_guest("native", argv, env=env, timeout=timeout)
        assert first.returncode == 0, describe(first)
        assert first.stdout, describe(first)
        assert not bad_lines(first.stdout), "\n".join(bad_lines(first.stdout)) + "\n" + \
            describe(first)
        if repeat:
            second = run_guest("native", argv, env=env, timeout=timeout)
            assert (second.returncode, second.stdout) == (first.returncode, first.stdout), \
                "native output is not deterministic:\n" + describe(first) + "\n" + \
                describe(second)
        return first
    expected = native_result(argv, env=env)
    got = run_guest(mode, argv, env=env, timeout=timeout)
    assert_same(expected, got, mode)
    return got


def umlskas_only(mode):
    if mode == "native":
        pytest.skip("checks what only umlskas shows")


def run(mode, argv, **kw):
    r = run_guest(mode, [str(a) for a in argv], **kw)
    assert r.returncode == 0, describe(r)
    return r.stdout.decode()


# ---- C guests, native vs umlskas ----------------------------------------------------------

@pytest.mark.parametrize("section", ["root", "sys", "self", "fd", "threads", "children"])
def test_proc_guest(mode, guests, section):
    check_guest(mode, [guests.path("proc_fs"), section], env=PROC_ENV)


@pytest.mark.parametrize("section", ["nodes", "memdev", "tty", "pty", "openpty"])
def test_dev_guest(mode, guests, section):
    check_guest(mode, [guests.path("dev_fs"), section])


def test_proc_guest_static(mode, guests):
    """The same /proc/self checks from a static binary (no loader, no libc files mapped)."""
    check_guest(mode, [guests.path("proc_fs", static=True), "self"], env=PROC_ENV)


# ---- scripts, native vs umlskas ----------------------------------------------------------

PTY_SCRIPT = r"""
import os, pty, sys
m, s = os.openpty()
print("os.openpty ttyname:", os.ttyname(s).startswith("/dev/pts/"), os.isatty(m))
m2, s2 = pty.openpty()
name = os.ttyname(s2)
print("pty.openpty ttyname:", name.startswith("/dev/pts/"),
      os.path.basename(name) in os.listdir("/dev/pts"))
os.write(m2, b"ping\n")
print("slave read:", os.read(s2, 100))
for fd in (m, s, m2, s2):
    os.close(fd)
print("gone after close:", not os.path.exists(name))
pid, fd = pty.fork()
if pid == 0:
    print("child ttyname:", os.ttyname(0).startswith("/dev/pts/"), os.getsid(0) == os.getpid())
    t = os.open("/dev/tty", os.O_RDWR)
    print("child /dev/tty:", os.ttyname(t))
    sys.stdout.flush()
    os._exit(3)
out = b""
while True:
    try:
        chunk = os.read(fd, 1000)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
print(out.decode().replace("\r\n", "\n"), end="")
print("child status:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


def test_python_ptys(mode):
    check_guest(mode, [PY, "-c", PTY_SCRIPT], timeout=30)


@pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")
def test_shell_device_commands(mode):
    script = ("cat /dev/null; echo cat=$?; head -c 8 /dev/urandom | wc -c; "
              "(echo x > /dev/full) 2>/dev/null; echo full=$?; "
              "ls -l /dev/null | awk '{print $1, $5, $6}'; "
              "ls -ld /dev/pts /dev/shm | awk '{print $1}'; "
              "readlink /dev/stdin; readlink /dev/fd; test -c /dev/zero && echo zero-is-char; "
              "head -c 5 /dev/zero | od -An -tx1; echo hi > /dev/null; echo null=$?")
    check_guest(mode, [BUSYBOX, "sh", "-c", script])


@pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")
def test_shell_proc_commands(mode):
    script = ("grep -c '^Pid:' /proc/self/status; test -r /proc/cpuinfo && echo cpuinfo; "
              "readlink /proc/self/cwd; cat /proc/self/comm; "
              "test -d /proc/$$ && echo own-dir; test -e /proc/2147483647 || echo no-such-pid; "
              "awk '{print NF}' /proc/loadavg /proc/uptime; head -c 4 /proc/self/cmdline; echo; "
              "cat /proc/sys/kernel/ostype; echo 123 > /proc/self/oom_score_adj; "
              "cat /proc/self/oom_score_adj; grep -c ' /proc proc ' /proc/mounts")
    check_guest(mode, [BUSYBOX, "sh", "-c", script])


# ---- what only umlskas shows ---------------------------------------------------------------

LIST_SCRIPT = """
import os, subprocess, sys
child = subprocess.Popen(["sleep", "5"])
names = os.listdir("/proc")
print(sorted(int(n) for n in names if n.isdigit()) == sorted([os.getpid(), child.pid]))
print(" ".join(sorted(n for n in names if not n.isdigit())))
print(os.path.exists("/proc/" + sys.argv[1]), os.path.exists("/proc/%d" % child.pid))
print(" ".join(sorted(os.listdir("/dev"))))
print(" ".join(sorted(os.listdir("/dev/pts"))))
print(open("/proc/self/status").read().split("\\nPid:\\t")[1].split()[0])
child.kill()
child.wait()
"""


def test_proc_and_dev_listings_are_the_kernels(mode):
    umlskas_only(mode)
    host_pid = os.getpid()
    out = run(mode, [PY, "-c", LIST_SCRIPT, str(host_pid)], timeout=90).splitlines()
    assert out[0] == "True", out
    assert out[1].split() == PROC_NAMES
    assert out[2] == "False True"
    assert out[3].split() == DEV_NAMES
    assert out[4].split() == ["ptmx"]          # the tests run with no terminal
    assert out[5] == "1"


@pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")
def test_busybox_ps_sees_only_guest_processes(mode):
    umlskas_only(mode)
    out = run(mode, [BUSYBOX, "sh", "-c",
                     "busybox sleep 5 & busybox ps -o pid,args; kill $!"])
    rows = [line.split(None, 1) for line in out.splitlines()[1:]]
    assert sorted(int(r[0]) for r in rows) == [1, 2, 3], out
    assert rows[0][1].endswith("kill $!") and rows[2][1] == "busybox ps -o pid,args", out


@pytest.mark.skipif(shutil.which("ps") is None, reason="procps ps not installed")
def test_procps_ps(mode):
    umlskas_only(mode)
    out = run(mode, [shutil.which("ps"), "-e", "-o", "pid=,ppid=,stat=,comm="])
    assert out.split() == ["1", "0", "R", "ps"] or out.split()[:2] == ["1", "0"], out


def umlskas_run(*args):
    return subprocess.run([sys.executable, "-m", "umlskas", "run", *args], cwd=REPO_ROOT,
                          capture_output=True, timeout=60)


@pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")
@pytest.mark.timeout(120)
def test_deterministic_proc_and_dev_repeat():
    script = ("cat /proc/uptime /proc/loadavg /proc/sys/kernel/random/uuid "
              "/proc/sys/kernel/random/boot_id; head -c 16 /dev/urandom | od -An -tx1; "
              "uname -n; cat /proc/sys/kernel/hostname; uname -r; "
              "cat /proc/sys/kernel/osrelease; grep -c . /proc/meminfo; cat /proc/self/stat")
    outs = {umlskas_run("--deterministic", "--", BUSYBOX, "sh", "-c", script).stdout
            for _ in range(2)}
    assert len(outs) == 1
    lines = outs.pop().decode().splitlines()
    assert float(lines[0].split()[0]) >= 1000          # BOOT_NS of the virtual clock
    assert lines[1].startswith("0.00 0.00 0.00 ")
    assert lines[5] == lines[6] == "umlskas"             # uname -n = /proc/sys/kernel/hostname
    assert lines[7] == lines[8] == "6.1.0-umlskas"       # uname -r = osrelease


@pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")
def test_hostname_option_shows_in_proc():
    p = umlskas_run("--hostname", "guestbox", "--", BUSYBOX, "sh", "-c",
                    "uname -n; cat /proc/sys/kernel/hostname; uname -r; "
                    "cat /proc/sys/kernel/osrelease")
    lines = p.stdout.decode().splitlines()
    assert lines[:2] == ["guestbox", "guestbox"], p.stderr
    assert lines[2] == lines[3] == os.uname().release
