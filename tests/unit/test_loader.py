"""Unit tests of umlskas.kernel.loader: #! parsing, ELF header parsing of host files, the initial stack."""

import errno
import os
import struct

import pytest

from umlskas.kernel import loader
from umlskas.kernel.address_space import PAGE, page_up
from umlskas.kernel.errors import SyscallError
from umlskas.kernel.loader import (AT_EXECFN, AT_NULL, AT_PAGESZ, AT_PLATFORM, AT_RANDOM,
                                   BINPRM_BUF_SIZE, ET_DYN, ET_EXEC, Elf, build_stack,
                                   parse_shebang)
from umlskas.kernel.machine import HOST_CLOSE, HOST_MMAP, HOST_OPENAT, OP_ARG0_FD, OP_SAVE_FD


def enoexec(fn, *args):
    with pytest.raises(SyscallError) as info:
        fn(*args)
    return info.value.errno == errno.ENOEXEC


# ---- #! ---------------------------------------------------------------------------------


@pytest.mark.parametrize("head,expected", [
    (b"#!/bin/sh\n", (b"/bin/sh", None)),
    (b"#!/bin/sh", (b"/bin/sh", None)),                       # whole (short) file, no newline
    (b"#! /bin/sh\necho hi\n", (b"/bin/sh", None)),
    (b"#!\t/bin/sh\t\n", (b"/bin/sh", None)),
    (b"#!/usr/bin/env python3\n", (b"/usr/bin/env", b"python3")),
    (b"#!/usr/bin/env  \t python3 \t\nrest", (b"/usr/bin/env", b"python3")),
    # Linux passes everything after the interpreter as ONE argument.
    (b"#!/bin/awk -f -v x=1\n", (b"/bin/awk", b"-f -v x=1")),
    (b"#!/bin/sh   \n", (b"/bin/sh", None)),
])
def test_parse_shebang(head, expected):
    assert parse_shebang(head) == expected


@pytest.mark.parametrize("head", [b"#!", b"#!\n", b"#!   \t \n/bin/sh\n", b"#!\t\t"])
def test_parse_shebang_empty_is_enoexec(head):
    assert enoexec(parse_shebang, head)


def test_parse_shebang_no_newline_in_buffer_is_enoexec():
    head = b"#!/" + b"a" * (BINPRM_BUF_SIZE - 3)
    assert len(head) == BINPRM_BUF_SIZE
    assert enoexec(parse_shebang, head)


def test_parse_shebang_newline_at_end_of_buffer():
    head = b"#!/" + b"a" * (BINPRM_BUF_SIZE - 4) + b"\n"
    assert len(head) == BINPRM_BUF_SIZE
    assert parse_shebang(head) == (head[2:-1], None)


def test_parse_shebang_crlf_keeps_carriage_return_like_linux():
    """fs/binfmt_script.c splits only at spaces and tabs: a CRLF script asks for '/bin/sh\\r'."""
    assert parse_shebang(b"#!/bin/sh\r\n") == (b"/bin/sh\r", None)


# ---- ELF ----------------------------------------------------------------------------------


def open_elf(path):
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return Elf(fd, path)
    except BaseException:
        os.close(fd)
        raise


def test_elf_bin_ls_is_dynamic_pie():
    path = "/bin/ls"
    if not os.path.exists(path):
        pytest.skip("no /bin/ls")
    elf = open_elf(path)
    try:
        assert elf.type == ET_DYN
        assert elf.interp == b"/lib64/ld-linux-x86-64.so.2"
        assert elf.loads and all(p[0] == loader.PT_LOAD for p in elf.loads)
        assert elf.min_vaddr == 0
        assert elf.max_vaddr > elf.min_vaddr and elf.max_vaddr % PAGE == 0
        assert elf.phnum == len(elf.phdrs)
        assert elf.phdr_vaddr == 64                  # PT_PHDR right after the ELF header
        assert elf.entry != 0
    finally:
        elf.close()
    assert elf.fd is None
    elf.close()                                      # idempotent


def busybox_path():
    for path in ("/usr/bin/busybox", "/bin/busybox"):
        if os.path.exists(path):
            return path
    return None


def test_elf_busybox_static():
    path = busybox_path()
    if path is None:
        pytest.skip("no busybox on this host")
    elf = open_elf(path)
    try:
        if elf.interp is not None:
            pytest.skip(f"{path} is dynamically linked on this host")
        assert elf.type in (ET_EXEC, ET_DYN)
        assert elf.loads
        assert elf.min_vaddr <= elf.entry < elf.max_vaddr
    finally:
        elf.close()


