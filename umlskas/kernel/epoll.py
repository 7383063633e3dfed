"""epoll instances (fs/eventpoll.c), on the kernel's own files and on host fds.

An instance keeps interest entries keyed on (fd, file) and a ready list in
Linux's order. Kernel files (pipes, eventfds, sockets, other epolls) are
watched the way Linux watches them: a hook sits in each of the file's wait
queues, so every wake of the file puts its entry on the ready list, like
ep_poll_callback. That gives edge-triggered mode its edges and lets a poll()
or an outer epoll on this instance wake when a watched file changes. Host
files have no wait queues: their fds are polled at each scan (edges are then
changes seen between scans) and a waiting epoll_wait parks on them.

Entries go away with EPOLL_CTL_DEL or when their file is released (no fd
refers to it any more); the latter is noticed lazily, at the next use.
"""

import select

from .errors import WaitQueue
from .files import O_RDWR, File, make_stat

EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP = 0x1, 0x2, 0x4, 0x8, 0x10
EPOLLRDNORM, EPOLLRDBAND, EPOLLWRNORM, EPOLLWRBAND = 0x40, 0x80, 0x100, 0x200
EPOLLMSG, EPOLLRDHUP = 0x400, 0x2000
EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET = 1 << 28, 1 << 29, 1 << 30, 1 << 31
EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
EPOLLINOUT_BITS = EPOLLIN | EPOLLOUT
EPOLLEXCLUSIVE_OK_BITS = EPOLLINOUT_BITS | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | \
    EPOLLEXCLUSIVE
HOST_POLL_BITS = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | \
    EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP
EPOLL_MAX_NESTS = 4


def file_revents(file, events=HOST_POLL_BITS):
    """What `file` is ready for now, as poll bits (RDNORM/WRNORM with IN/OUT)."""
    ready = getattr(file, "poll", None)
    if ready is not None:
        ev = ready()
        if ev & EPOLLIN:
            ev |= EPOLLRDNORM
        if ev & EPOLLOUT:
            ev |= EPOLLWRNORM
        return ev
    if file.host_fd is not None:
        poller = select.poll()
        poller.register(file.host_fd, (events & HOST_POLL_BITS) | EPOLLIN | EPOLLOUT | EPOLLPRI)
        got = poller.poll(0)
        return got[0][1] if got else 0
    return EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM


def can_poll(file):
    """file_can_poll(): kernel files with poll(), host files the host can poll."""
    if getattr(file, "poll", None) is not None:
        return True
    if file.host_fd is None:
        return False
    probe = select.epoll()
    try:
        probe.register(file.host_fd, select.EPOLLIN)
    except OSError:
        return False
    finally:
        probe.close()
    return True


class KeyedWaitQueue(WaitQueue):
    """A WaitQueue whose wake() can say which poll events it is about (the key
    of Linux's wake_up_poll), so epoll ignores wakes its entries do not want."""

    __slots__ = ("key",)

    def __init__(self):
        super().__init__()
        self.key = 0

    def wake(self, count=None, key=0):
        self.key = key
        try:
            return super().wake(count)
        finally:
            self.key = 0


def _queue_events(file, queue):
    """The events a plain queue of a kernel file is woken for (0: any)."""
    pipe = getattr(file, "pipe", None)
    if pipe is not None:
        if queue is getattr(pipe, "readq", None):
            return EPOLLIN | EPOLLRDNORM
        if queue is getattr(pipe, "writeq", None):
            return EPOLLOUT | EPOLLWRNORM
    return 0


class _Hook:
    """Stands in a watched file's wait queue like a parked task: the queue's
    wake() calls `waiter.kernel.wake(waiter)`, which lands here."""

    __slots__ = ("kernel", "queue", "entry", "mask")

    def __init__(self, entry, queue):
        self.kernel = self
        self.queue = queue
        self.entry = entry
        self.mask = _queue_events(entry.file, queue)
        queue.waiters.append(self)

    def wake(self, _self):
        self.queue.waiters.append(self)       # stay armed
        key = getattr(self.queue, "key", 0) or self.mask
        if key and not key & self.entry.events:
            return
        self.entry.epoll.callback(self.entry)

    def remove(self):
        try:
            self.queue.waiters.remove(self)
        except ValueError:
            pass


class Entry:
    """One interest entry (an epitem)."""

    __slots__ = ("epoll", "fd", "file", "events", "data", "linked", "hooks", "seen")

    def __init__(self, epoll, fd, file, events, data):
        self.epoll = epoll
        self.fd = fd
        self.file = file
        self.events = events
        self.data = data
        self.linked = False
        self.seen = 0
        waits = getattr(file, "wait_queues", None)
        self.hooks = [_Hook(self, q) for q in waits()] if waits is not None else []

    def revents(self):
        return file_revents(self.file, self.events) & self.events

    @property
    def active(self):
        return bool(self.events & ~EP_PRIVATE_BITS)

    def unhook(self):
        for h in self.hooks:
            h.remove()
        self.hooks = []


