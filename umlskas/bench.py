"""`umlskas bench`: umlskas against native Linux and the other user-space kernels on this machine.

Workloads
  micro (cost per operation, slope between two loop sizes so start-up cancels):
    getpid, 1-byte write to /dev/null, open+close, 4 KiB pread, mmap+munmap 64 KiB,
    pipe ping-pong between two processes, fork+exec+wait of a tiny static program
  macro (whole-command wall time): python3.11 -c pass, a busybox sh loop of 200 forks,
    sqlite3 :memory: with 3000 inserts (or /bin/ls -R /usr/share/doc without sqlite3)

Mechanisms: native, umlskas SKAS, TT and seccomp, the C SYSEMU and user-notification floors
(getpid only), and the
peers found here: strace -f, proot, User-mode Linux (hostfs root), gVisor runsc (ptrace).

Every cell is run in interleaved rounds (order rotated each round); the table gives the
median, the min-max spread, the ratio to native and to SKAS, ptrace stops per guest
syscall and context switches per guest syscall split tracer/tracee.  docs/benchmarks.md
explains the method and records a full run.

The C workloads ship with the package (umlskas/workloads/*.c) and are built on first use
into a per-user cache ($UMLSKAS_CACHE_DIR, else $XDG_CACHE_HOME/umlskas, else
~/.cache/umlskas), one file per source, flags and compiler, renamed into place when
complete: a checkout and an installed package build the same programs the same way.
"""

import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PKG_DIR = os.path.dirname(os.path.abspath(__file__))
IMPORT_ROOT = os.path.dirname(PKG_DIR)          # the directory `import umlskas` finds us in
WORKLOADS_DIR = os.path.join(PKG_DIR, "workloads")

GUEST_CFLAGS = ["-O2", "-Wall", "-Wextra", "-static", "-nostdlib", "-ffreestanding",
                "-fno-stack-protector", "-fno-pie", "-no-pie", "-Wl,--build-id=none"]
TRACER_CFLAGS = ["-O2", "-Wall", "-Wextra"]
# fork_exec_loop, pipe_pingpong and micro_ops use glibc; static so the guest needs no
# dynamic loader and the numbers are about the syscalls, not ld.so.
LIBC_STATIC_CFLAGS = ["-O2", "-Wall", "-Wextra", "-static"]
SHELL_SCRIPT = 'i=0; while [ $i -lt %d ]; do /bin/true; i=$((i+1)); done'


class RunFailed(Exception):
    def __init__(self, argv, why, stderr=""):
        tail = "\n".join(stderr.strip().splitlines()[-8:])
        super().__init__("%s: %s%s" % (shlex.join(argv), why, ("\n" + tail) if tail else ""))
        self.argv, self.why, self.stderr_tail = argv, why, tail


class BuildError(Exception):
    """A workload could not be compiled (no compiler, or the compiler failed)."""


def default_guest_python():
    # A real ELF, not a pyenv shim script: the guest must be a binary umlskas can load.
    for p in ("/usr/bin/python3", os.path.realpath(sys.executable)):
        if os.path.exists(p):
            return os.path.realpath(p)
    return sys.executable


def cache_dir():
    """The per-user directory the workloads are built into."""
    explicit = os.environ.get("UMLSKAS_CACHE_DIR")
    if explicit:
        return os.path.join(explicit, "bench")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "umlskas", "bench")


_compiler_ids = {}


def compiler_id(cc):
    """The compiler's resolved path and first --version line: part of the cache key, so a
    different or upgraded compiler builds anew."""
    if cc not in _compiler_ids:
        path = shutil.which(cc)
        if path is None:
            raise BuildError("no C compiler %r (set CC, or install gcc)" % cc)
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            raise BuildError("%s --version: %s" % (cc, e))
        _compiler_ids[cc] = "%s\n%s" % (os.path.realpath(path), (out.splitlines() or [""])[0])
    return _compiler_ids[cc]


def build_c(cc, name, flags, src_dir=WORKLOADS_DIR, out_dir=None):
    """The executable of src_dir/NAME.c built with flags: cached under cache_dir() by a hash
    of the source, the flags and the compiler; compiled to a temporary name and renamed
    into place, so concurrent first uses never see half a file."""
    src = os.path.join(src_dir, name + ".c")
    with open(src, "rb") as f:
        source = f.read()
    key = hashlib.sha256(b"\0".join([source, " ".join(flags).encode(),
                                      compiler_id(cc).encode()])).hexdigest()[:16]
    out_dir = out_dir or cache_dir()
    exe = os.path.join(out_dir, "%s-%s" % (name, key))
    if os.path.isfile(exe) and os.access(exe, os.X_OK):
        return exe
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".%s-" % name, dir=out_dir)
    os.close(fd)
    try:
        cmd = [cc] + flags + ["-o", tmp, src]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError("build failed: %s\n%s" % (shlex.join(cmd), r.stderr))
        os.chmod(tmp, 0o755)
        os.rename(tmp, exe)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return exe