def test_elf_not_elf_is_enoexec(tmp_path):
    p = tmp_path / "script.txt"
    p.write_bytes(b"this is not an ELF file at all, but it is long enough " * 4)
    assert enoexec(open_elf, str(p))


def test_elf_truncated_header_is_enoexec(tmp_path):
    with open("/bin/ls", "rb") as f:
        head = f.read(40)
    p = tmp_path / "short"
    p.write_bytes(head)
    assert enoexec(open_elf, str(p))
    p.write_bytes(b"")
    assert enoexec(open_elf, str(p))


def ehdr(**over):
    fields = dict(ident=b"\x7fELF\x02\x01\x01" + b"\0" * 9, type=ET_EXEC, machine=62,
                  version=1, entry=0x401000, phoff=64, shoff=0, flags=0, ehsize=64,
                  phentsize=56, phnum=1, shentsize=0, shnum=0, shstrndx=0)
    fields.update(over)
    return loader.EHDR.pack(*fields.values())


def load_phdr(vaddr=0x400000, filesz=0x1000, memsz=0x1000, offset=0):
    return loader.PHDR.pack(loader.PT_LOAD, 5, offset, vaddr, vaddr, filesz, memsz, 0x1000)


@pytest.mark.parametrize("over", [
    dict(ident=b"\x7fELF\x01\x01\x01" + b"\0" * 9),       # ELFCLASS32
    dict(ident=b"\x7fELF\x02\x02\x01" + b"\0" * 9),       # big endian
    dict(machine=3),                                       # i386
    dict(type=1),                                          # ET_REL
    dict(type=4),                                          # ET_CORE
    dict(phentsize=32),
    dict(phnum=0),
    dict(phoff=1 << 20),                                   # table past the end of file
])
def test_elf_bad_headers_are_enoexec(tmp_path, over):
    p = tmp_path / "bad"
    p.write_bytes(ehdr(**over) + load_phdr() + b"\0" * 256)
    assert enoexec(open_elf, str(p))


def test_elf_without_load_segments_is_enoexec(tmp_path):
    p = tmp_path / "noload"
    p.write_bytes(ehdr() + loader.PHDR.pack(4, 4, 0, 0, 0, 0, 0, 8) + b"\0" * 256)
    assert enoexec(open_elf, str(p))


def test_elf_minimal_static(tmp_path):
    p = tmp_path / "tiny"
    p.write_bytes(ehdr() + load_phdr(memsz=0x3000) + b"\0" * 256)
    elf = open_elf(str(p))
    try:
        assert elf.type == ET_EXEC and elf.interp is None
        assert elf.min_vaddr == 0x400000
        assert elf.phdr_vaddr == 0x400040              # found through the PT_LOAD holding it
    finally:
        elf.close()


def test_elf_span_includes_bss(tmp_path):
    """The span reserved for a static-pie or the interpreter covers p_memsz (total_mapping_size)."""
    p = tmp_path / "tiny"
    p.write_bytes(ehdr() + load_phdr(filesz=0x1000, memsz=0x3000) + b"\0" * 256)
    elf = open_elf(str(p))
    try:
        assert (elf.min_vaddr, elf.max_vaddr) == (0x400000, 0x403000)
    finally:
        elf.close()


def test_elf_map_ops_bin_ls():
    """The segments map straight from the kernel's fd in one batch, then the fd is closed."""
    from umlskas.kernel.address_space import AddressSpace
    from umlskas.kernel.files import KERNEL_PID

    class Proc:
        def run_ops(self, ops):
            raise AssertionError("map_ops must not run anything")

    mm = AddressSpace(Proc(), 0x7FFBE0000000)
    elf = open_elf("/bin/ls")
    try:
        bias = 0x555555554000
        ops, zero = elf.map_ops(mm, bias)
        assert ops[0].nr == HOST_OPENAT and ops[0].flags == OP_SAVE_FD
        assert ops[0].args[1] == f"/proc/{KERNEL_PID}/fd/{elf.fd}".encode()
        close_at = [i for i, op in enumerate(ops) if op.nr == HOST_CLOSE]
        assert len(close_at) == 1 and ops[close_at[0]].flags == OP_ARG0_FD
        assert all(op.nr == HOST_MMAP for op in ops[1:close_at[0]] + ops[close_at[0] + 1:])
        lo = min(op.args[0] for op in ops if op.nr == HOST_MMAP)
        hi = max(op.args[0] + op.args[1] for op in ops if op.nr == HOST_MMAP)
        assert lo == bias + elf.min_vaddr
        # Mapped up to the end of the last segment's memory (bss included).
        assert hi == bias + page_up(max(p[3] + p[6] for p in elf.loads))
        for addr, length in zero:
            assert length < PAGE and (addr + length) % PAGE == 0
        assert mm.vmas and mm.vmas[0].name == "/bin/ls"
    finally:
        elf.close()


