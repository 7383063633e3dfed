"""The umlskas command line: run a program under the Python kernel, list the syscalls."""

import errno
import logging
import os
import resource
import signal
import sys

import click

from . import __version__

EXAMPLES = """
\b
Examples:
  umlskas run -- busybox echo hello
  umlskas run --trace -- /bin/ls -la /usr/share
  umlskas run --env LANG=C --cwd /tmp -- python3 -c 'import os; print(os.getcwd())'
  umlskas run --mode tt --trace=%process -- busybox sh -c 'echo a | cat'
  umlskas run --deterministic --verify -- python3 -c 'import time; print(time.time())'
  umlskas run --sandbox -- sh -c 'echo changed > /etc/motd; cat /etc/motd'
  umlskas run --tmpfs /work --cwd /work -- sh -c 'git init && git status'
  umlskas run --root ./rootfs --ro-bind /usr:/usr -- /bin/sh
  umlskas explain --mode tt --count 3 -- busybox true
  umlskas bench --quick
  umlskas syscalls --implemented
"""

KERNEL_FAULT_STATUS = 125


def launch_environment():
    """The environment umlskas was started with. os.environ may hold more: the
    interpreter adds LC_CTYPE itself when it coerces the C locale (PEP 538)."""
    try:
        with open("/proc/self/environ", "rb") as f:
            raw = f.read()
    except OSError:
        return dict(os.environ)
    env = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key:
            env[os.fsdecode(key)] = os.fsdecode(value)
    return env


