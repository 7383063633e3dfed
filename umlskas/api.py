"""The Python API for CI harnesses: run a program under umlskas and inspect what it did.

    import umlskas
    r = umlskas.run(["./prog", "arg"], trace=True, timeout=30)
    r.returncode, r.stdout, r.stderr       # as subprocess.run gives them
    [c["name"] for c in r.syscalls]        # the structured trace (--trace-json records)
    r.changes.created                      # what the run created (guest paths, from the kernel)
    r.stats["syscalls"]["openat"]          # counts by name, CPU and wall times

Every run is a separate `python -m umlskas run` process: the kernel pins its CPU and
installs signal handlers, which must not happen in the caller's process.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

__all__ = ["run", "Sandbox", "Result", "Changes", "FileChange", "Bind", "Tmpfs", "Overlay",
           "UmlskasError", "StartError",
           "ProgramNotFound", "Timeout", "KernelFault"]

KERNEL_FAULT_STATUS = 125
NOT_FOUND_STATUS = 127
TERM_GRACE = 3.0        # seconds between SIGTERM and SIGKILL on a timeout
STUB_NAME = "umlskas-stub"


# ---------------------------------------------------------------- exceptions

class UmlskasError(Exception):
    """Base of the API's exceptions; .result holds what the run produced."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result


class StartError(UmlskasError):
    """umlskas could not start the run (exit status 125 with its own message): a working
    directory the mounts hide, a bad root, a missing bind source."""


class ProgramNotFound(UmlskasError):
    """The program could not be found or executed (umlskas exited 127 or 126 for it)."""


class Timeout(UmlskasError):
    """The run exceeded its timeout: umlskas and every guest process were killed."""


class KernelFault(UmlskasError):
    """The kernel hit one of its own bugs (exit status 125); .message is its report."""

    def __init__(self, message, result=None):
        super().__init__(message, result)
        self.message = message


# ---------------------------------------------------------------- mounts

@dataclasses.dataclass(frozen=True)
class Bind:
    """The host path `host` seen at `guest` (default: the same path)."""
    host: str
    guest: str = None
    readonly: bool = False

    def options(self):
        spec = os.path.abspath(os.fspath(self.host))
        if self.guest:
            spec += ":" + self.guest
        return ["--ro-bind" if self.readonly else "--bind", spec]


@dataclasses.dataclass(frozen=True)
class Tmpfs:
    """An empty in-memory directory at `guest` (kept across a Sandbox's runs)."""
    guest: str

    def options(self):
        return ["--tmpfs", self.guest]


@dataclasses.dataclass(frozen=True)
class Overlay:
    """The host directory `host` seen at `guest` through a writable overlay: the host
    directory is never changed; Result.changes lists what the guest did to it."""
    host: str
    guest: str = None

    def options(self):
        host = os.path.abspath(os.fspath(self.host))
        return ["--overlay", f"{host}:{self.guest or host}"]


def mount_options(mounts, root=None, sandbox=False):
    """`umlskas run` options for a list of Bind/Tmpfs/Overlay (or option strings)."""
    out = []
    if root is not None:
        out += ["--root", os.path.abspath(os.fspath(root))]
    if sandbox:
        out.append("--sandbox")
    for m in mounts or ():
        if isinstance(m, str):
            out += shlex.split(m)
        elif hasattr(m, "options"):
            out += m.options()
        else:
            raise TypeError(f"mounts: {m!r} is not a Bind, Tmpfs or Overlay")
    return out


# ---------------------------------------------------------------- file changes

@dataclasses.dataclass(frozen=True)
class FileChange:
    """A file or directory the guest created, modified or deleted (from the kernel's
    change journal), or one a `watch` snapshot found changed."""

    kind: str           # "created", "modified" or "deleted"
    path: str           # the host path of its data (a tmpfs or overlay file: in the layer)
    relpath: str        # relative to root
    root: str           # the guest's cwd or the mount point it is under (watch: the dir)
    guest: str = None   # the path the guest saw (None for a watch snapshot's)
    content: bytes = dataclasses.field(default=None, repr=False, compare=False)

    def read(self) -> bytes:
        """The file's content after the run (FileNotFoundError for a deleted file).
        A layer's files are read when the run ends (layers of a one-off run are gone)."""
        if self.kind == "deleted":
            raise FileNotFoundError(self.guest or self.path)
        if self.content is not None:
            return self.content
        if self.path is None:
            raise FileNotFoundError(f"{self.guest}: its data is not reachable from the host")
        with open(self.path, "rb") as f:
            return f.read()

    def read_text(self, encoding="utf-8") -> str:
        return self.read().decode(encoding)


