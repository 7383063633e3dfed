"""Root and capabilities: capability sets, capability-based permission checks,
file ownership after uid changes, and the prctl/arch_prctl process flags (guests
tests/guests/cap_*.c), native vs umlskas.

The guests run as root (the tests do) and drop privileges themselves, in
children, inside the scratch directory they are given; natively they print
"not root: skipped" otherwise, and so does the umlskas run of the same user.
"""

from __future__ import annotations

import pytest

from harness import check_guest_against_native, make_tree

# guest name -> needs a scratch directory (argv[1])
GUESTS = {
    "cap_sets": False,
    "cap_prctl": False,
    "cap_perm": True,
    "cap_owner": True,
    "cap_exec": True,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(GUESTS))
def test_cap_guest(mode, name, guests, tmp_path):
    binary = guests.path(name)

    def argv(tag):
        return [binary, str(make_tree(tmp_path / tag))] if GUESTS[name] else [binary]

    check_guest_against_native(mode, argv)
