"""Process, identity and resource syscalls: ids, exit, execve, rlimits, uname, sysinfo, prctl."""

import errno
import os
import struct

from .. import creds, hostsys, namespaces, ptrace_guest
from . import seccomp
from ..errors import Block, SyscallError
from ..procfs import uname_release
from ..rlimits import apply_cpu_limit
from ..task import RLIM_NLIMITS

RLIMIT_CPU, RLIMIT_NOFILE = 0, 7
PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME, PR_SET_CHILD_SUBREAPER = 15, 16, 36
PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 37, 38, 39
PR_GET_TIMERSLACK, PR_SET_TIMERSLACK, PR_SET_VMA, PR_SET_MM = 30, 29, 0x53564D41, 35
PR_MCE_KILL_GET, PR_GET_THP_DISABLE = 34, 42
PR_GET_TSC, PR_SET_TSC, PR_TSC_ENABLE, PR_TSC_SIGSEGV = 25, 26, 1, 2
PR_GET_SECCOMP, PR_SET_SECCOMP = 21, 22


def sys_getpid(task):
    """getpid(2): the virtual pid (in the caller's pid namespace)."""
    return namespaces.pid_nr(task, task.tgid)


def sys_gettid(task):
    """gettid(2)."""
    return namespaces.pid_nr(task, task.tid)


def sys_getppid(task):
    """getppid(2): 0 when the parent is outside the caller's pid namespace."""
    return namespaces.pid_nr(task, task.ppid)


def sys_getuid(task):
    """getuid(2)."""
    return namespaces.shown_uid(task, task.creds.uid)


def sys_geteuid(task):
    """geteuid(2)."""
    return namespaces.shown_uid(task, task.creds.euid)


def sys_getgid(task):
    """getgid(2)."""
    return namespaces.shown_gid(task, task.creds.gid)


def sys_getegid(task):
    """getegid(2)."""
    return namespaces.shown_gid(task, task.creds.egid)


def sys_getgroups(task, size, listp):
    """getgroups(2)."""
    groups = task.creds.groups
    if size < 0:
        raise SyscallError(errno.EINVAL)
    if size == 0:
        return len(groups)
    if size < len(groups):
        raise SyscallError(errno.EINVAL)
    task.mm.write(listp, struct.pack(f"<{len(groups)}I", *groups))
    return len(groups)


def sys_getresuid(task, ruid, euid, suid):
    """getresuid(2)."""
    c = task.creds
    for ptr, value in ((ruid, c.uid), (euid, c.euid), (suid, c.suid)):
        task.mm.write(ptr, struct.pack("<I", namespaces.shown_uid(task, value)))
    return 0


def sys_getresgid(task, rgid, egid, sgid):
    """getresgid(2)."""
    c = task.creds
    for ptr, value in ((rgid, c.gid), (egid, c.egid), (sgid, c.sgid)):
        task.mm.write(ptr, struct.pack("<I", namespaces.shown_gid(task, value)))
    return 0


def sys_getpgrp(task):
    """getpgrp(2)."""
    return namespaces.pid_nr(task, task.pgid)


def sys_getpgid(task, pid):
    """getpgid(2)."""
    return namespaces.pid_nr(task, task.kernel.task_for_pid(task, pid).pgid)


def sys_getsid(task, pid):
    """getsid(2)."""
    return namespaces.pid_nr(task, task.kernel.task_for_pid(task, pid).sid)


def sys_set_tid_address(task, tidptr):
    """set_tid_address(2)."""
    task.clear_child_tid = tidptr
    return task.tid


def sys_set_robust_list(task, head, length):
    """set_robust_list(2)."""
    if length != 24:
        raise SyscallError(errno.EINVAL)
    task.robust_list = (head, length)
    return 0


def sys_get_robust_list(task, pid, head_ptr, len_ptr):
    """get_robust_list(2)."""
    target = task.kernel.task_for_pid(task, pid)
    task.mm.write(len_ptr, struct.pack("<Q", 24))      # the length first, as Linux
    task.mm.write(head_ptr, struct.pack("<Q", target.robust_list[0]))
    return 0


def sys_exit(task, status):
    """exit(2): ends the calling thread (the process, when it is the last)."""
    task.kernel.exit_thread(task, (status & 0xFF) << 8)


def sys_exit_group(task, status):
    """exit_group(2)."""
    task.kernel.exit_group(task, (status & 0xFF) << 8)


def sys_execve(task, filename, argv, envp):
    """execve(2), emulated by the kernel: the new image is loaded into the same process."""
    return task.kernel.execve(task, -100, filename, argv, envp, 0)


def sys_execveat(task, dirfd, filename, argv, envp, flags):
    """execveat(2)."""
    return task.kernel.execve(task, dirfd, filename, argv, envp, flags)


