"""Helpers for the behaviour tests (imported by conftest.py and the tests).

The same program runs natively and under umlskas.

Native Linux is the oracle.  Every test is parametrized over ``MODES`` (the
``mode`` fixture); for a non-native mode the program is run natively too and
stdout plus exit status must match byte for byte.

* C guests live in ``tests/guests/*.c``; the session fixture ``guests``
  compiles them once into a cache directory keyed by a hash of the sources,
  the compiler and the flags.  A source containing the marker comment
  ``/* build: static */`` is also built with ``-static`` (``name-static``);
  see VARIANT_FLAGS for the other variants (static-pie, no-pie).
* ``run_guest(mode, argv, **kw)`` runs ``argv`` natively or under umlskas and
  returns a ``subprocess.CompletedProcess`` (bytes).  After each umlskas run it
  asserts that no ``umlskas-stub`` process was left behind.
* ``make_tree(path)`` builds the scratch directory the file-system guests
  expect as ``argv[1]``.

Environment knobs: ``UMLSKAS_GUEST_CACHE`` (build cache directory),
``UMLSKAS_GUEST_TIMEOUT`` (seconds per umlskas run, default 45).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import difflib
import hashlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is a test dependency
    psutil = None

REPO_ROOT = Path(__file__).resolve().parents[2]
GUESTS_SRC = REPO_ROOT / "tests" / "guests"

# The list of modes is MODES in conftest.py.
# Extra `umlskas run` options per non-native mode.
MODE_FLAGS = {"skas": [], "tt": ["--mode", "tt"], "seccomp": ["--mode", "seccomp"]}
# The umlskas modes alone, for tests that must never run their guest natively.
UMLSKAS_MODES = list(MODE_FLAGS)

STUB_NAME = "umlskas-stub"
TEST_TIMEOUT = 60
GUEST_TIMEOUT = float(os.environ.get("UMLSKAS_GUEST_TIMEOUT", "45"))

# Fixed, minimal environment so output does not depend on the caller's
# locale, time zone or PATH.
DEFAULT_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}
GUEST_UMASK = 0o022

CFLAGS = ["-O1", "-g0", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]


def become_subreaper():
    """Make pytest the child subreaper: stubs orphaned by a crashing umlskas
    are reparented to us, so the leak check finds them among our children."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:  # pragma: no cover - best effort
        pass


# --------------------------------------------------------------------------
# building the guests


def _find_cc():
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _cc_version(cc):
    try:
        return subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except Exception:
        return cc


class Guests:
    """Compiled guest binaries: ``guests.path("mmap")``, ``path("mmap", static=True)``,
    ``path("hello", variant="static-pie")``."""

    def __init__(self, cache_dir: Path, binaries: dict, errors: dict):
        self.cache_dir = cache_dir
        self._bin = binaries
        self._err = errors

    def path(self, name, static=False, variant=None) -> str:
        variant = variant or ("static" if static else "")
        key = (name, variant)
        label = f"{name}{' (' + variant + ')' if variant else ''}"
        if key in self._err:
            pytest.fail(f"guest {label} failed to build:\n{self._err[key]}")
        if key not in self._bin:
            pytest.fail(f"no such guest: {label}")
        return str(self._bin[key])


# Extra build variants a guest can ask for with a comment such as
# /* build: static static-pie no-pie */  (the default dynamic PIE is always built).
VARIANT_FLAGS = {
    "static": ["-static"],
    "static-pie": ["-static-pie"],
    "no-pie": ["-no-pie"],
}
_BUILD_RE = re.compile(r"/\*\s*build:([^*]*)\*/")


def _variants(text: str):
    m = _BUILD_RE.search(text)
    words = m.group(1).split() if m else []
    return [w for w in words if w in VARIANT_FLAGS]


def guest_sources():
    """[(name, [extra variants])] for every tests/guests/*.c (at import time)."""
    return [(src.stem, _variants(src.read_text(errors="replace"))) for src in sorted(GUESTS_SRC.glob("*.c"))]


