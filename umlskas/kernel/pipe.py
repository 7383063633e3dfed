"""Pipes: a kernel buffer with Linux's semantics (PIPE_BUF atomicity, EOF, EPIPE, O_NONBLOCK).

Readers and writers that must wait park on the pipe's wait queues; the other
end's progress wakes them, and their handler runs again.
"""

import errno
import itertools
import os
import stat as statmod

from .errors import Block, SyscallError, WaitQueue
from .fown import POLL_IN, POLL_OUT, kill_fasync
from .files import O_NONBLOCK, O_RDONLY, O_WRONLY, File, make_stat

PIPE_BUF = 4096
SIGPIPE = 13
PIPE_SIZE = 65536
_inodes = itertools.count(100000)


class Pipe:
    """The shared buffer and the counts of open ends."""

    def __init__(self):
        self.buf = bytearray()
        self.capacity = PIPE_SIZE
        self.readers = 0
        self.writers = 0
        self.readq = WaitQueue()       # readers waiting for data or EOF
        self.writeq = WaitQueue()      # writers waiting for room or a gone reader
        self.ino = next(_inodes)

    def stat(self):
        return make_stat(statmod.S_IFIFO | 0o600, self.ino, dev=0xD, uid=os.getuid(),
                         gid=os.getgid())


class PipeEnd(File):
    """One end of a pipe (an open file description)."""

    def __init__(self, kernel, pipe, flags):
        super().__init__(flags, f"pipe:[{pipe.ino}]")
        self.kernel = kernel
        self.pipe = pipe
        if self.readable:
            pipe.readers += 1
        if self.writable:
            pipe.writers += 1

    def read(self, size):
        try:
            return self._read(size)
        finally:
            # pipe_read tells O_ASYNC writers there is room, whatever the outcome.
            kill_fasync(self.kernel, self.pipe, POLL_OUT, readers=False)

    def _read(self, size):
        pipe = self.pipe
        if pipe.buf:
            data = bytes(pipe.buf[:size])
            del pipe.buf[:len(data)]
            pipe.writeq.wake()
            return data
        if pipe.writers == 0:
            return b""
        if self.flags & O_NONBLOCK:
            raise SyscallError(errno.EAGAIN)
        raise Block(queue=pipe.readq)

    def write(self, data):
        """Called again after a Block until all of data is written (blocking mode):
        the task's restart state carries how much went in already."""
        try:
            return self._write(data)
        finally:
            # pipe_write tells O_ASYNC readers there is data, whatever the outcome.
            kill_fasync(self.kernel, self.pipe, POLL_IN, readers=True)

    def _write(self, data):
        pipe = self.pipe
        task = self.kernel.current
        done = task.restart.get("pipe_written", 0)
        if pipe.readers == 0:
            self.kernel.send_signal(task.process, SIGPIPE, task)
            if done:
                return done
            raise SyscallError(errno.EPIPE)
        rest = data[done:]
        room = pipe.capacity - len(pipe.buf)
        if len(rest) <= PIPE_BUF and len(data) <= PIPE_BUF:
            if room >= len(rest):
                pipe.buf += rest
                pipe.readq.wake()
                return len(data)
        elif room > 0:
            chunk = rest[:room]
            pipe.buf += chunk
            pipe.readq.wake()
            done += len(chunk)
            if done == len(data) or self.flags & O_NONBLOCK:
                return done
        if self.flags & O_NONBLOCK:
            if done:
                return done
            raise SyscallError(errno.EAGAIN)
        task.restart["pipe_written"] = done
        raise Block(queue=pipe.writeq)

    def poll(self):
        """Ready events now: POLLIN 1, POLLOUT 4, POLLERR 8, POLLHUP 16."""
        pipe = self.pipe
        ev = 0
        if self.readable:
            if pipe.buf:
                ev |= 1
            if pipe.writers == 0:
                ev |= 16
        if self.writable:
            if pipe.readers == 0:
                ev |= 8
            elif pipe.capacity - len(pipe.buf) >= PIPE_BUF:
                ev |= 4
        return ev

    def wait_queues(self):
        return (self.pipe.readq, self.pipe.writeq)

    def stat(self):
        return self.pipe.stat()

    def fionread(self):
        return len(self.pipe.buf)

    def release(self):
        pipe = self.pipe
        if self.readable:
            pipe.readers -= 1
        if self.writable:
            pipe.writers -= 1
        pipe.readq.wake()
        pipe.writeq.wake()
        if (pipe.readers == 0) != (pipe.writers == 0):     # pipe_release
            kill_fasync(self.kernel, pipe, POLL_IN, readers=True)
            kill_fasync(self.kernel, pipe, POLL_OUT, readers=False)


def make_pipe(kernel, flags):
    """The read and write ends of a new pipe; flags may hold O_NONBLOCK."""
    pipe = Pipe()
    extra = flags & O_NONBLOCK
    return PipeEnd(kernel, pipe, O_RDONLY | extra), PipeEnd(kernel, pipe, O_WRONLY | extra)
