"""Unit tests of the kernel's own /proc (procfs.ProcFs) and /dev (devfs.DevFs), without ptrace."""

import errno
import fcntl
import os
import re
import stat as statmod
import struct
from types import SimpleNamespace

import pytest

from umlskas.kernel.deterministic import SeededRandom, VirtualClock
from umlskas.kernel.devfs import DevFs
from umlskas.kernel.errors import SyscallError
from umlskas.kernel.fdtable import FdTable
from umlskas.kernel.files import (O_CLOEXEC, O_DIRECTORY, O_NOCTTY, O_PATH, O_RDONLY, O_RDWR,
                                  O_WRONLY)
from umlskas.kernel.procfs import LinkNode, ProcDir, ProcFile, ProcFs, ProcLink
from umlskas.kernel.task import FsContext, Process, Task, host_rlimits
from umlskas.kernel.vfs import FileNode

O_LARGEFILE = 0o100000


class FakeMm:
    def __init__(self):
        self.vmas = [SimpleNamespace(start=0x400000, end=0x402000, prot=5, flags=2,
                                     name="/bin/prog", file=None),
                     SimpleNamespace(start=0x600000, end=0x601000, prot=3, flags=2, name="",
                                     file=None),
                     SimpleNamespace(start=0x7ff000, end=0x800000, prot=3, flags=2,
                                     name="[stack]", file=None)]
        self.stack_top = 0x800000
        self.brk_start = 0x601000

    def maps_text(self):
        return "00400000-00402000 r-xp 00000000 00:00 0 /bin/prog\n"

    def locked_pages(self):
        return 0


class FakeKernel:
    def __init__(self, deterministic=False, mounts=None):
        self.tasks = {}
        self.next_pid = 1
        self.deterministic = deterministic
        self.hostname = "guesthost"
        self.domainname = "(none)"
        self.initial_rlimits = host_rlimits()
        self.nr_open = 1048576
        self.clock = VirtualClock() if deterministic else None
        self.rng = SeededRandom(3) if deterministic else None
        if mounts is not None:
            self.vfs = SimpleNamespace(mounts=mounts)

    def random_bytes(self, n):
        return self.rng.bytes(n) if self.rng is not None else os.urandom(n)

    def task_by_vpid(self, vpid):
        return self.tasks.get(vpid)

    def threads_of(self, task):
        return [t for t in self.tasks.values() if t.tgid == task.tgid]

    def processes(self):
        seen = {}
        for t in self.tasks.values():
            seen[id(t.process)] = t.process
        return list(seen.values())

    def spawn(self, tgid=None, cwd="/tmp"):
        tid = self.next_pid
        self.next_pid += 1
        t = Task(self, None, tid, tgid or tid)
        if tgid is None:
            t.process = Process(tid, None)
            t.files = FdTable()
            t.mm = FakeMm()
            t.fs = FsContext(cwd)
        else:
            leader = self.tasks[tgid]
            t.process, t.files, t.mm, t.fs = leader.process, leader.files, leader.mm, leader.fs
        t.process.threads.append(t)
        t.comm = b"prog"
        t.exe = "/bin/prog"
        t.cmdline = b"prog\0arg\0"
        t.environ = b"A=1\0"
        self.tasks[tid] = t
        return t


class FakeFile:
    def __init__(self, path, mode=None, flags=O_RDONLY):
        self.path = path
        if mode is not None:
            self.mode = mode
        self.flags = flags

    def path_name(self):
        return self.path

    def lseek(self, offset, whence):
        return 7

    def stat(self):
        return os.stat_result((statmod.S_IFREG | 0o644, 4242, 1, 1, 0, 0, 0, 0, 0, 0))

    def release(self):
        pass


class Mount:
    def __init__(self, mount_id, parent_id, point, fstype, source, readonly=False, opts=None):
        self.mount_id, self.parent_id, self.point = mount_id, parent_id, point
        self.fstype, self.source, self.readonly = fstype, source, readonly
        self.opts = opts or ("ro" if readonly else "rw")

    def options(self):
        return self.opts


@pytest.fixture
def kernel():
    return FakeKernel()


@pytest.fixture
def fs(kernel):
    return ProcFs(kernel)


def err(fn, *args, **kw):
    with pytest.raises(SyscallError) as info:
        fn(*args, **kw)
    return info.value.errno


