"""Terminals and job control, on real pseudo-terminals (issue 12).

Each test starts a program on a pty this test makes (its session and controlling
terminal, umlskas's process group in the foreground, as a shell would run it), types
into the master as a user would (Ctrl-C, Ctrl-Z, Ctrl-\\, resizes the window) and reads
what the terminal shows. "native" runs the same program without umlskas: the oracle
that the expectations are Linux's.
"""

import fcntl
import os
import re
import select
import shutil
import signal
import struct
import sys
import termios
import time

import pytest

import harness

# Every test taking `mode` runs natively (the oracle), in skas and in tt (conftest.MODES).
SHELLS = {
    "bash": ["bash", "--norc", "--noprofile", "-i"],
    "busybox": ["busybox", "sh", "-i"],
    "dash": ["dash", "-i"],
}
MARK = b"m42"                   # what `echo m$((6*7))` prints (the typed line does not match)
WAIT = 30.0


def _installed(shell):
    return shutil.which(SHELLS[shell][0]) is not None


class Pty:
    """A program on a fresh pty: its session leader, with the pty as controlling terminal."""

    def __init__(self, argv, mode, rows=24, cols=80):
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.before = termios.tcgetattr(self.slave)
        cmd = argv if mode == "native" else harness.skas_command(mode, argv)
        env = dict(harness.DEFAULT_ENV, PYTHONPATH=str(harness.REPO_ROOT), TERM="xterm",
                   PS1="PROMPT$ ", HOME="/tmp", LANG="C")
        self.started = time.time()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                # What a shell gives a command: no signal blocked or ignored (pytest's
                # process may block SIGCHLD, and Python ignores SIGPIPE).
                signal.pthread_sigmask(signal.SIG_SETMASK, [])
                for sig in (signal.SIGPIPE, signal.SIGINT, signal.SIGTSTP, signal.SIGQUIT,
                            signal.SIGTTIN, signal.SIGTTOU, signal.SIGCHLD):
                    signal.signal(sig, signal.SIG_DFL)
                os.setsid()
                fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
                for fd in (0, 1, 2):
                    os.dup2(self.slave, fd)
                os.closerange(3, 256)
                os.chdir(harness.REPO_ROOT)
                os.execvpe(cmd[0], cmd, env)
            finally:
                os._exit(127)
        self.out = b""
        self.seen = 0
        self.status = None
        self.what = " ".join(cmd)

    def send(self, data):
        os.write(self.master, data)

    def resize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def _read(self, timeout):
        if select.select([self.master], [], [], timeout)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            self.out += data
            # Answer a cursor position query (busybox's line editor asks) as a terminal
            # does; unanswered, it takes what is typed next for the answer.
            for _ in range(data.count(b"\x1b[6n")):
                os.write(self.master, b"\x1b[1;9R")
            return bool(data)
        return True

    def expect(self, pattern, timeout=WAIT):
        """Wait for pattern (bytes, or a compiled regex) in what came since the last match."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        end = time.monotonic() + timeout
        while True:
            m = regex.search(self.out, self.seen)
            if m:
                self.seen = m.end()
                return m
            left = end - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.2)):
                m = regex.search(self.out, self.seen)
                if m:
                    self.seen = m.end()
                    return m
                pytest.fail(f"{pattern!r} never came on the terminal of {self.what}; it "
                            f"shows:\n{self.out.decode(errors='replace')[-3000:]}")

    def settle(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._read(0.05)

    def wait(self, timeout=WAIT):
        """The program's wait status once it ends (the terminal drained meanwhile)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                return status
            self._read(0.05)
        pytest.fail(f"{self.what} did not end; the terminal shows:\n"
                    f"{self.out.decode(errors='replace')[-3000:]}")

    def close(self):
        if self.status is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(self.pid, 0)
        os.close(self.master)
        os.close(self.slave)
        harness._check_no_stub_left(self.started, self.what)


@pytest.fixture
def term():
    made = []

    def start(argv, mode, **kw):
        t = Pty(argv, mode, **kw)
        made.append(t)
        return t
    yield start
    for t in made:
        t.close()


def _shell(term, shell, mode):
    if not _installed(shell):
        pytest.skip(f"{SHELLS[shell][0]} is not installed")
    t = term(SHELLS[shell], mode)
    t.expect(b"PROMPT$ ")
    return t


def _marker(t):
    """The shell reads and runs a command: it owns its terminal again."""
    t.settle(0.3)
    t.send(b"echo m$((6*7))\n")
    t.expect(MARK)


# ---- interactive shells -------------------------------------------------------------------

@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
def test_ctrl_c_ends_the_foreground_job_not_the_shell(term, shell, mode):
    t = _shell(term, shell, mode)
    t.send(b"sleep 100\n")
    t.settle(1.0)
    t.send(b"\x03")
    _marker(t)
    # Another Ctrl-C at the prompt: the shell stays, and so does umlskas. (bash's
    # readline may drop the key typed right after it, natively too: a blank line first.)
    t.expect(b"PROMPT$ ")
    t.send(b"\x03")
    t.settle(1.0)
    t.send(b"\n")
    _marker(t)
    t.send(b"exit\n")
    assert os.WIFEXITED(t.wait()) and os.WEXITSTATUS(t.status) == 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
