"""ELF64 loader: static, static-PIE and dynamic (PT_INTERP) executables and #! scripts.

How it works: `prepare()` reads and checks everything that can fail with an
errno the caller of execve must see (ENOENT, EACCES, ENOEXEC, ELOOP, E2BIG)
without touching the address space. `Image.commit()` is the point of no
return: it maps the segments straight from the file (the stub opens the
kernel's fd through /proc and mmaps it, one batch for all segments), zeroes
the partial bss page, maps the stack and writes argv, envp and the auxiliary
vector the way fs/binfmt_elf.c does. No vDSO is offered, so time calls come
to the kernel as real syscalls.
"""

import errno
import os
import stat as statmod
import struct

from .address_space import (MAP_ANONYMOUS, MAP_PRIVATE, PAGE, PAGE_MASK, PROT_EXEC,
                            PROT_READ, PROT_WRITE, page_up)
from . import devnodes, exec_guard
from .errors import SyscallError
from .files import KERNEL_PID
from .machine import HOST_CLOSE, HOST_OPENAT, OP_ARG0_FD, OP_SAVE_FD, MapOp
from .vfs import AT_FDCWD, HostPath, may_access

BINPRM_BUF_SIZE = 256
MAX_SCRIPT_DEPTH = 5
ELF_ET_DYN_BASE = 0x555555554000
MAX_ARG_STRLEN = 32 * PAGE
ARG_MAX = 32 * PAGE                   # argument bytes allowed even with a tiny stack limit
STK_LIM = 8 << 20                     # _STK_LIM: the default stack limit
STACK_MAX = 128 << 20                 # the largest stack mapping (the gap above mmap_base)
STACK_EXPAND = 128 << 10              # setup_arg_pages' stack_expand
MASK64 = (1 << 64) - 1

ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_INTERP, PT_PHDR = 1, 3, 6
EM_X86_64 = 62

AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_MINSIGSTKSZ = 23, 25, 26, 31, 51

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")


def _host_auxv():
    """The host's AT_HWCAP, AT_HWCAP2 and AT_MINSIGSTKSZ, passed on to guests."""
    wanted = {AT_HWCAP: 0, AT_HWCAP2: 0, AT_MINSIGSTKSZ: 2048}
    try:
        with open("/proc/self/auxv", "rb") as f:
            data = f.read()
    except OSError:
        return wanted
    for i in range(0, len(data) - 15, 16):
        key, value = struct.unpack_from("<QQ", data, i)
        if key in wanted:
            wanted[key] = value
    return wanted


HOST_AUXV = _host_auxv()


class Elf:
    """The parts of one ELF file the loader needs; owns a host fd until committed."""

    def __init__(self, host_fd, path):
        self.fd = host_fd
        self.path = path
        head = os.pread(host_fd, 64, 0)
        if len(head) < 64:
            raise SyscallError(errno.ENOEXEC)
        (ident, self.type, machine, _, self.entry, phoff, _, _, _, phentsize, phnum,
         _, _, _) = EHDR.unpack(head)
        if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1 or \
                self.type not in (ET_EXEC, ET_DYN) or machine != EM_X86_64 or \
                phentsize != PHDR.size or not 0 < phnum <= 65536 // PHDR.size:
            raise SyscallError(errno.ENOEXEC)
        table = os.pread(host_fd, phentsize * phnum, phoff)
        if len(table) != phentsize * phnum:
            raise SyscallError(errno.ENOEXEC)
        self.phnum = phnum
        self.phdrs = [PHDR.unpack_from(table, i * phentsize) for i in range(phnum)]
        self.loads = [p for p in self.phdrs if p[0] == PT_LOAD]
        if not self.loads:
            raise SyscallError(errno.ENOEXEC)
        self.interp = None
        for p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ in self.phdrs:
            if p_type == PT_INTERP:
                if p_filesz < 2 or p_filesz > 4096:
                    raise SyscallError(errno.ENOEXEC)
                raw = os.pread(host_fd, p_filesz, p_offset)
                if len(raw) != p_filesz or raw[-1] != 0:
                    raise SyscallError(errno.ENOEXEC)
                self.interp = raw[:-1]
        self.min_vaddr = min(p[3] for p in self.loads) & PAGE_MASK
        self.max_vaddr = page_up(max(p[3] + p[6] for p in self.loads))
        self.phdr_vaddr = None
        for p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ in self.phdrs:
            if p_type == PT_PHDR:
                self.phdr_vaddr = p_vaddr
        if self.phdr_vaddr is None:
            for p in self.loads:
                if p[2] <= phoff < p[2] + p[5]:
                    self.phdr_vaddr = p[3] + (phoff - p[2])
                    break
        self.phdr_vaddr = self.phdr_vaddr or 0

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def map_ops(self, mm, bias):
        """MapOps for the segments at `bias`, and the (addr, length) spans to zero."""
        ops = [MapOp(HOST_OPENAT, (AT_FDCWD, f"/proc/{KERNEL_PID}/fd/{self.fd}".encode(), 0, 0),
                     OP_SAVE_FD)]
        anon = []
        zero = []
        for _, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ in self.loads:
            prot = (PROT_READ if p_flags & 4 else 0) | (PROT_WRITE if p_flags & 2 else 0) | \
                (PROT_EXEC if p_flags & 1 else 0)
            start = (bias + p_vaddr) & PAGE_MASK
            file_end = page_up(bias + p_vaddr + p_filesz)
            mem_end = page_up(bias + p_vaddr + p_memsz)
            if p_filesz:
                ops += mm.map_fixed_ops(start, file_end, prot, MAP_PRIVATE,
                                        offset=p_offset - (p_vaddr - (p_vaddr & PAGE_MASK)),
                                        name=self.path, from_saved_fd=True)
                tail = bias + p_vaddr + p_filesz
                if p_memsz > p_filesz and tail & (PAGE - 1):
                    # padzero(): the rest of the page after the file bytes, as Linux does.
                    zero.append((tail, file_end - tail))
            else:
                file_end = start
            if mem_end > file_end:
                anon += mm.map_fixed_ops(file_end, mem_end, prot, MAP_PRIVATE | MAP_ANONYMOUS)
        ops.append(MapOp(HOST_CLOSE, (0,), OP_ARG0_FD))
        return ops + anon, zero


