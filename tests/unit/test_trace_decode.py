"""The strace-style decoding of trace.py, trace_calls.py, trace_structs.py, trace_tables.py
on a fake guest memory (no ptrace): each expected line is what strace -f prints."""

import io
import struct

from umlskas import trace
from umlskas import trace_structs as S
from umlskas import trace_tables as T
from umlskas.kernel.errors import SyscallError
from umlskas.kernel.syscalls.table import BY_NAME


class FakeMM:
    """Guest memory as {address: bytes}; a read inside a block is served from it."""

    def __init__(self, blocks):
        self.blocks = blocks

    def read(self, addr, size):
        for start, data in self.blocks.items():
            if start <= addr and addr + size <= start + len(data):
                return data[addr - start:addr - start + size]
            if start <= addr < start + len(data):
                return data[addr - start:]
        raise SyscallError(14)

    def read_cstr(self, addr, limit):
        return self.read(addr, 1)[:0] + self._cstr(addr)[:limit]

    def _cstr(self, addr):
        for start, data in self.blocks.items():
            if start <= addr < start + len(data):
                return data[addr - start:].split(b"\0")[0]
        raise SyscallError(14)


class FakeKernel:
    def __init__(self, ntasks=1):
        self.tasks = dict.fromkeys(range(1, ntasks + 1))


class FakeTask:
    def __init__(self, blocks=None, tid=1, ntasks=1, sigmask=0):
        self.mm = FakeMM(blocks or {})
        self.tid = self.tgid = tid
        self.kernel = FakeKernel(ntasks)
        self.sigmask = sigmask
        self.blocked = None


def line(name, args, result, blocks=None, **task):
    return trace.format_call(FakeTask(blocks, **task), BY_NAME[name], args, result)


def test_flags_and_constants_are_symbolic():
    assert line("access", [0x1000, 4], -2, {0x1000: b"/etc/ld.so.preload\0"}) == \
        'access("/etc/ld.so.preload", R_OK) = -1 ENOENT (No such file or directory)'
    assert line("arch_prctl", [0x1002, 0x7f0000001740], 0) == \
        "arch_prctl(ARCH_SET_FS, 0x7f0000001740) = 0"
    assert line("ioctl", [1, 0x5401, 0x7ffd00000000], -25) == \
        "ioctl(1, TCGETS, 0x7ffd00000000) = -1 ENOTTY (Inappropriate ioctl for device)"
    assert line("futex", [0x7f0000000010, 129, 1, 0, 0, 0], 0) == \
        "futex(0x7f0000000010, FUTEX_WAKE_PRIVATE, 1) = 0"
    assert line("futex", [0x10000, 0x189, 0, 0, 0, 0xFFFFFFFF], 0) == \
        "futex(0x10000, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, " \
        "FUTEX_BITSET_MATCH_ANY) = 0"
    assert line("clone", [0x1200011, 0, 0, 0x7f0000000a10, 0], 12508) == \
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, " \
        "child_tidptr=0x7f0000000a10) = 12508"
    assert line("fcntl", [3, 2, 1], 0) == "fcntl(3, F_SETFD, FD_CLOEXEC) = 0"
    assert line("fcntl", [3, 3, 0], 0o100002) == \
        "fcntl(3, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)"
    assert line("lseek", [3, 2, 0], 2) == "lseek(3, 2, SEEK_SET) = 2"
    assert line("socket", [1, 0o2000001, 0], 3) == \
        "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3"
    assert line("kill", [7, 15], 0) == "kill(7, SIGTERM) = 0"
    assert line("getrandom", [0x1000, 4, 1], 4, {0x1000: b"\x7b\x85\xdc\xf2"}) == \
        'getrandom("\\x7b\\x85\\xdc\\xf2", 4, GRND_NONBLOCK) = 4'
    assert line("wait4", [-1, 0, 1, 0], 0) == "wait4(-1, NULL, WNOHANG, NULL) = 0"
    assert line("umask", [0o22], 0o22) == "umask(022) = 022"


