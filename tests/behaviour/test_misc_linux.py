"""The rest of issue 11's Linux conformance (tests/guests/misc_linux.c): /proc/sys
files, lseek on /proc directories, chdir through /proc/self/fd/N/.., the core-dump bit
of wait statuses, system time in times()/getrusage/CPU clocks, sched affinity,
personality(2), ETXTBSY, execve with an empty argv, rmdir/rename of "." and "..",
socketpair of families without pairs, terminal ioctls with bad pointers; native vs
umlskas.
"""

from __future__ import annotations

import pytest

from harness import check_guest_against_native

SECTIONS = ["sysctl", "procdir", "fdchdir", "core", "cputime", "affinity", "persona",
            "emptyargv", "txtbsy", "dotnames", "socketpair", "ttyioctl"]


@pytest.mark.parametrize("section", SECTIONS)
def test_misc_linux(mode, guests, scratch, section):
    # A native core dump lands in the scratch dir (the guest's cwd), which it cleans.
    check_guest_against_native(
        mode, lambda tag: [guests.path("misc_linux"), scratch(f"{tag}-{section}"), section])
