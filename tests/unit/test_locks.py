"""The kernel's file locks (umlskas/kernel/locks.py) without a guest: ranges split and
merge, conflicts and F_GETLK answers, flock conversions, release rules, deadlock detection,
and their host side (mirrors, locks held outside the kernel, the poll's backoff)."""

import errno
import fcntl
import os
import struct

import pytest

from umlskas.kernel import locks as locks_mod
from umlskas.kernel.errors import Block, SyscallError
from umlskas.kernel.locks import (F_OFD_GETLK, F_OFD_SETLK, F_RDLCK, F_UNLCK, F_WRLCK,
                                  HOST_POLL_FIRST, HOST_POLL_MAX, OFFSET_MAX, LockContext,
                                  LockManager, Request, flock_range, hosted, key_of)

RD, WR, UN = F_RDLCK, F_WRLCK, F_UNLCK
KEY = ("inode", 1, 2)


class Owner:
    """A POSIX owner (stands for an fd table: the manager sets its close hook)."""
    posix_locks = None


class FakeKernel:
    def __init__(self):
        self.woken = []

    def wake(self, task):
        self.woken.append(task)


class FakeTask:
    def __init__(self, kernel, name):
        self.kernel = kernel
        self.name = name

    def __repr__(self):
        return self.name


class FakeFile:
    """What flock_range needs of a File: a position and a size."""

    def __init__(self, pos=0, size=0):
        self.pos, self.size = pos, size

    def lseek(self, offset, whence):
        return self.pos

    def stat(self):
        return os.stat_result((0o100644, 1, 1, 1, 0, 0, self.size, 0, 0, 0))


def locks_of(ctx, owner):
    return [(s, e, t) for s, e, t, _ in ctx.posix.get(owner, [])]


def req(owner, start, end, type, wait=False, ofd=False, pid=1, key=KEY):
    return Request(None, key, owner, start, end, type, pid, wait=wait, ofd=ofd)


def errno_of(fn, *args):
    with pytest.raises(SyscallError) as e:
        fn(*args)
    return e.value.errno


# ---- ranges -------------------------------------------------------------------------

def test_unlock_in_the_middle_splits():
    ctx, a = LockContext(KEY), Owner()
    assert ctx.set(a, 0, 99, WR, 1)
    assert ctx.set(a, 40, 59, UN, 1)
    assert locks_of(ctx, a) == [(0, 39, WR), (60, 99, WR)]


def test_other_type_in_the_middle_splits_and_same_type_merges_back():
    ctx, a = LockContext(KEY), Owner()
    ctx.set(a, 0, 99, WR, 1)
    ctx.set(a, 40, 59, RD, 1)
    assert locks_of(ctx, a) == [(0, 39, WR), (40, 59, RD), (60, 99, WR)]
    ctx.set(a, 40, 59, WR, 1)
    assert locks_of(ctx, a) == [(0, 99, WR)]


def test_adjacent_same_type_merges_other_type_does_not():
    ctx, a = LockContext(KEY), Owner()
    ctx.set(a, 200, 209, RD, 1)
    ctx.set(a, 210, 219, RD, 1)
    ctx.set(a, 220, 229, WR, 1)
    assert locks_of(ctx, a) == [(200, 219, RD), (220, 229, WR)]


def test_lock_over_several_merges_them_all():
    ctx, a = LockContext(KEY), Owner()
    ctx.set(a, 0, 9, RD, 1)
    ctx.set(a, 20, 29, WR, 1)
    ctx.set(a, 40, 49, RD, 1)
    ctx.set(a, 5, 44, RD, 1)
    assert locks_of(ctx, a) == [(0, 49, RD)]


def test_unlock_to_eof_and_unchanged_requests():
    ctx, a = LockContext(KEY), Owner()
    ctx.set(a, 10, OFFSET_MAX, WR, 1)
    assert not ctx.set(a, 20, 30, WR, 1)          # already covered: no change
    assert not ctx.set(a, 0, 5, UN, 1)            # nothing there
    assert ctx.set(a, 100, OFFSET_MAX, UN, 1)
    assert locks_of(ctx, a) == [(10, 99, WR)]
    assert ctx.set(a, 0, OFFSET_MAX, UN, 1)
    assert a not in ctx.posix and ctx.empty()


