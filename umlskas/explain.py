"""`umlskas explain`: run a program under a recording mode and print, per guest
syscall, the host events behind it (see umlskas/host/explain.py for the
recorder, docs/modes.md for what the output means)."""

import errno
import json
import os
import sys

from .host.explain import (ExplainingSeccompMode, ExplainingSkasMode, ExplainingTTMode, Recorder,
                           recording)


def _syscall_name(nr):
    from .kernel.syscalls.table import TABLE
    entry = TABLE[nr] if 0 <= nr < len(TABLE) else None
    return entry.name if entry is not None else f"syscall_{nr}"


class ExplainTracer:
    """The kernel's tracer hook: hands each answered call to the recorder,
    formatted by trace.format_call as `umlskas run --trace` prints it."""

    def __init__(self, rec):
        self.rec = rec

    def __call__(self, task, entry, args, result, duration_ns):
        from .trace import format_call
        pid = task.proc.host_pid if task.proc is not None else 0
        self.rec.traced(pid, entry.name, format_call(task, entry, args, result), result)


def explain(argv, *, mode_name="skas", count=20, json_path=None, env=None, cwd=None,
            stub_ops=False, out=None):
    """Run argv under a recording mode, print the explanation; returns the guest's status."""
    from .kernel.errors import SyscallError
    from .kernel.kernel_proc import Kernel
    from .trace import constant_names

    out = out or sys.stdout
    env = dict(os.environ) if env is None else env
    constant_names("")         # load the constant tables now, not inside the first syscall
    rec = Recorder(count, _syscall_name)
    with recording(rec):
        if mode_name == "seccomp":
            mode = ExplainingSeccompMode(rec)
        else:
            mode = ExplainingTTMode(rec) if mode_name == "tt" else ExplainingSkasMode(rec)
        kernel = Kernel(mode, tracer=ExplainTracer(rec))
        envp = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
        cwd = os.path.abspath(cwd or os.getcwd())
        try:
            filename = kernel.find_program(argv[0], env.get("PATH"), cwd)
            if filename is None:
                raise SyscallError(errno.ENOENT)
            kernel.spawn_init(os.fsencode(filename), [os.fsencode(a) for a in argv], envp, cwd)
        except SyscallError as e:
            kernel.shutdown()
            print(f"umlskas: '{argv[0]}': {os.strerror(e.errno)}", file=sys.stderr)
            return 127
        except BaseException:
            kernel.shutdown()
            raise
        try:
            status = kernel.run()
        finally:
            rec.finish()
    sys.stdout.flush()
    rec.render(out, verbose_stub=stub_ops)
    out.flush()
    if json_path:
        data = rec.to_json(argv)
        data["status"] = status
        if json_path == "-":
            json.dump(data, sys.stdout, indent=1)
            sys.stdout.write("\n")
        else:
            with open(json_path, "w") as f:
                json.dump(data, f, indent=1)
                f.write("\n")
    return status
