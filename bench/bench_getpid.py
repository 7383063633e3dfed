#!/usr/bin/env python3
"""Per-syscall cost of umlskas against native Linux and the C ptrace floor.

Measures nanoseconds per guest getpid for three mechanisms, in one run, with interleaved
rounds (each round runs every mechanism once, order rotated, so drift on the VM hits all
of them alike):

  native        getpid_loop N                               the host kernel, no tracer
  C floor       sysemu_floor getpid_loop N                  PTRACE_SYSEMU + GETREGS/SETREGS in C
  umlskas SKAS  python3 -m umlskas run -- getpid_loop N     the real thing

Per-syscall cost = (t(N_big) - t(N_small)) / (N_big - N_small), so process start-up cancels.
N_big is calibrated per mechanism so one run spends about --target seconds in the loop.
Also times `python3 -c pass` natively and under umlskas (median of 5) as an end-to-end
start-up figure.

Runs are pinned with `taskset -c 0` by default (tracer and tracee on one vCPU: cross-vCPU
wake-ups cost ~4x on the reference VM); --no-pin disables it, --both reports both.

    python3 bench/bench_getpid.py            # full run, ~1-2 minutes
    python3 bench/bench_getpid.py --quick    # short run
    python3 bench/bench_getpid.py --both --json out.json
"""

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
sys.path.insert(0, REPO_DIR)
# The C sources ship with the package (umlskas/workloads/); umlskas.bench builds them into
# the per-user cache with these flags.
from umlskas.bench import GUEST_CFLAGS, TRACER_CFLAGS, BuildError  # noqa: E402
from umlskas.bench import build_c as _build_c  # noqa: E402

NATIVE, FLOOR, UMLSKAS = "native", "C floor (SYSEMU)", "umlskas SKAS"


# ---------------------------------------------------------------------------------------
# Building


def build_c(cc, name, flags):
    """The executable of umlskas/workloads/NAME.c, built into the cache on first use."""
    try:
        return _build_c(cc, name, flags)
    except BuildError as e:
        raise SystemExit("bench: %s" % e)


def build(cc):
    """The guest and the C floor, built on first use."""
    return {name: build_c(cc, name, flags)
            for name, flags in (("getpid_loop", GUEST_CFLAGS), ("sysemu_floor", TRACER_CFLAGS))}


# ---------------------------------------------------------------------------------------
# Running


class RunFailed(Exception):
    def __init__(self, argv, why, stderr=""):
        tail = "\n".join(stderr.strip().splitlines()[-8:])
        super().__init__("%s: %s%s" % (shlex.join(argv), why, ("\n" + tail) if tail else ""))
        self.argv, self.why, self.stderr_tail = argv, why, tail


def timed_run(argv, timeout, env=None, cwd=None):
    """Run argv once; return wall nanoseconds.  Raise RunFailed unless it exits 0."""
    t0 = time.perf_counter_ns()
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        err = (e.stderr or b"").decode(errors="replace")
        raise RunFailed(argv, "timed out after %.0f s" % timeout, err)
    except OSError as e:
        raise RunFailed(argv, "cannot start: %s" % e)
    t1 = time.perf_counter_ns()
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0:
        why = "exit status %d" % r.returncode
        if r.returncode == 1 and "getpid_loop" in " ".join(argv) and not err.strip():
            why += " (getpid_loop's code for: some getpid returned -errno)"
        elif r.returncode < 0:
            why = "killed by signal %d" % -r.returncode
        raise RunFailed(argv, why, err)
    return t1 - t0


class Mechanism:
    """One way of running a command: a name and how to wrap the guest's argv."""

    def __init__(self, name, wrap, env=None, cwd=None):
        self.name, self.wrap, self.env, self.cwd = name, wrap, env, cwd

    def run(self, guest_argv, prefix, timeout):
        return timed_run(prefix + self.wrap(guest_argv), timeout, self.env, self.cwd)


def umlskas_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def make_mechanisms(exes, umlskas_cmd):
    return [
        Mechanism(NATIVE, lambda g: g),
        Mechanism(FLOOR, lambda g: [exes["sysemu_floor"]] + g),
        Mechanism(UMLSKAS, lambda g: umlskas_cmd + g, env=umlskas_env(), cwd=REPO_DIR),
    ]


# ---------------------------------------------------------------------------------------
# Measuring