def test_upgrade_and_downgrade_in_place():
    ctx, a = LockContext(KEY), Owner()
    ctx.set(a, 0, 9, RD, 1)
    ctx.set(a, 0, 9, WR, 1)
    assert locks_of(ctx, a) == [(0, 9, WR)]
    ctx.set(a, 3, 5, RD, 1)
    assert locks_of(ctx, a) == [(0, 2, WR), (3, 5, RD), (6, 9, WR)]


# ---- conflicts and F_GETLK ----------------------------------------------------------

def test_conflicts():
    ctx, a, b = LockContext(KEY), Owner(), Owner()
    ctx.set(a, 0, 9, RD, 11)
    ctx.set(a, 20, 29, WR, 11)
    assert ctx.test(b, 0, 9, RD) is None                  # readers share
    assert ctx.test(b, 5, 5, WR) == (a, (0, 9, RD, 11))
    assert ctx.test(b, 10, 19, WR) is None                # the gap
    assert ctx.test(b, 10, 20, RD) == (a, (20, 29, WR, 11))
    assert ctx.test(a, 0, OFFSET_MAX, WR) is None         # never with oneself


def test_getlk_reports_first_lock_in_linux_order():
    """Owners in the order they first locked; each owner's locks by start."""
    ctx, a, b = LockContext(KEY), Owner(), Owner()
    ctx.set(a, 50, 59, WR, 11)
    ctx.set(b, 0, 9, WR, 22)
    ctx.set(a, 30, 39, WR, 11)
    c = Owner()
    assert ctx.test(c, 0, OFFSET_MAX, RD) == (a, (30, 39, WR, 11))
    # a owner that unlocks everything and locks again goes to the end
    ctx.set(a, 0, OFFSET_MAX, UN, 11)
    ctx.set(a, 0, 9, RD, 11)
    assert list(ctx.posix) == [b, a]
    assert ctx.test(c, 0, OFFSET_MAX, WR) == (b, (0, 9, WR, 22))


def test_unlck_test_finds_own_locks():
    """F_OFD_GETLK with F_UNLCK: the caller's own lock over the range."""
    ctx, a, b = LockContext(KEY), Owner(), Owner()
    ctx.set(a, 0, 9, WR, -1)
    ctx.set(b, 20, 29, RD, -1)
    assert ctx.test(a, 0, OFFSET_MAX, UN) == (a, (0, 9, WR, -1))
    assert ctx.test(b, 0, OFFSET_MAX, UN) == (b, (20, 29, RD, -1))
    assert ctx.test(a, 10, 19, UN) is None


def test_manager_test_and_setlk_errors():
    m, a, b = LockManager(), Owner(), Owner()
    assert m.test(KEY, b, 0, 10, WR) is None
    m.setlk(req(a, 0, 9, WR, pid=7))
    assert m.test(KEY, b, 5, 5, RD) == (0, 9, WR, 7)
    assert errno_of(m.setlk, req(b, 9, 9, RD)) == errno.EAGAIN
    assert m.setlk(req(b, 10, 19, WR)) == 0
    with pytest.raises(Block) as blocked:
        m.setlk(req(b, 0, 0, WR, wait=True))
    assert blocked.value.queue is m.context(KEY).queue


def test_ofd_and_posix_locks_conflict_ofd_owner_is_the_file():
    m, proc, f1, f2 = LockManager(), Owner(), FakeFile(), FakeFile()
    m.setlk(req(f1, 0, 9, WR, ofd=True, pid=-1))
    assert f1.file_locks is m
    assert errno_of(m.setlk, req(f2, 0, 0, WR, ofd=True, pid=-1)) == errno.EAGAIN
    assert errno_of(m.setlk, req(proc, 0, 0, RD)) == errno.EAGAIN
    assert m.test(KEY, proc, 0, 0, WR) == (0, 9, WR, -1)
    m.setlk(req(f1, 0, 9, WR, ofd=True, pid=-1))     # the same description again: fine


