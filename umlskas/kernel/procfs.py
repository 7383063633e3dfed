"""The kernel's own /proc/<pid>, /proc/self and /proc/thread-self, in guest pids.

Everything else under /proc (cpuinfo, meminfo, sys/...) is the host's, seen
through the host path; the host's numbered process directories are hidden.
"""

import errno
import os

from .errors import SyscallError
from .files import MemoryFile, SyntheticDir
from .vfs import FileNode

DT_DIR, DT_REG, DT_LNK = 4, 8, 10


class ProcLink:
    """A /proc symlink seen without following it (readlink, lstat)."""

    __slots__ = ("target", "path")

    def __init__(self, target, path):
        self.target, self.path = target, path


class ProcDir:
    __slots__ = ("entries", "path")

    def __init__(self, entries, path):
        self.entries, self.path = entries, path

    def open(self, flags):
        return SyntheticDir(self.entries, self.path)


class ProcFile:
    __slots__ = ("content", "path")

    def __init__(self, content, path):
        self.content, self.path = content, path

    def open(self, flags):
        if flags & 3 != 0:
            raise SyscallError(errno.EACCES)
        return MemoryFile(self.content(), self.path)


PID_ENTRIES = (("exe", DT_LNK), ("cwd", DT_LNK), ("root", DT_LNK), ("fd", DT_DIR),
               ("fdinfo", DT_DIR), ("task", DT_DIR), ("cmdline", DT_REG), ("comm", DT_REG),
               ("environ", DT_REG), ("maps", DT_REG), ("status", DT_REG), ("stat", DT_REG),
               ("statm", DT_REG), ("mounts", DT_REG), ("mountinfo", DT_REG), ("limits", DT_REG))


def _is_pid(name):
    return name.isdigit() and not (len(name) > 1 and name[0] == "0")