SOURCES = {             # name: cflags
    "getpid_loop": GUEST_CFLAGS,
    "tiny_exit": GUEST_CFLAGS,
    "sysemu_floor": TRACER_CFLAGS,
    "notif_floor": TRACER_CFLAGS,
    "micro_ops": LIBC_STATIC_CFLAGS,
    "pipe_pingpong": LIBC_STATIC_CFLAGS,
    "fork_exec_loop": LIBC_STATIC_CFLAGS,
}

# Every name --only takes (checked before anything is built or run).
WORKLOAD_NAMES = ("getpid", "write_null", "open_close", "pread4k", "mmap64k", "pipe_pingpong",
                  "fork_exec", "python_pass", "busybox_sh", "sqlite", "ls_doc")
MECHANISM_NAMES = ("native", "skas", "tt", "seccomp", "floor", "nfloor", "strace", "proot", "uml",
                   "runsc")

SQLITE_INSERTS = 3000
QUICK_RUNSC = {"getpid", "fork_exec", "python_pass"}
# --quick: the mechanisms that start slowly or run 6 stops per syscall measure a few
# workloads only, so that the whole run stays near a minute on 2 vCPUs.
QUICK_ONLY = {"runsc": QUICK_RUNSC, "proot": {"getpid", "fork_exec"},
              "strace": {"getpid", "fork_exec"}, "tt": {"getpid", "fork_exec", "python_pass"}}
TRACED_MIN_LOOP_S = 0.1
SHELL_FORKS = 200

# ---------------------------------------------------------------------------------------
# Pure helpers: statistics, ratios, formatting, parsing (unit-tested)


def summarize(samples):
    """Median, min, max and relative spread of a list of numbers; None if empty."""
    s = [x for x in samples if x is not None]
    if not s:
        return None
    med = statistics.median(s)
    return {"median": med, "min": min(s), "max": max(s), "n": len(s),
            "spread_pct": (100.0 * (max(s) - min(s)) / med) if med else None}


def clamp_below_zero(samples):
    """(samples with every negative number replaced by 0, how many were negative)."""
    below = sum(1 for x in samples if x is not None and x < 0)
    return [x if x is None or x >= 0 else 0.0 for x in samples], below


def ratio(value, base):
    """value / base, or None when either is missing or the base is not positive."""
    if value is None or base is None or base <= 0:
        return None
    return value / base


def slope(t_small, t_big, n_small, n_big):
    """Per-operation cost from two runs of sizes n_small < n_big."""
    if n_big == n_small:
        raise ValueError("slope needs two different sizes")
    return (t_big - t_small) / (n_big - n_small)


def fmt_num(x):
    """Three significant-ish digits: 1234 -> '1234', 12.34 -> '12.3', 1.234 -> '1.23'."""
    if x is None:
        return "-"
    if -0.0005 < x < 0:
        x = 0.0
    a = abs(x)
    if a >= 100:
        return "%.0f" % x
    if a >= 10:
        return "%.1f" % x
    if a >= 0.1:
        return "%.2f" % x
    return "%.3f" % x


def fmt_ratio(x):
    return "-" if x is None else ("%.2fx" % x if x < 10 else "%.0fx" % x)


TT_STATS_RE = re.compile(r"umlskas tt: (\d+) guest syscalls, (\d+) ptrace stops")


def parse_tt_stats(stderr_text):
    """(guest syscalls, ptrace stops) from UMLSKAS_TT_STATS=1 output, or None."""
    m = None
    for m in TT_STATS_RE.finditer(stderr_text or ""):
        pass
    return (int(m.group(1)), int(m.group(2))) if m else None


def progress_bar(done, total, label="", width=30):
    frac = 0.0 if total <= 0 else min(1.0, done / total)
    n = int(round(frac * width))
    return "[%s%s] %3d%% %s" % ("#" * n, "-" * (width - n), int(frac * 100), label)


# ---------------------------------------------------------------------------------------
# Peer detection: each returns (argv prefix or None, skip reason or None)


def detect_strace(which=shutil.which):
    p = which("strace")
    if not p:
        return None, "strace not installed (apt-get install strace)"
    return [p, "-f", "-o", "/dev/null"], None


def detect_proot(which=shutil.which):
    p = which("proot")
    if not p:
        return None, "proot not installed (apt-get install proot)"
    return [p], None


def detect_runsc(which=shutil.which):
    p = which("runsc")
    if not p:
        return None, "runsc (gVisor) not installed (apt-get install runsc)"
    if os.geteuid() != 0:
        return None, "runsc do needs root here (or --rootless with user namespaces)"
    return [p, "--platform=ptrace", "--network=none", "do"], None


