"""Escape: terminal ioctls that reach the host's terminal (issue 10, item 2).

umlskas runs on a pseudo-terminal this test makes, as its stdin and controlling
terminal; the guest tests/guests/sec_tty_ioctl.c sets line disciplines (N_NULL is
built into this host's kernel: a terminal left on it is dead), injects input with
TIOCSTI, takes the console with TIOCCONS, makes the terminal exclusive, stops its
output. Afterwards the test asks the pty itself: discipline N_TTY, nothing injected,
not exclusive, output flowing, settings unchanged. A second case makes umlskas a
background job of the pty: a termios change must not stop the kernel process.

No native oracle: natively, as root, TIOCCONS would redirect the host's console and
TIOCSETD would change a real discipline. The answers asserted are Linux's
(drivers/tty/tty_io.c, tty_ldisc.c): see files.tty_ioctl for each request.
"""

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

import harness

TIOCGEXCL = 0x80045440
TIOCGETD = 0x5424
UMLSKAS_MODES = harness.UMLSKAS_MODES


def _pty():
    master, slave = os.openpty()
    return master, slave


def _state(master, slave):
    """What the guest must not have changed: discipline, exclusive mode, termios."""
    disc, = struct.unpack("<i", fcntl.ioctl(slave, TIOCGETD, b"\0" * 4))
    excl, = struct.unpack("<i", fcntl.ioctl(slave, TIOCGEXCL, b"\0" * 4))
    return {"discipline": disc, "exclusive": excl, "termios": termios.tcgetattr(slave)}


def _drain(fd):
    out = b""
    while select.select([fd], [], [], 0.05)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def _run_on_pty(umode, argv, slave, background=False, timeout=30):
    """umlskas with the pty as stdin and controlling terminal (a session of its own);
    with background=True another process group of that session is the foreground job."""
    cmd = harness.skas_command(umode, argv)
    # The wrapper is the session leader (its process group the foreground job); for a
    # background run umlskas gets a process group of its own, which is not orphaned (its
    # parent is in the same session): there the host stops a process that changes the
    # terminal with SIGTTOU.
    wrapper = (
        "import os, sys, fcntl, termios, subprocess, signal\n"
        "os.setsid()\n"
        "fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
        "bg = sys.argv[1] == 'bg'\n"
        "p = subprocess.Popen(sys.argv[2:], **({'process_group': 0} if bg else {}))\n"
        "try:\n"
        "    sys.exit(p.wait(timeout=20))\n"
        "except subprocess.TimeoutExpired:\n"
        "    os.kill(p.pid, signal.SIGKILL)\n"
        "    p.wait()\n"
        "    print('umlskas hung (stopped by the terminal?)', file=sys.stderr)\n"
        "    sys.exit(99)\n")
    env = dict(harness.DEFAULT_ENV, PYTHONPATH=str(harness.REPO_ROOT))
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-c", wrapper, "bg" if background else "fg", *cmd],
                            stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=harness.REPO_ROOT, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_session(proc.pid)
        out, err = proc.communicate()
        pytest.fail("umlskas hung (stopped by the terminal?):\n" + err.decode(errors="replace"))
    harness._check_no_stub_left(started, " ".join(cmd))
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    assert proc.returncode == 0, harness.describe(result)
    return dict(line.split(": ", 1) for line in out.decode().splitlines())


def _kill_session(leader):
    """Everything of the wrapper's session (it made one): the kernel, its stubs die with it."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.getsid(int(name)) == leader:
                os.kill(int(name), signal.SIGKILL)
        except OSError:
            pass


def _check_refused(out, what, own_pty=False):
    assert out[f"discipline {what}"] == "0"
    for disc in ("N_NULL", "N_PPP", "N_SLIP", "99"):
        assert out[f"TIOCSETD {disc} {what}"] == "-1 EINVAL"     # no such ldisc module
    assert out[f"TIOCSETD bad pointer {what}"] == "-1 EFAULT"
    assert out[f"TIOCSETD N_TTY {what}"] == "0"
    assert out[f"discipline again {what}"] == "0"
    assert out[f"TIOCSTI {what}"] == "-1 EPERM"
    assert out[f"TIOCCONS {what}"] == "-1 EPERM"
    assert out[f"TIOCVHANGUP {what}"] == "-1 EPERM"
    assert out[f"TIOCEXCL {what}"] == "0"
    assert out[f"TCXONC TCOOFF {what}"] == ("0" if own_pty else "-1 EPERM")
    assert out[f"TCXONC TCOON {what}"] == "0"
    for req in ("TCSBRK break", "TCSBRK drain", "TCSBRKP", "TIOCSBRK", "TIOCCBRK"):
        assert out[f"{req} {what}"] == "0", req
    for req in ("TIOCLINUX", "KDSETMODE", "VT_ACTIVATE", "TIOCMSET", "TIOCMBIS", "TIOCSSERIAL"):
        assert out[f"{req} {what}"] == "-1 ENOTTY", req
    for req in ("TCGETS", "TCSETS", "TCSETSW", "TCFLSH", "TIOCGWINSZ", "TIOCSWINSZ", "FIONREAD"):
        assert out[f"{req} {what}"] == "0", req
    assert out[f"pending input {what}"] == "0"


@pytest.mark.parametrize("umode", UMLSKAS_MODES)
@pytest.mark.parametrize("which", ["tty", "stdin"])
def test_user_terminal_is_left_as_it_was(umode, which, guests):
    master, slave = _pty()
    try:
        before = _state(master, slave)
        out = _run_on_pty(umode, [guests.path("sec_tty_ioctl"), which], slave)
        _check_refused(out, which)
        assert _state(master, slave) == before
        # Nothing typed into the terminal: the slave has no input, the master no echo of X.
        os.set_blocking(slave, False)
        assert _drain(slave) == b""
        assert b"X" not in _drain(master)
        # Output still flows (no TCOOFF left behind).
        os.write(slave, b"still here\n")
        assert b"still here" in _drain(master)
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_guest_made_pty_gets_no_discipline_either(umode, guests):
    master, slave = _pty()
    try:
        before = _state(master, slave)
        out = _run_on_pty(umode, [guests.path("sec_tty_ioctl"), "ptmx"], slave)
        _check_refused(out, "master", own_pty=True)
        _check_refused(out, "slave", own_pty=True)
        assert out["TIOCGPTN"] == "ok"
        assert _state(master, slave) == before
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_background_job_never_stops_the_kernel(umode, guests):
    """umlskas in the background of its terminal: Linux's tty_check_change for the
    guest (EIO for init's orphaned group, SIGTTOU for a shell's job, the change itself
    when SIGTTOU is ignored or blocked), never a stopped kernel process."""
    master, slave = _pty()
    try:
        before = _state(master, slave)
        out = _run_on_pty(umode, [guests.path("sec_tty_ioctl"), "bg"], slave, background=True)
        assert out["TCGETS"] == "0"
        assert out["TCSETS as init"] == "-1 EIO"
        assert out["TCFLSH as init"] == "-1 EIO"
        assert out["TIOCSETD N_TTY as init"] == "0"
        assert out["TIOCSWINSZ as init"] == "0"
        assert out["job"] == "stopped by SIGTTOU"
        assert out["TCSETS ignoring SIGTTOU"] == "0"
        assert out["TCSETS blocking SIGTTOU"] == "0"
        assert _state(master, slave) == before
    finally:
        os.close(master)
        os.close(slave)