def _build_one(cc, src: Path, out: Path, variant: str):
    if out.exists():
        return None
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    cmd = [cc, *CFLAGS, *VARIANT_FLAGS.get(variant, []), "-o", str(tmp), str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        return " ".join(cmd) + "\n" + proc.stdout + proc.stderr
    os.replace(tmp, out)
    return None


def build_guests() -> Guests:
    cc = _find_cc()
    if cc is None:
        pytest.skip("no C compiler (cc/gcc/clang) found: cannot build the guests")
    cache = Path(os.environ.get("UMLSKAS_GUEST_CACHE") or (GUESTS_SRC / ".build"))
    cache.mkdir(parents=True, exist_ok=True)
    gitignore = cache / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")

    headers = b"".join(p.read_bytes() for p in sorted(GUESTS_SRC.glob("*.h")))
    base = hashlib.sha256(headers + _cc_version(cc).encode() + " ".join(CFLAGS).encode())
    jobs = {}
    for src in sorted(GUESTS_SRC.glob("*.c")):
        text = src.read_bytes()
        for variant in [""] + _variants(text.decode(errors="replace")):
            h = base.copy()
            h.update(text)
            h.update(b"variant:" + variant.encode())
            digest = h.hexdigest()[:16]
            out = cache / f"{src.stem}{'-' + variant if variant else ''}-{digest}"
            jobs[(src.stem, variant)] = (src, out, variant)

    binaries, errors = {}, {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futs = {key: pool.submit(_build_one, cc, src, out, variant) for key, (src, out, variant) in jobs.items()}
        for key, fut in futs.items():
            err = fut.result()
            if err:
                errors[key] = err
            else:
                binaries[key] = jobs[key][1]
    _prune_cache(cache, {out for (_, out, _) in jobs.values()})
    return Guests(cache, binaries, errors)


def _prune_cache(cache: Path, keep: set, max_age=24 * 3600):
    """Drop binaries of old source versions (left alone for a day, in case a
    concurrent session still uses them)."""
    now = time.time()
    for p in cache.iterdir():
        if p.name.startswith(".") or p in keep:
            continue
        try:
            if now - p.stat().st_mtime > max_age:
                p.unlink()
        except OSError:
            pass


# --------------------------------------------------------------------------
# scratch tree used by the file-system guests

PATTERN_SIZE = 3 * 4096 + 100


def make_tree(root: Path) -> Path:
    """Create the fixed scratch tree the guests expect as argv[1].

    Returns the resolved absolute path (guests compare getcwd() with it)."""
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    (root / "data.txt").write_bytes(b"hello world\n")
    os.chmod(root / "data.txt", 0o644)
    (root / "exec.sh").write_bytes(b"#!/bin/sh\necho hi\n")
    os.chmod(root / "exec.sh", 0o755)
    (root / "none.txt").write_bytes(b"secret\n")
    os.chmod(root / "none.txt", 0o000)
    os.symlink("data.txt", root / "link")
    os.symlink("target-created", root / "dangling")
    os.symlink("sub", root / "sublink")
    os.symlink("t" * 200, root / "longlink")
    sub = root / "sub"
    sub.mkdir(mode=0o755)
    os.chmod(sub, 0o755)
    (sub / "a.txt").write_bytes(b"aaa\n")
    (sub / "b.txt").write_bytes(b"bbbb\n")
    (sub / "c").mkdir()
    os.chmod(sub / "c", 0o755)
    os.symlink("a.txt", sub / "d")
    many = root / "many"
    many.mkdir()
    for i in range(300):
        (many / f"file-{i:03d}-{'x' * (i % 40)}").touch()
    (root / "pattern.bin").write_bytes(bytes(i % 251 for i in range(PATTERN_SIZE)))
    return root


# --------------------------------------------------------------------------
# running


def _umlskas_available():
    """`python -m umlskas` needs umlskas/__main__.py (found via cwd = repo root)."""
    if (REPO_ROOT / "umlskas" / "__main__.py").exists():
        return True
    try:
        return importlib.util.find_spec("umlskas.__main__") is not None
    except (ImportError, ValueError):
        return False


def _proc_is_stub(p) -> bool:
    try:
        if STUB_NAME in p.name():
            return True
        try:
            if STUB_NAME in os.path.basename(p.exe()):
                return True
        except (psutil.AccessDenied, psutil.ZombieProcess, OSError):
            pass
        cmd = p.cmdline()
        return bool(cmd) and STUB_NAME in os.path.basename(cmd[0])
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return False


def _live_stubs(started_after: float):
    """Stub processes that are ours: descendants of pytest (we are the
    subreaper, so orphans end up here too) or orphans adopted by pid 1 that
    were created after `started_after`."""
    found = {}
    me = psutil.Process()
    for p in me.children(recursive=True):
        if _proc_is_stub(p):
            found[p.pid] = p
    for p in psutil.process_iter(["name", "ppid", "create_time"]):
        try:
            if p.info["ppid"] == 1 and p.info["create_time"] >= started_after - 1 and _proc_is_stub(p):
                found[p.pid] = p
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            pass
    live = []
    for p in found.values():
        try:
            if p.status() == psutil.STATUS_ZOMBIE:
                _reap(p.pid)
            else:
                live.append(p)
        except psutil.NoSuchProcess:
            pass
    return live


def _reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _reap_orphans():
    """Reap zombies reparented to us (we are the subreaper)."""
    if psutil is None:
        return
    for p in psutil.Process().children():
        try:
            if p.status() == psutil.STATUS_ZOMBIE:
                _reap(p.pid)
        except psutil.NoSuchProcess:
            pass


def _check_no_stub_left(started_after: float, what: str):
    if psutil is None:
        return
    deadline = time.monotonic() + 3.0
    live = _live_stubs(started_after)
    while live and time.monotonic() < deadline:
        time.sleep(0.05)
        live = _live_stubs(started_after)
    _reap_orphans()
    if live:
        desc = []
        for p in live:
            try:
                desc.append(f"pid {p.pid} {p.name()} status={p.status()} ppid={p.ppid()}")
            except psutil.NoSuchProcess:
                continue
            try:
                p.kill()  # clean up what our run leaked, so later tests are not affected
            except psutil.NoSuchProcess:
                pass
        if desc:
            raise AssertionError(f"{STUB_NAME} process(es) left behind after {what}: " + "; ".join(desc))


def skas_command(mode, argv, options=()):
    return [sys.executable, "-m", "umlskas", "run", *MODE_FLAGS.get(mode, ["--mode", mode]),
            *options, "--", *argv]


def run_guest(mode, argv, *, cwd=None, env=None, input=None, stdin=None, timeout=None,
              check_leaks=True, options=()) -> subprocess.CompletedProcess:
    """Run argv natively or under umlskas; returns CompletedProcess (bytes).

    cwd defaults to the repository root (so ``python -m umlskas`` finds the
    package without touching the guest's environment), env to DEFAULT_ENV.
    Natively, "command not found" maps to exit 127 and "not executable" to
    126 (shell convention), which umlskas run must reproduce.
    stdin: bytes via ``input``, or an open file/fd via ``stdin`` (default
    /dev/null).  options: `umlskas run` options (mounts...), ignored natively.
    """
    argv = [str(a) for a in argv]
    env = dict(DEFAULT_ENV if env is None else env)
    cwd = str(cwd or REPO_ROOT)
    timeout = GUEST_TIMEOUT if timeout is None else timeout
    if input is not None and stdin is not None:
        raise ValueError("give input or stdin, not both")
    if stdin is None:
        stdin = subprocess.DEVNULL if input is None else subprocess.PIPE
    if isinstance(input, str):
        input = input.encode()

    if mode == "native":
        try:
            return subprocess.run(argv, cwd=cwd, env=env, input=input, capture_output=True,
                                  timeout=timeout, umask=GUEST_UMASK,
                                  **({} if input is not None else {"stdin": stdin}))
        except FileNotFoundError as e:
            return subprocess.CompletedProcess(argv, 127, b"", str(e).encode())
        except PermissionError as e:
            return subprocess.CompletedProcess(argv, 126, b"", str(e).encode())

    if not _umlskas_available():
        pytest.skip("umlskas is not runnable yet (no umlskas/__main__.py)")
    cmd = skas_command(mode, argv, options)
    if Path(cwd).resolve() != REPO_ROOT:
        # `-m umlskas` is found via the cwd; elsewhere it needs PYTHONPATH
        # (which the guest may then see in its environment).
        env.setdefault("PYTHONPATH", str(REPO_ROOT))
    started = time.time()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, umask=GUEST_UMASK)
    # Read the pipes in threads and wait for the umlskas process itself, not
    # for EOF: a leaked stub may keep the pipes open forever.
    out, err = bytearray(), bytearray()
    pumps = [threading.Thread(target=_pump, args=(proc.stdout, out), daemon=True),
             threading.Thread(target=_pump, args=(proc.stderr, err), daemon=True)]
    if input is not None:
        pumps.append(threading.Thread(target=_feed, args=(proc.stdin, input), daemon=True))
    for t in pumps:
        t.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _killpg(proc.pid)
        proc.wait()
    except BaseException:
        _killpg(proc.pid)
        proc.wait()
        raise
    deadline = time.monotonic() + 2.0
    for t in pumps:
        t.join(max(0.0, deadline - time.monotonic()))
    pipes_held = any(t.is_alive() for t in pumps[:2])
    leak_error = None
    if check_leaks:
        try:
            _check_no_stub_left(started, f"`{' '.join(cmd)}`")
        except AssertionError as e:
            leak_error = str(e)
    if pipes_held:
        _killpg(proc.pid)  # anything left in umlskas' process group
        for t in pumps[:2]:
            t.join(2.0)
    for f in (proc.stdout, proc.stderr, proc.stdin):
        if f is not None and not any(t.is_alive() for t in pumps):
            f.close()
    result = subprocess.CompletedProcess(cmd, proc.returncode, bytes(out), bytes(err))
    if timed_out:
        pytest.fail(f"umlskas run timed out after {timeout}s (hang?): {' '.join(cmd)}\n"
                    + (leak_error + "\n" if leak_error else "") + describe(result), pytrace=False)
    if leak_error:
        raise AssertionError(leak_error + "\n" + describe(result))
    if pipes_held:
        raise AssertionError("umlskas exited but something still held its stdout/stderr open\n"
                             + describe(result))
    return result


def _pump(f, buf: bytearray):
    try:
        while True:
            chunk = os.read(f.fileno(), 65536)
            if not chunk:
                return
            buf += chunk
    except (OSError, ValueError):
        return


def _feed(f, data: bytes):
    try:
        f.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass
    finally:
        try:
            f.close()
        except OSError:
            pass


def _killpg(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------
# comparing


def _tail(b: bytes, n=4000) -> str:
    s = b.decode("utf-8", "replace")
    return s if len(s) <= n else "...\n" + s[-n:]


def describe(r: subprocess.CompletedProcess) -> str:
    return (f"exit status: {r.returncode}\n--- stdout ---\n{_tail(r.stdout)}\n"
            f"--- stderr ---\n{_tail(r.stderr)}")


def assert_same(expected: subprocess.CompletedProcess, got: subprocess.CompletedProcess, mode: str):
    """got (run under `mode`) must match the native run byte for byte."""
    problems = []
    if got.returncode != expected.returncode:
        problems.append(f"exit status: native {expected.returncode}, {mode} {got.returncode}")
    if got.stdout != expected.stdout:
        a = expected.stdout.decode("utf-8", "replace").splitlines(keepends=True)
        b = got.stdout.decode("utf-8", "replace").splitlines(keepends=True)
        diff = "".join(difflib.unified_diff(a, b, "native", mode, n=2))
        if len(diff) > 6000:
            diff = diff[:6000] + "\n... (diff truncated)\n"
        if not diff:
            diff = f"(bytes differ: native {len(expected.stdout)} bytes, {mode} {len(got.stdout)} bytes)\n"
        problems.append("stdout differs:\n" + diff)
    if problems:
        pytest.fail("\n".join(problems) + f"\n--- {mode} stderr ---\n{_tail(got.stderr)}", pytrace=False)


_native_cache: dict = {}


def native_result(argv, **kw) -> subprocess.CompletedProcess:
    """Native run of argv, cached per (argv, options) for the session."""
    key = (tuple(str(a) for a in argv), repr(sorted(kw.items())))
    if key not in _native_cache:
        _native_cache[key] = run_guest("native", argv, **kw)
    return _native_cache[key]


def bad_lines(stdout: bytes):
    return [l for l in stdout.decode("utf-8", "replace").splitlines() if re.search(r"\bBAD\b", l)]


def check_guest_against_native(mode, argv, *, ends_with=None, timeout=None):
    """The usual behaviour check of a guest: natively (mode "native"), it runs twice,
    succeeds, prints no BAD line and the same bytes both times; under a umlskas mode
    it prints what a native run prints. argv(tag) gives the command line for a run
    (tag names a fresh scratch directory, if the guest wants one)."""
    if mode == "native":
        first = run_guest("native", argv("native-1"), timeout=timeout)
        assert first.returncode == 0, describe(first)
        assert not bad_lines(first.stdout), "\n".join(bad_lines(first.stdout)) + "\n" + describe(first)
        if ends_with is not None:
            assert first.stdout.endswith(ends_with), describe(first)
        second = run_guest("native", argv("native-2"), timeout=timeout)
        assert (second.returncode, second.stdout) == (first.returncode, first.stdout), \
            "native output is not deterministic:\n" + describe(first) + "\n" + describe(second)
        return
    expected = run_guest("native", argv("native"), timeout=timeout)
    got = run_guest(mode, argv(mode), timeout=timeout)
    assert_same(expected, got, mode)
