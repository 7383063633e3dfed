"""A guest address space: the VMA list, brk, mmap/munmap/mprotect/mremap/madvise, and guest memory copies.

How it works: the kernel keeps the authoritative list of mappings here and
decides every address; the host process only executes the resulting
MAP_FIXED operations (MapOps, run by the stub in one round trip). Guest
memory is copied through the host's /proc/PID/mem of the guest's host process
(one pread/pwrite per copy, no ctypes), after the VMA list here has said how
far the guest may be read or written: /proc/PID/mem itself ignores page
protections, so the list decides, as Linux's own copy_from_user decides from
its VMAs, and a bad pointer fails exactly where Linux's would. Addresses at
or above `top` (the stub's pages) are never touched. A guest process without
a host pid (a test double) is copied with its own read/write.
The semantics follow mm/mmap.c, mm/mprotect.c and mm/mremap.c: errors are
checked in the order Linux checks them.
"""

import bisect
import errno
import os

from . import hostsys
from .errors import SyscallError
from .machine import (HOST_CLOSE, HOST_MADVISE, HOST_MMAP, HOST_MPROTECT, HOST_MREMAP,
                      HOST_MUNMAP, HOST_OPENAT, OP_ARG4_FD, OP_ARG0_FD, OP_SAVE_FD, MapOp,
                      OpError)

PAGE = 4096
PAGE_MASK = ~(PAGE - 1)
GATHER_MIN = 3                    # more pieces than this: one process_vm_readv/writev
CSTR_FIRST = 256                  # read_cstr's first host read: most names fit
ZERO_CHUNK = 1 << 20              # write_zeros writes from one buffer this big
_ZEROS = bytes(ZERO_CHUNK)

PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
PROT_GROWSDOWN, PROT_GROWSUP = 0x01000000, 0x02000000
MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_DROPPABLE = 0x01, 0x02, 0x03, 0x08
MAP_TYPE = 0x0F
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_GROWSDOWN = 0x100
MAP_DENYWRITE = 0x800
MAP_EXECUTABLE = 0x1000
MAP_LOCKED = 0x2000
MAP_NORESERVE = 0x4000
MAP_POPULATE = 0x8000
MAP_NONBLOCK = 0x10000
MAP_STACK = 0x20000
MAP_HUGETLB = 0x40000
MAP_SYNC = 0x80000
MAP_FIXED_NOREPLACE = 0x100000
MAP_32BIT = 0x40
# What MAP_SHARED_VALIDATE accepts on a file without DAX (LEGACY_MAP_MASK in
# mm/mmap.c: the MAP_HUGE_* size bits are in it, MAP_FIXED_NOREPLACE and MAP_SYNC not).
LEGACY_MAP_MASK = (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE
                   | MAP_EXECUTABLE | 0x4000000 | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE
                   | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT
                   | (21 << 26) | (30 << 26))
# MAP_32BIT mappings go bottom-up in [1 GiB, 2 GiB) (arch/x86 find_start_end).
MAP_32BIT_BEGIN, MAP_32BIT_END = 0x40000000, 0x80000000
# Flags the host may see: anything else stays in the kernel's bookkeeping.
HOST_MAP_FLAGS = (MAP_TYPE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_NORESERVE | MAP_POPULATE
                  | MAP_STACK | MAP_LOCKED | MAP_NONBLOCK)

# MAP_* flags kept in a VMA that stand for VM flags vma_merge compares.
MERGE_FLAGS = MAP_TYPE | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_STACK

MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4

MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED = 0, 1, 2, 3, 4
MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK = 8, 9, 10, 11
MADV_WIPEONFORK, MADV_KEEPONFORK = 18, 19
MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DONTNEED_LOCKED = 22, 23, 24
MADV_GUARD_INSTALL, MADV_GUARD_REMOVE = 102, 103
# Advice that changes memory contents or what fork copies: the host must do it (and
# its errors are the guest's: WIPEONFORK on shared memory is EINVAL). The rest only
# hint; HWPOISON and SOFT_OFFLINE (100, 101) are accepted and never reach the host.
MADV_HOST = {MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK,
             MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
             MADV_DONTNEED_LOCKED, MADV_GUARD_INSTALL, MADV_GUARD_REMOVE}
MADV_VALID = {0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
              24, 25, 100, 101, 102, 103}

MMAP_MIN_ADDR = 0x10000
STACK_SIZE = 8 << 20
PATH_MAX = 4096


def page_up(x):
    return (x + PAGE - 1) & PAGE_MASK


UNLIMITED_PAGES = 1 << 52               # RLIM_INFINITY in pages, as far as checks go


class VmLimits:
    """The caller's memory limits, in pages, as mm/mmap.c consults them (rlimit() of
    current): RLIMIT_AS, RLIMIT_DATA soft and hard, RLIMIT_MEMLOCK (None with
    CAP_IPC_LOCK), and whether the caller may lock memory at all (can_do_mlock)."""

    __slots__ = ("as_pages", "data_pages", "data_max_pages", "data_bytes", "memlock_pages",
                 "can_mlock")

    def __init__(self, as_bytes, data, memlock_pages, can_mlock):
        self.as_pages = as_bytes >> 12
        self.data_bytes = data[0]
        self.data_pages, self.data_max_pages = data[0] >> 12, data[1] >> 12
        self.memlock_pages = memlock_pages
        self.can_mlock = can_mlock