class Epoll(File):
    """An epoll instance (anon_inode:[eventpoll])."""

    def __init__(self, flags=0):
        super().__init__(O_RDWR, "anon_inode:[eventpoll]")
        self.entries = {}         # (fd, file) -> Entry, in insertion order
        self.rdl = []             # the ready list: linked entries, in order
        self.queue = WaitQueue()  # epoll_wait callers, poll()ers and outer epolls

    # ---- interest list -----------------------------------------------------------

    def _link(self, entry):
        if not entry.linked:
            entry.linked = True
            self.rdl.append(entry)

    def _unlink(self, entry):
        if entry.linked:
            entry.linked = False
            self.rdl.remove(entry)

    def _drop(self, key):
        entry = self.entries.pop(key)
        entry.unhook()
        self._unlink(entry)

    def prune(self):
        """Forget entries whose file was released (eventpoll_release)."""
        for key in [k for k, e in self.entries.items() if e.file.refs <= 0]:
            self._drop(key)

    def find(self, fd, file):
        self.prune()
        return self.entries.get((fd, file))

    def watched_epolls(self):
        return [e.file for e in self.entries.values() if isinstance(e.file, Epoll)]

    def reaches(self, target, depth=0):
        """Whether target is this instance or nested below it; deep nests count as loops."""
        if self is target or depth > EPOLL_MAX_NESTS:
            return True
        return any(ep.reaches(target, depth + 1) for ep in self.watched_epolls())

    def insert(self, fd, file, events, data):
        entry = Entry(self, fd, file, events | EPOLLERR | EPOLLHUP, data)
        self.entries[(fd, file)] = entry
        self._check_now(entry)

    def modify(self, entry, events, data):
        entry.events = events | EPOLLERR | EPOLLHUP
        entry.data = data
        entry.seen = 0
        self._check_now(entry)

    def delete(self, entry):
        self._drop((entry.fd, entry.file))

    def _check_now(self, entry):
        """ep_insert/ep_modify: queue the entry at once if it is ready."""
        rev = entry.revents()
        entry.seen = rev
        if rev and entry.active:
            self._link(entry)
            self.queue.wake()

    def callback(self, entry):
        """ep_poll_callback: a watched kernel file woke its waiters."""
        if self.entries.get((entry.fd, entry.file)) is not entry or not entry.active:
            return
        self._link(entry)
        self.queue.wake()

    # ---- readiness ------------------------------------------------------------------

    def _scan_unhooked(self):
        """Entries nothing calls back for (host files, kernel files without wait
        queues), and level-triggered ones that may have been missed: link when ready."""
        for entry in list(self.entries.values()):
            if entry.linked or not entry.active:
                continue
            if entry.events & EPOLLET:
                if entry.hooks:
                    continue
                rev = entry.revents()
                fresh = rev & ~entry.seen
                entry.seen = rev
                if fresh:
                    self._link(entry)
            elif entry.revents():
                self._link(entry)

    def collect(self, maxevents):
        """ep_send_events: up to maxevents (events, data) pairs, consuming edges
        and one-shots and re-queueing level-triggered entries at the tail."""
        self.prune()
        self._scan_unhooked()
        out = []
        txlist, self.rdl = self.rdl, []
        rest = []
        for i, entry in enumerate(txlist):
            if len(out) >= maxevents:
                rest = txlist[i:]
                break
            entry.linked = False
            rev = entry.revents()
            entry.seen = rev
            if not rev:
                continue
            out.append((rev, entry.data))
            if entry.events & EPOLLONESHOT:
                entry.events &= EP_PRIVATE_BITS
            elif not entry.events & EPOLLET:
                self._link(entry)
        self.rdl = rest + self.rdl
        return out

    def poll(self):
        """ep_eventpoll_poll: readable when some queued entry is really ready."""
        self.prune()
        self._scan_unhooked()
        for entry in list(self.rdl):
            if entry.revents():
                return EPOLLIN
            self._unlink(entry)
        return 0

    def wait_queues(self):
        return (self.queue,)

    def host_waits(self):
        """(host fd, poll events) of watched host files, for parking."""
        fds = []
        for entry in self.entries.values():
            file = entry.file
            if not entry.hooks and getattr(file, "poll", None) is None and \
                    file.host_fd is not None and entry.active:
                fds.append((file.host_fd, entry.events & (EPOLLIN | EPOLLOUT | EPOLLPRI) or EPOLLIN))
        return tuple(fds)

    def stat(self):
        return make_stat(0o600, 0x4000 + id(self) % 100000, dev=0xE)

    def release(self):
        for key in list(self.entries):
            self._drop(key)
        self.queue.wake()
