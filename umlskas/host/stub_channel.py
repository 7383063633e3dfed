"""The stub channel: builds and launches stubs, and runs host syscalls inside them.

How it works: one memfd "ops page" is created per kernel and mapped read-only
into every stub at STUB_OPS_ADDR (and read-write here). To run host syscalls
in a stub's address space the kernel writes 64-byte op records into the page,
saves the stopped stub's registers, points rip at the stub's batch loop and
resumes it with PTRACE_CONT; the loop ends on an int3, and the registers are
put back. The guest cannot write the page (it is read-only in its address
space, and its mprotect is emulated), so it cannot steer that PTRACE_CONT.
See the opening comment of stub.c for the stub's side.
"""

import errno
import logging
import mmap
import os
import signal
import struct

from . import ptrace
from ..kernel.machine import OP_ARG0_FD, OP_ARG4_FD, OpError
from .build import BuildError as StubBuildError, stub_path

STUB_NAME = "umlskas-stub"

log = logging.getLogger("umlskas")

STUB_BASE = 0x7FFBE0000000          # lowest stub address: guests live below it
STUB_OPS_ADDR = 0x7FFBE0100000
STUB_OPS_SIZE = 0x10000
STUB_END = STUB_OPS_ADDR + STUB_OPS_SIZE
OP_SIZE = 64
STRINGS_AT = 0x8000                 # strings live in the second half of the page
MAX_OPS = STRINGS_AT // OP_SIZE