def test_openat_mode_only_with_creat_and_mmap_offsets_in_hex():
    path = {0x1000: b"/etc/ld.so.cache\0"}
    assert line("openat", [-100, 0x1000, 0o2000000, 0], 3, path) == \
        'openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3'
    assert line("openat", [-100, 0x1000, 0o1101, 0o640], 3, path) == \
        'openat(AT_FDCWD, "/etc/ld.so.cache", O_WRONLY|O_CREAT|O_TRUNC, 0640) = 3'
    assert line("openat", [3, 0x1000, 0o20200002, 0o600], 4, path) == \
        'openat(3, "/etc/ld.so.cache", O_RDWR|O_TMPFILE, 0600) = 4'
    assert line("mmap", [0x7f0000026000, 1400832, 5, 0x812, 3, 0x26000], 0x7f0000026000) == \
        "mmap(0x7f0000026000, 1400832, PROT_READ|PROT_EXEC, " \
        "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x26000) = 0x7f0000026000"
    assert line("mmap", [0, 8192, 3, 0x22, -1, 0], 0x7f0000000000) == \
        "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000"


def test_structs_in_braces():
    stat = struct.pack("<QQQIIIiQqqq", 1, 2, 1, 0o100644, 0, 0, 0, 0, 34607, 4096, 8)
    stat = stat.ljust(144, b"\0")
    assert line("newfstatat", [3, 0x2000, 0x1000, 0x1000], 0,
                {0x1000: stat, 0x2000: b"\0"}) == \
        'newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=34607, ...}, AT_EMPTY_PATH) = 0'
    chr_stat = struct.pack("<QQQIIIiQ", 1, 2, 1, 0o20666, 0, 0, 0, 0x103).ljust(144, b"\0")
    assert S.stat(FakeMM({0x1000: chr_stat}), 0x1000) == \
        "{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}"
    act = struct.pack("<QQQQ", 0x401000, 0x14000000, 0x402000, 1 << 16)
    assert line("rt_sigaction", [17, 0x1000, 0, 8], 0, {0x1000: act}) == \
        "rt_sigaction(SIGCHLD, {sa_handler=0x401000, sa_mask=[CHLD], " \
        "sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x402000}, NULL, 8) = 0"
    assert line("rt_sigprocmask", [2, 0x1000, 0x2000, 8], 0,
                {0x1000: struct.pack("<Q", (1 << 64) - 1 - (1 << 8) - (1 << 18)),
                 0x2000: struct.pack("<Q", 0)}) == \
        "rt_sigprocmask(SIG_SETMASK, ~[KILL STOP], [], 8) = 0"
    assert line("nanosleep", [0x1000, 0], 0, {0x1000: struct.pack("<qq", 0, 1000000)}) == \
        "nanosleep({tv_sec=0, tv_nsec=1000000}, NULL) = 0"
    assert line("prlimit64", [0, 3, 0, 0x1000], 0,
                {0x1000: struct.pack("<QQ", 8192 * 1024, (1 << 64) - 1)}) == \
        "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0"
    uts = b"".join(s.ljust(65, b"\0") for s in (b"Linux", b"box", b"6.18", b"#1", b"x86_64",
                                                  b"(none)"))
    assert line("uname", [0x1000], 0, {0x1000: uts}) == \
        'uname({sysname="Linux", nodename="box", ...}) = 0'
    iov = struct.pack("<QQQQ", 0x2000, 2, 0x3000, 5)
    assert line("writev", [1, 0x1000, 2], 7,
                {0x1000: iov, 0x2000: b"ab", 0x3000: b"cdef\n"}) == \
        'writev(1, [{iov_base="ab", iov_len=2}, {iov_base="cdef\\n", iov_len=5}], 2) = 7'
    fds = struct.pack("<ihh", 3, 1, 1)
    assert line("poll", [0x1000, 1, 5000], 1, {0x1000: fds}) == \
        "poll([{fd=3, events=POLLIN}], 1, 5000) = 1 ([{fd=3, revents=POLLIN}])"
    sun = struct.pack("<H", 1) + b"/run/x\0"
    assert line("connect", [3, 0x1000, len(sun)], 0, {0x1000: sun}) == \
        'connect(3, {sa_family=AF_UNIX, sun_path="/run/x"}, 9) = 0'
    sin = struct.pack("<H", 2) + struct.pack(">H", 80) + bytes([127, 0, 0, 1]) + bytes(8)
    assert S.sockaddr_bytes(sin) == \
        '{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}'
    assert line("wait4", [5, 0x1000, 0, 0], 5, {0x1000: struct.pack("<i", 3 << 8)}) == \
        "wait4(5, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 5"
    assert line("pipe2", [0x1000, 0o2000000], 0, {0x1000: struct.pack("<ii", 3, 4)}) == \
        "pipe2([3, 4], O_CLOEXEC) = 0"


