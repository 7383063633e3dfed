"""Unit tests of umlskas.kernel.address_space.AddressSpace against a fake GuestProc.

The fake records every MapOp the kernel asks the host to run, can be told to
fail one with OpError, and serves guest-visible copies from a bytearray. Every
op it sees is checked never to reach `top` (where the stub's pages live).
"""

import errno
import random

import pytest

from umlskas.kernel import address_space as asp
from umlskas.kernel.address_space import (MADV_DONTNEED, MADV_NORMAL, MAP_ANONYMOUS, MAP_FIXED,
                                          MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED,
                                          MMAP_MIN_ADDR, MREMAP_FIXED, MREMAP_MAYMOVE, PAGE,
                                          PROT_EXEC, PROT_READ, PROT_WRITE, AddressSpace, Vma)
from umlskas.kernel.errors import SyscallError
from umlskas.kernel.machine import (HOST_CLOSE, HOST_MADVISE, HOST_MMAP, HOST_MPROTECT,
                                    HOST_MREMAP, HOST_MUNMAP, HOST_OPENAT, OP_ARG0_FD, OP_ARG4_FD,
                                    OP_SAVE_FD, MapOp, OpError)

TOP = 0x7FFBE0000000          # the skas stub's base: guests live below it
RW = PROT_READ | PROT_WRITE
ANON = MAP_PRIVATE | MAP_ANONYMOUS
MEM_BASE = 0x10000000          # where the fake's bytearray memory sits
MEM_PAGES = 16


class FakeProc:
    """A GuestProc stand-in: records MapOps, fails on request, copies from a bytearray."""

    def __init__(self, top=TOP):
        self.top = top
        self.ops = []                 # every MapOp run, in order
        self.batches = []             # the lists passed to run_ops
        self.fail = None              # (predicate(op), errno): raise OpError on a match
        self.mem = bytearray(MEM_PAGES * PAGE)
        self.readable_end = MEM_BASE + len(self.mem)   # copies stop here (short copies)
        self.reads = []
        self.writes = []
        self.pokes = []

    # -- MapOps --
    def run_ops(self, ops):
        ops = list(ops)
        self.batches.append(ops)
        for i, op in enumerate(ops):
            assert isinstance(op, MapOp)
            for lo, hi in op_ranges(op):
                assert 0 <= lo <= hi <= self.top, f"op {op} touches the stub's pages"
            if self.fail is not None and self.fail[0](op):
                raise OpError(i, self.fail[1])
            self.ops.append(op)

    # -- copies --
    def _window(self, addr, n):
        lo = addr - MEM_BASE
        if addr < MEM_BASE or addr >= self.readable_end:
            return None
        hi = min(addr + n, self.readable_end) - MEM_BASE
        return lo, hi

    def read(self, addr, n):
        self.reads.append((addr, n))
        w = self._window(addr, n)
        if w is None:
            return b""
        return bytes(self.mem[w[0]:w[1]])

    def write(self, addr, data):
        self.writes.append((addr, bytes(data)))
        w = self._window(addr, len(data))
        if w is None:
            return 0
        self.mem[w[0]:w[1]] = data[:w[1] - w[0]]
        return w[1] - w[0]

    def poke(self, addr, data):
        self.pokes.append((addr, bytes(data)))


def op_ranges(op):
    """The guest address ranges a MapOp touches."""
    a = op.args
    if op.nr in (HOST_MMAP, HOST_MUNMAP, HOST_MPROTECT, HOST_MADVISE):
        return [(a[0], a[0] + a[1])]
    if op.nr == HOST_MREMAP:
        old, old_len, new_len, flags, new_addr = a
        if flags & MREMAP_FIXED:
            return [(old, old + old_len), (new_addr, new_addr + new_len)]
        return [(old, old + max(old_len, new_len))]
    return []


@pytest.fixture
def proc():
    return FakeProc()


@pytest.fixture
def mm(proc):
    return AddressSpace(proc, TOP)


def spans(mm):
    return [(v.start, v.end, v.prot) for v in mm.vmas]


def check_invariants(mm):
    starts = [v.start for v in mm.vmas]
    assert starts == mm.starts
    assert starts == sorted(starts)
    for v in mm.vmas:
        assert v.start < v.end
        assert v.start % PAGE == 0 and v.end % PAGE == 0
        assert MMAP_MIN_ADDR <= v.start and v.end <= mm.top
    for a, b in zip(mm.vmas, mm.vmas[1:]):
        assert a.end <= b.start


def errno_of(fn, *args):
    with pytest.raises(SyscallError) as info:
        fn(*args)
    return info.value.errno


# ---- layout ----------------------------------------------------------------------


def test_layout_below_top(mm):
    assert mm.stack_top < mm.top
    assert mm.mmap_base + asp.STACK_SIZE < mm.stack_top
    assert mm.mmap_base % PAGE == 0


# ---- mmap --------------------------------------------------------------------------


