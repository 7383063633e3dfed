"""Pipes, FIFOs, directory reads and name edge cases (tests/guests/pipe_*.c, fsx_*.c), native vs umlskas."""

from __future__ import annotations

import pytest

from harness import check_guest_against_native, describe, make_tree, run_guest

GUESTS = ["pipe_fifo_io", "pipe_close_blocked", "pipe_splice_fifo", "pipe_user_pages",
          "pipe_partial", "pipe_packet", "pipe_vmsplice",
          "fsx_getdents", "fsx_dotnames", "fsx_sockets", "fsx_tty_efault"]
NEEDS_DIR = {"pipe_fifo_io", "pipe_close_blocked", "pipe_splice_fifo", "pipe_vmsplice",
             "fsx_getdents", "fsx_dotnames", "fsx_tty_efault"}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", GUESTS)
def test_pipes_guest(mode, name, guests, tmp_path):
    binary = guests.path(name)

    def argv(tag):
        return [binary] + ([str(make_tree(tmp_path / tag))] if name in NEEDS_DIR else [])

    check_guest_against_native(mode, argv)


def _host_has_cap(cap):
    for line in open("/proc/self/status"):
        if line.startswith("CapBnd:"):
            return bool(int(line.split()[1], 16) >> cap & 1)
    return True


SYSCTL_EXPECTED = """\
write pipe-max-size abc: -1 EINVAL
write pipe-max-size 5000: 4
pipe-max-size: 8192
write pipe-max-size 0: 1
pipe-max-size: 4096
write pipe-max-size 4294967296: -1 EINVAL
write pipe-max-size 8192: 4
pipe-max-size: 8192
{root}write pipe-max-size 1048576: 7
write pipe-user-pages-soft 40: 2
pipe-user-pages-soft: 40
write pipe-max-size 65536: -1 EACCES
user pipe size: 65536
user SETPIPE_SZ 4096: 4096
pipe 0: 65536
pipe 1: 65536
pipe 2: 8192
pipe 3: 8192
write pipe-user-pages-hard 50: 2
pipe-user-pages-hard: 50
pipes under the hard limit: 11 (ENFILE)
grow the first: 8192
write pipe-max-size 1048576: 7
write pipe-user-pages-soft 16384: 5
write pipe-user-pages-hard 0: 1
"""


@pytest.mark.timeout(60)
def test_pipe_sysctls(mode, guests):
    """/proc/sys/fs/pipe-* written by a root guest (never natively: it would change the
    host's settings). Root keeps pipe-max-size only with CAP_SYS_RESOURCE, as Linux."""
    if mode == "native":
        pytest.skip("changes /proc/sys/fs: umlskas only")
    r = run_guest(mode, [guests.path("pipe_sysctl"), "under-umlskas"])
    assert r.returncode == 0, describe(r)
    root = ("root pipe size: 65536\nroot SETPIPE_SZ 16384: 16384\n" if _host_has_cap(24)
            else "root pipe size: 8192\nroot SETPIPE_SZ 16384: -1 EPERM\n")
    assert r.stdout.decode() == SYSCTL_EXPECTED.format(root=root), describe(r)
