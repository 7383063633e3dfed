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
import fcntl
import heapq
import itertools
import logging
import os
import select
import signal
import socket
import time
import traceback

from .address_space import AddressSpace
from .errors import Block, KernelBug, SyscallError
from .fdtable import FdTable
from .files import O_ACCMODE, O_APPEND, O_NONBLOCK, HostFile
from .loader import Image
from .machine import TRAP_EXITED, TRAP_I386, TRAP_SIGNAL, TRAP_SYSCALL
from .procfs import ProcFs
from .syscalls.names import I386_SYSCALL_NAMES
from .syscalls.table import ENOSYS_REASONS, TABLE
from .task import FsContext, Task
from .vfs import Vfs

log = logging.getLogger("umlskas")

# Host signals that mean the guest faulted; with no guest handler they kill it.
FATAL_BY_DEFAULT = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE,
                    signal.SIGTRAP, signal.SIGABRT, signal.SIGSYS, signal.SIGXCPU,
                    signal.SIGXFSZ, signal.SIGKILL, signal.SIGTERM, signal.SIGINT,
                    signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE, signal.SIGALRM,
                    signal.SIGUSR1, signal.SIGUSR2, signal.SIGPROF, signal.SIGVTALRM}


class TaskGone(Exception):
    """Raised through a handler when its task no longer exists (exit, exit_group)."""


class HostClock:
    """Time as the host has it."""

    def now_ns(self, clk):
        return time.clock_gettime_ns(clk)