def test_strings_quoted_and_truncated_as_strace():
    data = {0x1000: b"\x7fELF\x02\x01\x01\x03" + bytes(40)}
    assert line("read", [3, 0x1000, 832], 832, data) == \
        'read(3, "\\177ELF\\2\\1\\1\\3\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0' \
        '\\0\\0\\0\\0\\0\\0"..., 832) = 832'
    assert S.quote(b"a\x001") == '"a\\0001"'          # a digit after an escape: 3 digits
    assert line("read", [3, 0x1000, 10], -11) == \
        "read(3, 0x1000, 10) = -1 EAGAIN (Resource temporarily unavailable)"


def test_signal_and_exit_lines_and_pid_prefixes():
    out = io.StringIO()
    tracer = trace.TextTracer(out)
    task = FakeTask(tid=2, ntasks=2)
    info = struct.pack("<iii4xiIiqq", 17, 0, 1, 501, 0, 3, 0, 0).ljust(128, b"\0")
    tracer.event(task, "signal", (17, info))
    tracer.event(task, "exit", 3 << 8)
    tracer.event(FakeTask(tid=1), "exit", 9)
    tracer.event(FakeTask(tid=1), "exit", 11 | 0x80)
    assert out.getvalue().splitlines() == [
        "[pid     2] --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=501, si_uid=0, "
        "si_status=3, si_utime=0, si_stime=0} ---",
        "[pid     2] +++ exited with 3 +++",
        "+++ killed by SIGKILL +++",
        "+++ killed by SIGSEGV (core dumped) +++",
    ]
    kill = struct.pack("<iii4xiI", 15, 0, 0, 7, 0).ljust(128, b"\0")
    assert S.siginfo_bytes(kill) == "{si_signo=SIGTERM, si_code=SI_USER, si_pid=7, si_uid=0}"
    segv = struct.pack("<iii4xQ", 11, 0, 1, 0).ljust(128, b"\0")
    assert S.siginfo_bytes(segv) == "{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL}"


def test_pid_column_for_a_file_and_strace_alignment():
    out = io.StringIO()
    trace.TextTracer(out, pid_column=True)(FakeTask(tid=12), BY_NAME["close"], [3], 0, 1)
    assert out.getvalue() == "12    close(3)" + " " * 26 + "= 0\n"
    assert len(out.getvalue().split("=")[0]) == 40