def test_mmap_addr0_top_down_below_mmap_base(mm, proc):
    a = mm.mmap(0, PAGE, RW, ANON)
    assert a == mm.mmap_base - PAGE
    b = mm.mmap(0, 3 * PAGE, PROT_READ, ANON)
    assert b == a - 3 * PAGE
    c = mm.mmap(0, 100, RW, ANON)           # rounded up to a page
    assert c == b - PAGE
    assert spans(mm) == [(c, c + PAGE, RW), (b, a, PROT_READ), (a, a + PAGE, RW)]
    # One fixed anonymous host mmap per call, with the kernel's chosen address.
    assert proc.ops[0] == MapOp(HOST_MMAP, (a, PAGE, RW, ANON | MAP_FIXED, -1, 0))
    assert [op.nr for op in proc.ops] == [HOST_MMAP] * 3
    assert all(op.args[3] & MAP_FIXED for op in proc.ops)
    check_invariants(mm)


def test_mmap_top_down_fills_a_hole_that_fits(mm):
    a = mm.mmap(0, PAGE, RW, ANON)
    b = mm.mmap(0, PAGE, RW, ANON)
    c = mm.mmap(0, PAGE, RW, ANON)
    mm.munmap(b, PAGE)
    assert mm.mmap(0, PAGE, RW, ANON) == b            # the hole fits
    mm.munmap(b, PAGE)
    assert mm.mmap(0, 2 * PAGE, RW, ANON) == c - 2 * PAGE   # it does not
    assert a > b > c


def test_mmap_hint_honoured_when_free(mm, proc):
    hint = 0x40000000
    assert mm.mmap(hint, 2 * PAGE, RW, ANON) == hint
    assert proc.ops[-1].args[:2] == (hint, 2 * PAGE)
    # An unaligned hint is rounded down (x86 arch_get_unmapped_area).
    assert mm.mmap(0x50000123, PAGE, RW, ANON) == 0x50000000


def test_mmap_hint_taken_falls_back_to_top_down(mm):
    hint = 0x40000000
    mm.mmap(hint, 2 * PAGE, RW, ANON)
    got = mm.mmap(hint + PAGE, PAGE, RW, ANON)
    assert got == mm.mmap_base - PAGE
    assert mm.find(hint + PAGE).start == hint          # the old mapping is untouched


def test_mmap_hint_at_or_above_top_is_ignored(mm):
    assert mm.mmap(TOP, PAGE, RW, ANON) == mm.mmap_base - PAGE
    assert mm.mmap(TOP + 0x100000, PAGE, RW, ANON) == mm.mmap_base - 2 * PAGE


def test_mmap_fixed_replaces_and_splits(mm, proc):
    base = 0x40000000
    mm.mmap(base, 4 * PAGE, RW, ANON | MAP_FIXED)
    got = mm.mmap(base + PAGE, PAGE, PROT_READ | PROT_EXEC, ANON | MAP_FIXED)
    assert got == base + PAGE
    assert spans(mm) == [(base, base + PAGE, RW),
                         (base + PAGE, base + 2 * PAGE, PROT_READ | PROT_EXEC),
                         (base + 2 * PAGE, base + 4 * PAGE, RW)]
    # The host is asked for one MAP_FIXED mmap, which replaces atomically (no munmap first).
    assert proc.batches[-1] == [MapOp(HOST_MMAP, (base + PAGE, PAGE, PROT_READ | PROT_EXEC,
                                                  ANON | MAP_FIXED, -1, 0))]
    check_invariants(mm)


def test_mmap_fixed_over_several_vmas(mm):
    base = 0x40000000
    mm.mmap(base, PAGE, PROT_READ, ANON | MAP_FIXED)
    mm.mmap(base + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED)
    mm.mmap(base + 4 * PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED)
    mm.mmap(base, 5 * PAGE, RW, ANON | MAP_FIXED)
    assert spans(mm) == [(base, base + 5 * PAGE, RW), (base + 5 * PAGE, base + 6 * PAGE, PROT_READ)]
    check_invariants(mm)


def test_mmap_fixed_noreplace(mm, proc):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    n = len(proc.ops)
    assert errno_of(mm.mmap, base + PAGE, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE) == errno.EEXIST
    assert errno_of(mm.mmap, base - PAGE, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE) == errno.EEXIST
    assert len(proc.ops) == n                        # nothing reached the host
    assert spans(mm) == [(base, base + 2 * PAGE, RW)]
    # Free: it maps exactly there, and the host never sees the NOREPLACE bit.
    assert mm.mmap(base + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE) == base + 2 * PAGE
    assert not proc.ops[-1].args[3] & MAP_FIXED_NOREPLACE
    assert proc.ops[-1].args[3] & MAP_FIXED


@pytest.mark.parametrize("flags", [MAP_ANONYMOUS, MAP_ANONYMOUS | 0x0F, MAP_ANONYMOUS | 0x04])
def test_mmap_bad_map_type(mm, proc, flags):
    assert errno_of(mm.mmap, 0, PAGE, RW, flags) == errno.EINVAL
    assert proc.ops == [] and mm.vmas == []