class Kernel:
    """One guest world: its tasks, and the loop that runs them on a Mode."""

    def __init__(self, mode, *, hostname=None, tracer=None):
        self.mode = mode
        self.tracer = tracer                      # callable(task, entry, args, result) or None
        self.procfs = ProcFs(self)
        self.vfs = Vfs(self.procfs)
        self.clock = HostClock()
        self.hostname = hostname or socket.gethostname()
        self.domainname = _read_text("/proc/sys/kernel/domainname", "(none)")
        self.tasks = {}                           # vpid (tid) -> Task
        self.futexes = {}
        self.next_pid = 1
        self.init = None
        self.exit_status = None                   # of init: exit code, or -signal
        self.ready = []                           # woken tasks whose handler must run again
        self.fd_waits = {}                        # host fd -> [(task, events)]
        self.deadlines = []                       # heap of (monotonic, seq, task)
        self._seq = itertools.count()
        self.unsupported_logged = set()
        self.bug = None
        self.boot_ns = time.monotonic_ns()
        os.umask(0)   # the guest's umask is applied by the kernel, exactly once

    # ---- tasks -----------------------------------------------------------------

    def task_by_vpid(self, vpid):
        return self.tasks.get(vpid)

    def task_for_pid(self, task, pid):
        """The task a pid argument names (0 = the caller); ESRCH if none."""
        if pid == 0:
            return task
        target = self.tasks.get(pid) if pid > 0 else None
        if target is None:
            raise SyscallError(errno.ESRCH)
        return target

    def threads_of(self, task):
        return [t for t in self.tasks.values() if t.tgid == task.tgid]

    def cpu_time_ns(self, task, clk):
        """CPU time of the guest's host thread(s), from the host's schedstat."""
        total = 0
        for t in (self.threads_of(task) if clk == 2 else [task]):
            try:
                with open(f"/proc/{t.proc.host_pid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return total

    def random_bytes(self, n):
        return os.urandom(n)

    def _alloc_pid(self):
        pid = self.next_pid
        self.next_pid += 1
        return pid

    def spawn_init(self, filename, argv, envp, cwd):
        """Create the first guest process: execve(filename, argv, envp) in cwd.
        Raises SyscallError if the program cannot be executed."""
        proc = self.mode.spawn()
        tid = self._alloc_pid()
        task = Task(self, proc, tid, tid)
        proc.task = task
        task.fs = FsContext(cwd)
        task.files = FdTable(task.rlimits[7][0])
        task.mm = AddressSpace(proc, self.mode.guest_top)
        task.start_ticks = 0
        self.tasks[tid] = task
        self.init = task
        self._install_stdio(task)
        try:
            image = Image(self, task, filename, argv, envp)
        except BaseException:
            self.tasks.pop(tid)
            proc.kill()
            raise
        self._start_image(task, image)
        self.mode.start(proc)
        return task

    def _install_stdio(self, task):
        """fds 0-2 are the kernel's own stdin/out/err, through host fds of their own."""
        for fd in (0, 1, 2):
            try:
                host = os.dup(fd)
            except OSError:
                continue
            os.set_inheritable(host, False)
            flags = fcntl.fcntl(host, fcntl.F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK)
            try:
                path = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                path = f"anon_inode:[{fd}]"
            task.files.install_at(fd, HostFile(host, flags, path))

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
        task.proc.set_regs(regs)

    def execve(self, task, dirfd, filename, argv_ptr, envp_ptr, flags):
        """execve(2)/execveat(2) for a single-threaded process: the image is replaced in place."""
        mm = task.mm
        path = mm.read_cstr(filename)
        argv = [mm.read_cstr(p, 0x20000, errno.E2BIG) for p in mm.read_ptr_array(argv_ptr)] \
            if argv_ptr else []
        envp = [mm.read_cstr(p, 0x20000, errno.E2BIG) for p in mm.read_ptr_array(envp_ptr)] \
            if envp_ptr else []
        if flags & ~0x1100:
            raise SyscallError(errno.EINVAL)
        if dirfd != -100 and not path.startswith(b"/"):
            base = self.vfs.base_dir(task, dirfd)
            path = os.fsencode(base.rstrip("/") + "/") + path
        if len(self.threads_of(task)) > 1:
            raise SyscallError(errno.ENOSYS)
        image = Image(self, task, path, argv, envp)
        # The point of no return: from here a failure kills the process.
        try:
            mm.clear()
            task.files.close_on_exec()
            task.sighand.actions = {s: a for s, a in task.sighand.actions.items() if a[0] == 1}
            task.restart.clear()
            task.clear_child_tid = 0
            task.robust_list = (0, 0)
            self._start_image(task, image)
        except SyscallError as e:
            log.error("execve of %r failed after the point of no return: %s", path, e)
            self.kill_group(task, signal.SIGSEGV)
        raise TaskResumes()

    # ---- exits -----------------------------------------------------------------

    def exit_thread(self, task, wstatus):
        if len(self.threads_of(task)) <= 1:
            self.exit_group(task, wstatus)
        self._reap_task(task, wstatus)
        raise TaskGone()

    def exit_group(self, task, wstatus):
        """End every thread of task's process with wait status wstatus."""
        for t in self.threads_of(task):
            self._reap_task(t, wstatus)
        raise TaskGone()

    def kill_group(self, task, sig):
        self.exit_group(task, sig & 0x7F)

    def _reap_task(self, task, wstatus):
        if self.tasks.pop(task.tid, None) is None:
            return
        task.exit_code = wstatus
        self._unpark(task)
        task.proc.kill()
        if task.files is not None and not any(t.files is task.files for t in self.tasks.values()):
            task.files.close_all()
        if task is self.init or task.tgid == self.init.tgid:
            self.exit_status = _status_to_code(wstatus)
            # init is gone: like a pid namespace, everything else goes with it.
            for other in list(self.tasks.values()):
                self._reap_task(other, signal.SIGKILL)

    # ---- parking -------------------------------------------------------------------

    def _park(self, task, entry, args, block):
        task.blocked = (entry, args)
        for fd, events in block.fds:
            self.fd_waits.setdefault(fd, []).append((task, events))
        if block.deadline is not None:
            heapq.heappush(self.deadlines, (block.deadline, next(self._seq), task))
        if block.queue is not None:
            block.queue.waiters.append(task)
            task.blocked_queue = block.queue

    def _unpark(self, task):
        for fd, waiters in list(self.fd_waits.items()):
            waiters[:] = [w for w in waiters if w[0] is not task]
            if not waiters:
                del self.fd_waits[fd]
        q = getattr(task, "blocked_queue", None)
        if q is not None:
            if task in q.waiters:
                q.waiters.remove(task)
            task.blocked_queue = None
        task.blocked_was = task.blocked
        task.blocked = None

    def wake(self, task):
        """Make a parked task run its syscall again."""
        if task.blocked is None or task.tid not in self.tasks:
            return
        pending = task.blocked
        self._unpark(task)
        task.blocked = pending
        self.ready.append(task)

    def _poll_external(self):
        """Wait for a parked task's fd or deadline, or for a host stop (SIGCHLD)."""
        now = time.monotonic()
        timeout = None
        while self.deadlines:
            deadline, _, task = self.deadlines[0]
            if task.blocked is None or task.tid not in self.tasks:
                heapq.heappop(self.deadlines)
                continue
            timeout = max(0.0, deadline - now)
            break
        poller = select.poll()
        poller.register(self._wakeup_r, select.POLLIN)
        for fd, waiters in self.fd_waits.items():
            ev = 0
            for _, e in waiters:
                ev |= e
            poller.register(fd, ev)
        events = poller.poll(None if timeout is None else timeout * 1000 + 0.5)
        for fd, ev in events:
            if fd == self._wakeup_r:
                try:
                    os.read(self._wakeup_r, 4096)
                except BlockingIOError:
                    pass
                continue
            for task, _ in list(self.fd_waits.get(fd, ())):
                self.wake(task)
        now = time.monotonic()
        while self.deadlines and self.deadlines[0][0] <= now:
            _, _, task = heapq.heappop(self.deadlines)
            self.wake(task)

    # ---- the run loop ----------------------------------------------------------------

    def run(self):
        """Run until init's process is gone; returns its status (code, or -signal)."""
        self._wakeup_r, wakeup_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        old_handler = signal.signal(signal.SIGCHLD, lambda *a: None)
        old_wakeup = signal.set_wakeup_fd(wakeup_w, warn_on_full_buffer=False)
        try:
            self._loop()
        finally:
            signal.set_wakeup_fd(old_wakeup)
            signal.signal(signal.SIGCHLD, old_handler)
            os.close(self._wakeup_r)
            os.close(wakeup_w)
            self.mode.close()
        if self.bug is not None:
            raise KernelBug(self.bug)
        return self.exit_status

    def _loop(self):
        mode = self.mode
        table = TABLE
        ntable = len(table)
        tracer = self.tracer
        tasks = self.tasks
        while tasks:
            if self.ready:
                task = self.ready.pop(0)
                entry, args = task.blocked
                task.blocked = None
                self._dispatch(task, entry, args)
                continue
            if self.fd_waits or self.deadlines:
                trap = mode.wait(False)
                if trap is None:
                    self._poll_external()
                    continue
            else:
                trap = mode.wait(True)
            proc, kind, nr, raw = trap
            task = proc.task
            if kind == TRAP_SYSCALL:
                if task is None or task.tid not in tasks:
                    continue
                entry = table[nr] if nr < ntable else None
                if entry is None or entry.handler is None:
                    self._unsupported(task, nr, entry, raw)
                    continue
                if tracer is None:
                    # The hot path, inlined: decode, call, reply.
                    try:
                        result = entry.handler(task, *entry.decode(raw))
                    except SyscallError as e:
                        result = -e.errno
                    except Block as b:
                        self._park(task, entry, entry.decode(raw), b)
                        continue
                    except (TaskGone, TaskResumes) as e:
                        self._after_gone(task, e)
                        continue
                    except Exception:
                        self._kernel_bug(task, entry)
                        return
                    if task.restart:
                        task.restart.clear()
                    mode.resume(proc, result)
                else:
                    self._dispatch(task, entry, entry.decode(raw))
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
        start = time.perf_counter_ns()
        try:
            result = entry.handler(task, *args)
        except SyscallError as e:
            result = -e.errno
        except Block as b:
            self._park(task, entry, args, b)
            return
        except (TaskGone, TaskResumes) as e:
            if self.tracer is not None:
                self.tracer(task, entry, args, None, time.perf_counter_ns() - start)
            self._after_gone(task, e)
            return
        except Exception:
            self._kernel_bug(task, entry)
            return
        if task.restart:
            task.restart.clear()
        if self.tracer is not None:
            self.tracer(task, entry, args, result, time.perf_counter_ns() - start)
        self.mode.resume(task.proc, result)

    def _after_gone(self, task, exc):
        if isinstance(exc, TaskResumes) and task.tid in self.tasks:
            self.mode.resume_plain(task.proc)

    def _unsupported(self, task, nr, entry, raw):
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
        if task is None or task.tid not in self.tasks:
            return
        if sig in (signal.SIGCHLD, signal.SIGWINCH, signal.SIGURG, signal.SIGCONT):
            self.mode.resume_plain(task.proc)
            return
        code, addr = info
        if log.isEnabledFor(logging.DEBUG):
            regs = task.proc.get_regs()
            log.debug("guest %d got host signal %d (code %d, addr %#x) at rip %#x rsp %#x",
                      task.tid, sig, code, addr, regs.rip, regs.rsp)
        try:
            self.kill_group(task, sig)
        except TaskGone:
            pass

    def _host_exited(self, task, code):
        if task is None or task.tid not in self.tasks:
            return
        # The host process went away without the kernel ending it.
        wstatus = (code & 0xFF) << 8 if code >= 0 else (-code) & 0x7F
        for t in self.threads_of(task):
            self._reap_task(t, wstatus)

    def _kernel_bug(self, task, entry):
        self.bug = (f"kernel bug in {entry.name} (guest pid {task.tid}):\n"
                    + traceback.format_exc())
        for t in list(self.tasks.values()):
            self._reap_task(t, signal.SIGKILL)

    def shutdown(self):
        self.mode.close()


class TaskResumes(Exception):
    """Raised by a handler that set the task's registers itself (execve): no result to write."""


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