def read_all(node, task, flags=O_RDONLY):
    f = node.open(task, flags)
    out = b""
    while True:
        chunk = f.read(5)
        if not chunk:
            return out
        out += chunk


def listing(node, task):
    d = node.open(task, O_RDONLY | O_DIRECTORY)
    data = d.getdents64(65536)
    names, pos = [], 0
    while pos < len(data):
        reclen, = struct.unpack_from("<H", data, pos + 16)
        names.append(data[pos + 19:pos + reclen].split(b"\0", 1)[0].decode())
        pos += reclen
    return names


# ---- the root ---------------------------------------------------------------------------

def test_root_lists_only_guest_pids_and_kernel_files(fs, kernel):
    a = kernel.spawn()
    kernel.spawn(tgid=a.tid)                  # a thread: hidden from the listing
    b = kernel.spawn()
    names = listing(fs.root_node(a), a)
    pids = [n for n in names if n.isdigit()]
    assert pids == [str(a.tid), str(b.tid)]
    assert str(os.getpid()) not in names
    for name in ("self", "thread-self", "cpuinfo", "meminfo", "stat", "uptime", "loadavg",
                 "version", "filesystems", "mounts", "sys"):
        assert name in names
    # Every name in the root listing resolves.
    for name in names[2:]:
        fs.step(a, "/proc/" + name, True)
    st = fs.root_node(a).stat()
    assert statmod.S_ISDIR(st.st_mode) and st.st_ino == 1 and statmod.S_IMODE(st.st_mode) == 0o555


def test_host_pid_and_unknown_names_are_enoent(fs, kernel):
    t = kernel.spawn()
    assert kernel.task_by_vpid(os.getpid()) is None
    assert err(fs.step, t, f"/proc/{os.getpid()}", False) == errno.ENOENT
    for name in ("kcore", "kmsg", "net", "0", "01", "sysrq-trigger", "12345678901"):
        assert err(fs.step, t, "/proc/" + name, False) == errno.ENOENT
    assert err(fs.step, t, "/proc/1/nonesuch", False) == errno.ENOENT
    assert err(fs.step, t, "/proc/sys/kernel/nonesuch", False) == errno.ENOENT


def test_self_thread_self_and_mounts_links(fs, kernel):
    leader = kernel.spawn()
    thread = kernel.spawn(tgid=leader.tid)
    assert fs.step(thread, "/proc/self", False) == str(leader.tid)
    assert fs.step(thread, "/proc/thread-self", False) == f"{leader.tid}/task/{thread.tid}"
    link = fs.step(thread, "/proc/self", True)
    assert isinstance(link, LinkNode) and ProcLink is LinkNode and link.target == str(leader.tid)
    assert statmod.S_ISLNK(link.stat().st_mode)
    assert fs.step(leader, "/proc/mounts", False) == "self/mounts"
    assert err(fs.step, None, "/proc/self", False) == errno.ENOENT


def test_loadavg_counts_guest_tasks(fs, kernel):
    t = kernel.spawn()
    kernel.spawn()
    blocked = kernel.spawn()
    blocked.blocked = ("read", ())
    text = read_all(fs.step(t, "/proc/loadavg", False), t).decode()
    assert re.fullmatch(r"\d+\.\d\d \d+\.\d\d \d+\.\d\d 2/3 3\n", text), text


def test_stat_processes_and_btime(fs, kernel):
    t = kernel.spawn()
    text = read_all(fs.step(t, "/proc/stat", False), t).decode()
    assert text.startswith("cpu ")
    assert "\nprocesses 1\n" in text and "\nprocs_running 1\n" in text
    assert re.search(r"^btime \d+$", text, re.M)


def test_deterministic_root_files_come_from_the_virtual_clock():
    outs = []
    for _ in range(2):
        kernel = FakeKernel(deterministic=True)
        fs = ProcFs(kernel)
        t = kernel.spawn()
        outs.append([read_all(fs.step(t, f"/proc/{name}", False), t)
                     for name in ("uptime", "loadavg", "stat", "meminfo", "version",
                                  "sys/kernel/random/uuid", "sys/kernel/random/boot_id",
                                  "sys/kernel/osrelease")])
    assert outs[0] == outs[1]
    uptime = float(outs[0][0].split()[0])
    assert 1000 <= uptime < 1001                     # deterministic.BOOT_NS: 1000 s
    assert outs[0][1].startswith(b"0.00 0.00 0.00 1/1 1")
    assert b"MemTotal:        8388608 kB" in outs[0][3]
    assert outs[0][4].startswith(b"Linux version 6.1.0-umlskas ")
    assert outs[0][7] == b"6.1.0-umlskas\n"