def reraise_signal(sig):
    """Die of the guest's signal, without a core file; 128+N if we survive it."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    if sig not in (signal.SIGKILL, signal.SIGSTOP):
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)


def run_program(argv, *, env, cwd, trace=False, mode_name="skas", deterministic=None, info=None,
                mounts=None, hostname=None, network=None):
    """Run argv in a new kernel; returns the guest's status (code, or -signal).

    trace: True for the text trace on stderr, or a tracer callable (see trace.py).
    deterministic: None, or the seed of a deterministic run (Kernel's deterministic=).
    info: a dict to receive facts about the run (stops_per_syscall)."""
    from .kernel.errors import SyscallError
    from .kernel.kernel_proc import Kernel
    from .host.mode_skas import SkasMode
    from .host.mode_tt import TTMode
    from .trace import TextTracer

    mode = TTMode() if mode_name == "tt" else SkasMode()
    if info is not None:
        info["stops_per_syscall"] = getattr(mode, "stops_per_syscall", None)
    tracer = TextTracer() if trace is True else trace or None
    try:
        kernel = Kernel(mode, tracer=tracer, deterministic=deterministic, mounts=mounts,
                        hostname=hostname, network=network)
    except (ValueError, OSError) as e:
        mode.close()
        click.echo(f"umlskas: {e}", err=True)
        return 125
    if info is not None:
        # What the guest changes in its file tree, by guest path (the API's
        # Result.changes, through --stats-json).
        from .kernel.changes import journal
        info["changes"] = journal(kernel)
    try:
        try:
            cwd = kernel.guest_dir(os.path.abspath(cwd))
        except SyscallError as e:
            kernel.shutdown()
            click.echo(f"umlskas: working directory {cwd}: {os.strerror(e.errno)} in the "
                       "guest's file tree (see --cwd)", err=True)
            return 125
        filename = kernel.find_program(argv[0], env.get("PATH"), cwd)
        if filename is None:
            kernel.shutdown()
            click.echo(f"umlskas: '{argv[0]}': No such file or directory", err=True)
            return 127
        envp = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
        kernel.spawn_init(os.fsencode(filename), [os.fsencode(a) for a in argv], envp, cwd)
    except SyscallError as e:
        kernel.shutdown()
        click.echo(f"umlskas: '{argv[0]}': {os.strerror(e.errno)}", err=True)
        return 127 if e.errno == errno.ENOENT else 126
    except BaseException:
        kernel.shutdown()
        raise
    return kernel.run()


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.version_option(__version__, prog_name="umlskas")
def main():
    """umlskas: a user-space Linux kernel in Python (User-mode Linux SKAS style).

    Every system call of the guest program stops in the kernel (PTRACE_SYSEMU)
    and is emulated in Python; the guest never makes a host system call."""


class _RunCommand(click.Command):
    """`run`, where `--trace=NAMES` (with '=') selects syscalls and bare `--trace` stays a
    flag, so `umlskas run --trace prog` still runs prog."""

    VALUED = {"--env", "--cwd", "--mode", "--trace-json", "--seed", "--stats-json",
              "--root", "--bind", "--ro-bind", "--tmpfs", "--overlay", "--hostname",
              "--layers-dir", "--net",
              "--trace-filter"}

    def parse_args(self, ctx, args):
        args = list(args)
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--" or not arg.startswith("-"):
                break
            if arg.startswith("--trace="):
                args[i:i + 1] = ["--trace", "--trace-filter", arg[len("--trace="):]]
                i += 3
                continue
            i += 2 if arg in self.VALUED else 1
        return super().parse_args(ctx, args)


@main.command(cls=_RunCommand, epilog=EXAMPLES, context_settings={"ignore_unknown_options": True})
@click.option("--trace", is_flag=True,
              help="Print one strace-like line per guest syscall to stderr; --trace=NAMES "
                   "(comma list of syscall names and %file %process %signal %memory %desc "
                   "%network %ipc %creds %clock %stat, '!' to negate) traces only those.")
@click.option("--trace-filter", hidden=True, default=None)
@click.option("--trace-json", "trace_json", metavar="FILE", default=None,
              type=click.Path(dir_okay=False),
              help="Write one JSON object per guest syscall to FILE ('-' for stderr).")
@click.option("--summary", is_flag=True,
              help="At exit, print a count/time/errors table per syscall to stderr (strace -c).")
@click.option("--verify", is_flag=True,
              help="Run twice, each over its own copy-on-write view of the files (as "
                   "--sandbox; a --bind becomes an --overlay), so both start from the same "
                   "state; report the first difference in stdout or the trace, exit 1 if any.")
@click.option("--deterministic", is_flag=True, help="Deterministic time, randomness and ids.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="The seed of --deterministic.")
@click.option("--stats-json", hidden=True, default=None)
@click.option("--env", "env_pairs", multiple=True, metavar="K=V", help="Set a variable in the guest's environment.")
@click.option("--cwd", type=click.Path(file_okay=False), default=None, help="The guest's working directory.")
@click.option("--mode", type=click.Choice(["skas", "tt"]), default="skas", show_default=True,
              help="How guest syscalls reach the kernel.")
@click.option("--root", "root_dir", metavar="DIR", default=None,
              help="The host directory the guest sees as / (the kernel's /proc and /dev "
                   "are mounted on it).")
@click.option("--bind", "binds", multiple=True, metavar="HOST[:GUEST]",
              help="Mount the host path HOST at GUEST (default: the same path), read-write.")
@click.option("--ro-bind", "ro_binds", multiple=True, metavar="HOST[:GUEST]",
              help="Like --bind, read-only (writes fail with EROFS).")
@click.option("--tmpfs", "tmpfses", multiple=True, metavar="GUEST",
              help="Mount an empty in-memory filesystem at GUEST.")
@click.option("--overlay", "overlays", multiple=True, metavar="HOST[:GUEST[:UPPER]]",
              help="See HOST at GUEST through an overlay: writes go to an in-memory upper "
                   "layer (or the directory UPPER), HOST is never changed.")
@click.option("--sandbox", is_flag=True,
              help="The host's / read-only through an in-memory overlay, private /tmp and "
                   "/dev/shm: the guest sees its own changes, the host keeps none of them "
                   "(the working directory stays visible).")
@click.option("--writable-cwd", is_flag=True,
              help="With --sandbox: the current directory is bound read-write.")
@click.option("--hostname", default=None, help="The guest's host name (uname -n).")
@click.option("--net", type=click.Choice(["host", "none"]), default=None,
              help="AF_INET/AF_INET6 sockets: the host's network, or none (EAFNOSUPPORT). "
                   "Default: host, none with --deterministic.")
@click.option("--layers-dir", default=None, hidden=True,
              help="Keep tmpfs and overlay upper layers in this directory (for the API).")
@click.option("-v", "--verbose", count=True, help="More kernel log output.")
@click.argument("program")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run(trace, trace_filter, trace_json, summary, verify, deterministic, seed, stats_json,
        env_pairs, cwd, mode, root_dir, binds, ro_binds, tmpfses, overlays, sandbox,
        writable_cwd, hostname, net, layers_dir, verbose, program, args):
    """Run PROGRAM with ARGS under the kernel; its exit status becomes ours.

    The file tree options are applied in this order: --root or --sandbox for /, the
    kernel's /proc, /dev and /dev/shm, then every --bind, --ro-bind, --tmpfs and
    --overlay in the order given."""
    logging.basicConfig(level=logging.DEBUG if verbose > 1 else logging.INFO if verbose else
                        logging.WARNING, format="umlskas: %(message)s", stream=sys.stderr)
    env = launch_environment()
    for pair in env_pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not K=V", param_hint="--env")
        env[key] = value
    cwd = cwd or ("/" if root_dir else os.getcwd())
    mount_args = _mount_args(sys.argv, root_dir, binds, ro_binds, tmpfses, overlays, sandbox,
                             writable_cwd, layers_dir, os.path.abspath(cwd))
    guest_view = bool(mount_args.get("specs") or root_dir or sandbox)
    if not guest_view and not os.path.isdir(cwd):
        click.echo(f"umlskas: --cwd {cwd}: No such directory", err=True)
        sys.exit(125)
    from .trace import parse_filter
    try:
        names = parse_filter(trace_filter)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--trace")
    if verify:
        from .api import verify_cli
        sys.exit(verify_cli([program, *args], env=env, cwd=cwd, mode=mode,
                            deterministic=deterministic, seed=seed, trace=trace_filter,
                            extra=_tree_options(sys.argv, root_dir, binds, ro_binds, tmpfses, overlays,
                                                sandbox, writable_cwd, hostname, net)))
    import time
    from .kernel.errors import KernelBug
    from .trace import JsonTracer, SummaryTracer, TextTracer, Tracers
    json_stream = None
    if trace_json is not None:
        json_stream = sys.stderr if trace_json == "-" else open(trace_json, "w", encoding="utf-8")
    summarizer = SummaryTracer() if summary else None
    tracer = None
    if trace or json_stream is not None or summarizer is not None:
        tracer = Tracers([TextTracer() if trace else None,
                          JsonTracer(json_stream) if json_stream is not None else None,
                          summarizer], names)
    info = {}
    wall0 = time.perf_counter()
    status = None
    try:
        status = run_program([program, *args], env=env, cwd=cwd, trace=tracer, mode_name=mode,
                             deterministic=seed if deterministic else None, info=info,
                             mounts=mount_args, hostname=hostname,
                             network=None if net is None else net == "host")
    except KernelBug as e:
        click.echo(f"umlskas: the kernel stopped the guest: {e}", err=True)
        status = KERNEL_FAULT_STATUS
    except KeyboardInterrupt:
        status = 128 + signal.SIGINT
    finally:
        if json_stream is not None and json_stream is not sys.stderr:
            json_stream.close()
        if summarizer is not None:
            summarizer.report(sys.stderr)
        if stats_json is not None:
            _write_run_stats(stats_json, mode, info, time.perf_counter() - wall0, status)
    sys.stdout.flush()
    if status < 0:
        reraise_signal(-status)
    sys.exit(status)


SANDBOX_PRIVATE = ("/tmp/", "/dev/shm/")     # what --sandbox replaces with a tmpfs


def _split_spec(spec, parts):
    """HOST[:GUEST[:...]] into `parts` fields (missing ones None)."""
    fields = spec.split(":", parts - 1)
    return fields + [None] * (parts - len(fields))


def _mount_args(argv, root_dir, binds, ro_binds, tmpfses, overlays, sandbox, writable_cwd,
                layers_dir, cwd):
    """The Vfs arguments of the tree options, mounts in command-line order."""
    by_option = {"--bind": [("bind", b) for b in binds],
                 "--ro-bind": [("ro-bind", b) for b in ro_binds],
                 "--tmpfs": [("tmpfs", t) for t in tmpfses],
                 "--overlay": [("overlay", o) for o in overlays]}
    order = []
    for arg in argv:
        if arg == "--":
            break
        name = arg.split("=", 1)[0]
        if name in by_option and by_option[name]:
            order.append(by_option[name].pop(0))
    for rest in by_option.values():
        order.extend(rest)
    specs = []
    if sandbox and writable_cwd:
        specs.append(("bind", cwd, cwd, None))
    elif sandbox and not root_dir and cwd.startswith(SANDBOX_PRIVATE):
        # The working directory stays visible under the private /tmp, through an
        # overlay like the rest of the host's tree.
        specs.append(("overlay", cwd, cwd, None))
    for kind, spec in order:
        if kind == "tmpfs":
            specs.append(("tmpfs", None, spec, None))
            continue
        host, guest, upper = (_split_spec(spec, 3) if kind == "overlay" else
                              _split_spec(spec, 2) + [None])
        host = os.path.abspath(host)
        specs.append((kind, host, guest or host, upper))
    return {"specs": specs, "root": root_dir, "sandbox": sandbox, "layers_dir": layers_dir}


def _tree_options(argv, root_dir, binds, ro_binds, tmpfses, overlays, sandbox, writable_cwd,
                  hostname, net=None):
    """The same tree options again, in their command-line order (later mounts hide
    earlier ones), for the runs --verify starts."""
    out = ["--root", root_dir] if root_dir else []
    by_option = {"--bind": list(binds), "--ro-bind": list(ro_binds),
                 "--tmpfs": list(tmpfses), "--overlay": list(overlays)}
    for arg in argv:
        if arg == "--":
            break
        name = arg.split("=", 1)[0]
        if name in by_option and by_option[name]:
            out += [name, by_option[name].pop(0)]
    for name, rest in by_option.items():
        for value in rest:
            out += [name, value]
    if sandbox:
        out.append("--sandbox")
    if writable_cwd:
        out.append("--writable-cwd")
    if hostname:
        out += ["--hostname", hostname]
    if net:
        out += ["--net", net]
    return out


def _write_run_stats(path, mode, info, wall, status):
    """The kernel's own numbers for the Python API (umlskas.api): wall and CPU times."""
    import json
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"mode": mode, "status": status, "wall_s": wall,
                   "kernel_cpu_s": {"user": me.ru_utime, "system": me.ru_stime},
                   "guest_cpu_s": {"user": kids.ru_utime, "system": kids.ru_stime},
                   "kernel_maxrss_kb": me.ru_maxrss, **info}, f)