# ---- flock_range (flock64_to_posix_lock) ----------------------------------------------

def test_flock_range():
    f = FakeFile(pos=300, size=1000)
    assert flock_range(f, 0, 10, 5) == (10, 14)
    assert flock_range(f, 0, 10, 0) == (10, OFFSET_MAX)
    assert flock_range(f, 0, 20, -10) == (10, 19)
    assert flock_range(f, 1, -10, 20) == (290, 309)
    assert flock_range(f, 2, -100, 0) == (900, OFFSET_MAX)
    assert flock_range(f, 0, OFFSET_MAX, 1) == (OFFSET_MAX, OFFSET_MAX)
    assert errno_of(flock_range, f, 0, OFFSET_MAX, 2) == errno.EOVERFLOW
    assert errno_of(flock_range, f, 2, OFFSET_MAX, 1) == errno.EOVERFLOW
    assert errno_of(flock_range, f, 0, -1, 1) == errno.EINVAL
    assert errno_of(flock_range, f, 1, -301, 1) == errno.EINVAL
    assert errno_of(flock_range, f, 0, 10, -11) == errno.EINVAL
    assert flock_range(f, 0, 10, -10) == (0, 9)
    assert errno_of(flock_range, f, 0, 5, -(1 << 63)) == errno.EINVAL
    assert errno_of(flock_range, f, 3, 0, 1) == errno.EINVAL


# ---- release rules ----------------------------------------------------------------------

class KeyedFile(FakeFile):
    def __init__(self, key):
        super().__init__()
        self.lock_key = key


def test_close_posix_releases_only_that_file_and_owner():
    m, a, b = LockManager(), Owner(), Owner()
    k2 = ("inode", 1, 3)
    m.setlk(req(a, 0, 9, WR))
    m.setlk(req(a, 0, 9, WR, key=k2))
    m.setlk(req(b, 20, 29, WR))
    assert a.posix_locks is m and m.held[a] == {KEY, k2}
    m.close_posix(a, KeyedFile(KEY))
    assert m.test(KEY, Owner(), 0, OFFSET_MAX, WR) == (20, 29, WR, 1)
    assert m.test(k2, Owner(), 0, OFFSET_MAX, WR) is not None
    assert a.posix_locks is m
    m.close_posix(a, KeyedFile(k2))
    assert a.posix_locks is None and a not in m.held and k2 not in m.contexts
    m.release_owner(b)
    assert b.posix_locks is None and not m.contexts


def test_unlock_everything_clears_the_hook():
    m, a = LockManager(), Owner()
    m.setlk(req(a, 0, 9, RD))
    m.setlk(req(a, 0, OFFSET_MAX, UN))
    assert a.posix_locks is None and not m.held and not m.contexts


def test_release_file_drops_ofd_and_flock_locks_only():
    m, proc, f = LockManager(), Owner(), KeyedFile(KEY)
    m.setlk(req(f, 0, 9, WR, ofd=True, pid=-1))
    m.setlk(req(proc, 20, 29, WR))
    m.flock(KEY, f, WR, False)
    m.release_file(f)
    ctx = m.context(KEY)
    assert list(ctx.posix) == [proc] and ctx.flocks == []


def test_waiters_are_woken_by_a_release():
    kernel = FakeKernel()
    m, a, b = LockManager(), Owner(), Owner()
    m.setlk(req(a, 0, 9, WR))
    with pytest.raises(Block) as blocked:
        m.setlk(req(b, 0, 0, WR, wait=True))
    task = FakeTask(kernel, "b")
    blocked.value.queue.waiters.append(task)          # what parking does
    m.setlk(req(a, 5, 5, UN))                          # still in the way: woken anyway, retries
    assert kernel.woken == [task]
    blocked.value.queue.waiters.append(task)
    m.close_posix(a, KeyedFile(KEY))
    assert kernel.woken == [task, task]
    assert m.setlk(req(b, 0, 0, WR, wait=True)) == 0