def detect_uml(which=shutil.which):
    p = which("linux") or which("linux.uml")
    if not p:
        return None, "User-mode Linux not installed (apt-get install user-mode-linux)"
    return [p], None


# ---------------------------------------------------------------------------------------
# Building


def build(cc="cc", names=SOURCES):
    """The C workloads' executables, built into the cache on first use."""
    return {name: build_c(cc, name, SOURCES[name]) for name in names}


# ---------------------------------------------------------------------------------------
# Running one command: wall time, exit status, context switches of the tree


def _ctx_switches_of(pid):
    """voluntary+involuntary context switches of pid's main thread (psutil, else /proc)."""
    try:
        import psutil
        c = psutil.Process(pid).num_ctx_switches()
        return c.voluntary + c.involuntary
    except Exception:
        pass
    try:
        with open("/proc/%d/status" % pid) as f:
            return sum(int(line.split()[1]) for line in f
                       if line.startswith(("voluntary_ctxt", "nonvoluntary_ctxt")))
    except (OSError, ValueError, IndexError):
        return None


class RunResult:
    __slots__ = ("wall_ns", "top_cs", "tree_cs", "stderr")

    def __init__(self, wall_ns, top_cs, tree_cs, stderr):
        self.wall_ns, self.top_cs, self.tree_cs, self.stderr = wall_ns, top_cs, tree_cs, stderr

    @property
    def child_cs(self):
        if self.top_cs is None or self.tree_cs is None:
            return None
        return max(0, self.tree_cs - self.top_cs)


def run_once(argv, env=None, cwd=None, timeout=120):
    """Run argv; return a RunResult.  Raise RunFailed unless it exits 0.

    Context switches: once the top process has exited but before it is reaped (waitid
    WNOWAIT) its own counters are read from the zombie (psutil num_ctx_switches); wait4's
    rusage then gives the top process plus every descendant it reaped.  The difference is
    what its children (the tracees, the stubs) did."""
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter_ns()
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=err, env=env, cwd=cwd, start_new_session=True)
    except OSError as e:
        err.close()
        raise RunFailed(argv, "cannot start: %s" % e)
    timed_out = []

    def kill():
        timed_out.append(1)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        while True:
            try:
                os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
                break
            except InterruptedError:
                continue
        t1 = time.perf_counter_ns()
        top = _ctx_switches_of(p.pid)
        _, status, ru = os.wait4(p.pid, 0)
    finally:
        timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    try:                                   # leftovers of the session (daemons of a peer)
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    err.seek(0)
    text = err.read().decode(errors="replace")
    err.close()
    if timed_out:
        raise RunFailed(argv, "timed out after %.0f s" % timeout, text)
    if p.returncode != 0:
        why = ("killed by signal %d" % -p.returncode if p.returncode < 0
               else "exit status %d" % p.returncode)
        raise RunFailed(argv, why, text)
    return RunResult(t1 - t0, top, ru.ru_nvcsw + ru.ru_nivcsw, text)


# ---------------------------------------------------------------------------------------
# Workloads and mechanisms


class Micro:
    kind = "micro"
    unit = "us/op"

    def __init__(self, key, label, argv_for, n_start, syscalls_per_op, max_n=10_000_000):
        self.key, self.label, self.argv_for = key, label, argv_for
        self.n_start, self.syscalls_per_op, self.max_n = n_start, syscalls_per_op, max_n


class Macro:
    kind = "macro"
    unit = "ms wall"

    def __init__(self, key, label, argv, skip=None):
        self.key, self.label, self.argv, self.skip = key, label, argv, skip


class Mech:
    def __init__(self, key, name, wrap=None, env=None, cwd=None, skip=None, stops=None,
                 tt=False, only=None, top_is_guest=False, note=None):
        self.key, self.name, self.wrap, self.env, self.cwd = key, name, wrap, env, cwd
        self.skip, self.stops, self.tt, self.only = skip, stops, tt, only
        self.top_is_guest, self.note = top_is_guest, note
        self.only_reason = "can only emulate getpid and exit (C floor tracer)"

    def supports(self, work):
        """None if this mechanism runs work, else the reason it cannot."""
        if self.skip:
            return self.skip
        if self.only is not None and work.key not in self.only:
            return self.only_reason
        return None


