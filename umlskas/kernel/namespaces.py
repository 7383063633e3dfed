"""Namespaces: UTS, IPC, PID, mount, user, time, cgroup identities per task; unshare, setns, nsfs files.

How it is modelled (Linux's nsproxy): every task points at an NsProxy (uts, ipc, mnt,
net, cgroup, pid_for_children, time, time_for_children), shared until one of them
unshares; its active pid namespace (fixed at birth) and its user namespace (part of
its credentials in Linux) are task attributes. A task that never met a namespace
has none of these attributes and is in the kernel's initial namespaces.

What each kind means here:
- UTS: a host name and domain name per namespace (uname, sethostname, /proc/sys).
- PID: a second numbering. Tasks keep their kernel-wide (initial namespace) ids as
  task.tid/tgid; a namespace maps those to its own numbers, 1 for its first process,
  which reaps the namespace's orphans and whose death kills the namespace.
- USER: an owner, uid/gid maps and the setgroups switch; its creator has every
  capability inside; ids read back by getuid & co. are shown through the maps.
- TIME: CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets (/proc/PID/timens_offsets),
  applied to the processes that enter it.
- IPC, mount, cgroup: identities (IPC objects belong to `ipc`; the guest's mount table
  cannot change, so a copy of it is the same table).
- Network: the guest's AF_INET sockets are the host's, so a new network namespace is
  a real host one, made by the kernel process (which must be allowed to: otherwise
  CLONE_NEWNET is EINVAL, as on a kernel without CONFIG_NET_NS). Sockets of a guest in
  it are made there: loopback only (down until the guest brings it up), its own ports.
"""

import ctypes
import errno
import itertools
import os
import stat as statmod
import struct
import weakref

from .errors import SyscallError
from .files import File, O_RDONLY

CLONE_NEWTIME, CLONE_VM, CLONE_FS, CLONE_FILES = 0x80, 0x100, 0x200, 0x400
CLONE_SIGHAND, CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM = 0x800, 0x10000, 0x20000, 0x40000
CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
NEW_NS_FLAGS = (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET
                | CLONE_NEWCGROUP | CLONE_NEWTIME)
ALL_NS_FLAGS = NEW_NS_FLAGS | CLONE_NEWUSER

# (name in /proc/PID/ns, its CLONE_NEW* type, the initial namespace's inode: proc_ns.h)
KINDS = {
    "cgroup": (CLONE_NEWCGROUP, 0xEFFFFFFB), "ipc": (CLONE_NEWIPC, 0xEFFFFFFF),
    "mnt": (CLONE_NEWNS, 0xEFFFFFF8), "net": (CLONE_NEWNET, 0xEFFFFFF9),
    "pid": (CLONE_NEWPID, 0xEFFFFFFC), "time": (CLONE_NEWTIME, 0xEFFFFFFA),
    "user": (CLONE_NEWUSER, 0xEFFFFFFD), "uts": (CLONE_NEWUTS, 0xEFFFFFFE),
}
NS_LINKS = ("cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
            "time_for_children", "user", "uts")
TYPE_NAMES = {flag: name for name, (flag, _) in KINDS.items()}
MAX_LEVEL = 32                                 # user and pid namespaces nest this deep
OVERFLOW_ID = 65534
NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE, NS_GET_OWNER_UID = 0xB701, 0xB702, 0xB703, 0xB704
NSFS_MAGIC = 0x6E736673
CLOCK_MONOTONIC, CLOCK_BOOTTIME = 1, 7
TIME_CLOCKS = {1: CLOCK_MONOTONIC, 4: CLOCK_MONOTONIC, 6: CLOCK_MONOTONIC,
               7: CLOCK_BOOTTIME, 9: CLOCK_BOOTTIME}     # clocks a time namespace shifts
KTIME_SEC_MAX = (1 << 63) // 10**9

_inums = itertools.count(0xF0000000)          # proc_alloc_inum's range for new ones


