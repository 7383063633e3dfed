"""Unit tests of the Vfs dentry cache (vfs.Vfs._dcache_hit): lookups served from held
directory fds stay right when the host renames, removes, re-creates or swaps for a
symlink a directory on the way, and when the mount table changes."""

import errno
import os
from types import SimpleNamespace

import pytest

from umlskas.kernel import vfs as vfs_module
from umlskas.kernel.errors import SyscallError
from umlskas.kernel.fdtable import FdTable
from umlskas.kernel.procfs import ProcFs
from umlskas.kernel.vfs import AT_FDCWD, DCACHE_SIZE, Mount, Vfs


class FakeKernel:
    tasks = {}

    def task_by_vpid(self, vpid):
        return None


@pytest.fixture(autouse=True)
def dcache_on(monkeypatch):
    """The cache serves only where the host process searches every directory; these
    tests run it regardless (they change no permission)."""
    monkeypatch.setattr(vfs_module, "_DCACHE_USABLE", [True])


@pytest.fixture
def setup(tmp_path):
    host = tmp_path / "host"
    (host / "a" / "b").mkdir(parents=True)
    (host / "a" / "b" / "f").write_text("one")
    v = Vfs(ProcFs(FakeKernel()), specs=[("bind", str(host), "/m", None)],
            layers_dir=str(tmp_path / "layers"))
    task = SimpleNamespace(tid=1, tgid=1, files=FdTable(), kernel=None,
                           fs=SimpleNamespace(cwd="/", umask=0o22, root="/", cwd_dir=None))
    yield v, task, host
    v.close()


def content(v, task, path):
    node = v.lookup(task, AT_FDCWD, path)
    fd = node.open(os.O_RDONLY)
    try:
        return os.read(fd, 100).decode()
    finally:
        os.close(fd)


def errno_of(v, task, path):
    with pytest.raises(SyscallError) as info:
        content(v, task, path)
    return info.value.errno


def test_a_repeated_lookup_is_served_from_the_cache(setup):
    v, task, host = setup
    assert content(v, task, b"/m/a/b/f") == "one"
    assert "/m/a/b" in v.dcache
    calls = []
    real = vfs_module._openat2
    vfs_module._openat2 = lambda *a: calls.append(a) or real(*a)
    try:
        assert content(v, task, b"/m/a/b/f") == "one"
    finally:
        vfs_module._openat2 = real
    assert calls == []                       # no walk of the directories again


def test_host_rename_of_a_component(setup):
    v, task, host = setup
    assert content(v, task, b"/m/a/b/f") == "one"
    os.rename(host / "a", host / "a2")
    assert errno_of(v, task, b"/m/a/b/f") == errno.ENOENT
    assert content(v, task, b"/m/a2/b/f") == "one"


def test_host_swaps_a_component_for_a_symlink_to_it(setup):
    """The directory moved and a symlink to its new place put where it was: the
    guest follows that symlink in its own view, not the held fd."""
    v, task, host = setup
    assert content(v, task, b"/m/a/b/f") == "one"
    (host / "c" / "b").mkdir(parents=True)
    (host / "c" / "b" / "f").write_text("other")
    os.rename(host / "a", host / "c" / "moved")
    os.symlink("c", host / "a")                 # /m/a -> /m/c: its b/f says "other"
    assert content(v, task, b"/m/a/b/f") == "other"
    node = v.lookup(task, AT_FDCWD, b"/m/a/b/f")
    assert node.guest == "/m/c/b/f"


def test_host_removes_and_recreates_a_component(setup):
    v, task, host = setup
    assert content(v, task, b"/m/a/b/f") == "one"
    os.unlink(host / "a" / "b" / "f")
    os.rmdir(host / "a" / "b")
    assert errno_of(v, task, b"/m/a/b/f") == errno.ENOENT
    (host / "a" / "b").mkdir()
    (host / "a" / "b" / "f").write_text("new")
    assert content(v, task, b"/m/a/b/f") == "new"


def test_host_replaces_a_component_by_a_file(setup):
    v, task, host = setup
    assert content(v, task, b"/m/a/b/f") == "one"
    os.rename(host / "a" / "b", host / "old")
    (host / "a" / "b").write_text("file")
    assert errno_of(v, task, b"/m/a/b/f") == errno.ENOTDIR


