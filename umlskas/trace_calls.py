"""Per-syscall argument formatters for the text trace, as strace decodes each call.

FORMATTERS maps a syscall name to fn(call) -> [argument texts]; a formatter may set
call.suffix (text after the result, as poll's " ([{fd=3, revents=POLLIN}])") or
call.result_text (fcntl F_GETFL's "0x2 (flags O_RDWR)"). Calls without one are
formatted from the table's argument kinds (trace.decode_arg)."""

from . import trace_structs as S
from . import trace_tables as T
from .trace_structs import addr, quote

AT_FDCWD = -100


class Call:
    """One finished (or abandoned: result None) call being formatted."""

    __slots__ = ("task", "mm", "entry", "args", "result", "suffix", "result_text", "default",
                 "captured")

    def __init__(self, task, entry, args, result, default, captured=None):
        self.task = task
        self.mm = task.mm
        self.entry = entry
        self.args = args
        self.result = result
        self.suffix = ""
        self.result_text = None
        self.default = default          # default(i): argument i formatted by its kind
        self.captured = captured        # what CAPTURE_AT_ENTRY read when the call began

    @property
    def ok(self):
        """The call returned (not an error, not unfinished): its outputs are readable."""
        return self.result is not None and not -4096 < self.result < 0

    def int(self, i):
        v = self.args[i] & 0xFFFFFFFF
        return v - (1 << 32) if v & 0x80000000 else v

    def uint(self, i):
        return self.args[i] & 0xFFFFFFFF

    def ulong(self, i):
        return self.args[i] & 0xFFFFFFFFFFFFFFFF

    def ptr(self, i):
        return addr(self.ulong(i))

    def out(self, i, decoder, *extra):
        """An output struct: decoded when the call succeeded, else its address."""
        value = self.ulong(i)
        if not self.ok or not value:
            return addr(value)
        return decoder(self.mm, value, *extra)

    def inp(self, i, decoder, *extra):
        value = self.ulong(i)
        return decoder(self.mm, value, *extra) if value else "NULL"

    def string(self, i, limit=S.STRING_LIMIT):
        value = self.ulong(i)
        if not value:
            return "NULL"
        try:
            return quote(self.mm.read_cstr(value, 4096), limit)
        except Exception:
            return addr(value)

    def path(self, i):
        return self.string(i, 4096)

    def dirfd(self, i):
        v = self.int(i)
        return "AT_FDCWD" if v == AT_FDCWD else str(v)


def _sig(c, i):
    return T.signal_name(c.int(i)) if 0 < c.int(i) <= 64 else str(c.int(i))


def _open_mode(c, flags_i, mode_i):
    flags = c.int(flags_i)
    shown = [T.open_flags(flags & 0xFFFFFFFF)]
    if flags & T.O_CREAT or flags & T.O_TMPFILE == T.O_TMPFILE:
        shown.append(S.octal(c.uint(mode_i)))
    return shown


def _buf_out(c, i, size_i):
    """A buffer the kernel filled: its first result bytes, quoted."""
    if not c.ok:
        return c.ptr(i)
    data = S.read(c.mm, c.ulong(i), min(c.result, S.STRING_LIMIT + 1))
    return c.ptr(i) if data is None else quote(data)


def _buf_in(c, i, size):
    if not c.ulong(i):
        return "NULL"
    data = S.read(c.mm, c.ulong(i), min(size, S.STRING_LIMIT + 1)) if size else b""
    return c.ptr(i) if data is None else quote(data)


def f_openat(c):
    return [c.dirfd(0), c.path(1)] + _open_mode(c, 2, 3)


def f_open(c):
    return [c.path(0)] + _open_mode(c, 1, 2)


def f_creat(c):
    return [c.path(0), S.octal(c.uint(1))]


def f_read(c):
    return [str(c.int(0)), _buf_out(c, 1, 2), str(c.ulong(2))]


def f_pread(c):
    return f_read(c) + [str(c.args[3])]


def f_write(c):
    return [str(c.int(0)), _buf_in(c, 1, c.ulong(2)), str(c.ulong(2))]


def f_pwrite(c):
    return f_write(c) + [str(c.args[3])]


def f_readv(c):
    data = c.result if c.ok else 0
    iov = S.iovec(c.mm, c.ulong(1), c.ulong(2), data) if c.ok else c.ptr(1)
    return [str(c.int(0)), iov, str(c.ulong(2))]


def f_writev(c):
    return [str(c.int(0)), S.iovec(c.mm, c.ulong(1), c.ulong(2)), str(c.ulong(2))]


def f_preadv(c):
    return f_readv(c) + [str(c.args[3])]


def f_pwritev(c):
    return f_writev(c) + [str(c.args[3])]


def f_stat(c):
    return [c.path(0), c.out(1, S.stat)]