def _rlimit_target(task, pid):
    target = task.kernel.task_for_pid(task, pid)
    if target.tgid != task.tgid:
        # check_prlimit_permission: all of its uids and gids the caller's real ones,
        # or CAP_SYS_RESOURCE.
        c, t = task.creds, target.creds
        if not ({t.uid, t.euid, t.suid} == {c.uid} and {t.gid, t.egid, t.sgid} == {c.gid}) and \
                not creds.capable(task, creds.CAP_SYS_RESOURCE):
            raise SyscallError(errno.EPERM)
    return target


def sys_prlimit64(task, pid, resource, new_limit, old_limit):
    """prlimit64(2)."""
    new = None
    if new_limit:
        new = struct.unpack("<QQ", task.mm.read(new_limit, 16))
    if resource < 0 or resource >= RLIM_NLIMITS:
        raise SyscallError(errno.EINVAL)
    target = _rlimit_target(task, pid)
    if new is not None:
        soft, hard = new
        if soft > hard:
            raise SyscallError(errno.EINVAL)
        cur_hard = target.rlimits[resource][1]
        if hard > cur_hard and not creds.capable(task, creds.CAP_SYS_RESOURCE):
            raise SyscallError(errno.EPERM)
        if resource == RLIMIT_NOFILE and hard > task.kernel.nr_open:
            raise SyscallError(errno.EPERM)     # above the guest's nr_open (fdtable.py)
    if old_limit:
        task.mm.write(old_limit, struct.pack("<QQ", *target.rlimits[resource]))
    if new is not None:
        target.rlimits[resource] = [new[0], new[1]]
        if resource == RLIMIT_NOFILE:
            target.files.limit = new[0]
        elif resource == RLIMIT_CPU:
            apply_cpu_limit(target)
    return 0


def sys_getrlimit(task, resource, rlim):
    """getrlimit(2)."""
    if resource < 0 or resource >= RLIM_NLIMITS:
        raise SyscallError(errno.EINVAL)
    task.mm.write(rlim, struct.pack("<QQ", *task.rlimits[resource]))
    return 0


def sys_setrlimit(task, resource, rlim):
    """setrlimit(2)."""
    return sys_prlimit64(task, 0, resource, rlim, 0)


def sys_uname(task, buf):
    """uname(2): the host's kernel identity, the kernel's host name."""
    release, version = uname_release(task.kernel)
    uts = namespaces.uts(task)
    fields = (b"Linux", uts.hostname, os.fsencode(release), os.fsencode(version), b"x86_64",
              uts.domainname)
    task.mm.write(buf, b"".join(f[:64].ljust(65, b"\0") for f in fields))
    return 0


def sys_sysinfo(task, info):
    """sysinfo(2): the host's memory and load, with the guest's process count."""
    r, raw = hostsys.with_buffer(hostsys.SYS_SYSINFO, 112)
    if r < 0:
        raise SyscallError(-r)
    if task.kernel.deterministic:
        # Fixed figures: 8 GiB of RAM, half free, no load, uptime from the virtual clock.
        uptime = task.kernel.clock.now_ns(7) // 10**9        # CLOCK_BOOTTIME, as /proc/uptime
        raw = struct.pack("<q3QQQQQQQ", uptime, 0, 0, 0, 8 << 30, 4 << 30, 0, 0, 0, 0) + raw[80:]
    raw = raw[:80] + struct.pack("<H", min(len(task.kernel.tasks), 0xFFFF)) + raw[82:]
    task.mm.write(info, raw)
    return 0


def sys_getrandom(task, buf, buflen, flags):
    """getrandom(2)."""
    if flags & ~7 or (flags & 4 and flags & 2):
        raise SyscallError(errno.EINVAL)
    count = min(buflen, 0x1FFFFFF)
    if count == 0:
        return 0
    count = task.mm.extent(buf, count, True)
    if count == 0:
        raise SyscallError(errno.EFAULT)
    task.mm.write(buf, task.kernel.random_bytes(count))
    return count


def _cpu_facts():
    """(nr_cpu_ids, cpumask_size, online mask) of the host: the guest's CPUs are its."""
    global _CPU_FACTS
    if _CPU_FACTS is None:
        # The host's online CPUs (not the kernel process's own affinity, which a
        # mode may pin).
        online = 0
        try:
            with open("/sys/devices/system/cpu/online") as f:
                for part in f.read().strip().split(","):
                    low, _, high = part.partition("-")
                    for cpu in range(int(low), int(high or low) + 1):
                        online |= 1 << cpu
        except (OSError, ValueError):
            online = 0
        if not online:
            for cpu in os.sched_getaffinity(0):
                online |= 1 << cpu
        nr = max(online.bit_length(), os.cpu_count() or 1)
        try:
            with open("/sys/devices/system/cpu/possible") as f:
                nr = max(nr, int(f.read().strip().replace(",", "-").split("-")[-1]) + 1)
        except (OSError, ValueError):
            pass
        # The host's sched_getaffinity answers min(len, cpumask_size()): ask it once.
        r, _ = hostsys.with_buffer(204, 4096, 0, 4096)
        size = r if r > 0 else (nr + 63) // 64 * 8
        _CPU_FACTS = (nr, size, online)
    return _CPU_FACTS


