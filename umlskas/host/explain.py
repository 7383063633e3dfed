"""`umlskas explain`: record the host events behind each guest syscall.

What it records, per guest syscall: every ptrace stop the tracer sees (decoded:
syscall-entry stop, signal-delivery stop of SIGUSR2/SIGUSR1, the int3 at the TT
handler's entry, the handler's rt_sigreturn entry and exit...), every ptrace
request the mode makes (PTRACE_SYSEMU, PTRACE_CONT with a signal,
PTRACE_SYSCALL, GETREGS/SETREGS/POKEUSER with the registers they change,
GET_SYSCALL_INFO), the process_vm_readv/writev calls (the TT saved context,
the kernel's copies of guest memory), the trap handed to the kernel and the
kernel's answer, formatted by trace.format_call exactly as `run --trace` does.

How, at zero cost to the normal modes: nothing in mode_skas.py, mode_tt.py or
stub_channel.py changes. For the duration of one explain run, `recording()`
replaces the module globals `ptrace` and `os` of those three modules with thin
shims that log and forward (the `umlskas explain` process runs nothing else),
and ExplainingSkasMode / ExplainingTTMode subclass the modes to log what the
kernel asks of them (start, resume with a result, the trap returned by wait).
SKAS runs with its C fast path off (`fast=False`): `_fastpath.step` makes the
same three requests and one waitpid per syscall (POKEUSER rax, SYSEMU,
waitpid, GET_SYSCALL_INFO) in one C call, which Python cannot observe.

Grouping: a guest syscall's events start at its syscall-entry stop and run up
to the next guest syscall-entry stop of the same host thread (so in TT the
SIGUSR1 stop and the rt_sigreturn stops that finish syscall N belong to N).
Events made inside a stub-channel op (the kernel's injected mmap/munmap...,
`run_batch`/`inject`/`clone`/`launch`) are marked "stub" and counted apart.
"""

import collections
import contextlib
import os
import signal
import time

from . import mode_seccomp, mode_skas, mode_tt, ptrace, stub_channel
from .mode_seccomp import SeccompMode
from .mode_skas import SkasMode
from .mode_tt import SC_RAX, UC_MCONTEXT, TTMode
from ..kernel.machine import TRAP_EXITED, TRAP_I386, TRAP_INTERRUPT, TRAP_SIGNAL, TRAP_SYSCALL

_MASK64 = 0xFFFFFFFFFFFFFFFF
_SYSCALL_STOP = signal.SIGTRAP | 0x80
_OFFSET_REG = {off: name for name, off in ptrace.REG_OFFSET.items()}
_EVENTS = {ptrace.PTRACE_EVENT_FORK: "PTRACE_EVENT_FORK", ptrace.PTRACE_EVENT_VFORK: "PTRACE_EVENT_VFORK",
           ptrace.PTRACE_EVENT_CLONE: "PTRACE_EVENT_CLONE", ptrace.PTRACE_EVENT_EXEC: "PTRACE_EVENT_EXEC",
           ptrace.PTRACE_EVENT_EXIT: "PTRACE_EVENT_EXIT", ptrace.PTRACE_EVENT_STOP: "PTRACE_EVENT_STOP",
           ptrace.PTRACE_EVENT_SECCOMP: "PTRACE_EVENT_SECCOMP"}
_TRAPS = {TRAP_SYSCALL: "TRAP_SYSCALL", TRAP_I386: "TRAP_I386", TRAP_SIGNAL: "TRAP_SIGNAL",
          TRAP_EXITED: "TRAP_EXITED", TRAP_INTERRUPT: "TRAP_INTERRUPT"}

# Event kinds.
STOP = "stop"          # waitpid reported a ptrace stop (or an exit)
REQ = "ptrace"         # a ptrace request
MEM = "mem"            # process_vm_readv / process_vm_writev
EXIT = "exit"          # waitpid reported the end of a host thread
KERNEL = "kernel"      # what the Python kernel asked or was handed
NOTIF = "notif"        # seccomp mode: a user notification read or answered (no stop)