def test_mmap_length_zero(mm, proc):
    assert errno_of(mm.mmap, 0, 0, RW, ANON) == errno.EINVAL
    assert errno_of(mm.mmap, 0x40000000, 0, RW, ANON | MAP_FIXED) == errno.EINVAL
    assert proc.ops == []


def test_mmap_fixed_unaligned(mm, proc):
    assert errno_of(mm.mmap, 0x40000001, PAGE, RW, ANON | MAP_FIXED) == errno.EINVAL
    assert errno_of(mm.mmap, 0x40000800, PAGE, RW, ANON | MAP_FIXED_NOREPLACE) == errno.EINVAL
    assert proc.ops == []


def test_mmap_bad_prot(mm):
    assert errno_of(mm.mmap, 0, PAGE, 0x10, ANON) == errno.EINVAL


def test_mmap_fixed_beyond_top_or_below_min(mm, proc):
    assert errno_of(mm.mmap, TOP - PAGE, 2 * PAGE, RW, ANON | MAP_FIXED) == errno.ENOMEM
    assert errno_of(mm.mmap, TOP, PAGE, RW, ANON | MAP_FIXED) == errno.ENOMEM
    assert errno_of(mm.mmap, 0, PAGE, RW, ANON | MAP_FIXED) == errno.EPERM
    assert errno_of(mm.mmap, 0, TOP + PAGE, RW, ANON) == errno.ENOMEM
    assert proc.ops == []
    # The last page below top is the guest's.
    assert mm.mmap(TOP - PAGE, PAGE, RW, ANON | MAP_FIXED) == TOP - PAGE


def test_mmap_shared_validate_anonymous_is_einval(mm, proc):
    # do_mmap: MAP_SHARED_VALIDATE is for files; an anonymous one falls to the
    # default case (native Linux, guest mem_mmap_flags).
    assert errno_of(mm.mmap, 0, PAGE, RW, asp.MAP_SHARED_VALIDATE | MAP_ANONYMOUS) == errno.EINVAL
    assert spans(mm) == []


def test_mmap_host_failure_changes_nothing(mm, proc):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    before = spans(mm)
    proc.fail = (lambda op: op.nr == HOST_MMAP, errno.ENOMEM)
    assert errno_of(mm.mmap, base, PAGE, PROT_READ, ANON | MAP_FIXED) == errno.ENOMEM
    assert errno_of(mm.mmap, 0, PAGE, PROT_READ, ANON) == errno.ENOMEM
    assert spans(mm) == before


class FakeFile:
    def __init__(self, path=b"/tmp/data.bin"):
        self.path = path.decode()
        self.checked = []

    def check_mmap(self, prot, maptype):
        self.checked.append((prot, maptype))

    def stub_path(self):
        return b"/proc/1234/fd/7"

    def stub_open_flags(self):
        return 0

    def path_name(self):
        return self.path


def test_mmap_file_ops_and_maps(mm, proc):
    f = FakeFile()
    a = mm.mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, file=f, offset=3 * PAGE)
    assert f.checked == [(PROT_READ, MAP_PRIVATE)]
    batch = proc.batches[-1]
    assert [op.nr for op in batch] == [HOST_OPENAT, HOST_MMAP, HOST_CLOSE]
    assert batch[0].flags == OP_SAVE_FD and batch[0].args[1] == b"/proc/1234/fd/7"
    assert batch[1].flags == OP_ARG4_FD
    assert batch[1].args == (a, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 0, 3 * PAGE)
    assert batch[2].flags == OP_ARG0_FD
    vma = mm.find(a)
    assert vma.file is f and vma.offset == 3 * PAGE and vma.name == "/tmp/data.bin"
    # Splitting keeps file offsets right.
    mm.munmap(a, PAGE)
    assert mm.find(a + PAGE).offset == 4 * PAGE
    line = mm.maps_text().splitlines()[0]
    assert line.startswith(f"{a + PAGE:08x}-{a + 2 * PAGE:08x} r--p {4 * PAGE:08x} 00:00 0 ")
    assert line.endswith("/tmp/data.bin")


# ---- munmap ------------------------------------------------------------------------


def test_munmap_splits_in_three(mm, proc):
    base = 0x40000000
    mm.mmap(base, 3 * PAGE, RW, ANON | MAP_FIXED)
    assert mm.munmap(base + PAGE, PAGE) == 0
    assert proc.ops[-1] == MapOp(HOST_MUNMAP, (base + PAGE, PAGE))
    assert spans(mm) == [(base, base + PAGE, RW), (base + 2 * PAGE, base + 3 * PAGE, RW)]
    assert mm.find(base + PAGE) is None
    check_invariants(mm)


def test_munmap_partial_length_rounds_up(mm):
    base = 0x40000000
    mm.mmap(base, 3 * PAGE, RW, ANON | MAP_FIXED)
    mm.munmap(base, PAGE + 1)
    assert spans(mm) == [(base + 2 * PAGE, base + 3 * PAGE, RW)]


