"""/proc/PID/mem: another guest's memory read and written at offset = address (fs/proc/base.c mem_rw).

Opening needs ptrace access to the process (same credentials or CAP_SYS_PTRACE);
reads and writes go through the mappings the kernel keeps for it and, as Linux's
FOLL_FORCE, ignore page protections (a debugger writes breakpoints into text).
Only the guest part of the address space can be reached, never the stub above it.
"""

import errno
import stat as statmod

from .errors import SyscallError
from .files import File

CHUNK = 1 << 20


class MemFile(File):
    """An open /proc/PID/mem of task t."""

    def __init__(self, t, flags, path, node):
        super().__init__(flags, path)
        self.t = t
        self.mm = t.mm                  # the memory at open time (mem_open grabs the mm)
        self.node = node
        self.pos = 0
        self.mode = statmod.S_IFREG | 0o600

    def _span(self, addr, size):
        """Bytes from addr lying in mappings, as far as the guest's top."""
        mm = self.mm
        if addr >= mm.top:
            return 0
        end = min(addr + size, mm.top)
        cur = addr
        while cur < end:
            vma = mm.find(cur)
            if vma is None:
                break
            cur = vma.end
        return max(0, min(cur, end) - addr)

    def _proc(self):
        t = self.t
        if self.mm.users <= 0 or t.proc is None or t.tid not in t.kernel.tasks:
            alive = next((x for x in t.kernel.tasks.values() if x.mm is self.mm), None)
            if alive is None:
                return None
            return alive.proc
        return t.proc

    def pread(self, size, offset):
        if not self.readable:
            raise SyscallError(errno.EBADF)
        n = self._span(offset, min(size, CHUNK))
        proc = self._proc()
        if proc is None:
            return b""
        if n <= 0:
            raise SyscallError(errno.EIO)
        return proc.read(offset, n) or b""

    def pwrite(self, data, offset):
        if not self.writable:
            raise SyscallError(errno.EBADF)
        n = self._span(offset, min(len(data), CHUNK))
        proc = self._proc()
        if proc is None:
            return 0
        if n <= 0:
            raise SyscallError(errno.EIO)
        proc.poke(offset, bytes(data[:n]))
        return n

    def read(self, size):
        data = self.pread(size, self.pos)
        self.pos += len(data)
        return data

    def write(self, data):
        n = self.pwrite(data, self.pos)
        self.pos += n
        return n

    def stat(self):
        return self.node.stat()

    def lseek(self, offset, whence):
        """mem_lseek: SEEK_SET and SEEK_CUR; any 64-bit position (force_successful_syscall_return)."""
        if whence == 0:
            pos = offset
        elif whence == 1:
            pos = self.pos + offset
        else:
            raise SyscallError(errno.EINVAL)
        self.pos = pos & 0xFFFFFFFFFFFFFFFF
        return pos
