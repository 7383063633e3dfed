"""Unit tests of the syscall table (umlskas.kernel.syscalls.table) and the handlers it points at."""

import inspect
import re

import pytest

from umlskas.kernel.syscalls import names, table
from umlskas.kernel.syscalls.table import BY_NAME, ENOSYS_REASONS, SUBSYSTEMS, TABLE, Entry

ALL_NAMES = {name for _, name, _, _ in names.SYSCALLS}

# The syscalls our issue requires (everything a static or glibc-dynamic hello world,
# ls, cat and a shell built-in need).
REQUIRED = """
read write pread64 pwrite64 readv writev openat open creat close close_range lseek fstat stat
lstat newfstatat statx getdents64 access faccessat faccessat2 readlink readlinkat getcwd chdir
fchdir fcntl dup dup2 dup3 ioctl brk mmap munmap mprotect mremap madvise arch_prctl
set_tid_address set_robust_list prlimit64 getrlimit uname getpid gettid getppid getuid geteuid
getgid getegid getgroups getrandom clock_gettime clock_getres gettimeofday time nanosleep
clock_nanosleep sched_getaffinity sched_yield sysinfo umask rt_sigaction rt_sigprocmask futex
exit exit_group statfs fstatfs
""".split()

IMPLEMENTED = sorted(e.name for e in TABLE if e is not None and e.handler is not None)


def test_every_number_has_an_entry():
    for nr, name, ret, kinds in names.SYSCALLS:
        entry = TABLE[nr]
        assert isinstance(entry, Entry), nr
        assert (entry.nr, entry.name, entry.ret, entry.kinds) == (nr, name, ret, kinds)
        assert entry.nargs == len(kinds)
        assert BY_NAME[name] is entry


def test_holes_are_none():
    numbers = {nr for nr, _, _, _ in names.SYSCALLS}
    assert len(TABLE) == max(numbers) + 1
    for nr, entry in enumerate(TABLE):
        assert (entry is None) == (nr not in numbers), nr


def test_handler_names_are_real_syscalls():
    seen = set()
    for module in SUBSYSTEMS:
        for name in module.HANDLERS:
            assert name in ALL_NAMES, f"{module.__name__}: {name} is not a syscall"
            assert name not in seen, f"{name} handled twice"
            seen.add(name)


def test_handlers_reach_the_table():
    for module in SUBSYSTEMS:
        for name, value in module.HANDLERS.items():
            handler = value[0] if isinstance(value, tuple) else value
            assert BY_NAME[name].handler is handler


def test_support_strings():
    for entry in TABLE:
        if entry is None:
            continue
        assert isinstance(entry.support, str) and entry.support
        if entry.handler is None:
            assert entry.support.startswith("ENOSYS"), entry.name
        else:
            assert entry.support == "supported" or entry.support.startswith("partial"), entry.name


@pytest.mark.parametrize("name", REQUIRED)
def test_required_syscall_implemented(name):
    entry = BY_NAME[name]
    assert entry.handler is not None, f"{name} is required by the issue"
    assert not entry.support.startswith("ENOSYS")


def test_rseq_is_deliberately_enosys():
    entry = BY_NAME["rseq"]
    assert entry.handler is None
    assert entry.support == ENOSYS_REASONS["rseq"]
    assert entry.support.startswith("ENOSYS:") and "rseq" in ENOSYS_REASONS
    assert set(ENOSYS_REASONS) <= ALL_NAMES
    for name in ENOSYS_REASONS:
        assert BY_NAME[name].handler is None


def test_unknown_handler_name_is_refused(monkeypatch):
    from umlskas.kernel.syscalls import mm
    monkeypatch.setitem(mm.HANDLERS, "no_such_syscall", lambda task: 0)
    with pytest.raises(RuntimeError, match="no_such_syscall"):
        table.build_table()


def test_duplicate_handler_is_refused(monkeypatch):
    from umlskas.kernel.syscalls import mm
    monkeypatch.setitem(mm.HANDLERS, "read", lambda task, fd, buf, count: 0)
    with pytest.raises(RuntimeError, match="read"):
        table.build_table()


# ---- argument decoding ---------------------------------------------------------------


def raw(*args):
    return tuple(args) + (0,) * (6 - len(args))


