"""C guests from tests/guests, native vs umlskas (see conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from harness import (assert_same, bad_lines, describe, guest_sources, make_tree, native_result,
                      run_guest)


@dataclass(frozen=True)
class Case:
    name: str
    needs_dir: bool = False  # argv[1] is a fresh make_tree() scratch dir
    args: tuple = ()
    rc: int = 0
    env: dict | None = field(default=None, hash=False)


CASES = [
    # plain guests
    Case("hello", args=("a b", "", "c"), env={"A": "1", "PATH": "/usr/bin:/bin"}),
    Case("heap"),
    Case("arch_prctl"),
    Case("ids"),
    Case("rlimit"),
    Case("uname"),
    Case("getrandom"),
    Case("clock"),
    Case("nanosleep"),
    Case("sched"),
    Case("sysinfo"),
    Case("signals"),
    Case("writev_stdout"),
    Case("fdscan"),
    Case("enosys"),
    Case("exit42", rc=42),
    # guests working in a scratch directory
    Case("efault", needs_dir=True),
    Case("efault_prot", needs_dir=True),
    Case("ebadf", needs_dir=True),
    Case("file_io", needs_dir=True),
    Case("stat", needs_dir=True),
    Case("getdents", needs_dir=True),
    Case("access", needs_dir=True),
    Case("readlink", needs_dir=True),
    Case("cwd", needs_dir=True),
    Case("fcntl_dup", needs_dir=True),
    Case("ioctl", needs_dir=True),
    Case("mmap", needs_dir=True),
    Case("brk", needs_dir=True),
    Case("umask", needs_dir=True),
    Case("statfs", needs_dir=True),
    Case("perm", needs_dir=True),
    Case("openat2", needs_dir=True),
    Case("tmpfile", needs_dir=True),
    Case("dcache", needs_dir=True),
    Case("iov_batch", needs_dir=True),
    Case("nullzero"),
    Case("auxv"),
]

_SOURCES = dict(guest_sources())
_PARAMS = []
for _c in CASES:
    _PARAMS.append(pytest.param(_c, "", id=_c.name))
    for _v in _SOURCES.get(_c.name, []):
        _PARAMS.append(pytest.param(_c, _v, id=f"{_c.name}-{_v}"))


# Guests with these prefixes belong to their own test files (test_processes.py,
# test_signals.py, test_ipc.py ..., tests/security/ for sec_).
OTHER_FILES_PREFIXES = (  # one a line
    "proc_",
    "sig_",
    "thr_",
    "ipc_",
    "fuzz_",
    "locks",
    "dev_",
    "mmap_shared",
    "vfs_",
    "sec_",
    "sys_",
    "futex_",
    "sysv_",
    "ns_",
    "misc_",
    "cap_",
    "fown_",
    "inotify_",
    "py_",
    "mem_",
    "rlim_",
    "pipe_",
    "fsx_",
    "tty_",
    "ptrace_",
)


def test_every_guest_has_a_case():
    """Guests without a Case here are covered by test_special.py or their own file."""
    covered = {c.name for c in CASES} | {"int80", "exits"}
    mine = {name for name in _SOURCES if not name.startswith(OTHER_FILES_PREFIXES)}
    assert mine <= covered, sorted(mine - covered)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case,variant", _PARAMS)
def test_guest(mode, case, variant, guests, tmp_path):
    binary = guests.path(case.name, variant=variant)

    def argv(tag):
        extra = [str(make_tree(tmp_path / tag))] if case.needs_dir else []
        return [binary, *extra, *case.args]

    if mode == "native":
        first = run_guest("native", argv("native-1"), env=case.env)
        assert first.returncode == case.rc, describe(first)
        assert not bad_lines(first.stdout), "\n".join(bad_lines(first.stdout)) + "\n" + describe(first)
        assert first.stdout, describe(first)
        # the guest's output must be deterministic, or it is useless as an oracle
        second = run_guest("native", argv("native-2"), env=case.env)
        assert (second.returncode, second.stdout) == (first.returncode, first.stdout), \
            "native output is not deterministic:\n" + describe(first) + "\n" + describe(second)
        return

    if case.needs_dir:
        expected = run_guest("native", argv("native"), env=case.env)
    else:
        expected = native_result(argv("native"), env=case.env)
    got = run_guest(mode, argv(mode), env=case.env)
    assert_same(expected, got, mode)