def test_munmap_einval(mm, proc):
    assert errno_of(mm.munmap, 0x40000001, PAGE) == errno.EINVAL
    assert errno_of(mm.munmap, 0x40000000, 0) == errno.EINVAL
    assert errno_of(mm.munmap, TOP - PAGE, 2 * PAGE) == errno.EINVAL
    assert errno_of(mm.munmap, 0x40000000, TOP + PAGE) == errno.EINVAL
    assert proc.ops == []


def test_munmap_of_unmapped_range_is_fine(mm, proc):
    assert mm.munmap(0x40000000, 16 * PAGE) == 0
    assert proc.ops == []
    mm.mmap(0x40000000, PAGE, RW, ANON | MAP_FIXED)
    assert mm.munmap(0x40001000, 16 * PAGE) == 0
    assert mm.vmas and mm.vmas[0].end == 0x40001000


def test_munmap_spanning_several_vmas(mm):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    mm.mmap(base + 3 * PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED)
    mm.munmap(base + PAGE, 3 * PAGE)
    assert spans(mm) == [(base, base + PAGE, RW), (base + 4 * PAGE, base + 5 * PAGE, PROT_READ)]
    check_invariants(mm)


def test_munmap_host_failure_keeps_vmas(mm, proc):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    proc.fail = (lambda op: op.nr == HOST_MUNMAP, errno.ENOMEM)
    assert errno_of(mm.munmap, base, PAGE) == errno.ENOMEM
    assert spans(mm) == [(base, base + 2 * PAGE, RW)]


# ---- mprotect ----------------------------------------------------------------------


def test_mprotect_splits(mm, proc):
    base = 0x40000000
    mm.mmap(base, 4 * PAGE, RW, ANON | MAP_FIXED)
    assert mm.mprotect(base + PAGE, 2 * PAGE, PROT_READ) == 0
    assert proc.ops[-1] == MapOp(HOST_MPROTECT, (base + PAGE, 2 * PAGE, PROT_READ))
    assert spans(mm) == [(base, base + PAGE, RW), (base + PAGE, base + 3 * PAGE, PROT_READ),
                         (base + 3 * PAGE, base + 4 * PAGE, RW)]
    check_invariants(mm)


def test_mprotect_across_vmas(mm):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    mm.mmap(base + 2 * PAGE, 2 * PAGE, PROT_EXEC, ANON | MAP_FIXED)
    mm.mprotect(base + PAGE, 2 * PAGE, 0)
    # The two PROT_NONE pieces are alike now, so they merge as Linux's vma_merge does.
    assert spans(mm) == [(base, base + PAGE, RW), (base + PAGE, base + 3 * PAGE, 0),
                         (base + 3 * PAGE, base + 4 * PAGE, PROT_EXEC)]
    check_invariants(mm)


def test_mprotect_hole_enomem_changes_nothing(mm, proc):
    base = 0x40000000
    mm.mmap(base + PAGE, 2 * PAGE, RW, ANON | MAP_FIXED)
    before = spans(mm)
    n = len(proc.ops)
    # The range starts in a hole.
    assert errno_of(mm.mprotect, base, 3 * PAGE, PROT_READ) == errno.ENOMEM
    # The range is entirely unmapped.
    assert errno_of(mm.mprotect, base + 8 * PAGE, PAGE, PROT_READ) == errno.ENOMEM
    assert spans(mm) == before
    assert len(proc.ops) == n


def test_mprotect_hole_in_middle_enomem(mm):
    base = 0x40000000
    mm.mmap(base, 3 * PAGE, RW, ANON | MAP_FIXED)
    mm.munmap(base + PAGE, PAGE)
    assert errno_of(mm.mprotect, base, 3 * PAGE, PROT_READ) == errno.ENOMEM
    # The part after the hole is never touched, in any kernel.
    assert mm.find(base + 2 * PAGE).prot == RW


def test_mprotect_hole_in_middle_changes_the_part_before_it_like_linux(mm, proc):
    """mm/mprotect.c changes the VMAs before the first hole, then returns ENOMEM
    (checked on a real host: the first page ends up r--p)."""
    base = 0x40000000
    mm.mmap(base, 3 * PAGE, RW, ANON | MAP_FIXED)
    mm.munmap(base + PAGE, PAGE)
    assert errno_of(mm.mprotect, base, 3 * PAGE, PROT_READ) == errno.ENOMEM
    assert mm.find(base).prot == PROT_READ
    assert proc.ops[-1] == MapOp(HOST_MPROTECT, (base, PAGE, PROT_READ))
    assert mm.find(base + 2 * PAGE).prot == RW


def test_mprotect_hole_at_end_changes_the_mapped_part(mm, proc):
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    assert errno_of(mm.mprotect, base, 2 * PAGE, PROT_READ) == errno.ENOMEM
    assert mm.find(base).prot == PROT_READ
    assert proc.ops[-1] == MapOp(HOST_MPROTECT, (base, PAGE, PROT_READ))
    check_invariants(mm)


