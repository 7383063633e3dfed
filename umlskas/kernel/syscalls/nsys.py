"""Namespace and persona syscalls: unshare, setns, sethostname, setdomainname, personality."""

import errno

from .. import namespaces
from ..errors import SyscallError

NEW_UTS_LEN = 64


def sys_unshare(task, flags):
    """unshare(2): see namespaces.unshare."""
    return namespaces.unshare(task, flags & 0xFFFFFFFFFFFFFFFF)


def sys_setns(task, fd, nstype):
    """setns(2) with a /proc/PID/ns file."""
    return namespaces.setns(task, fd, nstype & 0xFFFFFFFF)


def _set_uts(task, field, name, length):
    """sethostname/setdomainname: capable over the UTS namespace's owner, 0..64 bytes,
    stored as given (the rest of the field zeroed)."""
    ns = namespaces.uts(task)
    if not namespaces.ns_capable(task, ns.user_ns):
        raise SyscallError(errno.EPERM)
    length &= 0xFFFFFFFF
    if length & 0x80000000 or length > NEW_UTS_LEN:
        raise SyscallError(errno.EINVAL)
    value = task.mm.read(name, length) if length else b""
    namespaces.set_uts(task, field, value)
    return 0


def sys_sethostname(task, name, length):
    """sethostname(2)."""
    return _set_uts(task, "hostname", name, length)


def sys_setdomainname(task, name, length):
    """setdomainname(2)."""
    return _set_uts(task, "domainname", name, length)


def sys_personality(task, persona):
    """personality(2) (kernel/exec_domain.c): 0xffffffff only asks; any other value is
    the new persona; the old one is returned."""
    old = getattr(task, "personality", 0)
    persona &= 0xFFFFFFFF
    if persona != 0xFFFFFFFF:
        task.personality = persona
    return old - (1 << 32) if old & 0x80000000 else old


HANDLERS = {
    "unshare": (sys_unshare, "partial: all kinds; a network namespace is a host one "
                             "(EINVAL where the host will not make it)"),
    "setns": (sys_setns, "partial: namespace fds; pidfds EINVAL"),
    "sethostname": sys_sethostname, "setdomainname": sys_setdomainname,
    "personality": (sys_personality, "partial: recorded; ADDR_NO_RANDOMIZE etc. not applied"),
}