def is_data_mapping(prot, flags, name=""):
    """is_data_mapping(): private, writable, not a stack (VM_WRITE without VM_SHARED
    or VM_STACK): what RLIMIT_DATA counts."""
    return bool(prot & PROT_WRITE) and flags & MAP_TYPE != MAP_SHARED and \
        not flags & MAP_GROWSDOWN and name != "[stack]"


def _offset_at(vma, addr):
    """The offset into what backs vma at addr (0 for private anonymous memory)."""
    if vma.file is None and vma.shared_key is None:
        return 0
    return vma.offset + (addr - vma.start)


class Vma:
    """One mapping: [start, end), protections, MAP_* flags and what backs it."""

    __slots__ = ("start", "end", "prot", "flags", "name", "offset", "file", "shared_key",
                 "dontfork")

    def __init__(self, start, end, prot, flags, name="", offset=0, file=None, shared_key=None,
                 dontfork=False):
        self.start, self.end, self.prot, self.flags = start, end, prot, flags
        self.name, self.offset, self.file = name, offset, file
        # What the memory is, for keys that must match across processes (shared
        # futexes): (st_dev, st_ino) of a shared file, or a token for shared anonymous
        # memory that fork copies along. None for private memory.
        self.shared_key = shared_key
        self.dontfork = dontfork          # MADV_DONTFORK (VM_DONTCOPY): not in a fork child

    def copy(self, start, end, offset):
        return Vma(start, end, self.prot, self.flags, self.name, offset, self.file,
                   self.shared_key, self.dontfork)

    def split_at(self, addr):
        """Cut in two at addr; self keeps the low part, the high part is returned."""
        backed = self.file is not None or self.shared_key is not None
        high = self.copy(addr, self.end, self.offset + (addr - self.start) if backed else 0)
        self.end = addr
        return high

    def __repr__(self):
        return f"Vma({self.start:#x}-{self.end:#x} prot={self.prot} flags={self.flags:#x} {self.name})"