@dataclasses.dataclass
class Changes:
    """created/modified/deleted files of a run, by guest path, as the kernel recorded
    its own writes (nothing of the host tree is listed); plus, with `watch`, what a
    before/after snapshot of those host directories found. complete is False if the
    guest changed more paths than the kernel's journal keeps (100000)."""

    created: list = dataclasses.field(default_factory=list)
    modified: list = dataclasses.field(default_factory=list)
    deleted: list = dataclasses.field(default_factory=list)
    complete: bool = True

    def __iter__(self):
        return iter(self.created + self.modified + self.deleted)

    def __len__(self):
        return len(self.created) + len(self.modified) + len(self.deleted)

    def __bool__(self):
        return len(self) > 0

    def get(self, path):
        """The change of PATH (a guest path, an absolute host path, or relative to a
        watched directory or mount point), or None."""
        for change in self:
            if path in (change.guest, change.path, change.relpath):
                return change
        return None

    def paths(self, kind=None):
        return [c.relpath for c in self if kind is None or c.kind == kind]


def snapshot(roots):
    """{(root, relpath): (type, size, mtime_ns, ctime_ns, ino)} of everything under roots."""
    state = {}
    for root in roots:
        root = os.path.abspath(root)
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                full = os.path.join(dirpath, name)
                try:
                    st = os.lstat(full)
                except OSError:
                    continue
                if os.path.isdir(full) and not os.path.islink(full):
                    continue        # directories: their entries are what changes
                state[(root, os.path.relpath(full, root))] = (
                    st.st_mode & 0o170000, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    return state


def diff_snapshots(before, after):
    changes = Changes()
    for key in sorted(after.keys() | before.keys()):
        root, rel = key
        change = lambda kind: FileChange(kind, os.path.join(root, rel), rel, root)  # noqa: E731
        if key not in before:
            changes.created.append(change("created"))
        elif key not in after:
            changes.deleted.append(change("deleted"))
        elif before[key] != after[key]:
            changes.modified.append(change("modified"))
    return changes


def journal_changes(journal, roots, identity, read_content=False):
    """Changes from the kernel's change journal ({guest path: [kind, host path]}, see
    umlskas/kernel/changes.py). roots: guest directories (the cwd, mount points) a
    change's relpath is taken against, the deepest holding it; identity: the guest's
    tree is the host's (no mount options), so a guest path is also the host path.
    read_content: keep regular files' data now (their layer goes when the run ends)."""
    changes = Changes()
    roots = sorted({r.rstrip("/") or "/" for r in roots}, key=len, reverse=True)
    for guest in sorted(journal):
        if guest == "":
            changes.complete = False        # the journal overflowed (changes.py)
            continue
        kind, host = journal[guest]
        if kind not in ("created", "modified", "deleted"):
            continue
        root = next((r for r in roots if guest == r or guest.startswith(r.rstrip("/") + "/")),
                    "/")
        rel = "." if guest == root else os.path.relpath(guest, root)
        host = host or (guest if identity else None)
        content = None
        if read_content and kind != "deleted" and host and os.path.isfile(host) \
                and not os.path.islink(host):
            try:
                with open(host, "rb") as f:
                    content = f.read()
            except OSError:
                pass
        getattr(changes, kind).append(FileChange(kind, host, rel, root, guest, content))
    return changes


def _merge(*all_changes):
    out = Changes()
    for c in all_changes:
        out.created += c.created
        out.modified += c.modified
        out.deleted += c.deleted
        out.complete = out.complete and c.complete
    return out


def private_tempdir(prefix="umlskas-api-"):
    """A directory for the API's own files (trace, stats, layers) that no guest sees:
    the guest's /dev (and so /dev/shm) is the kernel's own, the host's /dev/shm is not
    in its view. (Elsewhere, a file of ours in /tmp would show in the guest's /tmp.)"""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def hidden_cwd(cwd, mounts, root=None):
    """Why the mounts hide the guest's working directory cwd, or None. The last mount
    whose point holds cwd decides: a tmpfs is empty (only its own point exists), a bind
    or overlay shows its host directory."""
    def holds(point):
        point = point.rstrip("/") or "/"
        return cwd == point or cwd.startswith(point.rstrip("/") + "/")
    cover = None
    for m in mounts or ():
        point = getattr(m, "guest", None) or (os.path.abspath(os.fspath(m.host))
                                              if hasattr(m, "host") else None)
        if isinstance(m, (Bind, Tmpfs, Overlay)) and point and holds(point):
            cover = (m, point.rstrip("/") or "/")
    if cover is None:
        if root is not None and not os.path.isdir(os.path.join(os.path.abspath(root),
                                                               cwd.lstrip("/"))):
            return f"cwd {cwd!r} does not exist under root {os.fspath(root)!r}"
        return None
    m, point = cover
    if isinstance(m, Tmpfs):
        if cwd == point:
            return None
        return (f"cwd {cwd!r} is hidden in the guest by {m!r} (an empty tmpfs mounted over "
                f"it): give a cwd outside it (or the tmpfs itself), or a Bind of the "
                f"directory after the Tmpfs")
    rel = cwd[len(point):].lstrip("/")
    host = os.path.join(os.path.abspath(os.fspath(m.host)), rel)
    if not os.path.isdir(host):
        return (f"cwd {cwd!r} is hidden in the guest by {m!r}: {host!r} is not a "
                f"directory on the host")
    return None


# ---------------------------------------------------------------- results

@dataclasses.dataclass
class Result:
    """What one run produced."""

    argv: list
    returncode: int             # the guest's exit status; -N if a signal N ended it
    stdout: bytes
    stderr: bytes
    syscalls: list              # one dict per syscall (trace=True): tid, tgid, nr, name,
                                # args, result, errno, start_ns, duration_ns
    changes: Changes            # what the guest created/modified/deleted, by guest path
    stats: dict                 # syscall counts, errors, stops, wall and CPU times
    mode: str = "skas"

    def names(self):
        """The syscall names of the trace, in order."""
        return [c["name"] for c in self.syscalls]

    def check_returncode(self):
        if self.returncode != 0:
            raise subprocess.CalledProcessError(self.returncode, self.argv, self.stdout,
                                                self.stderr)
        return self


def _descendants(pid):
    try:
        import psutil
        return psutil.Process(pid).children(recursive=True)
    except Exception:
        return []


def _kill_tree(proc, grace=TERM_GRACE):
    """SIGTERM, then SIGKILL, umlskas; then make sure no guest process (stub) survives.
    Returns the pids of the stray processes it had to kill itself (normally none)."""
    import psutil
    tree = _descendants(proc.pid)
    try:
        proc.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    # Its stubs die with it (PTRACE_O_EXITKILL); check, and clean up if not.
    gone, alive = psutil.wait_procs(tree, timeout=grace)
    strays = []
    for p in alive:
        try:
            strays.append(p.pid)
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)
    return strays