def test_unfinished_and_resumed_when_lines_interleave():
    out = io.StringIO()
    tracer = trace.TextTracer(out, pid_column=True)
    parent, child = FakeTask(tid=1, ntasks=2), FakeTask(tid=2, ntasks=2)
    status = {0x1000: struct.pack("<i", 7 << 8)}
    parent.mm = FakeMM(status)
    tracer.event(parent, "blocked", (BY_NAME["wait4"], [2, 0x1000, 0, 0]))
    tracer(child, BY_NAME["write"], [1, 0x2000, 0], 0, 1)
    tracer(parent, BY_NAME["wait4"], [2, 0x1000, 0, 0], 2, 1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "1     wait4(2,  <unfinished ...>"
    assert lines[1].startswith("2     write(1, ")
    assert lines[2] == "1     <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, " \
                       "NULL) = 2"


def test_interrupted_calls_show_the_restart_codes():
    assert line("wait4", [-1, 0, 0, 0], -512) == \
        "wait4(-1, NULL, 0, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)"
    assert line("pause", [], -514) == "pause() = ? ERESTARTNOHAND (To be restarted if no handler)"
    assert line("nanosleep", [0, 0], -514) == \
        "nanosleep(NULL, NULL) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)"
    assert line("exit_group", [0], None) == "exit_group(0) = ?"


def test_tables_from_maintained_sources_have_x86_64_values():
    assert T.signal_name(17) == "SIGCHLD" and T.signal_name(34) == "SIGRT_2"
    assert T.signal_name(32) == "SIGRTMIN"
    assert T.RLIMIT_NAMES[15] == "RLIMIT_RTTIME"          # python-ptrace says NLIMITS
    assert T.IOCTL_NAMES[0x5413] == "TIOCGWINSZ"
    assert T.ADDRESS_FAMILIES[1] == "AF_UNIX" and T.ADDRESS_FAMILIES[10] == "AF_INET6"
    assert S.sigset_bits((1 << 64) - 1) == "~[]"
    assert S.sigset_bits((1 << 1) | (1 << 16)) == "[INT CHLD]"
    assert T.open_flags(0o2204000) == "O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY"


def test_a_filter_leaves_out_the_early_and_unfinished_lines_of_other_calls():
    out = io.StringIO()
    text = trace.TextTracer(out)
    tracers = trace.Tracers([text], trace.parse_filter("write"))
    task = FakeTask(tid=1, ntasks=2)
    tracers.event(task, "enter", (BY_NAME["exit_group"], [0]))
    tracers.event(task, "blocked", (BY_NAME["wait4"], [2, 0, 0, 0]))
    tracers(FakeTask(tid=2, ntasks=2), BY_NAME["write"], [1, 0, 0], 0, 1)
    tracers.event(task, "exit", 0)
    assert out.getvalue().splitlines() == ["[pid     2] write(1, NULL, 0)" + " " * 11 + "= 0",
                                           "[pid     1] +++ exited with 0 +++"]


def test_select_shows_its_sets_as_they_were_at_entry():
    out = io.StringIO()
    tracer = trace.TextTracer(out)
    mm = {0x1000: bytearray((1 | 1 << 3).to_bytes(8, "little")),
          0x2000: bytearray(struct.pack("<qq", 1, 0))}
    task = FakeTask(mm)
    args = [4, 0x1000, 0, 0, 0x2000, 0]
    tracer.event(task, "enter", (BY_NAME["pselect6"], args))
    mm[0x1000][:8] = (1 << 3).to_bytes(8, "little")          # the kernel left fd 3 ready
    mm[0x2000][:16] = struct.pack("<qq", 0, 500)
    tracer(task, BY_NAME["pselect6"], args, 1, 1)
    assert out.getvalue() == "pselect6(4, [0 3], NULL, NULL, {tv_sec=1, tv_nsec=0}, NULL) = 1 " \
                             "(in [3], left {tv_sec=0, tv_nsec=500})\n"


def test_statfs_in_full_as_strace():
    raw = struct.pack("<q6Qiiqqq", 0x9FA0, 4096, 0, 0, 0, 0, 0, 0x15, 0, 255, 4096, 0x1020)
    assert S.statfs(FakeMM({0x1000: raw.ljust(120, b"\0")}), 0x1000) == \
        "{f_type=PROC_SUPER_MAGIC, f_bsize=4096, f_blocks=0, f_bfree=0, f_bavail=0, f_files=0, " \
        "f_ffree=0, f_fsid={val=[0x15, 0]}, f_namelen=255, f_frsize=4096, " \
        "f_flags=ST_VALID|ST_RELATIME}"


def test_termios_as_strace_decodes_a_terminal():
    raw = struct.pack("<IIII", 0x500, 0x5, 0xBF, 0x8A3B) + bytes(20)
    assert line("ioctl", [0, 0x5401, 0x1000], 0, {0x1000: raw}) == \
        "ioctl(0, TCGETS, {c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, " \
        "c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, " \
        "...}) = 0"
    assert line("ioctl", [1, 0x5401, 0x1000], -25, {0x1000: raw}) == \
        "ioctl(1, TCGETS, 0x1000) = -1 ENOTTY (Inappropriate ioctl for device)"


def test_descriptor_makers_and_sendfile_offsets():
    assert line("timerfd_create", [1, 0o2004000], 3) == \
        "timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC|TFD_NONBLOCK) = 3"
    assert line("memfd_create", [0x1000, 3], 3, {0x1000: b"m\0"}) == \
        'memfd_create("m", MFD_CLOEXEC|MFD_ALLOW_SEALING) = 3'
    assert line("inotify_add_watch", [3, 0x1000, 0x380], 1, {0x1000: b"/tmp\0"}) == \
        'inotify_add_watch(3, "/tmp", IN_MOVED_TO|IN_CREATE|IN_DELETE) = 1'
    out = io.StringIO()
    tracer = trace.TextTracer(out)
    mm = {0x1000: bytearray(struct.pack("<q", 0))}
    task = FakeTask(mm)
    args = [4, 3, 0x1000, 5]
    tracer.event(task, "enter", (BY_NAME["sendfile"], args))
    mm[0x1000][:8] = struct.pack("<q", 5)
    tracer(task, BY_NAME["sendfile"], args, 5, 1)
    assert out.getvalue() == "sendfile(4, 3, [0] => [5], 5)" + " " * 11 + "= 5\n"
    assert line("personality", [0xFFFFFFFF], 0) == "personality(0xffffffff) = 0 (PER_LINUX)"