class AddressSpace:
    """The memory of one guest mm (shared by the threads of a process)."""

    def __init__(self, proc, top):
        self.proc = proc                  # GuestProc that runs our MapOps and copies
        self.top = top                    # first address the guest may not use
        self.vmas = []                    # sorted by start, never overlapping
        self.starts = []                  # vma starts, for bisect
        self.stack_top = top - (256 << 20)
        self.mmap_base = self.stack_top - STACK_SIZE - (128 << 20)
        self.brk_start = self.brk_cur = 0
        self.users = 1                    # processes sharing this mm (CLONE_VM)
        self.def_locked = 0               # MAP_LOCKED while mlockall(MCL_FUTURE) is in force
        self.data_size = 0                # end_data - start_data of the program (loader)

    # ---- guest memory copies -------------------------------------------------

    # The host fd of /proc/PID/mem of this mm's host process: None until first used,
    # -1 where there is none (copies then go through proc.read/proc.write). It names
    # the host mm itself, whichever of its processes (threads, a vfork child) opened
    # it, so it serves this AddressSpace for its life; fork() gives the child its own.
    _mem = None

    def _mem_fd(self):
        if self._mem is None:
            self._mem = hostsys.open_process_memory(getattr(self.proc, "host_pid", None))
        return self._mem

    def __del__(self):
        if self._mem is not None and self._mem >= 0:
            try:
                os.close(self._mem)
            except OSError:
                pass

    def _span(self, addr, size, need):
        """How many bytes from addr (at most size) lie in VMAs allowing `need`."""
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0:
            vma = self.vmas[i]
            if vma.end >= addr + size and vma.prot & need and vma.start <= addr:
                return size                  # the common case: one VMA holds it all
        return self.extent(addr, size, need == PROT_WRITE)

    def read(self, addr, size):
        """copy_from_user: the bytes, or EFAULT."""
        if size == 0:
            return b""
        if addr < 0 or addr + size > self.top:
            raise SyscallError(errno.EFAULT)
        fd = self._mem if self._mem is not None else self._mem_fd()
        if fd < 0:
            data = self.proc.read(addr, size)
        elif self._span(addr, size, PROT_READ) != size:
            raise SyscallError(errno.EFAULT)
        else:
            try:
                data = os.pread(fd, size, addr)
            except OSError:                  # a page that cannot be had (EIO)
                raise SyscallError(errno.EFAULT) from None
        if len(data) != size:
            raise SyscallError(errno.EFAULT)
        return data

    def write(self, addr, data):
        """copy_to_user: all of data, or EFAULT (after the part before the fault, as
        Linux's partial copy)."""
        size = len(data)
        if size == 0:
            return
        if addr < 0 or addr + size > self.top:
            raise SyscallError(errno.EFAULT)
        fd = self._mem if self._mem is not None else self._mem_fd()
        if fd < 0:
            if self.proc.write(addr, data) != size:
                raise SyscallError(errno.EFAULT)
            return
        room = self._span(addr, size, PROT_WRITE)
        done = 0
        if room:
            view = memoryview(data)[:room] if room != size else data
            try:
                done = os.pwrite(fd, view, addr)
                while done < room:           # /proc/PID/mem writes at most a page run
                    n = os.pwrite(fd, memoryview(data)[done:room], addr + done)
                    if n <= 0:
                        break
                    done += n
            except OSError:
                pass
        if done != size:
            raise SyscallError(errno.EFAULT)

    def gather(self, pieces):
        """copy_from_user of [(address, length)], joined: EFAULT unless all of it. Many
        pieces (readv's iovecs) go in one host call, a few one pread each."""
        if len(pieces) <= GATHER_MIN or self._mem_fd() < 0:
            return b"".join(self.read(a, n) for a, n in pieces)
        total = 0
        for a, n in pieces:
            if a < 0 or a + n > self.top or self._span(a, n, PROT_READ) != n:
                raise SyscallError(errno.EFAULT)
            total += n
        data = hostsys.vm_readv(self.proc.host_pid, pieces)
        if len(data) != total:
            raise SyscallError(errno.EFAULT)
        return data

    def scatter(self, pieces, data):
        """copy_to_user of data across [(address, length)] in order, as far as data
        goes: EFAULT unless all of it lands."""
        out, pos = [], 0
        for a, n in pieces:
            if pos >= len(data):
                break
            n = min(n, len(data) - pos)
            out.append((a, n))
            pos += n
        if len(out) <= GATHER_MIN or self._mem_fd() < 0:
            pos = 0
            for a, n in out:
                self.write(a, data[pos:pos + n])
                pos += n
            return
        for a, n in out:
            if a < 0 or a + n > self.top or self._span(a, n, PROT_WRITE) != n:
                raise SyscallError(errno.EFAULT)
        if hostsys.vm_writev(self.proc.host_pid, out, data[:pos]) != pos:
            raise SyscallError(errno.EFAULT)

    def write_zeros(self, addr, size):
        """clear_user: size zero bytes at addr; returns how many were written before
        a hole or a protection stopped it (the caller decides what a short count
        means). One host write per ZERO_CHUNK, from one shared zero buffer."""
        if addr < 0 or size <= 0 or addr >= self.top:
            return 0
        room = self._span(addr, min(size, self.top - addr), PROT_WRITE)
        fd = self._mem if self._mem is not None else self._mem_fd()
        done = 0
        while done < room:
            n = min(room - done, ZERO_CHUNK)
            chunk = _ZEROS if n == ZERO_CHUNK else memoryview(_ZEROS)[:n]
            try:
                wrote = self.proc.write(addr + done, chunk) if fd < 0 else \
                    os.pwrite(fd, chunk, addr + done)
            except OSError:
                break
            if wrote <= 0:
                break
            done += wrote
        return done

    def futex_key(self, addr, private, write=False):
        """Where a futex word lives (Linux's get_futex_key): a private op's word by
        (mm, address); a shared op's by what is mapped there: shared memory by object
        and offset, so processes sharing it meet, private memory by (mm, address) but
        apart from the private ops' words. A shared op needs a page it may use
        (write: a writable one; read-only private memory never changes): EFAULT."""
        if addr < 0 or addr + 4 > self.top:
            raise SyscallError(errno.EFAULT)
        if private:
            return ("private", id(self), addr)
        vma = self.find(addr)
        if vma is None or not vma.prot & (PROT_READ | PROT_WRITE | PROT_EXEC) or \
                (write and not vma.prot & PROT_WRITE):
            raise SyscallError(errno.EFAULT)
        if vma.shared_key is not None:
            return (vma.shared_key, vma.offset + (addr - vma.start))
        if not vma.prot & PROT_WRITE:
            raise SyscallError(errno.EFAULT)
        return ("mm", id(self), addr)

    def cmpxchg32(self, addr, old, new):
        """futex_cmpxchg_value_locked: replace the 32-bit word at addr by new if it
        holds old, atomically against the guest's threads; returns the value it held.
        EFAULT where the guest could not write it. Only while self.proc is stopped
        in a trap (a syscall of the caller)."""
        if addr < 0 or addr + 4 > self.top or self.extent(addr, 4, True) != 4:
            raise SyscallError(errno.EFAULT)
        atomic = getattr(self.proc, "cmpxchg32", None)
        if atomic is None:
            # A host mode without the primitive: a read and a write.
            cur = int.from_bytes(self.read(addr, 4), "little")
            if cur == old:
                self.write(addr, (new & 0xFFFFFFFF).to_bytes(4, "little"))
            return cur
        cur = atomic(addr, old, new)
        if cur is None:
            raise SyscallError(errno.EFAULT)
        return cur

    def extent(self, addr, size, writing):
        """How many bytes from addr on the guest can hand us (writing=False) or
        receive (writing=True) before a hole or a protection stops the copy;
        Linux's partial copies stop at the same place."""
        need = PROT_WRITE if writing else PROT_READ
        end = min(addr + size, self.top)
        cur = addr
        i = self._index_after(addr)
        vmas = self.vmas
        while cur < end and i < len(vmas):
            vma = vmas[i]
            if vma.start > cur or not vma.prot & need:
                break
            cur = vma.end
            i += 1
        return max(0, min(cur, end) - addr)

    def read_cstr(self, addr, limit=PATH_MAX, too_long=errno.ENAMETOOLONG):
        """A NUL-terminated string of at most `limit` bytes including the NUL."""
        fd = self._mem if self._mem is not None else self._mem_fd()
        if fd >= 0 and 0 <= addr < self.top:
            # As far as the guest may be read, in at most two host reads: a short
            # first one (names are short), then the rest up to the limit.
            n = self._span(addr, min(limit, self.top - addr), PROT_READ)
            if n == 0:
                raise SyscallError(errno.EFAULT)
            first = min(n, CSTR_FIRST)
            try:
                data = os.pread(fd, first, addr)
                nul = data.find(b"\0")
                if nul >= 0:
                    return data[:nul]
                if len(data) == first and n > first:
                    data += os.pread(fd, n - first, addr + first)
                    nul = data.find(b"\0")
                    if nul >= 0:
                        return data[:nul]
            except OSError:
                raise SyscallError(errno.EFAULT) from None
            if len(data) < limit:               # unreadable memory before the NUL
                raise SyscallError(errno.EFAULT)
            raise SyscallError(too_long)
        out = b""
        while True:
            if addr >= self.top:
                raise SyscallError(errno.EFAULT)
            chunk = min(PAGE - (addr & (PAGE - 1)), limit - len(out), self.top - addr)
            data = self.proc.read(addr, chunk)
            if not data:
                raise SyscallError(errno.EFAULT)
            nul = data.find(b"\0")
            if nul >= 0:
                return out + data[:nul]
            out += data
            addr += len(data)
            if len(out) >= limit:
                raise SyscallError(too_long)

    def cstr_reader(self, limit, too_long):
        """read_cstr(addr, limit, too_long) for many strings that mostly sit side by
        side (execve's argv and envp): one host copy serves the strings of a window."""
        window = [0, b""]

        def read(addr):
            base, buf = window
            off = addr - base
            if 0 <= off < len(buf):
                nul = buf.find(b"\0", off, off + limit)
                if nul >= 0:
                    return buf[off:nul]
            # The window reaches 32 KiB either side (execve copies from the end), as far
            # as the memory is readable.
            lo = max((addr & PAGE_MASK) - (1 << 15), 0)
            if self.extent(lo, addr - lo, False) < addr - lo:
                lo = addr & PAGE_MASK
            n = self.extent(lo, addr - lo + (1 << 15), False)
            buf = self.proc.read(lo, n) if n > addr - lo else b""
            window[:] = [lo, buf]
            nul = buf.find(b"\0", addr - lo, addr - lo + limit)
            if nul >= 0:
                return buf[addr - lo:nul]
            return self.read_cstr(addr, limit, too_long)     # longer, or a fault
        return read

    def read_ptr_array(self, addr, limit=0x7FFFFFFF):
        """A NULL-terminated array of pointers (argv, envp)."""
        ptrs = []
        while True:
            # A page (or what is left of it) at a time: one host copy per 512 pointers.
            chunk = PAGE - (addr & (PAGE - 1)) if addr & 7 == 0 else 8
            words = memoryview(self.read(addr, chunk)).cast("Q") if chunk % 8 == 0 else \
                [int.from_bytes(self.read(addr, 8), "little")]
            for word in words:
                if not word:
                    return ptrs
                ptrs.append(word)
                if len(ptrs) > limit:
                    raise SyscallError(errno.E2BIG)
            addr += len(words) * 8

    # ---- the VMA list --------------------------------------------------------

    def _index_after(self, addr):
        """Index of the first VMA whose end is above addr."""
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and self.vmas[i].end > addr:
            return i
        return i + 1

    def overlapping(self, start, end):
        i = self._index_after(start)
        out = []
        while i < len(self.vmas) and self.vmas[i].start < end:
            out.append(self.vmas[i])
            i += 1
        return out

    def find(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and self.vmas[i].end > addr:
            return self.vmas[i]
        return None

    def _carve(self, start, end):
        """Remove [start, end) from the list, splitting VMAs at its edges."""
        i = self._index_after(start)
        vmas = self.vmas
        if i < len(vmas) and vmas[i].start < start:
            high = vmas[i].split_at(start)
            vmas.insert(i + 1, high)
            i += 1
        j = i
        while j < len(vmas) and vmas[j].start < end:
            if vmas[j].end > end:
                vmas.insert(j + 1, vmas[j].split_at(end))
            j += 1
        del vmas[i:j]
        self.starts = [v.start for v in vmas]

    def _merge_around(self, start, end):
        """Join the VMAs touching [start, end) with neighbours Linux would merge them
        with (vma_merge: same protections, VM flags, backing and contiguous offsets),
        so /proc/PID/maps and the one-VMA rules of mremap/mlock see what Linux has."""
        vmas = self.vmas
        i = max(self._index_after(start) - 1, 0)
        changed = False
        while i + 1 < len(vmas) and vmas[i].start <= end:
            a, b = vmas[i], vmas[i + 1]
            # The loader's segments carry a path but no File: their offsets are not
            # kept through splits, so they are never joined (Linux joins them only
            # when the file offsets are contiguous, which segments rarely are).
            anonymous = a.file is None and a.shared_key is None and not a.name.startswith("/")
            if a.end == b.start and a.prot == b.prot and a.name == b.name and \
                    not (a.flags ^ b.flags) & MERGE_FLAGS and a.file is b.file and \
                    a.shared_key == b.shared_key and a.dontfork == b.dontfork and \
                    (anonymous or (a.file is not None or a.shared_key is not None)
                     and a.offset + (a.end - a.start) == b.offset):
                a.end = b.end
                del vmas[i + 1]
                changed = True
            else:
                i += 1
        if changed:
            self.starts = [v.start for v in vmas]

    def _insert(self, vma):
        i = bisect.bisect_left(self.starts, vma.start)
        self.vmas.insert(i, vma)
        self.starts.insert(i, vma.start)

    def is_free(self, start, end):
        return (MMAP_MIN_ADDR <= start < end <= self.top) and not self.overlapping(start, end)

    def find_free(self, length, hint=0):
        """A free range: the hint if it fits, else top-down below mmap_base."""
        if hint:
            hint &= PAGE_MASK
            if self.is_free(hint, hint + length):
                return hint
        end = self.mmap_base
        for vma in reversed(self.vmas):
            if vma.start >= end:
                continue
            if vma.end <= end - length:
                break
            end = vma.start
        start = end - length
        if start < MMAP_MIN_ADDR:
            raise SyscallError(errno.ENOMEM)
        return start

    def find_free_32bit(self, length, hint=0):
        """A free range for MAP_32BIT: the hint if it fits below 2 GiB, else the
        lowest hole in [1 GiB, 2 GiB) (x86's legacy bottom-up layout)."""
        if length > MAP_32BIT_END:
            raise SyscallError(errno.ENOMEM)
        if hint:
            hint &= PAGE_MASK
            if hint <= MAP_32BIT_END - length and self.is_free(hint, hint + length):
                return hint
        start = MAP_32BIT_BEGIN
        for vma in self.overlapping(MAP_32BIT_BEGIN, MAP_32BIT_END):
            if vma.start >= start + length:
                break
            start = max(start, vma.end)
        if start + length > MAP_32BIT_END:
            raise SyscallError(errno.ENOMEM)
        return start

    def _host(self, ops):
        try:
            self.proc.run_ops(ops)
        except OpError as e:
            raise SyscallError(e.errno) from None

    # ---- accounting (total_vm, data_vm, locked_vm) ------------------------------

    def vm_pages(self):
        """(total_vm, data_vm) in pages."""
        total = data = 0
        for v in self.vmas:
            n = (v.end - v.start) >> 12
            total += n
            if is_data_mapping(v.prot, v.flags, v.name):
                data += n
        return total, data

    def locked_pages(self, start=0, end=None):
        """locked_vm in pages (VMAs with VM_LOCKED, which we keep as MAP_LOCKED), or
        the locked pages inside [start, end) (count_mm_mlocked_page_nr)."""
        if end is None:
            vmas, start, end = self.vmas, 0, self.top
        else:
            vmas = self.overlapping(start, end)
        return sum((min(v.end, end) - max(v.start, start)) >> 12
                   for v in vmas if v.flags & MAP_LOCKED)

    def may_expand(self, limits, prot, flags, npages, name=""):
        """may_expand_vm(): RLIMIT_AS for every mapping, RLIMIT_DATA for data
        mappings (with Linux's allowance for a soft limit of 0 under the hard one)."""
        if limits is None or (limits.as_pages >= UNLIMITED_PAGES
                              and limits.data_pages >= UNLIMITED_PAGES):
            return True                   # the usual case: no need to count
        total, data = self.vm_pages()
        if total + npages > limits.as_pages:
            return False
        if is_data_mapping(prot, flags, name) and data + npages > limits.data_pages:
            return limits.data_pages == 0 and data + npages <= limits.data_max_pages
        return True

    # ---- mmap(2) and friends -------------------------------------------------

    def mmap(self, addr, length, prot, flags, file=None, offset=0, name="", limits=None):
        """mmap(2) after the syscall-level checks; returns the address. The checks
        come in do_mmap's order: length, the address (get_unmapped_area),
        MAP_FIXED_NOREPLACE, locking, the mapping type and the file's open mode,
        then the caller's RLIMIT_AS/RLIMIT_DATA (mmap_region). limits: VmLimits,
        or None for the kernel's own mappings."""
        if length == 0:
            raise SyscallError(errno.EINVAL)
        if prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP):
            raise SyscallError(errno.EINVAL)
        size = page_up(length)
        if size == 0 or size > self.top:
            raise SyscallError(errno.ENOMEM)
        if offset + size > (1 << 63):
            raise SyscallError(errno.EOVERFLOW)
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
            if addr & ~PAGE_MASK:
                raise SyscallError(errno.EINVAL)
            if addr + size > self.top or addr < MMAP_MIN_ADDR:
                raise SyscallError(errno.ENOMEM if addr + size > self.top else errno.EPERM)
            if flags & MAP_FIXED_NOREPLACE and self.overlapping(addr, addr + size):
                raise SyscallError(errno.EEXIST)
            start = addr
        elif flags & MAP_32BIT:
            start = self.find_free_32bit(size, addr if addr < self.top else 0)
        else:
            start = self.find_free(size, addr if addr < self.top else 0)
        locked = (flags | self.def_locked) & MAP_LOCKED
        if limits is not None and locked:
            if flags & MAP_LOCKED and not limits.can_mlock:
                raise SyscallError(errno.EPERM)
            if limits.memlock_pages is not None and \
                    self.locked_pages() + (size >> 12) > limits.memlock_pages:
                raise SyscallError(errno.EAGAIN)       # mlock_future_ok
        maptype = flags & MAP_TYPE
        if file is not None:
            if maptype in (MAP_SHARED, MAP_SHARED_VALIDATE):
                # MAP_SHARED drops flags it does not know; MAP_SHARED_VALIDATE refuses
                # them. No file here offers MAP_SYNC (no DAX), which both refuse.
                if flags & MAP_SYNC or (maptype == MAP_SHARED_VALIDATE
                                        and flags & ~LEGACY_MAP_MASK):
                    raise SyscallError(errno.EOPNOTSUPP)
                maptype = MAP_SHARED
            elif maptype != MAP_PRIVATE:
                raise SyscallError(errno.EINVAL)
            file.check_mmap(prot, maptype)
            if flags & MAP_GROWSDOWN:
                raise SyscallError(errno.EINVAL)
        elif maptype == MAP_SHARED:
            if flags & MAP_GROWSDOWN:
                raise SyscallError(errno.EINVAL)
        elif maptype == MAP_DROPPABLE:
            # Private memory the host may drop (and a fork child gets zeroed): never
            # locked, not a stack, no huge pages.
            if flags & (MAP_LOCKED | MAP_HUGETLB | MAP_GROWSDOWN):
                raise SyscallError(errno.EINVAL)
            locked = 0
        elif maptype != MAP_PRIVATE:
            raise SyscallError(errno.EINVAL)        # MAP_SHARED_VALIDATE is for files
        new_flags = (flags & ~(MAP_TYPE | MAP_LOCKED)) | maptype | locked
        replaced = sum(min(v.end, start + size) - max(v.start, start)
                       for v in self.overlapping(start, start + size)) >> 12
        if not self.may_expand(limits, prot, new_flags, (size >> 12) - replaced):
            raise SyscallError(errno.ENOMEM)
        host_flags = (flags & HOST_MAP_FLAGS & ~(MAP_TYPE | MAP_LOCKED)) | maptype | MAP_FIXED
        if locked:
            # The lock is the guest's bookkeeping (VmLck, RLIMIT_MEMLOCK); the host
            # only populates the pages, as a locked mapping starts populated.
            host_flags |= MAP_POPULATE
        if file is None:
            host_flags |= MAP_ANONYMOUS
            ops = [MapOp(HOST_MMAP, (start, size, prot & 7, host_flags, -1, 0))]
        else:
            host_flags &= ~MAP_ANONYMOUS
            ops = [MapOp(HOST_OPENAT, (-100, file.stub_path(), file.stub_open_flags(), 0), OP_SAVE_FD),
                   MapOp(HOST_MMAP, (start, size, prot & 7, host_flags, 0, offset), OP_ARG4_FD),
                   MapOp(HOST_CLOSE, (0,), OP_ARG0_FD)]
        self._host(ops)
        shared_key = None
        if maptype == MAP_SHARED:
            shared_key = file.identity() if file is not None else object()
        self._carve(start, start + size)
        self._insert(Vma(start, start + size, prot & 7, new_flags,
                         name or (file.path_name() if file is not None else ""),
                         offset if file is not None else 0, file, shared_key))
        self._merge_around(start, start + size)
        return start

    def map_fixed_ops(self, start, end, prot, flags, offset=0, name="", from_saved_fd=False):
        """Record a mapping that a batch run by the caller makes (the loader); returns its
        MapOps. from_saved_fd: map the file the batch opened earlier (OP_SAVE_FD)."""
        self._carve(start, end)
        self._insert(Vma(start, end, prot, flags, name, offset))
        host_flags = (flags & HOST_MAP_FLAGS) | MAP_FIXED
        if not from_saved_fd:
            return [MapOp(HOST_MMAP, (start, end - start, prot, host_flags | MAP_ANONYMOUS, -1, 0))]
        return [MapOp(HOST_MMAP, (start, end - start, prot, host_flags, 0, offset), OP_ARG4_FD)]

    def run_ops(self, ops):
        self._host(ops)

    def _check_range(self, addr, length):
        if addr & ~PAGE_MASK:
            raise SyscallError(errno.EINVAL)
        size = page_up(length)
        if length and size == 0:
            raise SyscallError(errno.ENOMEM)
        return size

    def munmap(self, addr, length):
        """munmap(2)."""
        if addr & ~PAGE_MASK or length == 0:
            raise SyscallError(errno.EINVAL)
        size = page_up(length)
        if size > self.top or addr > self.top - size:
            raise SyscallError(errno.EINVAL)
        if self.overlapping(addr, addr + size):
            self._host([MapOp(HOST_MUNMAP, (addr, size))])
            self._carve(addr, addr + size)
        return 0

    def mprotect(self, addr, length, prot, limits=None):
        """mprotect(2). Like mprotect_fixup, VMA by VMA: a shared mapping of a file
        that is not open for writing refuses PROT_WRITE (EACCES), a private one
        turned writable must fit RLIMIT_DATA (ENOMEM); the VMAs before it change."""
        if addr & ~PAGE_MASK:
            raise SyscallError(errno.EINVAL)
        grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP)
        if prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP) or \
                grows == (PROT_GROWSDOWN | PROT_GROWSUP):
            raise SyscallError(errno.EINVAL)
        size = page_up(length)
        if length and size == 0 or addr + size < addr:
            raise SyscallError(errno.ENOMEM)
        if size == 0:
            return 0
        end = addr + size
        if end > self.top:
            raise SyscallError(errno.ENOMEM)
        vmas = self.overlapping(addr, end)
        # Like mm/mprotect.c: the VMAs before the first hole are changed, then ENOMEM.
        reach = addr
        for vma in vmas:
            if vma.start > reach:
                break
            reach = vma.end
        reach = min(reach, end)
        prot &= 7
        error = errno.ENOMEM if reach < end else 0
        for vma in vmas:
            if vma.start >= reach:
                break
            try:
                if vma.file is not None and prot & PROT_WRITE and \
                        vma.flags & MAP_TYPE == MAP_SHARED:
                    vma.file.check_mmap(prot, MAP_SHARED)
            except SyscallError as e:
                error, reach = e.errno, max(vma.start, addr)
                break
            if prot & PROT_WRITE and not is_data_mapping(vma.prot, vma.flags, vma.name):
                pages = (min(vma.end, reach) - max(vma.start, addr)) >> 12
                if not self.may_expand(limits, prot, vma.flags, pages, vma.name) and \
                        self.may_expand(limits, vma.prot, vma.flags, pages, vma.name):
                    error, reach = errno.ENOMEM, max(vma.start, addr)
                    break
        if reach > addr:
            self._host([MapOp(HOST_MPROTECT, (addr, reach - addr, prot))])
            self._carve_keep(addr, reach, lambda v: setattr(v, "prot", prot))
            self._merge_around(addr, reach)
        if error:
            raise SyscallError(error)
        return 0

    def _carve_keep(self, start, end, change):
        """Split VMAs at start and end and apply change() to those inside."""
        i = self._index_after(start)
        vmas = self.vmas
        if i < len(vmas) and vmas[i].start < start:
            vmas.insert(i + 1, vmas[i].split_at(start))
            i += 1
        while i < len(vmas) and vmas[i].start < end:
            if vmas[i].end > end:
                vmas.insert(i + 1, vmas[i].split_at(end))
            change(vmas[i])
            i += 1
        self.starts = [v.start for v in vmas]

    def set_locked(self, start, end, lock):
        """Set or clear VM_LOCKED (kept as MAP_LOCKED) on [start, end)."""
        if lock:
            self._carve_keep(start, end, lambda v: setattr(v, "flags", v.flags | MAP_LOCKED))
        else:
            self._carve_keep(start, end, lambda v: setattr(v, "flags", v.flags & ~MAP_LOCKED))
        self._merge_around(start, end)

    def madvise(self, addr, length, advice):
        """madvise(2): content-changing advice is done by the host, hints are accepted."""
        if addr & ~PAGE_MASK:
            raise SyscallError(errno.EINVAL)
        if advice not in MADV_VALID:
            raise SyscallError(errno.EINVAL)
        size = page_up(length)
        if length and size == 0:
            raise SyscallError(errno.EINVAL)
        if size == 0:
            return 0
        end = addr + size
        vmas = self.overlapping(addr, end)
        unmapped = False
        cur = addr
        for vma in vmas:
            if vma.start > cur:
                unmapped = True
            cur = vma.end
        if cur < end:
            unmapped = True
        if advice in MADV_HOST:
            for vma in vmas:
                if advice in (MADV_DONTNEED, MADV_FREE) and vma.flags & MAP_LOCKED:
                    # madvise_dontneed_free_valid_vma: locked pages stay (only
                    # MADV_DONTNEED_LOCKED may drop them).
                    raise SyscallError(errno.EINVAL)
                lo, hi = max(vma.start, addr), min(vma.end, end)
                self._host([MapOp(HOST_MADVISE, (lo, hi - lo, advice))])
            if advice in (MADV_DONTFORK, MADV_DOFORK):
                dontfork = advice == MADV_DONTFORK
                self._carve_keep(addr, end, lambda v: setattr(v, "dontfork", dontfork))
                self._merge_around(addr, end)
        if unmapped:
            raise SyscallError(errno.ENOMEM)
        return 0

    def mremap(self, old, old_len, new_len, flags, new_addr, limits=None):
        """mremap(2): the host moves the pages; the kernel chooses where. Growing
        must fit RLIMIT_MEMLOCK (a locked VMA), RLIMIT_AS and RLIMIT_DATA, and so must
        the copy MREMAP_DONTUNMAP leaves behind (check_prep_vma, mremap_to)."""
        # check_mremap_params
        if flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP):
            raise SyscallError(errno.EINVAL)
        if old & ~PAGE_MASK:
            raise SyscallError(errno.EINVAL)
        old_len = page_up(old_len)
        new_len = page_up(new_len)
        if new_len == 0:
            raise SyscallError(errno.EINVAL)
        new_place = flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)   # vrm_implies_new_addr
        if new_place:
            if new_addr & ~PAGE_MASK or not flags & MREMAP_MAYMOVE:
                raise SyscallError(errno.EINVAL)
            if flags & MREMAP_DONTUNMAP and old_len != new_len:
                raise SyscallError(errno.EINVAL)
            if new_addr < old + old_len and old < new_addr + new_len:
                raise SyscallError(errno.EINVAL)
        # check_prep_vma: only what grows or moves is checked against the VMA (a
        # shrink in place may cross VMAs, like munmap).
        vma = self.find(old)
        if vma is None:
            raise SyscallError(errno.EFAULT)
        if new_len > old_len or new_place:
            if old_len == 0 and vma.flags & MAP_TYPE != MAP_SHARED:
                raise SyscallError(errno.EINVAL)
            if min(old_len, new_len) > vma.end - old:
                raise SyscallError(errno.EFAULT)
        if new_len > old_len:
            grow = new_len - old_len
            if vma.flags & MAP_LOCKED and limits is not None and \
                    limits.memlock_pages is not None and \
                    self.locked_pages() + (grow >> 12) > limits.memlock_pages:
                raise SyscallError(errno.EAGAIN)
            if not self.may_expand(limits, vma.prot, vma.flags, grow >> 12, vma.name):
                raise SyscallError(errno.ENOMEM)
        if new_place:
            # mremap_to
            if flags & MREMAP_FIXED and \
                    (new_addr + new_len > self.top or new_addr < MMAP_MIN_ADDR):
                raise SyscallError(errno.EINVAL)
            if new_len < old_len:
                self.munmap(old + new_len, old_len - new_len)
                old_len = new_len
            if flags & MREMAP_DONTUNMAP and \
                    not self.may_expand(limits, vma.prot, vma.flags, old_len >> 12, vma.name):
                raise SyscallError(errno.ENOMEM)
            if not flags & MREMAP_FIXED:
                new_addr = self.find_free(new_len, new_addr)
            return self._move(vma, old, old_len, new_len, new_addr, flags)
        # mremap_at
        if new_len <= old_len:
            if new_len < old_len:
                self.munmap(old + new_len, old_len - new_len)
            return old
        if old + old_len == vma.end and self.is_free(vma.end, old + new_len):
            self._host([MapOp(HOST_MREMAP, (old, old_len, new_len, 0, 0))])
            self._carve(old, old + new_len)
            grown = vma.copy(old, old + new_len, _offset_at(vma, old))
            self._insert(grown)
            self._merge_around(old, old + new_len)
            return old
        if not flags & MREMAP_MAYMOVE:
            raise SyscallError(errno.ENOMEM)
        return self._move(vma, old, old_len, new_len, self.find_free(new_len), flags)

    def _move(self, vma, old, old_len, new_len, new_addr, flags):
        host_flags = MREMAP_MAYMOVE | MREMAP_FIXED | (flags & MREMAP_DONTUNMAP)
        self._host([MapOp(HOST_MREMAP, (old, old_len, new_len, host_flags, new_addr))])
        self._carve(new_addr, new_addr + new_len)
        moved = vma.copy(new_addr, new_addr + new_len, _offset_at(vma, old))
        if not flags & MREMAP_DONTUNMAP:
            self._carve(old, old + old_len)
        elif vma.flags & MAP_LOCKED:
            # The lock goes with the pages; what stays behind is unlocked.
            self._carve_keep(old, old + old_len,
                             lambda v: setattr(v, "flags", v.flags & ~MAP_LOCKED))
        self._insert(moved)
        self._merge_around(new_addr, new_addr + new_len)
        return new_addr

    def brk(self, addr, limits=None):
        """brk(2): returns the new break, or the old one when it cannot move: below
        the start, beyond RLIMIT_DATA with the program's initialised data (checked even
        when shrinking, as check_data_rlimit is), into
        another mapping, or beyond RLIMIT_AS/RLIMIT_DATA/RLIMIT_MEMLOCK (do_brk_flags)."""
        if addr < self.brk_start:
            return self.brk_cur
        if limits is not None and limits.data_bytes < (1 << 64) - 1 and \
                addr - self.brk_start + self.data_size > limits.data_bytes:
            return self.brk_cur
        old_top, new_top = page_up(self.brk_cur), page_up(addr)
        if new_top > old_top:
            if not self.is_free(old_top, new_top) or new_top > self.mmap_base:
                return self.brk_cur
            pages = (new_top - old_top) >> 12
            if not self.may_expand(limits, PROT_READ | PROT_WRITE, MAP_PRIVATE, pages):
                return self.brk_cur
            if self.def_locked and limits is not None and limits.memlock_pages is not None \
                    and self.locked_pages() + pages > limits.memlock_pages:
                return self.brk_cur
            try:
                self._host([MapOp(HOST_MMAP, (old_top, new_top - old_top, PROT_READ | PROT_WRITE,
                                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0))])
            except SyscallError:
                return self.brk_cur
            self._insert(Vma(old_top, new_top, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | self.def_locked, "[heap]"))
            self._merge_around(old_top, new_top)
        elif new_top < old_top:
            self._host([MapOp(HOST_MUNMAP, (new_top, old_top - new_top))])
            self._carve(new_top, old_top)
        self.brk_cur = addr
        return addr

    def fork(self, proc):
        """The child's copy after a host fork (the host copied the pages, and left out
        the MADV_DONTFORK ones as Linux's dup_mmap does)."""
        child = AddressSpace.__new__(AddressSpace)
        child.__dict__.update(self.__dict__)
        child.proc = proc
        child._mem = None                 # the child's own host mm, not the parent's
        child.users = 1
        child.vmas = [v.copy(v.start, v.end, v.offset) for v in self.vmas if not v.dontfork]
        for v in child.vmas:
            v.flags &= ~MAP_LOCKED        # memory locks are not inherited (dup_mmap)
        child.def_locked = 0
        child.starts = [v.start for v in child.vmas]
        return child

    def clear(self):
        """Unmap every guest mapping (execve)."""
        self._host([MapOp(HOST_MUNMAP, (0, self.top))])
        self.vmas = []
        self.starts = []
        self.brk_start = self.brk_cur = 0
        self.def_locked = 0
        self.data_size = 0

    def maps_text(self):
        """The /proc/PID/maps view."""
        lines = []
        for v in self.vmas:
            perms = ("r" if v.prot & 1 else "-") + ("w" if v.prot & 2 else "-") + \
                    ("x" if v.prot & 4 else "-") + ("s" if v.flags & MAP_TYPE == MAP_SHARED else "p")
            head = f"{v.start:08x}-{v.end:08x} {perms} {v.offset:08x} 00:00 0 "
            lines.append(f"{head:<73}{v.name}" if v.name else head)
        return "".join(line + "\n" for line in lines)