GUEST_ENTRY = "syscall-entry stop (SIGTRAP|0x80)"   # a guest syscall begins
NOTIF_ENTRY = "SECCOMP_IOCTL_NOTIF_RECV"             # ... in seccomp mode, without a stop
TRACE_ENTRY = "PTRACE_EVENT_SECCOMP stop (SECCOMP_RET_TRACE)"   # ... with one
_ENTRIES = (GUEST_ENTRY, NOTIF_ENTRY, TRACE_ENTRY)


def _signame(sig):
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def _syscall_name(nr):
    return f"syscall_{nr}"


def _signed(v):
    v &= _MASK64
    return v - (1 << 64) if v >= 1 << 63 else v


def _shown(v):
    s = _signed(v)
    return str(s) if -4096 < s < 4096 else hex(v & _MASK64)


class Group:
    """The host events of one guest syscall (or the start-up of a host thread)."""

    __slots__ = ("index", "pid", "t0", "events", "call", "name", "nr", "args", "result",
                 "stops", "requests", "notifs", "stub_stops", "stub_requests", "mem", "by_request",
                 "teardown")

    def __init__(self, index, pid, t0, keep):
        self.index = index
        self.pid = pid
        self.t0 = t0
        self.events = [] if keep else None
        self.call = None
        self.name = None
        self.nr = None
        self.args = None
        self.result = None
        self.stops = self.requests = self.stub_stops = self.stub_requests = self.mem = 0
        self.notifs = 0                # seccomp notifications received (2 switches each)
        self.by_request = collections.Counter()
        self.teardown = 0              # stops and requests after the host thread began dying

    def add(self, ev):
        t, kind, what, detail, stub = ev
        if self.teardown or kind == EXIT or what.startswith("PTRACE_EVENT_EXIT"):
            if kind in (STOP, REQ):
                self.teardown += 1
        elif kind == STOP:
            if stub:
                self.stub_stops += 1
            else:
                self.stops += 1
        elif kind == REQ:
            if stub:
                self.stub_requests += 1
            else:
                self.requests += 1
                self.by_request[what] += 1
        elif kind == MEM:
            self.mem += 1
        elif kind == NOTIF and what == NOTIF_ENTRY:
            self.notifs += 1
        if self.events is not None:
            self.events.append(ev)


