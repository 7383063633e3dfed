"""A guest task (thread): ids, credentials, fd table, fs context, memory and signal state."""

import os
import resource

from .creds import init_caps
from .errors import WaitQueue
from .fdtable import drop
from .signals import SignalState

NSIG = 64

RLIM_NLIMITS = 16
RLIM_INFINITY = 0xFFFFFFFFFFFFFFFF


def host_rlimits():
    """The limits a new guest starts with: the host's, as the kernel process has them."""
    limits = []
    for res in range(RLIM_NLIMITS):
        soft, hard = resource.getrlimit(res)
        limits.append([RLIM_INFINITY if soft < 0 else soft, RLIM_INFINITY if hard < 0 else hard])
    return limits


class Creds:
    """Credentials; umlskas runs guests as the user that runs it, with its capabilities
    (creds.py). Per-task flags that fork copies and exec keeps or resets as Linux does
    (no_new_privs, dumpable, timer slack, TSC and CPUID faulting) travel with them."""

    __slots__ = ("uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid", "groups",
                 "cap_inh", "cap_prm", "cap_eff", "cap_bnd", "cap_amb", "securebits",
                 "no_new_privs", "dumpable", "timer_slack", "default_slack", "notsc", "nocpuid")

    def __init__(self):
        self.uid = self.euid = self.suid = self.fsuid = os.getuid()
        self.gid = self.egid = self.sgid = self.fsgid = os.getgid()
        self.groups = list(os.getgroups())
        init_caps(self)
        self.no_new_privs = False
        self.dumpable = 1
        self.timer_slack = self.default_slack = 50000
        self.notsc = self.nocpuid = False

    def copy(self):
        new = Creds.__new__(Creds)
        for name in Creds.__slots__:
            value = getattr(self, name)
            setattr(new, name, list(value) if isinstance(value, list) else value)
        # copy_process: the child's default slack is the parent's current one.
        new.default_slack = self.timer_slack
        return new


class RestartState(dict):
    """A blocked syscall's progress between retries. A call that waits on a file holds
    its open file description here (Linux's fdget), so a close of the fd by another
    thread releases it only when the call ends."""

    def hold(self, file):
        if "held_file" not in self:
            file.refs += 1
            self["held_file"] = file

    def clear(self):
        held = self.get("held_file")
        super().clear()
        if held is not None:
            drop(held)


class FsContext:
    """cwd, root (chroot) and umask (shared by CLONE_FS threads); paths in the
    kernel's guest view."""

    __slots__ = ("cwd", "umask", "root", "cwd_dir")

    def __init__(self, cwd, umask=0o022, root="/", cwd_dir=None):
        self.cwd = cwd
        self.umask = umask
        self.root = root
        # The cwd's host directory (a vfs.HostDir: an O_PATH fd, so that depth is not
        # limited by a host path's length); None: found from the guest path.
        self.cwd_dir = cwd_dir

    def copy(self):
        return FsContext(self.cwd, self.umask, self.root, self.cwd_dir)


class SigHand:
    """Signal dispositions of a process: signo -> (handler, flags, restorer, mask)."""

    __slots__ = ("actions",)

    def __init__(self):
        self.actions = {}

    def copy(self):
        new = SigHand()
        new.actions = dict(self.actions)
        return new


class Process:
    """A thread group: what the threads of one process share, and its place in the
    process tree (parent, children, zombie state, process group and session)."""

    def __init__(self, tgid, parent):
        self.tgid = tgid
        self.parent = parent              # Process, or None for init
        self.children = []                # Processes, live and zombie
        self.threads = []                 # live Tasks
        self.pgid = tgid
        self.sid = tgid
        self.zombie = False
        self.exit_status = None           # wait status once it has exited
        self.child_exit = WaitQueue()     # wait4/waitid callers of this process
        self.vfork_done = None            # WaitQueue while a vfork parent waits on us
        self.subreaper = False
        self.execed = False               # has exec'd since fork (setpgid's EACCES)
        self.exit_signal = 17             # what the parent gets on our exit (clone's CSIGNAL)
        self.stopped = False              # job-control stop in force
        self.stop_report = None           # a stop signal not yet reported to wait(WUNTRACED)
        self.cont_report = False          # a continue not yet reported to wait(WCONTINUED)
        self.cont_queue = WaitQueue()     # threads held while stopped
        self.exit_queue = WaitQueue()     # pidfd pollers: woken when the process ends
        self.shared_pending = {}          # process-wide pending signals: signo -> [siginfo]
        self.itimers = {}                 # which -> (monotonic deadline, interval)
        self.posix_timers = {}            # timer id -> PosixTimer
        self.signalfd_queue = WaitQueue()  # signalfd readers: woken by any queued signal
        self.sys_ns = 0                   # system time: the kernel serving its threads

    @property
    def ppid(self):
        return self.parent.tgid if self.parent is not None else 0

    def __repr__(self):
        return f"<Process {self.tgid}{' zombie' if self.zombie else ''}>"


class Task:
    """One guest thread. Fields shared between threads point at shared objects."""

    def __init__(self, kernel, proc, tid, tgid):
        self.kernel = kernel
        self.proc = proc                  # the host thread (GuestProc)
        self.tid = tid
        self.tgid = tgid
        self.process = None               # the thread group (Process)
        self.mm = None
        self.files = None
        self.fs = None
        self.creds = Creds()
        self.sighand = SigHand()
        self.sigmask = 0
        self.sigstate = SignalState()
        self.sigpending = False           # a deliverable signal is pending (signals.recalc)
        self.saved_sigmask = None         # the real mask while sigsuspend's is in force
        self.altstack = None              # (ss_sp, ss_flags, ss_size) or None
        self.pdeathsig = 0                # PR_SET_PDEATHSIG
        self.seccomp = None               # syscalls.seccomp.SeccompState, or None
        self.nice = 0                     # recorded scheduling parameters
        self.sched_policy = 0
        self.sched_priority = 0
        self.rlimits = [list(r) for r in kernel.initial_rlimits]
        self.comm = b""
        self.exe = None
        self.cmdline = b""
        self.environ = b""
        self.auxv = b""                    # the auxiliary vector exec placed (/proc/PID/auxv)
        self.restart = RestartState()     # a blocked syscall's progress between retries
        self.blocked = None               # (entry, args) while parked
        self.ptrace = None                # ptrace_guest.Link while traced
        self.clear_child_tid = 0
        self.robust_list = (0, 0)
        self.start_ticks = 0
        self.exit_code = None
        self.sys_ns = 0                   # system time: the kernel serving this thread

    @property
    def ppid(self):
        return self.process.ppid

    @property
    def pgid(self):
        return self.process.pgid

    @property
    def sid(self):
        return self.process.sid

    def __repr__(self):
        return f"<Task {self.tid} {self.comm.decode(errors='replace')}>"

    def sig_ignored_mask(self):
        return sum(1 << (sig - 1) for sig, act in self.sighand.actions.items() if act[0] == 1)

    def sig_caught_mask(self):
        return sum(1 << (sig - 1) for sig, act in self.sighand.actions.items() if act[0] > 1)
