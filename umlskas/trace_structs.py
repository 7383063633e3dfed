"""Guest structs as strace prints them in braces (stat, timespec, sigaction, sigset, iovec,
pollfd, sockaddr, rlimit, utsname, msghdr, siginfo, ...), read from guest memory.

Every decoder takes the guest's memory and an address and returns the text; a struct
that cannot be read is its address, as strace prints it."""

import socket
import struct

from . import trace_tables as T
from .kernel.errors import SyscallError

STRING_LIMIT = 32
RLIM_INFINITY = (1 << 64) - 1


def addr(value):
    return "NULL" if value == 0 else hex(value)


def quote(data, limit=STRING_LIMIT, hexall=False, nul_ends=False):
    """A byte string as strace quotes it, truncated to limit with "..." after.

    Bytes that are not printable are octal escapes (hexadecimal \\x.. for all bytes with
    hexall, as strace does for data that is mostly unprintable)."""
    truncated = len(data) > limit
    shown = data[:limit]
    if nul_ends:
        end = shown.find(b"\0")
        if end >= 0:
            shown, truncated = shown[:end], False
    if hexall:
        return '"' + "".join(f"\\x{b:02x}" for b in shown) + '"' + ("..." if truncated else "")
    out = []
    for i, b in enumerate(shown):
        if b == 10:
            out.append("\\n")
        elif b == 9:
            out.append("\\t")
        elif b == 13:
            out.append("\\r")
        elif b == 12:
            out.append("\\f")
        elif b == 11:
            out.append("\\v")
        elif b in (34, 92):
            out.append("\\" + chr(b))
        elif 32 <= b < 127:
            out.append(chr(b))
        elif i + 1 < len(shown) and 48 <= shown[i + 1] <= 55:
            out.append(f"\\{b:03o}")       # a digit follows: the escape needs all 3
        else:
            out.append(f"\\{b:o}")
    return '"' + "".join(out) + '"' + ("..." if truncated else "")


def read(mm, address, size):
    """size bytes of guest memory, or None when they cannot be read."""
    if not address:
        return None
    try:
        return mm.read(address, size)
    except (SyscallError, OSError, ValueError):
        return None


def octal(value):
    """%#03o: 0644, 022, 000."""
    return ("0" + format(value, "o") if value else "0").rjust(3, "0")


def mode_t(mode):
    """S_IFREG|0644 (or just 0644 without a file type)."""
    kind = T.FILE_TYPES.get(mode & 0o170000)
    return f"{kind}|{octal(mode & 0o7777)}" if kind else octal(mode)


def makedev(dev):
    major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF)
    minor = (dev & 0xFF) | ((dev >> 12) & ~0xFF)
    return f"makedev({major:#x}, {minor:#x})"


def stat(mm, address):
    """struct stat (abbreviated as strace without -v)."""
    raw = read(mm, address, 144)
    if raw is None:
        return addr(address)
    mode = struct.unpack_from("<I", raw, 24)[0]
    rdev, size = struct.unpack_from("<Qq", raw, 40)
    if mode & 0o170000 in (0o020000, 0o060000):
        return f"{{st_mode={mode_t(mode)}, st_rdev={makedev(rdev)}, ...}}"
    return f"{{st_mode={mode_t(mode)}, st_size={size}, ...}}"


def statx(mm, address):
    raw = read(mm, address, 256)
    if raw is None:
        return addr(address)
    mask, _blksize, attributes = struct.unpack_from("<IIQ", raw, 0)
    mode = struct.unpack_from("<H", raw, 28)[0]
    size = struct.unpack_from("<Q", raw, 40)[0]
    return (f"{{stx_mask={statx_mask(mask)}, stx_attributes={attributes:#x}, "
            f"stx_mode={mode_t(mode)}, stx_size={size}, ...}}").replace(
        "stx_attributes=0x0,", "stx_attributes=0,")