def f_fstat(c):
    return [str(c.int(0)), c.out(1, S.stat)]


def f_newfstatat(c):
    return [c.dirfd(0), c.path(1), c.out(2, S.stat), T.flags(c.int(3), T.AT_FLAGS)]


def f_statx(c):
    flags = c.int(2)
    shown = T.flags(flags & ~0x6000, T.AT_FLAGS, "")
    sync = {0: "AT_STATX_SYNC_AS_STAT", 0x2000: "AT_STATX_FORCE_SYNC",
            0x4000: "AT_STATX_DONT_SYNC"}.get(flags & 0x6000, hex(flags & 0x6000))
    shown = sync + ("|" + shown if shown else "")
    return [c.dirfd(0), c.path(1), shown, S.statx_mask(c.uint(3)), c.out(4, S.statx)]


def f_access(c):
    return [c.path(0), T.flags(c.int(1), T.ACCESS_MODES, "F_OK")]


def f_faccessat(c):
    return [c.dirfd(0), c.path(1), T.flags(c.int(2), T.ACCESS_MODES, "F_OK")]


def f_faccessat2(c):
    return f_faccessat(c) + [T.flags(c.int(3), T.AT_FLAGS)]


def f_lseek(c):
    return [str(c.int(0)), str(c.args[1]), T.enum(c.int(2), T.SEEK_WHENCE)]


def f_mmap(c):
    prot = T.flags(c.ulong(2), T.PROT_FLAGS, "PROT_NONE")
    fl = c.ulong(3)
    kind = T.MAP_TYPES.get(fl & 0xF, hex(fl & 0xF))
    rest = T.flags(fl & ~0xF, T.MAP_FLAGS, "")
    off = c.ulong(5)
    return [c.ptr(0), str(c.ulong(1)), prot, kind + ("|" + rest if rest else ""),
            str(c.int(4)), hex(off) if off else "0"]


def f_mprotect(c):
    return [c.ptr(0), str(c.ulong(1)), T.flags(c.ulong(2), T.PROT_FLAGS, "PROT_NONE")]


def f_mremap(c):
    shown = [c.ptr(0), str(c.ulong(1)), str(c.ulong(2)),
             T.flags(c.ulong(3), T.MREMAP_FLAGS)]
    if c.ulong(3) & 2:
        shown.append(c.ptr(4))
    return shown


def f_madvise(c):
    return [c.ptr(0), str(c.ulong(1)), T.enum(c.int(2), T.MADVICE, "{:#x}")]


def f_msync(c):
    return [c.ptr(0), str(c.ulong(1)), T.flags(c.int(2), T.MSYNC_FLAGS)]


def f_brk(c):
    return [c.ptr(0)]


def f_rt_sigaction(c):
    return [_sig(c, 0), c.inp(1, S.sigaction), c.out(2, S.sigaction), str(c.ulong(3))]


def f_rt_sigprocmask(c):
    size = c.ulong(3)
    return [T.enum(c.int(0), T.SIGPROCMASK_HOW, "{}"), c.inp(1, S.sigset, size),
            c.out(2, S.sigset, size), str(size)]


def f_rt_sigsuspend(c):
    return [c.inp(0, S.sigset, c.ulong(1)), str(c.ulong(1))]


def f_rt_sigpending(c):
    return [c.out(0, S.sigset, c.ulong(1)), str(c.ulong(1))]


def f_rt_sigreturn(c):
    # strace shows the mask the frame restores (read before the frame is gone).
    return ["{mask=" + S.sigset_bits(c.task.sigmask) + "}"]


def f_sigaltstack(c):
    return [c.inp(0, S.stack_t), c.out(1, S.stack_t)]


def f_rt_sigtimedwait(c):
    return [c.inp(0, S.sigset, c.ulong(3)), c.out(1, S.siginfo), c.inp(2, S.timespec),
            str(c.ulong(3))]


def f_rt_sigqueueinfo(c):
    return [str(c.int(0)), _sig(c, 1), c.inp(2, S.siginfo)]


def f_ioctl(c):
    cmd = c.uint(1)
    name = T.IOCTL_NAMES.get(cmd)
    shown = [str(c.int(0)), name or hex(cmd)]
    if name == "TCGETS":
        shown.append(c.out(2, S.termios))
    elif name in ("TCSETS", "TCSETSW", "TCSETSF"):
        shown.append(c.inp(2, S.termios))
    elif name == "TIOCGWINSZ":
        shown.append(c.out(2, S.winsize))
    elif name in ("TIOCSWINSZ",):
        shown.append(c.inp(2, S.winsize))
    elif name in ("TIOCGPGRP", "TIOCSPGRP", "FIONREAD", "TIOCGSID", "TIOCGPTN"):
        shown.append(c.out(2, S.int_at) if name != "TIOCSPGRP" else c.inp(2, S.int_at))
    elif name in ("FIONBIO", "FIOASYNC", "TIOCSPTLCK"):
        shown.append(c.inp(2, S.int_at))
    elif name in ("FIOCLEX", "FIONCLEX"):
        pass
    elif name in ("TIOCSCTTY", "BTRFS_IOC_CLONE or FICLONE"):
        shown.append(str(c.ulong(2)))
    else:
        shown.append(c.ptr(2))
    return shown