class Namespace:
    """One namespace of one kind; the fields used depend on the kind."""

    def __init__(self, kind, user_ns, parent=None, ino=None):
        self.kind = kind
        self.ino = ino if ino is not None else next(_inums)
        self.user_ns = user_ns                 # the owning user namespace (self for init's)
        self.parent = parent                   # pid and user namespaces
        self.level = parent.level + 1 if parent is not None else 0
        if kind == "uts":
            self.hostname = self.domainname = b""
        elif kind == "user":
            self.owner = self.group = 0
            self.uid_map, self.gid_map = [], []   # [(first, lower_first, count)]
            self.setgroups = True
        elif kind == "pid":
            self.local = {}                    # kernel-wide id -> id in this namespace
            self.by_local = {}
            self.next = 1
            self.reaper = None                 # the Process with pid 1 here
            self.dead = False                  # its init has exited: no more processes
        elif kind == "time":
            self.offsets = {CLOCK_MONOTONIC: (0, 0), CLOCK_BOOTTIME: (0, 0)}
            self.frozen = False

    @property
    def type(self):
        return KINDS[self.kind][0]

    def __repr__(self):
        return f"<{self.kind} namespace {self.ino}>"


class NsProxy:
    """The namespaces a task uses (Linux's struct nsproxy)."""

    FIELDS = ("uts", "ipc", "mnt", "net", "cgroup", "pid_for_children", "time",
              "time_for_children")

    def __init__(self, **fields):
        for name in self.FIELDS:
            setattr(self, name, fields.get(name))

    def copy(self):
        return NsProxy(**{name: getattr(self, name) for name in self.FIELDS})


# ---- the initial namespaces ---------------------------------------------------------------

def initial(kernel):
    """The kernel's initial namespaces (made on first use)."""
    init = getattr(kernel, "init_nsproxy", None)
    if init is None:
        user = Namespace("user", None, ino=KINDS["user"][1])
        user.user_ns = user
        user.uid_map = [(0, 0, 0xFFFFFFFF)]
        user.gid_map = [(0, 0, 0xFFFFFFFF)]
        made = {kind: Namespace(kind, user, ino=KINDS[kind][1]) for kind in KINDS
                if kind != "user"}
        made["uts"].hostname = kernel.hostname.encode()
        made["uts"].domainname = kernel.domainname.encode()
        init = NsProxy(uts=made["uts"], ipc=made["ipc"], mnt=made["mnt"], net=made["net"],
                       cgroup=made["cgroup"], pid_for_children=made["pid"],
                       time=made["time"], time_for_children=made["time"])
        kernel.init_nsproxy, kernel.init_user_ns, kernel.init_pid_ns = init, user, made["pid"]
    return init


def nsproxy(task):
    proxy = getattr(task, "nsproxy", None)
    return proxy if proxy is not None else initial(task.kernel)


def user_ns(task):
    ns = getattr(task, "user_ns", None)
    if ns is None:
        initial(task.kernel)
        return task.kernel.init_user_ns
    return ns


def pid_ns(task):
    """The task's active pid namespace (the one it was born in)."""
    ns = getattr(task, "pid_ns", None)
    if ns is None:
        initial(task.kernel)
        return task.kernel.init_pid_ns
    return ns


def ipc_ns(task):
    """The IPC namespace whose System V objects the task sees."""
    return nsproxy(task).ipc


def uts(task):
    return nsproxy(task).uts


def set_uts(task, field, value):
    """A new hostname/domainname (bytes) for the task's UTS namespace; the initial
    namespace's is also the kernel's own."""
    ns = uts(task)
    setattr(ns, field, value)
    if ns is initial(task.kernel).uts:
        setattr(task.kernel, field, value.split(b"\0", 1)[0].decode(errors="replace"))


# ---- capabilities over a user namespace ------------------------------------------------------

def _effective(task):
    """Whether the task holds its capabilities in its own user namespace."""
    if getattr(task, "user_ns", None) is None or task.user_ns.level == 0:
        return task.creds.euid == 0
    return getattr(task, "userns_caps", False)