class Recorder:
    """Collects events; groups them per guest syscall (see the module docstring)."""

    def __init__(self, count=20, syscall_name=None):
        self.count = count
        self.name = syscall_name or _syscall_name     # nr -> name, given by the caller
        self.mode = None
        self.t0 = time.perf_counter_ns()
        self.stub = []                 # stack of stub-channel op labels
        self.pending = {}              # host pid -> events since the last boundary
        self.current = {}              # host pid -> its current Group
        self.startup = []              # Groups of events before a thread's first syscall
        self.groups = []               # one per guest syscall, in order
        self.last_regs = {}            # host pid -> bytes of the last regs read or written
        self.ctxsw0 = self._ctx_switches()
        self.ctxsw = None
        self.wall_ns = None

    @staticmethod
    def _ctx_switches():
        return TTMode._ctx_switches()

    def finish(self):
        for pid in list(self.pending):
            self._flush(pid)
        if self.ctxsw is None:
            self.ctxsw = self._ctx_switches() - self.ctxsw0
            self.wall_ns = time.perf_counter_ns() - self.t0

    # ---- recording --------------------------------------------------------------

    def event(self, pid, kind, what, detail=""):
        ev = (time.perf_counter_ns() - self.t0, kind, what, detail, bool(self.stub))
        self.pending.setdefault(pid, []).append(ev)
        return ev

    def _flush(self, pid, upto=None):
        evs = self.pending.get(pid)
        if not evs:
            return
        head = evs if upto is None else evs[:upto]
        group = self.current.get(pid)
        if group is None:
            group = Group(None, pid, head[0][0], True)
            self.startup.append(group)
            self.current[pid] = group
        for ev in head:
            group.add(ev)
        self.pending[pid] = [] if upto is None else evs[upto:]

    def trap(self, trap):
        """The mode handed the kernel a trap: a TRAP_SYSCALL starts a new group at
        this thread's last guest syscall-entry stop."""
        proc, kind, a, b = trap
        pid = proc.host_pid
        if kind in (TRAP_SYSCALL, TRAP_I386):
            evs = self.pending.get(pid, [])
            start = 0
            for i in range(len(evs) - 1, -1, -1):
                ev = evs[i]
                if ev[1] in (STOP, NOTIF) and not ev[4] and ev[2] in _ENTRIES:
                    start = i
                    break
            self._flush(pid, start)
            evs = self.pending.get(pid) or []
            t0 = evs[0][0] if evs else time.perf_counter_ns() - self.t0
            group = Group(len(self.groups) + 1, pid, t0, len(self.groups) < self.count)
            group.nr = a
            group.name = self.name(a) if kind == TRAP_SYSCALL else f"i386 syscall {a}"
            group.args = tuple(b)
            self.groups.append(group)
            self.current[pid] = group
            args = ", ".join(hex(x) for x in b)
            self.event(pid, KERNEL, f"{_TRAPS[kind]} -> kernel",
                       f"nr={a} ({group.name}) args=({args})")
        elif kind == TRAP_EXITED:
            self.event(pid, KERNEL, "TRAP_EXITED -> kernel", f"status {a}")
            self._flush(pid)
        elif kind == TRAP_SIGNAL:
            self.event(pid, KERNEL, "TRAP_SIGNAL -> kernel", f"{_signame(a)} si_code={b[0]}")
        else:
            self.event(pid, KERNEL, f"{_TRAPS.get(kind, kind)} -> kernel")

    def traced(self, pid, name, line, result):
        """From the kernel's tracer hook: the call as `run --trace` prints it."""
        self.event(pid, KERNEL, "handled", line)
        group = self.current.get(pid)
        if group is not None and group.index is not None and group.call is None:
            group.call = line
            group.name = name
            group.result = result

    # ---- classification ---------------------------------------------------------

    def classify(self, pid, status):
        """Name the stop waitpid reported, from the status and the tracer's state."""
        if status & 0xFF != 0x7F:
            if os.WIFSIGNALED(status):
                return "exit", f"host thread killed by {_signame(os.WTERMSIG(status))}"
            return "exit", f"host thread exited, status {os.WEXITSTATUS(status)}"
        sig = (status >> 8) & 0xFF
        event = status >> 16
        proc = self.mode.procs.get(pid) if self.mode is not None else None
        state = getattr(proc, "state", None)
        tt = isinstance(self.mode, TTMode)
        if self.stub:
            if event:
                return f"{_EVENTS.get(event, event)} stop", f"during {self.stub[-1]}"
            if sig == signal.SIGTRAP:
                return "SIGTRAP stop (stub int3)", f"the stub's int3 after {self.stub[-1]}"
            return f"signal-delivery stop {_signame(sig)}", f"during {self.stub[-1]}: held back"
        if event:
            what = _EVENTS.get(event, f"event {event}")
            if event == ptrace.PTRACE_EVENT_STOP:
                return f"{what} stop", "group-stop / PTRACE_INTERRUPT"
            if event == ptrace.PTRACE_EVENT_EXIT:
                return f"{what} stop", "teardown: the host thread is dying (not part of the protocol)"
            if event == ptrace.PTRACE_EVENT_SECCOMP and isinstance(self.mode, SeccompMode) \
                    and self.mode._info.instruction_pointer & ~0xFFF != mode_skas.VSYSCALL_PAGE:
                return (TRACE_ENTRY, "the filter traced this call: served at a ptrace stop;"
                        " orig_rax = -1 makes the host skip it")
            if event == ptrace.PTRACE_EVENT_SECCOMP:
                return (f"{what} stop", "a call into the vsyscall page, routed by the stub's "
                        "seccomp filter; orig_rax = -1 makes the host skip it and emulate the ret")
            return f"{what} stop", ""
        if sig == _SYSCALL_STOP:
            if not tt:
                return (GUEST_ENTRY,
                        "PTRACE_SYSEMU: the host will skip the call")
            if state == mode_tt.SIGRETURN:
                return ("syscall-entry stop: rt_sigreturn (handler exit)",
                        "rip inside the stub: the handler's own rt_sigreturn, let through")
            if state == mode_tt.SIGRETURN_EXIT:
                return ("syscall-exit stop: rt_sigreturn (handler exit)",
                        "the guest's registers are back, result in rax; tracing = 1")
            if state == mode_tt.RUN_GUEST:
                return (GUEST_ENTRY,
                        "do_syscall: PTRACE_SYSCALL stopped the guest's syscall")
            return "syscall stop (SIGTRAP|0x80)", f"state {state}"
        if tt and state == mode_tt.SENT_USR2 and sig == signal.SIGUSR2:
            return ("signal-delivery stop SIGUSR2",
                    "the SIGUSR2 queued by PTRACE_CONT is about to be delivered")
        if tt and state == mode_tt.IN_HANDLER and sig == signal.SIGTRAP:
            return ("SIGTRAP stop: int3 at handler entry",
                    "stub_tt_usr2 runs on the TT sigaltstack; its int3 hands the frame to the kernel")
        if tt and state == mode_tt.RETURNING and sig == signal.SIGUSR1:
            return ("signal-delivery stop SIGUSR1",
                    "the handler's return path sent tgkill(SIGUSR1): OP_TRACE_ON")
        return f"signal-delivery stop {_signame(sig)}", ""

    # ---- output -----------------------------------------------------------------

    def summary(self):
        groups = self.groups
        n = len(groups)
        stops = sum(g.stops for g in groups)
        reqs = sum(g.requests for g in groups)
        by_req = collections.Counter()
        for g in groups:
            by_req.update(g.by_request)
        dist = collections.Counter(g.stops for g in groups)
        typical = dist.most_common(1)[0][0] if dist else 0
        notifs = sum(g.notifs for g in groups)
        ndist = collections.Counter(g.notifs for g in groups)
        ntypical = ndist.most_common(1)[0][0] if ndist else 0
        rdist = collections.Counter(g.requests for g in groups)
        rtypical = rdist.most_common(1)[0][0] if rdist else 0
        odd = [{"index": g.index, "name": g.name, "stops": g.stops} for g in groups
               if g.stops != typical][:10]
        return {
            "mode": self.mode.name if self.mode is not None else None,
            "guest_syscalls": n,
            "stops": stops,
            "stops_per_syscall": round(stops / n, 3) if n else 0.0,
            "typical_stops_per_syscall": typical,
            "stops_distribution": {str(k): v for k, v in sorted(dist.items())},
            "unusual": odd,
            "ptrace_requests": reqs,
            "ptrace_requests_per_syscall": round(reqs / n, 3) if n else 0.0,
            "typical_ptrace_requests_per_syscall": rtypical,
            "requests": {k: round(v / n, 3) if n else 0 for k, v in sorted(by_req.items())},
            "notifications": notifs,
            "notifications_per_syscall": round(notifs / n, 3) if n else 0.0,
            "implied_context_switches_per_syscall": 2 * (typical + ntypical),
            "stub_op_stops": sum(g.stub_stops for g in groups + self.startup),
            "stub_op_requests": sum(g.stub_requests for g in groups + self.startup),
            "memory_copies": sum(g.mem for g in groups + self.startup),
            "tracer_context_switches_measured": self.ctxsw,
            "wall_ms": round((self.wall_ns or 0) / 1e6, 3),
        }

    def to_json(self, argv):
        def ev_json(g):
            return [{"t_us": round((t - g.t0) / 1000, 1), "kind": k, "what": w,
                     "detail": d, "stub": s} for t, k, w, d, s in g.events or ()]
        out = []
        for g in self.groups[:self.count]:
            out.append({"index": g.index, "pid": g.pid, "call": g.call, "name": g.name,
                        "nr": g.nr, "args": [int(a) for a in g.args or ()],
                        "result": g.result if isinstance(g.result, int) else None,
                        "t_us": round(g.t0 / 1000, 1), "stops": g.stops,
                        "ptrace_requests": g.requests, "stub_stops": g.stub_stops,
                        "stub_requests": g.stub_requests, "events": ev_json(g)})
        return {"argv": list(argv), "summary": self.summary(), "syscalls": out}

    def render(self, out, verbose_stub=False):
        w = out.write
        mode = self.mode.name if self.mode is not None else "?"
        w(f"umlskas explain: mode {mode}; times in µs from each syscall's first host event\n")
        if mode == "seccomp":
            w("(the notification path is _fastpath.seccomp_step, in C: its SEND, poll/waitpid"
              " and RECV\n are shown as it reports them)\n")
        if mode == "skas":
            w("(SKAS is shown with its C fast path off: _fastpath.step makes the same POKEUSER,"
              " PTRACE_SYSEMU,\n waitpid and GET_SYSCALL_INFO per syscall, in one call)\n")
        for g in self.groups[:self.count]:
            w("\n")
            call = g.call or f"{g.name}(...) = ? (no answer: the task ended)"
            w(f"#{g.index} [host pid {g.pid}] {call}    @{g.t0 / 1e6:.3f} ms\n")
            for t, kind, what, detail, stub in g.events or ():
                if stub and not verbose_stub and kind != KERNEL:
                    continue
                tag = "stub " + kind if stub else kind
                line = f"  {(t - g.t0) / 1000:+9.1f}  {tag:<11} {what}"
                if detail:
                    line += f"  [{detail}]"
                w(line + "\n")
            extra = ""
            if g.stub_stops or g.stub_requests:
                extra = (f"; plus {g.stub_stops} stop(s), {g.stub_requests} request(s) in"
                         f" stub ops{'' if verbose_stub else ' (hidden; --stub-ops shows them)'}")
            if g.teardown:
                extra += f"; plus {g.teardown} stop(s)/request(s) of the host thread's teardown"
            w(f"  = {g.stops} ptrace stop(s), {g.requests} ptrace request(s){extra}\n")
        if len(self.groups) > self.count:
            w(f"\n... {len(self.groups) - self.count} more guest syscalls not shown (--count)\n")
        s = self.summary()
        w(f"\nSummary ({mode}, {s['guest_syscalls']} guest syscalls, {s['wall_ms']} ms with recording):\n")
        w(f"  ptrace stops:      {s['stops']}  = {s['stops_per_syscall']} per syscall"
          f" (typical {s['typical_stops_per_syscall']};"
          f" distribution {s['stops_distribution']})\n")
        w(f"  ptrace requests:   {s['ptrace_requests']}  = {s['ptrace_requests_per_syscall']}"
          f" per syscall (typical {s['typical_ptrace_requests_per_syscall']})\n")
        for name, per in s["requests"].items():
            w(f"      {name:<26} {per} per syscall\n")
        if mode == "seccomp":
            w(f"  seccomp notifications: {s['notifications']}  = {s['notifications_per_syscall']}"
              f" per syscall (each: guest -> kernel -> guest, no ptrace stop)\n")
        w(f"  context switches:  {s['implied_context_switches_per_syscall']} per syscall implied"
          f" (guest->tracer->guest per stop or notification); measured on the tracer's side alone:"
          f" {s['tracer_context_switches_measured']} in the run\n")
        if s["unusual"]:
            shown = ", ".join(f"#{u['index']} {u['name']}: {u['stops']}" for u in s["unusual"])
            w(f"  syscalls with another stop count: {shown}\n")
        w(f"  stub-channel ops (the kernel's injected host syscalls, start-up):"
          f" {s['stub_op_stops']} stops, {s['stub_op_requests']} requests;"
          f" {s['memory_copies']} process_vm_readv/writev\n")