def test_context_kept_while_someone_waits_on_it():
    kernel = FakeKernel()
    m, a = LockManager(), Owner()
    m.setlk(req(a, 0, 9, WR))
    ctx = m.context(KEY)
    ctx.queue.waiters.append(FakeTask(kernel, "w"))
    ctx.posix.clear()
    m._tidy(ctx)
    assert m.context(KEY) is ctx


# ---- flock --------------------------------------------------------------------------------

def test_flock_shared_exclusive_and_nonatomic_conversion():
    m, f1, f2 = LockManager(), FakeFile(), FakeFile()
    assert m.flock(KEY, f1, WR, False) == 0
    assert m.flock(KEY, f1, WR, False) == 0
    assert errno_of(m.flock, KEY, f2, RD, False) == errno.EAGAIN
    m.flock(KEY, f1, RD, False)
    assert m.flock(KEY, f2, RD, False) == 0
    # f2's upgrade fails, and its shared lock is gone (as on Linux)
    assert errno_of(m.flock, KEY, f2, WR, False) == errno.EAGAIN
    assert m.context(KEY).flocks == [(f1, RD)]
    assert m.flock(KEY, f1, WR, False) == 0
    with pytest.raises(Block):
        m.flock(KEY, f2, RD, True)
    m.flock(KEY, f1, UN, False)
    assert KEY not in m.contexts


def test_flock_and_record_locks_do_not_conflict():
    m, f1, proc = LockManager(), FakeFile(), Owner()
    m.flock(KEY, f1, WR, False)
    assert m.setlk(req(proc, 0, OFFSET_MAX, WR)) == 0
    assert m.test(KEY, Owner(), 0, OFFSET_MAX, RD) == (0, OFFSET_MAX, WR, 1)


# ---- deadlock detection ----------------------------------------------------------------------

def _waiting_manager():
    """A manager whose recorded waiters count as long as the test keeps them."""
    return LockManager(still_waiting=lambda task, request: True)


def test_two_owner_cycle_is_edeadlk():
    m, a, b = _waiting_manager(), Owner(), Owner()
    m.setlk(req(a, 0, 0, WR))
    m.setlk(req(b, 1, 1, WR))
    with pytest.raises(Block):
        m.setlk(req(b, 0, 0, WR, wait=True), waiter="task-b")
    assert errno_of(m.setlk, req(a, 1, 1, WR, wait=True), "task-a") == errno.EDEADLK
    # F_SETLK never checks: plain EAGAIN
    assert errno_of(m.setlk, req(a, 1, 1, WR), "task-a") == errno.EAGAIN


def test_three_owner_cycle_and_no_false_positive():
    m, a, b, c = _waiting_manager(), Owner(), Owner(), Owner()
    for i, o in enumerate((a, b, c)):
        m.setlk(req(o, i, i, WR))
    with pytest.raises(Block):
        m.setlk(req(a, 1, 1, WR, wait=True), waiter="ta")      # a waits for b
    with pytest.raises(Block):
        m.setlk(req(b, 2, 2, WR, wait=True), waiter="tb")      # b waits for c
    # c waiting for something a holds closes a -> b -> c -> a
    assert errno_of(m.setlk, req(c, 0, 0, WR, wait=True), "tc") == errno.EDEADLK
    # a fourth owner waiting for a is no cycle
    d = Owner()
    with pytest.raises(Block):
        m.setlk(req(d, 0, 0, WR, wait=True), waiter="td")


def test_waiters_that_gave_up_do_not_count():
    gone = set()
    m = LockManager(still_waiting=lambda task, request: task not in gone)
    a, b = Owner(), Owner()
    m.setlk(req(a, 0, 0, WR))
    m.setlk(req(b, 1, 1, WR))
    with pytest.raises(Block):
        m.setlk(req(b, 0, 0, WR, wait=True), waiter="tb")
    gone.add("tb")                                            # EINTR, or killed
    with pytest.raises(Block):
        m.setlk(req(a, 1, 1, WR, wait=True), waiter="ta")
    assert "tb" not in m.waiting