def f_fcntl(c):
    cmd = c.int(1)
    name = T.FCNTL_COMMANDS.get(cmd)
    shown = [str(c.int(0)), name or hex(cmd)]
    if name in ("F_SETFD",):
        shown.append(T.flags(c.ulong(2), T.FD_FLAGS))
    elif name == "F_SETFL":
        shown.append(T.open_flags(c.uint(2)))
    elif name in ("F_DUPFD", "F_DUPFD_CLOEXEC", "F_SETOWN", "F_SETSIG", "F_SETPIPE_SZ",
                  "F_SETLEASE", "F_NOTIFY", "F_ADD_SEALS"):
        shown.append(str(c.int(2)))
    elif name in ("F_GETFD", "F_GETFL", "F_GETOWN", "F_GETSIG", "F_GETPIPE_SZ",
                  "F_GETLEASE", "F_GET_SEALS"):
        pass
    else:
        shown.append(c.ptr(2))
    if c.ok and name == "F_GETFD":
        c.result_text = f"{c.result:#x} (flags {T.flags(c.result, T.FD_FLAGS)})" \
            if c.result else "0"
    elif c.ok and name == "F_GETFL":
        c.result_text = f"{c.result:#x} (flags {T.open_flags(c.result)})"
    return shown


def f_dup3(c):
    return [str(c.int(0)), str(c.int(1)), T.flags(c.int(2), [(0o2000000, "O_CLOEXEC")])]


def f_pipe(c):
    return [c.out(0, S.fd_pair)]


def f_pipe2(c):
    return [c.out(0, S.fd_pair), T.flags(c.int(1) & ~3, T.OPEN_FLAGS) if c.int(1) else "0"]


def f_poll(c):
    n = c.uint(1)
    if c.ok and c.result > 0:
        c.suffix = f" ({S.pollfds(c.mm, c.ulong(0), n, revents=True)})"
    elif c.ok and c.result == 0:
        c.suffix = " (Timeout)"
    return [S.pollfds(c.mm, c.ulong(0), n), str(n), str(c.int(2))]


def f_ppoll(c):
    n = c.uint(1)
    if c.ok and c.result > 0:
        c.suffix = f" ({S.pollfds(c.mm, c.ulong(0), n, revents=True)})"
    elif c.ok and c.result == 0:
        c.suffix = " (Timeout)"
    return [S.pollfds(c.mm, c.ulong(0), n), str(n), c.inp(2, S.timespec),
            c.inp(3, S.sigset, c.ulong(4)), str(c.ulong(4))]


def f_wait4(c):
    status = c.ptr(1)
    if c.ok and c.result > 0 and c.ulong(1):
        raw = S.read(c.mm, c.ulong(1), 4)
        if raw is not None:
            status = S.wait_status(int.from_bytes(raw, "little"))
    rusage = c.out(3, S.rusage)
    return [str(c.int(0)), status, T.flags(c.int(2), T.WAIT4_OPTIONS), rusage]


def f_waitid(c):
    return [T.enum(c.int(0), T.IDTYPES, "{}"), str(c.int(1)), c.out(2, S.siginfo),
            T.flags(c.int(3), T.WAIT_OPTIONS), c.ptr(4)]


def f_kill(c):
    return [str(c.int(0)), _sig(c, 1)]


def f_tgkill(c):
    return [str(c.int(0)), str(c.int(1)), _sig(c, 2)]


def _clone_flags(flags):
    sig = flags & 0xFF
    rest = T.flags(flags & ~0xFF, T.CLONE_FLAGS, "")
    if sig:
        rest = rest + ("|" if rest else "") + T.signal_name(sig)
    return rest or "0"


def f_clone(c):
    flags = c.ulong(0)
    shown = [f"child_stack={c.ptr(1)}", f"flags={_clone_flags(flags)}"]
    if flags & 0x101000:                                  # PARENT_SETTID, PIDFD
        value = c.ptr(2)
        if c.ok and c.ulong(2):
            raw = S.read(c.mm, c.ulong(2), 4)
            if raw is not None:
                value = f"[{int.from_bytes(raw, 'little', signed=True)}]"
        shown.append(f"parent_tid={value}")
    if flags & 0x1200000:                                 # CHILD_SETTID, CHILD_CLEARTID
        shown.append(f"child_tidptr={c.ptr(3)}")
    if flags & 0x80000:
        shown.append(f"tls={c.ptr(4)}")
    return shown