def test_version_and_sys_kernel_agree_with_uname(fs, kernel):
    t = kernel.spawn()
    u = os.uname()
    assert read_all(fs.step(t, "/proc/sys/kernel/osrelease", False), t) == \
        u.release.encode() + b"\n"
    assert read_all(fs.step(t, "/proc/sys/kernel/version", False), t) == \
        u.version.encode() + b"\n"
    assert read_all(fs.step(t, "/proc/sys/kernel/hostname", False), t) == b"guesthost\n"
    assert read_all(fs.step(t, "/proc/sys/kernel/ostype", False), t) == b"Linux\n"
    assert u.release.encode() in read_all(fs.step(t, "/proc/version", False), t)


def test_sys_tree(fs, kernel):
    t = kernel.spawn()
    assert listing(fs.step(t, "/proc/sys", False), t)[2:] == ["fs", "kernel", "vm"]
    kernel_names = listing(fs.step(t, "/proc/sys/kernel", False), t)
    for name in ("hostname", "domainname", "osrelease", "ostype", "version", "pid_max",
                 "threads-max", "ngroups_max", "cap_last_cap", "random", "overflowuid",
                 "overflowgid", "shmmax"):
        assert name in kernel_names
    for path in ("vm/overcommit_memory", "vm/max_map_count", "fs/file-max", "fs/nr_open",
                 "fs/pipe-max-size", "kernel/pid_max", "kernel/random/entropy_avail"):
        value = read_all(fs.step(t, "/proc/sys/" + path, False), t)
        assert re.fullmatch(rb"\d+\n", value), (path, value)
    uuid = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n")
    node = fs.step(t, "/proc/sys/kernel/random/uuid", False)
    a, b = read_all(node, t), read_all(node, t)
    assert uuid.fullmatch(a) and uuid.fullmatch(b) and a != b          # fresh per read
    boot = fs.step(t, "/proc/sys/kernel/random/boot_id", False)
    assert read_all(boot, t) == read_all(boot, t) and uuid.fullmatch(read_all(boot, t))
    t.creds.fsuid = t.creds.euid = 1000     # sysctl permissions go by the euid (test_perm)
    assert err(fs.step(t, "/proc/sys/kernel/pid_max", False).open, t, O_WRONLY) == errno.EACCES
    assert err(fs.step(t, "/proc/sys/kernel/hostname", False).open, t, O_WRONLY) == errno.EACCES


def test_hostname_write_is_sethostname(fs, kernel):
    t = kernel.spawn()
    f = fs.step(t, "/proc/sys/kernel/hostname", False).open(t, O_WRONLY)
    assert f.write(b"newname\n") == 8
    assert kernel.hostname == "newname"
    assert err(f.write, b"x" * 65) == errno.EINVAL
    t.creds.euid = 1000
    assert err(f.write, b"other") == errno.EPERM


# ---- nodes and files ---------------------------------------------------------------------

def test_read_only_files_and_directories_refuse_writes(fs, kernel):
    t = kernel.spawn()
    status = fs.step(t, "/proc/1/status", False)
    assert isinstance(status, ProcFile) and not status.is_dir
    saved_caps = t.creds.cap_eff
    t.creds.fsuid, t.creds.cap_eff = 1000, 0   # a user: no CAP_DAC_OVERRIDE
    for flags in (O_WRONLY, O_RDWR):
        assert err(status.open, t, flags) == errno.EACCES
    t.creds.fsuid, t.creds.cap_eff = 0, saved_caps   # root may open it, nothing to write
    assert err(status.open(t, O_WRONLY).write, b"x") == errno.EINVAL
    assert err(status.open, t, O_RDONLY | O_DIRECTORY) == errno.ENOTDIR
    d = fs.step(t, "/proc/1", False)
    assert isinstance(d, ProcDir) and d.is_dir
    assert err(d.open, t, O_WRONLY) == errno.EISDIR
    assert err(d.open(t, O_RDONLY).read, 10) == errno.EISDIR
    path_fd = status.open(t, O_PATH)
    assert path_fd.stat().st_ino == status.stat().st_ino
    assert not path_fd.readable


