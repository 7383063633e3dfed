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
  umlskas run -o trace.txt -q ls --help        # PROGRAM's options after PROGRAM
  umlskas run --env LANG=C --cwd /tmp -- python3 -c 'import os; print(os.getcwd())'
  umlskas run --mode tt --trace=%process -- busybox sh -c 'echo a | cat'
  umlskas run --deterministic --verify -- python3 -c 'import time; print(time.time())'
  umlskas run --sandbox -- sh -c 'echo changed > /etc/motd; cat /etc/motd'
  umlskas run --tmpfs /work --cwd /work -- sh -c 'git init && git status'
  umlskas run --root ./rootfs --ro-bind /usr:/usr -- /bin/sh
  umlskas explain --mode tt --count 3 -- busybox true
  umlskas explain --mode seccomp --count 3 -- busybox true
  umlskas bench --quick
  umlskas syscalls --implemented
"""

START_FAILED_STATUS = 125      # umlskas could not start the run (env's and Docker's 125)
KERNEL_FAULT_STATUS = 125      # a bug in umlskas stopped the run (its own message)
CANNOT_EXECUTE_STATUS = 126
NOT_FOUND_STATUS = 127
HOST_NAME_MAX = 64


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
                mounts=None, hostname=None, network=None, fds=None):
    """Run argv in a new kernel; returns the guest's status (code, or -signal).

    trace: True for the text trace on stderr, or a tracer callable (see trace.py).
    deterministic: None, or the seed of a deterministic run (Kernel's deterministic=).
    info: a dict to receive facts about the run (stops_per_syscall).
    fds: the host fds the guest inherits (kernel/inherit.py); None for 0-2."""
    from .kernel.errors import SyscallError
    from .kernel.kernel_proc import Kernel
    from .host.build import BuildError
    from .host.terminal import HostTerminal
    # Only what this run uses is imported (cold start): the other mode, the tracers.
    try:
        if mode_name == "auto":
            # seccomp where the host allows it, else SKAS (not yet the default: SKAS is).
            from .host.mode_seccomp import available
            mode_name = "seccomp" if available() is None else "skas"
        if mode_name == "seccomp":
            from .host.mode_seccomp import SeccompMode
            mode = SeccompMode()
        elif mode_name == "tt":
            from .host.mode_tt import TTMode
            mode = TTMode()
        else:
            from .host.mode_skas import SkasMode
            mode = SkasMode()
    except (BuildError, OSError) as e:        # no compiler for the stub, no ptrace...
        return _cannot_start(e)
    if info is not None:
        info["stops_per_syscall"] = getattr(mode, "stops_per_syscall", None)
    if trace is True:
        from .trace import TextTracer
        trace = TextTracer()
    tracer = trace or None
    try:
        kernel = Kernel(mode, tracer=tracer, deterministic=deterministic, mounts=mounts,
                        hostname=hostname, network=network)
    except (ValueError, OSError) as e:
        mode.close()
        click.echo(f"umlskas: {e}", err=True)
        return START_FAILED_STATUS
    kernel.host_terminal = HostTerminal.of_stdio()     # given back however the run ends
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
            return START_FAILED_STATUS
        filename = kernel.find_program(argv[0], env.get("PATH"), cwd)
        if filename is None:
            kernel.shutdown()
            click.echo(f"umlskas: '{argv[0]}': No such file or directory", err=True)
            return NOT_FOUND_STATUS
        envp = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
        kernel.spawn_init(os.fsencode(filename), [os.fsencode(a) for a in argv], envp, cwd,
                          fds=fds, sh_fallback=True)
    except SyscallError as e:
        kernel.shutdown()
        click.echo(f"umlskas: '{argv[0]}': {os.strerror(e.errno)}", err=True)
        return NOT_FOUND_STATUS if e.errno == errno.ENOENT else CANNOT_EXECUTE_STATUS
    except (BuildError, OSError) as e:        # the stub could not be started or traced
        kernel.shutdown()
        return _cannot_start(e)
    except BaseException:
        kernel.shutdown()
        raise
    return kernel.run()


def _cannot_start(error):
    """The host would not give umlskas what a run needs: 125, every line prefixed."""
    lines = str(error).rstrip("\n").split("\n")
    click.echo(f"umlskas: cannot start the guest: {lines[0]}", err=True)
    for line in lines[1:]:
        click.echo(f"umlskas: {line}", err=True)
    return START_FAILED_STATUS


class _PrefixFormatter(logging.Formatter):
    """Every line of every message of umlskas's own starts with `umlskas: `, so it can
    never pass for a line the guest wrote to the same stderr."""

    def format(self, record):
        return "\n".join("umlskas: " + line for line in super().format(record).split("\n"))


def _setup_logging(verbose, quiet, stream):
    """umlskas's own messages: warnings by default, -v information, -vv debugging; to
    `stream` (--log FILE, or stderr), nowhere on stderr with -q."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "umlskas_own", False):
            root.removeHandler(handler)
    if stream is None and quiet:
        handler = logging.NullHandler()
    else:
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(_PrefixFormatter("%(message)s"))
    handler.umlskas_own = True
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.captureWarnings(True)        # Python's own warnings are umlskas's messages too


def _report_bug(headline, text):
    """A bug of umlskas itself: the headline, its traceback, each line prefixed."""
    lines = text.rstrip("\n").split("\n")
    click.echo(f"umlskas: {headline}: {lines[0]}", err=True)
    for line in lines[1:]:
        click.echo(f"umlskas: {line}", err=True)
    click.echo(f"umlskas: this is a bug in umlskas, not in the program (exit status "
               f"{KERNEL_FAULT_STATUS}); please report it with the lines above", err=True)


def _bench_workload_names():
    """`umlskas bench --only` workload names (bench.py is imported only for --help)."""
    from .bench import WORKLOAD_NAMES
    return tuple(WORKLOAD_NAMES)


COMPLETION = """
\b
Shell completion (bash; zsh and fish likewise with zsh_source, fish_source):
  eval "$(_UMLSKAS_COMPLETE=bash_source umlskas)"    # in ~/.bashrc
"""


class _Main(click.Group):
    """The `umlskas` group: a usage error is one line `umlskas: ...` (exit 2), like every
    other message of umlskas's own, never click's multi-line usage block."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            status = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as e:
            hint = ""
            if isinstance(e, click.UsageError) and e.ctx is not None:
                hint = f" (see '{e.ctx.command_path} --help')"
            click.echo(f"umlskas: {e.format_message()}{hint}", err=True)
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("umlskas: aborted", err=True)
            sys.exit(1)
        sys.exit(status if isinstance(status, int) else 0)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXAMPLES + COMPLETION)
@click.version_option(__version__, prog_name="umlskas")
def main():
    """umlskas: a user-space Linux kernel in Python (User-mode Linux SKAS style).

    Every system call of the guest program stops in the kernel (PTRACE_SYSEMU)
    and is emulated in Python; the guest never makes a host system call."""


class _ProgramCommand(click.Command):
    """A command ending in PROGRAM [ARGS]: the first word that is not an option (or
    the word after `--`) is PROGRAM, and everything after it is PROGRAM's, as env,
    strace and bwrap read their command lines: `umlskas run ls --help` runs `ls --help`.
    An option before PROGRAM that umlskas does not know is a usage error. For `run`,
    `--trace=NAMES` (with '=') selects syscalls while bare `--trace` stays a flag."""

    FLAG_VALUES = {"--trace": "--trace-filter"}     # flag: the option its =VALUE goes to

    def _valued(self, ctx):
        """The option names that take a value (the next word, unless given with '=')."""
        names = set()
        for param in self.get_params(ctx):
            if isinstance(param, click.Option) and not param.is_flag and not param.count:
                names.update(param.opts)
        return names

    def parse_args(self, ctx, args):
        args = list(args)
        valued = self._valued(ctx)
        options = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                program = args[i + 1:]
                break
            if arg == "-" or not arg.startswith("-"):
                program = args[i:]
                break
            i += 1
            if arg.startswith("--"):
                name, eq, value = arg.partition("=")
                if eq and name in self.FLAG_VALUES and name not in valued:
                    options += [name, self.FLAG_VALUES[name], value]
                    continue
                options.append(arg)
                if name in valued and not eq and i < len(args):
                    options.append(args[i])
                    i += 1
                continue
            # A cluster of short options (-vv, -qo FILE, -oFILE): a valued one takes the
            # rest of the word, or the next word.
            options.append(arg)
            for j in range(1, len(arg)):
                if "-" + arg[j] in valued:
                    if j == len(arg) - 1 and i < len(args):
                        options.append(args[i])
                        i += 1
                    break
        else:
            program = []
        ctx.meta["umlskas.options"] = options
        return super().parse_args(ctx, options + ["--"] + program)

    def shell_complete(self, ctx, incomplete):
        """Past PROGRAM, a word is PROGRAM's: complete file names, not umlskas's options."""
        if ctx.params.get("program"):
            from click.shell_completion import CompletionItem
            return [CompletionItem(incomplete, type="file")]
        return super().shell_complete(ctx, incomplete)

    def format_epilog(self, ctx, formatter):
        super().format_epilog(ctx, formatter)
        if self.name == "run":
            formatter.write_paragraph()
            formatter.write_text("Benchmark workloads (umlskas bench --only NAMES):")
            with formatter.indentation():
                formatter.write_text(" ".join(_bench_workload_names()))


def _absolute_guest_paths(ctx, param, values):
    for value in values:
        if not value.startswith("/"):
            raise click.BadParameter(f"{value!r}: GUEST must be an absolute path")
    return values


def _mount_specs(ctx, param, values):
    """HOST[:GUEST...] with a HOST, and a GUEST (if any) that is an absolute path."""
    for value in values:
        fields = value.split(":")
        if not fields[0]:
            raise click.BadParameter(f"{value!r}: HOST is empty")
        if len(fields) > 1 and not fields[1].startswith("/"):
            raise click.BadParameter(f"{value!r}: GUEST must be an absolute path")
        if len(fields) > 2 and not fields[2]:
            raise click.BadParameter(f"{value!r}: UPPER is empty")
    return values


def _not_empty(ctx, param, value):
    if value is not None and value == "":
        raise click.BadParameter("must not be empty")
    return value


def _host_name(ctx, param, value):
    """A name uname can hold: 1 to 64 bytes (Linux's HOST_NAME_MAX)."""
    if value is not None and not 0 < len(os.fsencode(value)) <= HOST_NAME_MAX:
        raise click.BadParameter(f"{value!r}: a host name has 1 to {HOST_NAME_MAX} bytes")
    return value


def _env_pairs(ctx, param, values):
    for pair in values:
        key, sep, _ = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not K=V")
    return values


@main.command(cls=_ProgramCommand, epilog=EXAMPLES)
@click.option("--trace", is_flag=True,
              help="Print one strace-like line per guest syscall to stderr; --trace=NAMES "
                   "(comma list of syscall names and %file %process %signal %memory %desc "
                   "%network %ipc %creds %clock %stat, '!' to negate) traces only those.")
@click.option("--trace-filter", hidden=True, default=None)
@click.option("-o", "--output", "trace_path", metavar="FILE", default=None,
              callback=_not_empty,
              help="Write the --trace lines to FILE instead of stderr (as strace -o; "
                   "implies --trace).")
@click.option("--trace-json", "trace_json", metavar="FILE", default=None, callback=_not_empty,
              help="Write one JSON object per guest syscall to FILE ('-' for stderr).")
@click.option("--summary", is_flag=True,
              help="At exit, print a count/time/errors table per syscall to stderr (strace -c).")
@click.option("--verify", is_flag=True,
              help="Run twice, each over its own copy-on-write view of the files (as "
                   "--sandbox; a --bind becomes an --overlay), so both start from the same "
                   "state; report the first difference in stdout or the trace, exit 1 if any.")
@click.option("--deterministic", is_flag=True, help="Deterministic time, randomness and ids.")
@click.option("--seed", type=int, default=None,
              help="The seed of --deterministic (default 0).")
@click.option("--stats-json", hidden=True, default=None)
@click.option("--env", "env_pairs", multiple=True, metavar="K=V", callback=_env_pairs,
              help="Set a variable in the guest's environment.")
@click.option("--cwd", metavar="DIR", default=None, callback=_not_empty,
              help="The guest's working directory (a guest path; relative to umlskas's own "
                   "working directory). Default: umlskas's, or / with --root.")
@click.option("--mode", type=click.Choice(["skas", "tt", "seccomp", "auto"]), default="skas",
              show_default=True,
              help="How guest syscalls reach the kernel: skas (PTRACE_SYSEMU), tt (User-mode "
                   "Linux's tracing thread), seccomp (user notifications, no ptrace stop for "
                   "common calls; docs/modes.md), auto (seccomp where the host allows it, "
                   "else skas).")
@click.option("--root", "root_dir", metavar="DIR", default=None, callback=_not_empty,
              help="The host directory the guest sees as / (the kernel's /proc and /dev "
                   "are mounted on it).")
@click.option("--bind", "binds", multiple=True, metavar="HOST[:GUEST]", callback=_mount_specs,
              help="Mount the host path HOST at GUEST (default: the same path), read-write.")
@click.option("--ro-bind", "ro_binds", multiple=True, metavar="HOST[:GUEST]",
              callback=_mount_specs,
              help="Like --bind, read-only (writes fail with EROFS).")
@click.option("--tmpfs", "tmpfses", multiple=True, metavar="GUEST",
              callback=_absolute_guest_paths,
              help="Mount an empty in-memory filesystem at GUEST (an absolute path).")
@click.option("--overlay", "overlays", multiple=True, metavar="HOST[:GUEST[:UPPER]]",
              callback=_mount_specs,
              help="See HOST at GUEST through an overlay: writes go to an in-memory upper "
                   "layer (or the directory UPPER), HOST is never changed.")
@click.option("--sandbox", is_flag=True,
              help="The host's / read-only through an in-memory overlay, private /tmp and "
                   "/dev/shm: the guest sees its own changes, the host keeps none of them "
                   "(the working directory stays visible).")
@click.option("--writable-cwd", is_flag=True,
              help="With --sandbox: the current directory is bound read-write.")
@click.option("--hostname", default=None, callback=_host_name,
              help="The guest's host name (uname -n), 1 to 64 bytes.")
@click.option("--net", type=click.Choice(["host", "none"]), default=None,
              help="AF_INET/AF_INET6 sockets: the host's network, or none (EAFNOSUPPORT). "
                   "Default: host, none with --deterministic.")
@click.option("--close-fds", is_flag=True,
              help="The guest gets fds 0-2 only. By default it inherits, at the same "
                   "numbers, every fd umlskas was started with that is not close-on-exec, "
                   "as a host exec would (`5<file`, a make jobserver, LISTEN_FDS sockets).")
@click.option("--layers-dir", default=None, hidden=True,
              help="Keep tmpfs and overlay upper layers in this directory (for the API).")
@click.option("-v", "--verbose", count=True,
              help="More of umlskas's own messages: -v information, -vv debugging.")
@click.option("-q", "--quiet", is_flag=True,
              help="None of umlskas's own messages on stderr (the error that ends a run "
                   "still is).")
@click.option("--log", "log_path", metavar="FILE", default=None, callback=_not_empty,
              help="umlskas's own messages go to FILE instead of stderr.")
@click.argument("program")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def run(ctx, trace, trace_filter, trace_path, trace_json, summary, verify, deterministic, seed,
        stats_json, env_pairs, cwd, mode, root_dir, binds, ro_binds, tmpfses, overlays, sandbox,
        writable_cwd, hostname, net, close_fds, layers_dir, verbose, quiet, log_path, program,
        args):
    """Run PROGRAM with ARGS under the kernel; its exit status becomes ours.

    umlskas's options come before PROGRAM: the first word that is not an option
    (or the word after `--`) is PROGRAM, and every word after it is PROGRAM's own.

    The file tree options are applied in this order: --root or --sandbox for /, the
    kernel's /proc, /dev and /dev/shm, then every --bind, --ro-bind, --tmpfs and
    --overlay in the order given.

    Exit status: the guest's (a guest killed by signal N kills umlskas with N, so
    a shell sees 128+N); 125 when umlskas cannot start the run (or a bug in
    umlskas stops it); 126 PROGRAM cannot be executed; 127 PROGRAM is not found;
    2 usage error."""
    # First of all, before umlskas opens anything: the fds a host exec would pass on.
    from .kernel import inherit
    fds = inherit.host_fds_to_inherit()
    if close_fds:
        inherit.close_host_fds(fds)
        fds = [fd for fd in fds if fd in inherit.STDIO]
    if writable_cwd and not sandbox:
        raise click.UsageError("--writable-cwd needs --sandbox")
    if verbose and quiet:
        raise click.UsageError("-v and -q exclude each other")
    if seed is not None and not deterministic:
        raise click.UsageError("--seed needs --deterministic")
    names = None
    if trace_filter is not None:
        from .trace import parse_filter
        try:
            names = parse_filter(trace_filter)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--trace")
    trace = trace or trace_path is not None
    streams = _Streams()
    try:
        log_stream = streams.open(log_path, "--log") if log_path is not None else None
        _setup_logging(verbose, quiet, log_stream)
        env = launch_environment()
        if any(fd > 2 for fd in fds) and env.get("LISTEN_PID") == str(os.getpid()):
            # Socket activation (sd_listen_fds): the fds were passed to this process;
            # in the guest they are its init's, whose pid is 1.
            env["LISTEN_PID"] = "1"
        for pair in env_pairs:
            key, _, value = pair.partition("=")
            env[key] = value
        cwd = cwd or ("/" if root_dir else os.getcwd())
        mount_args = _mount_args(ctx.meta.get("umlskas.options", sys.argv), root_dir, binds,
                                 ro_binds, tmpfses, overlays, sandbox, writable_cwd, layers_dir,
                                 os.path.abspath(cwd))
        guest_view = bool(mount_args.get("specs") or root_dir or sandbox)
        if not guest_view and not os.path.isdir(cwd):
            _start_failed(f"--cwd {cwd}: No such directory")
        if verify:
            from .api import verify_cli
            sys.exit(verify_cli([program, *args], env=env, cwd=cwd, mode=mode,
                                deterministic=deterministic, seed=seed or 0, trace=trace_filter,
                                extra=_tree_options(ctx.meta.get("umlskas.options", sys.argv),
                                                    root_dir, binds, ro_binds, tmpfses,
                                                    overlays, sandbox, writable_cwd, hostname,
                                                    net),
                                messages=["-q"] * quiet + ["-v"] * verbose))
        status = _run_traced([program, *args], env=env, cwd=cwd, mode=mode,
                             seed=(seed or 0) if deterministic else None, mount_args=mount_args,
                             hostname=hostname, net=net, fds=fds, trace=trace, names=names,
                             trace_stream=streams.open(trace_path, "-o") if trace_path else None,
                             json_stream=(sys.stderr if trace_json == "-" else
                                          streams.open(trace_json, "--trace-json"))
                             if trace_json is not None else None,
                             summary=summary, stats_json=stats_json)
    finally:
        streams.close()
    sys.stdout.flush()
    if status < 0:
        reraise_signal(-status)
    sys.exit(status)


class _Streams:
    """The files umlskas writes for the user (-o, --trace-json, --log): opened before
    the run, so a path that cannot be written ends it with 125 before the guest starts."""

    def __init__(self):
        self.files = []

    def open(self, path, option):
        try:
            f = open(path, "w", encoding="utf-8")
        except OSError as e:
            _start_failed(f"{option} {path}: {e.strerror}")
        self.files.append(f)
        return f

    def close(self):
        for f in self.files:
            try:
                f.close()
            except OSError:
                pass


def _start_failed(message):
    click.echo(f"umlskas: {message}", err=True)
    sys.exit(START_FAILED_STATUS)


def _run_traced(argv, *, env, cwd, mode, seed, mount_args, hostname, net, fds, trace, names,
                trace_stream, json_stream, summary, stats_json):
    """run_program with the tracers the options ask for; the guest's status."""
    import time
    from .kernel.errors import KernelBug
    summarizer = tracer = None
    if trace or json_stream is not None or summary:
        from .trace import JsonTracer, SummaryTracer, TextTracer, Tracers
        summarizer = SummaryTracer() if summary else None
        # -o FILE: strace -f -o's pid column on every line
        text = TextTracer(trace_stream, pid_column=trace_stream is not None) if trace else None
        tracer = Tracers([text,
                          JsonTracer(json_stream) if json_stream is not None else None,
                          summarizer], names)
    info = {}
    wall0 = time.perf_counter()
    status = None
    try:
        status = run_program(argv, env=env, cwd=cwd, trace=tracer, mode_name=mode,
                             deterministic=seed, info=info, mounts=mount_args,
                             hostname=hostname, network=None if net is None else net == "host",
                             fds=fds)
    except KernelBug as e:
        _report_bug("the kernel stopped the guest", str(e))
        status = KERNEL_FAULT_STATUS
    except KeyboardInterrupt:
        status = 128 + signal.SIGINT
    except Exception as e:
        import traceback
        _report_bug("internal error", f"{type(e).__name__}: {e}\n" + traceback.format_exc())
        status = KERNEL_FAULT_STATUS
    finally:
        if summarizer is not None:
            summarizer.report(sys.stderr)
        if stats_json is not None:
            _write_run_stats(stats_json, mode, info, time.perf_counter() - wall0, status)
    return status


SANDBOX_PRIVATE = ("/tmp/", "/dev/shm/")     # what --sandbox replaces with a tmpfs


def _split_spec(spec, parts):
    """HOST[:GUEST[:...]] into `parts` fields (missing ones None)."""
    fields = spec.split(":", parts - 1)
    return fields + [None] * (parts - len(fields))


def _mount_args(options, root_dir, binds, ro_binds, tmpfses, overlays, sandbox, writable_cwd,
                layers_dir, cwd):
    """The Vfs arguments of the tree options, mounts in the order of `options` (umlskas's
    own words of the command line)."""
    by_option = {"--bind": [("bind", b) for b in binds],
                 "--ro-bind": [("ro-bind", b) for b in ro_binds],
                 "--tmpfs": [("tmpfs", t) for t in tmpfses],
                 "--overlay": [("overlay", o) for o in overlays]}
    order = []
    for arg in options:
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


@main.command(cls=_ProgramCommand)
@click.option("--mode", type=click.Choice(["skas", "tt", "seccomp", "auto"]), default="skas",
              show_default=True,
              help="How guest syscalls reach the kernel: skas (PTRACE_SYSEMU), tt (User-mode "
                   "Linux's tracing thread), seccomp (user notifications, no ptrace stop for "
                   "common calls; docs/modes.md), auto (seccomp where the host allows it, "
                   "else skas).")
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
  mechanisms: native skas tt seccomp floor nfloor strace proot uml runsc
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
