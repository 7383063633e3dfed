"""vmsplice(2): guest memory into a pipe, or a pipe's data into guest memory (copied, in
this kernel, as splice is; fs/splice.c's checks and order)."""

import errno

from ..errors import Block, SyscallError
from ..files import O_NONBLOCK
from .fs import _iovecs, _scatter, _usable

SPLICE_F_NONBLOCK, SPLICE_F_ALL = 0x02, 0x0F
PAGE = 4096


def _pipe_end(file):
    if getattr(file, "pipe", None) is None:
        raise SyscallError(errno.EBADF)        # get_pipe_info() found no pipe
    return file


def _to_pipe(task, file, vecs):
    """vmsplice_to_pipe(): wait for one free slot, then fill the free slots with one
    buffer per page the user memory touches (no merging), as iter_to_pipe does."""
    pipe = file.pipe
    if pipe.readers:
        used = (len(pipe.buf) + PAGE - 1) // PAGE
        free = pipe.capacity // PAGE - used
        if free <= 0:
            if file.flags & O_NONBLOCK:
                raise SyscallError(errno.EAGAIN)
            raise Block(queue=pipe.writeq)
        pieces = []
        for base, n in vecs:
            while n and len(pieces) < free:
                step = min(n, PAGE - (base & (PAGE - 1)))
                pieces.append((base, step))
                base, n = base + step, n - step
        vecs = pieces
    else:
        # Without readers the write raises EPIPE (and SIGPIPE) as Linux's does, whatever
        # it is given: a page of it, not the whole of what the guest named (up to 2 GiB
        # copied into the kernel for nothing).
        vecs = [(base, min(n, PAGE)) for base, n in vecs if n][:1]
    return file.write(b"".join(task.mm.read(base, n) for base, n in vecs))


def sys_vmsplice(task, fd, iov, nr_segs, flags):
    """vmsplice(2): EINVAL for flags, EBADF, the iovecs (EINVAL/EFAULT), then the pipe."""
    if flags & ~SPLICE_F_ALL:
        raise SyscallError(errno.EINVAL)
    file = task.files.get(fd)
    to_pipe = file.writable
    if not to_pipe and not file.readable:
        raise SyscallError(errno.EBADF)
    vecs = _iovecs(task, iov, nr_segs)
    if not any(n for _, n in vecs):
        return 0
    _pipe_end(file)
    saved = file.flags
    if flags & SPLICE_F_NONBLOCK:
        file.flags |= O_NONBLOCK
    try:
        if to_pipe:
            return _to_pipe(task, file, _usable(task, vecs, False))
        room = _usable(task, vecs, True)
        data = file.read(sum(n for _, n in room))
        _scatter(task, room, data)
        return len(data)
    finally:
        file.flags = saved


HANDLERS = {"vmsplice": (sys_vmsplice, "partial: copies (SPLICE_F_GIFT gives nothing)")}
