"""Memory and resource limits (issue 11): tests/guests/mem_*.c and rlim_*.c, native vs umlskas.

mmap flag rules (MAP_SHARED_VALIDATE, MAP_32BIT, MAP_FIXED_NOREPLACE, open mode
against PROT_WRITE), RLIMIT_DATA/RLIMIT_AS on brk/mmap/mremap/mprotect, mlock and
VmLck, /proc/self/pagemap, mremap rules, RLIMIT_FSIZE, RLIMIT_SIGPENDING and a
per-process RLIMIT_NOFILE.
"""

from __future__ import annotations

import pytest

from harness import check_guest_against_native, make_tree

# (guest, needs a scratch directory)
GUESTS = [
    ("mem_mmap_flags", True),
    ("mem_rlimit_vm", False),
    ("mem_mlock_vmlck", False),
    ("rlim_fsize", True),
    ("rlim_sigpending", False),
    ("rlim_nofile", False),
    ("mem_pagemap", True),
    ("mem_mremap", True),
    ("mem_getdents", True),
    ("rlim_cpu", False),
    ("mem_vma_merge", True),
    ("rlim_nproc", False),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name,needs_dir", GUESTS, ids=[g[0] for g in GUESTS])
def test_limits_guest(mode, name, needs_dir, guests, tmp_path):
    binary = guests.path(name)

    def argv(tag):
        return [binary, str(make_tree(tmp_path / tag))] if needs_dir else [binary]

    check_guest_against_native(mode, argv, ends_with=b"done\n")
