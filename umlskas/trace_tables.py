"""Names of Linux x86-64 flag sets and constants as strace prints them (for trace.py).

Tables come from maintained sources where one has them right for x86-64: Python's own
modules (signal, mmap, socket, select, termios) and python-ptrace's decoder (rlimit
resources, sigprocmask how; loaded on first use). python-ptrace's other tables are not
used: they were taken from old i386 headers (fcntl's F_GETLK is 7 there, 5 on x86-64),
miss what came since (FUTEX_WAIT_BITSET, CLONE_NEWUSER, O_TMPFILE's O_DIRECTORY bit,
RLIMIT_RTTIME), print names strace does not (AF_FILE) or list bits in another order
(X_OK|W_OK|R_OK where strace prints R_OK|W_OK|X_OK). The rest are written here from
Linux's uapi headers, in the order of strace's xlat/*.in files, which is the order strace
prints a flag set in."""

import mmap as _mmap
import select as _select
import signal as _signal
import socket as _socket
import termios as _termios


def flags(value, table, zero="0"):
    """value as NAME|NAME|0xrest from table [(bit, name)], `zero` when 0."""
    parts = []
    for bit, name in table:
        if bit and value & bit == bit:
            parts.append(name)
            value &= ~bit
    if value:
        parts.append(hex(value))
    return "|".join(parts) or zero


def enum(value, table, unknown="{:#x}"):
    """A constant's name, or its number as strace shows an unknown one."""
    name = table.get(value)
    return name if name is not None else unknown.format(value)


def _from_module(module, prefix, exclude=()):
    """{value: name} of a module's PREFIX* integer constants (first name wins)."""
    out = {}
    for name in sorted(dir(module)):
        if name.startswith(prefix) and name not in exclude:
            value = getattr(module, name)
            if isinstance(value, int):
                out.setdefault(int(value), name)
    return out


# ---- signals ------------------------------------------------------------------------

SIGRTMIN = 32


def signal_name(sig):
    """SIGCHLD; SIGRTMIN and SIGRT_n for the real-time ones (strace's signame)."""
    if sig == SIGRTMIN:
        return "SIGRTMIN"
    if SIGRTMIN < sig <= 64:
        return f"SIGRT_{sig - SIGRTMIN}"
    name = SIGNAL_NAMES.get(sig)
    return name if name is not None else str(sig)


SIGNAL_NAMES = {int(s): s.name for s in _signal.Signals
                if s.name.startswith("SIG") and not s.name.startswith("SIGRT")}
SIGNAL_NAMES.update({6: "SIGABRT", 17: "SIGCHLD", 29: "SIGIO", 31: "SIGSYS"})

# strace's order (xlat/sigact_flags.in), which is the order it prints them in.
SA_FLAGS = [(0x04000000, "SA_RESTORER"), (0x08000000, "SA_ONSTACK"),
            (0x10000000, "SA_RESTART"), (0x40000000, "SA_NODEFER"),
            (0x80000000, "SA_RESETHAND"), (4, "SA_SIGINFO"), (1, "SA_NOCLDSTOP"),
            (2, "SA_NOCLDWAIT")]
SS_FLAGS = [(1, "SS_ONSTACK"), (2, "SS_DISABLE"), (0x80000000, "SS_AUTODISARM")]

_RLIMITS_SINCE_2_6_25 = {15: "RLIMIT_RTTIME"}     # python-ptrace calls 15 RLIMIT_NLIMITS