def statx_mask(mask):
    parts = []
    if mask & 0xFFF == 0xFFF:                   # strace's xlat/statx_masks.in comes first
        parts.append("STATX_ALL")
        mask &= ~0xFFF
    elif mask & 0x7FF == 0x7FF:
        parts.append("STATX_BASIC_STATS")
        mask &= ~0x7FF
    rest = T.flags(mask, T.STATX_MASK, "")
    return "|".join(parts + ([rest] if rest else [])) or "0"


def timespec(mm, address):
    raw = read(mm, address, 16)
    if raw is None:
        return addr(address)
    sec, nsec = struct.unpack("<qq", raw)
    return f"{{tv_sec={sec}, tv_nsec={nsec}}}"


def timeval(mm, address):
    raw = read(mm, address, 16)
    if raw is None:
        return addr(address)
    sec, usec = struct.unpack("<qq", raw)
    return f"{{tv_sec={sec}, tv_usec={usec}}}"


def itimerval(mm, address):
    raw = read(mm, address, 32)
    if raw is None:
        return addr(address)
    a, b, c, d = struct.unpack("<qqqq", raw)
    return (f"{{it_interval={{tv_sec={a}, tv_usec={b}}}, "
            f"it_value={{tv_sec={c}, tv_usec={d}}}}}")


def sigset_bits(mask, nbits=64):
    """[CHLD INT], or ~[...] for a set with most signals in it (strace's sprintsigmask)."""
    count = bin(mask & ((1 << nbits) - 1)).count("1")
    prefix = ""
    if count * 3 >= nbits * 2:
        mask = ~mask & ((1 << nbits) - 1)
        prefix = "~"
    names = [T.signal_name(i + 1)[3:] for i in range(nbits) if mask >> i & 1]
    return prefix + "[" + " ".join(names) + "]"


def sigset(mm, address, size=8):
    if size not in range(1, 129):
        return addr(address)
    raw = read(mm, address, min(size, 8))
    if raw is None:
        return addr(address)
    return sigset_bits(int.from_bytes(raw, "little"), 8 * min(size, 8))


def sigaction(mm, address):
    raw = read(mm, address, 32)
    if raw is None:
        return addr(address)
    handler, flags, restorer, mask = struct.unpack("<QQQQ", raw)
    shown = {0: "SIG_DFL", 1: "SIG_IGN"}.get(handler, hex(handler))
    out = (f"{{sa_handler={shown}, sa_mask={sigset_bits(mask)}, "
           f"sa_flags={T.flags(flags, T.SA_FLAGS)}")
    if flags & 0x04000000:
        out += f", sa_restorer={addr(restorer)}"
    return out + "}"


def stack_t(mm, address):
    raw = read(mm, address, 24)
    if raw is None:
        return addr(address)
    sp, flags, size = struct.unpack("<Qi4xQ", raw)
    return f"{{ss_sp={addr(sp)}, ss_flags={T.flags(flags, T.SS_FLAGS)}, ss_size={size}}}"


def rlimit_value(value):
    if value == RLIM_INFINITY:
        return "RLIM64_INFINITY"
    if value and value % 1024 == 0:
        return f"{value // 1024}*1024"
    return str(value)


def rlimit(mm, address):
    raw = read(mm, address, 16)
    if raw is None:
        return addr(address)
    cur, top = struct.unpack("<QQ", raw)
    return f"{{rlim_cur={rlimit_value(cur)}, rlim_max={rlimit_value(top)}}}"


def utsname(mm, address):
    raw = read(mm, address, 65 * 6)
    if raw is None:
        return addr(address)
    sysname, nodename = raw[:65], raw[65:130]
    return (f"{{sysname={quote(sysname, 65, nul_ends=True)}, "
            f"nodename={quote(nodename, 65, nul_ends=True)}, ...}}")