# ---- the shims ------------------------------------------------------------------------


class _PtraceShim:
    """Stands in for the `ptrace` module inside the modes during a recording."""

    def __init__(self, rec):
        self._rec = rec

    def __getattr__(self, name):
        return getattr(ptrace, name)

    def _req(self, pid, what, detail=""):
        self._rec.event(pid, REQ, what, detail)

    def _resume(self, name, fn, pid, sig, note):
        detail = note
        if sig:
            detail = f"delivers/injects {_signame(sig)}" + (f"; {note}" if note else "")
        self._req(pid, f"{name}({_signame(sig) if sig else 0})", detail)
        fn(pid, sig)

    def sysemu(self, pid, sig=0):
        self._resume("PTRACE_SYSEMU", ptrace.sysemu, pid, sig, "run to the next syscall entry")

    def cont(self, pid, sig=0):
        rec = self._rec
        note = ""
        if isinstance(rec.mode, TTMode) and not rec.stub:
            proc = rec.mode.procs.get(pid)
            state = getattr(proc, "state", None)
            note = {mode_tt.SENT_USR2: "tracing = 0, sig = SIGUSR2",
                    mode_tt.IN_HANDLER: "let the handler run",
                    mode_tt.RETURNING: "back into the handler, tracing still 0"}.get(state, "")
        elif rec.stub:
            note = f"run {rec.stub[-1]}"
        self._resume("PTRACE_CONT", ptrace.cont, pid, sig, note)

    def syscall(self, pid, sig=0):
        rec = self._rec
        note = ""
        if isinstance(rec.mode, TTMode):
            proc = rec.mode.procs.get(pid)
            state = getattr(proc, "state", None)
            note = {mode_tt.SIGRETURN: "OP_TRACE_ON: tracing = 1, sig = 0 (SIGUSR1 suppressed)",
                    mode_tt.SIGRETURN_EXIT: "let rt_sigreturn run",
                    mode_tt.RUN_GUEST: "the guest runs on, traced"}.get(state, "")
        self._resume("PTRACE_SYSCALL", ptrace.syscall, pid, sig, note)

    def interrupt(self, pid):
        self._req(pid, "PTRACE_INTERRUPT")
        ptrace.interrupt(pid)

    def seize(self, pid, options=ptrace.STUB_OPTIONS):
        self._req(pid, "PTRACE_SEIZE", f"options {options:#x}")
        ptrace.seize(pid, options)

    def getregs(self, pid, regs=None):
        regs = ptrace.getregs(pid, regs)
        self._rec.last_regs[pid] = bytes(regs)
        self._req(pid, "PTRACE_GETREGS", f"rip={regs.rip:#x} rax={_shown(regs.rax)}"
                  f" orig_rax={_shown(regs.orig_rax)}")
        return regs

    def setregs(self, pid, regs):
        old = self._rec.last_regs.get(pid)
        changed = []
        if old is not None:
            before = ptrace.UserRegs.from_buffer_copy(old)
            for name in ptrace.REG_NAMES:
                if getattr(before, name) != getattr(regs, name):
                    changed.append(f"{name} <- {_shown(getattr(regs, name))}")
        self._rec.last_regs[pid] = bytes(regs)
        self._req(pid, "PTRACE_SETREGS", ", ".join(changed) if old is not None else "")
        ptrace.setregs(pid, regs)

    def getfpregs(self, pid):
        self._req(pid, "PTRACE_GETFPREGS")
        return ptrace.getfpregs(pid)

    def setfpregs(self, pid, data):
        self._req(pid, "PTRACE_SETFPREGS")
        ptrace.setfpregs(pid, data)

    def peekuser(self, pid, offset):
        value = ptrace.peekuser(pid, offset)
        self._req(pid, "PTRACE_PEEKUSER", f"{_OFFSET_REG.get(offset, offset)} = {_shown(value)}")
        return value

    def pokeuser(self, pid, offset, value):
        reg = _OFFSET_REG.get(offset, str(offset))
        note = ""
        if reg == "orig_rax" and _signed(value) == -1:
            note = " (nullify the host call)"
        elif reg == "rax" and not self._rec.stub:
            note = " (the syscall's result)"
        self._req(pid, "PTRACE_POKEUSER", f"{reg} <- {_shown(value)}{note}")
        old = self._rec.last_regs.get(pid)
        if old is not None and reg in ptrace.REG_OFFSET:
            regs = ptrace.UserRegs.from_buffer_copy(old)
            setattr(regs, reg, value & _MASK64)
            self._rec.last_regs[pid] = bytes(regs)
        ptrace.pokeuser(pid, offset, value)

    def get_syscall_info(self, pid, info):
        n = ptrace.get_syscall_info(pid, info)
        op = {0: "none", 1: "entry", 2: "exit", 3: "seccomp"}.get(info.op, info.op)
        if info.op == 1:
            args = ", ".join(hex(a) for a in info.args)
            detail = (f"{op}: nr={info.nr} ({self._rec.name(info.nr)}) args=({args})"
                      f" ip={info.instruction_pointer:#x}")
        else:
            detail = f"{op} ip={info.instruction_pointer:#x}"
        self._req(pid, "PTRACE_GET_SYSCALL_INFO", detail)
        return n

    def getsiginfo(self, pid):
        si = ptrace.getsiginfo(pid)
        self._req(pid, "PTRACE_GETSIGINFO", f"{_signame(si.si_signo)} si_code={si.si_code}")
        return si

    def geteventmsg(self, pid):
        msg = ptrace.geteventmsg(pid)
        self._req(pid, "PTRACE_GETEVENTMSG", str(msg))
        return msg

    def vm_read(self, pid, addr, size):
        data = ptrace.vm_read(pid, addr, size)
        self._rec.event(pid, MEM, "process_vm_readv", self._mem_note(pid, addr, size, "read"))
        return data

    def vm_write(self, pid, addr, data):
        n = ptrace.vm_write(pid, addr, data)
        note = self._mem_note(pid, addr, len(data), "write")
        if len(data) == 8 and "rax" in note:
            note += f" <- {_shown(int.from_bytes(bytes(data), 'little'))}"
        self._rec.event(pid, MEM, "process_vm_writev", note)
        return n

    def _mem_note(self, pid, addr, size, how):
        rec = self._rec
        proc = rec.mode.procs.get(pid) if rec.mode is not None else None
        uc = getattr(proc, "uc", 0)
        hregs = getattr(proc, "hregs", None)
        if hregs is not None and how == "read" and addr == hregs.rdx + UC_MCONTEXT:
            return (f"{size} bytes at {addr:#x}: the guest's saved registers from the"
                    f" handler's ucontext (rdx)")
        if uc and addr == uc + SC_RAX:
            return "saved context rax (SC_SET_SYSCALL_RETURN)"
        if uc and addr == uc + UC_MCONTEXT:
            return f"{size} bytes: the saved context's registers (the kernel changed them)"
        return f"{size} bytes at {addr:#x} (kernel {how}s guest memory)"