def test_mprotect_errors(mm, proc):
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    assert errno_of(mm.mprotect, base + 1, PAGE, PROT_READ) == errno.EINVAL
    assert errno_of(mm.mprotect, base, PAGE, 0x40) == errno.EINVAL
    assert errno_of(mm.mprotect, base, PAGE,
                    PROT_READ | asp.PROT_GROWSDOWN | asp.PROT_GROWSUP) == errno.EINVAL
    assert errno_of(mm.mprotect, TOP - PAGE, 2 * PAGE, PROT_READ) == errno.ENOMEM
    assert mm.mprotect(base, 0, PROT_READ) == 0        # zero length: nothing to do
    assert mm.find(base).prot == RW
    assert [op.nr for op in proc.ops] == [HOST_MMAP]


def test_mprotect_host_failure_keeps_prot(mm, proc):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    proc.fail = (lambda op: op.nr == HOST_MPROTECT, errno.EACCES)
    assert errno_of(mm.mprotect, base, PAGE, PROT_READ) == errno.EACCES
    assert spans(mm) == [(base, base + 2 * PAGE, RW)]


# ---- brk ----------------------------------------------------------------------------


BRK = 0x555555560000


@pytest.fixture
def heap(mm):
    mm.brk_start = mm.brk_cur = BRK
    return mm


def test_brk_grows_and_shrinks(heap, proc):
    mm = heap
    assert mm.brk(0) == BRK
    assert mm.brk(BRK + 10) == BRK + 10
    assert proc.ops[-1] == MapOp(HOST_MMAP, (BRK, PAGE, RW, ANON | MAP_FIXED, -1, 0))
    assert mm.find(BRK).name == "[heap]"
    assert mm.brk(BRK + 3 * PAGE) == BRK + 3 * PAGE
    assert proc.ops[-1].args[:2] == (BRK + PAGE, 2 * PAGE)
    assert mm.extent(BRK, 3 * PAGE, True) == 3 * PAGE
    assert mm.brk(BRK + PAGE) == BRK + PAGE
    assert proc.ops[-1] == MapOp(HOST_MUNMAP, (BRK + PAGE, 2 * PAGE))
    assert mm.extent(BRK, 3 * PAGE, True) == PAGE
    assert mm.brk(BRK) == BRK
    assert mm.find(BRK) is None
    check_invariants(mm)


def test_brk_within_a_page_needs_no_host_op(heap, proc):
    heap.brk(BRK + 100)
    n = len(proc.ops)
    assert heap.brk(BRK + 200) == BRK + 200
    assert heap.brk(BRK + 50) == BRK + 50
    assert len(proc.ops) == n


def test_brk_blocked_by_mapping_returns_old_break(heap, proc):
    mm = heap
    mm.mmap(BRK + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED)
    n = len(proc.ops)
    assert mm.brk(BRK + 3 * PAGE) == BRK
    assert len(proc.ops) == n
    assert mm.brk(BRK + 2 * PAGE) == BRK + 2 * PAGE       # up to the mapping is fine
    assert mm.brk(BRK + 2 * PAGE + 1) == BRK + 2 * PAGE
    assert mm.find(BRK + 2 * PAGE).prot == PROT_READ


def test_brk_above_mmap_base_returns_old_break(heap):
    assert heap.brk(heap.mmap_base + PAGE) == BRK


def test_brk_host_failure_returns_old_break(heap, proc):
    proc.fail = (lambda op: op.nr == HOST_MMAP, errno.ENOMEM)
    assert heap.brk(BRK + PAGE) == BRK
    assert heap.vmas == []


def test_brk_below_start_returns_current(heap, proc):
    heap.brk(BRK + 5 * PAGE)
    n = len(proc.ops)
    assert heap.brk(BRK - PAGE) == BRK + 5 * PAGE
    assert heap.brk(0) == BRK + 5 * PAGE
    assert heap.brk(1) == BRK + 5 * PAGE
    assert len(proc.ops) == n
    assert heap.brk_cur == BRK + 5 * PAGE


# ---- mremap -------------------------------------------------------------------------


def test_mremap_shrink_in_place(mm, proc):
    base = 0x40000000
    mm.mmap(base, 4 * PAGE, RW, ANON | MAP_FIXED)
    assert mm.mremap(base, 4 * PAGE, PAGE, 0, 0) == base
    assert proc.ops[-1] == MapOp(HOST_MUNMAP, (base + PAGE, 3 * PAGE))
    assert spans(mm) == [(base, base + PAGE, RW)]


def test_mremap_same_size_is_a_no_op(mm, proc):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    n = len(proc.ops)
    assert mm.mremap(base, 2 * PAGE, 2 * PAGE, 0, 0) == base
    assert len(proc.ops) == n


def test_mremap_grow_in_place_when_free(mm, proc):
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    assert mm.mremap(base, PAGE, 3 * PAGE, 0, 0) == base
    assert proc.ops[-1] == MapOp(HOST_MREMAP, (base, PAGE, 3 * PAGE, 0, 0))
    assert spans(mm) == [(base, base + 3 * PAGE, RW)]
    check_invariants(mm)