def test_host_moves_a_component_away_and_back(setup):
    v, task, host = setup
    assert content(v, task, b"/m/a/b/f") == "one"
    os.rename(host / "a", host / "x")
    assert errno_of(v, task, b"/m/a/b/f") == errno.ENOENT
    os.rename(host / "x", host / "a")
    assert content(v, task, b"/m/a/b/f") == "one"


def test_a_new_mount_empties_the_cache(setup, tmp_path):
    v, task, host = setup
    assert content(v, task, b"/m/a/b/f") == "one"
    other = tmp_path / "other"
    other.mkdir()
    v.add_mount(Mount("/m/a", "tmpfs", "tmpfs", host=str(other)))
    assert v.dcache == {}
    assert errno_of(v, task, b"/m/a/b/f") == errno.ENOENT


def test_relative_lookup_from_a_moved_cwd_uses_the_cwd_not_the_cache(setup):
    """A relative name starts at the cwd's own directory (Linux: its inode), even when
    another directory now has the cwd's old path and is cached."""
    v, task, host = setup
    task.fs.cwd = "/m/a"
    task.fs.cwd_dir = v.dir_of_guest("/m/a")
    os.rename(host / "a", host / "a_old")
    (host / "a" / "b").mkdir(parents=True)
    (host / "a" / "b" / "f").write_text("new")
    assert content(v, task, b"/m/a/b/f") == "new"      # cached now
    assert content(v, task, b"b/f") == "one"


def test_the_cache_holds_a_bounded_number_of_fds(setup):
    v, task, host = setup
    for i in range(DCACHE_SIZE + 10):
        (host / f"d{i}" / "e").mkdir(parents=True)
        (host / f"d{i}" / "e" / "f").write_text(str(i))
        assert content(v, task, f"/m/d{i}/e/f".encode()) == str(i)
    assert len(v.dcache) <= DCACHE_SIZE
    assert content(v, task, b"/m/d3/e/f") == "3"


def test_not_used_where_the_host_process_cannot_search_everything(setup, monkeypatch):
    v, task, host = setup
    monkeypatch.setattr(vfs_module, "_DCACHE_USABLE", [False])
    assert content(v, task, b"/m/a/b/f") == "one"
    assert v.dcache == {}


def test_cached_directory_with_a_symlink_or_a_missing_name_last(setup):
    """The walk's own answers for the last name: a symlink followed in the guest's
    view (an absolute one from the guest's root), a missing name to create."""
    v, task, host = setup
    assert content(v, task, b"/m/a/b/f") == "one"
    os.symlink("/m/a/b/f", host / "a" / "b" / "abs")
    assert content(v, task, b"/m/a/b/abs") == "one"
    link = v.lookup(task, AT_FDCWD, b"/m/a/b/abs", follow=False)
    assert link.exists and link.name == "abs"
    missing = v.lookup(task, AT_FDCWD, b"/m/a/b/new")
    assert missing.exists is False and missing.guest == "/m/a/b/new"
    assert v.lookup(task, AT_FDCWD, b"/m/a/b/").guest == "/m/a/b"


def test_a_mount_point_last_is_the_mounted_tree(setup, tmp_path):
    v, task, host = setup
    other = tmp_path / "other"
    other.mkdir()
    (other / "g").write_text("mounted")
    (host / "a" / "b" / "mnt").mkdir()
    v.add_mount(Mount("/m/a/b/mnt", "tmpfs", "tmpfs", host=str(other)))
    assert content(v, task, b"/m/a/b/f") == "one"           # cached again
    node = v.lookup(task, AT_FDCWD, b"/m/a/b/mnt")
    assert node.mount.point == "/m/a/b/mnt"
    assert content(v, task, b"/m/a/b/mnt/g") == "mounted"


def test_a_forked_child_checks_against_its_own_fds(setup):
    """The readlink check reads the /proc/PID/fd of the process that holds the fds: a
    child forked after the first lookup opens its own."""
    v, task, host = setup
    assert content(v, task, b"/m/a/b/f") == "one"
    parent_fd = vfs_module._proc_self_fd()
    pid = os.fork()
    if pid == 0:
        fresh = vfs_module._proc_self_fd()
        ok = os.readlink(f"/proc/self/fd/{fresh}") == f"/proc/{os.getpid()}/fd"
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert vfs_module._proc_self_fd() == parent_fd
