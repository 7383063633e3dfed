"""THE syscall table: every x86-64 number with its name, handler, argument decoding and support level.

It is built once from names.py (numbers, names, argument kinds) and the
HANDLERS dicts of the subsystem modules, and it feeds dispatch, --trace and
`umlskas syscalls`. A number with no handler answers ENOSYS, and the kernel
logs its name once.
"""

from . import (  # one subsystem a line: the order of SUBSYSTEMS below is the table's
    admin,
    cachestat,
    fhandle,
    fs,
    futex,
    futex2,
    ipc,
    kcmp,
    keys,
    memquery,
    mm,
    mqueue,
    notify,
    nsys,
    other_process,
    poll,
    process,
    ptrace,
    sched,
    seccomp,
    signal,
    splice,
    statmount,
    sysvipc,
    sysvshm,
    time,
    timers,
)
from .. import creds
from .names import SYSCALLS

SUBSYSTEMS = (
    fs,
    mm,
    process,
    signal,
    time,
    futex,
    futex2,
    poll,
    ipc,
    timers,
    splice,
    sched,
    admin,
    memquery,
    kcmp,
    seccomp,
    other_process,
    ptrace,
    mqueue,
    keys,
    fhandle,
    cachestat,
    statmount,
    sysvipc,
    sysvshm,
    nsys,
    creds,
    notify,
)

# Kinds that are C ints (32 bits): the guest's value arrives zero-extended
# in a 64-bit register and is sign-extended here, in one place.
SIGNED_32 = frozenset({"int", "fd", "dirfd", "pid", "signal", "clockid", "whence", "atflags",
                       "sighow", "resource", "fcntlcmd", "futexop", "oflags", "accessmode"})
SIGNED_64 = frozenset({"long", "off"})
UNSIGNED_32 = frozenset({"uint", "uid", "gid", "mode"})

# Deliberate ENOSYS answers, with the reason shown in the support list.
ENOSYS_REASONS = {
    "rseq": "ENOSYS: glibc runs without restartable sequences",
    # Calls a Linux kernel built without the feature answers with ENOSYS too.
    **dict.fromkeys(("swapon", "swapoff"), "ENOSYS: as a kernel without CONFIG_SWAP"),
    "acct": "ENOSYS: as a kernel without CONFIG_BSD_PROCESS_ACCT",
    **dict.fromkeys(("quotactl", "quotactl_fd"), "ENOSYS: as a kernel without CONFIG_QUOTACTL"),
    **dict.fromkeys(("iopl", "ioperm"),
                    "ENOSYS: as a kernel without CONFIG_X86_IOPL_IOPERM: no I/O ports"),
    "modify_ldt": "ENOSYS: as a kernel without CONFIG_MODIFY_LDT_SYSCALL",
    **dict.fromkeys(("kexec_load", "kexec_file_load"), "ENOSYS: as a kernel without kexec"),
    **dict.fromkeys(("init_module", "finit_module", "delete_module"),
                    "ENOSYS: as a kernel without loadable modules"),
    **dict.fromkeys(("mbind", "set_mempolicy", "get_mempolicy", "migrate_pages", "move_pages",
                     "set_mempolicy_home_node"), "ENOSYS: as a kernel without CONFIG_NUMA"),
    **dict.fromkeys(("create_module", "get_kernel_syms", "query_module", "nfsservctl",
                     "getpmsg", "putpmsg", "afs_syscall", "tuxcall", "security", "vserver",
                     "uselib", "_sysctl", "lookup_dcookie", "epoll_ctl_old", "epoll_wait_old",
                     "set_thread_area", "get_thread_area"),
                    "ENOSYS: not in Linux's x86-64 table any more (or never was)"),
    "bpf": "ENOSYS: as a kernel without CONFIG_BPF_SYSCALL",
    "sysfs": "ENOSYS: as a kernel without CONFIG_SYSFS_SYSCALL",
    "ustat": "ENOSYS: not implemented (glibc dropped its wrapper in 2.28)",
    **dict.fromkeys(("io_uring_setup", "io_uring_enter", "io_uring_register"),
                    "ENOSYS: as a kernel without CONFIG_IO_URING (programs fall back)"),
    "userfaultfd": "ENOSYS: as a kernel without CONFIG_USERFAULTFD",
    **dict.fromkeys(("uprobe", "uretprobe"), "ENOSYS: no uprobes"),
    "map_shadow_stack": "ENOSYS: as a kernel without CONFIG_X86_USER_SHADOW_STACK",
    "memfd_secret": "ENOSYS: as a kernel without secret memory",
    "perf_event_open": "ENOSYS: as a kernel without CONFIG_PERF_EVENTS",
    **dict.fromkeys(("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"),
                    "ENOSYS: as a kernel without CONFIG_SECURITY_LANDLOCK"),
}


class Entry:
    """One row of the table."""

    __slots__ = ("nr", "name", "handler", "kinds", "ret", "nargs", "signed32", "signed64",
                 "unsigned32", "support", "plain")

    def __init__(self, nr, name, ret, kinds, handler, support):
        self.nr = nr
        self.name = name
        self.ret = ret
        self.kinds = kinds
        self.nargs = len(kinds)
        self.handler = handler
        self.signed32 = tuple(i for i, k in enumerate(kinds) if k in SIGNED_32)
        self.signed64 = tuple(i for i, k in enumerate(kinds) if k in SIGNED_64)
        self.unsigned32 = tuple(i for i, k in enumerate(kinds) if k in UNSIGNED_32)
        self.support = support
        # No argument needs more than slicing: the dispatcher skips decode().
        self.plain = not (self.signed32 or self.signed64 or self.unsigned32)

    def decode(self, raw):
        """The handler's arguments from six raw unsigned registers."""
        args = list(raw[:self.nargs])
        for i in self.signed32:
            v = args[i] & 0xFFFFFFFF
            args[i] = v - 0x100000000 if v & 0x80000000 else v
        for i in self.signed64:
            v = args[i]
            if v & 0x8000000000000000:
                args[i] = v - 0x10000000000000000
        for i in self.unsigned32:
            args[i] &= 0xFFFFFFFF
        return args


def _handlers():
    found = {}
    for module in SUBSYSTEMS:
        for name, value in module.HANDLERS.items():
            if name in found:
                raise RuntimeError(f"syscall {name} has two handlers")
            found[name] = value if isinstance(value, tuple) else (value, "supported")
    return found


def build_table():
    """A list indexed by syscall number: Entry, or None where Linux has no syscall."""
    handlers = _handlers()
    names = {name for _, name, _, _ in SYSCALLS}
    unknown = set(handlers) - names
    if unknown:
        raise RuntimeError(f"handlers for syscalls not in the table: {sorted(unknown)}")
    size = max(nr for nr, _, _, _ in SYSCALLS) + 1
    table = [None] * size
    for nr, name, ret, kinds in SYSCALLS:
        handler, support = handlers.get(name, (None, ENOSYS_REASONS.get(name, "ENOSYS: not implemented")))
        table[nr] = Entry(nr, name, ret, kinds, handler, support)
    return table


TABLE = build_table()
BY_NAME = {e.name: e for e in TABLE if e is not None}