def test_open_file_flags_and_content_made_at_first_read(fs, kernel):
    t = kernel.spawn()
    f = fs.step(t, "/proc/1/comm", False).open(t, O_RDONLY | O_CLOEXEC | O_NOCTTY)
    assert f.flags == O_LARGEFILE
    t.comm = b"later"
    assert f.read(100) == b"later\n" and f.read(100) == b""
    t.comm = b"again"
    assert f.lseek(0, 0) == 0 and f.read(100) == b"again\n"       # a rewind makes it anew
    assert f.pread(3, 1) == b"gai"


def test_stable_inodes_and_owner(fs, kernel):
    t = kernel.spawn()
    t.creds.euid, t.creds.egid = 1000, 100
    a = fs.step(t, "/proc/1/status", False).stat()
    b = fs.step(t, "/proc/1/status", False).stat()
    assert a.st_ino == b.st_ino and a.st_ino != fs.step(t, "/proc/1/stat", False).stat().st_ino
    assert (a.st_uid, a.st_gid) == (1000, 100)
    assert statmod.S_IMODE(a.st_mode) == 0o444
    assert statmod.S_IMODE(fs.step(t, "/proc/1/environ", False).stat().st_mode) == 0o400
    d = fs.step(t, "/proc/1", False).stat()
    assert (d.st_uid, statmod.S_IMODE(d.st_mode), d.st_nlink) == (1000, 0o555, 6)   # fd fdinfo ns task
    assert statmod.S_IMODE(fs.step(t, "/proc/1/fd", False).stat().st_mode) == 0o500


def test_pid_dir_entries_all_resolve(fs, kernel):
    t = kernel.spawn()
    names = listing(fs.step(t, "/proc/1", False), t)
    for name in ("exe", "cwd", "root", "fd", "fdinfo", "maps", "status", "stat", "statm",
                 "cmdline", "environ", "comm", "mounts", "mountinfo", "limits", "cgroup",
                 "oom_score_adj", "task"):
        assert name in names
    for name in names[2:]:
        node = fs.step(t, "/proc/1/" + name, True)
        if isinstance(node, (ProcFile,)):
            read_all(node, t)
        elif isinstance(node, ProcDir):
            listing(node, t)


def test_links_of_a_process(fs, kernel):
    t = kernel.spawn(cwd="/home/x")
    assert fs.step(t, "/proc/1/cwd", False) == "/home/x"
    assert fs.step(t, "/proc/1/root", False) == "/"
    assert fs.step(t, "/proc/1/exe", False) == "/bin/prog"
    assert fs.step(t, "/proc/1/exe", True).target == "/bin/prog"
    t.exe = None
    assert err(fs.step, t, "/proc/1/exe", False) == errno.ENOENT


def test_links_and_mounts_seen_from_a_chroot():
    mounts = [Mount(20, 1, "/", "ext4", "/dev/vda"), Mount(21, 20, "/proc", "proc", "proc"),
              Mount(22, 20, "/srv/jail", "tmpfs", "tmpfs"),
              Mount(23, 22, "/srv/jail/proc", "proc", "proc")]
    kernel = FakeKernel(mounts=mounts)
    fs = ProcFs(kernel)
    outside = kernel.spawn(cwd="/srv/jail/home")
    jailed = kernel.spawn(cwd="/srv/jail/tmp")
    jailed.fs.root = "/srv/jail"
    inside_file = jailed.files.install(FakeFile("/srv/jail/etc/x", statmod.S_IFREG))
    elsewhere = jailed.files.install(FakeFile("/etc/passwd", statmod.S_IFREG))
    assert fs.step(jailed, f"/proc/{jailed.tid}/cwd", True).target == "/tmp"
    assert fs.step(jailed, f"/proc/{jailed.tid}/root", False) == "/"
    assert fs.step(outside, f"/proc/{jailed.tid}/root", False) == "/srv/jail"
    assert fs.step(outside, f"/proc/{jailed.tid}/cwd", False) == "/srv/jail/tmp"
    assert fs.step(jailed, f"/proc/{outside.tid}/cwd", False) == "/home"
    assert fs.step(jailed, f"/proc/{jailed.tid}/fd/{inside_file}", False) == "/etc/x"
    assert fs.step(jailed, f"/proc/{jailed.tid}/fd/{elsewhere}", True).target == "/etc/passwd"
    node = fs.step(jailed, f"/proc/{jailed.tid}/fd/{elsewhere}", False)
    assert isinstance(node, FileNode)              # never re-resolved inside the jail
    text = read_all(fs.step(jailed, f"/proc/{jailed.tid}/mounts", False), jailed).decode()
    assert text.splitlines() == ["tmpfs / tmpfs rw 0 0", "proc /proc proc rw 0 0"]
    info = read_all(fs.step(outside, f"/proc/{outside.tid}/mountinfo", False), outside)
    assert len(info.splitlines()) == 4