def iovec(mm, address, count, data_limit=None, show_data=True):
    """[{iov_base="..", iov_len=N}, ...]; data_limit: bytes the call moved (readv)."""
    if count > 1024:
        return addr(address)
    raw = read(mm, address, 16 * count) if count else b""
    if raw is None:
        return addr(address)
    parts = []
    left = data_limit
    for i in range(count):
        if i >= STRING_LIMIT:
            parts.append("...")
            break
        base, length = struct.unpack_from("<QQ", raw, 16 * i)
        if not show_data:
            shown = addr(base)
        else:
            n = length if left is None else min(length, left)
            data = read(mm, base, min(n, STRING_LIMIT + 1)) if n else b""
            if left is not None:
                left -= n
            if data is None:
                shown = addr(base)
            else:
                shown = quote(data)
        parts.append(f"{{iov_base={shown}, iov_len={length}}}")
    return "[" + ", ".join(parts) + "]"


def pollfds(mm, address, count, revents=False):
    if count > 1024:
        return addr(address)
    raw = read(mm, address, 8 * count) if count else b""
    if raw is None:
        return addr(address)
    parts = []
    for i in range(count):
        fd, events, got = struct.unpack_from("<ihh", raw, 8 * i)
        if revents:
            if got:
                parts.append(f"{{fd={fd}, revents={T.flags(got & 0xFFFF, T.POLL_EVENTS)}}}")
        else:
            parts.append(f"{{fd={fd}, events={T.flags(events & 0xFFFF, T.POLL_EVENTS)}}}")
    return "[" + ", ".join(parts) + "]"


def fd_pair(mm, address):
    raw = read(mm, address, 8)
    if raw is None:
        return addr(address)
    a, b = struct.unpack("<ii", raw)
    return f"[{a}, {b}]"


def int_at(mm, address):
    raw = read(mm, address, 4)
    if raw is None:
        return addr(address)
    return f"[{struct.unpack('<i', raw)[0]}]"


def uint_at(mm, address):
    raw = read(mm, address, 4)
    if raw is None:
        return addr(address)
    return f"[{struct.unpack('<I', raw)[0]}]"


def sockaddr(mm, address, length):
    if length <= 0 or length > 128:
        return addr(address)
    raw = read(mm, address, length)
    if raw is None:
        return addr(address)
    return sockaddr_bytes(raw)


def sockaddr_bytes(raw):
    if len(raw) < 2:
        return "{sa_family=AF_UNSPEC}"
    family = struct.unpack_from("<H", raw)[0]
    name = T.ADDRESS_FAMILIES.get(family, str(family))
    head = f"{{sa_family={name}"
    if family == socket.AF_UNIX:
        path = raw[2:]
        if not path:
            return head + "}"
        if path[:1] == b"\0":
            return head + f", sun_path=@{quote(path[1:], 108)}}}"
        return head + f", sun_path={quote(path, 108, nul_ends=True)}}}"
    import ipaddress            # only for a traced inet address
    if family == socket.AF_INET and len(raw) >= 8:
        port = struct.unpack_from(">H", raw, 2)[0]
        ip = str(ipaddress.IPv4Address(raw[4:8]))
        return head + f", sin_port=htons({port}), sin_addr=inet_addr(\"{ip}\")}}"
    if family == socket.AF_INET6 and len(raw) >= 24:
        port, flow = struct.unpack_from(">HI", raw, 2)
        ip = str(ipaddress.IPv6Address(raw[8:24]))
        scope = struct.unpack_from("<I", raw, 24)[0] if len(raw) >= 28 else 0
        return head + (f", sin6_port=htons({port}), sin6_flowinfo=htonl({flow}), "
                       f"inet_pton(AF_INET6, \"{ip}\", &sin6_addr), sin6_scope_id={scope}}}")
    if family == 16 and len(raw) >= 12:
        pid, groups = struct.unpack_from("<II", raw, 4)
        return head + f", nl_pid={pid}, nl_groups={groups:08x}}}"
    return head + f", sa_data={quote(raw[2:])}}}"