def arg_limit(task):
    """The bytes execve's strings and their pointers may take on the new stack, from
    the caller's RLIMIT_STACK as fs/exec.c's bprm_stack_limits computes it: a quarter
    of the limit, at most 3/4 of _STK_LIM (6 MiB), at least ARG_MAX."""
    return max(min(STK_LIM // 4 * 3, task.rlimits[3][0] // 4), ARG_MAX)


def arg_room(task, argc, envc):
    """The bytes of strings (filename, envp, argv, with their NULs) an execve with
    argc and envc pointers may copy: bprm_stack_limits' limit less the pointers, and
    no more than the stack, which grows while they are copied, may reach under the
    caller's RLIMIT_STACK (acct_stack_growth; the first word is a NULL). E2BIG if the
    pointers alone are too many."""
    limit = arg_limit(task)
    ptr_size = (max(argc, 1) + envc) * 8
    if limit <= ptr_size:
        raise SyscallError(errno.E2BIG)
    return min(limit - ptr_size, (task.rlimits[3][0] & PAGE_MASK) - 8)


def check_args(task, filename, argv, envp):
    """E2BIG where bprm_stack_limits and copy_strings give it: a string longer than
    MAX_ARG_STRLEN, or more strings (the filename too) than arg_room allows."""
    room = arg_room(task, len(argv), len(envp))
    for s in [filename] + envp + argv:
        if len(s) + 1 > MAX_ARG_STRLEN:
            raise SyscallError(errno.E2BIG)
        room -= len(s) + 1
        if room < 0:
            raise SyscallError(errno.E2BIG)


def stack_size(task, needed):
    """The size of the new stack mapping. Linux's stack grows on demand up to
    RLIMIT_STACK; here the mapping is made that size at once (at most STACK_MAX, and
    never less than the strings and tables exec puts on it, plus room to run)."""
    rlim = min(task.rlimits[3][0], STACK_MAX) & PAGE_MASK
    return max(rlim, page_up(needed + STACK_EXPAND))


def open_exec(kernel, task, path):
    """Resolve and open an executable; returns (host fd, canonical path, stat)."""
    node = kernel.vfs.lookup(task, AT_FDCWD, path, follow=True)
    if not isinstance(node, HostPath):
        raise SyscallError(errno.EACCES)
    fd = node.open(os.O_RDONLY)         # relative to the walk's directory fd
    st = os.fstat(fd)
    if not statmod.S_ISREG(st.st_mode) or not may_access(task.creds, st, 1) or \
            not st.st_mode & 0o111 or devnodes.device_of(st) is not None:
        os.close(fd)
        raise SyscallError(errno.EACCES)
    try:
        exec_guard.check_exec(kernel, st)
    except SyscallError:
        os.close(fd)
        raise
    return fd, node.guest, st


def parse_shebang(head):
    """(interpreter, optional argument) from a #! line, or ENOEXEC."""
    line = head[2:]
    nl = line.find(b"\n")
    if nl < 0:
        if len(head) >= BINPRM_BUF_SIZE:
            raise SyscallError(errno.ENOEXEC)
    else:
        line = line[:nl]
    # fs/binfmt_script.c splits at spaces and tabs only (a CR stays in the name).
    line = line.strip(b" \t")
    if not line:
        raise SyscallError(errno.ENOEXEC)
    end = 0
    while end < len(line) and line[end] not in b" \t":
        end += 1
    interp = line[:end]
    arg = line[end:].strip(b" \t")
    return interp, arg or None


class Image:
    """An executable ready to replace a task's image (everything checked)."""

    def __init__(self, kernel, task, filename, argv, envp):
        self.filename = filename            # as given to execve (AT_EXECFN)
        self.argv = list(argv)
        self.envp = list(envp)
        path = filename
        for _ in range(MAX_SCRIPT_DEPTH):
            fd, host, st = open_exec(kernel, task, path)
            self.exe_ident = exec_guard.ident(st)
            head = os.pread(fd, BINPRM_BUF_SIZE, 0)
            if head[:2] != b"#!":
                break
            os.close(fd)
            interp, arg = parse_shebang(head)
            self.argv = [interp] + ([arg] if arg else []) + [path] + self.argv[1:]
            path = interp
        else:
            raise SyscallError(errno.ELOOP)
        try:
            check_args(task, self.filename, self.argv, self.envp)
        except SyscallError:
            os.close(fd)
            raise
        self.stack_size = stack_size(task, stack_bytes(self.argv, self.envp, self.filename))
        try:
            host_nosuid = bool(os.fstatvfs(fd).f_flag & os.ST_NOSUID)
        except OSError:
            host_nosuid = False
        try:
            self.main = Elf(fd, host)
        except BaseException:
            os.close(fd)
            raise
        self.exe = host
        # The executable's set-user/group-ID bits and its mount's nosuid (creds.exec_creds);
        # secure: AT_SECURE, set by exec_creds when the ids or capabilities change.
        self.exec_st = st
        self.nosuid = "nosuid" in kernel.vfs.mount_at(host).options().split(",") or host_nosuid
        self.secure = 0
        self.interp = None
        if self.main.interp is not None:
            try:
                ifd, ihost, _ = open_exec(kernel, task, self.main.interp)
            except SyscallError as e:
                self.main.close()
                raise SyscallError(errno.ENOENT if e.errno == errno.EACCES else e.errno) from None
            try:
                self.interp = Elf(ifd, ihost)
            except BaseException:
                os.close(ifd)
                self.main.close()
                raise
            if self.interp.type != ET_DYN and self.interp.type != ET_EXEC:
                self.close()
                raise SyscallError(errno.ELIBBAD)

    def close(self):
        self.main.close()
        if self.interp is not None:
            self.interp.close()

    def commit(self, task, random16):
        """Map the image into task.mm (which must be empty) and build the stack.
        Returns (entry rip, initial rsp)."""
        mm = task.mm
        main = self.main
        try:
            if main.type == ET_DYN:
                span = main.max_vaddr - main.min_vaddr
                if self.interp is not None:
                    bias = ELF_ET_DYN_BASE - main.min_vaddr
                else:
                    bias = mm.find_free(span) - main.min_vaddr
            else:
                bias = 0
            ops, zero = main.map_ops(mm, bias)
            brk = page_up(bias + max(p[3] + p[6] for p in main.loads))
            if main.type == ET_DYN and self.interp is None:
                brk = ELF_ET_DYN_BASE
            interp_bias = 0
            # Addresses from the file wrap as unsigned long arithmetic does in Linux; a
            # bad entry point is then the new image's SIGSEGV, never the kernel's crash.
            entry = (bias + main.entry) & MASK64
            if self.interp is not None:
                ispan = self.interp.max_vaddr - self.interp.min_vaddr
                interp_bias = mm.find_free(ispan) - self.interp.min_vaddr \
                    if self.interp.type == ET_DYN else 0
                iops, izero = self.interp.map_ops(mm, interp_bias)
                ops += iops
                zero += izero
                entry = (interp_bias + self.interp.entry) & MASK64
            ops += mm.map_fixed_ops(mm.stack_top - self.stack_size, mm.stack_top,
                                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                                    name="[stack]")
            mm.run_ops(ops)
        finally:
            self.close()
        for addr, length in zero:
            mm.proc.poke(addr, bytes(length))
        mm.brk_start = mm.brk_cur = brk
        # end_data - start_data as load_elf_binary computes them (brk's RLIMIT_DATA check).
        mm.data_size = max(p[3] + p[5] for p in main.loads) - max(p[3] for p in main.loads)
        auxv = [
            (AT_HWCAP, HOST_AUXV[AT_HWCAP]), (AT_PAGESZ, PAGE), (AT_CLKTCK, 100),
            (AT_PHDR, (bias + main.phdr_vaddr) & MASK64), (AT_PHENT, PHDR.size),
            (AT_PHNUM, main.phnum),
            (AT_BASE, interp_bias if self.interp is not None else 0), (AT_FLAGS, 0),
            (AT_ENTRY, (bias + main.entry) & MASK64), (AT_UID, task.creds.uid),
            (AT_EUID, task.creds.euid),
            (AT_GID, task.creds.gid), (AT_EGID, task.creds.egid), (AT_SECURE, self.secure),
            (AT_RANDOM, None), (AT_HWCAP2, HOST_AUXV[AT_HWCAP2]), (AT_EXECFN, None),
            (AT_PLATFORM, None), (AT_MINSIGSTKSZ, HOST_AUXV[AT_MINSIGSTKSZ]),
        ]
        placed = {}
        sp = build_stack(mm, self.argv, self.envp, self.filename, auxv, random16, placed,
                         bottom=mm.stack_top - self.stack_size)
        task.auxv = placed["auxv"]
        # execve's arguments as they now stand on the new stack (for the trace).
        task.exec_args = [mm.stack_top - 9 - len(self.filename), sp + 8,
                          sp + 16 + 8 * len(self.argv)]
        task.exe = self.exe
        task.exe_ident = getattr(self, "exe_ident", None)
        task.comm = os.path.basename(self.filename)[:15]
        task.cmdline = b"".join(a + b"\0" for a in self.argv)
        task.environ = b"".join(e + b"\0" for e in self.envp)
        return entry, sp


AUXV_WORDS = 2 * 24                   # room for the auxiliary vector's pairs


def stack_bytes(argv, envp, execfn):
    """An upper bound of what build_stack puts on the stack."""
    strings = sum(len(x) + 1 for x in argv) + sum(len(x) + 1 for x in envp) + len(execfn) + 1
    return 8 + strings + 7 + 16 + 8 * (len(argv) + len(envp) + 3 + AUXV_WORDS) + 16


def build_stack(mm, argv, envp, execfn, auxv, random16, out=None, bottom=None):
    """Lay out the initial stack as Linux does; returns the new rsp. out: a dict that
    receives the auxiliary vector's bytes as placed ("auxv", for /proc/PID/auxv).
    bottom: the lowest address of the stack mapping; what does not fit above it is
    never written (E2BIG: the caller is past exec's point of no return, so SIGSEGV)."""
    top = mm.stack_top
    # From the top down: a NULL word, execfn, envp strings, argv strings.
    pieces = [b"\0" * 8]
    p = top - 8

    def push(data):
        nonlocal p
        p -= len(data)
        pieces.append(data)
        return p

    execfn_addr = push(execfn + b"\0")
    env_addrs = [push(e + b"\0") for e in reversed(envp)][::-1]
    arg_addrs = [push(a + b"\0") for a in reversed(argv)][::-1]
    platform_addr = push(b"x86_64\0")
    random_addr = push(random16)
    # Align, then argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL.
    filled = {AT_RANDOM: random_addr, AT_EXECFN: execfn_addr, AT_PLATFORM: platform_addr}
    words = [len(argv)] + arg_addrs + [0] + env_addrs + [0]
    for key, value in auxv:
        words += [key, filled[key] if value is None else value]
    words += [AT_NULL, 0]
    if out is not None:
        pairs = words[len(argv) + len(envp) + 3:]
        out["auxv"] = struct.pack(f"<{len(pairs)}Q", *pairs)
    table = struct.pack(f"<{len(words)}Q", *words)
    sp = (p - len(table)) & ~15
    if bottom is not None and sp < bottom:
        raise SyscallError(errno.E2BIG)
    pad = p - sp - len(table)
    pieces.reverse()
    mm.proc.poke(sp, table + b"\0" * pad + b"".join(pieces))
    return sp