_CPU_FACTS = None


def sys_sched_getaffinity(task, pid, size, mask):
    """sched_getaffinity(2): the task's own mask (inherited, set by sched_setaffinity),
    at most cpumask_size() bytes of it; the size checks come first."""
    nr, cpumask_size, online = _cpu_facts()
    if size * 8 < nr or size & 7:
        raise SyscallError(errno.EINVAL)
    target = task.kernel.task_for_pid(task, pid)
    bits = getattr(target, "cpus_allowed", None)
    bits = online if bits is None else bits
    n = min(size, cpumask_size)
    task.mm.write(mask, bits.to_bytes(n, "little"))
    return n


def _check_same_owner(task, target):
    """check_same_owner, else CAP_SYS_NICE: EPERM for another user's task."""
    c, t = task.creds, target.creds
    if c.euid not in (t.euid, t.uid) and not creds.capable(task, creds.CAP_SYS_NICE):
        raise SyscallError(errno.EPERM)


def sys_sched_setaffinity(task, pid, size, mask):
    """sched_setaffinity(2): the mask (cut or zero-filled to cpumask_size) is copied
    first, then the task found; a mask with no online CPU is EINVAL. Recorded for the
    guest's view; the host schedules the stubs as it likes."""
    nr, cpumask_size, online = _cpu_facts()
    n = min(size, cpumask_size)
    bits = int.from_bytes(task.mm.read(mask, n), "little") if n else 0
    target = task.kernel.task_for_pid(task, pid)
    _check_same_owner(task, target)
    if not bits & online:
        raise SyscallError(errno.EINVAL)
    target.cpus_allowed = bits & online
    return 0


def sys_sched_yield(task):
    """sched_yield(2)."""
    return 0


def sys_getcpu(task, cpu, node, cache):
    """getcpu(2)."""
    if cpu:
        task.mm.write(cpu, struct.pack("<I", 0))
    if node:
        task.mm.write(node, struct.pack("<I", 0))
    return 0


def _read_name(task, addr):
    """Up to 15 bytes of a NUL-terminated name (strncpy_from_user with 16)."""
    try:
        return task.mm.read_cstr(addr, 16)[:15]
    except SyscallError as e:
        if e.errno != errno.ENAMETOOLONG:
            raise
        return task.mm.read(addr, 15)


def sys_prctl(task, option, arg2, arg3, arg4, arg5):
    """prctl(2): names, dumpable, no_new_privs, pdeathsig, subreaper, capabilities (creds.py),
    timer slack, TSC, seccomp."""
    if option == PR_SET_SECCOMP:
        return seccomp.prctl_set_seccomp(task, arg2, arg3)
    if option == PR_GET_SECCOMP:
        return seccomp.prctl_get_seccomp(task)
    if option == PR_SET_NAME:
        task.comm = _read_name(task, arg2)
        return 0
    if option == PR_GET_NAME:
        task.mm.write(arg2, task.comm[:15].ljust(16, b"\0"))
        return 0
    if option == PR_GET_DUMPABLE:
        return task.creds.dumpable
    if option == PR_SET_DUMPABLE:
        if arg2 not in (0, 1):
            raise SyscallError(errno.EINVAL)
        for t in task.process.threads:          # the flag is the mm's
            t.creds.dumpable = arg2
        return 0
    if option == PR_SET_PDEATHSIG:
        if arg2 < 0 or arg2 > 64:
            raise SyscallError(errno.EINVAL)
        task.pdeathsig = arg2
        return 0
    if option == PR_GET_PDEATHSIG:
        task.mm.write(arg2, struct.pack("<i", task.pdeathsig))
        return 0
    if option == PR_SET_CHILD_SUBREAPER:
        task.process.subreaper = bool(arg2)
        return 0
    if option == PR_GET_CHILD_SUBREAPER:
        task.mm.write(arg2, struct.pack("<i", int(task.process.subreaper)))
        return 0
    if option == PR_SET_NO_NEW_PRIVS:
        # Once set it stays: fork copies it, exec keeps it, nothing clears it.
        if arg2 != 1 or arg3 or arg4 or arg5:
            raise SyscallError(errno.EINVAL)
        task.creds.no_new_privs = True
        return 0
    if option == PR_GET_NO_NEW_PRIVS:
        if arg2 or arg3 or arg4 or arg5:
            raise SyscallError(errno.EINVAL)
        return int(task.creds.no_new_privs)
    if option in creds.CAP_PRCTLS:
        return creds.prctl(task, option, arg2, arg3, arg4, arg5)
    if option == PR_GET_TIMERSLACK:
        return task.creds.timer_slack
    if option == PR_SET_TIMERSLACK:
        if task.sched_policy not in (SCHED_FIFO, SCHED_RR):   # real-time tasks keep 0
            task.creds.timer_slack = arg2 or task.creds.default_slack
        return 0
    if option == PR_GET_TSC:
        mode = PR_TSC_SIGSEGV if task.creds.notsc else PR_TSC_ENABLE
        task.mm.write(arg2, struct.pack("<I", mode))
        return 0
    if option == PR_SET_TSC:
        if arg2 not in (PR_TSC_ENABLE, PR_TSC_SIGSEGV):
            raise SyscallError(errno.EINVAL)
        return creds.set_tsc(task, arg2 == PR_TSC_SIGSEGV)
    if option == PR_SET_VMA:
        return 0
    if option in (PR_MCE_KILL_GET, PR_GET_THP_DISABLE):
        return 0
    raise SyscallError(errno.EINVAL)