def test_tasks_and_threads(fs, kernel):
    leader = kernel.spawn()
    thread = kernel.spawn(tgid=leader.tid)
    other = kernel.spawn()
    assert listing(fs.step(leader, "/proc/1/task", False), leader)[2:] == ["1", "2"]
    tdir = fs.step(leader, "/proc/1/task/2", False)
    assert isinstance(tdir, ProcDir) and "task" not in listing(tdir, leader)
    status = read_all(fs.step(leader, "/proc/1/task/2/status", False), leader).decode()
    assert "\nPid:\t2\n" in status and "\nTgid:\t1\n" in status and "\nThreads:\t2\n" in status
    assert err(fs.step, leader, f"/proc/1/task/{other.tid}", False) == errno.ENOENT
    # /proc/TID works for a thread, as on Linux, though the root does not list it.
    assert isinstance(fs.step(leader, f"/proc/{thread.tid}", False), ProcDir)


def test_fd_and_fdinfo(fs, kernel):
    t = kernel.spawn()
    reg = t.files.install(FakeFile("/etc/passwd", statmod.S_IFREG | 0o644, O_RDWR))
    pipe = t.files.install(FakeFile("pipe:[77]", None, O_WRONLY), cloexec=True)
    assert listing(fs.step(t, "/proc/1/fd", False), t)[2:] == [str(reg), str(pipe)]
    assert fs.step(t, f"/proc/1/fd/{reg}", False) == "/etc/passwd"
    node = fs.step(t, f"/proc/1/fd/{pipe}", False)
    assert isinstance(node, FileNode) and node.file is t.files.get(pipe)
    link = fs.step(t, f"/proc/1/fd/{pipe}", True)
    assert link.target == "pipe:[77]"
    assert statmod.S_IMODE(link.stat().st_mode) == 0o300          # l-wx------
    assert statmod.S_IMODE(fs.step(t, f"/proc/1/fd/{reg}", True).stat().st_mode) == 0o700
    info = read_all(fs.step(t, f"/proc/1/fdinfo/{pipe}", False), t).decode()
    assert info == "pos:\t7\nflags:\t02000001\nmnt_id:\t13\nino:\t4242\n"
    assert err(fs.step, t, "/proc/1/fd/99", False) == errno.ENOENT
    assert err(fs.step, t, f"/proc/1/fd/0{reg}", False) == errno.ENOENT


def test_fd_listing_is_taken_when_read(fs, kernel):
    t = kernel.spawn()
    d = fs.step(t, "/proc/1/fd", False).open(t, O_RDONLY)
    t.files.install(d)
    names = [n for n in listing_of_open(d)]
    assert names[2:] == ["0"]


def listing_of_open(d):
    data = d.getdents64(4096)
    pos = 0
    while pos < len(data):
        reclen, = struct.unpack_from("<H", data, pos + 16)
        yield data[pos + 19:pos + reclen].split(b"\0", 1)[0].decode()
        pos += reclen


