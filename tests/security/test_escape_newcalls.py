"""Escape suite: the syscalls that were ENOSYS before issue 11 (seccomp filters, process_vm_*,
pidfd_getfd, mincore, membarrier, file handles, keys, the clock, syslog, mqueues, vmsplice,
kcmp, sched_setattr, ioprio, cachestat, statmount, listmount, timerfd).

The guests run only under umlskas, in a --root of their own: as root natively they would set
the host's clock and fill its key and queue tables.
"""

import shutil

import pytest

import harness
from harness import describe, run_guest

UMLSKAS_MODES = harness.UMLSKAS_MODES


def make_root(tmp_path, guests, name):
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(guests.path(name, static=True), root / "guest")
    return root


def check_no_bug(result):
    err = result.stderr.decode("utf-8", "replace")
    text = describe(result)
    assert "kernel bug" not in err, text
    assert "Traceback" not in err, text
    assert result.returncode == 0, text


NCALLS = 3000


@pytest.mark.timeout(120)
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_fuzz_new_syscalls(umode, seed, tmp_path, guests):
    """Random arguments to every new call: an answer each time, never a kernel bug."""
    root = make_root(tmp_path, guests, "sec_fuzz_newcalls")
    got = run_guest(umode, ["/guest", seed, NCALLS], options=["--root", str(root)], timeout=100)
    check_no_bug(got)
    assert got.stdout.decode().splitlines() == [f"calls: {NCALLS}", "done"], describe(got)


EXPECTED = """\
seccomp TRAP of odd syscall numbers: SIGSYS each
adjtimex SETOFFSET +huge: -1 EINVAL
adjtimex SETOFFSET +2^40 s: -1 EINVAL
adjtimex SETOFFSET -2^62 s: -1 EINVAL
clock_gettime REALTIME after: 0
adjtimex read after: 0
clock_settime huge: -1 EINVAL
relative REALTIME sleep across a clock set: 0
process_vm_readv from stub: -1 EFAULT
process_vm_writev to stub: -1 EFAULT
process_vm_writev straddling the stub: -1 EFAULT
process_vm_writev to read-only: -1 EFAULT
process_vm_writev from stub: -1 EFAULT
process_vm_readv into stub: -1 EFAULT
mincore vec in stub: -1 EFAULT
mincore vec read-only: -1 EFAULT
mincore vec straddling into stub: -1 EFAULT
mincore of the stub: -1 ENOMEM
vmsplice stub into a pipe: -1 EFAULT
vmsplice pipe into stub: -1 EFAULT
process_vm_readv after the caller thread exited: 12
open_by_handle_at forged: -1 ESTALE
open_by_handle_at forged ext4: -1 ESTALE
name_to_handle_at victim: 0
open_by_handle_at O_TRUNC of a replaced file: -1 ESTALE
the new file kept its data: yes
20000 handles of two names: done
queues kept open after unlink before the limit: limited EMFILE
a queue after the others closed: 0
1000 keys added and unlinked: ok
1000 anonymous session keyrings: ok
1000 named session keyrings kept: EDQUOT
a user's session keyring into its root parent: -1 EPERM
5000 keys, 200 searches that miss: 5000 200
alive
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_hostile_uses_of_new_syscalls(umode, tmp_path, guests):
    """The stub's pages through process_vm_*, mincore's and vmsplice's buffers; the clock
    pushed past what a timespec holds; forged and stale file handles; unlinked queues and
    unlinked keys that kept their owner's quota; anonymous keyrings piling up."""
    root = make_root(tmp_path, guests, "sec_newcalls")
    got = run_guest(umode, ["/guest"], options=["--root", str(root)], timeout=100)
    check_no_bug(got)
    assert got.stdout.decode() == EXPECTED, describe(got)


@pytest.mark.timeout(150)
def test_rearming_timers_does_not_grow_the_kernel(tmp_path, guests):
    """Each arming of a timerfd, an itimer or a POSIX timer used to leave a kernel timer
    until its deadline (a year here): the kernel grew by half a KiB per call. Its peak
    RSS stays near a small run's."""
    import subprocess
    import sys
    root = make_root(tmp_path, guests, "sec_timerfd_rearm")
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
             "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    got = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "umlskas", "run",
                          "--root", str(root), "/guest"], cwd=harness.REPO_ROOT,
                         capture_output=True, timeout=120)
    lines = got.stdout.decode().splitlines()
    assert lines[0] == "failed settimes: 0", got
    code, maxrss_kib = map(int, lines[-1].split())
    assert code == 0, got
    assert maxrss_kib < 80 * 1024, f"kernel peak RSS {maxrss_kib} KiB"