def ns_capable(task, ns):
    """cap_capable: capable in ns (any capability, as the guest's are all or nothing)."""
    mine = user_ns(task)
    while True:
        if ns is mine:
            return _effective(task)
        if ns.level <= mine.level:
            return False
        if ns.parent is mine and ns.owner == task.creds.euid:
            return True
        ns = ns.parent


def in_userns(ancestor, ns):
    """in_userns(): ns is ancestor or below it."""
    while ns is not None:
        if ns is ancestor:
            return True
        ns = ns.parent
    return False


# ---- id maps -------------------------------------------------------------------------

def map_from(extents, kid):
    """The id kid (in the parent's terms) as seen inside: None if unmapped."""
    for first, lower, count in extents:
        if lower <= kid < lower + count:
            return first + kid - lower
    return None


def map_to(extents, id_):
    for first, lower, count in extents:
        if first <= id_ < first + count:
            return lower + id_ - first
    return None


def _chain(ns):
    out = []
    while ns is not None and ns.level > 0:
        out.append(ns)
        ns = ns.parent
    return out


def from_kid(ns, kid, which="uid_map"):
    """from_kuid: a kernel-wide id as ns shows it; None if unmapped."""
    for n in reversed(_chain(ns)):
        kid = map_from(getattr(n, which), kid)
        if kid is None:
            return None
    return kid


def make_kid(ns, id_, which="uid_map"):
    """make_kuid: an id of ns as a kernel-wide one; None if unmapped."""
    for n in _chain(ns):
        id_ = map_to(getattr(n, which), id_)
        if id_ is None:
            return None
    return id_


def shown_uid(task, kuid):
    """from_kuid_munged(current_user_ns(), kuid)."""
    ns = getattr(task, "user_ns", None)
    if ns is None or ns.level == 0:
        return kuid
    v = from_kid(ns, kuid, "uid_map")
    return OVERFLOW_ID if v is None else v


def shown_gid(task, kgid):
    ns = getattr(task, "user_ns", None)
    if ns is None or ns.level == 0:
        return kgid
    v = from_kid(ns, kgid, "gid_map")
    return OVERFLOW_ID if v is None else v


# ---- pid numbering ------------------------------------------------------------------------

def vnr(ns, kid):
    """A kernel-wide pid as pid namespace ns numbers it; 0 if not visible there."""
    if ns.level == 0:
        return kid
    return ns.local.get(kid, 0)


def pid_nr(task, kid):
    """pid_vnr: a kernel-wide pid (tid, tgid) as the calling task sees it."""
    ns = getattr(task, "pid_ns", None)
    if ns is None or ns.level == 0:
        return kid
    return ns.local.get(kid, 0)


def pid_kid(task, nr):
    """find_vpid: the kernel-wide id of pid nr in the caller's namespace; None if there
    is none (nr <= 0 passes through unchanged)."""
    ns = getattr(task, "pid_ns", None)
    if ns is None or ns.level == 0 or nr <= 0:
        return nr
    return ns.by_local.get(nr)


def nspids(t, kid):
    """The NSpid list of a task: its id in each namespace from the initial one down."""
    ns = getattr(t, "pid_ns", None)
    chain = list(reversed(_chain(ns))) if ns is not None else []
    return [kid] + [n.local.get(kid, 0) for n in chain]


def _register(ns, kid, process=None):
    """alloc_pid: a number in ns and in every namespace above it."""
    for n in _chain(ns):
        nr = n.next
        n.next += 1
        n.local[kid] = nr
        n.by_local[nr] = kid
        if nr == 1 and process is not None:
            n.reaper = process


def reaper_of(kernel, process, reaper):
    """find_new_reaper: orphans of a process inside a pid namespace go to that
    namespace's init, never above it."""
    ns = getattr(process, "pid_ns", None)
    if ns is None or ns.level == 0:
        return reaper
    if ns.reaper is process:
        return reaper              # the namespace's init itself: its children die with it
    r = reaper
    while r is not None and r is not ns.reaper:
        r = r.parent
    if r is None and ns.reaper is not None and not ns.reaper.zombie:
        return ns.reaper
    return reaper