# ---- the initial stack -------------------------------------------------------------------


class PokeRecorder:
    def __init__(self):
        self.pokes = []

    def poke(self, addr, data):
        self.pokes.append((addr, bytes(data)))


class FakeMm:
    def __init__(self, stack_top=0x7FFB00000000):
        self.stack_top = stack_top
        self.proc = PokeRecorder()


class Memory:
    """Reads back what build_stack poked."""

    def __init__(self, pokes):
        self.bytes = {}
        for addr, data in pokes:
            for i, b in enumerate(data):
                self.bytes[addr + i] = b

    def read(self, addr, n):
        return bytes(self.bytes[addr + i] for i in range(n))

    def word(self, addr):
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def cstr(self, addr):
        out = bytearray()
        while self.bytes[addr]:
            out.append(self.bytes[addr])
            addr += 1
        return bytes(out)


def parse_stack(mem, sp):
    argc = mem.word(sp)
    p = sp + 8
    argv = [mem.word(p + 8 * i) for i in range(argc)]
    p += 8 * argc
    assert mem.word(p) == 0
    p += 8
    envp = []
    while mem.word(p):
        envp.append(mem.word(p))
        p += 8
    p += 8
    auxv = []
    while True:
        key, value = mem.word(p), mem.word(p + 8)
        p += 16
        auxv.append((key, value))
        if key == AT_NULL:
            break
    return argc, argv, envp, auxv


AUXV = [(AT_PAGESZ, PAGE), (AT_RANDOM, None), (AT_EXECFN, None), (AT_PLATFORM, None),
        (loader.AT_ENTRY, 0x401000)]


@pytest.mark.parametrize("argv,envp", [
    ([b"/bin/prog"], []),
    ([b"prog", b"a", b"bb"], [b"HOME=/root", b"PATH=/bin"]),
    ([b"x" * 13], [b"Y" * 7, b"Z"]),
    ([], []),
])
def test_build_stack_layout(argv, envp):
    mm = FakeMm()
    random16 = bytes(range(1, 17))
    execfn = b"/usr/local/bin/the-program"
    sp = build_stack(mm, argv, envp, execfn, AUXV, random16)
    assert sp % 16 == 0
    assert sp < mm.stack_top
    assert len(mm.proc.pokes) == 1
    addr, data = mm.proc.pokes[0]
    assert addr == sp and addr + len(data) == mm.stack_top     # one write, up to the top
    mem = Memory(mm.proc.pokes)
    argc, argv_ptrs, envp_ptrs, auxv = parse_stack(mem, sp)
    assert argc == len(argv)
    assert [mem.cstr(a) for a in argv_ptrs] == argv
    assert [mem.cstr(e) for e in envp_ptrs] == envp
    aux = dict(auxv)
    assert auxv[-1] == (AT_NULL, 0)
    assert [k for k, _ in auxv[:-1]] == [k for k, _ in AUXV]
    assert aux[AT_PAGESZ] == PAGE and aux[loader.AT_ENTRY] == 0x401000
    assert mem.read(aux[AT_RANDOM], 16) == random16
    assert mem.cstr(aux[AT_PLATFORM]) == b"x86_64"
    assert mem.cstr(aux[AT_EXECFN]) == execfn
    # execfn at the very top, right below an 8-byte NULL.
    assert mem.read(mm.stack_top - 8, 8) == b"\0" * 8
    assert aux[AT_EXECFN] == mm.stack_top - 8 - len(execfn) - 1
    # Strings sit above the pointer tables, in Linux's order: argv, envp, execfn.
    strings = argv_ptrs + envp_ptrs + [aux[AT_EXECFN]]
    assert strings == sorted(strings)
    table_end = sp + 8 * (1 + len(argv) + 1 + len(envp) + 1 + 2 * len(auxv))
    assert all(s >= table_end for s in strings + [aux[AT_RANDOM], aux[AT_PLATFORM]])


def test_build_stack_alignment_for_every_padding():
    seen = set()
    for n in range(1, 40):
        mm = FakeMm()
        sp = build_stack(mm, [b"a" * n], [], b"/p", AUXV, b"r" * 16)
        assert sp % 16 == 0
        addr, data = mm.proc.pokes[0]
        seen.add(len(data) % 16)
    assert seen == {0}