def msghdr(mm, address, data_limit=None, show_data=True):
    raw = read(mm, address, 56)
    if raw is None:
        return addr(address)
    name, namelen, iov, iovlen, control, controllen, flags = struct.unpack("<QI4xQQQQi4x", raw)
    parts = [f"msg_name={sockaddr(mm, name, namelen) if name else 'NULL'}",
             f"msg_namelen={namelen}",
             f"msg_iov={iovec(mm, iov, iovlen, data_limit, show_data)}",
             f"msg_iovlen={iovlen}"]
    if controllen:
        parts.append(f"msg_control={cmsgs(mm, control, controllen)}")
    parts.append(f"msg_controllen={controllen}")
    parts.append(f"msg_flags={T.flags(flags, T.MSG_FLAGS)}")
    return "{" + ", ".join(parts) + "}"


def cmsgs(mm, address, length):
    raw = read(mm, address, min(length, 4096))
    if raw is None:
        return addr(address)
    parts, off = [], 0
    while off + 16 <= len(raw):
        clen, level, ctype = struct.unpack_from("<Qii", raw, off)
        if clen < 16:
            break
        data = raw[off + 16:off + clen]
        head = f"{{cmsg_len={clen}, cmsg_level={T.SOCKET_LEVELS.get(level, level)}, "
        if level == 1 and ctype == 1:
            fds = [struct.unpack_from("<i", data, i)[0] for i in range(0, len(data) - 3, 4)]
            parts.append(head + f"cmsg_type=SCM_RIGHTS, cmsg_data=[{', '.join(map(str, fds))}]}}")
        elif level == 1 and ctype == 2 and len(data) >= 12:
            pid, uid, gid = struct.unpack_from("<iII", data)
            parts.append(head + f"cmsg_type=SCM_CREDENTIALS, cmsg_data={{pid={pid}, uid={uid}, "
                         f"gid={gid}}}}}")
        else:
            parts.append(head + f"cmsg_type={ctype:#x}, cmsg_data=???}}")
        off += (clen + 7) & ~7
    return "[" + ", ".join(parts) + "]"


def winsize(mm, address):
    raw = read(mm, address, 8)
    if raw is None:
        return addr(address)
    row, col, x, y = struct.unpack("<HHHH", raw)
    return f"{{ws_row={row}, ws_col={col}, ws_xpixel={x}, ws_ypixel={y}}}"


def tms(mm, address):
    raw = read(mm, address, 32)
    if raw is None:
        return addr(address)
    a, b, c, d = struct.unpack("<qqqq", raw)
    return f"{{tms_utime={a}, tms_stime={b}, tms_cutime={c}, tms_cstime={d}}}"


def wait_status(status):
    """[{WIFEXITED(s) && WEXITSTATUS(s) == 3}] as strace's printstatus."""
    sig = status & 0x7F
    if sig == 0:
        text = f"WIFEXITED(s) && WEXITSTATUS(s) == {(status >> 8) & 0xFF}"
    elif sig == 0x7F:
        stop = (status >> 8) & 0xFF
        text = f"WIFSTOPPED(s) && WSTOPSIG(s) == {T.signal_name(stop)}"
        if status >> 16:
            text += f" && status>>16 == {status >> 16}"
    elif status == 0xFFFF:
        text = "WIFCONTINUED(s)"
    else:
        text = f"WIFSIGNALED(s) && WTERMSIG(s) == {T.signal_name(sig)}"
        if status & 0x80:
            text += " && WCOREDUMP(s)"
    return "[{" + text + "}]"


