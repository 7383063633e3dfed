"""Seccomp mode specifics (the general behaviour suite runs under "seccomp" like the other
modes): no ptrace stop for the common calls, its trip shown by explain, and the paths where
a notification must become a ptrace stop (signals to a thread waiting in one, a handler
that needs the thread's registers) or is cut short by a signal."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness import DEFAULT_ENV, REPO_ROOT, assert_same, native_result, run_guest

GETPIDS = "import os\nfor _ in range(300): os.getpid()\nprint('done')\n"


@pytest.mark.timeout(120)
def test_getpid_needs_no_ptrace_stop(tmp_path):
    out = tmp_path / "explain.json"
    r = subprocess.run([sys.executable, "-m", "umlskas", "explain", "--mode", "seccomp",
                        "--count", "5", "--json", str(out), "--", sys.executable, "-S", "-c",
                        GETPIDS], cwd=REPO_ROOT, capture_output=True, timeout=100,
                       env=dict(DEFAULT_ENV, PYTHONPATH=str(REPO_ROOT)))
    assert r.returncode == 0, r.stderr.decode()
    assert b"SECCOMP_IOCTL_NOTIF_RECV" in r.stdout and b"SECCOMP_IOCTL_NOTIF_SEND" in r.stdout
    data = json.loads(out.read_text())
    s = data["summary"]
    assert s["mode"] == "seccomp"
    # Interpreter start-up makes mmaps (traced: one stop each); the 300 getpids make none.
    assert s["typical_stops_per_syscall"] == 0, s
    assert s["notifications"] >= 300 and s["stops"] < s["guest_syscalls"] / 3, s
    assert s["implied_context_switches_per_syscall"] == 2, s


SIGNALS = r"""
import os, signal, threading, time
# A parked read (the thread waits in a notification) cut by a signal from another thread,
# with and without SA_RESTART; a signal to oneself (delivered on a notification's return).
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append("usr1"))
r, w = os.pipe()
def later(sig, delay):
    time.sleep(delay)
    os.kill(os.getpid(), sig)
threading.Thread(target=later, args=(signal.SIGUSR1, 0.2)).start()
threading.Thread(target=lambda: (time.sleep(0.5), os.write(w, b"x"))).start()
print("read", os.read(r, 1), got)        # Python retries EINTR: the data, after the handler
signal.siginterrupt(signal.SIGUSR1, True)
threading.Thread(target=later, args=(signal.SIGUSR1, 0.2)).start()
try:
    import select
    select.select([r], [], [], 2)
    print("select woke", got)
except InterruptedError:
    print("EINTR")
os.kill(os.getpid(), signal.SIGUSR1)
print("self", got)
t0 = time.monotonic()
signal.setitimer(signal.ITIMER_REAL, 0.1)
signal.signal(signal.SIGALRM, lambda s, f: got.append("alrm"))
time.sleep(0.3)
print("alarm", got[-1], time.monotonic() - t0 >= 0.3)
"""


@pytest.mark.timeout(120)
def test_signals_and_notification_waits():
    want = native_result([sys.executable, "-S", "-c", SIGNALS])
    got = run_guest("seccomp", [sys.executable, "-S", "-c", SIGNALS])
    assert_same(want, got, "seccomp")


THREADS = r"""
import os, threading
# Many threads making syscalls at once: each waits in its own notification.
def work(i, out):
    n = 0
    for _ in range(200):
        n += os.getpid() > 0
        os.stat("/")
    out[i] = n
out = {}
ts = [threading.Thread(target=work, args=(i, out)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
pid = os.fork()
if pid == 0:
    os._exit(sum(out.values()) == 1600 and 7 or 1)
print(os.waitpid(pid, 0)[1] >> 8, sorted(out.values())[0])
"""


@pytest.mark.timeout(120)
def test_threads_and_fork():
    want = native_result([sys.executable, "-S", "-c", THREADS])
    got = run_guest("seccomp", [sys.executable, "-S", "-c", THREADS])
    assert_same(want, got, "seccomp")