class _OsShim:
    """Stands in for `os` inside the modes: waitpid reports each stop."""

    def __init__(self, rec):
        self._rec = rec

    def __getattr__(self, name):
        return getattr(os, name)

    def waitpid(self, pid, options):
        got, status = os.waitpid(pid, options)
        if got:
            rec = self._rec
            what, detail = rec.classify(got, status)
            rec.event(got, EXIT if what == "exit" else STOP, what, detail)
        return got, status


@contextlib.contextmanager
def recording(rec):
    """Install the shims in the mode modules for the duration of one run."""
    mods = (mode_skas, mode_tt, mode_seccomp, stub_channel)
    saved = [(m, m.ptrace, m.os) for m in mods]
    pshim, oshim = _PtraceShim(rec), _OsShim(rec)
    try:
        for m in mods:
            m.ptrace = pshim
            m.os = oshim
        yield rec
    finally:
        for m, p, o in saved:
            m.ptrace = p
            m.os = o


# ---- the modes ------------------------------------------------------------------------


class _Explaining:
    """Mixin: log what the kernel asks of the mode, and label stub-channel ops."""

    def _explain_setup(self, rec):
        self.rec = rec
        rec.mode = self
        ch = self.channel
        for name in ("run_batch", "inject", "clone", "launch"):
            setattr(ch, name, self._labelled(name, getattr(ch, name)))

    def _labelled(self, name, fn):
        rec = self.rec

        def op(*args, **kw):
            label = name
            if name == "run_batch":
                ops = args[1]
                label = "run_batch(" + ", ".join(rec.name(o[0]) for o in ops[:4]) + \
                    (", ..." if len(ops) > 4 else "") + ")"
            elif name == "inject":
                label = f"inject({rec.name(args[1])})"
            pid = args[0] if args else 0
            rec.event(pid, KERNEL, f"stub op: {label}",
                      "host syscalls run inside the stub (saved regs, PTRACE_CONT, int3)")
            rec.stub.append(label)
            try:
                return fn(*args, **kw)
            finally:
                rec.stub.pop()
        return op

    def start(self, proc):
        self.rec.event(proc.host_pid, KERNEL, "start", "first resume after the image was loaded")
        super().start(proc)

    def resume(self, proc, result):
        self.rec.event(proc.host_pid, KERNEL, "resume", f"result {_shown(result)}")
        super().resume(proc, result)

    def resume_plain(self, proc):
        self.rec.event(proc.host_pid, KERNEL, "resume_plain", "rax untouched")
        super().resume_plain(proc)

    def wait(self, block=True):
        trap = super().wait(block)
        if trap is not None:
            self.rec.trap(trap)
        return trap