def test_mremap_moves_with_maymove(mm, proc):
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    mm.mmap(base + PAGE, PAGE, PROT_READ, ANON | MAP_FIXED)       # in the way
    new = mm.mremap(base, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0)
    assert new != base
    assert new == mm.mmap_base - 2 * PAGE                            # the kernel picks it
    assert proc.ops[-1] == MapOp(HOST_MREMAP, (base, PAGE, 2 * PAGE,
                                               MREMAP_MAYMOVE | MREMAP_FIXED, new))
    assert mm.find(base) is None
    assert (new, new + 2 * PAGE, RW) in spans(mm)
    assert mm.find(base + PAGE).prot == PROT_READ
    check_invariants(mm)


def test_mremap_grow_blocked_without_maymove(mm, proc):
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    mm.mmap(base + PAGE, PAGE, PROT_READ, ANON | MAP_FIXED)
    n = len(proc.ops)
    assert errno_of(mm.mremap, base, PAGE, 2 * PAGE, 0, 0) == errno.ENOMEM
    assert len(proc.ops) == n
    assert spans(mm) == [(base, base + PAGE, RW), (base + PAGE, base + 2 * PAGE, PROT_READ)]


def test_mremap_fixed_without_maymove(mm):
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    assert errno_of(mm.mremap, base, PAGE, PAGE, MREMAP_FIXED, 0x50000000) == errno.EINVAL


def test_mremap_fixed_moves_there(mm, proc):
    base, dest = 0x40000000, 0x50000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    assert mm.mremap(base, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dest) == dest
    assert spans(mm) == [(dest, dest + 2 * PAGE, RW)]
    # Overlapping old and new ranges, and new ranges reaching top, are EINVAL.
    assert errno_of(mm.mremap, dest, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
                    dest) == errno.EINVAL
    assert errno_of(mm.mremap, dest, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
                    TOP - PAGE) == errno.EINVAL


def test_mremap_unmapped_old_address(mm, proc):
    assert errno_of(mm.mremap, 0x40000000, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0) == errno.EFAULT
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    # old_len running past the end of the VMA.
    assert errno_of(mm.mremap, base, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE, 0) == errno.EFAULT
    assert [op.nr for op in proc.ops] == [HOST_MMAP]


def test_mremap_einval(mm):
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    assert errno_of(mm.mremap, base + 1, PAGE, PAGE, 0, 0) == errno.EINVAL
    assert errno_of(mm.mremap, base, PAGE, 0, 0, 0) == errno.EINVAL
    assert errno_of(mm.mremap, base, PAGE, PAGE, 0x80, 0) == errno.EINVAL
    assert errno_of(mm.mremap, base, 0, PAGE, MREMAP_MAYMOVE, 0) == errno.EINVAL  # private


# ---- madvise ------------------------------------------------------------------------


def test_madvise_hint_accepted_without_host(mm, proc):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    n = len(proc.ops)
    assert mm.madvise(base, 2 * PAGE, MADV_NORMAL) == 0
    assert len(proc.ops) == n


def test_madvise_dontneed_goes_to_host(mm, proc):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    assert mm.madvise(base, 2 * PAGE, MADV_DONTNEED) == 0
    assert proc.ops[-1] == MapOp(HOST_MADVISE, (base, 2 * PAGE, MADV_DONTNEED))


def test_madvise_unknown_advice(mm, proc):
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    for advice in (5, 6, 7, 99, 1000, -1):
        assert errno_of(mm.madvise, base, PAGE, advice) == errno.EINVAL
    assert errno_of(mm.madvise, base + 1, PAGE, MADV_NORMAL) == errno.EINVAL


def test_madvise_hole_enomem(mm, proc):
    base = 0x40000000
    mm.mmap(base, PAGE, RW, ANON | MAP_FIXED)
    mm.mmap(base + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED)
    assert errno_of(mm.madvise, base, 3 * PAGE, MADV_NORMAL) == errno.ENOMEM
    assert errno_of(mm.madvise, base + 4 * PAGE, PAGE, MADV_NORMAL) == errno.ENOMEM
    # Like Linux, the mapped parts still get content-changing advice, then ENOMEM.
    n = len(proc.ops)
    assert errno_of(mm.madvise, base, 3 * PAGE, MADV_DONTNEED) == errno.ENOMEM
    assert proc.ops[n:] == [MapOp(HOST_MADVISE, (base, PAGE, MADV_DONTNEED)),
                            MapOp(HOST_MADVISE, (base + 2 * PAGE, PAGE, MADV_DONTNEED))]
    assert mm.madvise(base, 0, MADV_NORMAL) == 0


# ---- guest memory copies -------------------------------------------------------------


def test_read_write_roundtrip(mm, proc):
    mm.write(MEM_BASE + 10, b"hello")
    assert mm.read(MEM_BASE + 10, 5) == b"hello"
    assert mm.read(MEM_BASE, 0) == b""
    mm.write(MEM_BASE, b"")
    assert proc.writes == [(MEM_BASE + 10, b"hello")]


def test_read_past_top_efault_without_host(mm, proc):
    assert errno_of(mm.read, TOP - 4, 8) == errno.EFAULT
    assert errno_of(mm.read, TOP, 1) == errno.EFAULT
    assert errno_of(mm.read, -1, 1) == errno.EFAULT
    assert errno_of(mm.write, TOP - 4, b"12345678") == errno.EFAULT
    assert errno_of(mm.write, TOP, b"x") == errno.EFAULT
    assert proc.reads == [] and proc.writes == []


