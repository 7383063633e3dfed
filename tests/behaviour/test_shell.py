"""Shells and Python driving processes: tests/scripts/*.sh run by busybox sh
and by the host's /bin/sh (dash), and python3.11 -c snippets using
subprocess, threading, signal and os.fork -- stdout and exit status compared
with the native run byte for byte.

Cases known to fail under umlskas are xfailed for the non-native modes only
(see test_processes.py).
"""

from __future__ import annotations

import os
import shutil

import pytest

from harness import REPO_ROOT, assert_same, describe, native_result, run_guest
from test_processes import skas_xfail

SCRIPTS_DIR = REPO_ROOT / "tests" / "scripts"
BUSYBOX = shutil.which("busybox", path="/usr/bin:/bin:/usr/sbin:/sbin")
PYTHON = "/usr/bin/python3.11"

SHELLS = {"busybox": [BUSYBOX, "sh"] if BUSYBOX else None, "dash": ["/bin/sh"]}

# script -> (expected exit status, skas xfail reason or "")
SCRIPTS = {
    "pipelines": (0, ""),
    "forks": (0, ""),
    "traps": (5, ""),
    "jobs": (0, ""),
    "fifo": (0, ""),
}
# (script, shell) -> skas xfail reason, for failures specific to one shell
SCRIPT_SHELL_XFAIL: dict = {}


def _shell(name):
    sh = SHELLS[name]
    if sh is None:
        pytest.skip(f"{name} not installed")
    return sh


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shell", list(SHELLS))
@pytest.mark.parametrize("script", list(SCRIPTS))
def test_shell_script(mode, shell, script, tmp_path, request):
    """SCRIPT.sh run as `SHELL SCRIPT.sh SCRATCH_DIR`."""
    rc, reason = SCRIPTS[script]
    skas_xfail(request, mode, SCRIPT_SHELL_XFAIL.get((script, shell)) or reason)
    sh = _shell(shell)
    path = SCRIPTS_DIR / f"{script}.sh"

    def run(m):
        d = tmp_path / m
        d.mkdir()
        return run_guest(m, [*sh, path, d.resolve()], timeout=90)

    expected = run("native")
    assert expected.returncode == rc, describe(expected)
    assert expected.stdout, describe(expected)
    if mode == "native":
        again = run_guest("native", [*sh, path, (tmp_path / "native").resolve()])
        assert (again.returncode, again.stdout) == (expected.returncode, expected.stdout), \
            "native output is not deterministic:\n" + describe(expected) + "\n" + describe(again)
        return
    assert_same(expected, run(mode), mode)


# --------------------------------------------------------------------------
# python3.11 -c snippets

PY_SNIPPETS = {
    "subprocess_run_capture_output": """
import subprocess
r = subprocess.run(["/bin/echo", "hello", "world"], capture_output=True)
print(r.returncode, repr(r.stdout), repr(r.stderr))
r = subprocess.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], capture_output=True, text=True)
print(r.returncode, repr(r.stdout), repr(r.stderr))
r = subprocess.run(["/bin/cat"], input=b"fed through stdin\\n", capture_output=True)
print(r.returncode, repr(r.stdout))
print(subprocess.check_output(["/bin/echo", "check_output"]))
try:
    subprocess.run(["/nonexistent/program"])
except FileNotFoundError as e:
    print("FileNotFoundError", e.errno)
""",
    "subprocess_shell_pipeline": """
import subprocess
r = subprocess.run("printf 'b\\\\na\\\\nc\\\\n' | sort | tr a-z A-Z | head -n 2", shell=True,
                   capture_output=True, text=True)
print(r.returncode, repr(r.stdout))
p1 = subprocess.Popen(["/bin/echo", "one two three"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["/usr/bin/wc", "-w"], stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
out, _ = p2.communicate()
print("words:", out.decode().strip(), p1.wait(), p2.returncode)
""",
    "subprocess_timeout_expired": """
import subprocess, time
t = time.monotonic()
try:
    subprocess.run(["/bin/sleep", "5"], timeout=0.5)
    print("no timeout")
except subprocess.TimeoutExpired as e:
    print("TimeoutExpired", e.cmd)
print("returned well before 5s:", time.monotonic() - t < 4.5)
""",
    "threading_queue": """
import queue, threading
q, results = queue.Queue(), queue.Queue()
def worker(n):
    while True:
        item = q.get()
        if item is None:
            q.task_done()
            return
        results.put((item, item * item))
        q.task_done()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for i in range(200):
    q.put(i)
for _ in threads:
    q.put(None)
q.join()
for t in threads:
    t.join()
out = sorted(results.get() for _ in range(results.qsize()))
print(len(out), sum(v for _, v in out), out[:3], out[-1])
print("threads alive:", sum(t.is_alive() for t in threads), threading.active_count())
""",
    "signal_handler_os_kill_self": """
import os, signal
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(signal.Signals(s).name))
os.kill(os.getpid(), signal.SIGUSR1)
print("handler saw:", got)
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
os.kill(os.getpid(), signal.SIGUSR2)
print("pending:", sorted(s.name for s in signal.sigpending()))
print("sigwait:", signal.Signals(signal.sigwait([signal.SIGUSR2])).name)
signal.signal(signal.SIGALRM, lambda s, f: got.append("ALRM"))
signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)  # periodic: no race with pause()
signal.pause()
signal.setitimer(signal.ITIMER_REAL, 0)
print("after pause:", got[:2])
""",
    "os_fork_waitpid": """
import os, signal, sys
pid = os.fork()
if pid == 0:
    os._exit(7)
wpid, status = os.waitpid(pid, 0)
print("same pid:", wpid == pid, "exit code:", os.waitstatus_to_exitcode(status))
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"hello from the child")
    os._exit(0)
os.close(w)
print(os.read(r, 100))
os.waitpid(pid, 0)
pid = os.fork()
if pid == 0:
    signal.pause()
    os._exit(1)
os.kill(pid, signal.SIGTERM)
_, status = os.waitpid(pid, 0)
print("killed:", os.WIFSIGNALED(status), os.waitstatus_to_exitcode(status))
sys.stdout.flush()
""",
}
PY_XFAIL: dict = {}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", list(PY_SNIPPETS))
def test_python(mode, name, request):
    if not os.path.exists(PYTHON):
        pytest.skip(f"{PYTHON} not present")
    skas_xfail(request, mode, PY_XFAIL.get(name, ""))
    argv = [PYTHON, "-c", PY_SNIPPETS[name]]
    expected = native_result(argv)
    assert expected.returncode == 0, describe(expected)
    assert expected.stdout, describe(expected)
    if mode == "native":
        return
    assert_same(expected, run_guest(mode, argv, timeout=90), mode)
