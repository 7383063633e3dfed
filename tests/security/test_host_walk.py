"""The kernel reaches the host by directory fds, not host path strings (issue 10, item 3).

A directory that something else changes while a guest walks through it (a host
process, a sync tool, a second umlskas sharing a --bind) must give the guest the
errno Linux would (ENOENT, ENOTDIR, ELOOP), never stop the kernel (exit 125), and
a directory swapped for a symlink to a place outside --root must never be followed
there. And depth is not limited by PATH_MAX of a host string: 5,000 nested
directories made with relative mkdir + chdir work as on Linux.

Every file touched lives in the test's tmp_path; the swapper (sec_walk_swap) runs
natively only on those files.
"""

import os
import shutil
import subprocess
import time

import pytest

import harness
from harness import assert_same, run_guest

ROUNDS = 150                     # looks per path (each: ~12 path syscalls, an exec every 25)
CANARY = "secret\n" + "x" * 7770     # 7777 bytes: the guest spots it by size too


def make_race_root(tmp_path, guests):
    """R/x (a real directory, "inside" files, a "run" that may not be executed) and
    R/x.swap, a symlink to the host path of `outside`, whose files are canaries."""
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    for f in (outside / "secret", outside / "sub" / "secret"):
        f.write_text(CANARY)
    (outside / "canary-outside").touch()
    race = guests.path("sec_walk_race", static=True)
    shutil.copy(race, outside / "run")           # without arguments it prints "secret"
    root = tmp_path / "root"
    (root / "x" / "sub").mkdir(parents=True)
    (root / "x" / "secret").write_text("inside\n")
    (root / "x" / "sub" / "secret").write_text("inside\n")
    shutil.copy(race, root / "x" / "run")
    (root / "x" / "run").chmod(0o644)
    shutil.copy(race, root / "race")
    (root / "x.swap").symlink_to(outside)        # a host path: outside R
    return root, outside


def start_swapper(guests, how, a, b, under=None):
    """The changer: natively, or (under="skas"...) as a guest of a second umlskas
    that binds the same directory (two sandboxes sharing a --bind)."""
    swap = guests.path("sec_walk_swap", static=True)
    if under is None:
        cmd = [swap, how, "120", str(a), str(b)]
    else:
        shared = os.path.dirname(a)
        cmd = harness.skas_command(under, [swap, how, "120", "/shared/" + os.path.basename(a),
                                           "/shared/" + os.path.basename(b)],
                                   ["--bind", f"{shared}:/shared"])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=str(harness.REPO_ROOT), start_new_session=True,
                            env={**harness.DEFAULT_ENV, "PYTHONPATH": str(harness.REPO_ROOT)})
    time.sleep(0.3 if under is None else 1.5)   # swapping before the walker starts
    return proc


def stop_swapper(proc):
    """Stop it; its output says whether it ever swapped (its stderr follows)."""
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
    return out + err


def check_race(got, rounds, paths):
    assert got.returncode == 0, harness.describe(got)   # 125: the kernel crashed
    assert got.stdout == f"looks: {rounds * paths}\nescapes: 0\n".encode(), harness.describe(got)


def race_paths():
    return ["/x/secret", "/x/sub/secret"]


@pytest.mark.timeout(240)
def test_swapped_directory_never_leads_outside_the_root(mode, guests, tmp_path):
    """R/x is exchanged (renameat2 RENAME_EXCHANGE) with a symlink to a directory
    outside R while the guest opens, stats, lists and executes R/x/...: natively in
    chroot(8) the symlink's text resolves inside the root; under umlskas --root the
    host must never follow it either."""
    root, outside = make_race_root(tmp_path, guests)
    if mode == "native" and (os.geteuid() != 0 or shutil.which("chroot") is None):
        pytest.skip("the native oracle is chroot(8), which needs root")
    swapper = start_swapper(guests, "exchange", root / "x", root / "x.swap")
    try:
        if mode == "native":
            got = run_guest("native", [shutil.which("chroot"), str(root), "/race", ROUNDS,
                                       *race_paths()], timeout=200)
        else:
            got = run_guest(mode, ["/race", ROUNDS, *race_paths()],
                            options=["--root", str(root)], timeout=200)
    finally:
        swapped = stop_swapper(swapper)
    assert swapped == b"swaps: 1\n"
    check_race(got, ROUNDS, len(race_paths()))
    assert (outside / "secret").read_text() == CANARY


@pytest.mark.timeout(240)
def test_a_second_umlskas_on_a_shared_bind_cannot_open_the_way_out(mode, guests, tmp_path):
    """The realistic attacker needs no host helper: a guest of another umlskas that
    binds the same directory does the swapping (inside one kernel a guest cannot:
    the kernel serves one system call at a time)."""
    if mode == "native":
        pytest.skip("the swapper is a umlskas guest; the native walk is the test above")
    root, outside = make_race_root(tmp_path, guests)
    started = time.time()
    swapper = start_swapper(guests, "exchange", root / "x", root / "x.swap", under=mode)
    try:
        # The swapper's stub is alive during the walk: stubs are counted once both end.
        got = run_guest(mode, ["/race", ROUNDS, *race_paths()],
                        options=["--root", str(root)], timeout=200, check_leaks=False)
    finally:
        swapped = stop_swapper(swapper)
    harness._check_no_stub_left(started, "the walker and the swapper")
    assert swapped == b"swaps: 1\n"
    check_race(got, ROUNDS, len(race_paths()))


