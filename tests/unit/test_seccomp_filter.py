"""Seccomp mode's stub filter (umlskas/host/mode_seccomp.build_filter), run by the kernel's
own classic-BPF interpreter: which calls are notified, traced, allowed or refused."""

import pytest

from umlskas.host.mode_seccomp import (RET_ALLOW, RET_TRACE, RET_USER_NOTIF, TRACED,
                                       build_filter)
from umlskas.host.stub_channel import STUB_BASE
from umlskas.kernel.syscalls import seccomp

X86_64, I386 = 0xC000003E, 0x40000003
SYSCALL_IP = STUB_BASE + 0x10C8          # right after the stub's two syscall sites
BATCH_IP = STUB_BASE + 0x110F
SECRET = 0x1122334455667788
MAP_FIXED, MAP_ANON_PRIVATE = 0x10, 0x22


@pytest.fixture(scope="module")
def insns():
    raw, n = build_filter(SYSCALL_IP, BATCH_IP, SECRET)
    assert len(raw) == 8 * n
    return seccomp.validate(raw)       # the host's rules for a filter hold too


def action(insns, nr, args=(0,) * 6, ip=0x401000, arch=X86_64):
    words = [nr & 0xFFFFFFFF, arch, 0, 0]
    for a in args:
        words += [a & 0xFFFFFFFF, a >> 32]
    return seccomp.run(insns, words, lambda: (ip & 0xFFFFFFFF, ip >> 32))


def test_guest_calls(insns):
    for nr in (0, 1, 39, 257, 202, 7, 228):        # read write getpid openat futex poll...
        assert action(insns, nr) == RET_USER_NOTIF, nr
    for nr in TRACED:
        assert action(insns, nr) == RET_TRACE, nr
    assert action(insns, 0x40000000 | 39) == RET_TRACE         # x32
    assert action(insns, -1 & 0xFFFFFFFF) == RET_TRACE          # syscall(-1)
    assert action(insns, 20, arch=I386) == RET_TRACE            # int $0x80
    assert action(insns, 96, ip=0xFFFFFFFFFF600000) == RET_TRACE  # vsyscall page


def test_stub_sites_need_the_secret(insns):
    for ip in (SYSCALL_IP, BATCH_IP):
        assert action(insns, 62, (5, 9, 0, 0, 0, SECRET), ip=ip) == RET_ALLOW
        assert action(insns, 62, (5, 9, 0, 0, 0, 0), ip=ip) == RET_TRACE
        assert action(insns, 62, (5, 9, 0, 0, 0, SECRET ^ 1), ip=ip) == RET_TRACE
        assert action(insns, 62, (5, 9, 0, 0, 0, SECRET ^ (1 << 40)), ip=ip) == RET_TRACE
    # Guest code elsewhere in the stub's 4 GiB window is guest code.
    assert action(insns, 39, ip=SYSCALL_IP - 0x100) == RET_USER_NOTIF
    assert action(insns, 39, ip=STUB_BASE - 0x1000) == RET_USER_NOTIF


@pytest.mark.parametrize("addr,length,flags,allowed", [
    (0x400000, 0x1000, MAP_FIXED | MAP_ANON_PRIVATE, True),
    (STUB_BASE - 0x1000, 0x1000, MAP_FIXED | MAP_ANON_PRIVATE, True),     # ends at the stub
    (STUB_BASE - 0x1000, 0x2000, MAP_FIXED | MAP_ANON_PRIVATE, False),    # into it
    (STUB_BASE, 0x1000, MAP_FIXED | MAP_ANON_PRIVATE, False),
    (0x10000, 1 << 47, MAP_FIXED | MAP_ANON_PRIVATE, False),              # large, across
    (0x10000, STUB_BASE, MAP_FIXED | MAP_ANON_PRIVATE, False),            # just across
    (0x10000, (1 << 46) - 0x10000, MAP_FIXED | MAP_ANON_PRIVATE, True),    # large, below
    (0x7FFFFFFFF000, 0xFFFF800000002000, MAP_FIXED | MAP_ANON_PRIVATE, False),  # wraps
    (0xFFFFFFFF0000, 0x1000, MAP_FIXED | MAP_ANON_PRIVATE, False),
    (0x7ffbdffff000, 0xFFFFFFFF, MAP_FIXED | MAP_ANON_PRIVATE, False),    # low-word carry
    (STUB_BASE, 0x1000, MAP_ANON_PRIVATE, True),     # a hint replaces nothing
])
def test_batch_mmap_without_secret(insns, addr, length, flags, allowed):
    got = action(insns, 9, (addr, length, 3, flags, -1 & 0xFFFFFFFFFFFFFFFF, 0), ip=BATCH_IP)
    assert got == (RET_ALLOW if allowed else RET_TRACE)
