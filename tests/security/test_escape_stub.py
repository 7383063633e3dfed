"""Escape suite: the stub's pages and raw `syscall`/`int $0x80`/`sysenter` from anywhere.

The guest (tests/guests/sec_escape_stub.c) attacks the stub it lives in: writes, unmaps,
remaps and protects the stub's range, jumps into its `syscall; int3` trampoline and its batch
loop with registers and op records of its own, calls TT's handler pieces, replays the ops
page, and runs raw system calls from JIT pages. Every one of those calls must be emulated
(the guest's pid, the guest's view of the files, the guest's processes), never run on the
host. Only run under umlskas: natively these probes would kill and create on the host.
"""

import re
import shutil

import pytest

import harness
from harness import run_guest

UMLSKAS_MODES = harness.UMLSKAS_MODES

EXPECTED = """\
pid: 1
read stub text: none
write stub text: SIGSEGV
write ops page: SIGSEGV
read() into stub text: -1 EFAULT
munmap stub: -1 EINVAL
munmap ops page: -1 EINVAL
munmap everything: -1 EINVAL
mprotect stub rwx: -1 ENOMEM
mprotect ops page rw: -1 ENOMEM
madvise DONTNEED stub: -1 ENOMEM
madvise DONTNEED ops page: -1 ENOMEM
mmap FIXED over stub: -1 ENOMEM
mmap FIXED over ops page: -1 ENOMEM
mmap FIXED_NOREPLACE at stub: -1 ENOMEM
mmap hint at stub lands below it: yes
mremap FIXED onto stub: -1 EINVAL
mremap FIXED onto ops page: -1 EINVAL
mremap the stub itself: -1 EFAULT
mremap grow into stub: -1 EFAULT
brk into stub: 0
process_vm_writev stub: -1 EFAULT
process_vm_writev ops page: -1 EFAULT
/proc/self/mem write stub text: -1 EIO
/proc/self/mem write ops page: -1 EIO
/proc/self/mem write unmapped: -1 EIO
/proc/self/mem write kernel address: -1 EINVAL
getpid after the attacks on the stub: 1
scribble over the TT area: {tt_area}
getpid after the scribble: 1
mmap a file: ok
ops page strings read: some, reached: 0
stub_syscall getpid: SIGTRAP rax positive r12 0
stub_syscall getpid is the guest pid: yes
stub_syscall kill host sleeper: SIGTRAP rax ESRCH r12 0
stub_syscall openat host secret: SIGTRAP rax ENOENT r12 0
stub_batch kill+openat+read: SIGTRAP rax ESRCH r12 3
stub_batch openat+read: SIGTRAP rax ENOENT r12 2
stub_batch getpid: SIGTRAP rax positive r12 0
stub_batch getpid is the guest pid: yes
replayed batch: stopped at a failing op
stub_tt_return: SIGUSR1 delivered to the guest 1 time(s)
stub_tt_usr2: SIGTRAP rax 0 r12 0
guest SIGUSR1+SIGUSR2 handled: 2
mmap rwx: ok
jit getpid is the guest pid: yes
jit getppid: 0
jit openat host secret: ENOENT
jit kill host sleeper: ESRCH
jit kill(1, 0): 0
jit kill(1, SIGCONT): 0
SIGCONT reached the guest's pid 1: yes
jit mkdir of a host path: ENOENT
mmap rw: ok
mprotect rx: ok
jit (W then X) getpid is the guest pid: yes
jit (W then X) openat host secret: ENOENT
mmap rwx for int80: ok
jit int80 mkdir: ENOSYS
jit sysenter child ended: SYSENTER
canary visible in the guest: -1 ENOENT
getpid still the guest's: 1
alive
"""

# sysenter from 64-bit code: #UD (SIGILL) on AMD; on Intel the host's compat entry runs and
# the return to a 32-bit vdso that is not there faults (SIGSEGV); umlskas refuses the i386
# call with ENOSYS either way, and nothing may be created on the host.
SYSENTER_ENDS = ("SIGILL", "SIGSEGV", "exit 0")


def stub_symbols():
    """The stub's entry points the guest jumps into (read from the stub ELF, as the kernel does)."""
    from umlskas.host.stub_channel import _elf_symbols
    from umlskas.host.build import stub_path
    syms = _elf_symbols(stub_path(), ("stub_syscall", "stub_batch", "stub_tt_return", "stub_tt_usr2"))
    return [hex(syms[n]) for n in ("stub_syscall", "stub_batch", "stub_tt_return", "stub_tt_usr2")]




def make_root(tmp_path, guests, name):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret"
    secret.write_text("secret\n")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(guests.path(name, static=True), root / "guest")
    return root, outside, secret


@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_stub_pages_and_raw_syscalls_stay_emulated(umode, tmp_path, guests, sleeper):
    root, outside, secret = make_root(tmp_path, guests, "sec_escape_stub")
    canary = outside / "made-by-the-guest"
    got = run_guest(umode, ["/guest", secret, sleeper.pid, canary, *stub_symbols()],
                    options=["--root", str(root), "--trace=kill"])
    out = got.stdout.decode()
    if umode == "seccomp":
        # Its filter lets a syscall from the stub's sites through only with the kernel's
        # secret: the first jump there is SIGSYS, which this guest does not handle.
        # test_seccomp_stub.py goes on from there with a guest that does.
        head = EXPECTED.format(tt_area="SIGSEGV").split("stub_syscall getpid:")[0]
        assert (got.returncode, out) == (-31, head), harness.describe(got)
        assert sleeper.poll() is None, "the guest killed a host process"
        assert not canary.exists(), "a guest syscall ran on the host"
        return
    m = re.search(r"^jit sysenter child ended: (.*)$", out, re.M)
    assert m and m.group(1) in SYSENTER_ENDS, harness.describe(got)
    out = out.replace(m.group(0), "jit sysenter child ended: SYSENTER")
    # TT's handler stacks are writable stub memory (see mode_tt.py); SKAS maps nothing there
    expected = EXPECTED.format(tt_area="none" if umode == "tt" else "SIGSEGV")
    assert (got.returncode, out) == (0, expected), harness.describe(got)
    assert sleeper.poll() is None, "the guest killed a host process"
    # The kernel saw (and answered) the three raw kill calls: trampoline, batch loop, JIT page.
    traced = len(re.findall(rf"kill\({sleeper.pid}, SIGKILL\) += -1 ESRCH", got.stderr.decode()))
    assert traced == 3, harness.describe(got)
    assert not canary.exists(), "a guest syscall ran on the host"
    assert secret.read_text() == "secret\n"