def __getattr__(name):
    """SIGPROCMASK_HOW and RLIMIT_NAMES, from python-ptrace's tables on first use (importing
    it costs more than the rest of the trace modules: a run without --trace never does)."""
    if name not in ("SIGPROCMASK_HOW", "RLIMIT_NAMES"):
        raise AttributeError(name)
    try:
        from ptrace.syscall.linux_constants import RLIMIT_RESOURCE, SIGPROCMASK_HOW
    except ImportError:             # python-ptrace is optional: the same values
        SIGPROCMASK_HOW = {0: "SIG_BLOCK", 1: "SIG_UNBLOCK", 2: "SIG_SETMASK"}
        RLIMIT_RESOURCE = dict(enumerate((
            "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
            "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",
            "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",
            "RLIMIT_RTPRIO")))
    globals()["SIGPROCMASK_HOW"] = dict(SIGPROCMASK_HOW)
    globals()["RLIMIT_NAMES"] = {**RLIMIT_RESOURCE, **_RLIMITS_SINCE_2_6_25}
    return globals()[name]


SI_CODES = {0: "SI_USER", 0x80: "SI_KERNEL", -1: "SI_QUEUE", -2: "SI_TIMER",
            -3: "SI_MESGQ", -4: "SI_ASYNCIO", -5: "SI_SIGIO", -6: "SI_TKILL",
            -7: "SI_DETHREAD", -60: "SI_ASYNCNL"}
SI_CODES_BY_SIGNAL = {
    17: {1: "CLD_EXITED", 2: "CLD_KILLED", 3: "CLD_DUMPED", 4: "CLD_TRAPPED",
         5: "CLD_STOPPED", 6: "CLD_CONTINUED"},
    11: {1: "SEGV_MAPERR", 2: "SEGV_ACCERR", 3: "SEGV_BNDERR", 4: "SEGV_PKUERR"},
    7: {1: "BUS_ADRALN", 2: "BUS_ADRERR", 3: "BUS_OBJERR", 4: "BUS_MCEERR_AR",
        5: "BUS_MCEERR_AO"},
    4: {1: "ILL_ILLOPC", 2: "ILL_ILLOPN", 3: "ILL_ILLADR", 4: "ILL_ILLTRP",
        5: "ILL_PRVOPC", 6: "ILL_PRVREG", 7: "ILL_COPROC", 8: "ILL_BADSTK"},
    8: {1: "FPE_INTDIV", 2: "FPE_INTOVF", 3: "FPE_FLTDIV", 4: "FPE_FLTOVF",
        5: "FPE_FLTUND", 6: "FPE_FLTRES", 7: "FPE_FLTINV", 8: "FPE_FLTSUB"},
    5: {1: "TRAP_BRKPT", 2: "TRAP_TRACE", 3: "TRAP_BRANCH", 4: "TRAP_HWBKPT"},
    29: {1: "POLL_IN", 2: "POLL_OUT", 3: "POLL_MSG", 4: "POLL_ERR", 5: "POLL_PRI",
         6: "POLL_HUP"},
    31: {1: "SYS_SECCOMP"},
}

# ---- files --------------------------------------------------------------------------