def test_status_stat_statm(fs, kernel):
    t = kernel.spawn()
    t.sigmask = 1 << 1
    status = read_all(fs.step(t, "/proc/1/status", False), t).decode()
    fields = dict(line.split(":\t", 1) for line in status.splitlines())
    assert fields["Name"] == "prog" and fields["State"] == "R (running)"
    assert fields["Pid"] == "1" and fields["PPid"] == "0" and fields["SigBlk"] == "0000000000000002"
    assert fields["Uid"] == "\t".join([str(os.getuid())] * 4)
    assert fields["Groups"].endswith(" ")
    assert fields["VmExe"].strip() == "8 kB" and fields["VmStk"].strip() == "4 kB"
    for key in ("Umask", "Tgid", "VmSize", "VmRSS", "Threads", "SigCgt", "CapEff",
                "Cpus_allowed_list", "NSpid"):
        assert key in fields
    stat = read_all(fs.step(t, "/proc/1/stat", False), t).decode().split()
    assert len(stat) == 52 and stat[:5] == ["1", "(prog)", "R", "0", "1"]
    assert int(stat[22]) == 0x4000 and stat[25] == str(0x400000) and stat[26] == str(0x402000)
    t.blocked = ("wait4", ())
    assert read_all(fs.step(t, "/proc/1/stat", False), t).split()[2] == b"S"
    statm = read_all(fs.step(t, "/proc/1/statm", False), t).split()
    assert len(statm) == 7 and statm[0] == b"4"


def test_cmdline_environ_comm_and_comm_write(fs, kernel):
    t = kernel.spawn()
    other = kernel.spawn()
    assert read_all(fs.step(t, "/proc/1/cmdline", False), t) == b"prog\0arg\0"
    assert read_all(fs.step(t, "/proc/1/environ", False), t) == b"A=1\0"
    f = fs.step(t, "/proc/1/comm", False).open(t, O_WRONLY)
    assert f.write(b"a-very-long-name-indeed") == 23
    assert t.comm == b"a-very-long-nam"
    g = fs.step(other, "/proc/1/comm", False).open(other, O_WRONLY)
    assert err(g.write, b"x") == errno.EINVAL


def test_oom_score_adj(fs, kernel):
    t = kernel.spawn()
    node = fs.step(t, "/proc/1/oom_score_adj", False)
    assert read_all(node, t) == b"0\n"
    f = node.open(t, O_WRONLY)
    assert f.write(b"-500\n") == 5
    assert read_all(node, t) == b"-500\n"
    assert err(f.write, b"1001") == errno.EINVAL
    assert err(f.write, b"abc") == errno.EINVAL
    assert read_all(fs.step(t, "/proc/1/cgroup", False), t) == b"0::/\n"


def test_limits_match_linux_layout(fs, kernel):
    t = kernel.spawn()
    ours = read_all(fs.step(t, "/proc/1/limits", False), t)
    with open("/proc/self/limits", "rb") as f:
        assert ours == f.read()


def test_mounts_and_mountinfo_formats():
    mounts = [Mount(20, 1, "/", "overlay", "overlay", opts="rw,relatime"),
              Mount(21, 20, "/proc", "proc", "proc", opts="rw,nosuid,nodev,noexec,relatime"),
              Mount(22, 20, "/mnt/with space", "ext4", "/src dir", readonly=True,
                    opts="ro,relatime")]
    kernel = FakeKernel(mounts=mounts)
    fs = ProcFs(kernel)
    t = kernel.spawn()
    assert read_all(fs.step(t, "/proc/1/mounts", False), t).decode().splitlines() == [
        "overlay / overlay rw,relatime 0 0",
        "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
        "/src\\040dir /mnt/with\\040space ext4 ro,relatime 0 0"]
    info = read_all(fs.step(t, "/proc/1/mountinfo", False), t).decode().splitlines()
    assert len(info) == 3
    pat = re.compile(r"(\d+) (\d+) (\d+):(\d+) / (\S+) (\S+) - (\S+) (\S+) (rw|ro)")
    parsed = [pat.fullmatch(line).groups() for line in info]
    assert [(p[0], p[1], p[4], p[6], p[8]) for p in parsed] == [
        ("20", "1", "/", "overlay", "rw"), ("21", "20", "/proc", "proc", "rw"),
        ("22", "20", "/mnt/with\\040space", "ext4", "ro")]
    t.files.install(FakeFile("/proc/1/status", statmod.S_IFREG))
    assert "mnt_id:\t21\n" in read_all(fs.step(t, "/proc/1/fdinfo/0", False), t).decode()


def test_mounts_fallback_is_one_root():
    kernel = FakeKernel()
    fs = ProcFs(kernel)
    t = kernel.spawn()
    assert read_all(fs.step(t, "/proc/1/mounts", False), t) == b"rootfs / rootfs rw 0 0\n"