HANDLERS = {
    "getpid": sys_getpid, "gettid": sys_gettid, "getppid": sys_getppid,
    "getuid": sys_getuid, "geteuid": sys_geteuid, "getgid": sys_getgid,
    "getegid": sys_getegid, "getgroups": sys_getgroups, "getresuid": sys_getresuid,
    "getresgid": sys_getresgid, "getpgrp": sys_getpgrp, "getpgid": sys_getpgid,
    "getsid": sys_getsid,
    "set_tid_address": sys_set_tid_address, "set_robust_list": sys_set_robust_list,
    "get_robust_list": sys_get_robust_list,
    "exit": sys_exit, "exit_group": sys_exit_group,
    "execve": (sys_execve, "partial: single-threaded processes"),
    "execveat": (sys_execveat, "partial: single-threaded processes"),
    "prlimit64": sys_prlimit64, "getrlimit": sys_getrlimit, "setrlimit": sys_setrlimit,
    "uname": sys_uname, "sysinfo": sys_sysinfo, "getrandom": sys_getrandom,
    "sched_getaffinity": sys_sched_getaffinity,
    "sched_setaffinity": (sys_sched_setaffinity, "partial: recorded, not applied to the host"),
    "sched_yield": sys_sched_yield, "getcpu": sys_getcpu,
    "prctl": (sys_prctl, "partial: names, dumpable, no_new_privs, pdeathsig, subreaper, "
                       "capabilities, securebits, timer slack, TSC"),
}


# ---- creating and waiting for processes -------------------------------------------

SIGCHLD = 17
CSIGNAL = 0xFF
TASK_SIZE_MAX = 0x7FFFFFFFF000           # the end of the user address space (4-level paging)
WNOHANG, WUNTRACED, WEXITED, WCONTINUED, WNOWAIT = 1, 2, 4, 8, 0x01000000
WNOTHREAD, WALL, WCLONE = 0x20000000, 0x40000000, 0x80000000
P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 5, 6
RUSAGE_SIZE = 144
CLONE_ARGS = struct.Struct("<QQQQQQQQQQQ")   # struct clone_args up to cgroup


def sys_fork(task):
    """fork(2)."""
    return task.kernel.clone(task, 0, 0, 0, 0, 0, SIGCHLD)


def sys_vfork(task):
    """vfork(2): the parent waits until the child execs or exits (the memory is shared)."""
    return task.kernel.clone(task, 0x4000 | 0x100, 0, 0, 0, 0, SIGCHLD)


def sys_clone(task, flags, stack, parent_tid, child_tid, tls):
    """clone(2) (x86-64 argument order: flags, stack, ptid, ctid, tls). Only the low 32
    bits of flags count (lower_32_bits in Linux's sys_clone); CLONE_PIDFD returns the
    pidfd through parent_tid."""
    flags &= 0xFFFFFFFF
    return task.kernel.clone(task, flags & ~CSIGNAL, stack, parent_tid, child_tid, tls,
                             flags & CSIGNAL, pidfd=parent_tid)


CLONE_ARGS_SIZE_VER0, CLONE_ARGS_SIZE_VER2 = 64, 88
CLONE_DETACHED, CLONE_NEWTIME = 0x00400000, 0x80
CLONE_THREAD, CLONE_SIGHAND, CLONE_PARENT = 0x10000, 0x800, 0x8000
CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP = 1 << 32, 1 << 33
MAX_PID_NS_LEVEL = 32