@main.command()
@click.option("--implemented", is_flag=True, help="Only the syscalls with a handler.")
def syscalls(implemented):
    """List every x86-64 syscall with its support level."""
    from .kernel.syscalls.names import LINUX_VERSION
    from .kernel.syscalls.table import TABLE
    click.echo(f"# x86-64 syscalls up to Linux {LINUX_VERSION}: number name support")
    for entry in TABLE:
        if entry is None or (implemented and entry.handler is None):
            continue
        click.echo(f"{entry.nr:4d} {entry.name:24s} {entry.support}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--mode", type=click.Choice(["skas", "tt"]), default="skas", show_default=True,
              help="How guest syscalls reach the kernel.")
@click.option("--count", type=click.IntRange(0), default=20, show_default=True,
              help="Show the host events of the first N guest syscalls.")
@click.option("--json", "json_path", metavar="FILE", default=None,
              help="Also write the events and the summary as JSON to FILE ('-' for stdout).")
@click.option("--stub-ops", is_flag=True, help="Also show the events of injected stub ops.")
@click.argument("program")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def explain(mode, count, json_path, stub_ops, program, args):
    """Run PROGRAM and show, per guest syscall, the ptrace stops and requests behind it."""
    from .explain import explain as run_explain
    status = run_explain([program, *args], mode_name=mode, count=count, json_path=json_path,
                         env=launch_environment(), stub_ops=stub_ops)
    sys.exit(status if status >= 0 else 128 - status)