def test_short_host_copies_efault(mm, proc):
    end = MEM_BASE + len(proc.mem)
    assert errno_of(mm.read, end - 4, 8) == errno.EFAULT
    assert errno_of(mm.write, end - 4, b"12345678") == errno.EFAULT
    assert errno_of(mm.read, 0x1000, 1) == errno.EFAULT
    assert mm.read(end - 4, 4) == b"1234"        # the host's partial copy landed


def test_read_cstr(mm, proc):
    # A string crossing a page boundary.
    addr = MEM_BASE + PAGE - 3
    mm.write(addr, b"abcdef\0zz")
    assert mm.read_cstr(addr) == b"abcdef"
    assert mm.read_cstr(addr + 6) == b""


def test_read_cstr_limit(mm, proc):
    addr = MEM_BASE + 100
    mm.write(addr, b"x" * 10 + b"\0")
    assert mm.read_cstr(addr, limit=11) == b"x" * 10           # the NUL fits
    assert errno_of(mm.read_cstr, addr, 10) == errno.ENAMETOOLONG
    assert errno_of(mm.read_cstr, addr, 5) == errno.ENAMETOOLONG
    with pytest.raises(SyscallError) as info:
        mm.read_cstr(addr, 5, errno.E2BIG)
    assert info.value.errno == errno.E2BIG


def test_read_cstr_path_max(mm, proc):
    addr = MEM_BASE + 10
    mm.write(addr, b"p" * 4095 + b"\0")
    assert len(mm.read_cstr(addr)) == 4095
    mm.write(addr, b"p" * 4096 + b"\0")
    assert errno_of(mm.read_cstr, addr) == errno.ENAMETOOLONG


def test_read_cstr_fault(mm, proc):
    end = MEM_BASE + len(proc.mem)
    proc.mem[-5:] = b"abcde"                 # no NUL before memory stops
    assert errno_of(mm.read_cstr, end - 5) == errno.EFAULT
    assert errno_of(mm.read_cstr, 0x1000) == errno.EFAULT
    assert errno_of(mm.read_cstr, TOP) == errno.EFAULT


def test_read_cstr_never_reads_at_or_above_top(proc):
    # Memory right below top, with no NUL: the copy must stop at top.
    mm = AddressSpace(proc, MEM_BASE + len(proc.mem))
    proc.mem[:] = b"a" * len(proc.mem)
    assert errno_of(mm.read_cstr, mm.top - 10) == errno.EFAULT
    assert all(a + n <= mm.top for a, n in proc.reads)


def test_read_ptr_array(mm, proc):
    words = [0x1111, 0x2222, 0]
    mm.write(MEM_BASE, b"".join(w.to_bytes(8, "little") for w in words))
    assert mm.read_ptr_array(MEM_BASE) == [0x1111, 0x2222]
    assert errno_of(mm.read_ptr_array, MEM_BASE, 1) == errno.E2BIG


def test_extent_stops_at_holes_and_protections(mm):
    base = 0x40000000
    mm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED)
    mm.mmap(base + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED)
    mm.mmap(base + 4 * PAGE, PAGE, RW, ANON | MAP_FIXED)          # after a hole
    assert mm.extent(base, 10 * PAGE, writing=True) == 2 * PAGE
    assert mm.extent(base, 10 * PAGE, writing=False) == 3 * PAGE
    assert mm.extent(base + 100, 10, writing=True) == 10
    assert mm.extent(base + PAGE + 100, 10 * PAGE, writing=True) == PAGE - 100
    assert mm.extent(base + 3 * PAGE, PAGE, writing=False) == 0      # in the hole
    assert mm.extent(base + 2 * PAGE, PAGE, writing=True) == 0       # read-only
    assert mm.extent(0x1000, 5, writing=False) == 0
    mm.mmap(base + 5 * PAGE, PAGE, 0, ANON | MAP_FIXED)             # PROT_NONE
    assert mm.extent(base + 4 * PAGE, 2 * PAGE, writing=False) == PAGE


def test_extent_capped_at_top(mm):
    mm.mmap(TOP - 2 * PAGE, 2 * PAGE, RW, ANON | MAP_FIXED)
    assert mm.extent(TOP - PAGE, 10 * PAGE, writing=True) == PAGE
    assert mm.extent(TOP, PAGE, writing=False) == 0


# ---- /proc/PID/maps ------------------------------------------------------------------