def sys_clone3(task, cl_args, size):
    """clone3(2): copy_clone_args_from_user's checks, then clone3_args_valid's, in
    Linux's order; the rest (copy_process) is the kernel's clone."""
    if size > 4096:
        raise SyscallError(errno.E2BIG)           # copy_clone_args_from_user: > PAGE_SIZE
    if size < CLONE_ARGS_SIZE_VER0:
        raise SyscallError(errno.EINVAL)
    raw = task.mm.read(cl_args, size)
    if size > CLONE_ARGS.size and any(raw[CLONE_ARGS.size:]):
        raise SyscallError(errno.E2BIG)           # copy_struct_from_user: unknown tail set
    raw = raw[:CLONE_ARGS.size].ljust(CLONE_ARGS.size, b"\0")
    (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
     set_tid_size, cgroup) = CLONE_ARGS.unpack(raw)
    if set_tid_size > MAX_PID_NS_LEVEL or (set_tid == 0) != (set_tid_size == 0):
        raise SyscallError(errno.EINVAL)
    if exit_signal > 64:                          # upper bits set, or not a valid signal
        raise SyscallError(errno.EINVAL)
    if flags & CLONE_INTO_CGROUP and (cgroup > 0x7FFFFFFF or size < CLONE_ARGS_SIZE_VER2):
        raise SyscallError(errno.EINVAL)
    tids = struct.unpack(f"<{set_tid_size}i", task.mm.read(set_tid, 4 * set_tid_size)) \
        if set_tid else ()
    # clone3_args_valid: no unknown flags; CLONE_DETACHED and the CSIGNAL bits (bar
    # CLONE_NEWTIME) are reserved; a shared sighand cannot be cleared; exit_signal
    # makes no sense for a thread or a sibling; stack and stack_size go together.
    if flags & ~(0xFFFFFFFF | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP) or \
            flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME)) or \
            flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND) == CLONE_SIGHAND | CLONE_CLEAR_SIGHAND \
            or flags & (CLONE_THREAD | CLONE_PARENT) and exit_signal:
        raise SyscallError(errno.EINVAL)
    if (stack == 0) != (stack_size == 0):
        raise SyscallError(errno.EINVAL)
    if stack and stack + stack_size > TASK_SIZE_MAX:
        raise SyscallError(errno.EINVAL)          # clone3_stack_valid: access_ok() fails
    return task.kernel.clone(task, flags, stack + stack_size if stack else 0, parent_tid,
                             child_tid, tls, exit_signal, pidfd=pidfd, set_tid=tids)


def _wait_options_ok(options, allowed):
    if options & ~allowed:
        raise SyscallError(errno.EINVAL)


def _report_status(child, what):
    """The wait status word for what a child has to report."""
    if what == "stop":
        return (child.stop_report << 8) | 0x7F
    if what == "cont":
        return 0xFFFF
    if what == "ptrace":
        return child.report         # a ptrace stop of a tracee (ptrace_guest.Link)
    return child.exit_status


def _consume(kernel, task, child, what):
    if what == "exit":
        kernel.reap(task, child)
    elif what == "ptrace":
        child.report = None
    elif what == "ptrace_exit":
        ptrace_guest.release_to_parent(kernel, child)
    elif what == "stop":
        child.stop_report = None
    else:
        child.cont_report = False


def sys_wait4(task, pid, wstatus, options, rusage):
    """wait4(2)."""
    _wait_options_ok(options, WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE)
    if pid == -0x80000000:
        raise SyscallError(errno.ESRCH)
    kernel = task.kernel
    if pid > 0 or pid < -1:
        # Numbered in the caller's pid namespace (none there: no child matches).
        pid = (namespaces.pid_kid(task, abs(pid)) or 1 << 40) * (1 if pid > 0 else -1)
    found = kernel.wait_child(task, pid, options, stopped=bool(options & WUNTRACED),
                              continued=bool(options & WCONTINUED))
    if found is None:
        if options & WNOHANG:
            return 0
        raise Block(queue=task.process.child_exit)
    child, what = found
    if wstatus:
        task.mm.write(wstatus, struct.pack("<i", _report_status(child, what)))
    if rusage:
        task.mm.write(rusage, bytes(RUSAGE_SIZE))
    _consume(kernel, task, child, what)
    return namespaces.pid_nr(task, child.tgid)