def _bench_only(ctx, param, value):
    """--only: a usage error (exit 2) naming the valid names for an unknown one."""
    from .bench import parse_only
    try:
        parse_only(value)
    except ValueError as e:
        raise click.BadParameter(str(e))
    return value


def _bench_plot(ctx, param, value):
    """--plot: a usage error before the run when matplotlib is missing."""
    if value:
        from .bench import plot_unavailable
        why = plot_unavailable()
        if why:
            raise click.BadParameter(why)
    return value


@main.command(epilog="""\b
--only names (comma-separated; workloads and mechanisms combine):
  workloads:  getpid write_null open_close pread4k mmap64k pipe_pingpong fork_exec
              python_pass busybox_sh sqlite ls_doc
  mechanisms: native skas tt floor strace proot uml runsc
  (native and skas always run: every ratio is taken against them)
\b
The C workloads are built on first use into $XDG_CACHE_HOME/umlskas (needs cc).""")
@click.option("--quick", is_flag=True,
              help="Short run: 3 rounds, short loops, TT and the slow peers on a few "
                   "workloads only (about 30 s on an idle 2-vCPU machine, the first one "
                   "included; longer on a busy one).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write every number to FILE.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), callback=_bench_plot,
              help="Draw a PNG bar chart (needs matplotlib).")
@click.option("--rounds", type=click.IntRange(1), help="Interleaved rounds (default 5, quick 3).")
@click.option("--only", metavar="NAMES", callback=_bench_only,
              help="Comma list of workload and/or mechanism names (listed below).")
@click.option("--no-pin", is_flag=True, help="Do not pin runs to one CPU with taskset.")
def bench(quick, json_path, plot_path, rounds, only, no_pin):
    """Benchmark umlskas against native and the peers on this machine."""
    from .bench import run_bench
    run_bench(quick=quick, json_path=json_path, plot_path=plot_path, rounds=rounds, only=only,
              pin=not no_pin)


if __name__ == "__main__":
    main()