def f_clone3(c):
    raw = S.read(c.mm, c.ulong(0), min(c.ulong(1), 88))
    if raw is None or len(raw) < 64:
        return [c.ptr(0), str(c.ulong(1))]
    import struct
    (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
     tls) = struct.unpack_from("<8Q", raw)
    parts = [f"flags={T.flags(flags, T.CLONE_FLAGS)}"]
    if flags & 0x1000:
        parts.append(f"pidfd={addr(pidfd)}")
    if flags & 0x1200000:
        parts.append(f"child_tid={addr(child_tid)}")
    if flags & 0x100000:
        parts.append(f"parent_tid={addr(parent_tid)}")
    parts.append(f"exit_signal={T.signal_name(exit_signal) if exit_signal else 0}")
    parts += [f"stack={addr(stack)}", f"stack_size={stack_size:#x}"]
    if flags & 0x80000:
        parts.append(f"tls={addr(tls)}")
    text = "{" + ", ".join(parts) + "}"
    if c.ok and flags & 0x100000 and parent_tid:
        got = S.read(c.mm, parent_tid, 4)
        if got is not None:
            text += f" => {{parent_tid=[{int.from_bytes(got, 'little', signed=True)}]}}"
    return [text, str(c.ulong(1))]


def f_arch_prctl(c):
    code = c.int(0)
    name = T.ARCH_PRCTL.get(code, hex(code))
    if code in (0x1003, 0x1004) and c.ok:
        raw = S.read(c.mm, c.ulong(1), 8)
        return [name, f"[{addr(int.from_bytes(raw, 'little'))}]" if raw else c.ptr(1)]
    return [name, c.ptr(1)]


def f_prctl(c):
    op = c.int(0)
    name = T.PRCTL_OPTIONS.get(op)
    if name is None:
        return [hex(op & 0xFFFFFFFF)] + [hex(c.ulong(i)) for i in range(1, 5)]
    if name in ("PR_SET_NAME",):
        return [name, c.string(1, 16)]
    if name == "PR_GET_NAME":
        return [name, c.out(1, lambda mm, a: quote(S.read(mm, a, 16) or b"", 16,
                                                    nul_ends=True))]
    if name in ("PR_SET_PDEATHSIG",):
        return [name, _sig(c, 1)]
    if name.startswith("PR_GET") and name not in ("PR_GET_PDEATHSIG",):
        return [name]
    return [name, str(c.ulong(1))] if name != "PR_GET_PDEATHSIG" else [name, c.ptr(1)]


def f_set_tid_address(c):
    return [c.ptr(0)]


def f_set_robust_list(c):
    return [c.ptr(0), str(c.ulong(1))]


def f_rseq(c):
    return [c.ptr(0), hex(c.uint(1)), str(c.int(2)), hex(c.uint(3))]


def f_futex(c):
    op = c.int(1)
    cmd = op & 0x7F
    shown = [c.ptr(0), T.futex_op(op & 0xFFFFFFFF), str(c.uint(2))]
    if cmd in (0, 11):                                    # WAIT, WAIT_REQUEUE_PI
        shown.append(c.inp(3, S.timespec))
        if cmd == 11:
            shown.append(c.ptr(4))
    elif cmd == 9:                                        # WAIT_BITSET: no uaddr2
        bits = c.uint(5)
        shown += [c.inp(3, S.timespec),
                  "FUTEX_BITSET_MATCH_ANY" if bits == 0xFFFFFFFF else hex(bits)]
    elif cmd in (3, 4, 12):
        shown += [str(c.ulong(3)), c.ptr(4)]
        if cmd in (4, 12):
            shown.append(str(c.uint(5)))
    elif cmd == 10:
        shown += [c.ptr(3), c.ptr(4), hex(c.uint(5))]
    elif cmd == 5:
        shown += [str(c.ulong(3)), c.ptr(4), hex(c.uint(5))]
    elif cmd in (6, 8, 13):
        shown = [c.ptr(0), T.futex_op(op & 0xFFFFFFFF)]
        if cmd != 8:
            shown.append(c.inp(3, S.timespec))
    elif cmd == 7:
        shown = [c.ptr(0), T.futex_op(op & 0xFFFFFFFF)]
    return shown


def f_getrlimit(c):
    return [T.enum(c.int(0), T.RLIMIT_NAMES, "{}"), c.out(1, S.rlimit)]


def f_setrlimit(c):
    return [T.enum(c.int(0), T.RLIMIT_NAMES, "{}"), c.inp(1, S.rlimit)]


def f_prlimit64(c):
    return [str(c.int(0)), T.enum(c.int(1), T.RLIMIT_NAMES, "{}"), c.inp(2, S.rlimit),
            c.out(3, S.rlimit)]


def f_uname(c):
    return [c.out(0, S.utsname)]