def init_exited(kernel, process):
    """zap_pid_ns_processes: the init of a pid namespace is gone; everything in the
    namespace is killed and no process can enter it any more. Returns the processes
    to kill."""
    ns = getattr(process, "pid_ns", None)
    if ns is None or ns.level == 0 or ns.reaper is not process:
        return []
    ns.dead = True
    return [p for p in kernel.processes() if p is not process and
            any(getattr(t, "pid_ns", None) is not None and in_pidns(ns, t.pid_ns)
                for t in p.threads)]


def in_pidns(ancestor, ns):
    while ns is not None:
        if ns is ancestor:
            return True
        ns = ns.parent
    return False


# ---- creating namespaces ----------------------------------------------------------------------

def _new_user_ns(task, parent):
    """create_user_ns: checks in Linux's order."""
    if parent.level >= MAX_LEVEL:
        raise SyscallError(errno.EUSERS)
    if getattr(task.fs, "root", "/") != "/":
        raise SyscallError(errno.EPERM)        # current_chrooted()
    if from_kid(parent, task.creds.euid) is None or \
            from_kid(parent, task.creds.egid, "gid_map") is None:
        raise SyscallError(errno.EPERM)
    ns = Namespace("user", parent, parent=parent)
    ns.owner, ns.group = task.creds.euid, task.creds.egid
    return ns


def _new_namespaces(task, flags, old, owner):
    """create_new_namespaces: the proxy with each asked kind made new."""
    new = old.copy()
    if flags & CLONE_NEWNET:
        ns = Namespace("net", owner)
        ns.host_fd = _host_netns()
        weakref.finalize(ns, os.close, ns.host_fd)
        new.net = ns
    if flags & CLONE_NEWNS:
        new.mnt = Namespace("mnt", owner)
    if flags & CLONE_NEWUTS:
        ns = Namespace("uts", owner)
        ns.hostname, ns.domainname = old.uts.hostname, old.uts.domainname
        new.uts = ns
    if flags & CLONE_NEWIPC:
        new.ipc = Namespace("ipc", owner)
    if flags & CLONE_NEWPID:
        parent = old.pid_for_children
        if parent is not pid_ns(task):
            raise SyscallError(errno.EINVAL)   # copy_pid_ns: only below the active one
        if parent.level >= MAX_LEVEL:
            raise SyscallError(errno.ENOSPC)
        new.pid_for_children = Namespace("pid", owner, parent=parent)
    if flags & CLONE_NEWCGROUP:
        new.cgroup = Namespace("cgroup", owner)
    if flags & CLONE_NEWTIME:
        ns = Namespace("time", owner)
        ns.offsets = dict(old.time.offsets)    # copy_time_ns starts from the current offsets
        new.time_for_children = ns
    return new


def clone_check(task, flags):
    """copy_process's namespace checks, before anything is made."""
    proxy = nsproxy(task)
    if flags & CLONE_THREAD and proxy.pid_for_children is not pid_ns(task):
        raise SyscallError(errno.EINVAL)
    if flags & (CLONE_THREAD | CLONE_VM) and proxy.time is not proxy.time_for_children:
        raise SyscallError(errno.EINVAL)
    if not flags & ALL_NS_FLAGS:
        if proxy.pid_for_children.level and proxy.pid_for_children.dead:
            raise SyscallError(errno.ENOMEM)   # alloc_pid: the namespace's init is gone
        return None
    owner = user_ns(task)
    new_user = None
    if flags & CLONE_NEWUSER:
        new_user = owner = _new_user_ns(task, owner)
    if flags & NEW_NS_FLAGS:
        if new_user is None and not ns_capable(task, owner):
            raise SyscallError(errno.EPERM)
        if flags & (CLONE_NEWIPC | CLONE_SYSVSEM) == CLONE_NEWIPC | CLONE_SYSVSEM:
            raise SyscallError(errno.EINVAL)
        proxy = _new_namespaces(task, flags, proxy, owner)
    if proxy.pid_for_children.level and proxy.pid_for_children.dead:
        raise SyscallError(errno.ENOMEM)
    return proxy, new_user


