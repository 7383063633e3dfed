"""One guest using up descriptors must not starve the kernel or its sibling guests.

The kernel holds a host fd for every open guest file that is the host's, all under
its own RLIMIT_NOFILE. Each guest process is limited by its own RLIMIT_NOFILE
(EMFILE, EBADF/EINVAL beyond it, as Linux), which goes no higher than half of the
kernel's part for guests, and the kernel keeps a reserve for itself (stub spawn,
/proc of stubs, the loader at exec): a guest's host fd that would reach into it
is refused with ENFILE. See umlskas/kernel/fdtable.py.

The runs here start umlskas (and the native oracle) with RLIMIT_NOFILE 4096 and
without CAP_SYS_RESOURCE, so that the kernel cannot raise its own limit and a
guest can use it up in a few seconds: 4096 host fds for the kernel, a reserve of
512, so each guest process may have 1792.
"""

import ctypes
import os
import resource
import subprocess
import time

import pytest

import harness
from harness import describe

NOFILE = 4096
PR_CAPBSET_DROP = 24
CAP_SYS_RESOURCE = 24


def _limited():
    """In the child before exec: no CAP_SYS_RESOURCE after the exec (it leaves the
    bounding set), and RLIMIT_NOFILE at most NOFILE."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    n = NOFILE if hard < 0 else min(NOFILE, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


def run_limited(mode, argv, timeout=150):
    argv = [str(a) for a in argv]
    cmd = argv if mode == "native" else harness.skas_command(mode, argv)
    started = time.time()
    try:
        r = subprocess.run(cmd, cwd=str(harness.REPO_ROOT), env=dict(harness.DEFAULT_ENV),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                           preexec_fn=_limited, start_new_session=True)
    finally:
        if mode != "native":
            harness._check_no_stub_left(started, " ".join(cmd))
    return r


def _compare(mode, argv):
    expected = run_limited("native", argv)
    assert expected.returncode == 0, describe(expected)
    assert not harness.bad_lines(expected.stdout), describe(expected)
    if mode == "native":
        return expected
    got = run_limited(mode, argv)
    harness.assert_same(expected, got, mode)
    return got


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"data\n")
    return path


@pytest.mark.timeout(200)
def test_per_process_nofile_limit(mode, guests, victim):
    """RLIMIT_NOFILE {10,10}: EMFILE at fd 10 for every kind of new fd, EBADF/EINVAL
    beyond the limit, no file created by a refused O_CREAT, and thousands of refused
    opens hold no host descriptor (exec still works afterwards)."""
    r = _compare(mode, [guests.path("sec_fd_exhaust", static=True), "limit", victim])
    out = r.stdout.decode()
    assert "opens stopped after fd 9: EMFILE" in out, describe(r)
    assert "6000 more opens, refused with EMFILE: 6000" in out, describe(r)
    assert "fork + exec /bin/true: exit 0" in out, describe(r)
    assert not os.path.exists(str(victim) + ".created")


@pytest.mark.timeout(300)
def test_sibling_survives_a_guest_that_opens_all_it_may(mode, guests, victim):
    """A child raises its limit as far as it may and opens until refused; its parent
    (another guest process) then forks, execs /bin/true, makes a pipe and opens a
    file: all of it works, as natively."""
    r = _compare(mode, [guests.path("sec_fd_exhaust", static=True), "sibling", victim])
    out = r.stdout.decode()
    assert "parent: fork + exec /bin/true: exit 0" in out, describe(r)
    assert "parent: open: ok" in out, describe(r)


@pytest.mark.timeout(300)
def test_kernel_keeps_its_reserve_when_guests_use_up_theirs(mode, guests, victim):
    """Two children together use up the guests' part of the kernel's descriptors:
    the next host fd for a guest is refused with ENFILE (the system-wide limit),
    while fork, exec of a static program and pipes, which need none of the guests'
    part, go on."""
    if mode == "native":
        pytest.skip("umlskas's own accounting: natively each process has its own limit")
    r = run_limited(mode, [guests.path("sec_fd_exhaust", static=True), "sibling", victim, 2])
    assert r.returncode == 0, describe(r)
    lines = r.stdout.decode().splitlines()
    # The two children open at once. Under ptrace the kernel tends to serve one until
    # it reaches its own limit (EMFILE); seccomp mode serves their notifications in
    # arrival order, so both can meet the shared ceiling first (ENFILE), as two
    # processes filling a system's table at once do.
    first = ("child 0 stopped by: EMFILE",) if mode != "seccomp" else (
        "child 0 stopped by: EMFILE", "child 0 stopped by: ENFILE")
    assert lines[0] in first, describe(r)
    assert lines[1] in ("child 1 stopped by: ENFILE", "child 1 stopped by: EMFILE"), describe(r)
    # A dynamic program's loader opens its libraries with the guest's own opens: with
    # the guests' part used up it cannot (natively too, with the system's table full).
    assert lines[3] in ("parent: fork + exec /bin/true: exit 0",
                        "parent: fork + exec /bin/true: exit 127"), describe(r)
    del lines[3]
    assert lines[2:] == [
        "parent: fork + exec itself (static): exit 0",
        "parent: pipe: ok",
        "parent: open: -1 ENFILE",
        "child 0: exit 0",
        "child 1: exit 0",
        "parent afterwards: fork + exec /bin/true: exit 0",
    ], describe(r)


@pytest.mark.timeout(120)
def test_guest_limits_fit_the_kernels(mode, guests):
    """The guest's nr_open and RLIMIT_NOFILE are the kernel's per-process share."""
    if mode == "native":
        pytest.skip("umlskas's own accounting")
    r = run_limited(mode, ["/bin/sh", "-c", "ulimit -Sn; ulimit -Hn; cat /proc/sys/fs/nr_open; "
                           "ulimit -Hn 1793 || echo refused"])
    assert r.stdout.decode().split() == ["1792", "1792", "1792", "refused"], describe(r)