def calibrate(mech, loop, prefix, target_s, max_n):
    """Pick (N_small, N_big) so a big run spends about target_s in the getpid loop."""
    n_s = 1000
    t_s = mech.run([loop, str(n_s)], prefix, 120)
    n = 10 * n_s
    while True:
        t = mech.run([loop, str(n)], prefix, 120)
        if t - t_s > 50e6 or n >= max_n:      # at least 50 ms of loop: slope is usable
            break
        n *= 10
    per_call = max((t - t_s) / (n - n_s), 1.0)
    n_big = int(min(max_n, max(10 * n_s, target_s * 1e9 / per_call)))
    n_big = int(float("%.2g" % n_big))      # round numbers read better in the table
    return max(n_big // 10, 1), n_big


def measure(mechs, loop, prefix, rounds, target_s, max_n, log):
    """Interleaved rounds.  Returns {name: result dict}."""
    res = {}
    for m in mechs:
        try:
            n_s, n_b = calibrate(m, loop, prefix, target_s, max_n)
            res[m.name] = dict(status="ok", n_small=n_s, n_big=n_b, samples_ns=[],
                               startup_ms=[])
            log("  calibrated %-18s N_small=%d N_big=%d" % (m.name, n_s, n_b))
        except RunFailed as e:
            res[m.name] = dict(status="failed", error=str(e), stderr_tail=e.stderr_tail)
            log("  %s FAILED during calibration: %s" % (m.name, e))
    for r in range(rounds):
        order = mechs[r % len(mechs):] + mechs[:r % len(mechs)]
        for m in order:
            d = res[m.name]
            if d["status"] != "ok":
                continue
            n_s, n_b = d["n_small"], d["n_big"]
            try:
                pair = [(n_s, None), (n_b, None)]
                if r % 2:
                    pair.reverse()          # alternate which size runs first
                times = {n: m.run([loop, str(n)], prefix, 60 + 20 * target_s) for n, _ in pair}
            except RunFailed as e:
                d.update(status="failed", error="round %d: %s" % (r + 1, e),
                         stderr_tail=e.stderr_tail)
                log("  %s FAILED in round %d: %s" % (m.name, r + 1, e))
                continue
            per = (times[n_b] - times[n_s]) / (n_b - n_s)
            d["samples_ns"].append(per)
            d["startup_ms"].append((times[n_s] - n_s * per) / 1e6)
        log("  round %d/%d done" % (r + 1, rounds))
    for d in res.values():
        if d["status"] == "ok" and d["samples_ns"]:
            s = d["samples_ns"]
            d.update(median_ns=statistics.median(s), min_ns=min(s), max_ns=max(s),
                     startup_ms_median=statistics.median(d["startup_ms"]))
    base = res.get(NATIVE, {}).get("median_ns")
    floor = res.get(FLOOR, {}).get("median_ns")
    for d in res.values():
        if "median_ns" in d:
            d["x_native"] = d["median_ns"] / base if base else None
            d["x_floor"] = d["median_ns"] / floor if floor else None
    return res


def measure_python_startup(mechs, guest_python, prefix, reps, log):
    """Wall time of `python3 -c pass` natively and under umlskas, interleaved."""
    by = {m.name: m for m in mechs}
    pair = [by[NATIVE], by[UMLSKAS]]
    times = {NATIVE: [], UMLSKAS: []}
    out = {"guest_python": guest_python, "reps": reps}
    failed = None
    for i in range(reps):
        for m in (pair if i % 2 == 0 else pair[::-1]):
            if m.name == UMLSKAS and failed:
                continue
            try:
                times[m.name].append(m.run([guest_python, "-c", "pass"], prefix, 120))
            except RunFailed as e:
                if m.name != UMLSKAS:
                    raise
                failed = e
    out["native_ms"] = statistics.median(times[NATIVE]) / 1e6
    out["native_samples_ms"] = [t / 1e6 for t in times[NATIVE]]
    if failed:
        out.update(status="failed", error=str(failed), stderr_tail=failed.stderr_tail)
        log("  python3 -c pass under umlskas FAILED: %s" % failed)
    else:
        out.update(status="ok", umlskas_ms=statistics.median(times[UMLSKAS]) / 1e6,
                   umlskas_samples_ms=[t / 1e6 for t in times[UMLSKAS]])
        out["ratio"] = out["umlskas_ms"] / out["native_ms"]
    return out


# ---------------------------------------------------------------------------------------
# Reporting


def fmt_ns(x):
    return "%.0f" % x if x >= 100 else "%.1f" % x


def table(title, res, py, order):
    lines = [title]
    hdr = ("%-18s %10s %10s %12s %21s %10s %10s %10s"
           % ("mechanism", "N_small", "N_big", "ns/getpid", "spread (min-max)",
              "x native", "x C floor", "start ms"))
    lines += [hdr, "-" * len(hdr)]
    for name in order:
        d = res.get(name)
        if d is None:
            continue
        if "median_ns" not in d:
            err = d.get("error", "no samples").splitlines()
            lines.append("%-18s FAILED: %s" % (name, err[0] if err else ""))
            lines += ["%-18s   | %s" % ("", l) for l in (d.get("stderr_tail") or "").splitlines()]
            continue
        xr = lambda v: "%.2f" % v if v is not None else "-"
        lines.append("%-18s %10d %10d %12s %21s %10s %10s %10.1f" % (
            name, d["n_small"], d["n_big"], fmt_ns(d["median_ns"]),
            "%s-%s" % (fmt_ns(d["min_ns"]), fmt_ns(d["max_ns"])),
            xr(d["x_native"]), xr(d["x_floor"]), d["startup_ms_median"]))
    if py:
        lines.append("")
        if py["status"] == "ok":
            lines.append("%s -c pass: native %.1f ms, umlskas %.1f ms, ratio %.1fx (median of %d)"
                         % (py["guest_python"], py["native_ms"], py["umlskas_ms"],
                            py["ratio"], py["reps"]))
        else:
            lines.append("%s -c pass: native %.1f ms, umlskas FAILED: %s"
                         % (py["guest_python"], py["native_ms"],
                            py["error"].splitlines()[0]))
            lines += ["    | " + l for l in (py.get("stderr_tail") or "").splitlines()]
    return "\n".join(lines)


def default_guest_python():
    # A real ELF, not a pyenv shim script: the guest must be a binary umlskas can load.
    for p in ("/usr/bin/python3", os.path.realpath(sys.executable)):
        if os.path.exists(p):
            return os.path.realpath(p)
    return sys.executable


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="short run: 3 rounds, ~0.25 s per big run, 3 python start-ups")
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 5, quick 3)")
    ap.add_argument("--target", type=float,
                    help="seconds of getpid loop per big run (default 1.0, quick 0.25)")
    pin = ap.add_mutually_exclusive_group()
    pin.add_argument("--no-pin", action="store_true", help="do not wrap runs in taskset")
    pin.add_argument("--both", action="store_true", help="measure pinned and unpinned")
    ap.add_argument("--cpu", default="0", help="CPU list for taskset -c (default 0)")
    ap.add_argument("--json", metavar="FILE", help="write all numbers to FILE")
    ap.add_argument("--umlskas-cmd", default="%s -m umlskas run --" % shlex.quote(sys.executable),
                    help="command that runs a guest under umlskas (guest argv appended)")
    ap.add_argument("--guest-python", default=default_guest_python(),
                    help="python binary for the `python3 -c pass` start-up row")
    ap.add_argument("--skip-python", action="store_true", help="skip the python start-up row")
    ap.add_argument("--only", help="comma list among native,floor,umlskas")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    a = ap.parse_args()

    rounds = a.rounds or (3 if a.quick else 5)
    target = a.target or (0.25 if a.quick else 1.0)
    reps = 3 if a.quick else 5
    log = (lambda s: None) if a.quiet else (lambda s: print(s, file=sys.stderr, flush=True))

    if shutil.which(a.cc) is None:
        sys.exit("bench: no C compiler %r" % a.cc)
    exes = build(a.cc)
    loop = exes["getpid_loop"]
    mechs = make_mechanisms(exes, shlex.split(a.umlskas_cmd))
    if a.only:
        keep = {"native": NATIVE, "floor": FLOOR, "umlskas": UMLSKAS}
        want = {keep[k.strip()] for k in a.only.split(",")}
        mechs = [m for m in mechs if m.name in want]

    configs = [True, False] if a.both else [not a.no_pin]
    if any(configs) and shutil.which("taskset") is None:
        sys.exit("bench: taskset not found (use --no-pin)")

    report = {"host": {"uname": " ".join(platform.uname()), "cpus": os.cpu_count(),
                       "python": sys.version.split()[0]},
              "guest": loop, "rounds": rounds, "target_s": target,
              "umlskas_cmd": a.umlskas_cmd, "configs": []}
    texts = []
    for pinned in configs:
        prefix = ["taskset", "-c", a.cpu] if pinned else []
        label = ("pinned: taskset -c %s" % a.cpu) if pinned else "unpinned"
        log("== %s, %d rounds, ~%.2f s per big run" % (label, rounds, target))
        res = measure(mechs, loop, prefix, rounds, target, 50_000_000, log)
        py = None
        names = {m.name for m in mechs}
        if not a.skip_python and {NATIVE, UMLSKAS} <= names:
            py = measure_python_startup(mechs, a.guest_python, prefix, reps, log)
        report["configs"].append({"pinned": pinned, "prefix": prefix, "mechanisms": res,
                                  "python_startup": py})
        texts.append(table("ns per getpid, %s, %d interleaved rounds (median; spread over rounds)"
                           % (label, rounds), res, py, [NATIVE, FLOOR, UMLSKAS]))
    print("\n\n".join(texts))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)
        log("wrote %s" % a.json)


if __name__ == "__main__":
    main()