@pytest.mark.timeout(240)
@pytest.mark.parametrize("how", ["rename", "exchange"])
def test_host_changes_under_a_bind_are_errnos_not_crashes(mode, how, guests, tmp_path):
    """mv a b; mv b a (rename) or a directory exchanged with a symlink to a sibling
    (exchange) in a --bind directory, while the guest walks through it: every look
    ends in an answer (data or an errno), none in a kernel crash."""
    shared = tmp_path / "shared"
    for d in ("a", "a/sub", "other", "other/sub"):
        (shared / d).mkdir(parents=True)
    for d in ("a", "a/sub", "other", "other/sub"):
        (shared / d / "secret").write_text("inside\n")
    for d in ("a", "other"):
        (shared / d / "lnk").symlink_to("sub")   # read while its directory moves
    shutil.copy(guests.path("sec_walk_race", static=True), shared / "a" / "run")
    (shared / "a" / "run").chmod(0o644)
    if how == "rename":
        swapper = start_swapper(guests, "rename", shared / "a", shared / "b")
    else:
        (shared / "b").symlink_to("other")
        swapper = start_swapper(guests, "exchange", shared / "a", shared / "b")
    top = str(shared) if mode == "native" else "/b"
    paths = [f"{top}/a/secret", f"{top}/a/sub/secret", f"{top}/a/lnk/secret"]
    race = guests.path("sec_walk_race", static=True)
    try:
        got = run_guest(mode, [race, ROUNDS, *paths], options=["--bind", f"{shared}:/b"],
                        timeout=200)
    finally:
        swapped = stop_swapper(swapper)
    assert swapped == b"swaps: 1\n"
    check_race(got, ROUNDS, len(paths))


def rmtree_deep(path):
    """Remove a tree of any depth (shutil.rmtree recurses: 5,000 levels overflow the
    Python stack): down by fds to a leaf, then back up by "..", one fd at a time."""
    if not os.path.lexists(path):
        return
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    depth = 0
    try:
        while True:
            sub = None
            for e in os.scandir(fd):
                if e.is_dir(follow_symlinks=False):
                    sub = e.name
                    break
                os.unlink(e.name, dir_fd=fd)
            if sub is not None:
                nfd = os.open(sub, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd, depth = nfd, depth + 1
                continue
            if depth == 0:
                break
            ino = os.fstat(fd).st_ino
            parent = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd, depth = parent, depth - 1
            for e in os.scandir(fd):
                if e.inode() == ino:
                    os.rmdir(e.name, dir_fd=fd)
                    break
    finally:
        os.close(fd)
    os.rmdir(path)


@pytest.mark.timeout(300)
def test_5000_nested_directories(mode, guests, tmp_path):
    """mkdir("d"); chdir("d") 5,000 times, use the bottom (create, stat, openat,
    listing, getcwd(2)'s ENAMETOOLONG past PATH_MAX and glibc's fallback), then
    chdir("..") and rmdir all the way back: as natively."""
    scratch = tmp_path / "deep"
    scratch.mkdir()
    deep = guests.path("sec_walk_deep")
    argv = [deep, str(scratch), "5000"]
    try:
        native = run_guest("native", argv, timeout=120)
        assert native.returncode == 0, harness.describe(native)
        assert b"failures 0" in native.stdout and not harness.bad_lines(native.stdout)
        if mode != "native":
            assert os.listdir(scratch) == []
            got = run_guest(mode, argv, timeout=240)
            assert_same(native, got, mode)
        assert os.listdir(scratch) == []
    finally:
        rmtree_deep(scratch / "d")


@pytest.mark.parametrize("where", ["bind", "overlay"])
def test_dot_dotdot_root_and_trailing_slash_names(mode, where, guests, tmp_path):
    """".", "..", "/" and "symlink/" as the last name: the errnos Linux gives (these
    names have no (directory fd, name) pair for a host call)."""
    work = tmp_path / "work"
    work.mkdir()
    names = guests.path("sec_walk_names")
    if mode == "native":
        got = run_guest("native", [names, str(work)])
        assert got.returncode == 0 and not harness.bad_lines(got.stdout), harness.describe(got)
        return
    native = run_guest("native", [names, str(work)])
    assert os.listdir(work) == []
    option = ["--bind", f"{work}:/w"] if where == "bind" else ["--overlay", f"{work}:/w"]
    got = run_guest(mode, [names, "/w"], options=option)
    assert_same(native, got, mode)