def make_workloads(exes, which=shutil.which):
    mo = exes["micro_ops"]
    works = [
        Micro("getpid", "getpid", lambda n: [exes["getpid_loop"], str(n)], 1000, 1),
        Micro("write_null", "write 1 B to /dev/null", lambda n: [mo, "write_null", str(n)], 1000, 1),
        Micro("open_close", "open+close", lambda n: [mo, "open_close", str(n)], 500, 2),
        Micro("pread4k", "pread 4 KiB", lambda n: [mo, "pread4k", str(n)], 1000, 1),
        Micro("mmap64k", "mmap+munmap 64 KiB", lambda n: [mo, "mmap64k", str(n)], 500, 2),
        Micro("pipe_pingpong", "pipe ping-pong (round trip)",
              lambda n: [exes["pipe_pingpong"], str(n)], 200, 4),
        Micro("fork_exec", "fork+exec+wait (tiny static)",
              lambda n: [exes["fork_exec_loop"], str(n), exes["tiny_exit"]], 20, 4,
              max_n=20000),
    ]
    py = default_guest_python()
    works.append(Macro("python_pass", "%s -c pass" % os.path.basename(py), [py, "-c", "pass"]))
    bb = which("busybox")
    script = SHELL_SCRIPT % SHELL_FORKS
    works.append(Macro("busybox_sh", "busybox sh: %d forks of /bin/true" % SHELL_FORKS,
                       [bb, "sh", "-c", script] if bb else None,
                       skip=None if bb else "busybox not installed"))
    sq = which("sqlite3")
    if sq:
        text = "CREATE TABLE t(i INTEGER PRIMARY KEY, s TEXT);\n" + "".join(
            "INSERT INTO t VALUES(%d, 'row %d');\n" % (i, i) for i in range(SQLITE_INSERTS)) \
            + "SELECT count(*) FROM t;\n"
        sql = cached_file("inserts.sql", text)
        works.append(Macro("sqlite", "sqlite3 :memory: %d inserts" % SQLITE_INSERTS,
                           [sq, ":memory:", ".read %s" % sql]))
    else:
        works.append(Macro("ls_doc", "/bin/ls -R /usr/share/doc",
                           ["/bin/ls", "-R", "/usr/share/doc"]))
    return works


def cached_file(name, text, mode=0o644):
    """A file of the cache holding text (named by its hash), written once, atomically."""
    d = cache_dir()
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    root, ext = os.path.splitext(name)
    path = os.path.join(d, "%s-%s%s" % (root, key, ext))
    if not os.path.exists(path):
        os.makedirs(d, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + root, dir=d)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    return path


def umlskas_env(extra=None):
    """The environment of umlskas runs: this umlskas (checkout or installed) first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = IMPORT_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("UMLSKAS_TT_STATS", None)
    env.update(extra or {})
    return env


UML_WRAP = r"""#!/bin/sh
# uml_wrap INIT STATUS LINUX: boot User-mode Linux with the host's / as a hostfs root and
# INIT as init; exit with the status INIT wrote.  Written by umlskas/bench.py.
init=$1 status=$2 linux=$3
rm -f "$status"
"$linux" mem=256M rootfstype=hostfs rootflags=/ rw init="$init" con=null con0=null,fd:2 \
    >"$status.log" 2>&1 </dev/null