def test_maps_text_format(mm):
    mm.mmap(0x400000, PAGE, PROT_READ | PROT_EXEC, ANON | MAP_FIXED, name="/bin/prog")
    mm.mmap(0x401000, 2 * PAGE, RW, ANON | MAP_FIXED)
    mm.brk_start = mm.brk_cur = 0x500000
    mm.brk(0x501000)
    mm.mmap(0x7f0000000000, PAGE, 0, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED)
    lines = mm.maps_text().split("\n")
    assert lines[-1] == ""                              # newline-terminated
    lines = lines[:-1]
    assert len(lines) == 4
    named = lines[0]
    assert named.startswith("00400000-00401000 r-xp 00000000 00:00 0 ")
    assert named.index("/bin/prog") == 73               # the name column, as Linux pads it
    assert named.endswith("/bin/prog")
    assert lines[1] == "00401000-00403000 rw-p 00000000 00:00 0 "
    assert lines[2].startswith("00500000-00501000 rw-p 00000000 00:00 0 ")
    assert lines[2].index("[heap]") == 73
    assert lines[3] == "7f0000000000-7f0000001000 ---s 00000000 00:00 0 "


def test_maps_text_unnamed_line_has_trailing_space_like_linux(mm):
    """show_map_vma() always puts a space after the inode, named or not."""
    mm.mmap(0x401000, 2 * PAGE, RW, ANON | MAP_FIXED)
    assert mm.maps_text() == "00401000-00403000 rw-p 00000000 00:00 0 \n"


# ---- loader hooks and exec -----------------------------------------------------------


def test_map_fixed_ops_records_without_running(mm, proc):
    ops = mm.map_fixed_ops(0x400000, 0x402000, PROT_READ, MAP_PRIVATE, offset=0, name="/x",
                           from_saved_fd=True)
    assert proc.ops == []
    assert ops == [MapOp(HOST_MMAP, (0x400000, 0x2000, PROT_READ, MAP_PRIVATE | MAP_FIXED, 0, 0),
                         OP_ARG4_FD)]
    anon = mm.map_fixed_ops(0x402000, 0x403000, RW, ANON)
    assert anon[0].args == (0x402000, 0x1000, RW, ANON | MAP_FIXED, -1, 0)
    mm.run_ops(ops + anon)
    assert proc.ops == ops + anon
    assert [(v.start, v.end) for v in mm.vmas] == [(0x400000, 0x402000), (0x402000, 0x403000)]


def test_run_ops_error_is_syscall_error(mm, proc):
    proc.fail = (lambda op: True, errno.EACCES)
    assert errno_of(mm.run_ops, [MapOp(HOST_MUNMAP, (0x400000, PAGE))]) == errno.EACCES


def test_clear_unmaps_below_top_only(mm, proc):
    mm.mmap(0, PAGE, RW, ANON)
    mm.brk_start = mm.brk_cur = BRK
    mm.clear()
    assert mm.vmas == [] and mm.starts == []
    assert mm.brk_cur == 0 and mm.brk_start == 0
    op = proc.ops[-1]
    assert op.nr == HOST_MUNMAP and op.args[0] + op.args[1] <= TOP


# ---- random operation sequences: invariants and the stub's pages ----------------------


def test_random_sequences_keep_invariants_and_spare_the_stub():
    rng = random.Random(1234)
    proc = FakeProc()
    mm = AddressSpace(proc, TOP)
    mm.brk_start = mm.brk_cur = BRK
    window = [0x40000000, TOP - 64 * PAGE, mm.mmap_base - 64 * PAGE]
    for _ in range(1500):
        base = rng.choice(window) + rng.randrange(64) * PAGE
        length = rng.randrange(1, 12) * PAGE - rng.choice([0, 0, 1, PAGE - 1])
        what = rng.randrange(8)
        try:
            if what == 0:
                mm.mmap(base, length, rng.choice([0, PROT_READ, RW, 7]),
                        ANON | rng.choice([0, MAP_FIXED, MAP_FIXED_NOREPLACE]))
            elif what == 1:
                mm.munmap(base, length)
            elif what == 2:
                mm.mprotect(base, length, rng.choice([0, PROT_READ, RW]))
            elif what == 3:
                mm.mremap(base, length, rng.randrange(1, 16) * PAGE,
                          rng.choice([0, MREMAP_MAYMOVE]), 0)
            elif what == 4:
                dest = rng.choice(window) + rng.randrange(64) * PAGE
                mm.mremap(base, length, rng.randrange(1, 16) * PAGE,
                          MREMAP_MAYMOVE | MREMAP_FIXED, dest)
            elif what == 5:
                mm.madvise(base, length, rng.choice([MADV_NORMAL, MADV_DONTNEED, 5]))
            elif what == 6:
                mm.brk(BRK + rng.randrange(0, 40) * PAGE + rng.randrange(PAGE))
            else:
                mm.mmap(0, length, RW, ANON)
        except SyscallError:
            pass
        check_invariants(mm)
    assert len(proc.ops) > 100


def test_vma_repr_and_split():
    v = Vma(0x1000, 0x4000, RW, MAP_PRIVATE, "x", offset=0x2000, file=object())
    high = v.split_at(0x2000)
    assert (v.start, v.end, high.start, high.end) == (0x1000, 0x2000, 0x2000, 0x4000)
    assert high.offset == 0x3000 and high.file is v.file
    anon = Vma(0x1000, 0x3000, RW, ANON).split_at(0x2000)
    assert anon.offset == 0
    assert "0x1000" in repr(v)