def sys_waitid(task, idtype, id_, infop, options, rusage):
    """waitid(2)."""
    _wait_options_ok(options, WNOHANG | WEXITED | WUNTRACED | WCONTINUED | WNOWAIT | WNOTHREAD
                     | WALL | WCLONE)
    if not options & (WEXITED | WUNTRACED | WCONTINUED):
        raise SyscallError(errno.EINVAL)
    if idtype == P_ALL:
        pid = -1
    elif idtype == P_PID:
        if id_ <= 0:
            raise SyscallError(errno.EINVAL)
        pid = namespaces.pid_kid(task, id_) or 1 << 40
    elif idtype == P_PGID:
        if id_ < 0:
            raise SyscallError(errno.EINVAL)
        pid = -id_ if id_ else 0
    elif idtype == P_PIDFD:
        from .splice import PidFd
        file = task.files.get(id_)
        if not isinstance(file, PidFd):
            raise SyscallError(errno.EINVAL)
        pid = file.process.tgid
    else:
        raise SyscallError(errno.EINVAL)
    kernel = task.kernel
    found = kernel.wait_child(task, pid, options, exited=bool(options & WEXITED),
                              stopped=bool(options & WUNTRACED),
                              continued=bool(options & WCONTINUED))
    if found is None:
        if options & WNOHANG:
            if infop:
                task.mm.write(infop, bytes(28))
            return 0
        raise Block(queue=task.process.child_exit)
    child, what = found
    if what == "stop":
        code, value = CLD_STOPPED, child.stop_report
    elif what == "ptrace":
        code, value = 4, child.report >> 8              # CLD_TRAPPED
    elif what == "cont":
        code, value = CLD_CONTINUED, 18
    elif child.exit_status & 0x7F:
        code = CLD_DUMPED if child.exit_status & 0x80 else CLD_KILLED
        value = child.exit_status & 0x7F
    else:
        code, value = CLD_EXITED, (child.exit_status >> 8) & 0xFF
    if infop:
        info = struct.pack("<iiiiiIi", SIGCHLD, 0, code, 0, namespaces.pid_nr(task, child.tgid),
                           task.creds.uid, value)
        task.mm.write(infop, info.ljust(128, b"\0")[:128])
    if rusage:
        task.mm.write(rusage, bytes(RUSAGE_SIZE))
    if not options & WNOWAIT:
        _consume(kernel, task, child, what)
    return 0


def sys_setpgid(task, pid, pgid):
    """setpgid(2)."""
    if pgid < 0:
        raise SyscallError(errno.EINVAL)
    kernel = task.kernel
    target = task.process if pid == 0 else None
    if target is None:
        t = kernel.task_by_vpid(namespaces.pid_kid(task, pid) or 1 << 40)
        if t is None or (t.process is not task.process and t.process.parent is not task.process):
            raise SyscallError(errno.ESRCH)
        target = t.process
    if target is not task.process:
        if target.sid != task.sid:
            raise SyscallError(errno.EPERM)
        if target.execed:
            raise SyscallError(errno.EACCES)    # the child is no longer PF_FORKNOEXEC
    if target.sid == target.tgid:
        raise SyscallError(errno.EPERM)
    pgid = (namespaces.pid_kid(task, pgid) or 1 << 40) if pgid else target.tgid
    if pgid != target.tgid and not any(p.pgid == pgid and p.sid == task.sid
                                       for p in kernel.processes()):
        raise SyscallError(errno.EPERM)
    target.pgid = pgid
    return 0


def sys_setsid(task):
    """setsid(2)."""
    process = task.process
    if any(p.pgid == process.tgid for p in task.kernel.processes()):
        raise SyscallError(errno.EPERM)
    process.sid = process.pgid = process.tgid
    return namespaces.pid_nr(task, process.sid)


HANDLERS.update({
    "fork": sys_fork, "vfork": sys_vfork, "clone": sys_clone, "clone3": sys_clone3,
    "wait4": (sys_wait4, "partial: exited children; no stop/continue reports; zero rusage"),
    "waitid": (sys_waitid, "partial: exited children; zero rusage"),
    "setpgid": sys_setpgid, "setsid": sys_setsid,
})


# ---- credentials (recorded by the kernel; see the support notes) ----------------------

CREDS_NOTE = ("partial: per-task ids and capabilities (creds.py), checked by the kernel; "
              "the host also checks file access as umlskas's user")
NGROUPS_MAX = 65536
NO_CHANGE = 0xFFFFFFFF


def _capable(task, cap=creds.CAP_SETUID):
    return creds.capable(task, cap)


def _cap_for(kind):
    return creds.CAP_SETUID if kind == "uid" else creds.CAP_SETGID


def _commit(task, kind, old):
    """security_task_fix_setuid (uid changes move the capability sets), then
    commit_creds's dumpability rule."""
    if kind == "uid":
        creds.fix_setuid(task.creds, old)
    creds.commit(task, old)
    return 0


def _set_res(task, kind, r, e, s):
    """setres[ug]id rules: an unprivileged caller may only pick among its current ids."""
    c = task.creds
    ids = (getattr(c, kind), getattr(c, "e" + kind), getattr(c, "s" + kind))
    if (r == NO_CHANGE or r == ids[0]) and (s == NO_CHANGE or s == ids[2]) and \
            (e == NO_CHANGE or e == ids[1] == getattr(c, "fs" + kind)):
        return 0
    for v in (r, e, s):
        if v != NO_CHANGE and v not in ids and not _capable(task, _cap_for(kind)):
            raise SyscallError(errno.EPERM)
    old = creds.snapshot(c)
    _apply(c, kind, r, e, s)
    return _commit(task, kind, old)


def sys_setresuid(task, ruid, euid, suid):
    """setresuid(2)."""
    return _set_res(task, "uid", ruid, euid, suid)