def test_ofd_requests_are_not_deadlock_checked():
    m, a, fb = _waiting_manager(), Owner(), FakeFile()
    m.setlk(req(a, 0, 0, WR))
    m.setlk(req(fb, 1, 1, WR, ofd=True, pid=-1))
    with pytest.raises(Block):
        m.setlk(req(fb, 0, 0, WR, wait=True, ofd=True, pid=-1), waiter="tb")
    assert "tb" not in m.waiting
    with pytest.raises(Block):
        m.setlk(req(a, 1, 1, WR, wait=True), waiter="ta")


def test_deadlock_chain_is_bounded():
    """Linux gives up after MAX_DEADLK_ITERATIONS steps: a long chain is not a deadlock."""
    m = _waiting_manager()
    owners = [Owner() for _ in range(14)]
    for i, o in enumerate(owners):
        m.setlk(req(o, i, i, WR))
    for i, o in enumerate(owners[:-1]):
        with pytest.raises(Block):
            m.setlk(req(o, i + 1, i + 1, WR, wait=True), waiter=f"t{i}")
    with pytest.raises(Block):
        m.setlk(req(owners[-1], 0, 0, WR, wait=True), waiter="tlast")


def test_key_of_pipes_share_one_key():
    class Pipe:
        pass

    class End:
        def __init__(self, pipe):
            self.pipe = pipe

        def identity(self):
            return ("file", id(self))

    p = Pipe()
    r, w = End(p), End(p)
    assert key_of(r) == key_of(w) == ("pipe", id(p))


# ---- the host's side: mirrors, outside locks, backoff ---------------------------------------

HOST_FLOCK = struct.Struct("hhqqi4x")


class HostBacked:
    """What the manager needs of a host-backed File: its host fd, mode and access."""
    vnode = None

    def __init__(self, path, flags=os.O_RDWR):
        self.host_fd = os.open(path, flags)
        self.mode = os.fstat(self.host_fd).st_mode
        acc = flags & 3
        self.readable = acc != os.O_WRONLY
        self.writable = acc != os.O_RDONLY

    def identity(self):
        st = os.fstat(self.host_fd)
        return ("inode", st.st_dev, st.st_ino)

    def close(self):
        os.close(self.host_fd)


def ofd_getlk(fd, type=WR, start=0, length=0):
    """What a host process sees through its own open file description: (type, start, len, pid)."""
    out = fcntl.fcntl(fd, F_OFD_GETLK, HOST_FLOCK.pack(type, 0, start, length, 0))
    t, _, s, l, pid = HOST_FLOCK.unpack(out)
    return None if t == UN else (t, s, l, pid)


def ofd_setlk(fd, type, start=0, length=0):
    fcntl.fcntl(fd, F_OFD_SETLK, HOST_FLOCK.pack(type, 0, start, length, 0))


def hreq(owner, file, start, end, type, wait=False, ofd=False, pid=1):
    return Request(None, key_of(file), owner, start, end, type, pid, wait=wait, ofd=ofd,
                   file=file)


