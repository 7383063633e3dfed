"""Kernel-side exceptions: a syscall's errno, and the kernel's own faults."""

import errno


class SyscallError(Exception):
    """Raised by a handler; the dispatcher turns it into -errno in the guest's rax."""

    __slots__ = ("errno",)

    def __init__(self, err):
        super().__init__(err)
        self.errno = err

    def __str__(self):
        return errno.errorcode.get(self.errno, str(self.errno))


class KernelBug(Exception):
    """Something the kernel did not expect: the guest is stopped, loudly."""


def efault():
    return SyscallError(errno.EFAULT)


class Block(Exception):
    """Raised by a handler that has to wait. The task is parked and the handler
    is run again, with the same arguments, when one of these fires:
      fds       host fds to poll: ((fd, events), ...) with select.POLLIN/POLLOUT
      deadline  time.monotonic() value at which to retry anyway
      queue     a WaitQueue (or a tuple of them) whose wake() re-runs the task
    A handler that must remember progress across retries keeps it in
    task.restart (cleared when the syscall completes)."""

    def __init__(self, fds=(), deadline=None, queue=None):
        super().__init__()
        self.fds = fds
        self.deadline = deadline
        self.queue = queue


class WaitQueue:
    """Tasks parked on one kernel object (a futex word, a pipe, a child's exit)."""

    __slots__ = ("waiters",)

    def __init__(self):
        self.waiters = []

    def wake(self, count=None):
        """Re-run up to `count` waiters (all if None); returns how many."""
        woken = self.waiters[:count] if count is not None else self.waiters[:]
        del self.waiters[:len(woken)]
        for task in woken:
            task.kernel.wake(task)
        return len(woken)


class TaskGone(Exception):
    """Raised through a handler when its task no longer runs (exit, a fatal signal):
    nothing is written back and the task is not resumed."""
