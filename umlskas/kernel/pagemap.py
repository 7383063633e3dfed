"""/proc/PID/pagemap: the guest's pages as fs/proc/task_mmu.c reports them, read from the host's pagemap of its stub with frame numbers hidden.

The host process of a guest holds exactly the guest's mappings below the guest's
top (the kernel places every one with MAP_FIXED), so the host's pagemap entries
for addresses inside the guest's own VMAs say what Linux would say: present,
swapped, file or shared page, exclusively mapped, soft-dirty. Everything outside
those VMAs (holes, the stub's pages above the guest's top) reads as 0. Frame
numbers and swap offsets (bits 0-54) are always 0, for root too: host physical
addresses are never the guest's to see (Linux shows them to CAP_SYS_ADMIN).
"""

import array
import errno
import os
import stat as statmod

from .errors import SyscallError
from .files import File

PAGE_SHIFT = 12
PM_ENTRY_BYTES = 8
TASK_SIZE = 0x7FFFFFFFF000              # x86-64 user address space: where the file ends
# Present, swapped, file/shared-anon, soft-dirty, exclusive, uffd-wp, guard region.
PM_KEEP = (1 << 63) | (1 << 62) | (1 << 61) | (0xF << 55)
MAX_ENTRIES = 1 << 17                   # 1 MiB of entries (512 MiB of address space)


class PagemapFile(File):
    """An open /proc/PID/pagemap of task t: 8 bytes per virtual page, read at the
    position that is the page number times 8."""

    def __init__(self, t, flags, path, node):
        super().__init__(flags, path)
        self.t = t
        self.node = node
        self.pos = 0
        self.mode = statmod.S_IFREG | 0o400

    def read(self, size):
        data = self.pread(size, self.pos)
        self.pos += len(data)
        return data

    def pread(self, size, offset):
        """pagemap_read(): position and count must be multiples of 8."""
        if not self.readable:
            raise SyscallError(errno.EBADF)
        mm = self.t.mm
        if mm is None:
            raise SyscallError(errno.ESRCH)
        if offset % PM_ENTRY_BYTES or size % PM_ENTRY_BYTES:
            raise SyscallError(errno.EINVAL)
        first = offset // PM_ENTRY_BYTES
        # At most MAX_ENTRIES a call: a short read, so that a huge buffer never makes
        # the kernel build a huge answer.
        count = min(size // PM_ENTRY_BYTES, max((TASK_SIZE >> PAGE_SHIFT) - first, 0),
                    MAX_ENTRIES)
        if count <= 0:
            return b""
        out = array.array("Q", bytes(count * PM_ENTRY_BYTES))
        lo, hi = first << PAGE_SHIFT, (first + count) << PAGE_SHIFT
        vmas = mm.overlapping(lo, min(hi, mm.top))
        host_pid = getattr(getattr(self.t, "proc", None), "host_pid", None)
        if vmas and host_pid is not None:
            try:
                fd = os.open(f"/proc/{host_pid}/pagemap", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                raise SyscallError(errno.ESRCH) from None
            try:
                for vma in vmas:
                    a, b = max(vma.start, lo) >> PAGE_SHIFT, min(vma.end, hi) >> PAGE_SHIFT
                    data = os.pread(fd, (b - a) * PM_ENTRY_BYTES, a * PM_ENTRY_BYTES)
                    entries = array.array("Q", data[:len(data) - len(data) % PM_ENTRY_BYTES])
                    base = a - first
                    for i, entry in enumerate(entries):
                        out[base + i] = entry & PM_KEEP
            except OSError:
                raise SyscallError(errno.ESRCH) from None
            finally:
                os.close(fd)
        return out.tobytes()

    def stat(self):
        return self.node.stat()

    def lseek(self, offset, whence):
        """mem_lseek: SEEK_SET and SEEK_CUR only."""
        if whence == 0:
            pos = offset
        elif whence == 1:
            pos = self.pos + offset
        else:
            raise SyscallError(errno.EINVAL)
        if pos < 0:
            raise SyscallError(errno.EINVAL)
        self.pos = pos
        return pos