def _elf_symbols(path, wanted):
    """Addresses of a few global symbols in a static ELF64 file."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    found = {}
    for i in range(shnum):
        base = shoff + i * shentsize
        sh_type, = struct.unpack_from("<I", data, base + 4)
        if sh_type != 2:  # SHT_SYMTAB
            continue
        off, size, link, _, _, entsize = struct.unpack_from("<QQIIQQ", data, base + 0x18)
        stroff, = struct.unpack_from("<Q", data, shoff + link * shentsize + 0x18)
        for s in range(off, off + size, entsize):
            name_off, = struct.unpack_from("<I", data, s)
            value, = struct.unpack_from("<Q", data, s + 8)
            end = data.index(b"\0", stroff + name_off)
            name = data[stroff + name_off:end].decode()
            if name in wanted:
                found[name] = value
    missing = set(wanted) - set(found)
    if missing:
        raise StubBuildError(f"stub {path} lacks symbols {sorted(missing)}")
    return found


class StubChannel:
    """Launches stubs and runs injected host syscalls in them, for one kernel."""

    def __init__(self):
        self.path = stub_path()
        syms = _elf_symbols(self.path, ("stub_syscall", "stub_batch", "stub_cmpxchg"))
        self.trampoline = syms["stub_syscall"]
        self.batch_entry = syms["stub_batch"]
        self.cmpxchg_entry = syms["stub_cmpxchg"]
        self.ops_fd = os.memfd_create("umlskas-ops", os.MFD_CLOEXEC)
        os.ftruncate(self.ops_fd, STUB_OPS_SIZE)
        self.ops = mmap.mmap(self.ops_fd, STUB_OPS_SIZE)
        # Exit statuses reaped while waiting for one stub's trap; wait() hands them on.
        self.reaped = {}
        self.new_children = []      # host pids born of an injected clone
        self.filter_checked = False  # the stub's seccomp result (r15) is read once
        # Seccomp mode's secret (mode_seccomp.py): the sixth argument register of every
        # injected syscall, without which its filter kills a syscall from the stub.
        self.secret = None

    def close(self):
        if self.ops_fd >= 0:
            self.ops.close()
            os.close(self.ops_fd)
            self.ops_fd = -1

    def launch(self):
        """Start a stub and seize it. Returns its host pid, stopped in a
        PTRACE_EVENT_STOP with only the stub's own pages (and [vsyscall]) mapped."""
        pid = os.posix_spawn(self.path, [STUB_NAME], {},
                             file_actions=[(os.POSIX_SPAWN_DUP2, self.ops_fd, 3)],
                             setpgroup=0)
        try:
            _, status = os.waitpid(pid, os.WUNTRACED)
            if not os.WIFSTOPPED(status):
                raise StubBuildError(f"stub exited before it stopped (status {status:#x})")
            ptrace.seize(pid)
            _, status = os.waitpid(pid, ptrace.WALL)
            if not (os.WIFSTOPPED(status) and status >> 16 == ptrace.PTRACE_EVENT_STOP):
                raise StubBuildError(f"stub did not stop after PTRACE_SEIZE (status {status:#x})")
            if not self.filter_checked:
                self.filter_checked = True
                err = ptrace.peekuser(pid, ptrace.REG_OFFSET["r15"])
                if err:
                    log.warning("the stub's seccomp filter failed (%s): calls into the "
                                "vsyscall page run on the host, unseen by the kernel",
                                os.strerror(-(err - (1 << 64))) if err >> 63 else err)
            self.unmap_host_mappings(pid)
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        return pid

    def unmap_host_mappings(self, pid):
        """Remove the host's vdso, vvar and stack: the guest gets only what the loader maps."""
        ops = []
        with open(f"/proc/{pid}/maps") as maps:
            for line in maps:
                span, _, rest = line.partition(" ")
                start, end = (int(x, 16) for x in span.split("-"))
                if start >= STUB_BASE and end <= STUB_END:
                    continue
                if start >= 0xFFFFFFFFFF600000:  # [vsyscall] cannot be removed
                    continue
                ops.append((11, (start, end - start), 0))
        self.run_batch(pid, ops)

    def _put_ops(self, ops):
        """Write op records (and their string args) into the ops page."""
        if len(ops) > MAX_OPS:
            raise ValueError("too many ops in one batch")
        page = self.ops
        strings = STRINGS_AT
        pack = struct.pack_into
        for i, (nr, args, flags) in enumerate(ops):
            vals = []
            for a in args:
                if isinstance(a, (bytes, bytearray)):
                    s = bytes(a) + b"\0"
                    if strings + len(s) > STUB_OPS_SIZE:
                        raise ValueError("op strings overflow the ops page")
                    page[strings:strings + len(s)] = s
                    vals.append(STUB_OPS_ADDR + strings)
                    strings += (len(s) + 7) & ~7
                else:
                    vals.append(a & 0xFFFFFFFFFFFFFFFF)
            vals += [0] * (6 - len(vals))
            if self.secret is not None and nr != 9:
                flags |= 8          # the stub loads the secret (r15) as arg5
            pack("<8Q", page, i * OP_SIZE, nr, flags, *vals)

    def run_batch(self, pid, ops):
        """Run ops (nr, args, flags) in stopped stub `pid`; registers are kept.
        Raises OpError(index, errno) at the first failing op."""
        if not ops:
            return
        uses_fd = any(flags & (OP_ARG0_FD | OP_ARG4_FD) for _, _, flags in ops)
        for start in range(0, len(ops), MAX_OPS):
            chunk = ops[start:start + MAX_OPS]
            self._put_ops(chunk)
            saved = ptrace.getregs(pid)
            regs = ptrace.UserRegs.from_buffer_copy(saved)
            regs.rip = self.batch_entry
            regs.rbx = STUB_OPS_ADDR
            regs.r12 = len(chunk)
            regs.r13 = 0xFFFFFFFFFFFFFFFF
            regs.orig_rax = 0xFFFFFFFFFFFFFFFF
            if self.secret is not None:
                regs.r15 = self.secret
            ptrace.setregs(pid, regs)
            done = self._run_to_trap(pid)
            saved.orig_rax = 0xFFFFFFFFFFFFFFFF
            ptrace.setregs(pid, saved)
            if done.r12:
                index = start + len(chunk) - done.r12
                err = -(done.rax - (1 << 64))
                if uses_fd and done.r13 < 0x80000000:
                    self.inject(pid, 3, (done.r13,))
                raise OpError(index, err)

    def inject(self, pid, nr, args=()):
        """Run one host syscall in stopped stub `pid` through the trampoline;
        returns its raw result (negative errno on failure). Registers are kept."""
        saved = ptrace.getregs(pid)
        regs = ptrace.UserRegs.from_buffer_copy(saved)
        regs.rip = self.trampoline
        regs.rax = nr
        regs.orig_rax = 0xFFFFFFFFFFFFFFFF
        a = list(args) + [0] * (6 - len(args))
        if self.secret is not None:
            if len(args) > 5:
                raise ValueError("seccomp mode injects at most 5 arguments")
            a[5] = self.secret
        regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9 = (
            x & 0xFFFFFFFFFFFFFFFF for x in a)
        ptrace.setregs(pid, regs)
        done = self._run_to_trap(pid)
        saved.orig_rax = 0xFFFFFFFFFFFFFFFF
        ptrace.setregs(pid, saved)
        result = done.rax
        return result - (1 << 64) if result >= 1 << 63 else result

    def cmpxchg32(self, pid, addr, old, new):
        """An atomic compare-and-exchange of the 32-bit word at addr, run by stopped
        stub `pid`; returns the word's old value, or None if the access faulted.
        Registers are kept."""
        saved = ptrace.getregs(pid)
        regs = ptrace.UserRegs.from_buffer_copy(saved)
        regs.rip = self.cmpxchg_entry
        regs.rdi = addr & 0xFFFFFFFFFFFFFFFF
        regs.rax = old & 0xFFFFFFFF
        regs.rsi = new & 0xFFFFFFFF
        regs.orig_rax = 0xFFFFFFFFFFFFFFFF
        ptrace.setregs(pid, regs)
        done = self._run_to_trap(pid, fault_at=self.cmpxchg_entry)
        saved.orig_rax = 0xFFFFFFFFFFFFFFFF
        ptrace.setregs(pid, saved)
        return None if done is None else done.rax & 0xFFFFFFFF

    def clone(self, pid, host_flags):
        """Run a host clone(host_flags) in stopped stub `pid`. Returns the new host
        pid, auto-attached by ptrace and stopped before its first instruction,
        ready for the kernel to set its registers."""
        before = len(self.new_children)
        result = self.inject(pid, 56, (host_flags, 0, 0, 0, 0))
        if result < 0:
            raise OpError(0, -result)
        born = self.new_children[before:]
        del self.new_children[before:]
        child = born[0] if born else result
        while True:  # its first stop: PTRACE_EVENT_STOP (or SIGSTOP for older kernels)
            _, status = os.waitpid(child, ptrace.WALL)
            if os.WIFSTOPPED(status):
                return child
            self.reaped[child] = status
            raise OpError(0, errno.ESRCH)

    def _run_to_trap(self, pid, fault_at=None):
        ptrace.cont(pid)
        while True:
            _, status = os.waitpid(pid, ptrace.WALL)
            if os.WIFSTOPPED(status):
                sig = os.WSTOPSIG(status)
                event = status >> 16
                if sig == signal.SIGTRAP and event == 0:
                    return ptrace.getregs(pid)
                if event in (ptrace.PTRACE_EVENT_FORK, ptrace.PTRACE_EVENT_VFORK,
                             ptrace.PTRACE_EVENT_CLONE):
                    self.new_children.append(ptrace.geteventmsg(pid))
                    ptrace.cont(pid)
                    continue
                if event:
                    ptrace.cont(pid)
                    continue
                if fault_at is not None and sig in (signal.SIGSEGV, signal.SIGBUS) and \
                        ptrace.getregs(pid).rip == fault_at:
                    return None     # the op's own access faulted: not delivered
                # A host signal arrived while the stub ran our op (the guest's
                # pending SIGINT, say). Hold it back; the op is the kernel's.
                ptrace.cont(pid)
                continue
            self.reaped[pid] = status
            raise OpError(0, errno.ESRCH)