def siginfo_bytes(raw):
    """{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=..., ...} as strace prints it."""
    signo, _errno, code = struct.unpack_from("<iii", raw)
    name = T.signal_name(signo)
    code_name = None
    if code > 0 and code != 0x80:
        code_name = T.SI_CODES_BY_SIGNAL.get(signo, {}).get(code)
    if code_name is None:
        code_name = T.SI_CODES.get(code, str(code))
    parts = [f"si_signo={name}", f"si_code={code_name}"]
    if code <= 0 or code_name.startswith("SI_") and code != 0x80:
        pid, uid = struct.unpack_from("<iI", raw, 16)
        if code == -2:                      # SI_TIMER
            tid, overrun, value = struct.unpack_from("<iiQ", raw, 16)
            parts += [f"si_timerid={tid:#x}", f"si_overrun={overrun}",
                      f"si_int={value & 0xFFFFFFFF}", f"si_ptr={addr(value)}"]
        else:
            parts += [f"si_pid={pid}", f"si_uid={uid}"]
            if code in (-1, -3):            # SI_QUEUE, SI_MESGQ carry a value
                value = struct.unpack_from("<Q", raw, 24)[0]
                parts += [f"si_int={value & 0xFFFFFFFF}", f"si_ptr={addr(value)}"]
    elif signo == 17:
        pid, uid, status = struct.unpack_from("<iIi", raw, 16)
        utime, stime = struct.unpack_from("<qq", raw, 32)
        shown = T.signal_name(status) if code in (2, 3, 5, 4, 6) else str(status)
        parts += [f"si_pid={pid}", f"si_uid={uid}", f"si_status={shown}",
                  f"si_utime={utime}", f"si_stime={stime}"]
    elif signo in (4, 7, 8, 11, 5):
        parts.append(f"si_addr={addr(struct.unpack_from('<Q', raw, 16)[0])}")
    elif signo == 29:
        band, fd = struct.unpack_from("<qi", raw, 16)
        parts += [f"si_band={band}", f"si_fd={fd}"]
    elif code == 0x80 and signo in (11, 7):
        parts.append(f"si_addr={addr(struct.unpack_from('<Q', raw, 16)[0])}")
    return "{" + ", ".join(parts) + "}"


def siginfo(mm, address):
    raw = read(mm, address, 128)
    if raw is None:
        return addr(address)
    return siginfo_bytes(raw)


def epoll_events(mm, address, count):
    """[{events=EPOLLIN, data={u32=3, u64=3}}, ...] (packed 12-byte epoll_event)."""
    if count > 1024:
        return addr(address)
    raw = read(mm, address, 12 * count) if count else b""
    if raw is None:
        return addr(address)
    parts = []
    for i in range(count):
        events, data = struct.unpack_from("<IQ", raw, 12 * i)
        parts.append(f"{{events={T.flags(events, T.EPOLL_EVENTS)}, "
                     f"data={{u32={data & 0xFFFFFFFF}, u64={data}}}}}")
    return "[" + ", ".join(parts) + "]"


def epoll_event(mm, address):
    text = epoll_events(mm, address, 1)
    return text[1:-1] if text.startswith("[") else text


def sysinfo(mm, address):
    raw = read(mm, address, 112)
    if raw is None:
        return addr(address)
    up, l1, l2, l3, tr, fr, sr, br, ts, fs = struct.unpack_from("<q9Q", raw)
    procs = struct.unpack_from("<H", raw, 80)[0]
    th, fh = struct.unpack_from("<QQ", raw, 88)
    unit = struct.unpack_from("<I", raw, 104)[0]
    return (f"{{uptime={up}, loads=[{l1}, {l2}, {l3}], totalram={tr}, freeram={fr}, "
            f"sharedram={sr}, bufferram={br}, totalswap={ts}, freeswap={fs}, procs={procs}, "
            f"totalhigh={th}, freehigh={fh}, mem_unit={unit}}}")


def statfs(mm, address):
    """struct statfs, every field (strace prints them all)."""
    raw = read(mm, address, 120)
    if raw is None:
        return addr(address)
    ftype, bsize, blocks, bfree, bavail, files, ffree = struct.unpack_from("<q6Q", raw)
    fsid0, fsid1 = struct.unpack_from("<ii", raw, 56)
    namelen, frsize, flags = struct.unpack_from("<qqq", raw, 64)
    fsid = ", ".join(hex(v & 0xFFFFFFFF) if v else "0" for v in (fsid0, fsid1))
    out = (f"{{f_type={T.FS_MAGICS.get(ftype & 0xFFFFFFFF, hex(ftype))}, f_bsize={bsize}, "
           f"f_blocks={blocks}, f_bfree={bfree}, f_bavail={bavail}, f_files={files}, "
           f"f_ffree={ffree}, f_fsid={{val=[{fsid}]}}, f_namelen={namelen}, f_frsize={frsize}")
    if flags & 0x20:
        out += f", f_flags={T.flags(flags, T.STATFS_FLAGS)}"
    return out + "}"