def open_fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def shared(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    outside = os.open(path, os.O_RDWR)          # a host process's own description
    yield path, outside
    os.close(outside)


def test_posix_locks_are_mirrored_one_host_description_per_owner(shared):
    path, outside = shared
    m, a, b, f = LockManager(), Owner(), Owner(), HostBacked(path)
    fds = open_fds()
    m.setlk(hreq(a, f, 0, 9, RD))
    m.setlk(hreq(b, f, 5, 19, RD))
    ctx = m.context(key_of(f))
    assert set(ctx.mirrors) == {a, b} and open_fds() == fds + 2
    assert ofd_getlk(outside, WR, 0, 30) == (RD, 0, 10, -1)
    # b's unlock leaves a's lock on the host; a's last unlock closes its mirror
    m.setlk(hreq(b, f, 0, OFFSET_MAX, UN))
    assert set(ctx.mirrors) == {a} and open_fds() == fds + 1
    assert ofd_getlk(outside, WR, 10, 0) is None
    assert ofd_getlk(outside, WR, 0, 0) == (RD, 0, 10, -1)
    # ranges split and merge on the host as in the kernel
    m.setlk(hreq(a, f, 20, 29, RD))
    m.setlk(hreq(a, f, 3, 4, UN))
    assert ofd_getlk(outside, WR, 3, 2) is None
    assert ofd_getlk(outside, WR, 5, 0) == (RD, 5, 5, -1)
    m.close_posix(a, f)
    assert not m.contexts and open_fds() == fds
    assert ofd_getlk(outside) is None
    f.close()


def test_one_owner_through_two_fds_does_not_conflict_with_itself(shared):
    path, _ = shared
    m, a, f1, f2 = LockManager(), Owner(), HostBacked(path), HostBacked(path)
    m.setlk(hreq(a, f1, 0, 9, WR))
    m.setlk(hreq(a, f2, 5, 14, WR))                   # same owner: merges, on the host too
    assert locks_of(m.context(key_of(f1)), a) == [(0, 14, WR)]
    m.release_owner(a)
    assert not m.contexts
    f1.close(), f2.close()


def test_outside_lock_refuses_and_leaves_nothing_behind(shared):
    path, outside = shared
    m, a, f = LockManager(), Owner(), HostBacked(path)
    ofd_setlk(outside, RD, 50, 10)
    fds = open_fds()
    assert m.setlk(hreq(a, f, 0, 49, WR)) == 0         # beside it: fine
    assert errno_of(m.setlk, hreq(a, f, 40, 59, WR)) == errno.EAGAIN
    assert locks_of(m.context(key_of(f)), a) == [(0, 49, WR)]
    b = Owner()
    assert errno_of(m.setlk, hreq(b, f, 55, 55, WR)) == errno.EAGAIN
    assert b not in m.context(key_of(f)).mirrors and open_fds() == fds + 1
    assert m.setlk(hreq(b, f, 55, 55, RD)) == 0        # readers share with the outside one
    # F_GETLK sees it (after the kernel's own locks): an OFD lock is l_pid -1
    assert m.test(key_of(f), Owner(), 50, 59, WR, f) == (55, 55, RD, 1)
    assert m.test(key_of(f), Owner(), 50, 54, WR, f) == (50, 59, RD, -1)
    m.release_owner(a), m.release_owner(b)
    assert open_fds() == fds and not m.contexts
    f.close()


def test_outside_posix_lock_is_reported_with_pid_0(shared):
    path, outside = shared
    m, f = LockManager(), HostBacked(path)
    fcntl.lockf(outside, fcntl.LOCK_EX, 10, 20)        # a host process's own POSIX lock
    try:
        assert m.test(key_of(f), Owner(), 0, OFFSET_MAX, RD, f) == (20, 29, WR, 0)
        assert m.test(key_of(f), Owner(), 0, 19, RD, f) is None
        assert m.test(key_of(f), Owner(), 0, OFFSET_MAX, RD) is None     # not hosted: not asked
    finally:
        fcntl.lockf(outside, fcntl.LOCK_UN, 10, 20)
    f.close()


def test_waiting_for_an_outside_lock_polls_with_a_backoff(shared):
    path, outside = shared
    m, a, f = LockManager(), Owner(), HostBacked(path)
    ofd_setlk(outside, WR)
    r = hreq(a, f, 0, 0, WR, wait=True)
    delays = []
    for _ in range(9):
        with pytest.raises(Block) as blocked:
            m.setlk(r, "task")
        assert blocked.value.queue is m.context(key_of(f)).queue
        assert blocked.value.deadline is not None
        delays.append(r.delay)
    assert delays[0] == HOST_POLL_FIRST and delays[1] == 2 * HOST_POLL_FIRST
    assert delays[-1] == HOST_POLL_MAX and sorted(delays) == delays
    assert "task" not in m.waiting                       # not a kernel owner: no EDEADLK chain
    ofd_setlk(outside, UN)
    assert m.setlk(r, "task") == 0
    assert ofd_getlk(outside) == (WR, 0, 1, -1)
    m.release_owner(a)
    f.close()


def test_a_read_only_mirror_is_replaced_for_a_write_lock(shared):
    path, outside = shared
    m, a = LockManager(), Owner()
    ro, rw = HostBacked(path, os.O_RDONLY), HostBacked(path)
    m.setlk(hreq(a, ro, 0, 9, RD))
    ctx = m.context(key_of(ro))
    first = ctx.mirrors[a]
    assert not first.writable
    m.setlk(hreq(a, rw, 20, 29, WR))
    assert ctx.mirrors[a] is not first and ctx.mirrors[a].writable
    assert ofd_getlk(outside, WR, 0, 10) == (RD, 0, 10, -1)       # kept across the swap
    assert ofd_getlk(outside, RD, 20, 10) == (WR, 20, 10, -1)
    with pytest.raises(OSError):
        os.fstat(first.fd)                               # the old one is closed
    m.release_owner(a)
    ro.close(), rw.close()


def test_ofd_locks_and_flock_use_the_files_own_host_description(shared):
    path, outside = shared
    m, f, g = LockManager(), HostBacked(path), HostBacked(path)
    fds = open_fds()
    m.setlk(hreq(f, f, 0, 9, WR, ofd=True, pid=-1))
    assert open_fds() == fds and ofd_getlk(outside) == (WR, 0, 10, -1)
    m.flock(key_of(f), f, RD, False)
    with pytest.raises(OSError):
        fcntl.flock(outside, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.flock(outside, fcntl.LOCK_SH | fcntl.LOCK_NB)          # readers share
    # a conversion that the outside reader blocks drops the old lock, on both sides
    assert errno_of(m.flock, key_of(f), f, WR, False) == errno.EAGAIN
    assert m.context(key_of(f)).flocks == []
    fcntl.flock(outside, fcntl.LOCK_UN)
    fcntl.flock(outside, fcntl.LOCK_EX | fcntl.LOCK_NB)          # nothing of ours is left
    fcntl.flock(outside, fcntl.LOCK_UN)
    # flock waits for an outside holder by polling
    fcntl.flock(outside, fcntl.LOCK_EX | fcntl.LOCK_NB)
    state = {}
    with pytest.raises(Block) as blocked:
        m.flock(key_of(g), g, WR, True, state)
    assert blocked.value.deadline is not None and state["flock_delay"] == HOST_POLL_FIRST
    fcntl.flock(outside, fcntl.LOCK_UN)
    assert m.flock(key_of(g), g, WR, True, state) == 0
    m.release_file(f)
    m.release_file(g)
    assert ofd_getlk(outside) is None
    fcntl.flock(outside, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.flock(outside, fcntl.LOCK_UN)
    f.close(), g.close()


def test_an_owner_the_host_refuses_keeps_kernel_locks(shared, monkeypatch):
    path, outside = shared
    m, a, f = LockManager(), Owner(), HostBacked(path)
    monkeypatch.setattr(locks_mod, "_open_mirror", lambda file, acc=None: None)
    assert m.setlk(hreq(a, f, 0, 9, WR)) == 0
    assert locks_of(m.context(key_of(f)), a) == [(0, 9, WR)]
    assert not m.context(key_of(f)).mirrors and ofd_getlk(outside) is None
    m.release_owner(a)
    f.close()


def test_what_reaches_the_host(tmp_path):
    class Mount:
        def __init__(self, overlay):
            self.is_overlay = overlay

    class Vnode:
        def __init__(self, overlay):
            self.mount = Mount(overlay)

    (tmp_path / "f").write_bytes(b"")
    os.mkfifo(tmp_path / "fifo")
    f = HostBacked(tmp_path / "f")
    d = HostBacked(tmp_path, os.O_RDONLY)
    p = HostBacked(tmp_path / "fifo", os.O_RDWR | os.O_NONBLOCK)
    o = HostBacked(tmp_path / "f")
    o.vnode = Vnode(True)
    b = HostBacked(tmp_path / "f")
    b.vnode = Vnode(False)
    assert hosted(f) and hosted(d) and hosted(b)
    assert not hosted(p) and not hosted(o) and not hosted(FakeFile())
    for x in (f, d, p, o, b):
        x.close()