if [ -s "$status" ]; then exit "$(cat "$status")"; fi
{ grep -E 'userspace - |Kernel panic' "$status.log"; grep -E -i 'failed|error' "$status.log"; } | head -5 >&2
echo "uml_wrap: no exit status from the guest (log: $status.log)" >&2
exit 99
"""


def uml_wrapper(linux):
    """A wrap function booting UML around argv (one cached init script per command)."""
    wrap_sh = cached_file("uml_wrap.sh", UML_WRAP, 0o755)
    d = os.path.join(cache_dir(), "uml")
    os.makedirs(d, exist_ok=True)

    def wrap(argv):
        h = hashlib.sha1(shlex.join(argv).encode()).hexdigest()[:12]
        init, status = os.path.join(d, "init-" + h), os.path.join(d, "status-" + h)
        if not os.path.exists(init):
            with open(init, "w") as f:
                f.write("#!/bin/sh\nmount -t proc proc /proc 2>/dev/null\ncd %s\n%s >/dev/null 2>&1\n"
                        "echo $? > %s\nexec halt -f -p 2>/dev/null\n"
                        % (shlex.quote(os.getcwd()), shlex.join(argv), status))
            os.chmod(init, 0o755)
        return [wrap_sh, init, status, linux]
    return wrap


def make_mechanisms(exes, which=shutil.which, probe=True):
    py = [sys.executable, "-m", "umlskas", "run"]
    mechs = [
        Mech("native", "native", lambda g: g, top_is_guest=True),
        Mech("skas", "umlskas SKAS", lambda g: py + ["--"] + g, env=umlskas_env(),
             stops=1.0),
        Mech("tt", "umlskas TT", lambda g: py + ["--mode", "tt", "--"] + g,
             env=umlskas_env({"UMLSKAS_TT_STATS": "1"}), tt=True),
        Mech("seccomp", "umlskas seccomp", lambda g: py + ["--mode", "seccomp", "--"] + g,
             env=umlskas_env(),
             note="no ptrace stop for notified calls (getpid, write, open, pread...), one for"
                  " traced ones (mmap family, clone, exec)"),
        Mech("floor", "C SYSEMU floor", lambda g: [exes["sysemu_floor"]] + g, stops=1.0,
             only={"getpid"}, note="getpid/exit only"),
        Mech("nfloor", "C notif floor", lambda g: [exes["notif_floor"]] + g, stops=0.0,
             only={"getpid"}, note="seccomp user notifications, getpid/exit only"),
    ]
    pre, why = detect_strace(which)
    mechs.append(Mech("strace", "strace -f", (lambda g, p=pre: p + g) if pre else None,
                      skip=why, stops=2.0))
    pre, why = detect_proot(which)
    mechs.append(Mech("proot", "proot", (lambda g, p=pre: p + g) if pre else None, skip=why,
                      note="seccomp filter: only path syscalls stop"))
    pre, why = detect_uml(which)
    wrap = uml_wrapper(pre[0]) if pre else None
    if wrap and probe:
        try:
            run_once(wrap(["/bin/true"]), timeout=60)
        except RunFailed as e:
            lines = [l for l in (e.stderr_tail or "").splitlines() if l.strip()]
            why = "cannot boot here: %s" % (lines[0].strip() if lines else e.why)
    mechs.append(Mech("uml", "User-mode Linux", wrap if not why else None, skip=why))
    pre, why = detect_runsc(which)
    mechs.append(Mech("runsc", "gVisor runsc ptrace", (lambda g, p=pre: p + g) if pre else None,
                      skip=why))
    return mechs


# ---------------------------------------------------------------------------------------
# Measuring


class Progress:
    def __init__(self, total, enabled=True):
        self.total, self.done, self.enabled = total, 0, enabled
        self.tty = sys.stderr.isatty()
        self.last_pct = -10
        self.t0 = time.monotonic()

    def step(self, label, n=1):
        self.done += n
        if not self.enabled:
            return
        line = progress_bar(self.done, self.total, "%4.0fs %s" % (time.monotonic() - self.t0,
                                                                    label))
        if self.tty:
            sys.stderr.write("\r\033[K" + line[:150])
            sys.stderr.flush()
        else:
            pct = 100 * self.done // max(self.total, 1)
            if pct >= self.last_pct + 10:
                self.last_pct = pct
                print(line, file=sys.stderr, flush=True)

    def log(self, msg):
        if self.enabled:
            sys.stderr.write(("\r\033[K" if self.tty else "") + msg + "\n")
            sys.stderr.flush()

    def finish(self):
        if self.enabled and self.tty:
            sys.stderr.write("\n")


def calibrate(run, work, target_s):
    """(N_small, N_big) so that a big run spends about target_s in the loop."""
    n_s = work.n_start
    t_s = run(work.argv_for(n_s)).wall_ns
    n = 10 * n_s
    while True:
        t = run(work.argv_for(n)).wall_ns
        if t - t_s > min(50e6, target_s * 0.5e9) or n >= work.max_n:
            break
        n *= 10
    per = max((t - t_s) / (n - n_s), 1.0)
    n_big = int(min(work.max_n, max(10 * n_s, target_s * 1e9 / per)))
    n_big = int(float("%.2g" % n_big))
    return max(n_big // 10, 1), n_big


def measure(works, mechs, rounds, target_s, prefix, prog, warmup=True):
    """Calibrate, then interleaved rounds.  Returns {work.key: {mech.key: cell}}."""
    res = {w.key: {} for w in works}
    tasks = []

    def runner(m):
        return lambda argv, timeout=300: run_once(prefix + m.wrap(argv), m.env, m.cwd, timeout)

    for w in works:
        for m in mechs:
            why = m.supports(w) or getattr(w, "skip", None)
            if why:
                res[w.key][m.key] = {"status": "skipped", "reason": why}
                continue
            cell = res[w.key][m.key] = {"status": "ok", "samples": [], "cs_top": [],
                                        "cs_child": [], "tt": []}
            tasks.append((w, m))
    calib = [t for t in tasks if t[0].kind == "micro"] + [t for t in tasks if t[0].kind == "macro"]
    prog.total = 2 * len(calib) + rounds * len(tasks)
    for w, m in calib:
        cell = res[w.key][m.key]
        try:
            if w.kind == "micro":
                # A traced run starts in ~75 ms with a few ms of jitter: its loop must
                # be long enough for the slope to stand out of that.
                loop_s = target_s if m.key == "native" else max(target_s, TRACED_MIN_LOOP_S)
                cell["n_small"], cell["n_big"] = calibrate(runner(m), w, loop_s)
            elif warmup:
                runner(m)(w.argv)                   # one untimed warm-up
        except RunFailed as e:
            cell.update(status="failed", reason="calibration: %s" % e.why,
                        error=str(e), stderr_tail=e.stderr_tail)
            prog.log("  %s / %s FAILED: %s" % (w.label, m.name, e))
        prog.step("calibrated %s / %s" % (w.label, m.name), 2)

    for r in range(rounds):
        k = (r * 3) % len(tasks) if tasks else 0
        for w, m in tasks[k:] + tasks[:k]:
            cell = res[w.key][m.key]
            prog.step("round %d/%d %s / %s" % (r + 1, rounds, w.label, m.name))
            if cell["status"] != "ok":
                continue
            run = runner(m)
            try:
                if w.kind == "macro":
                    rr = run(w.argv)
                    cell["samples"].append(rr.wall_ns / 1e6)
                    cell["cs_top"].append(rr.top_cs)
                    cell["cs_child"].append(rr.child_cs)
                    if m.tt:
                        cell["tt"].append(parse_tt_stats(rr.stderr))
                    continue
                n_s, n_b = cell["n_small"], cell["n_big"]
                sizes = [n_s, n_b] if r % 2 == 0 else [n_b, n_s]
                rs = {n: run(w.argv_for(n), 120 + 20 * target_s) for n in sizes}
            except RunFailed as e:
                cell.update(status="failed", reason="round %d: %s" % (r + 1, e.why),
                            error=str(e), stderr_tail=e.stderr_tail)
                prog.log("  %s / %s FAILED: %s" % (w.label, m.name, e))
                continue
            a, b = rs[n_s], rs[n_b]
            cell["samples"].append(slope(a.wall_ns, b.wall_ns, n_s, n_b) / 1e3)
            for key, get in (("cs_top", lambda x: x.top_cs), ("cs_child", lambda x: x.child_cs)):
                va, vb = get(a), get(b)
                cell[key].append(None if va is None or vb is None else slope(va, vb, n_s, n_b))
            if m.tt:
                sa, sb = parse_tt_stats(a.stderr), parse_tt_stats(b.stderr)
                cell["tt"].append((sb[0] - sa[0], sb[1] - sa[1]) if sa and sb else None)
    finish(works, mechs, res)
    return res


def finish(works, mechs, res):
    """Medians, ratios, stops and context switches per guest syscall (pure, on res)."""
    for w in works:
        row = res[w.key]
        tt_calls = None
        tt = row.get("tt", {})
        tt_pairs = [x for x in tt.get("tt", []) if x and x[0] > 0] if tt else []
        if tt_pairs:
            calls = statistics.median(c for c, _ in tt_pairs)
            # micro: the pairs are big-minus-small differences -> calls per op
            tt_calls = calls / (tt.get("n_big", 0) - tt.get("n_small", 0)) \
                if w.kind == "micro" else calls
        for m in mechs:
            cell = row.get(m.key)
            if not cell or cell["status"] != "ok":
                continue
            # A slope below 0 is noise: two process start-ups differing by more than the
            # whole loop costs.  The table shows it as 0 and says so in a note.
            samples, below = clamp_below_zero(cell["samples"])
            if below:
                cell["samples_below_zero"] = below
            st = summarize(samples)
            if not st:
                cell.update(status="failed", reason="no samples")
                continue
            cell.update(st)
            # guest syscalls per op (micro) or per run (macro): TT counts them; else declared
            calls = tt_calls if tt_calls else (w.syscalls_per_op if w.kind == "micro" else None)
            cell["guest_syscalls"] = calls
            stops = m.stops
            if m.tt and tt_pairs:
                stops = statistics.median(s / c for c, s in tt_pairs)
            cell["stops_per_syscall"] = stops
            top = summarize(clamp_below_zero(cell["cs_top"])[0])
            child = summarize(clamp_below_zero(cell["cs_child"])[0])
            if m.top_is_guest:
                top, child = None, summarize(clamp_below_zero(
                    [(a or 0) + (b or 0) for a, b in zip(cell["cs_top"], cell["cs_child"])])[0])
            cell["cs_tracer_per_syscall"] = ratio(top["median"], calls) if top and calls else None
            cell["cs_tracee_per_syscall"] = ratio(child["median"], calls) if child and calls else None
        base = row.get("native", {}).get("median")
        skas = row.get("skas", {}).get("median")
        for cell in row.values():
            if "median" in cell:
                cell["x_native"] = ratio(cell["median"], base)
                cell["x_skas"] = ratio(cell["median"], skas)


# ---------------------------------------------------------------------------------------
# Reporting

COLS = [("mechanism", 21), ("median", 9), ("spread (min-max)", 19), ("x native", 9),
        ("x SKAS", 8), ("stops/sc", 8), ("cs/sc tracer", 12), ("cs/sc tracee", 12)]


def format_row(name, cell):
    """One table line for a mechanism's cell (ok, failed or skipped)."""
    head = "%-*s " % (COLS[0][1], name)
    if cell.get("status") == "skipped":
        return head + "skipped: " + cell.get("reason", "")
    if "median" not in cell:
        return head + "FAILED: " + (cell.get("reason") or cell.get("error", "")).splitlines()[0]
    vals = [fmt_num(cell["median"]), "%s-%s" % (fmt_num(cell["min"]), fmt_num(cell["max"])),
            fmt_ratio(cell.get("x_native")), fmt_ratio(cell.get("x_skas")),
            fmt_num(cell.get("stops_per_syscall")), fmt_num(cell.get("cs_tracer_per_syscall")),
            fmt_num(cell.get("cs_tracee_per_syscall"))]
    return head + " ".join("%*s" % (w, v) for (_, w), v in zip(COLS[1:], vals))