def test_ctrl_backslash_quits_the_foreground_job(term, shell, mode):
    t = _shell(term, shell, mode)
    t.send(b"sleep 100\n")
    t.settle(1.0)
    started = time.monotonic()
    t.send(b"\x1c")
    _marker(t)
    assert time.monotonic() - started < 60      # not the sleep's end


@pytest.mark.timeout(150)
@pytest.mark.parametrize("shell", SHELLS)
def test_ctrl_z_jobs_fg_bg_kill_wait(term, shell, mode):
    t = _shell(term, shell, mode)
    # Ctrl-Z stops cat (waiting for its input); `jobs` lists it; `fg` gives it the
    # terminal back: it reads what is typed next.
    t.send(b"cat\n")
    t.settle(1.0)
    t.send(b"\x1a")
    t.expect(b"Stopped")
    t.expect(b"PROMPT$ ")
    t.send(b"jobs\n")
    t.expect(b"Stopped")
    t.expect(b"PROMPT$ ")
    t.send(b"fg\n")
    t.settle(1.0)
    t.send(b"abc\n")
    t.expect(re.compile(rb"abc\r\n(.*\r\n)*abc\r\n"))
    t.send(b"\x04")
    _marker(t)
    # Stopped again and continued in the background with `bg`: reading the terminal
    # from there stops it with SIGTTIN; `kill -9 %1` ends it.
    t.send(b"cat\n")
    t.settle(1.0)
    t.send(b"\x1a")
    t.expect(b"Stopped")
    t.expect(b"PROMPT$ ")
    t.send(b"bg\n")
    t.settle(1.0)
    t.send(b"jobs\n")
    t.expect(b"Stopped")
    t.expect(b"PROMPT$ ")
    t.send(b"kill -9 %1\n")        # a stopped job: SIGTERM would wait for SIGCONT
    _marker(t)
    t.send(b"jobs\n")
    _marker(t)
    # A background job: listed running, ended by `kill %1`, reaped by `wait`.
    t.send(b"sleep 100 &\n")
    t.expect(b"PROMPT$ ")
    # dash's child ignores SIGTERM (as the interactive shell does) until it has set its
    # signals for sleep: a `kill %1` before that is lost, natively too.
    t.settle(1.0)
    t.send(b"jobs\n")
    t.expect(re.compile(rb"Running|running"))
    t.expect(b"PROMPT$ ")
    t.send(b"kill %1\n")
    t.expect(b"PROMPT$ ")
    t.send(b"wait\n")
    _marker(t)
    t.send(b"jobs\n")
    _marker(t)
    assert b"sleep 100" not in t.out[t.seen:]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", SHELLS)
def test_window_resize_reaches_the_foreground_job(term, shell, mode, guests):
    t = _shell(term, shell, mode)
    t.send(guests.path("tty_winch").encode() + b"\n")
    t.expect(b"size: 24 rows 80 cols")
    t.resize(30, 100)
    t.expect(b"resized: 30 rows 100 cols")
    t.resize(40, 120)
    t.expect(b"resized: 40 rows 120 cols")
    _marker(t)


@pytest.mark.timeout(120)
def test_ctrl_z_of_a_guest_without_job_control_stops_umlskas(term, mode):
    """`umlskas run -- cat` typed into a shell: Ctrl-Z stops it as a job of that shell
    (the whole guest with it), `fg` continues it with the terminal."""
    if not _installed("bash"):
        pytest.skip("bash is not installed")
    t = _shell(term, "bash", "native")
    cmd = ["cat"] if mode == "native" else harness.skas_command(mode, ["cat"])
    t.send(" ".join(cmd).encode() + b"\n")
    t.settle(3.0 if mode != "native" else 1.0)
    t.send(b"\x1a")
    t.expect(b"Stopped")
    t.expect(b"PROMPT$ ")
    t.send(b"fg\n")
    t.settle(1.0)
    t.send(b"abc\n")
    t.expect(re.compile(rb"abc\r\n(.*\r\n)*abc\r\n"))
    t.send(b"\x04")
    _marker(t)


# ---- job control decisions, compared with Linux ---------------------------------------------

def test_background_groups_get_sigttin_and_sigttou(term, mode, guests):
    t = term([guests.path("tty_jobs")], mode)
    t.wait()
    got = t.out.decode().replace("\r\n", "\n")
    assert got == (
        "foreground: mine\n"
        "session: mine\n"
        "background read: stopped by SIGTTIN\n"
        "background tcsetattr: stopped by SIGTTOU\n"
        "background write with TOSTOP: stopped by SIGTTOU\n"
        "w\n"
        "background write: exit 0\n"
        "background read ignoring SIGTTIN: exit Input/output error\n"
        "background tcsetattr ignoring SIGTTOU: exit 0\n"
        "background tcsetpgrp: stopped by SIGTTOU\n"
        "SIGTSTP and SIGTTIN to my orphaned group: still running\n"
        "tcsetpgrp to a group of nobody: No such process\n"
        "tcsetpgrp to my own group: ok\n"
        "foreground again: mine\n"), got