def clone_into(task, child, flags, prepared):
    """The child's namespaces (after clone_check said yes), its pid numbers."""
    proxy = nsproxy(task)
    new_user = None
    if prepared is not None:
        proxy, new_user = prepared
    if proxy.time_for_children is not proxy.time:
        # timens_on_fork: a new process enters its parent's time_for_children.
        proxy = proxy.copy()
        proxy.time = proxy.time_for_children
        proxy.time.frozen = True
    elif proxy.time is not initial(task.kernel).time:
        proxy.time.frozen = True
    if getattr(task, "nsproxy", None) is not None or proxy is not initial(task.kernel):
        child.nsproxy = proxy
    uns = new_user or getattr(task, "user_ns", None)
    if uns is not None:
        child.user_ns = uns
        child.userns_caps = True if new_user is not None else getattr(task, "userns_caps", False)
    if flags & CLONE_THREAD:
        ns = pid_ns(task)
    else:
        ns = proxy.pid_for_children
    if ns.level:
        child.pid_ns = ns
        _register(ns, child.tid, None if flags & CLONE_THREAD else child.process)
        if not flags & CLONE_THREAD:
            child.process.pid_ns = ns          # for its orphans, after its threads are gone
    elif getattr(task, "pid_ns", None) is not None:
        child.pid_ns = ns


def unshare(task, flags):
    """unshare(2): ksys_unshare's implied flags, check_unshare_flags, then each part."""
    if flags & CLONE_NEWUSER:
        flags |= CLONE_THREAD | CLONE_FS
    if flags & CLONE_VM:
        flags |= CLONE_SIGHAND
    if flags & CLONE_SIGHAND:
        flags |= CLONE_THREAD
    if flags & CLONE_NEWNS:
        flags |= CLONE_FS
    if flags & ~(CLONE_THREAD | CLONE_FS | CLONE_NEWNS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES
                 | CLONE_SYSVSEM | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUSER
                 | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME):
        raise SyscallError(errno.EINVAL)
    threads = len(task.process.threads) > 1
    if flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM) and threads:
        raise SyscallError(errno.EINVAL)
    if flags & (CLONE_SIGHAND | CLONE_VM) and _sighand_shared(task):
        raise SyscallError(errno.EINVAL)
    if flags & CLONE_VM and task.mm.users > 1:
        raise SyscallError(errno.EINVAL)
    new_user = None
    if flags & CLONE_NEWUSER:
        new_user = _new_user_ns(task, user_ns(task))
    proxy = None
    if flags & NEW_NS_FLAGS:
        owner = new_user or user_ns(task)
        if new_user is None and not ns_capable(task, owner):
            raise SyscallError(errno.EPERM)
        proxy = _new_namespaces(task, flags, nsproxy(task), owner)
    # Nothing can fail from here (the commit).
    if flags & CLONE_FS:
        task.fs = task.fs.copy()
    if flags & CLONE_FILES:
        task.files = _own_files(task)
    if new_user is not None:
        task.user_ns = new_user
        task.userns_caps = True
    if proxy is not None:
        task.nsproxy = proxy
    return 0


def _sighand_shared(task):
    return any(t.sighand is task.sighand for t in task.kernel.tasks.values()
               if t.process is not task.process)


def _own_files(task):
    files = task.files
    if getattr(files, "users", 1) > 1:
        files.users -= 1
        files = files.copy()
    return files


def on_exec(task):
    """Capabilities after execve inside a user namespace: kept by an effective uid
    that is the namespace's root, lost otherwise (cap_bprm_creds_from_file)."""
    ns = getattr(task, "user_ns", None)
    if ns is not None and ns.level:
        task.userns_caps = from_kid(ns, task.creds.euid) == 0


