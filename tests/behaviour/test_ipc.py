"""IPC guests (tests/guests/ipc_*.c): eventfd, epoll, AF_UNIX and AF_INET sockets, native vs umlskas."""

from __future__ import annotations

import shutil

import pytest

from harness import check_guest_against_native, describe, make_tree, run_guest

IPC_GUESTS = ["ipc_eventfd", "ipc_epoll", "ipc_socketpair", "ipc_scm_rights", "ipc_unix_listen",
              "ipc_inet", "ipc_timerfd", "ipc_mmsg", "ipc_mqueue",
              "ipc_vmsplice", "ipc_netlink"]
NEEDS_DIR = {"ipc_unix_listen"}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", IPC_GUESTS)
def test_ipc_guest(mode, name, guests, tmp_path):
    binary = guests.path(name)

    def argv(tag):
        return [binary] + ([str(make_tree(tmp_path / tag))] if name in NEEDS_DIR else [])

    check_guest_against_native(mode, argv)


def _lo_mtu():
    with open("/sys/class/net/lo/mtu") as f:
        return f.read().strip()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("umlmode", ["skas", "tt"])
def test_netlink_refuses_changes_to_the_hosts_network(umlmode):
    """Never natively: a root guest's RTM_NEWLINK on the host's network gets EPERM (here
    setting lo's MTU to what it already is, so a broken filter would still change nothing)."""
    ip = shutil.which("ip")
    if ip is None:
        pytest.skip("iproute2 is not installed")
    mtu = _lo_mtu()
    got = run_guest(umlmode, [ip, "link", "set", "dev", "lo", "mtu", mtu])
    assert got.returncode != 0, describe(got)
    assert b"Operation not permitted" in got.stderr, describe(got)
    assert _lo_mtu() == mtu
    shown = run_guest(umlmode, [ip, "-o", "link", "show", "lo"])
    assert shown.returncode == 0 and b"lo:" in shown.stdout, describe(shown)