def test_decode_wait4_pid_sign_extended():
    e = BY_NAME["wait4"]
    assert e.decode(raw(0xFFFFFFFF, 0x1000, 0, 0)) == [-1, 0x1000, 0, 0]
    # Upper garbage in the 64-bit register is ignored for a C int.
    assert e.decode(raw(0xDEADBEEF00000005, 0, 0xFFFFFFFF00000001, 0))[0] == 5
    assert e.decode(raw(0xDEADBEEF00000005, 0, 0xFFFFFFFF00000001, 0))[2] == 1
    assert e.decode(raw(0x80000000, 0, 0, 0))[0] == -0x80000000
    assert e.decode(raw(0x7FFFFFFF, 0, 0, 0))[0] == 0x7FFFFFFF


def test_decode_openat_dirfd():
    e = BY_NAME["openat"]
    args = e.decode(raw(0xFFFFFF9C, 0x7FFF0000, 0o2000000, 0o644))
    assert args == [-100, 0x7FFF0000, 0o2000000, 0o644]
    assert e.decode(raw(0xFFFFFFFFFFFFFF9C, 0, 0, 0))[0] == -100


def test_decode_lseek_offset_signed_64():
    e = BY_NAME["lseek"]
    assert e.decode(raw(3, 0xFFFFFFFFFFFFFFFF, 1)) == [3, -1, 1]
    assert e.decode(raw(3, 0x8000000000000000, 0)) == [3, -(1 << 63), 0]
    assert e.decode(raw(3, 0xFFFFFFFF, 0)) == [3, 0xFFFFFFFF, 0]      # not a 32-bit kind


def test_decode_pointers_and_sizes_untouched():
    e = BY_NAME["read"]
    assert e.decode(raw(0, 0xFFFFFFFFFFFFF000, 0xFFFFFFFFFFFFFFFF)) == \
        [0, 0xFFFFFFFFFFFFF000, 0xFFFFFFFFFFFFFFFF]
    e = BY_NAME["mmap"]
    args = e.decode(raw(0x7F0000000000, 0x100000000, 3, 0x22, 0xFFFFFFFF, 0xFFFFFFFFFFFFF000))
    assert args == [0x7F0000000000, 0x100000000, 3, 0x22, -1, -0x1000]


def test_decode_masks_unsigned_32():
    kinds = [(e, i) for e in TABLE if e is not None
             for i, k in enumerate(e.kinds) if k in table.UNSIGNED_32]
    assert kinds
    for e, i in kinds:
        regs = [0] * 6
        regs[i] = 0xFFFFFFFF80000001
        assert e.decode(tuple(regs))[i] == 0x80000001, (e.name, i)


def test_decode_only_nargs():
    assert BY_NAME["getpid"].decode(raw(1, 2, 3, 4, 5, 6)) == []
    assert BY_NAME["close"].decode(raw(7, 2, 3, 4, 5, 6)) == [7]


def test_decode_all_kinds_classified_once():
    assert not table.SIGNED_32 & table.SIGNED_64
    assert not table.SIGNED_32 & table.UNSIGNED_32
    assert not table.SIGNED_64 & table.UNSIGNED_32
    for e in TABLE:
        if e is None:
            continue
        for i, k in enumerate(e.kinds):
            if k in ("fd", "dirfd", "pid", "int", "signal", "clockid"):
                assert i in e.signed32, (e.name, i, k)


def test_umask_and_setuid_masks():
    assert BY_NAME["umask"].decode(raw(0x1000000022)) == [0o42]
    assert BY_NAME["setuid"].decode(raw(0xFFFFFFFF)) == [0xFFFFFFFF]      # (uid_t)-1 stays
    assert BY_NAME["kill"].decode(raw(0xFFFFFFFF, 9)) == [-1, 9]


# ---- handler shape -------------------------------------------------------------------


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_handler_signature_matches_nargs(name):
    e = BY_NAME[name]
    params = list(inspect.signature(e.handler).parameters.values())
    assert params and params[0].name == "task", name
    rest = params[1:]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    assert all(p.kind in positional for p in rest), (name, params)
    required = [p for p in rest if p.default is inspect.Parameter.empty]
    # The dispatcher passes exactly nargs positional arguments after task;
    # extra parameters are allowed only when they have defaults.
    assert len(required) <= e.nargs <= len(rest), (name, e.nargs, [p.name for p in rest])
    assert len(required) == e.nargs or all(
        p.default is not inspect.Parameter.empty for p in rest[e.nargs:]), name


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_handler_docstring_names_man_page(name):
    doc = inspect.getdoc(BY_NAME[name].handler)
    assert doc, f"{name} has no docstring"
    first = doc.splitlines()[0]
    assert re.search(rf"\b{re.escape(name)}\(2\)", first), (name, first)


def test_subsystem_modules_documented():
    for module in SUBSYSTEMS + (table, names):
        assert module.__doc__ and module.__doc__.strip(), module.__name__