def f_nanosleep(c):
    rem = c.ptr(1) if c.result != -4 else c.inp(1, S.timespec)    # EINTR fills rem
    return [c.inp(0, S.timespec), rem]


def f_clock_nanosleep(c):
    flags = c.int(1)
    rem = c.ptr(3) if c.result != -4 else c.inp(3, S.timespec)
    return [T.enum(c.int(0), T.CLOCK_IDS, "{}"), T.flags(flags, T.TIMER_FLAGS),
            c.inp(2, S.timespec), rem]


def f_clock_gettime(c):
    return [T.enum(c.int(0), T.CLOCK_IDS, "{}"), c.out(1, S.timespec)]


def f_gettimeofday(c):
    return [c.out(0, S.timeval), c.ptr(1)]


def f_getitimer(c):
    return [T.enum(c.int(0), T.ITIMERS, "{}"), c.out(1, S.itimerval)]


def f_setitimer(c):
    return [T.enum(c.int(0), T.ITIMERS, "{}"), c.inp(1, S.itimerval), c.out(2, S.itimerval)]


def f_alarm(c):
    return [str(c.uint(0))]


def f_getrandom(c):
    if c.ok:
        data = S.read(c.mm, c.ulong(0), min(c.result, S.STRING_LIMIT + 1))
        buf = quote(data, hexall=True) if data is not None else c.ptr(0)
    else:
        buf = c.ptr(0)
    return [buf, str(c.ulong(1)), T.flags(c.uint(2), T.GRND_FLAGS)]


def _count_dirents(c):
    data = S.read(c.mm, c.ulong(1), c.result) or b""
    n, off = 0, 0
    while off + 18 < len(data) + 1:
        reclen = int.from_bytes(data[off + 16:off + 18], "little")
        if reclen == 0:
            break
        n += 1
        off += reclen
    return n


def f_getdents64(c):
    if c.ok:
        return [str(c.int(0)), f"{c.ptr(1)} /* {_count_dirents(c)} entries */",
                str(c.uint(2))]
    return [str(c.int(0)), c.ptr(1), str(c.uint(2))]


def f_getcwd(c):
    if c.ok:
        data = S.read(c.mm, c.ulong(0), c.result) or b""
        return [quote(data, 4096, nul_ends=True), str(c.ulong(1))]
    return [c.ptr(0), str(c.ulong(1))]


def f_readlink(c):
    return [c.path(0), _buf_out_path(c, 1), str(c.ulong(2))]


def f_readlinkat(c):
    return [c.dirfd(0), c.path(1), _buf_out_path(c, 2), str(c.ulong(3))]


def _buf_out_path(c, i):
    if not c.ok:
        return c.ptr(i)
    data = S.read(c.mm, c.ulong(i), c.result)
    return c.ptr(i) if data is None else quote(data, 4096)


def f_umask(c):
    c.result_text = S.octal(c.result) if c.ok else None
    return [S.octal(c.uint(0))]


def f_mkdir(c):
    return [c.path(0), S.octal(c.uint(1))]


def f_mkdirat(c):
    return [c.dirfd(0), c.path(1), S.octal(c.uint(2))]


def f_chmod(c):
    return [c.path(0), S.octal(c.uint(1))]


def f_fchmod(c):
    return [str(c.int(0)), S.octal(c.uint(1))]


def f_fchmodat(c):
    return [c.dirfd(0), c.path(1), S.octal(c.uint(2))]


def f_unlinkat(c):
    return [c.dirfd(0), c.path(1), T.flags(c.int(2), T.UNLINKAT_FLAGS)]


def f_renameat2(c):
    return [c.dirfd(0), c.path(1), c.dirfd(2), c.path(3), T.flags(c.uint(4), T.RENAME_FLAGS)]


def f_fadvise64(c):
    return [str(c.int(0)), str(c.args[1]), str(c.args[2]), T.enum(c.int(3), T.FADVICE, "{}")]


def f_flock(c):
    return [str(c.int(0)), T.flags(c.int(1), T.LOCK_OPS)]


def f_socket(c):
    family = T.ADDRESS_FAMILIES.get(c.int(0), str(c.int(0)))
    t = c.int(1)
    kind = T.SOCKET_TYPES.get(t & 0xF, hex(t & 0xF))
    rest = T.flags(t & ~0xF, T.SOCK_FLAGS, "")
    proto = c.int(2)
    if c.int(0) in (2, 10):
        proto_text = T.IPPROTOS.get(proto, str(proto))
    else:
        proto_text = str(proto)
    return [family, kind + ("|" + rest if rest else ""), proto_text]


def f_socketpair(c):
    return f_socket(c) + [c.out(3, S.fd_pair)]


def f_connect(c):
    return [str(c.int(0)), S.sockaddr(c.mm, c.ulong(1), c.int(2)), str(c.int(2))]


