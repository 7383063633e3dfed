"""mlock and friends against the guest's own mappings: ENOMEM for what it has not mapped.

The stub's pages (0x7ffbe0000000) are in the guest's host address space but not
in its VMA list: mlock there must answer ENOMEM, as natively where nothing is
mapped at that address, and never act on the stub's memory.
"""

import pytest

import harness


@pytest.mark.timeout(90)
def test_mlock_family_matches_linux(mode, guests):
    harness.check_guest_against_native(mode, lambda tag: [guests.path("sec_mlock", static=True)])


@pytest.mark.timeout(90)
def test_mlock_family_matches_linux_dynamic(mode, guests):
    harness.check_guest_against_native(mode, lambda tag: [guests.path("sec_mlock")])
