"""The Kernel: task table, the run loop, parking of blocked tasks, exits.

How the loop works: the mode reports one trap at a time (a syscall stop, a
host signal, a host process gone). A syscall trap is dispatched through the
table; the handler's int (or SyscallError, turned into -errno here and only
here) is written back and the guest resumes. A handler that has to wait
raises Block: the task stays stopped in its trap ("parked") while others run,
and the same handler runs again when a host fd it polls becomes ready, its
deadline passes, or a wait queue wakes it. While anything is parked on fds or
deadlines, the loop waits on those and on SIGCHLD (which the host sends for
every ptrace stop) instead of blocking in waitpid, so it never blocks on one
guest and never spins. Any other exception in a handler is a kernel bug: the
guest is killed and the run ends with KernelBug.
"""

import errno
import heapq
import itertools
import logging
import os
import resource
import select
import signal
import socket
import struct
import time
import traceback
import stat as statmod

from .address_space import AddressSpace
from . import namespaces, tty_jobctrl
from . import creds, hostsys, inherit
from .errors import Block, KernelBug, SyscallError, TaskGone, WaitQueue
from . import files as files_module
from .fdtable import FdTable, host_fd_budget
from .loader import MAX_ARG_STRLEN, Image, arg_limit, arg_room
from . import ptrace_guest, rlimits, signals
from .machine import (OpError, RegsRefused, TRAP_EXITED, TRAP_I386, TRAP_INTERRUPT, TRAP_SIGNAL,
                      TRAP_SYSCALL)
from .signals import NEVER_RESTART
from . import sysv_ipc
from .procfs import ProcFs
from .syscalls.names import I386_SYSCALL_NAMES
from .syscalls.table import BY_NAME, ENOSYS_REASONS, TABLE
from .syscalls.futex import exit_pi_state_list, futex_wake
from .syscalls.seccomp import check as seccomp_check
from .deterministic import REALTIME_CLOCKS, OneAtATime, SeededRandom, VirtualClock
from .task import FsContext, Process, Task, host_rlimits
from .devfs import DevFs
from .vfs import AT_EMPTY_PATH, HostPath, Vfs

log = logging.getLogger("umlskas")

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_PIDFD = 0x100, 0x200, 0x400, 0x800, 0x1000
CLONE_VFORK, CLONE_PARENT, CLONE_THREAD, CLONE_NEWNS = 0x4000, 0x8000, 0x10000, 0x20000
CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x80000, 0x100000, 0x200000
CLONE_CHILD_SETTID, CLONE_NEWUSER = 0x01000000, 0x10000000
CLONE_DETACHED, CLONE_NEWPID, CLONE_CLEAR_SIGHAND = 0x00400000, 0x20000000, 1 << 32
PID_MAX = 4194304                   # pid_max on a 64-bit host (PID_MAX_LIMIT)
CLONE_NAMESPACES = 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | \
    0x40000000 | 0x00000080 | CLONE_NEWNS
SA_NOCLDWAIT = 2
SIG_IGN = 1
WCLONE_ONLY, WALL_CHILDREN = 0x80000000, 0x40000000
KILL_GRACE = 5.0
# The longest single host wait of the loop (ms): poll() takes an int of ms, and a guest
# may wait for centuries; a longer wait is several of these in a row.
MAX_WAIT_MS = 3600 * 1000
ROBUST_LIST_LIMIT = 2048
FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x80000000, 0x40000000, 0x3FFFFFFF
SIGCHLD_ONLY = (signal.SIGCHLD,)
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                     signal.SIGTSTP, signal.SIGWINCH, signal.SIGCONT)
# What the host's line discipline raises on umlskas's host process group (Ctrl-C, Ctrl-\,
# Ctrl-Z, a resize): for the terminal's foreground group (tty_jobctrl), never fatal to us.
TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGWINCH)
# The host's copies of those (and of its job-control signals) that reach a guest's stub
# process, which shares umlskas's host process group: the kernel process got them too.
STUB_DROPS = TERMINAL_SIGNALS + (signal.SIGTTIN, signal.SIGTTOU)
# An interrupted syscall's result until delivery decides: restart or EINTR.
ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND = -512, -513, -514

# Host signals that mean the guest faulted; with no guest handler they kill it.
FATAL_BY_DEFAULT = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE,
                    signal.SIGTRAP, signal.SIGABRT, signal.SIGSYS, signal.SIGXCPU,
                    signal.SIGXFSZ, signal.SIGKILL, signal.SIGTERM, signal.SIGINT,
                    signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE, signal.SIGALRM,
                    signal.SIGUSR1, signal.SIGUSR2, signal.SIGPROF, signal.SIGVTALRM}


class HostClock:
    """Time as the host has it."""

    virtual = False
    realtime_offset = 0            # ns the guest's root moved CLOCK_REALTIME by (settimeofday)

    def now_ns(self, clk):
        try:
            ns = time.clock_gettime_ns(clk)
        except OSError as e:       # a clock this host lacks (the RTC alarm clocks, say)
            raise SyscallError(e.errno) from None
        if self.realtime_offset and clk in REALTIME_CLOCKS:
            ns += self.realtime_offset
        return ns