class ProcFs:
    """Answers /proc lookups for the tasks of one kernel."""

    def __init__(self, kernel):
        self.kernel = kernel

    def host_dir_filter(self, name):
        """Keep host /proc entries that are not host processes."""
        text = name.decode(errors="replace")
        return not (_is_pid(text) or text in ("self", "thread-self"))

    def root_dir(self, task, flags):
        """/proc itself: the host's entries that are not processes, then the guest's
        processes (in pid order) and self/thread-self."""
        entries = []
        for entry in sorted(os.scandir("/proc"), key=lambda e: e.name):
            if self.host_dir_filter(os.fsencode(entry.name)):
                dtype = DT_DIR if entry.is_dir(follow_symlinks=False) else \
                    DT_LNK if entry.is_symlink() else DT_REG
                entries.append((entry.name, dtype))
        entries += [("self", DT_LNK), ("thread-self", DT_LNK)]
        entries += [(str(p.tgid), DT_DIR) for p in sorted(self.kernel.processes(),
                                                          key=lambda p: p.tgid)]
        directory = SyntheticDir(entries, "/proc", flags)
        directory.stat = lambda: os.stat("/proc")
        return directory

    def _parts(self, path):
        return path[len("/proc/"):].split("/")

    def step(self, task, path, nofollow):
        """One component under /proc: None for a host path, a str to follow, or a node."""
        parts = self._parts(path)
        head = parts[0]
        if head == "self" and len(parts) == 1:
            target = str(task.tgid)
            return ProcLink(target, path) if nofollow else target
        if head == "thread-self" and len(parts) == 1:
            target = f"{task.tgid}/task/{task.tid}"
            return ProcLink(target, path) if nofollow else target
        if head in ("self", "thread-self"):
            return None
        if not _is_pid(head):
            return None
        owner = self.kernel.task_by_vpid(int(head))
        if owner is None:
            raise SyscallError(errno.ENOENT)
        rest = parts[1:]
        if rest[:1] == ["task"] and len(rest) >= 2:
            thread = self.kernel.task_by_vpid(int(rest[1])) if _is_pid(rest[1]) else None
            if thread is None or thread.tgid != owner.tgid:
                raise SyscallError(errno.ENOENT)
            owner, rest = thread, rest[2:]
            if not rest:
                return ProcDir(PID_ENTRIES, path)
        return self._entry(owner, rest, path, nofollow)

    def node(self, task, path):
        """The node for a fully resolved path under /proc, or None if it is the host's."""
        parts = self._parts(path)
        if not _is_pid(parts[0]):
            return None
        return self.step(task, path, True)

    def _entry(self, t, rest, path, nofollow):
        if not rest:
            return ProcDir(PID_ENTRIES, path)
        name = rest[0]
        if name in ("exe", "cwd", "root") and len(rest) == 1:
            target = {"exe": t.exe, "cwd": t.fs.cwd, "root": "/"}[name]
            if target is None:
                raise SyscallError(errno.ENOENT)
            return ProcLink(target, path) if nofollow else target
        if name in ("fd", "fdinfo"):
            if len(rest) == 1:
                dtype = DT_LNK if name == "fd" else DT_REG
                return ProcDir([(str(fd), dtype) for fd in sorted(t.files.files)], path)
            if len(rest) != 2 or not rest[1].isdigit():
                raise SyscallError(errno.ENOENT)
            fd = int(rest[1])
            file = t.files.files.get(fd)
            if file is None:
                raise SyscallError(errno.ENOENT)
            if name == "fdinfo":
                return ProcFile(lambda: self.fdinfo(t, fd, file), path)
            if nofollow:
                return ProcLink(file.path, path)
            if file.path.startswith("/") and getattr(file, "mode", None) is not None:
                return file.path
            return FileNode(file)
        if name == "task" and len(rest) == 1:
            return ProcDir([(str(x.tid), DT_DIR) for x in self.kernel.threads_of(t)], path)
        if len(rest) != 1:
            raise SyscallError(errno.ENOENT)
        maker = getattr(self, "file_" + name, None)
        if maker is None:
            raise SyscallError(errno.ENOENT)
        return ProcFile(lambda: maker(t), path)

    # ---- file contents -------------------------------------------------------

    def fdinfo(self, t, fd, file):
        pos = 0
        try:
            pos = file.lseek(0, 1)
        except SyscallError:
            pass
        cloexec = 0o2000000 if fd in t.files.cloexec else 0
        return f"pos:\t{pos}\nflags:\t0{file.flags | cloexec:o}\nmnt_id:\t0\nino:\t0\n".encode()

    def file_cmdline(self, t):
        return t.cmdline

    def file_environ(self, t):
        return t.environ

    def file_comm(self, t):
        return t.comm + b"\n"

    def file_maps(self, t):
        return t.mm.maps_text().encode()

    def file_mounts(self, t):
        with open("/proc/self/mounts", "rb") as f:
            return f.read()

    def file_mountinfo(self, t):
        with open("/proc/self/mountinfo", "rb") as f:
            return f.read()

    def file_limits(self, t):
        with open("/proc/self/limits", "rb") as f:
            return f.read()

    def file_status(self, t):
        mask = t.sigmask
        lines = [
            f"Name:\t{t.comm.decode(errors='replace')}", f"Umask:\t{t.fs.umask:04o}",
            "State:\tR (running)", f"Tgid:\t{t.tgid}", "Ngid:\t0", f"Pid:\t{t.tid}",
            f"PPid:\t{t.ppid}", "TracerPid:\t0",
            f"Uid:\t{t.creds.uid}\t{t.creds.euid}\t{t.creds.euid}\t{t.creds.euid}",
            f"Gid:\t{t.creds.gid}\t{t.creds.egid}\t{t.creds.egid}\t{t.creds.egid}",
            f"FDSize:\t{max(64, len(t.files.files))}",
            "Groups:\t" + " ".join(str(g) for g in t.creds.groups),
            f"Threads:\t{len(self.kernel.threads_of(t))}",
            f"SigPnd:\t{0:016x}", f"ShdPnd:\t{0:016x}", f"SigBlk:\t{mask:016x}",
            f"SigIgn:\t{t.sig_ignored_mask():016x}", f"SigCgt:\t{t.sig_caught_mask():016x}",
            "CapInh:\t0000000000000000", "CapPrm:\t000001ffffffffff",
            "CapEff:\t000001ffffffffff", "CapBnd:\t000001ffffffffff",
            "CapAmb:\t0000000000000000", "NoNewPrivs:\t0", "Seccomp:\t0",
            f"Cpus_allowed_list:\t0-{os.cpu_count() - 1}",
        ]
        return ("\n".join(lines) + "\n").encode()

    def file_stat(self, t):
        comm = t.comm.decode(errors="replace")
        fields = [t.tid, f"({comm})", "R", t.ppid, t.pgid, t.sid, 0, -1, 0x400000,
                  0, 0, 0, 0, 0, 0, 0, 0, 20, 0, len(self.kernel.threads_of(t)), 0,
                  t.start_ticks, 0, 0, 0xFFFFFFFFFFFFFFFF, 0, 0, 0, t.mm.stack_top, 0, 0,
                  0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        return (" ".join(str(f) for f in fields) + "\n").encode()

    def file_statm(self, t):
        pages = sum(v.end - v.start for v in t.mm.vmas) // 4096
        return f"{pages} 0 0 0 0 0 0\n".encode()