def table(works, mechs, res, title=""):
    hdr = " ".join("%-*s" % (w, n) if i == 0 else "%*s" % (w, n) for i, (n, w) in enumerate(COLS))
    lines = [title] if title else []
    lines += [hdr, "=" * len(hdr)]
    for w in works:
        calls = None
        for m in mechs:
            c = res[w.key].get(m.key, {})
            if c.get("guest_syscalls"):
                calls = c["guest_syscalls"]
                break
        extra = ""
        if calls:
            extra = (", %s guest syscalls/op" % fmt_num(calls)) if w.kind == "micro" \
                else ", %d guest syscalls (TT count)" % calls
        lines.append("%s [%s%s]" % (w.label, w.unit, extra))
        for m in mechs:
            if m.key in res[w.key]:
                name = m.name + (" *" if m.note and res[w.key][m.key].get("status") == "ok" else "")
                lines.append("  " + format_row(name, res[w.key][m.key]))
        lines.append("-" * len(hdr))
    notes = ["%s *: %s" % (m.name, m.note) for m in mechs if m.note]
    for w in works:
        for m in mechs:
            below = res[w.key].get(m.key, {}).get("samples_below_zero")
            if below:
                notes.append("%s / %s: %d of %d samples were below 0 (the per-op cost is "
                             "within the start-up noise the slope subtracts) and count as 0"
                             % (w.label, m.name, below, res[w.key][m.key].get("n", below)))
    lines += notes
    lines.append("stops/sc: ptrace stops per guest syscall (SKAS and C floor: 1 by construction, "
                 "strace: 2, TT: measured); cs/sc: context switches per guest syscall of the "
                 "top process (tracer) and of its children (tracee, stubs)")
    return "\n".join(lines)


