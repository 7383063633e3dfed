"""THE syscall table: every x86-64 number with its name, handler, argument decoding and support level.

It is built once from names.py (numbers, names, argument kinds) and the
HANDLERS dicts of the subsystem modules, and it feeds dispatch, --trace and
`umlskas syscalls`. A number with no handler answers ENOSYS, and the kernel
logs its name once.
"""

from . import fs, futex, ipc, mm, notify, poll, process, signal, splice, time, timers
from .names import SYSCALLS

SUBSYSTEMS = (fs, mm, process, signal, time, futex, poll, ipc, timers, splice, notify)

# Kinds that are C ints (32 bits): the guest's value arrives zero-extended
# in a 64-bit register and is sign-extended here, in one place.
SIGNED_32 = frozenset({"int", "fd", "dirfd", "pid", "signal", "clockid", "whence", "atflags",
                       "sighow", "resource", "fcntlcmd", "futexop", "oflags", "accessmode"})
SIGNED_64 = frozenset({"long", "off"})
UNSIGNED_32 = frozenset({"uint", "uid", "gid", "mode"})

# Deliberate ENOSYS answers, with the reason shown in the support list.
ENOSYS_REASONS = {
    "rseq": "ENOSYS: glibc runs without restartable sequences",
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