def _sockaddr_out(c, addr_i, len_i):
    if not c.ulong(addr_i):
        return ["NULL", c.ptr(len_i)]
    raw = S.read(c.mm, c.ulong(len_i), 4)
    if raw is None:
        return [c.ptr(addr_i), c.ptr(len_i)]
    n = int.from_bytes(raw, "little")
    if not c.ok:
        return [c.ptr(addr_i), f"[{n}]"]
    return [S.sockaddr(c.mm, c.ulong(addr_i), min(n, 128)), f"[{n}]"]


def f_getsockname(c):
    return [str(c.int(0))] + _sockaddr_out(c, 1, 2)


def f_accept(c):
    return [str(c.int(0))] + _sockaddr_out(c, 1, 2)


def f_accept4(c):
    return f_accept(c) + [T.flags(c.int(3), T.SOCK_FLAGS)]


def f_listen(c):
    return [str(c.int(0)), str(c.int(1))]


def f_shutdown(c):
    return [str(c.int(0)), T.enum(c.int(1), T.SHUTDOWN_HOW, "{}")]


def f_sendto(c):
    dest = S.sockaddr(c.mm, c.ulong(4), c.int(5)) if c.ulong(4) else "NULL"
    return [str(c.int(0)), _buf_in(c, 1, c.ulong(2)), str(c.ulong(2)),
            T.flags(c.uint(3), T.MSG_FLAGS), dest, str(c.int(5))]


def f_recvfrom(c):
    shown = [str(c.int(0)), _buf_out(c, 1, 2), str(c.ulong(2)), T.flags(c.uint(3), T.MSG_FLAGS)]
    return shown + (_sockaddr_out(c, 4, 5) if c.ulong(4) else ["NULL", "NULL"])


def f_sendmsg(c):
    return [str(c.int(0)), S.msghdr(c.mm, c.ulong(1)), T.flags(c.uint(2), T.MSG_FLAGS)]


def f_recvmsg(c):
    msg = S.msghdr(c.mm, c.ulong(1), c.result) if c.ok else c.ptr(1)
    return [str(c.int(0)), msg, T.flags(c.uint(2), T.MSG_FLAGS)]


def f_setsockopt(c):
    level = c.int(1)
    opt = c.int(2)
    name = T.SOL_SOCKET_OPTS.get(opt) if level == 1 else None
    value = c.ptr(3)
    if c.uint(4) == 4:
        value = S.int_at(c.mm, c.ulong(3))
    return [str(c.int(0)), T.SOCKET_LEVELS.get(level, str(level)), name or str(opt), value,
            str(c.uint(4))]


def f_epoll_create1(c):
    return [T.flags(c.int(0), [(0o2000000, "EPOLL_CLOEXEC")])]


def f_epoll_ctl(c):
    return [str(c.int(0)), T.enum(c.int(1), T.EPOLL_CTL, "{}"), str(c.int(2)),
            c.inp(3, S.epoll_event)]


def f_epoll_wait(c):
    events = S.epoll_events(c.mm, c.ulong(1), c.result) if c.ok else c.ptr(1)
    return [str(c.int(0)), events, str(c.int(2)), str(c.int(3))]


def f_epoll_pwait(c):
    events = S.epoll_events(c.mm, c.ulong(1), c.result) if c.ok else c.ptr(1)
    return [str(c.int(0)), events, str(c.int(2)), str(c.int(3)),
            c.inp(4, S.sigset, c.ulong(5)), str(c.ulong(5))]


def f_eventfd2(c):
    return [str(c.uint(0)), T.flags(c.int(1), T.EFD_FLAGS)]


def f_sched_getaffinity(c):
    if c.ok:
        return [str(c.int(0)), str(c.uint(1)), S.cpu_set(c.mm, c.ulong(2), c.result)]
    return [str(c.int(0)), str(c.uint(1)), c.ptr(2)]


def f_sched_setaffinity(c):
    return [str(c.int(0)), str(c.uint(1)), c.inp(2, S.cpu_set, c.uint(1))]


def f_timerfd_create(c):
    return [T.enum(c.int(0), T.CLOCK_IDS, "{}"), T.flags(c.int(1), T.TFD_FLAGS)]


def f_timerfd_settime(c):
    return [str(c.int(0)), T.flags(c.int(1), T.TFD_SETTIME_FLAGS), c.inp(2, S.itimerspec),
            c.out(3, S.itimerspec)]


def f_timerfd_gettime(c):
    return [str(c.int(0)), c.out(1, S.itimerspec)]


def f_memfd_create(c):
    return [c.string(0, 4096), T.flags(c.uint(1), T.MFD_FLAGS)]


def f_signalfd4(c):
    return [str(c.int(0)), c.inp(1, S.sigset, c.ulong(2)), str(c.ulong(2)),
            T.flags(c.int(3), T.SFD_FLAGS)]


