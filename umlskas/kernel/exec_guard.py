"""ETXTBSY: a program being run cannot be opened for writing, nor run while open for writing.

Linux's deny_write_access/get_write_access: exec of a file some open file description
writes fails, and while a process runs a file (its mm's exe_file) opening that file for
writing or truncating it fails. Files are told apart by the host's (st_dev, st_ino);
a running task carries the identity of its program as task.exe_ident.
"""

import errno
import os
import stat as statmod

from .errors import SyscallError


def ident(st):
    return (st.st_dev, st.st_ino)


def _open_files(kernel):
    seen = set()
    for t in list(kernel.tasks.values()):
        files = getattr(t, "files", None)
        if files is None or id(files) in seen:
            continue
        seen.add(id(files))
        yield from list(files.files.values())


def check_exec(kernel, st):
    """do_open_execat's deny_write_access: ETXTBSY if any description writes the file."""
    want = ident(st)
    for file in _open_files(kernel):
        if file.host_fd is None or not file.writable:
            continue
        mode = getattr(file, "mode", None)
        if mode is not None and not statmod.S_ISREG(mode):
            continue
        try:
            if ident(os.fstat(file.host_fd)) == want:
                raise SyscallError(errno.ETXTBSY)
        except OSError:
            continue


def check_write(kernel, st):
    """get_write_access: ETXTBSY if a live process runs this file."""
    if not statmod.S_ISREG(st.st_mode):
        return
    want = ident(st)
    for t in list(kernel.tasks.values()):
        if getattr(t, "exe_ident", None) == want:
            raise SyscallError(errno.ETXTBSY)
