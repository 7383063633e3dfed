"""Sanity checks of the static syscall tables in umlskas.kernel.syscalls.names."""

import re

import pytest

from umlskas.kernel.syscalls import names

ARG_KINDS = {
    "int", "uint", "long", "ulong", "fd", "dirfd", "pid", "uid", "gid", "size",
    "off", "ptr", "path", "str", "inbuf", "outbuf", "argv", "oflags", "mode",
    "atflags", "prot", "mmapflags", "signal", "clockid", "whence", "fcntlcmd",
    "ioctlcmd", "futexop", "sighow", "archprctl", "cloneflags", "accessmode",
    "resource", "sigset", "struct",
}
RETURN_KINDS = {"int", "long", "ssize", "fd", "pid", "ptr", "noreturn", "void"}

X86_64_ANCHORS = {
    0: "read", 1: "write", 2: "open", 9: "mmap", 39: "getpid", 56: "clone",
    57: "fork", 59: "execve", 60: "exit", 202: "futex", 231: "exit_group",
    257: "openat", 262: "newfstatat", 318: "getrandom", 332: "statx",
    334: "rseq", 435: "clone3", 439: "faccessat2", 462: "mseal",
    156: "_sysctl", 424: "pidfd_send_signal", 463: "setxattrat",
    467: "open_tree_attr", 468: "file_getattr", 469: "file_setattr",
}
I386_ANCHORS = {1: "exit", 4: "write", 11: "execve", 20: "getpid", 252: "exit_group"}

BY_NUMBER = {entry[0]: entry for entry in names.SYSCALLS}
BY_NAME = {entry[1]: entry for entry in names.SYSCALLS}


def test_version():
    assert names.LINUX_VERSION == "6.18"


def test_module_docstring_is_one_line():
    assert names.__doc__ and "\n" not in names.__doc__.strip()


def test_entry_shape():
    for entry in names.SYSCALLS:
        assert isinstance(entry, tuple) and len(entry) == 4, entry
        number, name, ret, args = entry
        assert isinstance(number, int) and isinstance(name, str), entry
        assert isinstance(ret, str) and isinstance(args, tuple), entry
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), entry


def test_numbers_strictly_increasing_and_unique():
    numbers = [entry[0] for entry in names.SYSCALLS]
    assert numbers == sorted(set(numbers))
    assert all(b > a for a, b in zip(numbers, numbers[1:]))
    assert numbers[0] == 0


def test_no_x32_numbers():
    assert all(0 <= entry[0] < 512 for entry in names.SYSCALLS)


def test_names_unique():
    all_names = [entry[1] for entry in names.SYSCALLS]
    assert len(all_names) == len(set(all_names))


def test_contiguous_ranges():
    numbers = {entry[0] for entry in names.SYSCALLS}
    # 0..336 is dense, 337..423 is the hole shared with the other ABIs,
    # then dense again from pidfd_send_signal to the newest syscall.
    assert set(range(0, 337)) <= numbers
    assert not numbers & set(range(337, 424))
    assert set(range(424, max(numbers) + 1)) <= numbers


@pytest.mark.parametrize("number,name", sorted(X86_64_ANCHORS.items()))
def test_x86_64_anchors(number, name):
    assert BY_NUMBER[number][1] == name


def test_newest_syscall():
    assert max(BY_NUMBER) == 469
    assert BY_NUMBER[max(BY_NUMBER)][1] == "file_setattr"


def test_argument_kinds_in_vocabulary():
    for number, name, ret, args in names.SYSCALLS:
        assert set(args) <= ARG_KINDS, (number, name, set(args) - ARG_KINDS)


def test_return_kinds_in_vocabulary():
    for number, name, ret, args in names.SYSCALLS:
        assert ret in RETURN_KINDS, (number, name, ret)


def test_at_most_six_arguments():
    for number, name, ret, args in names.SYSCALLS:
        assert len(args) <= 6, (number, name)


def test_buffers_are_followed_by_size():
    for number, name, ret, args in names.SYSCALLS:
        for index, kind in enumerate(args):
            if kind in ("inbuf", "outbuf"):
                assert index + 1 < len(args) and args[index + 1] == "size", (number, name)


@pytest.mark.parametrize(
    "name,ret,args",
    [
        ("read", "ssize", ("fd", "outbuf", "size")),
        ("write", "ssize", ("fd", "inbuf", "size")),
        ("openat", "fd", ("dirfd", "path", "oflags", "mode")),
        ("mmap", "ptr", ("ptr", "size", "prot", "mmapflags", "fd", "off")),
        ("execve", "int", ("path", "argv", "argv")),
        ("clone", "pid", ("cloneflags", "ptr", "ptr", "ptr", "ulong")),
        ("exit", "noreturn", ("int",)),
        ("exit_group", "noreturn", ("int",)),
        ("rt_sigreturn", "noreturn", ()),
        ("brk", "ptr", ("ptr",)),
        ("getpid", "pid", ()),
        ("arch_prctl", "int", ("archprctl", "ulong")),
        ("rt_sigprocmask", "int", ("sighow", "sigset", "sigset", "size")),
        ("futex", "long", ("ptr", "futexop", "uint", "struct", "ptr", "uint")),
        ("newfstatat", "int", ("dirfd", "path", "struct", "atflags")),
        ("clone3", "pid", ("struct", "size")),
        ("faccessat2", "int", ("dirfd", "path", "accessmode", "atflags")),
        ("mseal", "int", ("ptr", "size", "ulong")),
    ],
)
def test_selected_prototypes(name, ret, args):
    assert BY_NAME[name][2:] == (ret, args)


def test_i386_table():
    table = names.I386_SYSCALL_NAMES
    assert isinstance(table, dict)
    assert all(isinstance(k, int) and isinstance(v, str) for k, v in table.items())
    assert len(set(table.values())) == len(table)
    for number, name in I386_ANCHORS.items():
        assert table[number] == name
    assert table[0] == "restart_syscall"
    assert max(table) == max(BY_NUMBER)
    # From 424 on, the i386 and x86-64 numbers are shared.
    for number in range(424, max(table) + 1):
        assert table[number] == BY_NUMBER[number][1]
