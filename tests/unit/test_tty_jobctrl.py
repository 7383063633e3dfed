"""tty_jobctrl's rules (Linux's drivers/tty/tty_jobctrl.c) on a small process tree."""

import errno
import struct
from types import SimpleNamespace

import pytest

from umlskas.kernel.errors import SyscallError
from umlskas.kernel.tty_jobctrl import CONSOLE, ERESTARTSYS, JobControl, SIGTTIN, SIGTTOU


class Proc:
    def __init__(self, tgid, parent=None, pgid=None, sid=None):
        self.tgid = tgid
        self.parent = parent
        self.pgid = pgid or (parent.pgid if parent else tgid)
        self.sid = sid or (parent.sid if parent else tgid)
        self.zombie = False


class Kernel:
    def __init__(self):
        self.procs = []
        self.sent = []

    def processes(self):
        return list(self.procs)

    def send_signal(self, process, sig, info=None):
        self.sent.append((process.tgid, sig))


class Mem:
    def __init__(self):
        self.data = {}

    def write(self, addr, data):
        self.data[addr] = data

    def read(self, addr, size):
        if addr == 0:
            raise SyscallError(errno.EFAULT)
        return self.data.get(addr, b"\0" * size)


def task_of(process, euid=0, ignored=(), blocked=0):
    actions = {sig: (1, 0, 0, 0) for sig in ignored}      # SIG_IGN
    return SimpleNamespace(process=process, tgid=process.tgid, pgid=process.pgid,
                           sid=process.sid, mm=Mem(), creds=SimpleNamespace(euid=euid),
                           sigmask=blocked, sighand=SimpleNamespace(actions=actions))


@pytest.fixture
def world():
    """init (1, its session has the console) and a shell job: 2 in group 2, child of 1."""
    kernel = Kernel()
    init = Proc(1)
    job = Proc(2, parent=init, pgid=2)
    kernel.procs += [init, job]
    jobs = JobControl(kernel, console=True)
    console = SimpleNamespace(guest_pty=False, readable=True)
    return SimpleNamespace(kernel=kernel, init=init, job=job, jobs=jobs, console=console)


def call(fn, *args):
    try:
        return fn(*args)
    except SyscallError as e:
        return -e.errno


def test_init_starts_in_the_foreground_of_the_console(world):
    t = task_of(world.init)
    assert world.jobs.tiocgpgrp(t, world.console, 0x10) == 0
    assert struct.unpack("<i", t.mm.data[0x10]) == (1,)
    assert world.jobs.ctty_of(world.job).key == CONSOLE


def test_tiocspgrp_moves_the_foreground_and_checks_its_argument(world):
    t = task_of(world.init)
    t.mm.data[0x20] = struct.pack("<i", 2)
    assert world.jobs.tiocspgrp(t, world.console, 0x20) == 0
    assert world.jobs.console.pgrp == 2
    t.mm.data[0x20] = struct.pack("<i", -1)
    world.jobs.console.pgrp = 1
    assert call(world.jobs.tiocspgrp, t, world.console, 0x20) == -errno.EINVAL
    t.mm.data[0x20] = struct.pack("<i", 77)
    assert call(world.jobs.tiocspgrp, t, world.console, 0x20) == -errno.ESRCH
    assert call(world.jobs.tiocspgrp, t, world.console, 0) == -errno.EFAULT


def test_a_background_job_changing_the_terminal_gets_sigttou(world):
    t = task_of(world.job)
    assert call(world.jobs.check_change, t, world.console) == -ERESTARTSYS
    assert world.kernel.sent == [(2, SIGTTOU)]
    # Ignoring it: the change goes through; blocking SIGTTIN: a read is EIO.
    assert world.jobs.check_change(task_of(world.job, ignored=(SIGTTOU,)), world.console) \
        is None
    assert call(world.jobs.check_read, task_of(world.job, blocked=1 << (SIGTTIN - 1)),
                world.console) == -errno.EIO


def test_an_orphaned_background_group_gets_eio(world):
    # Group 2 is saved by init (group 1, same session); a group whose members' parents
    # are all inside it is orphaned.
    assert not world.jobs.orphaned(2)
    orphan = Proc(3, parent=world.job, pgid=3)
    world.kernel.procs.append(orphan)
    assert not world.jobs.orphaned(3)               # its parent (group 2) saves it
    orphan.parent = None
    assert world.jobs.orphaned(3)
    assert call(world.jobs.check_change, task_of(orphan), world.console) == -errno.EIO
    assert world.kernel.sent == []


def test_tiocsctty_rules(world):
    # A leader that already has a terminal: EPERM; a non-leader: EPERM.
    pty = SimpleNamespace(guest_pty=True, number=4, readable=True)
    assert call(world.jobs.tiocsctty, task_of(world.init), pty, 0) == -errno.EPERM
    assert call(world.jobs.tiocsctty, task_of(world.job), pty, 0) == -errno.EPERM
    # A new session takes a free pty; another session steals it only as root with arg 1.
    leader = Proc(5, pgid=5, sid=5)
    world.kernel.procs.append(leader)
    assert world.jobs.tiocsctty(task_of(leader), pty, 0) == 0
    thief = Proc(6, pgid=6, sid=6)
    world.kernel.procs.append(thief)
    assert call(world.jobs.tiocsctty, task_of(thief, euid=1000), pty, 1) == -errno.EPERM
    assert call(world.jobs.tiocsctty, task_of(thief), pty, 0) == -errno.EPERM
    assert world.jobs.tiocsctty(task_of(thief), pty, 1) == 0
    assert world.jobs.ctty_of(leader) is None
    assert world.jobs.ctty_of(thief).key == ("pts", 4)


def test_tiocnotty_by_the_leader_hangs_up_the_foreground(world):
    t = task_of(world.init)
    assert world.jobs.tiocnotty(t, world.console) == 0
    assert world.kernel.sent == [(1, 1), (1, 18)]       # SIGHUP, SIGCONT to group 1
    assert world.jobs.ctty_of(world.init) is None
    assert call(world.jobs.tiocgpgrp, t, world.console, 0x10) == -errno.ENOTTY


def test_a_new_session_has_no_terminal(world):
    world.job.sid = world.job.pgid = 2            # setsid
    assert world.jobs.ctty_of(world.job) is None
    assert call(world.jobs.tiocgsid, task_of(world.job), world.console, 0x10) == -errno.ENOTTY