def sys_setresgid(task, rgid, egid, sgid):
    """setresgid(2)."""
    return _set_res(task, "gid", rgid, egid, sgid)


def _set_re(task, kind, r, e):
    """setre[ug]id rules: the saved id follows the effective one when the real one is
    set or the effective one moves away from the real one."""
    c = task.creds
    real, eff, saved = getattr(c, kind), getattr(c, "e" + kind), getattr(c, "s" + kind)
    if not _capable(task, _cap_for(kind)):
        if r != NO_CHANGE and r not in (real, eff):
            raise SyscallError(errno.EPERM)
        if e != NO_CHANGE and e not in (real, eff, saved):
            raise SyscallError(errno.EPERM)
    new_e = e if e != NO_CHANGE else eff
    save = r != NO_CHANGE or (e != NO_CHANGE and e != real)
    old = creds.snapshot(c)
    _apply(c, kind, r, e, new_e if save else NO_CHANGE)
    return _commit(task, kind, old)


def sys_setreuid(task, ruid, euid):
    """setreuid(2)."""
    return _set_re(task, "uid", ruid, euid)


def sys_setregid(task, rgid, egid):
    """setregid(2)."""
    return _set_re(task, "gid", rgid, egid)


def _apply(c, kind, r, e, s):
    if r != NO_CHANGE:
        setattr(c, kind, r)
    if e != NO_CHANGE:
        setattr(c, "e" + kind, e)
    # Every set*[ug]id leaves the filesystem id equal to the effective one.
    setattr(c, "fs" + kind, getattr(c, "e" + kind))
    if s != NO_CHANGE:
        setattr(c, "s" + kind, s)
    return 0


def _set_id(task, kind, value):
    """set[ug]id rules: privileged callers set all three ids, others only the effective."""
    c = task.creds
    if value == NO_CHANGE:
        raise SyscallError(errno.EINVAL)        # !uid_valid(make_kuid(ns, -1))
    old = creds.snapshot(c)
    if _capable(task, _cap_for(kind)):
        _apply(c, kind, value, value, value)
    elif value not in (getattr(c, kind), getattr(c, "s" + kind)):
        raise SyscallError(errno.EPERM)
    else:
        _apply(c, kind, NO_CHANGE, value, NO_CHANGE)
    return _commit(task, kind, old)


def sys_setuid(task, uid):
    """setuid(2)."""
    return _set_id(task, "uid", uid)


def sys_setgid(task, gid):
    """setgid(2)."""
    return _set_id(task, "gid", gid)


def _set_fs(task, kind, value):
    """setfs[ug]id: returns the previous value; a refused change is silent (Linux)."""
    c = task.creds
    old_value = getattr(c, "fs" + kind)
    if value == NO_CHANGE:
        return old_value
    if value != old_value and (
            value in (getattr(c, kind), getattr(c, "e" + kind), getattr(c, "s" + kind))
            or _capable(task, _cap_for(kind))):
        old = creds.snapshot(c)
        setattr(c, "fs" + kind, value)
        if kind == "uid":
            creds.fix_setfsuid(c, old_value)
        creds.commit(task, old)
    return old_value


def sys_setfsuid(task, fsuid):
    """setfsuid(2)."""
    return _set_fs(task, "uid", fsuid)


def sys_setfsgid(task, fsgid):
    """setfsgid(2)."""
    return _set_fs(task, "gid", fsgid)


def sys_setgroups(task, size, listp):
    """setgroups(2)."""
    if not _capable(task, creds.CAP_SETGID):
        raise SyscallError(errno.EPERM)
    if size < 0 or size > NGROUPS_MAX:
        raise SyscallError(errno.EINVAL)
    groups = list(struct.unpack(f"<{size}I", task.mm.read(listp, 4 * size))) if size else []
    task.creds.groups = sorted(set(groups))
    return 0


# ---- priorities and scheduling parameters (recorded; the host schedules the stubs) ------

PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2
SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE = 0, 1, 2, 3, 5


def _prio_targets(task, which, who):
    kernel = task.kernel
    if which == PRIO_PROCESS:
        return [kernel.task_for_pid(task, who)]
    if which == PRIO_PGRP:
        pgid = who or task.pgid
        return [t for t in kernel.tasks.values() if t.pgid == pgid]
    if which == PRIO_USER:
        uid = who or task.creds.uid
        return [t for t in kernel.tasks.values() if t.creds.uid == uid]
    raise SyscallError(errno.EINVAL)


def sys_getpriority(task, which, who):
    """getpriority(2): returns 20 - nice, as the raw syscall does."""
    targets = _prio_targets(task, which, who)
    if not targets:
        raise SyscallError(errno.ESRCH)
    return max(20 - t.nice for t in targets)