class Kernel:
    """One guest world: its tasks, and the loop that runs them on a Mode."""

    tracing = False             # a guest ever used ptrace (wait then looks at tracees)

    def __init__(self, mode, *, hostname=None, tracer=None, forward_host_signals=True,
                 deterministic=None, mounts=None, network=None):
        """deterministic: None, or a seed for a deterministic run (see deterministic.py).
        mounts: keyword arguments for the Vfs (specs, root, sandbox, layers_dir).
        network: AF_INET/AF_INET6 sockets are the host's (True) or refused with
        EAFNOSUPPORT (False); by default the host's, except in a deterministic run."""
        self.deterministic = deterministic is not None
        self.network = (not self.deterministic) if network is None else network
        if self.deterministic:
            mode = OneAtATime(mode)
            hostname = hostname or "umlskas"
        self.mode = mode
        self.tracer = tracer                      # callable(task, entry, args, result) or None
        self.procfs = ProcFs(self)
        self.devfs = DevFs(self)
        self.vfs = Vfs(self.procfs, self.devfs, **(mounts or {}))
        self.clock = VirtualClock() if self.deterministic else HostClock()
        self.rng = SeededRandom(deterministic) if self.deterministic else None
        self.hostname = hostname or socket.gethostname()
        self.domainname = "(none)" if self.deterministic else \
            _read_text("/proc/sys/kernel/domainname", "(none)")
        self.tasks = {}                           # vpid (tid) -> Task
        self.current = None                       # the task whose syscall is running
        self.futexes = {}
        self.futex_pi = {}                # PI futex key -> futex.PiState
        self.fifos = {}                           # (st_dev, st_ino) -> FifoState
        self.next_pid = 1
        self.init = None
        self.exit_status = None                   # of init: exit code, or -signal
        self.ready = []                           # woken tasks whose handler must run again
        self.fd_waits = {}                        # host fd -> [(task, events)]
        self.deadlines = []                       # heap of (monotonic, seq, task)
        self.timers = []                          # heap of (monotonic, seq, callback)
        self._seq = itertools.count()
        self._timer_keys = {}                     # add_timer key -> seq of its live entry
        self._stale_timers = set()                # seqs a later add_timer(key) replaced
        self._timer_seq_keys = {}                 # seq of a keyed live entry -> its key
        self.unsupported_logged = set()
        self.bug = None
        self.boot_ns = time.monotonic_ns()
        self.forward_host_signals = forward_host_signals
        self.forwarded = []                       # host signals on their way to the guest
        self.host_terminal = None                 # host.terminal.HostTerminal, or None
        self.forward_count = 0
        os.umask(0)   # the guest's umask is applied by the kernel, exactly once
        # Guests start with the limits umlskas was given; the kernel itself holds a host fd
        # for every file any guest has open, so its own fd limit goes up to the hard one.
        self.initial_rlimits = host_rlimits()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        for want in (int(_read_text("/proc/sys/fs/nr_open", "0")), hard):
            if want > soft:
                try:
                    resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
                    break
                except (ValueError, OSError):
                    continue
        # Part of those is the kernel's reserve, and a guest process gets at most half
        # of the rest (fdtable.host_fd_budget).
        ceiling, self.nr_open = host_fd_budget(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        files_module.HOST_FD_CEILING = ceiling
        nofile = self.initial_rlimits[resource.RLIMIT_NOFILE]
        nofile[:] = [min(nofile[0], self.nr_open), min(nofile[1], self.nr_open)]

    # ---- tasks -----------------------------------------------------------------

    def task_by_vpid(self, vpid):
        return self.tasks.get(vpid)

    def task_for_pid(self, task, pid):
        """The task a pid argument names (0 = the caller, numbered in its pid
        namespace); ESRCH if none."""
        if pid == 0:
            return task
        target = self.tasks.get(namespaces.pid_kid(task, pid)) if pid > 0 else None
        if target is None:
            raise SyscallError(errno.ESRCH)
        return target

    def threads_of(self, task):
        return [t for t in self.tasks.values() if t.tgid == task.tgid]

    def cpu_time_ns(self, task, clk):
        """CPU time of the guest: its host thread(s), from the host's schedstat (user
        time), and the kernel's time serving its syscalls (system time)."""
        if self.deterministic:
            return self.clock.elapsed
        return self.user_time_ns(task, clk) + (task.process.sys_ns if clk == 2 else task.sys_ns)

    def user_time_ns(self, task, clk):
        """The host's account of the guest's own thread(s) (CLOCK_PROCESS_CPUTIME_ID: 2)."""
        total = 0
        for t in (self.threads_of(task) if clk == 2 else [task]):
            try:
                with open(f"/proc/{t.proc.host_pid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return total

    def random_bytes(self, n):
        return self.rng.bytes(n) if self.rng is not None else os.urandom(n)

    def _alloc_pid(self):
        pid = self.next_pid
        self.next_pid += 1
        return pid

    def spawn_init(self, filename, argv, envp, cwd, *, fds=None, sh_fallback=False):
        """Create the first guest process: execve(filename, argv, envp) in cwd.
        Raises SyscallError if the program cannot be executed.
        fds: the host fds the guest gets at the same numbers (inherit.install); None
        for 0-2 only. sh_fallback: a file the loader refuses with ENOEXEC (no ELF magic,
        no #!) runs as `/bin/sh filename args...`, as glibc's execvp does."""
        proc = self.mode.spawn()
        tid = self._alloc_pid()
        task = Task(self, proc, tid, tid)
        proc.task = task
        task.fs = FsContext(cwd)
        task.files = FdTable(task.rlimits[7][0])
        task.mm = AddressSpace(proc, self.mode.guest_top)
        task.start_ticks = self.boot_ticks()
        task.process = self.new_process(tid, None)
        task.process.threads.append(task)
        self.tasks[tid] = task
        self.init = task
        inherit.install(self, task.files, inherit.STDIO if fds is None else fds)
        try:
            try:
                image = Image(self, task, filename, argv, envp)
            except SyscallError as e:
                if e.errno != errno.ENOEXEC or not sh_fallback:
                    raise
                try:
                    image = Image(self, task, b"/bin/sh", [b"/bin/sh", filename, *argv[1:]],
                                  envp)
                except SyscallError:
                    raise e from None
        except BaseException:
            self.tasks.pop(tid)
            proc.task = None
            proc.kill()
            raise
        self._start_image(task, image)
        if self.tracer is not None:
            self.tracer(task, BY_NAME["execve"], task.exec_args, 0, 0)
        self.mode.start(proc)
        return task

    def _start_image(self, task, image):
        entry, sp = image.commit(task, self.random_bytes(16))
        regs = task.proc.get_regs()
        for name in ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
                     "rax", "rcx", "rdx", "rsi", "rdi", "fs_base", "gs_base"):
            setattr(regs, name, 0)
        regs.rip = entry
        regs.rsp = sp
        regs.orig_rax = 0xFFFFFFFFFFFFFFFF
        regs.eflags = 0x202
        try:
            task.proc.set_regs(regs)
        except RegsRefused:
            raise SyscallError(errno.EFAULT) from None     # past exec's point of no return: SIGSEGV

    def execve(self, task, dirfd, filename, argv_ptr, envp_ptr, flags):
        """execve(2)/execveat(2) for a single-threaded process: the image is replaced in place."""
        mm = task.mm
        path = mm.read_cstr(filename)
        # As do_execveat_common: count the pointers, then copy the strings (envp, then
        # argv, each from its end) against the limit, so a guest never makes the
        # kernel hold more than the new stack could (E2BIG as Linux gives it).
        most = arg_limit(task) // 8
        argv_ptrs = mm.read_ptr_array(argv_ptr, most) if argv_ptr else []
        envp_ptrs = mm.read_ptr_array(envp_ptr, most) if envp_ptr else []
        room = arg_room(task, len(argv_ptrs), len(envp_ptrs)) - len(path) - 1
        if room < 0:
            raise SyscallError(errno.E2BIG)
        copied = []
        read = mm.cstr_reader(MAX_ARG_STRLEN, errno.E2BIG)
        for ptrs in (envp_ptrs, argv_ptrs):
            strings = []
            for p in reversed(ptrs):
                s = read(p)
                room -= len(s) + 1
                if room < 0:
                    raise SyscallError(errno.E2BIG)
                strings.append(s)
            strings.reverse()
            copied.append(strings)
        envp, argv = copied
        if not argv:
            # Linux 6.x: an empty argv gets "" as argv[0] (do_execveat_common), so
            # programs that start at argv[1] do not walk into envp.
            room -= 1
            if room < 0:
                raise SyscallError(errno.E2BIG)
            argv = [b""]
        if flags & ~0x1100:
            raise SyscallError(errno.EINVAL)
        if flags & AT_EMPTY_PATH and not path:
            # fexecve: the file the fd refers to.
            file = task.files.get(dirfd)
            if getattr(file, "mode", None) is None:
                raise SyscallError(errno.EACCES)
            path = os.fsencode(file.path)
        elif dirfd != -100 and not path.startswith(b"/"):
            # fs/exec.c's bprm filename for a name relative to a directory fd; the walk
            # then starts from that open directory itself (its /proc/self/fd link).
            task.files.get(dirfd)                   # EBADF first
            path = b"/dev/fd/%d/" % dirfd + path
        image = Image(self, task, path, argv, envp)
        task.mm.proc = task.proc
        # The point of no return: from here a failure kills the process.
        try:
            others = [t for t in task.process.threads if t is not task]
            # futex_exec_release (and the exit of the threads exec ends): robust and
            # PI futexes held go to their waiters with OWNER_DIED.
            for t in [task] + others:
                self._exit_robust_list(t)
                exit_pi_state_list(t)
            sysv_ipc.exec_mm(self, task.process, mm)
            if mm.users > 1 or others:
                # The address space is shared (a vfork child, or other threads, which
                # exec ends): unmapping it in place would pull it from under them.
                # The new image gets a fresh stub; the old host process goes.
                for other in others:
                    self._retire(other)
                if task.tid != task.tgid:
                    # The exec'ing thread becomes the leader, with the process's pid.
                    del self.tasks[task.tid]
                    task.tid = task.tgid
                    self.tasks[task.tid] = task
                old = task.proc
                task.proc = self.mode.spawn()
                task.proc.task = task
                rlimits.apply_cpu_limit(task)
                old.task = None
                old.kill()
                if mm.users > 1:
                    mm.users -= 1
                task.mm = AddressSpace(task.proc, self.mode.guest_top)
            else:
                mm.clear()
            task.files.close_on_exec()
            task.sighand = task.sighand.copy()
            task.sighand.actions = {s: a for s, a in task.sighand.actions.items() if a[0] == 1}
            task.restart.clear()
            task.clear_child_tid = 0
            task.robust_list = (0, 0)
            task.altstack = None
            task.exe_ident = getattr(image, "exe_ident", None)
            namespaces.on_exec(task)
            # SET_PERSONALITY for an x86-64 ELF: READ_IMPLIES_EXEC does not survive exec.
            task.personality = getattr(task, "personality", 0) & ~0x0400000
            task.process.execed = True
            creds.exec_creds(task, image)
            creds.exec_cpu_flags(task)
            self._start_image(task, image)
        except SyscallError as e:
            log.error("execve of %r failed after the point of no return: %s", path, e)
            self.kill_group(task, signal.SIGSEGV)
        self.release_vfork(task.process)
        raise TaskResumes()

    # ---- the process lifecycle: clone, exit, wait ------------------------------

    def new_process(self, tgid, parent):
        process = Process(tgid, parent)
        if parent is not None:
            parent.children.append(process)
            process.pgid, process.sid = parent.pgid, parent.sid
        return process

    def clone(self, task, flags, stack, ptid, ctid, tls, exit_signal, pidfd=0, set_tid=()):
        """clone(2)/fork(2)/vfork(2)/clone3(2): a real host clone of the stub
        (copy-on-write memory, or a shared address space for CLONE_VM), with
        every kernel object shared or copied as the flags say."""
        restart = task.restart
        if "vfork_child" in restart:
            child = restart["vfork_child"]
            if child.process.vfork_done is None:
                return namespaces.pid_nr(task, child.tid)
            raise Block(queue=child.process.vfork_done)
        # kernel_clone, then copy_process's checks, in their order.
        if flags & CLONE_PIDFD and flags & CLONE_PARENT_SETTID and pidfd == ptid:
            raise SyscallError(errno.EINVAL)      # both would write the same place
        if flags & CLONE_FS and flags & (CLONE_NEWNS | CLONE_NEWUSER) or \
                flags & CLONE_THREAD and not flags & CLONE_SIGHAND or \
                flags & CLONE_SIGHAND and not flags & CLONE_VM:
            raise SyscallError(errno.EINVAL)
        if flags & CLONE_PARENT and task.tgid == 1:
            # The guest's init is SIGNAL_UNKILLABLE: it may not make siblings, which
            # nobody would reap.
            raise SyscallError(errno.EINVAL)
        if flags & CLONE_THREAD and flags & (CLONE_NEWUSER | CLONE_NEWPID) or \
                flags & CLONE_PIDFD and flags & CLONE_DETACHED:
            raise SyscallError(errno.EINVAL)
        rlimits.check_nproc(self, task)
        prepared = namespaces.clone_check(task, flags)
        if flags & CLONE_SETTLS and tls >= task.mm.top:
            # copy_thread -> do_arch_prctl_64(ARCH_SET_FS): a base outside the user
            # address space is EPERM (as arch_prctl; the host would refuse it anyway).
            raise SyscallError(errno.EPERM)
        if set_tid:
            # alloc_pid: one level of pid namespace; a pid in range; then choosing it
            # needs CAP_CHECKPOINT_RESTORE over the namespace, which the guest lacks.
            if len(set_tid) > 1 or not 0 < set_tid[0] < PID_MAX:
                raise SyscallError(errno.EINVAL)
            raise SyscallError(errno.EPERM)
        if flags & CLONE_PIDFD and self._writable(task, pidfd, 4) < 4:
            raise SyscallError(errno.EFAULT)      # copy_process: put_user(pidfd) fails
        host_flags = CLONE_VM if flags & CLONE_VM else 0
        if flags & CLONE_THREAD:
            host_flags |= CLONE_THREAD | CLONE_SIGHAND | CLONE_VM
        else:
            host_flags |= signal.SIGCHLD
        try:
            child_proc = task.proc.clone(host_flags)
        except OpError as e:
            raise SyscallError(e.errno) from None
        regs = task.proc.get_regs()
        regs.rax = 0
        regs.orig_rax = 0xFFFFFFFFFFFFFFFF
        if stack:
            regs.rsp = stack
        if flags & CLONE_SETTLS:
            regs.fs_base = tls
        try:
            child_proc.set_regs(regs)
        except RegsRefused:
            # The host would not start the child with these registers: no child.
            child_proc.kill()
            raise SyscallError(errno.EPERM) from None

        tid = self._alloc_pid()
        thread = bool(flags & CLONE_THREAD)
        child = Task(self, child_proc, tid, task.tgid if thread else tid)
        child_proc.task = child
        child.start_ticks = self.boot_ticks()
        if thread:
            child.process = task.process
        else:
            parent = task.process.parent if flags & CLONE_PARENT else task.process
            child.process = self.new_process(tid, parent)
            child.process.pgid, child.process.sid = task.pgid, task.sid
            # The session keyring is part of the credentials fork copies.
            child.process.session_keyring = getattr(task.process, "session_keyring", None)
            # A sibling (CLONE_PARENT) tells the parent with the caller's own exit signal.
            child.process.exit_signal = (task.process.exit_signal if flags & CLONE_PARENT
                                         else exit_signal)
        child.process.threads.append(child)
        # users counts the processes (not threads) sharing an mm or fd table.
        if flags & CLONE_VM:
            child.mm = task.mm
            task.mm.users += 0 if thread else 1
        else:
            child.mm = task.mm.fork(child_proc)
        child.files = task.files if flags & CLONE_FILES else task.files.copy()
        if flags & CLONE_FILES and not thread:
            child.files.users += 1
        child.fs = task.fs if flags & CLONE_FS else task.fs.copy()
        child.sighand = task.sighand if flags & CLONE_SIGHAND else task.sighand.copy()
        if flags & CLONE_CLEAR_SIGHAND:
            # flush_signal_handlers(p, 0): handlers back to SIG_DFL, SIG_IGN kept,
            # flags, restorer and mask cleared.
            child.sighand.actions = {
                sig: (signals.SIG_IGN, 0, 0, 0) for sig, action in child.sighand.actions.items()
                if action[0] == signals.SIG_IGN}
        child.sigmask = task.sigmask
        child.nice, child.sched_policy, child.sched_priority = (
            task.nice, task.sched_policy, task.sched_priority)
        child.creds = task.creds.copy()
        child.seccomp = task.seccomp          # shared, immutable: a filter added later is its own
        child.personality = getattr(task, "personality", 0)
        child.cpus_allowed = getattr(task, "cpus_allowed", None)
        child.exe_ident = getattr(task, "exe_ident", None)
        namespaces.clone_into(task, child, flags, prepared)
        child.rlimits = task.rlimits if thread else [list(r) for r in task.rlimits]
        child.comm, child.exe, child.cmdline, child.environ, child.auxv = (
            task.comm, task.exe, task.cmdline, task.environ, task.auxv)
        child.altstack = getattr(task, "altstack", None) if not flags & CLONE_VM else None
        self.tasks[tid] = child
        if flags & CLONE_PIDFD:
            from .syscalls.splice import PidFd
            fd = task.files.install(PidFd(child.process, 0), cloexec=True)
            task.mm.write(pidfd, struct.pack("<i", fd))
        # Linux ignores a failed write of either tid (kernel_clone, schedule_tail).
        if flags & CLONE_PARENT_SETTID:
            self._put_tid(task.mm, ptid, namespaces.pid_nr(task, tid))
        if flags & CLONE_CHILD_SETTID:
            self._put_tid(child.mm, ctid, namespaces.pid_nr(child, tid))
        if flags & CLONE_CHILD_CLEARTID:
            child.clear_child_tid = ctid
        if task.ptrace is None or not ptrace_guest.on_clone(self, task, child, flags, exit_signal):
            self.mode.start(child_proc)
        if flags & CLONE_VFORK:
            child.process.vfork_done = WaitQueue()
            restart["vfork_child"] = child
            raise Block(queue=child.process.vfork_done)
        return namespaces.pid_nr(task, tid)

    @staticmethod
    def _put_tid(mm, addr, tid):
        try:
            mm.write(addr, struct.pack("<i", tid))
        except SyscallError:
            pass

    @staticmethod
    def _writable(task, addr, size):
        return task.mm.extent(addr, size, True) if addr else 0

    def release_vfork(self, process):
        """The vfork child exec'd or exited: its parent runs again."""
        queue = process.vfork_done
        if queue is not None:
            process.vfork_done = None
            queue.wake()

    def exit_thread(self, task, wstatus):
        """exit(2): the thread ends; the process with its last thread."""
        others = [t for t in task.process.threads if t is not task]
        if not others:
            self.exit_group(task, wstatus)
        if self.tracer is not None:
            self.trace_event(task, "exit", wstatus)
        self._clear_child_tid(task)
        self._retire(task)
        if task.ptrace is not None:
            ptrace_guest.thread_exit(self, task, wstatus)
        task.proc.exit_thread()
        raise TaskGone()

    def exit_group(self, task, wstatus):
        """exit_group(2): end every thread of task's process with wait status wstatus."""
        self.end_process(task.process, wstatus)
        raise TaskGone()

    def kill_group(self, task, sig):
        self.exit_group(task, sig & 0x7F)

    def _clear_child_tid(self, task):
        """What Linux's mm_release does for an exiting thread whose memory others
        may still see: release its robust futexes, clear and wake CLEARTID."""
        # futex_exit_release runs for every exiting thread: a robust or PI futex
        # in shared memory may have waiters in other processes.
        self._exit_robust_list(task)
        exit_pi_state_list(task)
        if task.mm.users <= 1 and len(task.process.threads) <= 1:
            return
        if task.clear_child_tid:
            try:
                task.mm.write(task.clear_child_tid, b"\0\0\0\0")
                futex_wake(task, task.clear_child_tid, 1)
            except SyscallError:
                pass

    def _exit_robust_list(self, task):
        """Mark the futexes a dying thread still holds FUTEX_OWNER_DIED (robust mutexes)."""
        head, _ = task.robust_list
        if not head:
            return
        mm = task.mm
        try:
            first, offset, pending = struct.unpack("<QqQ", mm.read(head, 24))
            # Bit 0 of each pointer says "a PI futex" (fetch_robust_entry); the
            # pending entry may be on the list too: handled once, at the end.
            entry = first
            for _ in range(ROBUST_LIST_LIMIT):
                if entry & ~1 == head:
                    break
                following, = struct.unpack("<Q", mm.read(entry & ~1, 8))
                if entry & ~1 != pending & ~1:
                    self._futex_death(task, (entry & ~1) + offset, entry & 1, False)
                entry = following
            if pending & ~1:
                self._futex_death(task, (pending & ~1) + offset, pending & 1, True)
        except SyscallError:
            pass

    @staticmethod
    def _futex_death(task, addr, pi, pending):
        """handle_futex_death: the word of a lock the thread holds gets OWNER_DIED
        (WAITERS kept) and, for a plain futex with waiters, one waiter is woken; PI
        futexes go to their waiter through exit_pi_state_list."""
        mm = task.mm
        if addr & 3:
            raise SyscallError(errno.EINVAL)
        word, = struct.unpack("<I", mm.read(addr, 4))
        if pending and not pi and not word:
            # Died between the unlock and the wake of its waiter.
            futex_wake(task, addr, 1)
            return
        if word & FUTEX_TID_MASK != task.tid:
            return
        mm.write(addr, struct.pack("<I", (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED))
        if word & FUTEX_WAITERS and not pi:
            futex_wake(task, addr, 1)

    def _retire(self, task):
        """Take a thread out of the running tables and stop its host thread."""
        self.tasks.pop(task.tid, None)
        self._unpark(task)
        task.restart.clear()            # a file a waiting call held goes with it
        if task in task.process.threads:
            task.process.threads.remove(task)
        task.proc.task = None
        mm = task.mm
        if mm is not None and mm.proc is task.proc:
            # The memory's host accesses went through this thread: move them to a live
            # thread of the same memory. A dead thread's host pid failed every access to
            # the others' memory (a kernel bug), and once reused would name a host process.
            alive = next((t for t in task.process.threads if t.mm is mm), None) or \
                next((t for t in self.tasks.values() if t.mm is mm), None)
            if alive is not None:
                mm.proc = alive.proc

    def end_process(self, process, wstatus):
        """Everything Linux's do_exit does for the last thread of a process."""
        threads = list(process.threads)
        if not threads or process.zombie:
            return
        if process is not self.init.process:
            self.devfs.jobs.process_exits(process)   # a session leader hangs up
        leader = threads[0]
        if wstatus & 0x7F and wstatus & 0x7F != 0x7F and self._dumps_core(leader, wstatus & 0x7F):
            wstatus |= 0x80         # WCOREDUMP: do_coredump would have written a core
        if self.tracer is not None:
            for t in threads:
                self.trace_event(t, "exit", wstatus)
        for t in threads:
            self._clear_child_tid(t)
        for t in threads:
            self._retire(t)
            t.proc.kill()
        for t in threads[1:]:
            if t.ptrace is not None:
                ptrace_guest.thread_exit(self, t, wstatus)
        files = leader.files
        files.users -= 1
        if files.users <= 0:
            files.close_all()
        leader.mm.users -= 1
        sysv_ipc.exit_process(self, process, leader.mm)
        self.release_vfork(process)
        init = self.init.process
        reaper = process.parent
        while reaper is not None and not reaper.subreaper:
            reaper = reaper.parent
        if reaper is None or reaper.zombie or not reaper.threads:
            reaper = init
        reaper = namespaces.reaper_of(self, process, reaper)
        for child in list(process.children):
            if child.zombie and reaper is process:
                continue
            child.parent = reaper
            reaper.children.append(child)
            if child.zombie:
                reaper.child_exit.wake()
            for t in child.threads:
                # PR_SET_PDEATHSIG: the parent (thread) is gone.
                if t.pdeathsig:
                    try:
                        self.send_signal(child, t.pdeathsig, info=signals.siginfo(t.pdeathsig))
                    except TaskGone:
                        pass
        process.children = []
        process.exit_status = wstatus
        process.exit_queue.wake()
        if self.tracing:
            ptrace_guest.tracer_gone(self, process)
        for other in namespaces.init_exited(self, process):
            self.end_process(other, signal.SIGKILL)     # the pid namespace's init is gone
        if process is init:
            self.exit_status = _status_to_code(wstatus)
            # init is gone: like a pid namespace, everything else goes with it.
            for other in list(self.processes()):
                self.end_process(other, signal.SIGKILL)
            return
        if leader.ptrace is not None and ptrace_guest.exit_to_tracer(self, process, leader, wstatus):
            return
        parent = process.parent
        action = self._sigchld_action(parent) if parent is not None else None
        exit_signal = process.exit_signal
        if action is not None and (action[0] == SIG_IGN or action[1] & SA_NOCLDWAIT) \
                and exit_signal == signal.SIGCHLD:
            # Auto-reaped: no zombie. A waiter must look again (it may now get ECHILD).
            if process in parent.children:
                parent.children.remove(process)
            parent.child_exit.wake()
            if action[0] != SIG_IGN:
                self._notify_parent(parent, process, leader, wstatus, exit_signal)
            return
        process.zombie = True
        parent.child_exit.wake()
        self._notify_parent(parent, process, leader, wstatus, exit_signal)
        self._check_all_stopped()

    def _dumps_core(self, leader, sig):
        """Whether Linux's do_coredump would dump for this death (the kernel itself
        writes no core file; the wait status's core bit is what programs see): a
        core-dumping signal, a dumpable process, and a core_pattern that is a pipe
        (any RLIMIT_CORE but 1) or a file name with RLIMIT_CORE of a page or more
        (binfmt_elf's min_coredump)."""
        if sig not in signals.DEFAULT_CORE:
            return False
        if not getattr(leader.process, "dumpable", True):    # PR_SET_DUMPABLE, setuid
            return False
        pattern = self.procfs._core_pattern()
        limit = leader.rlimits[4][0]               # RLIMIT_CORE
        if pattern.startswith("|"):
            return limit != 1
        return bool(pattern) and limit >= 4096

    def _notify_parent(self, parent, process, leader, wstatus, exit_signal):
        if not exit_signal:
            return
        if wstatus & 0x80 and wstatus & 0x7F:
            code, status = signals.CLD_DUMPED, wstatus & 0x7F
        elif wstatus & 0x7F:
            code, status = signals.CLD_KILLED, wstatus & 0x7F
        else:
            code, status = signals.CLD_EXITED, (wstatus >> 8) & 0xFF
        pid = namespaces.vnr(parent.pid_ns, process.tgid) if hasattr(parent, "pid_ns") \
            else process.tgid          # as the parent's pid namespace numbers it
        info = signals.siginfo(exit_signal, code, pid=pid, uid=leader.creds.uid,
                               status=status)
        try:
            self.send_signal(parent, exit_signal, info=info)
        except TaskGone:
            pass

    def _sigchld_action(self, process):
        for t in process.threads:
            return t.sighand.actions.get(signal.SIGCHLD)
        return None

    def zombie_by_pid(self, pid):
        for process in self.processes():
            for child in process.children:
                if child.zombie and child.tgid == pid:
                    return child
        return None

    def processes(self):
        seen = {}
        for t in self.tasks.values():
            seen[id(t.process)] = t.process
        return list(seen.values())

    def wait_child(self, task, pid, options, exited=True, stopped=False, continued=False):
        """The first child matching pid (wait4 rules) with something to report, as
        (child, what) with what in "exit", "stop", "cont"; None if only quiet ones
        match; ECHILD if none match at all."""
        process = task.process
        traced = False
        if self.tracing:
            found, traced = ptrace_guest.wait_traced(self, task, pid, options, exited)
            if found is not None:
                return found
        if pid > 0:
            match = [c for c in process.children if c.tgid == pid]
        elif pid == 0:
            match = [c for c in process.children if c.pgid == process.pgid]
        elif pid == -1:
            match = list(process.children)
        else:
            match = [c for c in process.children if c.pgid == -pid]
        if options & WCLONE_ONLY and not options & WALL_CHILDREN:
            match = [c for c in match if c.exit_signal != signal.SIGCHLD]
        if not match and not traced:
            raise SyscallError(errno.ECHILD)
        for child in match:
            if exited and child.zombie and getattr(child, "traced_by", None) is None:
                return child, "exit"
            if stopped and child.stop_report and not child.zombie:
                return child, "stop"
            if continued and child.cont_report and not child.zombie:
                return child, "cont"
        return None

    # ---- job control ---------------------------------------------------------------

    def stop_process(self, process, sig):
        """The default action of SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU: every thread stops
        at its next return to the guest, until SIGCONT."""
        if process.stopped or process.zombie:
            return
        process.stopped = True
        process.stop_epoch = getattr(process, "stop_epoch", 0) + 1
        process.stop_report = sig
        process.cont_report = False
        for t in process.threads:
            t.sigpending = True
            self.signal_wake(t)
        self._job_change(process, signals.CLD_STOPPED, sig)
        self._check_all_stopped()

    def _check_all_stopped(self):
        """The whole guest stopped (its last running process stopped or ended): so do we
        (see _stop_with_guest)."""
        if self.forward_host_signals and self.init is not None and \
                self.init.process.stopped and \
                all(p.stopped for p in self.processes() if not p.zombie):
            self.forwarded.append(0)

    def continue_process(self, process):
        if not process.stopped:
            return
        process.stopped = False
        process.stop_report = None
        process.cont_report = True
        process.cont_queue.wake()
        for t in process.threads:
            signals.recalc(t)
        if self.tracing:
            ptrace_guest.on_continue(self, process)
        self._job_change(process, signals.CLD_CONTINUED, signal.SIGCONT)

    def _job_change(self, process, code, sig):
        parent = process.parent
        if parent is None:
            return
        parent.child_exit.wake()
        action = self._sigchld_action(parent)
        if action is not None and action[1] & signals.SA_NOCLDSTOP:
            return
        leader = process.threads[0] if process.threads else None
        uid = leader.creds.uid if leader is not None else 0
        try:
            self.send_signal(parent, signal.SIGCHLD, info=signals.siginfo(
                signal.SIGCHLD, code, pid=process.tgid, uid=uid, status=sig))
        except TaskGone:
            pass

    def _park_stopped(self, task, result):
        """Hold a thread of a stopped process; continue_process lets it return."""
        task.blocked = (STOPPED, (result,))
        task.process.cont_queue.waiters.append(task)
        task.blocked_queues = (task.process.cont_queue,)

    def reap(self, task, child):
        if child in task.process.children:
            task.process.children.remove(child)
        child.zombie = False

    # ---- parking -------------------------------------------------------------------

    def _park(self, task, entry, args, block):
        task.blocked = (entry, args)
        if self.tracer is not None:
            self.trace_event(task, "blocked", (entry, args))
        for fd, events in block.fds:
            self.fd_waits.setdefault(fd, []).append((task, events))
        if block.deadline is not None:
            heapq.heappush(self.deadlines, (block.deadline, next(self._seq), task))
        queues = block.queue
        if queues is not None:
            queues = queues if isinstance(queues, tuple) else (queues,)
            for q in queues:
                q.waiters.append(task)
            task.blocked_queues = queues

    def _unpark(self, task):
        for fd, waiters in list(self.fd_waits.items()):
            waiters[:] = [w for w in waiters if w[0] is not task]
            if not waiters:
                del self.fd_waits[fd]
        for q in getattr(task, "blocked_queues", ()):
            if task in q.waiters:
                q.waiters.remove(task)
        task.blocked_queues = ()
        task.blocked_was = task.blocked
        task.blocked = None

    def wake(self, task):
        """Make a parked task run its syscall again."""
        if task.blocked is None or task.tid not in self.tasks or task in self.ready:
            return
        pending = task.blocked
        self._unpark(task)
        task.blocked = pending
        self.ready.append(task)

    def add_timer(self, when, callback, key=None):
        """Run callback() at monotonic time `when` (from the loop; cancel by flagging).
        A later add_timer with the same key replaces this one: a guest re-arming a timer
        in a loop must not leave an entry per call in the heap until its far deadline."""
        seq = next(self._seq)
        if key is not None:
            old = self._timer_keys.get(key)
            if old is not None:
                self._stale_timers.add(old)
                self._timer_seq_keys.pop(old, None)
            self._timer_keys[key] = seq
            self._timer_seq_keys[seq] = key
            if len(self._stale_timers) > 1024 and \
                    len(self._stale_timers) * 2 > len(self.timers):
                # In place: the run loop holds the list itself.
                self.timers[:] = [e for e in self.timers if e[1] not in self._stale_timers]
                heapq.heapify(self.timers)
                self._stale_timers.clear()
        heapq.heappush(self.timers, (when, seq, callback))

    def _poll_external(self):
        """Wait for a parked task's fd or deadline, a timer, or a host stop (SIGCHLD)."""
        now = time.monotonic()
        timeout = None
        while self.deadlines:
            deadline, _, task = self.deadlines[0]
            if task.blocked is None or task.tid not in self.tasks:
                heapq.heappop(self.deadlines)
                continue
            timeout = max(0.0, deadline - now)
            break
        if self.timers:
            first = max(0.0, self.timers[0][0] - now)
            timeout = first if timeout is None else min(timeout, first)
        poller = select.poll()
        poller.register(self._wakeup_r, select.POLLIN)
        poller.register(self._sigchld_fd, select.POLLIN)
        for fd, waiters in self.fd_waits.items():
            ev = 0
            for _, e in waiters:
                ev |= e
            poller.register(fd, ev)
        # A mode whose traps also arrive on descriptors (seccomp's listeners).
        mode_fds = self.mode.wait_fds() if hasattr(self.mode, "wait_fds") else ()
        for fd in mode_fds:
            poller.register(fd, select.POLLIN)
        if timeout is not None:
            timeout = min(int(timeout * 1000) + 1, MAX_WAIT_MS)
        events = poller.poll(timeout)
        for fd, ev in events:
            if fd in mode_fds:
                continue        # the mode's next wait() reads it
            if fd == self._wakeup_r or fd == self._sigchld_fd:
                try:
                    os.read(fd, 4096)
                except BlockingIOError:
                    pass
                continue
            for task, _ in list(self.fd_waits.get(fd, ())):
                self.wake(task)
        self._expire(time.monotonic())

    def _expire(self, now):
        """Wake the tasks whose deadline has passed and run the timers that are due."""
        while self.deadlines and self.deadlines[0][0] <= now:
            _, _, task = heapq.heappop(self.deadlines)
            self.wake(task)
        while self.timers and self.timers[0][0] <= now:
            _, seq, callback = heapq.heappop(self.timers)
            if seq in self._stale_timers:
                self._stale_timers.discard(seq)
                continue
            key = self._timer_seq_keys.pop(seq, None)
            if key is not None:
                del self._timer_keys[key]       # it fires: nothing left to replace
            self.current = None
            try:
                callback()
            except TaskGone:
                pass

    # ---- the run loop ----------------------------------------------------------------

    def _all_parked(self):
        """True when no guest thread runs: each one waits in the kernel."""
        for task in self.tasks.values():
            if task.blocked is None:
                return False
        return True

    def _kill_everything(self):
        log.warning("the guest did not end after a forwarded signal: killing it")
        for process in self.processes():
            self.end_process(process, signal.SIGKILL)

    def _host_terminal_signal(self, sig, frame):
        """A signal sent to umlskas itself: passed to the guest (see _forward_host_signals).
        The terminal's (Ctrl-C, Ctrl-Z...) and SIGCONT never end the run; a second
        SIGTERM or SIGHUP does."""
        self.forwarded.append(sig)
        if sig not in TERMINAL_SIGNALS and sig != signal.SIGCONT:
            self.forward_count += 1
            if self.forward_count > 1:
                raise KeyboardInterrupt
            # Backstop: if the loop itself does not come back (a kernel bug that spins),
            # SIGALRM ends the run anyway, and run() cleans up.
            signal.signal(signal.SIGALRM, _give_up)
            signal.alarm(int(KILL_GRACE) + 2)
        # Wake the loop: a running thread's interrupt stop ends a blocking waitpid
        # (one already stopped just re-traps later); the poll path has the wakeup fd.
        for task in list(self.tasks.values()):
            task.proc.interrupt()

    def _forward_host_signals(self):
        """Pass signals sent to umlskas to the guest. The terminal's (SIGINT, SIGQUIT,
        SIGTSTP, SIGWINCH) go to the foreground group of the guest's terminal, as n_tty's
        isig sends them; SIGCONT continues it; SIGTERM and SIGHUP go to init's process
        group, and a guest that has not ended KILL_GRACE seconds later is killed."""
        jobs = self.devfs.jobs
        while self.forwarded:
            sig = self.forwarded.pop(0)
            if sig == 0:
                self._stop_with_guest()
                continue
            if (sig in TERMINAL_SIGNALS or sig == signal.SIGCONT) and \
                    jobs.console.pgrp is not None:
                group = jobs.foreground()       # may be gone: then nobody gets it
            else:
                group = [p for p in self.processes() if p.pgid == self.init.pgid]
            if sig not in TERMINAL_SIGNALS and sig != signal.SIGCONT:
                self.add_timer(time.monotonic() + KILL_GRACE, self._kill_everything)
            if sig == signal.SIGCONT:
                group = [p for p in group if p.stopped]
            if sig == signal.SIGTSTP and group and jobs.orphaned(group[0].pgid):
                # A group of the guest that no shell of the guest controls (init's): the
                # host stopping umlskas's job is stopping it, unless umlskas's own group is
                # orphaned on the host, where Linux drops the stop.
                if not tty_jobctrl.in_host_job():
                    continue
                for process in group:
                    if signals.action_of(process.threads[0], sig)[0] == signals.SIG_DFL:
                        self.stop_process(process, sig)
                group = [p for p in group if not p.stopped]
            for process in group:
                self.send_signal(process, sig, info=signals.siginfo(sig, signals.SI_KERNEL))

    def _stop_with_guest(self):
        """Every guest process is stopped: umlskas stops too (its shell sees the job
        stopped), the user's terminal in the modes it had; `fg` continues the guest in
        its own modes."""
        alive = [p for p in self.processes() if not p.zombie]
        if not alive or not all(p.stopped for p in alive) or not tty_jobctrl.in_host_job():
            return
        sig = self.init.process.stop_report or signal.SIGTSTP
        if sig != signal.SIGSTOP:
            sig = signal.SIGTSTP if sig not in (signal.SIGTTIN, signal.SIGTTOU) else sig
        term = self.host_terminal
        if term is not None:
            term.suspend()
        old = signal.signal(sig, signal.SIG_DFL) if sig != signal.SIGSTOP else None
        try:
            os.kill(os.getpid(), sig)
        finally:
            if old is not None:
                signal.signal(sig, old)
        if term is not None:
            term.resume()
        for process in alive:
            if process.stopped and not process.zombie:
                self.send_signal(process, signal.SIGCONT,
                                 info=signals.siginfo(signal.SIGCONT, signals.SI_USER))

    def run(self):
        """Run until init's process is gone; returns its status (code, or -signal)."""
        self._wakeup_r, wakeup_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        # SIGCHLD (sent for every ptrace stop) stays at SIG_DFL, which discards it at
        # no cost; only while the loop polls is it blocked and read from a signalfd.
        old_handler = signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self._sigchld_fd = hostsys.signalfd([signal.SIGCHLD])
        old_wakeup = signal.set_wakeup_fd(wakeup_w, warn_on_full_buffer=False)
        old_terminal = {}
        if self.forward_host_signals:
            for sig in FORWARDED_SIGNALS:
                old_terminal[sig] = signal.signal(sig, self._host_terminal_signal)
        try:
            try:
                self._loop()
            except Exception:
                # Outside any handler (a host error in the loop): still our bug, still loud.
                self.bug = "kernel bug in the run loop:\n" + traceback.format_exc()
                for process in self.processes():
                    self.end_process(process, signal.SIGKILL)
        finally:
            signal.alarm(0)
            for sig, handler in old_terminal.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(old_wakeup)
            signal.signal(signal.SIGCHLD, old_handler)
            if self.host_terminal is not None:
                self.host_terminal.restore()     # however the guest ended
            os.close(self._wakeup_r)
            os.close(wakeup_w)
            os.close(self._sigchld_fd)
            self.mode.close()
            self.vfs.close()
        if self.bug is not None:
            raise KernelBug(self.bug)
        return self.exit_status

    def _loop(self):
        mode = self.mode
        reply_and_wait = getattr(mode, "reply_and_wait", None)
        table = TABLE
        ntable = len(table)
        tracer = self.tracer
        tasks = self.tasks
        # The same list and dict objects for the whole run: local names are faster.
        ready, forwarded, fd_waits = self.ready, self.forwarded, self.fd_waits
        deadlines, timers = self.deadlines, self.timers
        clock = time.perf_counter_ns
        trap = None
        while tasks:
            if trap is None:
                if forwarded:
                    self.current = None
                    self._forward_host_signals()
                    continue
                if ready:
                    task = ready.pop(0)
                    if task.blocked is None or task.tid not in tasks:
                        continue
                    entry, args = task.blocked
                    task.blocked = None
                    self._dispatch(task, entry, args)
                    continue
                if fd_waits or deadlines or timers or self._all_parked():
                    if (deadlines and deadlines[0][0] <= time.monotonic()) or \
                            (timers and timers[0][0] <= time.monotonic()):
                        # Something is due: expire it now, even while other tasks' traps
                        # keep coming (tasks that never wait, as lock takers looping on
                        # a lock they all share, would otherwise starve every sleeper).
                        self._expire(time.monotonic())
                        continue
                    # With every task parked no trap can come to end a blocking waitpid,
                    # so a host signal (SIGTERM to forward) must wake the poll instead.
                    signal.pthread_sigmask(signal.SIG_BLOCK, SIGCHLD_ONLY)
                    try:
                        trap = mode.wait(False)
                        if trap is None:
                            self._poll_external()
                            continue
                    finally:
                        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGCHLD_ONLY)
                else:
                    trap = mode.wait(True)
            proc, kind, nr, raw = trap
            trap = None
            task = proc.task
            if kind == TRAP_SYSCALL:
                if task is None:
                    continue
                task.mm.proc = proc     # address-space ops run in the stopped caller
                self.current = task
                if task.ptrace is not None:
                    ptrace_guest.syscall_trap(self, task, nr, raw)
                    continue
                if task.seccomp is not None and not seccomp_check(self, task, proc, nr, raw):
                    continue
                entry = table[nr] if nr < ntable else None
                if entry is None or entry.handler is None:
                    self._unsupported(task, nr, entry, raw)
                    continue
                if tracer is None:
                    # The hot path, inlined: decode, call, reply (and wait, in one step).
                    # The handler's time is the guest's system time (as a syscall's
                    # time in Linux's kernel is the caller's).
                    started = clock()
                    try:
                        if entry.plain:
                            result = entry.handler(task, *raw[:entry.nargs])
                        else:
                            result = entry.handler(task, *entry.decode(raw))
                    except SyscallError as e:
                        result = -e.errno
                    except Block as b:
                        self._blocked(task, entry, entry.decode(raw), b)
                        continue
                    except (TaskGone, TaskResumes) as e:
                        self._after_gone(task, e)
                        continue
                    except Exception:
                        self._kernel_bug(task, entry)
                        return
                    spent = clock() - started
                    task.sys_ns += spent
                    task.process.sys_ns += spent
                    if task.restart:
                        task.restart.clear()
                    if proc.task is None:
                        continue        # the call ended its own task (a signal to init, say)
                    if task.sigpending:
                        self.deliver_signals(task, result, entry)
                    elif reply_and_wait is not None and not (
                            ready or forwarded or fd_waits or deadlines or timers):
                        trap = reply_and_wait(proc, result)
                    else:
                        mode.resume(proc, result)
                else:
                    self._dispatch(task, entry, entry.decode(raw))
            elif kind == TRAP_INTERRUPT:
                self._interrupted(task, proc)
            elif kind == TRAP_I386:
                self._refuse_i386(task, nr)
            elif kind == TRAP_SIGNAL:
                self._host_signal(task, nr, raw)
            elif kind == TRAP_EXITED:
                self._host_exited(task, nr)
            if self.bug is not None:
                return

    def _dispatch(self, task, entry, args):
        """Run one handler and answer the guest (the general path: retries, tracing)."""
        task.mm.proc = task.proc
        self.current = task
        if entry is STOPPED:
            # Continued after a job-control stop: return what the syscall had.
            self.deliver_signals(task, args[0], None)
            return
        if getattr(entry, "ptrace_run", False):
            ptrace_guest.run_blocked(self, task, entry)
            return
        if self.tracer is not None:
            self.trace_event(task, "enter", (entry, args))
        start = time.perf_counter_ns()
        try:
            result = entry.handler(task, *args)
        except SyscallError as e:
            result = -e.errno
        except Block as b:
            self._blocked(task, entry, args, b)
            return
        except (TaskGone, TaskResumes) as e:
            if self.tracer is not None:
                if entry.name in ("execve", "execveat") and isinstance(e, TaskResumes):
                    # The old image is gone: show the call as strace does, from the
                    # strings now on the new stack, with its result 0.
                    self.tracer(task, BY_NAME["execve"], task.exec_args, 0,
                                time.perf_counter_ns() - start)
                else:
                    result = None
                    if entry.name == "rt_sigreturn" and isinstance(e, TaskResumes):
                        result = task.proc.get_regs().rax      # what the guest resumes with
                        result -= (result >> 63) << 64
                    self.tracer(task, entry, args, result, time.perf_counter_ns() - start)
            self._after_gone(task, e)
            return
        except Exception:
            self._kernel_bug(task, entry)
            return
        spent = time.perf_counter_ns() - start
        task.sys_ns += spent
        task.process.sys_ns += spent
        if task.restart:
            task.restart.clear()
        if self.tracer is not None:
            self.tracer(task, entry, args, result, spent)
        if task.proc.task is None:
            return
        if task.ptrace is not None and ptrace_guest.return_to_user(self, task, result, entry):
            return
        if task.sigpending:
            self.deliver_signals(task, result, entry)
        else:
            self.mode.resume(task.proc, result)

    def trace_event(self, task, kind, value):
        """A trace line that is no syscall (a signal taken, a task's end): to the tracer's
        event(task, kind, value) if it has one (trace.TextTracer)."""
        event = getattr(self.tracer, "event", None)
        if event is not None:
            event(task, kind, value)

    def _blocked(self, task, entry, args, block):
        """A handler must wait: park it, unless a signal ends the wait first."""
        if task.sigpending:
            restart = task.restart
            leftover = restart.get("fifo_fd")
            if leftover is not None:
                os.close(leftover)      # a FIFO open that a signal ends holds no host fd
            moved = restart.get("pipe_written") or restart.get("sock_sent") or \
                restart.get("inet_sent") or restart.get("mmsg_done")
            if moved:
                # Part of a blocking write went before the signal: that count is the
                # call's result (Linux never restarts it, nor sends those bytes again).
                on_partial = restart.get("on_partial")
                if on_partial is not None:
                    on_partial(moved)
                restart.clear()
                if self.tracer is not None:
                    self.tracer(task, entry, args, moved, 0)
                self.deliver_signals(task, moved, entry)
                return
            # A handler may ask for another code (futex LOCK_PI: ERESTARTNOINTR).
            code = restart.get("signal_restart") or \
                (ERESTARTNOHAND if entry.name in NEVER_RESTART else ERESTARTSYS)
            restart.clear()
            if self.tracer is not None:
                self.tracer(task, entry, args, code, 0)      # strace: "? ERESTARTSYS (...)"
            self.deliver_signals(task, code, entry)
            return
        self._park(task, entry, args, block)

    def _after_gone(self, task, exc):
        if isinstance(exc, TaskResumes) and task.tid in self.tasks:
            task.proc.task = task
            if task.ptrace is not None and ptrace_guest.after_resumes(self, task):
                return
            if task.sigpending:
                self.deliver_signals(task, None, None)
            else:
                self.mode.resume_plain(task.proc)

    # ---- signals -----------------------------------------------------------------------

    def send_signal(self, process, sig, current=None, info=None, thread=None):
        """Send sig to a process (or one thread of it); see signals.send."""
        if info is None:
            sender = current if current is not None else self.current
            info = signals.siginfo(sig, signals.SI_USER if thread is None else signals.SI_TKILL,
                                   pid=sender.tgid if sender is not None else 0,
                                   uid=sender.creds.uid if sender is not None else 0)
        signals.send(self, process, sig, info, thread, current)

    def signal_wake(self, task):
        """task has a signal to take: end its wait, or stop it if it runs."""
        if task.tid not in self.tasks:
            return
        if task.ptrace is not None and task.ptrace.stopped:
            return                  # a ptrace stop ends only by the tracer's hand
        if task.blocked is not None:
            self.wake(task)
        elif task is not self.current and task not in self.ready:
            task.proc.interrupt()

    def deliver_signals(self, task, result, entry):
        """Return to the guest through its pending signals: a handler frame, a default
        action, or (for an interrupted syscall no handler sees) a transparent restart."""
        if task.ptrace is not None and ptrace_guest.return_to_user(self, task, result, entry):
            return
        if task.process.stopped and task.ptrace is None:
            self._park_stopped(task, result)
            return
        proc = task.proc
        regs = proc.get_regs()
        restarting = result in (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND)
        # The call's number for a restart: orig_rax no longer holds it once the
        # handler ran an op in the stub (an injection resets it).
        nr = entry.nr if entry is not None and restarting else regs.orig_rax
        if result is not None and not restarting:
            regs.rax = result & 0xFFFFFFFFFFFFFFFF
        # sigsuspend and friends run with a temporary mask; the frame keeps the real one.
        old_mask = task.saved_sigmask if task.saved_sigmask is not None else task.sigmask
        task.saved_sigmask = None
        handled = False
        allowed = ~task.sigmask
        while True:
            taken = signals.dequeue(task, allowed)
            allowed = ~task.sigmask
            if taken is None:
                break
            sig, info = taken
            if self.tracer is not None and sig != signals.SIGKILL:
                self.trace_event(task, "signal", (sig, info))
            handler, flags = signals.action_of(task, sig)[:2]
            if handler == signals.SIG_IGN or (handler == signals.SIG_DFL and
                                              sig in signals.DEFAULT_IGNORE | signals.DEFAULT_STOP):
                continue
            if handler == signals.SIG_DFL:
                self.end_process(task.process, sig)
                return
            if restarting:
                if result == ERESTARTNOINTR or \
                        (result == ERESTARTSYS and flags & signals.SA_RESTART):
                    regs.rip -= 2
                    regs.rax = nr
                else:
                    regs.rax = (-errno.EINTR) & 0xFFFFFFFFFFFFFFFF
                restarting = False
            if not signals.setup_frame(task, sig, info, regs, old_mask):
                # signal_setup_done(failed): force_sigsegv(sig). The mask is left as
                # it was and the forced SIGSEGV is taken next, its frame built from the
                # same registers (an interrupted call's restart already applied).
                if self._force(task, signals.SIGSEGV, reset=sig == signals.SIGSEGV):
                    return
                allowed = signals.sigbit(signals.SIGSEGV)   # a kernel fault goes first
                continue
            handled = True
            break
        if restarting:
            # No handler ran: the interrupted call starts again, as if never stopped.
            regs.rip -= 2
            regs.rax = nr
        if not handled:
            task.sigmask = old_mask
        signals.recalc(task)
        regs.orig_rax = 0xFFFFFFFFFFFFFFFF
        try:
            proc.set_regs(regs)
        except RegsRefused:
            # Registers the CPU cannot return to: that guest dies as on a bad iret.
            self.end_process(task.process, signals.SIGSEGV)
            return
        self.mode.resume_plain(proc)

    def force_signal(self, task, sig):
        """Linux's force_sig for a fault the kernel found (a bad sigreturn frame): the
        guest's handler runs if it has one that is not blocked; otherwise the process
        dies of sig. Raises TaskGone when it dies."""
        if self._force(task, sig):
            raise TaskGone()

    def force_signal_info(self, task, sig, info):
        """force_sig_info with the caller's siginfo (seccomp's SIGSYS): True when the
        process died of it, False when it is queued for the guest's handler."""
        return self._force(task, sig, info=info)

    def _force(self, task, sig, reset=False, info=None):
        """force_sig_info_to_task: a blocked or ignored sig (or any, with reset: force_sigsegv
        of a failed SIGSEGV frame) gets SIG_DFL and is unblocked, which kills the
        process (True); otherwise sig is queued on the task for its handler (False)."""
        handler, flags, restorer, mask = signals.action_of(task, sig)
        bit = signals.sigbit(sig)
        if reset or handler in (signals.SIG_DFL, signals.SIG_IGN) or task.sigmask & bit:
            task.sighand.actions[sig] = (signals.SIG_DFL, flags, restorer, mask)
            task.sigmask &= ~bit
            self.end_process(task.process, sig)
            return True
        signals.queue(task.sigstate.pending, sig,
                      info if info is not None else signals.siginfo(sig, signals.SI_KERNEL))
        signals.recalc(task)
        return False

    def _interrupted(self, task, proc):
        if task is None or task.tid not in self.tasks:
            self.mode.resume_plain(proc)
            return
        if task.sigpending:
            self.deliver_signals(task, None, None)
        else:
            self.mode.resume_plain(proc)

    def _unsupported(self, task, nr, entry, raw):
        if nr >= 1 << 63:
            nr -= 1 << 64       # orig_rax is signed: syscall(-1) is -1
        name = entry.name if entry is not None else f"syscall_{nr}"
        if name not in self.unsupported_logged:
            self.unsupported_logged.add(name)
            reason = entry.support if entry is not None else "no such syscall"
            # Deliberate answers (rseq) are routine; anything else is worth a warning.
            level = logging.INFO if entry is not None and entry.name in ENOSYS_REASONS \
                else logging.WARNING
            log.log(level, "unsupported syscall %s (%d): %s; answering ENOSYS", name, nr, reason)
        if self.tracer is not None and entry is not None:
            self.tracer(task, entry, entry.decode(raw), -errno.ENOSYS, 0)
        self.mode.resume(task.proc, -errno.ENOSYS)

    def _refuse_i386(self, task, nr):
        name = I386_SYSCALL_NAMES.get(nr, f"syscall_{nr}")
        key = f"i386:{name}"
        if key not in self.unsupported_logged:
            self.unsupported_logged.add(key)
            log.warning("refused i386 syscall %s (%d) made with int $0x80; answering ENOSYS",
                        name, nr)
        self.mode.resume(task.proc, -errno.ENOSYS)

    def _host_signal(self, task, sig, info):
        """A host signal stopped a guest thread: a fault of its own (SIGSEGV...), or
        one sent from outside. Either becomes the guest's signal."""
        if task is None or task.tid not in self.tasks:
            return
        code, addr = info
        if self.forward_host_signals and (sig == signal.SIGCONT or (
                sig in STUB_DROPS and code == signals.SI_KERNEL)):
            # The host's job control of umlskas's own process group (the terminal's
            # Ctrl-C, a shell's `fg`): the kernel process got it too and decides.
            self.mode.resume_plain(task.proc)
            return
        if log.isEnabledFor(logging.DEBUG):
            regs = task.proc.get_regs()
            log.debug("guest %d got host signal %d (code %d, addr %#x) at rip %#x rsp %#x",
                      task.tid, sig, code, addr, regs.rip, regs.rsp)
        self.current = task
        if sig == signal.SIGXCPU and code == signals.SI_KERNEL:
            sig = rlimits.cpu_limit_signal(task)        # the host counted RLIMIT_CPU
            if not sig:
                self.mode.resume_plain(task.proc)
                return
        if sig in signals.SYNCHRONOUS and code > 0:
            # A fault: a blocked or ignored one cannot be taken, so it kills (force_sig).
            handler = signals.action_of(task, sig)[0]
            if task.ptrace is None and (handler in (signals.SIG_DFL, signals.SIG_IGN) or
                                        task.sigmask & signals.sigbit(sig)):
                if self.tracer is not None:
                    self.trace_event(task, "signal", (sig, signals.siginfo(sig, code, addr=addr)))
                self.end_process(task.process, sig)
                return
            signals.queue(task.sigstate.pending, sig, signals.siginfo(sig, code, addr=addr))
            signals.recalc(task)
            self.deliver_signals(task, None, None)
            return
        try:
            self.send_signal(task.process, sig, info=signals.siginfo(sig, code), current=task)
        except TaskGone:
            return
        if task.tid in self.tasks:
            if task.sigpending:
                self.deliver_signals(task, None, None)
            else:
                self.mode.resume_plain(task.proc)

    def _host_exited(self, task, code):
        if task is None or task.tid not in self.tasks:
            return
        # The host process went away without the kernel ending it.
        self.end_process(task.process, (code & 0xFF) << 8 if code >= 0 else (-code) & 0x7F)

    def _kernel_bug(self, task, entry):
        self.bug = (f"kernel bug in {entry.name} (guest pid {task.tid}):\n"
                    + traceback.format_exc())
        for process in self.processes():
            self.end_process(process, signal.SIGKILL)

    def boot_ticks(self):
        """Clock ticks (USER_HZ 100) since boot: a task's start time in /proc/PID/stat."""
        try:
            return self.clock.now_ns(7) // 10**7          # CLOCK_BOOTTIME
        except SyscallError:
            return 0

    def guest_dir(self, path):
        """The guest path of the directory the guest is to start in (links resolved in
        the guest's view); SyscallError if the view has no such directory."""
        node = self.vfs.walk(None, "/", path, True)
        if isinstance(node, HostPath):
            if not node.exists:
                raise SyscallError(errno.ENOENT)
            if not statmod.S_ISDIR((node.st or node.lstat()).st_mode):
                raise SyscallError(errno.ENOTDIR)
            return node.guest
        if getattr(node, "is_dir", False):
            return node.path
        raise SyscallError(errno.ENOTDIR)

    def find_program(self, name, path_env, cwd):
        """PROGRAM as a shell finds it, in the guest's view; None if nowhere."""
        if "/" in name:
            return name
        fallback = None
        for d in (path_env if path_env is not None else os.defpath).split(os.pathsep):
            candidate = (d or ".") + "/" + name
            try:
                node = self.vfs.walk(None, "/" if candidate[0] == "/" else cwd, candidate, True)
            except SyscallError:
                continue
            if not isinstance(node, HostPath) or not node.exists:
                continue
            try:
                st = node.st or node.lstat()
            except SyscallError:
                continue
            if statmod.S_ISREG(st.st_mode):
                if st.st_mode & 0o111:
                    return candidate
                fallback = fallback or candidate
        return fallback

    def shutdown(self):
        self.mode.close()
        self.vfs.close()


class _Stopped:
    """The pseudo syscall a thread of a stopped process is parked in."""
    name = "(stopped)"
    handler = None


STOPPED = _Stopped()


class TaskResumes(Exception):
    """Raised by a handler that set the task's registers itself (execve): no result to write."""


def _give_up(sig, frame):
    raise KeyboardInterrupt("the kernel did not stop after a forwarded signal")


def _status_to_code(wstatus):
    if wstatus & 0x7F:
        return -(wstatus & 0x7F)
    return (wstatus >> 8) & 0xFF


def _read_text(path, default):
    try:
        with open(path) as f:
            return f.read().strip() or default
    except OSError:
        return default
