"""Job control of the guest's terminals: sessions, controlling terminals, foreground groups.

Linux's drivers/tty/tty_jobctrl.c, for the terminals a guest can reach: the console (the
user's terminal umlskas runs on, every host tty fd the guest did not make: inherited
stdin/out/err, /dev/tty) and each pty a guest made through ptmx. The host's line
discipline still edits lines and echoes; what it cannot know is the guest's process
groups, so the kernel keeps, per terminal, the session it controls and its foreground
process group (TIOCSPGRP), and answers as Linux does:

- TIOCGPGRP/TIOCSPGRP/TIOCGSID/TIOCSCTTY/TIOCNOTTY (tiocgpgrp, tiocspgrp, tiocgsid,
  tiocsctty, tiocnotty), with their errno order;
- tty_check_change (a change to the terminal, a write with TOSTOP) and job_control (a
  read): from a process group that is not the foreground one, SIGTTOU/SIGTTIN to its
  group and a restart, EIO when the group is orphaned (or, for SIGTTIN, ignores it);
- the signals the host's line discipline raises on the console (Ctrl-C, Ctrl-backslash, Ctrl-Z,
  a window resize) reach umlskas's own host process group; the kernel passes them to
  the console's foreground group (kernel_proc._forward_host_signals), as n_tty's isig;
- setsid leaves the terminal behind (a new session has none); a session leader that
  ends hangs its terminal up for its foreground group (disassociate_ctty).

init's session starts with the console as its controlling terminal and init's group in
its foreground, as a login shell would have it. init's parent is outside the guest (the
host), so init's process group is orphaned, as a container init's is.
"""

import errno
import os
import struct

from . import namespaces, signals
from .errors import SyscallError

SIGHUP, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU = 1, 18, 20, 21, 22
ERESTARTSYS = 512
CONSOLE = "console"
FIRST_SID = 1                       # init's session: the console is its terminal
TCGETS, TERMIOS_SIZE, TOSTOP = 0x5401, 36, 0o400


class Terminal:
    """The job-control half of one tty_struct (its ctrl): which session it is the
    controlling terminal of, and which process group of it is in the foreground."""

    def __init__(self, key):
        self.key = key              # CONSOLE, or ("pts", N) for a pty the guest made
        self.session = None         # sid, or None
        self.pgrp = None            # pgid, or None

    def __repr__(self):
        return f"Terminal({self.key!r}, session={self.session}, pgrp={self.pgrp})"