def surviving_stubs(pids):
    """The umlskas-stub processes among pids that are still alive (not zombies)."""
    import psutil
    out = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            if p.status() != psutil.STATUS_ZOMBIE and STUB_NAME in p.name():
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _read_trace(path):
    records = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        break       # a last line cut short by a kill
    except FileNotFoundError:
        pass
    return records


def _make_stats(records, kernel_stats, wall, traced):
    stats = {"wall_s": wall}
    if traced:
        counts = collections.Counter(r["name"] for r in records)
        stats["syscalls"] = dict(counts.most_common())
        stats["total_syscalls"] = len(records)
        stats["errors"] = dict(collections.Counter(r["name"] for r in records if r["errno"]))
        stats["syscall_time_ns"] = sum(r["duration_ns"] for r in records)
    else:
        stats["syscalls"] = None        # counting needs the tracer: run with trace=True
    per = kernel_stats.get("stops_per_syscall")
    if per is not None and traced:
        # The mode's ptrace stops per guest syscall times the calls: an estimate.
        stats["stops"] = per * len(records)
    stats["stops_per_syscall"] = per
    for key in ("wall_s", "kernel_cpu_s", "guest_cpu_s", "kernel_maxrss_kb"):
        if key in kernel_stats:
            stats["kernel_wall_s" if key == "wall_s" else key] = kernel_stats[key]
    return stats