def sys_setpriority(task, which, who, prio):
    """setpriority(2)."""
    targets = _prio_targets(task, which, who)
    if not targets:
        raise SyscallError(errno.ESRCH)
    nice = max(-20, min(19, prio))
    error = errno.ESRCH
    c = task.creds
    for t in targets:
        # set_one_prio: another user's process needs CAP_SYS_NICE (EPERM); a lower
        # nice value needs it too (EACCES); the last failure is the answer.
        if c.euid not in (t.creds.uid, t.creds.euid) and not _capable(task, creds.CAP_SYS_NICE):
            error = errno.EPERM
        elif nice < t.nice and not _capable(task, creds.CAP_SYS_NICE):
            error = errno.EACCES
        else:
            if error == errno.ESRCH:
                error = 0
            t.nice = nice
    if error:
        raise SyscallError(error)
    return 0


def sys_sched_getscheduler(task, pid):
    """sched_getscheduler(2)."""
    if pid < 0:
        raise SyscallError(errno.EINVAL)
    return task.kernel.task_for_pid(task, pid).sched_policy


def sys_sched_getparam(task, pid, param):
    """sched_getparam(2)."""
    if pid < 0 or not param:
        raise SyscallError(errno.EINVAL)
    target = task.kernel.task_for_pid(task, pid)
    task.mm.write(param, struct.pack("<i", target.sched_priority))
    return 0


def _sched_check(policy, prio):
    policy &= ~0x40000000            # SCHED_RESET_ON_FORK
    if policy not in (SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE):
        raise SyscallError(errno.EINVAL)
    if policy in (SCHED_FIFO, SCHED_RR):
        if not 1 <= prio <= 99:
            raise SyscallError(errno.EINVAL)
    elif prio != 0:
        raise SyscallError(errno.EINVAL)
    return policy


def sys_sched_setscheduler(task, pid, policy, param):
    """sched_setscheduler(2): recorded only."""
    if pid < 0 or not param:
        raise SyscallError(errno.EINVAL)
    prio, = struct.unpack("<i", task.mm.read(param, 4))
    target = task.kernel.task_for_pid(task, pid)
    policy = _sched_check(policy, prio)
    if policy in (SCHED_FIFO, SCHED_RR) and not _capable(task, creds.CAP_SYS_NICE):
        raise SyscallError(errno.EPERM)
    _check_same_owner(task, target)
    target.sched_policy, target.sched_priority = policy, prio
    return 0


def sys_sched_setparam(task, pid, param):
    """sched_setparam(2)."""
    if pid < 0 or not param:
        raise SyscallError(errno.EINVAL)
    prio, = struct.unpack("<i", task.mm.read(param, 4))
    target = task.kernel.task_for_pid(task, pid)
    _sched_check(target.sched_policy, prio)
    _check_same_owner(task, target)
    target.sched_priority = prio
    return 0


def sys_sched_get_priority_max(task, policy):
    """sched_get_priority_max(2)."""
    if policy in (SCHED_FIFO, SCHED_RR):
        return 99
    if policy in (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE):
        return 0
    raise SyscallError(errno.EINVAL)


def sys_sched_get_priority_min(task, policy):
    """sched_get_priority_min(2)."""
    if policy in (SCHED_FIFO, SCHED_RR):
        return 1
    if policy in (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE):
        return 0
    raise SyscallError(errno.EINVAL)


def sys_sched_rr_get_interval(task, pid, tp):
    """sched_rr_get_interval(2): 100 ms for SCHED_RR, 0 otherwise (as CFS reports)."""
    if pid < 0:
        raise SyscallError(errno.EINVAL)
    target = task.kernel.task_for_pid(task, pid)
    ns = 100_000_000 if target.sched_policy == SCHED_RR else 0
    task.mm.write(tp, struct.pack("<qq", ns // 10**9, ns % 10**9))
    return 0


HANDLERS.update({
    "setuid": (sys_setuid, CREDS_NOTE), "setgid": (sys_setgid, CREDS_NOTE),
    "setreuid": (sys_setreuid, CREDS_NOTE), "setregid": (sys_setregid, CREDS_NOTE),
    "setresuid": (sys_setresuid, CREDS_NOTE), "setresgid": (sys_setresgid, CREDS_NOTE),
    "setfsuid": (sys_setfsuid, CREDS_NOTE), "setfsgid": (sys_setfsgid, CREDS_NOTE),
    "setgroups": (sys_setgroups, CREDS_NOTE),
    "getpriority": sys_getpriority, "setpriority": (sys_setpriority, "partial: recorded"),
    "sched_getscheduler": sys_sched_getscheduler, "sched_getparam": sys_sched_getparam,
    "sched_setscheduler": (sys_sched_setscheduler, "partial: recorded"),
    "sched_setparam": (sys_sched_setparam, "partial: recorded"),
    "sched_get_priority_max": sys_sched_get_priority_max,
    "sched_get_priority_min": sys_sched_get_priority_min,
    "sched_rr_get_interval": sys_sched_rr_get_interval,
})