class ExplainingSkasMode(_Explaining, SkasMode):
    """SkasMode with the C fast path off (so every request is a visible Python call)."""

    def __init__(self, rec, pin_cpu=True):
        SkasMode.__init__(self, pin_cpu=pin_cpu, fast=False)
        self._fast = None
        self._explain_setup(rec)


class ExplainingTTMode(_Explaining, TTMode):
    def __init__(self, rec, pin_cpu=True):
        TTMode.__init__(self, pin_cpu=pin_cpu)
        self._explain_setup(rec)


class ExplainingSeccompMode(_Explaining, SeccompMode):
    """SeccompMode whose C step is wrapped to log the notifications it reads and answers
    and the ptrace stops it reports."""

    def __init__(self, rec, pin_cpu=True):
        SeccompMode.__init__(self, pin_cpu=pin_cpu)
        self._explain_setup(rec)
        self._step = self._logged_step(self._step)

    def _logged_step(self, step):
        rec = self.rec

        def proc_traced(proc):
            return proc.notif is None and proc.sysnr is not None

        def logged(procs, fds, sigfd, reply_fd, reply_id, result, reply_pid, lost, block,
                   unsure):
            if reply_fd == -2:
                rec.event(reply_pid, REQ, "PTRACE_POKEUSER", f"rax <- {_shown(result)}"
                          " (the syscall's result; in seccomp_step)")
                rec.event(reply_pid, REQ, "PTRACE_CONT(0)", "run on (in seccomp_step)")
            elif reply_fd >= 0:
                rec.event(reply_pid, NOTIF, "SECCOMP_IOCTL_NOTIF_SEND",
                          f"id {reply_id:#x}: {'error' if result < 0 else 'val'} = {result}"
                          " (the host returns it from the guest's syscall)")
            got = step(procs, fds, sigfd, reply_fd, reply_id, result, reply_pid, lost, block,
                       unsure)
            if reply_pid in lost:
                rec.event(reply_pid, NOTIF, "SEND: ENOENT", "a signal took the thread out of its "
                          "wait: the answer goes into its registers at its next stop")
            if got is not None and len(got) == 4 and proc_traced(got[0]):
                proc, _, nr, args = got
                pid = proc.host_pid
                rec.event(pid, STOP, TRACE_ENTRY, "the filter traced this call: served at a"
                          " ptrace stop")
                rec.event(pid, REQ, "PTRACE_GET_SYSCALL_INFO", f"seccomp: nr={nr} ({rec.name(nr)})"
                          " (in seccomp_step)")
                rec.event(pid, REQ, "PTRACE_POKEUSER", "orig_rax <- -1 (nullify the host call;"
                          " in seccomp_step)")
            elif got is not None and len(got) == 4:
                proc, _, nr, args = got
                shown = ", ".join(hex(a) for a in args)
                rec.event(proc.host_pid, NOTIF, NOTIF_ENTRY,
                          f"poll woke on listener fd {proc.notif[0]}; id {proc.notif[1]:#x}"
                          f" nr={nr} ({rec.name(nr)}) args=({shown})")
            elif got is not None and len(got) == 2:
                pid, status = got
                what, detail = rec.classify(pid, status) if status & 0xFF != 0x7F or \
                    status >> 16 != ptrace.PTRACE_EVENT_SECCOMP else (None, None)
                if what is None:
                    # Classified after _seccomp_stop reads the call (vsyscall or traced).
                    ptrace.get_syscall_info(pid, self._info)
                    what, detail = rec.classify(pid, status)
                rec.event(pid, EXIT if what == "exit" else STOP, what, detail)
            return got
        return logged