def plot(works, mechs, res, path):
    """Bar chart of the ratio to native, one group per workload.  Returns an error or None."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ("--plot needs matplotlib, which is not importable here: "
                "pip install 'umlskas[plot]' (or pip install matplotlib)")
    shown = [m for m in mechs if m.key != "native"
             and any("x_native" in res[w.key].get(m.key, {}) for w in works)]
    fig, ax = plt.subplots(figsize=(max(8, 1.4 * len(works)), 5))
    width = 0.8 / max(1, len(shown))
    for i, m in enumerate(shown):
        xs, ys = [], []
        for j, w in enumerate(works):
            v = res[w.key].get(m.key, {}).get("x_native")
            if v:
                xs.append(j + (i - (len(shown) - 1) / 2) * width)
                ys.append(v)
        ax.bar(xs, ys, width, label=m.name)
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(works)))
    ax.set_xticklabels([w.label for w in works], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("time / native (log scale)")
    ax.set_title("umlskas bench: cost relative to native (median of rounds)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


# ---------------------------------------------------------------------------------------
# Entry point


def parse_only(only):
    """The names of --only as a list; ValueError naming the valid ones for an unknown one."""
    names = [s.strip() for s in (only or "").split(",") if s.strip()]
    unknown = [n for n in names if n not in WORKLOAD_NAMES + MECHANISM_NAMES]
    if unknown:
        raise ValueError("unknown name%s %s; workloads: %s; mechanisms: %s"
                         % ("s" if len(unknown) > 1 else "", ", ".join(map(repr, unknown)),
                            ", ".join(WORKLOAD_NAMES), ", ".join(MECHANISM_NAMES)))
    return names


def select(items, only, always=(), universe=None):
    """The items named in `only` (plus `always`), or all of them if `only` names none of
    `universe` (all names of this kind of item, available here or not; default: the
    items' keys)."""
    universe = {i.key for i in items} if universe is None else universe
    want = set(only or ()) & set(universe)
    if not want:
        return items
    return [i for i in items if i.key in want or i.key in always]


def plot_unavailable():
    """Why --plot cannot work here (matplotlib missing), or None: checked before a run."""
    import importlib.util
    try:
        missing = importlib.util.find_spec("matplotlib") is None
    except (ImportError, ValueError):
        missing = True
    if missing:
        return ("--plot needs matplotlib, which is not installed here: "
                "pip install 'umlskas[plot]' (or pip install matplotlib)")
    return None


def run_bench(quick=False, json_path=None, plot_path=None, rounds=None, only=None, pin=True,
              cpu="0", target=None, cc=None, quiet=False, out=sys.stdout):
    rounds = rounds or 3 if quick else rounds or 5
    target = target or (0.035 if quick else 0.4)
    cc = cc or os.environ.get("CC", "cc")
    prog = Progress(0, enabled=not quiet)
    try:
        names = parse_only(only)
    except ValueError as e:
        raise SystemExit("bench: --only: %s" % e)
    if plot_path and plot_unavailable():
        raise SystemExit("bench: %s" % plot_unavailable())
    if shutil.which(cc) is None:
        raise SystemExit("bench: no C compiler %r (set CC, or install gcc)" % cc)
    prefix = []
    if pin:
        if shutil.which("taskset") is None:
            raise SystemExit("bench: taskset not found (use --no-pin)")
        prefix = ["taskset", "-c", cpu]
    try:
        exes = build(cc)
    except (BuildError, OSError) as e:
        raise SystemExit("bench: %s" % e)
    works = select(make_workloads(exes), names, universe=WORKLOAD_NAMES)
    if not works:
        raise SystemExit("bench: --only: none of the workloads named can run on this machine")
    all_mechs = make_mechanisms(exes, probe=False)
    mechs = select(all_mechs, names, always=("native", "skas"), universe=MECHANISM_NAMES)
    if any(m.key == "uml" for m in mechs) and not next(m for m in mechs if m.key == "uml").skip:
        prog.log("probing User-mode Linux boot...")
        mechs = [m if m.key != "uml" else next(x for x in make_mechanisms(exes) if x.key == "uml")
                 for m in mechs]
    for m in mechs:
        if quick and m.key in QUICK_ONLY and not m.skip and m.key not in names:
            # Keep --quick near half a minute: the slow mechanisms run a few workloads
            # (all of them when --only names the mechanism).
            m.only = QUICK_ONLY[m.key]
            m.only_reason = "--quick runs it only for %s (run without --quick)" \
                % ", ".join(sorted(m.only))
    label = "pinned: taskset -c %s" % cpu if pin else "unpinned"
    prog.log("umlskas bench: %d workloads x %d mechanisms, %d rounds, %s, ~%.2f s per big run"
             % (len(works), len(mechs), rounds, label, target))
    t0 = time.monotonic()
    res = measure(works, mechs, rounds, target, prefix, prog, warmup=not quick)
    prog.finish()
    elapsed = time.monotonic() - t0
    title = ("umlskas bench%s, %s, %d interleaved rounds, %.0f s (median over rounds; micro: "
             "us per op from the slope between N_small and N_big; macro: ms wall)"
             % (" --quick" if quick else "", label, rounds, elapsed))
    print(table(works, mechs, res, title), file=out)
    fails = [(w, m, res[w.key][m.key]) for w in works for m in mechs
             if res[w.key].get(m.key, {}).get("status") == "failed"]
    for w, m, c in fails:
        print("FAILED %s / %s: %s" % (w.label, m.name, c.get("error", c.get("reason", ""))), file=out)
    if json_path:
        report = {"host": {"uname": " ".join(platform.uname()), "cpus": os.cpu_count(),
                           "python": sys.version.split()[0]},
                  "quick": quick, "rounds": rounds, "target_s": target, "pinned": pin,
                  "prefix": prefix, "elapsed_s": elapsed, "binaries": exes,
                  "mechanisms": [{"key": m.key, "name": m.name, "skip": m.skip,
                                  "argv_example": m.wrap(["GUEST"]) if m.wrap and not m.skip else None}
                                 for m in mechs],
                  "workloads": [{"key": w.key, "label": w.label, "unit": w.unit, "kind": w.kind,
                                 "argv": w.argv if w.kind == "macro" else w.argv_for("N"),
                                 "results": res[w.key]} for w in works]}
        with open(json_path, "w") as f:
            json.dump(report, f, indent=2, default=str)
        prog.log("wrote %s" % json_path)
    if plot_path:
        err = plot(works, mechs, res, plot_path)
        prog.log(err if err else "wrote %s" % plot_path)
    return res


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m umlskas.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--plot", metavar="FILE")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--only", metavar="NAMES")
    ap.add_argument("--no-pin", action="store_true")
    a = ap.parse_args(argv)
    try:
        parse_only(a.only)
    except ValueError as e:
        ap.error("--only: %s" % e)
    if a.plot and plot_unavailable():
        ap.error(plot_unavailable())
    run_bench(quick=a.quick, json_path=a.json, plot_path=a.plot, rounds=a.rounds,
              only=a.only, pin=not a.no_pin)


if __name__ == "__main__":
    main()