def run(argv, *, mode="skas", env=None, cwd=None, input=None, timeout=None, mounts=None,
        deterministic=False, seed=None, trace=False, watch=None, check_errors=True,
        root=None, sandbox=False, layers_dir=None, net=None, extra_args=()):
    """Run argv under umlskas in a subprocess and return a Result.

    mode: "skas", "tt", "seccomp" or "auto".  env: the guest's whole environment (default: ours).
    cwd: the guest's working directory, a path in the guest's view (default: ours);
    StartError if the mounts hide it (a Tmpfs over it, a Bind of a directory lacking
    it).  input: bytes for its stdin (default: /dev/null).  timeout: seconds; on
    expiry umlskas gets SIGTERM then SIGKILL, its stubs die with it, and Timeout is
    raised.  deterministic/seed: `umlskas run --deterministic --seed N`.
    trace: False, True (record every syscall in Result.syscalls and count them in
    Result.stats) or a filter as `--trace=` takes ("%file,write").
    Result.changes: what the guest created, modified and deleted, by guest path, as
    the kernel recorded its own writes (a run with cwd "/" lists only those; nothing
    of the host tree is scanned).  watch: host directories to also snapshot before and
    after the run (changes made there by anything else, e.g. a host process the guest
    talked to), default none.
    mounts: a list of Bind(host, guest, readonly), Tmpfs(guest), Overlay(host, guest)
    (or `umlskas run` option strings such as "--tmpfs /work"), applied in order;
    root: a host directory to see as /; sandbox: the --sandbox preset (the host's /
    read-only through an overlay, private /tmp).  The data of a file the guest wrote
    in a tmpfs or an overlay is kept in its FileChange (the layers go with the run).
    layers_dir: keep the writable layers there (Sandbox does, so its runs share them).
    net: "host" or "none" (`--net`): AF_INET sockets are the host's, or refused.
    check_errors: raise ProgramNotFound (exit 127/126 with umlskas' own message),
    StartError (125: umlskas could not start the run) and KernelFault (exit 125 with
    the kernel's bug report) instead of returning.
    """
    tree = mount_options(mounts, root, sandbox)
    if isinstance(argv, str):
        argv = shlex.split(argv)
    argv = [os.fsdecode(a) for a in argv]
    if not argv:
        raise ValueError("argv is empty")
    cwd = os.path.abspath(os.fspath(cwd) if cwd is not None else os.getcwd())
    if layers_dir is None and not sandbox:
        why = hidden_cwd(cwd, mounts, root)
        if why is not None:
            raise StartError(f"umlskas.run: {why}")
    watch = [os.fspath(w) for w in watch or ()]
    if input is not None and isinstance(input, str):
        input = input.encode()

    # Our own files live where no guest sees them (not in its /tmp).
    own = private_tempdir()
    trace_path = os.path.join(own, "trace.jsonl")
    stats_path = os.path.join(own, "stats.json")
    cmd = [sys.executable, "-m", "umlskas", "run", "--mode", mode, "--cwd", cwd,
           "--stats-json", stats_path]
    if trace:
        cmd += ["--trace-json", trace_path]
        if isinstance(trace, str):
            cmd += ["--trace-filter", trace]
    if deterministic:
        cmd += ["--deterministic", "--seed", str(seed or 0)]
    own_layers = False
    if tree and layers_dir is None:
        layers_dir = os.path.join(own, "layers")
        os.mkdir(layers_dir)
        own_layers = True
    if tree:
        cmd += [*tree, "--layers-dir", layers_dir]
    if net is not None:
        cmd += ["--net", net]
    cmd += [*extra_args, "--", *argv]

    before = snapshot(watch) if watch else None
    t0 = time.perf_counter()
    timed_out = False
    strays = []
    try:
        try:
            # The guest's cwd may exist only in its view (a mount point): umlskas itself
            # starts in ours, which its relative mount sources were taken against.
            proc = subprocess.Popen(cmd, env=dict(env) if env is not None else None,
                                    stdin=subprocess.PIPE if input is not None
                                    else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                stdout, stderr = proc.communicate(input, timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                strays = _kill_tree(proc)
                stdout, stderr = proc.communicate()
            except BaseException:
                _kill_tree(proc)
                raise
            wall = time.perf_counter() - t0
            records = _read_trace(trace_path) if trace else []
            try:
                with open(stats_path, encoding="utf-8") as f:
                    kernel_stats = json.load(f)
            except (OSError, ValueError):
                kernel_stats = {}
            roots = [cwd] + [p for p in (getattr(m, "guest", None) or getattr(m, "host", None)
                                         for m in mounts or () if not isinstance(m, str)) if p]
            changes = journal_changes(kernel_stats.pop("changes", None) or {},
                                      [os.path.abspath(os.fspath(r)) for r in roots],
                                      identity=not tree and not extra_args,
                                      read_content=own_layers)
        finally:
            shutil.rmtree(own, ignore_errors=True)
    except BaseException:
        shutil.rmtree(own, ignore_errors=True)
        raise
    if watch:
        changes = _merge(changes, diff_snapshots(before, snapshot(watch)))
    result = Result(argv, proc.returncode, stdout, stderr, records, changes,
                    _make_stats(records, kernel_stats, wall, bool(trace)), mode)
    if timed_out:
        message = f"{argv[0]}: timed out after {timeout}s; umlskas and its guests were killed"
        if strays:
            message += f" (stray processes killed: {strays})"
        raise Timeout(message, result)
    if check_errors:
        _check(result)
    return result


def _check(result):
    err = result.stderr.decode("utf-8", "replace")
    name = result.argv[0]
    if result.returncode in (NOT_FOUND_STATUS, 126):
        prefix = f"umlskas: '{name}': "
        for line in err.splitlines():
            if line.startswith(prefix):
                raise ProgramNotFound(f"{name}: {line[len(prefix):]}", result)
    if result.returncode == KERNEL_FAULT_STATUS:
        marker = "umlskas: the kernel stopped the guest: "
        at = err.find(marker)
        if at >= 0:
            raise KernelFault(err[at + len(marker):].strip(), result)
        lines = err.strip().splitlines()
        if lines and lines[-1].startswith("umlskas: "):
            # umlskas' own one-line reason for not starting (a hidden working
            # directory, a missing mount source): not a status of the guest.
            raise StartError(lines[-1], result)


# ---------------------------------------------------------------- sandbox

class Sandbox:
    """Several runs over one filesystem view, with shared defaults (cwd, env, mode...).

        with Sandbox(cwd="/tmp/work", mode="tt") as box:
            box.run(["cc", "-c", "x.c"])
            r = box.run(["./a.out"], trace=True)

    With cwd=None the sandbox makes a private scratch directory, removed by close().
    """

    def __init__(self, cwd=None, *, env=None, mode="skas", watch=None, timeout=None,
                 deterministic=False, seed=None, trace=False, mounts=None, root=None,
                 sandbox=False):
        self._scratch = None
        self.mounts = list(mounts or ())
        self.root = root
        self.sandbox = sandbox
        self._layers = None
        if self.mounts or root is not None or sandbox:
            # One set of writable layers for all runs: one filesystem view.
            self._layers = private_tempdir("umlskas-layers-")
        if cwd is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="umlskas-sandbox-")
            cwd = self._scratch.name
        self.cwd = os.path.abspath(os.fspath(cwd))
        self.env = dict(env) if env is not None else None
        self.mode = mode
        self.watch = watch
        self.timeout = timeout
        self.deterministic = deterministic
        self.seed = seed
        self.trace = trace
        self.results = []

    def path(self, *parts):
        """A path inside the sandbox's directory."""
        return os.path.join(self.cwd, *parts)

    def write(self, name, data, mode=None):
        """Create a file in the sandbox's directory (str or bytes); returns its path."""
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        if mode is not None:
            os.chmod(path, mode)
        return path

    def run(self, argv, **kwargs):
        """umlskas.run with this sandbox's defaults; keyword arguments override them."""
        options = {"mode": self.mode, "env": self.env, "cwd": self.cwd, "timeout": self.timeout,
                   "deterministic": self.deterministic, "seed": self.seed, "trace": self.trace,
                   "watch": self.watch, "mounts": self.mounts, "root": self.root,
                   "sandbox": self.sandbox, "layers_dir": self._layers}
        options.update(kwargs)
        result = run(argv, **options)
        self.results.append(result)
        return result

    def close(self):
        if self._layers is not None:
            shutil.rmtree(self._layers, ignore_errors=True)
            self._layers = None
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<umlskas.Sandbox cwd={self.cwd!r} mode={self.mode}>"


# ---------------------------------------------------------------- --verify

DIRENT_CALLS = ("getdents", "getdents64")


def _comparable(record):
    """A trace record without what two equal runs may not share: its timing, and the
    dirent bytes getdents returned (they carry the host's inode numbers, d_ino, which
    fresh copy-on-write layers give anew each run; the names read show in what the
    program does next)."""
    out = {k: v for k, v in record.items() if k not in ("start_ns", "duration_ns")}
    if out.get("name") in DIRENT_CALLS and len(out.get("args") or ()) > 1:
        out["args"] = [out["args"][0], "<dirents>", *out["args"][2:]]
    return out


def first_difference(a, b):
    """The first difference between two Results' stdout and traces, as a message, or None."""
    if a.stdout != b.stdout:
        la, lb = a.stdout.splitlines(), b.stdout.splitlines()
        for i in range(max(len(la), len(lb))):
            x = la[i] if i < len(la) else None
            y = lb[i] if i < len(lb) else None
            if x != y:
                return f"stdout line {i + 1} differs:\n  run 1: {x!r}\n  run 2: {y!r}"
        return "stdout differs (line endings)"
    for i in range(max(len(a.syscalls), len(b.syscalls))):
        x = _comparable(a.syscalls[i]) if i < len(a.syscalls) else None
        y = _comparable(b.syscalls[i]) if i < len(b.syscalls) else None
        if x != y:
            return (f"syscall {i + 1} of the trace differs:\n  run 1: {json.dumps(x)}\n"
                    f"  run 2: {json.dumps(y)}")
    if a.returncode != b.returncode:
        return f"exit status differs: {a.returncode} then {b.returncode}"
    return None


COPY_ON_WRITE_NOTE = ("each run sees the files through its own copy-on-write layer "
                      "(--sandbox; a --bind is an --overlay), so both start from the same state")


def copy_on_write_options(tree):
    """The tree options of a --verify run: what the first run writes must not be what the
    second one starts from. --sandbox (the host's / through an in-memory overlay, a
    private /tmp), every directory --bind as an --overlay, an --overlay's own UPPER
    directory dropped (an in-memory one per run), --writable-cwd dropped. ValueError
    for a --bind of a file, which no layer can cover."""
    out, i = [], 0
    while i < len(tree):
        opt = tree[i]
        if opt in ("--sandbox", "--writable-cwd"):
            i += 1
            continue
        value = tree[i + 1]
        i += 2
        if opt == "--bind":
            host, _, guest = value.partition(":")
            host = os.path.abspath(host)
            if not os.path.isdir(host):
                raise ValueError(f"--verify: --bind {value}: a file bound read-write cannot "
                                 f"get a copy-on-write layer per run; use --ro-bind")
            out += ["--overlay", f"{host}:{guest or host}"]
        elif opt == "--overlay":
            host, _, rest = value.partition(":")
            guest = rest.partition(":")[0]
            out += ["--overlay", f"{host}:{guest}" if guest else host]
        else:
            out += [opt, value]
    return ["--sandbox"] + out


def verify_cli(argv, *, env, cwd, mode, deterministic, seed, trace=None, extra=(), messages=()):
    """`umlskas run --verify`: run twice, each over its own copy-on-write layer (see
    copy_on_write_options), pass the first run's output through, exit 1 with the first
    difference if the runs differ; else the guest's status. messages: -q/-v, passed on."""
    try:
        extra = copy_on_write_options(list(extra)) + list(messages)
    except ValueError as e:
        sys.stderr.write(f"umlskas: {e}\n")
        return 2
    options = dict(env=env, cwd=cwd, mode=mode, deterministic=deterministic, seed=seed,
                   trace=trace or True, check_errors=False, extra_args=extra)
    first = run(argv, **options)
    second = run(argv, **options)
    sys.stdout.buffer.write(first.stdout)
    sys.stdout.flush()
    sys.stderr.buffer.write(first.stderr)
    difference = first_difference(first, second)
    if difference is not None:
        sys.stderr.write(f"umlskas: --verify: the two runs differ: {difference}\n")
        sys.stderr.flush()
        return 1
    sys.stderr.write(f"umlskas: --verify: two runs, same stdout and trace "
                     f"({len(first.syscalls)} syscalls)\n")
    sys.stderr.flush()
    status = first.returncode
    return status if status >= 0 else 128 - status