OPEN_ACCESS = ("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")
# strace's order (xlat/open_mode_flags.in): O_TMPFILE includes O_DIRECTORY and O_SYNC
# O_DSYNC, so each comes before the other.
OPEN_FLAGS = [(0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
              (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o4010000, "O_SYNC"),
              (0o10000, "O_DSYNC"), (0o40000, "O_DIRECT"), (0o100000, "O_LARGEFILE"),
              (0o400000, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"), (0o2000000, "O_CLOEXEC"),
              (0o10000000, "O_PATH"), (0o20200000, "O_TMPFILE"), (0o200000, "O_DIRECTORY"),
              (0o20000, "FASYNC")]
O_CREAT, O_TMPFILE = 0o100, 0o20200000


def open_flags(value):
    """O_RDONLY|O_CLOEXEC, as strace's tprint_open_modes."""
    rest = flags(value & ~3, OPEN_FLAGS, "")
    return OPEN_ACCESS[value & 3] + ("|" + rest if rest else "")


AT_FLAGS = [(0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR"),
            (0x400, "AT_SYMLINK_FOLLOW"), (0x800, "AT_NO_AUTOMOUNT"), (0x1000, "AT_EMPTY_PATH"),
            (0x2000, "AT_STATX_FORCE_SYNC"), (0x4000, "AT_STATX_DONT_SYNC"),
            (0x8000, "AT_RECURSIVE")]
ACCESS_MODES = [(4, "R_OK"), (2, "W_OK"), (1, "X_OK")]
SEEK_WHENCE = {0: "SEEK_SET", 1: "SEEK_CUR", 2: "SEEK_END", 3: "SEEK_DATA", 4: "SEEK_HOLE"}
FD_FLAGS = [(1, "FD_CLOEXEC")]
FCNTL_COMMANDS = {
    0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK",
    6: "F_SETLK", 7: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN", 10: "F_SETSIG",
    11: "F_GETSIG", 15: "F_SETOWN_EX", 16: "F_GETOWN_EX", 36: "F_OFD_GETLK",
    37: "F_OFD_SETLK", 38: "F_OFD_SETLKW", 1024: "F_SETLEASE", 1025: "F_GETLEASE",
    1026: "F_NOTIFY", 1030: "F_DUPFD_CLOEXEC", 1031: "F_SETPIPE_SZ", 1032: "F_GETPIPE_SZ",
    1033: "F_ADD_SEALS", 1034: "F_GET_SEALS",
}
FILE_TYPES = {0o140000: "S_IFSOCK", 0o120000: "S_IFLNK", 0o100000: "S_IFREG",
              0o060000: "S_IFBLK", 0o040000: "S_IFDIR", 0o020000: "S_IFCHR",
              0o010000: "S_IFIFO"}
STATX_MASK = [(1, "STATX_TYPE"), (2, "STATX_MODE"), (4, "STATX_NLINK"), (8, "STATX_UID"),
              (0x10, "STATX_GID"), (0x20, "STATX_ATIME"), (0x40, "STATX_MTIME"),
              (0x80, "STATX_CTIME"), (0x100, "STATX_INO"), (0x200, "STATX_SIZE"),
              (0x400, "STATX_BLOCKS"), (0x800, "STATX_BTIME"), (0x1000, "STATX_MNT_ID"),
              (0x2000, "STATX_DIOALIGN")]
UNLINKAT_FLAGS = [(0x200, "AT_REMOVEDIR")]
RENAME_FLAGS = [(1, "RENAME_NOREPLACE"), (2, "RENAME_EXCHANGE"), (4, "RENAME_WHITEOUT")]
FADVICE = {0: "POSIX_FADV_NORMAL", 1: "POSIX_FADV_RANDOM", 2: "POSIX_FADV_SEQUENTIAL",
           3: "POSIX_FADV_WILLNEED", 4: "POSIX_FADV_DONTNEED", 5: "POSIX_FADV_NOREUSE"}
LOCK_OPS = [(1, "LOCK_SH"), (2, "LOCK_EX"), (4, "LOCK_NB"), (8, "LOCK_UN")]

# ---- memory -------------------------------------------------------------------------

PROT_FLAGS = [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"), (0x10, "PROT_SEM"),
              (0x01000000, "PROT_GROWSDOWN"), (0x02000000, "PROT_GROWSUP")]
MAP_TYPES = {0: "0", 1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"}
# x86-64's values in strace's order (xlat/mmap_flags.in).
MAP_FLAGS = [(0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x40, "MAP_32BIT"),
             (0x80, "MAP_ABOVE4G"), (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"),
             (0x10000, "MAP_NONBLOCK"), (0x100, "MAP_GROWSDOWN"), (0x800, "MAP_DENYWRITE"),
             (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"), (0x20000, "MAP_STACK"),
             (0x40000, "MAP_HUGETLB"), (0x80000, "MAP_SYNC"), (0x4000000, "MAP_UNINITIALIZED"),
             (0x100000, "MAP_FIXED_NOREPLACE")]
MREMAP_FLAGS = [(1, "MREMAP_MAYMOVE"), (2, "MREMAP_FIXED"), (4, "MREMAP_DONTUNMAP")]
MSYNC_FLAGS = [(1, "MS_ASYNC"), (2, "MS_INVALIDATE"), (4, "MS_SYNC")]
MADVICE = _from_module(_mmap, "MADV_")
MADVICE.update({0: "MADV_NORMAL", 4: "MADV_DONTNEED", 8: "MADV_FREE", 14: "MADV_HUGEPAGE",
                15: "MADV_NOHUGEPAGE"})
MLOCKALL_FLAGS = [(1, "MCL_CURRENT"), (2, "MCL_FUTURE"), (4, "MCL_ONFAULT")]

# ---- processes ----------------------------------------------------------------------

CLONE_FLAGS = [(0x100, "CLONE_VM"), (0x200, "CLONE_FS"), (0x400, "CLONE_FILES"),
               (0x800, "CLONE_SIGHAND"), (0x1000, "CLONE_PIDFD"), (0x2000, "CLONE_PTRACE"),
               (0x4000, "CLONE_VFORK"), (0x8000, "CLONE_PARENT"), (0x10000, "CLONE_THREAD"),
               (0x20000, "CLONE_NEWNS"), (0x40000, "CLONE_SYSVSEM"), (0x80000, "CLONE_SETTLS"),
               (0x100000, "CLONE_PARENT_SETTID"), (0x200000, "CLONE_CHILD_CLEARTID"),
               (0x400000, "CLONE_DETACHED"), (0x800000, "CLONE_UNTRACED"),
               (0x1000000, "CLONE_CHILD_SETTID"), (0x2000000, "CLONE_NEWCGROUP"),
               (0x4000000, "CLONE_NEWUTS"), (0x8000000, "CLONE_NEWIPC"),
               (0x10000000, "CLONE_NEWUSER"), (0x20000000, "CLONE_NEWPID"),
               (0x40000000, "CLONE_NEWNET"), (0x80000000, "CLONE_IO"),
               (0x100000000, "CLONE_CLEAR_SIGHAND"), (0x200000000, "CLONE_INTO_CGROUP")]
WAIT_OPTIONS = [(1, "WNOHANG"), (2, "WSTOPPED"), (4, "WEXITED"), (8, "WCONTINUED"),
                (0x1000000, "WNOWAIT"), (0x20000000, "__WNOTHREAD"), (0x40000000, "__WALL"),
                (0x80000000, "__WCLONE")]
WAIT4_OPTIONS = [(1, "WNOHANG"), (2, "WUNTRACED")] + WAIT_OPTIONS[2:]
IDTYPES = {0: "P_ALL", 1: "P_PID", 2: "P_PGID", 3: "P_PIDFD"}
ARCH_PRCTL = {0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS",
              0x1004: "ARCH_GET_GS", 0x1011: "ARCH_GET_CPUID", 0x1012: "ARCH_SET_CPUID",
              0x1021: "ARCH_GET_XCOMP_SUPP", 0x1022: "ARCH_GET_XCOMP_PERM",
              0x1023: "ARCH_REQ_XCOMP_PERM", 0x2001: "ARCH_MAP_VDSO_X32",
              0x2002: "ARCH_MAP_VDSO_32", 0x2003: "ARCH_MAP_VDSO_64",
              0x4001: "ARCH_GET_UNTAG_MASK", 0x4002: "ARCH_ENABLE_TAGGED_ADDR",
              0x4003: "ARCH_GET_MAX_TAG_BITS", 0x4004: "ARCH_FORCE_TAGGED_SVA",
              0x5001: "ARCH_SHSTK_ENABLE", 0x5002: "ARCH_SHSTK_DISABLE",
              0x5003: "ARCH_SHSTK_LOCK", 0x5004: "ARCH_SHSTK_UNLOCK",
              0x5005: "ARCH_SHSTK_STATUS"}
PRCTL_OPTIONS = {
    1: "PR_SET_PDEATHSIG", 2: "PR_GET_PDEATHSIG", 3: "PR_GET_DUMPABLE", 4: "PR_SET_DUMPABLE",
    5: "PR_GET_UNALIGN", 6: "PR_SET_UNALIGN", 7: "PR_GET_KEEPCAPS", 8: "PR_SET_KEEPCAPS",
    13: "PR_GET_TIMING", 14: "PR_SET_TIMING", 15: "PR_SET_NAME", 16: "PR_GET_NAME",
    19: "PR_GET_ENDIAN", 20: "PR_SET_ENDIAN", 21: "PR_GET_SECCOMP", 22: "PR_SET_SECCOMP",
    23: "PR_CAPBSET_READ", 24: "PR_CAPBSET_DROP", 25: "PR_GET_TSC", 26: "PR_SET_TSC",
    27: "PR_GET_SECUREBITS", 28: "PR_SET_SECUREBITS", 29: "PR_SET_TIMERSLACK",
    30: "PR_GET_TIMERSLACK", 35: "PR_SET_MM", 36: "PR_SET_CHILD_SUBREAPER",
    37: "PR_GET_CHILD_SUBREAPER", 38: "PR_SET_NO_NEW_PRIVS", 39: "PR_GET_NO_NEW_PRIVS",
    40: "PR_GET_TID_ADDRESS", 41: "PR_SET_THP_DISABLE", 42: "PR_GET_THP_DISABLE",
    47: "PR_CAP_AMBIENT", 0x59616d61: "PR_SET_PTRACER", 0x53564d41: "PR_SET_VMA",
}
SCHED_POLICIES = {0: "SCHED_OTHER", 1: "SCHED_FIFO", 2: "SCHED_RR", 3: "SCHED_BATCH",
                  5: "SCHED_IDLE", 6: "SCHED_DEADLINE"}
PRIO_WHICH = {0: "PRIO_PROCESS", 1: "PRIO_PGRP", 2: "PRIO_USER"}
RUSAGE_WHO = {0: "RUSAGE_SELF", -1: "RUSAGE_CHILDREN", 1: "RUSAGE_THREAD"}
ITIMERS = {0: "ITIMER_REAL", 1: "ITIMER_VIRTUAL", 2: "ITIMER_PROF"}

FUTEX_OPS = {0: "FUTEX_WAIT", 1: "FUTEX_WAKE", 2: "FUTEX_FD", 3: "FUTEX_REQUEUE",
             4: "FUTEX_CMP_REQUEUE", 5: "FUTEX_WAKE_OP", 6: "FUTEX_LOCK_PI",
             7: "FUTEX_UNLOCK_PI", 8: "FUTEX_TRYLOCK_PI", 9: "FUTEX_WAIT_BITSET",
             10: "FUTEX_WAKE_BITSET", 11: "FUTEX_WAIT_REQUEUE_PI",
             12: "FUTEX_CMP_REQUEUE_PI", 13: "FUTEX_LOCK_PI2"}
FUTEX_PRIVATE, FUTEX_CLOCK_REALTIME = 128, 256


def futex_op(value):
    """FUTEX_WAIT_PRIVATE, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME."""
    cmd = value & ~(FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME)
    name = FUTEX_OPS.get(cmd)
    if name is None:
        return hex(value)
    if value & FUTEX_PRIVATE:
        name += "_PRIVATE"
    if value & FUTEX_CLOCK_REALTIME:
        name += "|FUTEX_CLOCK_REALTIME"
    return name


CLOCK_IDS = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID",
             3: "CLOCK_THREAD_CPUTIME_ID", 4: "CLOCK_MONOTONIC_RAW", 5: "CLOCK_REALTIME_COARSE",
             6: "CLOCK_MONOTONIC_COARSE", 7: "CLOCK_BOOTTIME", 8: "CLOCK_REALTIME_ALARM",
             9: "CLOCK_BOOTTIME_ALARM", 11: "CLOCK_TAI"}
TIMER_FLAGS = [(1, "TIMER_ABSTIME")]
GRND_FLAGS = [(1, "GRND_NONBLOCK"), (2, "GRND_RANDOM"), (4, "GRND_INSECURE")]

# ---- descriptors, terminals, sockets -------------------------------------------------

IOCTL_NAMES = _from_module(_termios, "TC", exclude=("TCSANOW", "TCSADRAIN", "TCSAFLUSH",
                                                    "TCIFLUSH", "TCOFLUSH", "TCIOFLUSH",
                                                    "TCOOFF", "TCOON", "TCIOFF", "TCION"))
IOCTL_NAMES = {k: v for k, v in IOCTL_NAMES.items() if k > 0x5000}
IOCTL_NAMES.update({v: k for k, v in vars(_termios).items()
                    if k.startswith("TIOC") and isinstance(v, int) and v > 0x5000})
IOCTL_NAMES.update({0x5401: "TCGETS", 0x5402: "TCSETS", 0x5403: "TCSETSW", 0x5404: "TCSETSF",
                    0x541B: "FIONREAD", 0x5421: "FIONBIO", 0x5451: "FIOCLEX",
                    0x5450: "FIONCLEX", 0x5452: "FIOASYNC", 0x5413: "TIOCGWINSZ",
                    0x5414: "TIOCSWINSZ", 0x540F: "TIOCGPGRP", 0x5410: "TIOCSPGRP",
                    0x5429: "TIOCGSID", 0x540E: "TIOCSCTTY", 0x80045430: "TIOCGPTN",
                    0x40045431: "TIOCSPTLCK", 0x5460: "FIOQSIZE", 0x802c542a: "TCGETS2",
                    0x8910: "SIOCGIFNAME", 0x8933: "SIOCGIFINDEX",
                    0x80086601: "FS_IOC_GETFLAGS", 0x40086602: "FS_IOC_SETFLAGS",
                    0x40049409: "BTRFS_IOC_CLONE or FICLONE",
                    0x4020940d: "BTRFS_IOC_CLONE_RANGE or FICLONERANGE"})

POLL_EVENTS = [(getattr(_select, n), n) for n in (
    "POLLIN", "POLLPRI", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL", "POLLRDNORM",
    "POLLRDBAND", "POLLWRNORM", "POLLWRBAND", "POLLMSG", "POLLRDHUP") if hasattr(_select, n)]
EPOLL_EVENTS = [(getattr(_select, n), n) for n in (
    "EPOLLIN", "EPOLLPRI", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLRDNORM", "EPOLLRDBAND",
    "EPOLLWRNORM", "EPOLLWRBAND", "EPOLLMSG", "EPOLLRDHUP", "EPOLLEXCLUSIVE", "EPOLLONESHOT",
    "EPOLLET") if hasattr(_select, n)]
EPOLL_CTL = {1: "EPOLL_CTL_ADD", 2: "EPOLL_CTL_DEL", 3: "EPOLL_CTL_MOD"}

ADDRESS_FAMILIES = _from_module(_socket, "AF_", exclude=("AF_FILE", "AF_LOCAL", "AF_ROUTE"))
ADDRESS_FAMILIES.update({1: "AF_UNIX", 16: "AF_NETLINK"})
SOCKET_TYPES = {1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM",
                5: "SOCK_SEQPACKET", 6: "SOCK_DCCP", 10: "SOCK_PACKET"}
SOCK_FLAGS = [(0o2000000, "SOCK_CLOEXEC"), (0o4000, "SOCK_NONBLOCK")]
IPPROTOS = {0: "IPPROTO_IP", 1: "IPPROTO_ICMP", 6: "IPPROTO_TCP", 17: "IPPROTO_UDP",
            41: "IPPROTO_IPV6", 58: "IPPROTO_ICMPV6", 255: "IPPROTO_RAW"}
SOCKET_LEVELS = {1: "SOL_SOCKET", 0: "SOL_IP", 6: "SOL_TCP", 17: "SOL_UDP", 41: "SOL_IPV6"}
SOL_SOCKET_OPTS = {v: k for k, v in reversed(list(vars(_socket).items()))
                   if k.startswith("SO_") and isinstance(v, int)}
MSG_FLAGS = [(getattr(_socket, n), n) for n in (
    "MSG_OOB", "MSG_PEEK", "MSG_DONTROUTE", "MSG_CTRUNC", "MSG_TRUNC", "MSG_DONTWAIT",
    "MSG_EOR", "MSG_WAITALL", "MSG_NOSIGNAL", "MSG_CMSG_CLOEXEC") if hasattr(_socket, n)]
SHUTDOWN_HOW = {0: "SHUT_RD", 1: "SHUT_WR", 2: "SHUT_RDWR"}
EFD_FLAGS = [(0o2000000, "EFD_CLOEXEC"), (0o4000, "EFD_NONBLOCK"), (1, "EFD_SEMAPHORE")]

# ---- file systems --------------------------------------------------------------------

FS_MAGICS = {0xEF53: "EXT2_SUPER_MAGIC", 0x01021994: "TMPFS_MAGIC", 0x9FA0: "PROC_SUPER_MAGIC",
             0x62656572: "SYSFS_MAGIC", 0x1CD1: "DEVPTS_SUPER_MAGIC",
             0x794C7630: "OVERLAYFS_SUPER_MAGIC", 0x9123683E: "BTRFS_SUPER_MAGIC",
             0x58465342: "XFS_SUPER_MAGIC", 0x50495045: "PIPEFS_MAGIC",
             0x534F434B: "SOCKFS_MAGIC", 0x63677270: "CGROUP2_SUPER_MAGIC",
             0x27E0EB: "CGROUP_SUPER_MAGIC", 0x6E736673: "NSFS_MAGIC",
             0x09041934: "ANON_INODE_FS_MAGIC", 0x858458F6: "RAMFS_MAGIC",
             0x73717368: "SQUASHFS_MAGIC", 0x6969: "NFS_SUPER_MAGIC",
             0x65735546: "FUSE_SUPER_MAGIC", 0x4D44: "MSDOS_SUPER_MAGIC",
             0x2FC12FC1: "ZFS_SUPER_MAGIC", 0x64626720: "DEBUGFS_MAGIC",
             0x73636673: "SECURITYFS_MAGIC", 0xCAFE4A11: "BPF_FS_MAGIC",
             0x74726163: "TRACEFS_MAGIC", 0x19800202: "MQUEUE_MAGIC",
             0x42494E4D: "BINFMTFS_MAGIC", 0x958458F6: "HUGETLBFS_MAGIC"}
# strace's order (xlat/statfs_flags.in)
STATFS_FLAGS = [(0x20, "ST_VALID"), (1, "ST_RDONLY"), (2, "ST_NOSUID"), (4, "ST_NODEV"),
                (8, "ST_NOEXEC"), (0x10, "ST_SYNCHRONOUS"), (0x40, "ST_MANDLOCK"),
                (0x400, "ST_NOATIME"), (0x800, "ST_NODIRATIME"), (0x1000, "ST_RELATIME"),
                (0x2000, "ST_NOSYMFOLLOW")]

# ---- terminals (struct termios, as strace's term.c decodes it; xlat/term_*.in order) ----

TERM_IFLAGS = [(1, "IGNBRK"), (2, "BRKINT"), (4, "IGNPAR"), (8, "PARMRK"), (0x10, "INPCK"),
               (0x20, "ISTRIP"), (0x40, "INLCR"), (0x80, "IGNCR"), (0x100, "ICRNL"),
               (0x200, "IUCLC"), (0x400, "IXON"), (0x800, "IXANY"), (0x1000, "IXOFF"),
               (0x2000, "IMAXBEL"), (0x4000, "IUTF8")]
TERM_OFLAGS = [(1, "OPOST"), (2, "OLCUC"), (4, "ONLCR"), (8, "OCRNL"), (0x10, "ONOCR"),
               (0x20, "ONLRET"), (0x40, "OFILL"), (0x80, "OFDEL")]
# (mask, names by value) of the delay fields, printed first
TERM_ODELAYS = [(0x100, {0: "NL0", 0x100: "NL1"}),
                (0x600, {0: "CR0", 0x200: "CR1", 0x400: "CR2", 0x600: "CR3"}),
                (0x1800, {0: "TAB0", 0x800: "TAB1", 0x1000: "TAB2", 0x1800: "TAB3"}),
                (0x2000, {0: "BS0", 0x2000: "BS1"}), (0x4000, {0: "VT0", 0x4000: "VT1"}),
                (0x8000, {0: "FF0", 0x8000: "FF1"})]
TERM_CFLAGS = [(0x40, "CSTOPB"), (0x80, "CREAD"), (0x100, "PARENB"), (0x200, "PARODD"),
               (0x400, "HUPCL"), (0x800, "CLOCAL"), (0x40000000, "CMSPAR"),
               (0x80000000, "CRTSCTS")]
TERM_CSIZES = {0: "CS5", 0x10: "CS6", 0x20: "CS7", 0x30: "CS8"}
TERM_LFLAGS = [(1, "ISIG"), (2, "ICANON"), (4, "XCASE"), (8, "ECHO"), (0x10, "ECHOE"),
               (0x20, "ECHOK"), (0x40, "ECHONL"), (0x80, "NOFLSH"), (0x8000, "IEXTEN"),
               (0x200, "ECHOCTL"), (0x400, "ECHOPRT"), (0x800, "ECHOKE"), (0x1000, "FLUSHO"),
               (0x4000, "PENDIN"), (0x100, "TOSTOP"), (0x10000, "EXTPROC")]
BAUDS = {getattr(_termios, n): n for n in dir(_termios)
         if n.startswith("B") and n[1:].isdigit() and isinstance(getattr(_termios, n), int)}

TFD_FLAGS = [(0o2000000, "TFD_CLOEXEC"), (0o4000, "TFD_NONBLOCK")]
TFD_SETTIME_FLAGS = [(1, "TFD_TIMER_ABSTIME"), (2, "TFD_TIMER_CANCEL_ON_SET")]
SFD_FLAGS = [(0o2000000, "SFD_CLOEXEC"), (0o4000, "SFD_NONBLOCK")]
MFD_FLAGS = [(1, "MFD_CLOEXEC"), (2, "MFD_ALLOW_SEALING"), (4, "MFD_HUGETLB"),
             (8, "MFD_NOEXEC_SEAL"), (0x10, "MFD_EXEC")]
IN_INIT_FLAGS = [(0o2000000, "IN_CLOEXEC"), (0o4000, "IN_NONBLOCK")]
# strace's order (xlat/inotify_flags.in)
IN_MASK = [(0x1, "IN_ACCESS"), (0x2, "IN_MODIFY"), (0x4, "IN_ATTRIB"), (0x8, "IN_CLOSE_WRITE"),
           (0x10, "IN_CLOSE_NOWRITE"), (0x20, "IN_OPEN"), (0x40, "IN_MOVED_FROM"),
           (0x80, "IN_MOVED_TO"), (0x100, "IN_CREATE"), (0x200, "IN_DELETE"),
           (0x400, "IN_DELETE_SELF"), (0x800, "IN_MOVE_SELF"), (0x2000, "IN_UNMOUNT"),
           (0x4000, "IN_Q_OVERFLOW"), (0x8000, "IN_IGNORED"), (0x1000000, "IN_ONLYDIR"),
           (0x2000000, "IN_DONT_FOLLOW"), (0x4000000, "IN_EXCL_UNLINK"),
           (0x10000000, "IN_MASK_CREATE"), (0x20000000, "IN_MASK_ADD"),
           (0x40000000, "IN_ISDIR"), (0x80000000, "IN_ONESHOT")]