def test_old_open_signature_still_works(fs, kernel):
    t = kernel.spawn()
    assert fs.step(t, "/proc/1/comm", False).open(None, 0).read(10) == b"prog\n"
    assert b"." in fs.step(t, "/proc/1", False).open(None, 0).getdents64(4096)


# ---- /dev ----------------------------------------------------------------------------------

@pytest.fixture
def dev(kernel):
    return DevFs(kernel, stdio_fds=())


def test_dev_root(dev, kernel):
    t = kernel.spawn()
    names = listing(dev.root_node(t), t)[2:]
    assert names == sorted(["null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts",
                            "shm", "fd", "stdin", "stdout", "stderr"])
    for name in names:
        dev.step(t, "/dev/" + name, True)
    for name in ("sda", "kmsg", "mem", "console", "loop0", "tty1"):
        assert err(dev.step, t, "/dev/" + name, False) == errno.ENOENT
    assert dev.step(t, "/dev/fd", False) == "/proc/self/fd"
    assert dev.step(t, "/dev/stderr", False) == "/proc/self/fd/2"
    assert dev.step(t, "/dev/stdin", True).target == "/proc/self/fd/0"
    assert err(dev.step, t, "/dev/null/x", False) == errno.ENOTDIR
    shm = dev.step(t, "/dev/shm", False)
    assert shm.is_dir and statmod.S_IMODE(shm.stat().st_mode) == 0o1777


@pytest.mark.parametrize("name,rdev", [("null", (1, 3)), ("zero", (1, 5)), ("full", (1, 7)),
                                       ("random", (1, 8)), ("urandom", (1, 9)),
                                       ("tty", (5, 0)), ("ptmx", (5, 2))])
def test_dev_node_stat(dev, kernel, name, rdev):
    t = kernel.spawn()
    st = dev.step(t, "/dev/" + name, False).stat()
    assert statmod.S_ISCHR(st.st_mode) and statmod.S_IMODE(st.st_mode) == 0o666
    assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == rdev
    host = os.stat("/dev/" + name)
    assert host.st_rdev == st.st_rdev


def test_memory_devices(dev, kernel):
    t = kernel.spawn()
    null = dev.step(t, "/dev/null", False).open(t, O_RDWR)
    assert null.read(10) == b"" and null.write(b"abc") == 3 and null.lseek(5, 0) == 0
    assert null.stat().st_rdev == os.makedev(1, 3) and null.flags == O_RDWR | O_LARGEFILE
    zero = dev.step(t, "/dev/zero", False).open(t, O_RDWR)
    assert zero.read(5) == b"\0" * 5 and zero.write(b"x") == 1
    full = dev.step(t, "/dev/full", False).open(t, O_RDWR)
    assert full.read(3) == b"\0\0\0" and err(full.write, b"x") == errno.ENOSPC
    rnd = dev.step(t, "/dev/urandom", False).open(t, O_RDONLY)
    a, b = rnd.read(16), rnd.read(16)
    assert len(a) == 16 and a != b
    assert err(rnd.write, b"x") == errno.EBADF
    assert err(dev.step(t, "/dev/null", False).open, t, O_DIRECTORY) == errno.ENOTDIR


def test_urandom_is_seeded_in_a_deterministic_run():
    outs = []
    for _ in range(2):
        kernel = FakeKernel(deterministic=True)
        d = DevFs(kernel, stdio_fds=())
        t = kernel.spawn()
        outs.append(d.step(t, "/dev/urandom", False).open(t, O_RDONLY).read(32))
    assert outs[0] == outs[1] == SeededRandom(3).bytes(32)