def fd_set(mm, address, nfds):
    """[3 5]: the descriptors below nfds set in an fd_set."""
    if nfds <= 0 or nfds > 65536:
        return addr(address)
    raw = read(mm, address, (nfds + 63) // 64 * 8)
    if raw is None:
        return addr(address)
    bits = int.from_bytes(raw, "little")
    return "[" + " ".join(str(i) for i in range(nfds) if bits >> i & 1) + "]"


def id_at(mm, address):
    return uint_at(mm, address)


def gid_list(mm, address, count):
    if count < 0 or count > 65536:
        return addr(address)
    raw = read(mm, address, 4 * count) if count else b""
    if raw is None:
        return addr(address)
    return "[" + ", ".join(str(v) for v in struct.unpack(f"<{count}I", raw)) + "]"


def rusage(mm, address):
    raw = read(mm, address, 32)
    if raw is None:
        return addr(address)
    us, uu, ss, su = struct.unpack("<qqqq", raw)
    return (f"{{ru_utime={{tv_sec={us}, tv_usec={uu}}}, "
            f"ru_stime={{tv_sec={ss}, tv_usec={su}}}, ...}}")


def termios(mm, address):
    """struct termios (abbreviated as strace without -v): the four flag words."""
    raw = read(mm, address, 36)
    if raw is None:
        return addr(address)
    iflag, oflag, cflag, lflag = struct.unpack_from("<IIII", raw)
    odelays = []
    for mask, names in T.TERM_ODELAYS:
        odelays.append(names.get(oflag & mask, hex(oflag & mask)))
        oflag &= ~mask
    orest = T.flags(oflag, T.TERM_OFLAGS, "")
    baud = T.BAUDS.get(cflag & 0x100F, "B???")
    cparts = [baud]
    if cflag & 0x100F0000:
        cparts.append(f"{T.BAUDS.get((cflag & 0x100F0000) >> 16, 'B???')}<<IBSHIFT")
    cparts.append(T.TERM_CSIZES[cflag & 0x30])
    crest = T.flags(cflag & ~(0x100F | 0x100F0000 | 0x30), T.TERM_CFLAGS, "")
    return (f"{{c_iflag={T.flags(iflag, T.TERM_IFLAGS)}, "
            f"c_oflag={'|'.join(odelays + ([orest] if orest else []))}, "
            f"c_cflag={'|'.join(cparts + ([crest] if crest else []))}, "
            f"c_lflag={T.flags(lflag, T.TERM_LFLAGS)}, ...}}")


def itimerspec(mm, address):
    raw = read(mm, address, 32)
    if raw is None:
        return addr(address)
    a, b, c, d = struct.unpack("<qqqq", raw)
    return (f"{{it_interval={{tv_sec={a}, tv_nsec={b}}}, "
            f"it_value={{tv_sec={c}, tv_nsec={d}}}}}")


def cpu_set(mm, address, size):
    """[0 1]: the CPUs in a cpu_set_t."""
    if size <= 0 or size > 8192:
        return addr(address)
    raw = read(mm, address, size)
    if raw is None:
        return addr(address)
    bits = int.from_bytes(raw, "little")
    return "[" + " ".join(str(i) for i in range(size * 8) if bits >> i & 1) + "]"


def loff_at(mm, address):
    raw = read(mm, address, 8)
    if raw is None:
        return addr(address)
    return f"[{struct.unpack('<q', raw)[0]}]"