class JobControl:
    """The terminals' job-control state of one kernel."""

    def __init__(self, kernel, console=True):
        """console: init's session starts with the user's terminal (umlskas has one)."""
        self.kernel = kernel
        self.terminals = {}
        self.ctty = {}              # sid -> Terminal, or None once it lost it (hangup)
        self.detached = set()       # tgids that left their session's terminal (TIOCNOTTY)
        term = self.terminal(CONSOLE)
        if console:
            term.session = term.pgrp = FIRST_SID
            self.ctty[FIRST_SID] = term

    @property
    def console(self):
        return self.terminals[CONSOLE]

    def terminal(self, key):
        term = self.terminals.get(key)
        if term is None:
            term = self.terminals[key] = Terminal(key)
        return term

    def terminal_of(self, file):
        """The terminal a host tty file is (a master's is its slave's: real_tty)."""
        number = getattr(file, "number", None)
        if getattr(file, "guest_pty", False) and number is not None:
            return self.terminal(("pts", number))
        return self.console

    def ctty_of(self, process):
        """process's controlling terminal (signal->tty), or None."""
        if process.tgid in self.detached:
            return None
        term = self.ctty.get(process.sid)
        if term is None or term.session != process.sid:
            return None
        return term

    def foreground(self, term=None):
        """The processes of term's (the console's) foreground group, live ones only."""
        term = term or self.console
        if term.pgrp is None:
            return []
        return [p for p in self.kernel.processes() if p.pgid == term.pgrp and not p.zombie]

    # ---- the requests (drivers/tty/tty_jobctrl.c) -----------------------------------

    def tiocgpgrp(self, task, file, arg, master=False):
        term = self.terminal_of(file)
        if not master and self.ctty_of(task.process) is not term:
            raise SyscallError(errno.ENOTTY)
        task.mm.write(arg, struct.pack("<i", self._nr(task, term.pgrp)))
        return 0

    def tiocgsid(self, task, file, arg, master=False):
        term = self.terminal_of(file)
        if not master and self.ctty_of(task.process) is not term:
            raise SyscallError(errno.ENOTTY)
        if term.session is None:
            raise SyscallError(errno.ENOTTY)
        task.mm.write(arg, struct.pack("<i", self._nr(task, term.session)))
        return 0

    def tiocspgrp(self, task, file, arg):
        term = self.terminal_of(file)
        try:
            self.check_change(task, file)
        except SyscallError as e:
            if e.errno == errno.EIO:
                raise SyscallError(errno.ENOTTY) from None
            raise
        nr, = struct.unpack("<i", task.mm.read(arg, 4))
        if nr < 0:
            raise SyscallError(errno.EINVAL)
        if self.ctty_of(task.process) is not term or term.session != task.sid:
            raise SyscallError(errno.ENOTTY)
        pgid = namespaces.pid_kid(task, nr) if nr else None
        members = [p for p in self.kernel.processes() if pgid and p.pgid == pgid]
        if not members:
            raise SyscallError(errno.ESRCH)
        if members[0].sid != task.sid:
            raise SyscallError(errno.EPERM)
        term.pgrp = pgid
        return 0

    def tiocsctty(self, task, file, arg):
        term = self.terminal_of(file)
        process = task.process
        leader = process.sid == process.tgid
        if leader and term.session == process.sid:
            return 0
        if not leader or self.ctty_of(process) is not None:
            raise SyscallError(errno.EPERM)
        root = task.creds.euid == 0
        if term.session is not None:
            if arg & 0xFFFFFFFF == 1 and root:
                self._clear_session(term.session)
            else:
                raise SyscallError(errno.EPERM)
        if not file.readable and not root:
            raise SyscallError(errno.EPERM)
        self._set_ctty(process, term)
        return 0

    def open_sets_ctty(self, task, file):
        """tty_open_proc_set_tty: a session leader without a terminal that opens one
        nobody controls (without O_NOCTTY) makes it its controlling terminal."""
        process = getattr(task, "process", None)
        if process is None or process.sid != process.tgid or self.ctty_of(process) is not None:
            return
        term = self.terminal_of(file)
        if term.session is None and term.key != CONSOLE:
            self._set_ctty(process, term)

    def tiocnotty(self, task, file, master=False):
        term = self.terminal_of(file)
        process = task.process
        if master or self.ctty_of(process) is not term:
            raise SyscallError(errno.ENOTTY)
        if process.sid == process.tgid:
            self._disassociate(process, term, on_exit=False)
        else:
            self.detached.add(process.tgid)
        return 0

    # ---- the checks -------------------------------------------------------------------

    def check_change(self, task, file, sig=SIGTTOU):
        """__tty_check_change: a change to the terminal (or a read, with SIGTTIN) by a
        process of its session that is not in the foreground group."""
        term = self.terminal_of(file)
        if self.ctty_of(task.process) is not term:
            return
        if term.pgrp is None or term.pgrp == task.pgid:
            return
        if task.sigmask & signals.sigbit(sig) or \
                signals.action_of(task, sig)[0] == signals.SIG_IGN:
            if sig == SIGTTIN:
                raise SyscallError(errno.EIO)
            return
        if self.orphaned(task.pgid):
            raise SyscallError(errno.EIO)
        self.kill_pgrp(task.pgid, sig)
        raise SyscallError(ERESTARTSYS)

    def check_read(self, task, file):
        """n_tty_read's job_control."""
        if task is not None:
            self.check_change(task, file, SIGTTIN)

    def check_write(self, task, file, lflag):
        """n_tty_write: with TOSTOP set, a background write is a change (SIGTTOU)."""
        if task is None or not lflag & TOSTOP:
            return
        term = self.terminal_of(file)
        if term.pgrp is not None and term.pgrp != task.pgid:
            self.check_change(task, file, SIGTTOU)

    def in_background(self, task, file):
        term = self.terminal_of(file)
        return self.ctty_of(task.process) is term and term.pgrp not in (None, task.pgid)

    def orphaned(self, pgid):
        """will_become_orphaned_pgrp: no member has a parent in another group of the same
        session (init's parent is the host: it saves no group)."""
        for p in self.kernel.processes():
            if p.pgid != pgid or p.zombie:
                continue
            parent = p.parent
            if parent is not None and parent.pgid != pgid and parent.sid == p.sid:
                return False
        return True

    def kill_pgrp(self, pgid, sig, skip=None):
        """kill_pgrp(..., priv=1): sig to every process of the group, from the kernel."""
        for p in [p for p in self.kernel.processes()
                  if p.pgid == pgid and not p.zombie and p is not skip]:
            self.kernel.send_signal(p, sig, info=signals.siginfo(sig, signals.SI_KERNEL))

    # ---- sessions coming and going -------------------------------------------------------

    def process_exits(self, process):
        """A session leader's exit hangs its terminal up (disassociate_ctty(1)): SIGHUP
        to the foreground group, and the session has no terminal any more."""
        self.detached.discard(process.tgid)
        if process.sid != process.tgid:
            return
        term = self.ctty_of(process)
        if term is not None:
            self._disassociate(process, term, on_exit=True)

    def hangup(self, key):
        """The master of a guest-made pty is gone: its session loses it."""
        term = self.terminals.pop(key, None)
        if term is not None and term.session is not None:
            self.ctty[term.session] = None

    def _disassociate(self, process, term, on_exit):
        pgrp = term.pgrp
        self._clear_session(process.sid)        # first: a SIGHUP may end more leaders
        if pgrp is not None:
            # An exiting leader is past its signals (PF_EXITING): the others get them.
            skip = process if on_exit else None
            self.kill_pgrp(pgrp, SIGHUP, skip)
            if not on_exit:
                self.kill_pgrp(pgrp, SIGCONT)

    def _set_ctty(self, process, term):
        term.session, term.pgrp = process.sid, process.pgid
        self.ctty[process.sid] = term
        self.detached.discard(process.tgid)

    def _clear_session(self, sid):
        term = self.ctty.get(sid)
        if term is not None:
            term.session = term.pgrp = None
        self.ctty[sid] = None

    @staticmethod
    def _nr(task, kid):
        return namespaces.pid_nr(task, kid) if kid else 0


def in_host_job():
    """Is umlskas's own host process group a job some shell controls (not orphaned:
    its parent in another group of the same session)? Only there does the host stop it."""
    try:
        parent = os.getppid()
        return os.getpgid(parent) != os.getpgrp() and os.getsid(parent) == os.getsid(0)
    except OSError:
        return False