def test_sigcont_from_outside_continues_a_stopped_guest(term, mode):
    """A guest that stopped itself whole (init's SIGSTOP) is continued by a SIGCONT sent
    to umlskas, as the process itself would be natively."""
    t = term(["sh", "-c", "echo stop""ping; kill -STOP $$; echo contin""ued"], mode)
    t.expect(b"stopping")
    t.settle(1.5)
    assert b"continued" not in t.out
    os.kill(t.pid, signal.SIGCONT)
    t.expect(b"continued")
    assert os.WIFEXITED(t.wait()) and os.WEXITSTATUS(t.status) == 0


# ---- the user's terminal is given back ------------------------------------------------------

def _stub_children(pid):
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(k) for k in f.read().split()]
        except OSError:
            pass
    return kids


@pytest.mark.timeout(60)
@pytest.mark.parametrize("umode", harness.UMLSKAS_MODES)
@pytest.mark.parametrize("how", ["exit", "abort", "guest SIGKILL", "SIGTERM to umlskas",
                                 "kernel bug"])
def test_terminal_modes_restored_however_umlskas_ends(term, umode, how, guests):
    mode = umode
    argv = [guests.path("tty_raw"), {"exit": "exit", "abort": "abort"}.get(how, "wait")]
    if how == "kernel bug":
        # A handler that raises: the kernel's bug path (KernelBug, status 125).
        boom = ("import sys; from umlskas.kernel.syscalls.table import BY_NAME\n"
                "def boom(*a): raise RuntimeError('injected')\n"
                "BY_NAME['pause'].handler = boom; BY_NAME['pause'].plain = True\n"
                "from umlskas.cli import main; main(prog_name='umlskas')\n")
        cmd = harness.skas_command(mode, argv)
        t = term([sys.executable, "-c", boom, *cmd[3:]], "native")
    else:
        t = term(argv, mode)
    t.expect(b"raw")
    if how not in ("exit", "abort", "kernel bug"):
        assert termios.tcgetattr(t.slave) != t.before      # raw now
    if how == "guest SIGKILL":
        for kid in _stub_children(t.pid):
            os.kill(kid, signal.SIGKILL)
    elif how == "SIGTERM to umlskas":
        os.kill(t.pid, signal.SIGTERM)
    status = t.wait()
    assert termios.tcgetattr(t.slave) == t.before, how
    if how == "kernel bug":
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 125
        assert b"kernel" in t.out


# ---- full-screen programs -------------------------------------------------------------------

def _program(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: vim-tiny, less, procps, python3)")
    return path


@pytest.mark.timeout(120)
def test_vim_edits_a_file(term, mode, tmp_path):
    vim = shutil.which("vim") or shutil.which("vi")
    if vim is None:
        pytest.skip("vim is not installed (Debian: vim-tiny)")
    path = tmp_path / "f.txt"
    t = term([vim, "-u", "NONE", "-N", "-n", str(path)], mode)
    t.settle(2.0)
    t.send(b"ihello from vim\x1b")
    t.settle(0.5)
    t.send(b":wq\r")
    assert os.WIFEXITED(t.wait()) and os.WEXITSTATUS(t.status) == 0
    assert path.read_text() == "hello from vim\n"
    assert termios.tcgetattr(t.slave) == t.before


@pytest.mark.timeout(120)
def test_less_pages_and_quits(term, mode, tmp_path):
    less = _program("less")
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"line {i}\n" for i in range(200)))
    t = term([less, str(path)], mode, rows=10)
    t.expect(b"line 8")
    t.send(b" ")
    t.expect(b"line 17")
    t.send(b"q")
    assert os.WIFEXITED(t.wait()) and os.WEXITSTATUS(t.status) == 0
    assert termios.tcgetattr(t.slave) == t.before


@pytest.mark.timeout(120)
def test_top_runs_interactively_and_quits(term, mode):
    top = _program("top")
    t = term([top, "-d", "1"], mode)
    t.expect(b"PID")
    t.settle(1.5)
    t.send(b"q")
    assert os.WIFEXITED(t.wait()) and os.WEXITSTATUS(t.status) == 0
    assert termios.tcgetattr(t.slave) == t.before


@pytest.mark.timeout(120)
def test_python_repl_line_editing(term, mode):
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("python3 is not installed in /usr/bin")
    t = term([python, "-q", "-i", "-S"], mode)
    t.expect(b">>> ")
    # Typed with a mistake, fixed with the cursor keys: readline's line editing.
    t.send(b"prin(6*7)")
    t.send(b"\x1b[D" * 5 + b"t\r")
    t.expect(b"42")
    t.expect(b">>> ")
    t.send(b"\x04")
    assert os.WIFEXITED(t.wait()) and os.WEXITSTATUS(t.status) == 0
    assert termios.tcgetattr(t.slave) == t.before
