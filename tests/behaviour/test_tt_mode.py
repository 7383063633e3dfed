"""TT mode specifics (the general behaviour suite already runs under "tt" via MODES):
the protocol's stop count, the TT area out of the guest's reach, and the host's
SIGUSR1/SIGUSR2 staying the stub's while the guest uses its own."""

from __future__ import annotations

import re
import sys

import pytest

from harness import DEFAULT_ENV, assert_same, describe, native_result, run_guest


@pytest.mark.timeout(60)
def test_six_stops_per_syscall():
    env = dict(DEFAULT_ENV, UMLSKAS_TT_STATS="1")
    r = run_guest("tt", ["busybox", "sh", "-c", "echo a | busybox cat; busybox ls / >/dev/null"],
                  env=env)
    assert r.returncode == 0 and r.stdout == b"a\n", describe(r)
    m = re.search(rb"umlskas tt: (\d+) guest syscalls, (\d+) ptrace stops", r.stderr)
    assert m, describe(r)
    syscalls, stops = int(m.group(1)), int(m.group(2))
    assert syscalls > 20, describe(r)
    # 6 per syscall, plus a few per process (start, exit) and for the last exit_group.
    assert 6 * syscalls <= stops <= 6 * syscalls + 40, describe(r)


MAP_TT_AREA = r"""
import ctypes, ctypes.util
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long)
for addr in (0x7ffbe0200000, 0x7ffbe0000000):
    p = libc.mmap(addr, 4096, 3, 0x32, -1, 0)   # MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS
    print(hex(addr), "refused" if p in (None, 2**64 - 1) else "mapped", ctypes.get_errno())
"""


@pytest.mark.timeout(60)
def test_guest_cannot_map_over_the_stub_or_tt_area():
    r = run_guest("tt", [sys.executable, "-c", MAP_TT_AREA])
    assert r.returncode == 0, describe(r)
    assert r.stdout.decode().split("\n")[:2] == ["0x7ffbe0200000 refused 12",
                                                  "0x7ffbe0000000 refused 12"], describe(r)


GUEST_USR_SIGNALS = r"""
import os, signal, threading
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
signal.signal(signal.SIGUSR2, lambda s, f: got.append(s))
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
os.kill(os.getpid(), signal.SIGUSR2)          # pending, blocked by the guest's mask
print("pending", sorted(signal.sigpending()))
os.kill(os.getpid(), signal.SIGUSR1)
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR2])
t = threading.Thread(target=lambda: [os.getpid() for _ in range(2000)])
t.start(); t.join()
print("got", sorted(got))
"""


@pytest.mark.timeout(60)
def test_guest_sigusr_are_its_own():
    argv = [sys.executable, "-c", GUEST_USR_SIGNALS]
    assert_same(native_result(argv), run_guest("tt", argv), "tt")