def time_offset(task, clk):
    """The time namespace offset (ns) for clock clk."""
    proxy = getattr(task, "nsproxy", None)
    if proxy is None:
        return 0
    which = TIME_CLOCKS.get(clk)
    if which is None:
        return 0
    sec, nsec = proxy.time.offsets[which]
    return sec * 10**9 + nsec


# ---- network namespaces: real host ones ------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_home_netns = None                     # the kernel's own (the guests' initial) network ns


def _home():
    global _home_netns
    if _home_netns is None:
        _home_netns = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    return _home_netns


def _switch(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def _host_netns():
    """A fresh host network namespace (an fd for it); EINVAL if the host will not
    make one for us (copy_net_ns without CONFIG_NET_NS answers so)."""
    try:
        home = _home()
    except OSError:
        raise SyscallError(errno.EINVAL) from None
    if _libc.unshare(CLONE_NEWNET) != 0:
        raise SyscallError(errno.EINVAL)
    try:
        return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        _switch(home)                  # back home; failing here is the kernel's own bug


def in_net_ns(task, make):
    """make() with the kernel's thread in the task's network namespace (a socket made
    there belongs to it for life); returns (result, namespace or None)."""
    ns = nsproxy(task).net
    fd = getattr(ns, "host_fd", None)
    if fd is None:
        return make(), None
    _switch(fd)
    try:
        return make(), ns
    finally:
        _switch(_home())


# ---- nsfs: /proc/PID/ns/* and setns -------------------------------------------------------------

def ns_of_link(t, name):
    """The namespace /proc/PID/ns/name of task t shows; None where Linux shows none
    (pid_for_children before the namespace has its init)."""
    proxy = nsproxy(t)
    if name == "user":
        return user_ns(t)
    if name == "pid":
        return pid_ns(t)
    if name == "pid_for_children":
        ns = proxy.pid_for_children
        return ns if ns.level == 0 or ns.reaper is not None else None
    return getattr(proxy, name)


def link_text(name, ns):
    kind = "pid" if name == "pid_for_children" else "time" if name == "time_for_children" \
        else name
    return f"{kind}:[{ns.ino}]"


class NsFile(File):
    """An open nsfs inode: setns(2) argument, NS_GET_* ioctls."""

    def __init__(self, ns, flags, path, dev=0):
        super().__init__(flags, path)
        self.ns = ns
        self.dev = dev
        self.mode = statmod.S_IFREG | 0o444

    def path_name(self):
        return self.path

    def stat(self):
        from .procfs import node_stat
        return node_stat(statmod.S_IFREG | 0o444, self.ns.ino, dev=self.dev)

    def read(self, size):
        raise SyscallError(errno.EINVAL)

    def statfs(self):
        raise SyscallError(errno.ENOSYS)

    def ioctl(self, task, cmd, arg):
        ns = self.ns
        if cmd == NS_GET_NSTYPE:
            return ns.type
        if cmd == NS_GET_USERNS:
            owner = ns.parent if ns.kind == "user" else ns.user_ns
            if owner is None or not in_userns(user_ns(task), owner):
                raise SyscallError(errno.EPERM)
            return _open_related(task, owner, self.dev)
        if cmd == NS_GET_PARENT:
            if ns.kind not in ("pid", "user"):
                raise SyscallError(errno.EINVAL)
            parent = ns.parent
            if parent is None:
                raise SyscallError(errno.EPERM)
            mine = pid_ns(task) if ns.kind == "pid" else user_ns(task)
            if not in_userns(mine, parent):
                raise SyscallError(errno.EPERM)
            return _open_related(task, parent, self.dev)
        if cmd == NS_GET_OWNER_UID:
            if ns.kind != "user":
                raise SyscallError(errno.EINVAL)
            task.mm.write(arg, struct.pack("<I", shown_uid(task, ns.owner)))
            return 0
        raise SyscallError(errno.ENOTTY)


def _open_related(task, ns, dev):
    name = "pid" if ns.kind == "pid" else ns.kind
    return task.files.install(NsFile(ns, O_RDONLY, f"{name}:[{ns.ino}]", dev), cloexec=True)


def setns(task, fd, nstype):
    """setns(2) with a namespace fd (a pidfd is EINVAL for the types asked here unless
    all: not supported, EINVAL)."""
    file = task.files.get(fd)
    if file.flags & 0o10000000:
        raise SyscallError(errno.EBADF)        # fdget: an O_PATH descriptor is no file
    if not isinstance(file, NsFile):
        raise SyscallError(errno.EINVAL)
    ns = file.ns
    if nstype and nstype != ns.type:
        raise SyscallError(errno.EINVAL)
    kind = ns.kind
    mine = user_ns(task)
    proxy = nsproxy(task)
    if kind == "user":
        if ns is mine:
            raise SyscallError(errno.EINVAL)
        if len(task.process.threads) > 1:
            raise SyscallError(errno.EINVAL)
        if not ns_capable(task, ns):
            raise SyscallError(errno.EPERM)
        task.fs = task.fs.copy()
        task.user_ns = ns
        task.userns_caps = True
        return 0
    if not ns_capable(task, ns.user_ns) or not ns_capable(task, mine):
        raise SyscallError(errno.EPERM)
    new = proxy.copy()
    if kind == "pid":
        active = pid_ns(task)
        if ns.level < active.level:
            raise SyscallError(errno.EINVAL)
        anc = ns
        while anc.level > active.level:
            anc = anc.parent
        if anc is not active:
            raise SyscallError(errno.EINVAL)
        new.pid_for_children = ns
    elif kind == "time":
        if len(task.process.threads) > 1 or task.mm.users > 1:
            raise SyscallError(errno.EUSERS)
        new.time_for_children = ns
        new.time = ns                          # timens_commit: the caller enters it now
        ns.frozen = True
    else:
        if kind == "mnt":
            task.fs = task.fs.copy()
        setattr(new, kind, ns)
    task.nsproxy = new
    return 0


# ---- user namespace files ------------------------------------------------------------------------

def map_text(reader, t, which):
    """/proc/PID/uid_map as reader sees it (uid_m_show)."""
    ns = user_ns(t)
    seq_ns = user_ns(reader) if reader is not None else ns
    lower_ns = seq_ns.parent if seq_ns is ns and seq_ns.parent is not None else seq_ns
    out = []
    for first, lower, count in getattr(ns, which):
        kid = make_kid(ns.parent, lower, which) if ns.parent is not None else lower
        shown = from_kid(lower_ns, kid, which) if kid is not None else None
        if shown is None:
            shown = lower
        out.append(f"{first:>10} {shown:>10} {count:>10}\n")
    return "".join(out).encode()


def write_map(task, t, which, data):
    """map_write: one write, parsed and checked as Linux does."""
    ns = user_ns(t)
    mine = user_ns(task)
    if mine is not ns and mine is not ns.parent:
        raise SyscallError(errno.EPERM)
    if len(data) >= 4096:
        raise SyscallError(errno.EINVAL)
    if getattr(ns, which) or ns.level == 0:
        raise SyscallError(errno.EPERM)
    if not ns_capable(task, ns):
        raise SyscallError(errno.EPERM)
    text = bytes(data).split(b"\0", 1)[0].decode(errors="replace")
    extents = []
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    for line in lines:
        parts = line.split()
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise SyscallError(errno.EINVAL)
        first, lower, count = (int(p) for p in parts)
        if count == 0 or first + count > 1 << 32 or lower + count > 1 << 32 or \
                first + count - 1 == 0xFFFFFFFF or lower + count - 1 == 0xFFFFFFFF:
            raise SyscallError(errno.EINVAL)
        for f, lo, c in extents:
            if first < f + c and f < first + count or lower < lo + c and lo < lower + count:
                raise SyscallError(errno.EINVAL)
        extents.append((first, lower, count))
        if len(extents) > 340:
            raise SyscallError(errno.EINVAL)
    if not extents:
        raise SyscallError(errno.EINVAL)
    if not _map_permitted(task, ns, which, extents):
        raise SyscallError(errno.EPERM)
    for first, lower, count in extents:
        if make_kid(ns.parent, lower, which) is None or \
                make_kid(ns.parent, lower + count - 1, which) is None:
            raise SyscallError(errno.EPERM)
    setattr(ns, which, extents)
    return len(data)


def _map_permitted(task, ns, which, extents):
    """new_idmap_permitted."""
    if len(extents) == 1 and extents[0][2] == 1 and ns.owner == task.creds.euid:
        lower = make_kid(ns.parent, extents[0][1], which)
        if which == "uid_map" and lower == task.creds.euid:
            return True
        if which == "gid_map" and not ns.setgroups and lower == task.creds.egid:
            return True
    return ns_capable(task, ns.parent)


def setgroups_text(t):
    return b"allow\n" if user_ns(t).setgroups else b"deny\n"


def write_setgroups(task, t, data):
    """proc_setgroups_write."""
    ns = user_ns(t)
    if len(data) >= 8:
        raise SyscallError(errno.EINVAL)
    text = bytes(data).split(b"\0", 1)[0]
    if text.startswith(b"allow"):
        allow, rest = True, text[5:]
    elif text.startswith(b"deny"):
        allow, rest = False, text[4:]
    else:
        raise SyscallError(errno.EINVAL)
    if rest.strip():
        raise SyscallError(errno.EINVAL)
    if allow:
        if not ns.setgroups:
            raise SyscallError(errno.EPERM)
    else:
        if ns.gid_map:
            raise SyscallError(errno.EPERM)
        ns.setgroups = False
    return len(data)


def timens_text(t):
    ns = nsproxy(t).time_for_children
    out = []
    for clk, name in ((CLOCK_MONOTONIC, "monotonic"), (CLOCK_BOOTTIME, "boottime")):
        sec, nsec = ns.offsets[clk]
        out.append(f"{name:<10} {sec:>10} {nsec:>9}\n")
    return "".join(out).encode()


def write_timens(task, t, data):
    """timens_offsets_write, proc_timens_set_offset."""
    text = bytes(data).split(b"\0", 1)[0].decode(errors="replace")
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    count = len(data)
    if len(lines) > 2:
        lines = lines[:2]             # two offsets at most; the rest is not consumed
        count = len(lines[0]) + len(lines[1]) + 2
    offsets = []
    for line in lines:
        parts = line.split()
        try:
            clock, sec, nsec = parts[0][:9], int(parts[1]), int(parts[2])
        except (IndexError, ValueError):
            raise SyscallError(errno.EINVAL) from None
        if nsec < 0 or nsec >= 10**9:
            raise SyscallError(errno.EINVAL)
        if clock in ("monotonic", "1"):
            offsets.append((CLOCK_MONOTONIC, sec, nsec))
        elif clock in ("boottime", "7"):
            offsets.append((CLOCK_BOOTTIME, sec, nsec))
        else:
            raise SyscallError(errno.EINVAL)
    ns = nsproxy(t).time_for_children
    if not ns_capable(task, ns.user_ns):
        raise SyscallError(errno.EPERM)
    for clk, sec, nsec in offsets:
        now = task.kernel.clock.now_ns(clk) // 10**9
        if not -KTIME_SEC_MAX <= sec <= KTIME_SEC_MAX or not 0 <= now + sec <= KTIME_SEC_MAX // 2:
            raise SyscallError(errno.ERANGE)
    if ns.frozen or ns is initial(task.kernel).time:
        raise SyscallError(errno.EACCES)
    for clk, sec, nsec in offsets:
        ns.offsets[clk] = (sec, nsec)
    return count
