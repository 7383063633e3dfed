"""Escape suite: host processes and host fds are out of a guest's reach.

tests/guests/sec_escape_pids.c aims signals and every pid-taking syscall at host pids the
test passes in (a sleeper it owns, its own pid), runs kill(-1, SIGTERM/SIGKILL) among guest
processes, and asks every pid up to 70000 with kill(pid, 0) (pid_max is 32768 on the
hosts we run on; larger host pids are covered by the ones passed in). It is NEVER run natively: as
root it would kill the host's processes. Its expected output is Linux's for pids that do
not exist (ESRCH, ECHILD for the waits, ENOENT under /proc); guest ptrace too
names guest tasks only (ESRCH).

tests/guests/sec_escape_fds.c tries every fd-taking call on fds it never opened, high fd
numbers, the fd listings and close_range: safe natively, so native Linux is its oracle.
"""

import os

import pytest

import harness
from harness import run_guest

UMLSKAS_MODES = harness.UMLSKAS_MODES

PER_PID = """\
kill 0: -1 ESRCH
kill SIGKILL: -1 ESRCH
kill group SIGKILL: -1 ESRCH
tgkill SIGKILL: -1 ESRCH
tkill SIGKILL: -1 ESRCH
rt_sigqueueinfo SIGKILL: -1 ESRCH
rt_tgsigqueueinfo SIGKILL: -1 ESRCH
pidfd_open: -1 ESRCH
process_vm_readv: -1 ESRCH
process_vm_writev: -1 ESRCH
prlimit get: -1 ESRCH
prlimit set: -1 ESRCH
sched_setaffinity: -1 ESRCH
sched_getaffinity: -1 ESRCH
sched_setscheduler: -1 ESRCH
sched_getparam: -1 ESRCH
setpriority: -1 ESRCH
setpriority group: -1 ESRCH
getpriority: -1 ESRCH
getpgid: -1 ESRCH
getsid: -1 ESRCH
setpgid: -1 ESRCH
setpgid self into its group: -1 EPERM
waitid: -1 ECHILD
wait4: -1 ECHILD
ptrace attach: -1 ESRCH
ptrace seize: -1 ESRCH
capget: -1 ESRCH
get_robust_list: -1 ESRCH
ioprio_set: -1 ESRCH
kcmp: -1 ESRCH
stat /proc/PID: -1 ENOENT
open /proc/PID/root: -1 ENOENT
open /proc/PID/mem: -1 ENOENT
"""

AFTER = """\
b: kill(-1, SIGTERM): ok
b: kill(-1, SIGKILL): ok
b: kill(-1, SIGKILL) with only init and itself left: -1 ESRCH
b (the killer): exit 7
a1 (ignores SIGTERM): killed by Killed
a2: killed by Terminated
init survived kill(-1)
kill(pid, 0) for pid 1..70000: 4 answered, 0 not ours
/proc lists 4 processes, 0 not ours
kill(-1, SIGKILL) from init: ok
kid 0: Killed
kid 1: Killed
kid 2: Killed
alive
"""


def expected_pids_output(n):
    lines = ["pid: 1\n"]
    for i in range(1, n + 1):
        lines += [f"host pid #{i} {line}\n" for line in PER_PID.splitlines()]
    return "".join(lines) + AFTER




@pytest.mark.timeout(120)
@pytest.mark.parametrize("umode", UMLSKAS_MODES)
def test_host_pids_are_out_of_reach_and_kill_minus_one_hits_only_guests(umode, guests, sleeper):
    host_pids = [sleeper.pid, os.getpid()]
    assert all(p > 100 for p in host_pids)     # never a guest pid of this small run
    got = run_guest(umode, [guests.path("sec_escape_pids", static=True), *host_pids])
    assert (got.returncode, got.stdout.decode()) == (0, expected_pids_output(len(host_pids))), \
        harness.describe(got)
    assert sleeper.poll() is None, "a guest signal reached a host process"


def test_host_fds_are_out_of_reach(mode, guests):
    harness.check_guest_against_native(mode, lambda tag: [guests.path("sec_escape_fds", static=True)])
