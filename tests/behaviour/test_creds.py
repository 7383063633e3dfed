"""Root and capabilities: capability sets, capability-based permission checks,
file ownership after uid changes, and the prctl/arch_prctl process flags (guests
tests/guests/cap_*.c), native vs umlskas.

The guests run as root (the tests do) and drop privileges themselves, in
children, inside the scratch directory they are given; natively they print
"not root: skipped" otherwise, and so does the umlskas run of the same user.
"""

from __future__ import annotations

import os

import pytest

from harness import (UMLSKAS_MODES, assert_same, bad_lines, check_guest_against_native, describe,
                     make_tree, run_guest)

# guest name -> needs a scratch directory (argv[1]); STATIC: run as the static build
STATIC = {"cap_tsc_spawn"}
GUESTS = {
    "cap_tsc_spawn": False,
    "cap_sets": False,
    "cap_prctl": False,
    "cap_perm": True,
    "cap_owner": True,
    "cap_exec": True,
    "cap_misc": False,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(GUESTS))
def test_cap_guest(mode, name, guests, tmp_path):
    binary = guests.path(name, static=name in STATIC)

    def argv(tag):
        return [binary, str(make_tree(tmp_path / tag))] if GUESTS[name] else [binary]

    check_guest_against_native(mode, argv)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("layer", ["--tmpfs", "--overlay"])
@pytest.mark.parametrize("name", ["cap_mknod", "cap_owner", "cap_perm"])
def test_in_kernel_layers(mode, name, layer, guests, tmp_path):
    """Device nodes, owners and permissions in the kernel's own layers (a tmpfs, an
    overlay's in-memory upper) behave as natively in a scratch directory."""
    binary = guests.path(name)
    native_dir = tmp_path / "native"
    native_dir.mkdir()
    expected = run_guest("native", [binary, str(native_dir)])
    assert expected.returncode == 0, describe(expected)
    assert not bad_lines(expected.stdout), describe(expected)
    if mode == "native":
        return
    guest_dir = tmp_path / mode
    guest_dir.mkdir()
    got = run_guest(mode, [binary, str(guest_dir)], options=(layer, str(guest_dir)))
    assert_same(expected, got, mode)
    assert not any(guest_dir.iterdir()), "a layer's node reached the host directory"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("umlskas_mode", UMLSKAS_MODES)
def test_mknod_refused_on_host_directory(umlskas_mode, guests, tmp_path):
    """umlskas's own rule (devnodes.py): no device node on a host-backed directory."""
    if os.geteuid() != 0:
        pytest.skip("the guest needs root (CAP_MKNOD) to try")
    got = run_guest(umlskas_mode, [guests.path("cap_mknod"), str(tmp_path), "hostbind"])
    assert got.returncode == 0, describe(got)
    assert got.stdout == b"mknod null on a host directory: -1 EPERM\n", describe(got)
    assert not (tmp_path / "null").exists()