def test_pts_shows_only_the_guests_ptys(dev, kernel):
    t = kernel.spawn()
    # A pty of the host that the guest did not make stays invisible.
    host_master, host_slave = os.openpty()
    try:
        host_n = int(os.ttyname(host_slave).rsplit("/", 1)[1])
        assert listing(dev.step(t, "/dev/pts", False), t)[2:] == ["ptmx"]
        assert err(dev.step, t, f"/dev/pts/{host_n}", False) == errno.ENOENT
        master = dev.step(t, "/dev/ptmx", False).open(t, O_RDWR | O_NOCTTY)
        n = master.number
        assert master.path == "/dev/ptmx" and n != host_n
        assert listing(dev.step(t, "/dev/pts", False), t)[2:] == ["ptmx", str(n)]
        node = dev.step(t, f"/dev/pts/{n}", False)
        fcntl.ioctl(master.host_fd, 0x40045431, struct.pack("i", 0))       # unlockpt
        slave = node.open(t, O_RDWR | O_NOCTTY)
        assert slave.path == f"/dev/pts/{n}"
        assert (slave.stat().st_ino, slave.stat().st_rdev) == (node.stat().st_ino,
                                                               node.stat().st_rdev)
        os.write(slave.host_fd, b"hi\n")
        assert b"hi" in os.read(master.host_fd, 100)
        slave.release()
        master.release()
        assert err(dev.step, t, f"/dev/pts/{n}", False) == errno.ENOENT
    finally:
        os.close(host_master)
        os.close(host_slave)


def test_inherited_stdio_pty_is_visible(kernel):
    master, slave = os.openpty()
    try:
        n = int(os.ttyname(slave).rsplit("/", 1)[1])
        d = DevFs(kernel, stdio_fds=(slave,))
        t = kernel.spawn()
        assert str(n) in listing(d.step(t, "/dev/pts", False), t)
        assert d.step(t, f"/dev/pts/{n}", False).stat().st_rdev == os.fstat(slave).st_rdev
    finally:
        os.close(master)
        os.close(slave)


class MemTask:
    """Enough of a task for an ioctl: guest memory as a dict of writes."""

    def __init__(self, task):
        self.task = task
        self.written = {}

    def __getattr__(self, name):
        return getattr(self.task, name)

    @property
    def mm(self):
        outer = self

        class Mm:
            def write(self, addr, data):
                outer.written[addr] = data

            def read(self, addr, size):
                return outer.written.get(addr, b"\0" * size)
        return Mm()


def test_ptmx_ioctls_and_peer(dev, kernel):
    t = kernel.spawn()
    mt = MemTask(t)
    master = dev.step(t, "/dev/ptmx", False).open(t, O_RDWR | O_NOCTTY)
    try:
        assert master.ioctl(mt, 0x80045430, 0x1000) == 0                   # TIOCGPTN
        assert struct.unpack("<I", mt.written[0x1000])[0] == master.number
        mt.written[0x2000] = struct.pack("<i", 0)
        assert master.ioctl(mt, 0x40045431, 0x2000) == 0                   # TIOCSPTLCK
        fd = master.ioctl(mt, 0x5441, O_RDWR | O_NOCTTY | O_CLOEXEC)        # TIOCGPTPEER
        peer = t.files.get(fd)
        assert fd in t.files.cloexec and peer.path == f"/dev/pts/{master.number}"
        assert os.fstat(peer.host_fd).st_rdev == \
            dev.step(t, f"/dev/pts/{master.number}", False).stat().st_rdev
        assert peer.ioctl(mt, 0x5401, 0x3000) == 0                          # TCGETS
        assert len(mt.written[0x3000]) == 36
        assert peer.ioctl(mt, 0x540E, 0) == 0                               # TIOCSCTTY
        assert dev.session_tty[t.sid] == master.number
        tty = dev.step(t, "/dev/tty", False).open(t, O_RDWR)
        assert tty.path == "/dev/tty" and os.fstat(tty.host_fd).st_rdev == \
            os.fstat(peer.host_fd).st_rdev
        tty.release()
        t.files.close(fd)
    finally:
        master.release()
    assert dev.session_tty[t.sid] is None
    assert err(dev.step(t, "/dev/tty", False).open, t, O_RDWR) == errno.ENXIO


def test_tty_of_a_new_session_without_a_terminal(dev, kernel):
    kernel.spawn()
    other = kernel.spawn()
    assert other.sid == 2
    assert err(dev.step(other, "/dev/tty", False).open, other, O_RDWR) == errno.ENXIO


def test_tty_without_a_controlling_terminal(dev, kernel):
    t = kernel.spawn()
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError as e:
        assert err(dev.step(t, "/dev/tty", False).open, t, O_RDWR) == e.errno
    else:
        os.close(fd)
        dev.step(t, "/dev/tty", False).open(t, O_RDWR).release()