def f_inotify_init1(c):
    return [T.flags(c.int(0), T.IN_INIT_FLAGS)]


def f_inotify_add_watch(c):
    return [str(c.int(0)), c.path(1), T.flags(c.uint(2), T.IN_MASK)]


def f_sendfile(c):
    """sendfile(out, in, [0] => [5], 5): the offset before (read at entry) and after."""
    off = c.ulong(2)
    if not off:
        shown = "NULL"
    else:
        after = S.loff_at(c.mm, off)
        shown = f"{c.captured} => {after}" if c.captured is not None and c.ok else after
    return [str(c.int(0)), str(c.int(1)), shown, str(c.ulong(3))]


def f_personality(c):
    value = c.uint(0)
    if c.ok and c.result == 0:
        c.result_text = "0 (PER_LINUX)"
    return ["PER_LINUX" if value == 0 else hex(value)]


def f_getcpu(c):
    return [c.out(0, S.uint_at), c.out(1, S.uint_at), c.ptr(2)]


def f_sysinfo(c):
    return [c.out(0, S.sysinfo)]


def f_statfs(c):
    return [c.path(0), c.out(1, S.statfs)]


def f_fstatfs(c):
    return [str(c.int(0)), c.out(1, S.statfs)]


def _select_sets(c, n):
    return [c.inp(i, S.fd_set, n) for i in (1, 2, 3)]


def _select_result(c, n, timeout_i, timeout_decoder):
    if not c.ok:
        return
    if c.result == 0:
        c.suffix = " (Timeout)"
        return
    parts = []
    for i, name in ((1, "in"), (2, "out"), (3, "except")):
        if c.ulong(i):
            got = S.fd_set(c.mm, c.ulong(i), n)
            if got != "[]":
                parts.append(f"{name} {got}")
    if c.ulong(timeout_i):
        parts.append(f"left {timeout_decoder(c.mm, c.ulong(timeout_i))}")
    c.suffix = " (" + ", ".join(parts) + ")"


def f_select(c):
    n = c.int(0)
    shown = [str(n)] + _select_entry(c, n, S.timeval)
    _select_result(c, n, 4, S.timeval)
    return shown


def f_pselect6(c):
    n = c.int(0)
    shown = [str(n)] + _select_entry(c, n, S.timespec) + [_pselect_mask(c)]
    _select_result(c, n, 4, S.timespec)
    return shown


def _select_entry(c, n, timeout):
    # The sets and timeout as the call got them (strace reads them at entry): after the
    # call the sets hold the ready descriptors ("in [..]") and the timeout what is left.
    if c.captured is not None:
        return c.captured
    return _select_sets(c, n) + [c.inp(4, timeout)]


def _capture_select(task, args, timeout):
    call = Call(task, None, args, None, None)
    return _select_sets(call, args[0] & 0xFFFFFFFF) + [call.inp(4, timeout)]


# Arguments the call overwrites, read when it starts (trace.TextTracer's "enter" event).
CAPTURE_AT_ENTRY = {
    "sendfile": lambda task, args: S.loff_at(task.mm, args[2]) if args[2] else None,
    "select": lambda task, args: _capture_select(task, args, S.timeval),
    "pselect6": lambda task, args: _capture_select(task, args, S.timespec)}


def _pselect_mask(c):
    raw = S.read(c.mm, c.ulong(5), 16) if c.ulong(5) else None
    if raw is None:
        return c.ptr(5)
    import struct
    ptr, size = struct.unpack("<QQ", raw)
    return f"{{sigmask={S.sigset(c.mm, ptr, size) if ptr else 'NULL'}, sigsetsize={size}}}"


def f_getresuid(c):
    return [c.out(i, S.id_at) for i in range(3)]


def f_getgroups(c):
    n = c.int(0)
    if not c.ok or n == 0:
        return [str(n), c.ptr(1)]
    return [str(n), S.gid_list(c.mm, c.ulong(1), c.result)]


def f_setgroups(c):
    n = c.int(0)
    return [str(n), c.inp(1, S.gid_list, n)]


def f_getrusage(c):
    return [T.enum(c.int(0), T.RUSAGE_WHO, "{}"), c.out(1, S.rusage)]


def f_times(c):
    return [c.out(0, S.tms)]


def f_exit(c):
    return [str(c.int(0))]


def f_execve(c):
    return None


def f_chdir(c):
    return [c.path(0)]


def f_getpriority(c):
    return [T.enum(c.int(0), T.PRIO_WHICH, "{}"), str(c.int(1))]


def f_sched_getscheduler(c):
    if c.ok:
        c.result_text = f"{c.result} ({T.SCHED_POLICIES.get(c.result, '?')})"
    return [str(c.int(0))]


def f_mlockall(c):
    return [T.flags(c.int(0), T.MLOCKALL_FLAGS)]


