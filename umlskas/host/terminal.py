"""The user's real terminal: its modes as umlskas found them, given back however the run ends.

A guest on the user's terminal changes its modes through the kernel (raw mode for vim,
less, a shell's line editor; O_NONBLOCK on the shared stdin description). If the guest
is killed, or the kernel stops on a bug, nobody would set them back, and the user's shell
is left without echo. HostTerminal saves the modes at the start and puts them back in
Kernel.run's finally (every way the loop ends), at interpreter exit (atexit) and before
umlskas dies of a signal it does not handle itself. When the whole guest stops (Ctrl-Z of
a guest that has no job control of its own) umlskas stops as a job of the user's shell:
suspend() gives the shell its modes back and resume() puts the guest's back on `fg`.
Only SIGKILL of umlskas itself leaves the terminal as it was at that moment.
"""

import atexit
import fcntl
import os
import signal
import termios

SIGTTOU = signal.SIGTTOU


class HostTerminal:
    """The modes of one host terminal fd, saved now; restore() puts them back."""

    def __init__(self, fd):
        self.fd = fd
        self.modes = termios.tcgetattr(fd)
        self.flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        self.guest_modes = None
        self.active = True
        atexit.register(self.restore)

    @classmethod
    def of_stdio(cls):
        """The terminal among umlskas's stdin, stdout, stderr (the first one), or None."""
        for fd in (0, 1, 2):
            try:
                if os.isatty(fd):
                    return cls(os.dup(fd))
            except (OSError, termios.error):
                continue
        return None

    def _set(self, modes):
        """tcsetattr with SIGTTOU blocked: never stops umlskas, and only while it is the
        terminal's foreground job (a background umlskas must not undo the modes of the
        job that now has the terminal; its shell restores its own)."""
        try:
            fg = os.tcgetpgrp(self.fd)
        except OSError:
            fg = None
        if fg is not None and fg != os.getpgrp():
            return
        old = signal.pthread_sigmask(signal.SIG_BLOCK, (SIGTTOU,))
        try:
            termios.tcsetattr(self.fd, termios.TCSANOW, modes)
        except (OSError, termios.error):
            pass
        finally:
            if SIGTTOU not in old:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, (SIGTTOU,))

    def restore(self):
        """The modes (and file status flags) umlskas found; idempotent."""
        if not self.active:
            return
        try:
            if termios.tcgetattr(self.fd) != self.modes:
                self._set(self.modes)
            if fcntl.fcntl(self.fd, fcntl.F_GETFL) != self.flags:
                fcntl.fcntl(self.fd, fcntl.F_SETFL, self.flags)
        except (OSError, termios.error):
            pass

    def close(self):
        self.restore()
        self.active = False
        try:
            os.close(self.fd)
        except OSError:
            pass
        atexit.unregister(self.restore)

    def suspend(self):
        """umlskas is about to stop as a job: keep the guest's modes, give back the user's."""
        try:
            self.guest_modes = termios.tcgetattr(self.fd)
        except (OSError, termios.error):
            self.guest_modes = None
        self.restore()

    def resume(self):
        """umlskas continues (`fg`): the guest gets its modes back."""
        if self.guest_modes is not None:
            self._set(self.guest_modes)
            self.guest_modes = None