def f_pidfd_send_signal(c):
    return [str(c.int(0)), _sig(c, 1), c.inp(2, S.siginfo), str(c.uint(3))]


FORMATTERS = {
    "openat": f_openat, "open": f_open, "creat": f_creat, "read": f_read, "pread64": f_pread,
    "write": f_write, "pwrite64": f_pwrite, "readv": f_readv, "writev": f_writev,
    "preadv": f_preadv, "pwritev": f_pwritev, "stat": f_stat, "lstat": f_stat,
    "fstat": f_fstat, "newfstatat": f_newfstatat, "statx": f_statx, "access": f_access,
    "faccessat": f_faccessat, "faccessat2": f_faccessat2, "lseek": f_lseek, "mmap": f_mmap,
    "mprotect": f_mprotect, "mremap": f_mremap, "madvise": f_madvise, "msync": f_msync,
    "brk": f_brk, "rt_sigaction": f_rt_sigaction, "rt_sigprocmask": f_rt_sigprocmask,
    "rt_sigsuspend": f_rt_sigsuspend, "rt_sigpending": f_rt_sigpending,
    "rt_sigreturn": f_rt_sigreturn, "sigaltstack": f_sigaltstack,
    "rt_sigtimedwait": f_rt_sigtimedwait, "rt_sigqueueinfo": f_rt_sigqueueinfo,
    "ioctl": f_ioctl, "fcntl": f_fcntl, "dup3": f_dup3, "pipe": f_pipe, "pipe2": f_pipe2,
    "poll": f_poll, "ppoll": f_ppoll, "wait4": f_wait4, "waitid": f_waitid, "kill": f_kill,
    "tkill": f_kill, "tgkill": f_tgkill, "clone": f_clone, "clone3": f_clone3,
    "arch_prctl": f_arch_prctl, "prctl": f_prctl, "set_tid_address": f_set_tid_address,
    "set_robust_list": f_set_robust_list, "rseq": f_rseq, "futex": f_futex,
    "getrlimit": f_getrlimit, "setrlimit": f_setrlimit, "prlimit64": f_prlimit64,
    "uname": f_uname, "nanosleep": f_nanosleep, "clock_nanosleep": f_clock_nanosleep,
    "clock_gettime": f_clock_gettime, "clock_getres": f_clock_gettime,
    "gettimeofday": f_gettimeofday, "getitimer": f_getitimer, "setitimer": f_setitimer,
    "alarm": f_alarm, "getrandom": f_getrandom, "getdents64": f_getdents64,
    "getcwd": f_getcwd, "readlink": f_readlink, "readlinkat": f_readlinkat, "umask": f_umask,
    "mkdir": f_mkdir, "mkdirat": f_mkdirat, "chmod": f_chmod, "fchmod": f_fchmod,
    "fchmodat": f_fchmodat, "unlinkat": f_unlinkat, "renameat2": f_renameat2,
    "fadvise64": f_fadvise64, "flock": f_flock, "socket": f_socket,
    "socketpair": f_socketpair, "connect": f_connect, "bind": f_connect,
    "getsockname": f_getsockname, "getpeername": f_getsockname, "accept": f_accept,
    "accept4": f_accept4, "listen": f_listen, "shutdown": f_shutdown, "sendto": f_sendto,
    "recvfrom": f_recvfrom, "sendmsg": f_sendmsg, "recvmsg": f_recvmsg,
    "setsockopt": f_setsockopt, "epoll_create1": f_epoll_create1,
    "epoll_ctl": f_epoll_ctl, "epoll_wait": f_epoll_wait, "epoll_pwait": f_epoll_pwait, "eventfd2": f_eventfd2,
    "sched_getaffinity": f_sched_getaffinity, "times": f_times, "sched_setaffinity": f_sched_setaffinity,
    "timerfd_create": f_timerfd_create, "timerfd_settime": f_timerfd_settime,
    "timerfd_gettime": f_timerfd_gettime, "memfd_create": f_memfd_create,
    "signalfd4": f_signalfd4, "inotify_init1": f_inotify_init1,
    "inotify_add_watch": f_inotify_add_watch, "sendfile": f_sendfile,
    "personality": f_personality, "statfs": f_statfs, "fstatfs": f_fstatfs, "select": f_select,
    "pselect6": f_pselect6, "getresuid": f_getresuid, "getresgid": f_getresuid,
    "getgroups": f_getgroups, "setgroups": f_setgroups, "sysinfo": f_sysinfo, "getcpu": f_getcpu, "exit": f_exit,
    "exit_group": f_exit, "chdir": f_chdir, "getpriority": f_getpriority,
    "getrusage": f_getrusage, "sched_getscheduler": f_sched_getscheduler,
    "mlockall": f_mlockall, "pidfd_send_signal": f_pidfd_send_signal,
}
