"""Unit tests of path resolution (umlskas.kernel.vfs.Vfs) and the kernel's /proc (procfs.ProcFs)."""

import errno
import os
import stat as statmod
from types import SimpleNamespace

import pytest

from umlskas.kernel.errors import SyscallError
from umlskas.kernel.fdtable import FdTable
from umlskas.kernel.procfs import ProcDir, ProcFile, ProcFs, ProcLink
from umlskas.kernel.vfs import AT_FDCWD, MAX_SYMLINKS, FileNode, HostPath, Vfs


class FakeKernel:
    def __init__(self):
        self.tasks = {}

    def task_by_vpid(self, vpid):
        return self.tasks.get(vpid)

    def threads_of(self, task):
        return [t for t in self.tasks.values() if t.tgid == task.tgid]


class FakeFile:
    """An open file: host-backed ones have a mode, pipes and sockets may not."""

    vnode = None
    host_fd = None

    def __init__(self, path, mode=None):
        self.path = path
        if mode is not None:
            self.mode = mode
        self.flags = 0

    def release(self):
        pass


def make_task(kernel, tid, tgid=None, cwd="/"):
    t = SimpleNamespace(tid=tid, tgid=tgid or tid, fs=SimpleNamespace(cwd=cwd, umask=0o22, root="/",
                                                                      cwd_dir=None),
                        files=FdTable(), exe="/bin/true", kernel=kernel)
    kernel.tasks[tid] = t
    return t


@pytest.fixture
def kernel():
    return FakeKernel()


@pytest.fixture
def vfs(kernel):
    return Vfs(ProcFs(kernel))


@pytest.fixture
def task(kernel, tree):
    return make_task(kernel, 1, cwd=str(tree))


@pytest.fixture
def tree(tmp_path):
    """
    root/
      d/sub/file        "data"
      d/f               a regular file
      abs -> <root>/d   absolute symlink
      rel -> d/sub      relative symlink
      up -> ../root/d   relative symlink with ..   (root is named 'root')
      c1 -> c2 -> c3 -> d/sub/file     a chain
      dangling -> nowhere
      loop -> loop
      flink -> d/f
    """
    root = tmp_path / "root"
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / "sub" / "file").write_text("data")
    (root / "d" / "f").write_text("f")
    os.symlink(str(root / "d"), root / "abs")
    os.symlink("d/sub", root / "rel")
    os.symlink("../root/d", root / "up")
    os.symlink("c2", root / "c1")
    os.symlink("c3", root / "c2")
    os.symlink("d/sub/file", root / "c3")
    os.symlink("nowhere", root / "dangling")
    os.symlink("loop", root / "loop")
    os.symlink("d/f", root / "flink")
    return root


def host(node):
    assert isinstance(node, HostPath), node
    return node.path


def err(fn, *args, **kw):
    with pytest.raises(SyscallError) as info:
        fn(*args, **kw)
    return info.value.errno


# ---- plain host paths ------------------------------------------------------------------


def test_walk_plain_paths(vfs, task, tree):
    assert host(vfs.walk(task, "/", str(tree / "d" / "sub" / "file"), True)) == \
        str(tree / "d" / "sub" / "file")
    assert host(vfs.walk(task, str(tree), "d/./sub//file", True)) == str(tree / "d/sub/file")
    assert host(vfs.walk(task, str(tree), "d/sub/../f", True)) == str(tree / "d/f")
    assert host(vfs.walk(task, str(tree), ".", True)) == str(tree)


def test_lookup_relative_absolute_and_empty(vfs, task, tree):
    assert host(vfs.lookup(task, AT_FDCWD, b"d/f")) == str(tree / "d/f")
    assert host(vfs.lookup(task, AT_FDCWD, str(tree / "d/f").encode())) == str(tree / "d/f")
    assert err(vfs.lookup, task, AT_FDCWD, b"") == errno.ENOENT
    assert host(vfs.lookup(task, AT_FDCWD, b"", empty_ok=True)) == str(tree)
    assert err(vfs.lookup, task, 42, b"x") == errno.EBADF


def test_lookup_relative_to_dirfd(vfs, task, tree):
    fd = task.files.install(FakeFile(str(tree / "d"), statmod.S_IFDIR | 0o755))
    assert host(vfs.lookup(task, fd, b"sub/file")) == str(tree / "d/sub/file")
    ffd = task.files.install(FakeFile(str(tree / "d/f"), statmod.S_IFREG | 0o644))
    assert err(vfs.lookup, task, ffd, b"x") == errno.ENOTDIR
    # An absolute path ignores dirfd, even a bad one.
    assert host(vfs.lookup(task, 999, str(tree).encode())) == str(tree)
    node = vfs.lookup(task, ffd, b"", empty_ok=True)
    assert isinstance(node, FileNode) and node.file is task.files.get(ffd)


def test_dotdot_at_root_stays_root(vfs, task, tree):
    assert host(vfs.walk(task, "/", "..", True)) == "/"
    assert host(vfs.walk(task, "/", "/../../..", True)) == "/"
    assert host(vfs.lookup(task, AT_FDCWD, b"/../../tmp/..")) == "/"
    real_tmp = os.path.realpath("/tmp")
    assert host(vfs.lookup(task, AT_FDCWD, b"/../tmp")) == real_tmp


def test_missing_last_component_is_a_host_path(vfs, task, tree):
    assert host(vfs.walk(task, str(tree), "d/newfile", True)) == str(tree / "d/newfile")


def test_missing_middle_component_enoent(vfs, task, tree):
    assert err(vfs.walk, task, str(tree), "nope/file", True) == errno.ENOENT


def test_file_in_the_middle_enotdir(vfs, task, tree):
    assert err(vfs.walk, task, str(tree), "d/f/x", True) == errno.ENOTDIR
    assert err(vfs.walk, task, str(tree), "d/f/..", True) == errno.ENOTDIR
    assert err(vfs.walk, task, str(tree), "flink/x", True) == errno.ENOTDIR


# ---- symlinks ---------------------------------------------------------------------------


def test_absolute_symlink(vfs, task, tree):
    assert host(vfs.walk(task, str(tree), "abs/sub/file", True)) == str(tree / "d/sub/file")
    assert host(vfs.walk(task, str(tree), "abs", True)) == str(tree / "d")


def test_relative_symlink(vfs, task, tree):
    assert host(vfs.walk(task, str(tree), "rel/file", True)) == str(tree / "d/sub/file")
    assert host(vfs.walk(task, str(tree), "up/sub", True)) == str(tree / "d/sub")


def test_dotdot_after_symlink_is_physical(vfs, task, tree):
    # rel -> d/sub, so rel/.. is d, not the directory holding rel.
    assert host(vfs.walk(task, str(tree), "rel/..", True)) == str(tree / "d")
    assert host(vfs.walk(task, str(tree), "rel/../f", True)) == str(tree / "d/f")


def test_symlink_chain(vfs, task, tree):
    assert host(vfs.walk(task, str(tree), "c1", True)) == str(tree / "d/sub/file")


def test_nofollow_last_component(vfs, task, tree):
    assert host(vfs.walk(task, str(tree), "c1", False)) == str(tree / "c1")
    assert host(vfs.walk(task, str(tree), "loop", False)) == str(tree / "loop")
    # Links in the middle are still followed.
    assert host(vfs.walk(task, str(tree), "abs/sub", False)) == str(tree / "d/sub")
    assert host(vfs.lookup(task, AT_FDCWD, b"abs", follow=False)) == str(tree / "abs")


def test_dangling_symlink_resolves_to_its_target(vfs, task, tree):
    assert host(vfs.walk(task, str(tree), "dangling", True)) == str(tree / "nowhere")
    assert host(vfs.walk(task, str(tree), "dangling", False)) == str(tree / "dangling")


def test_self_loop_eloop(vfs, task, tree):
    assert err(vfs.walk, task, str(tree), "loop", True) == errno.ELOOP
    assert err(vfs.walk, task, str(tree), "loop/x", False) == errno.ELOOP


def test_eloop_after_40_links(vfs, task, tmp_path):
    chain = tmp_path / "chain"
    chain.mkdir()
    (chain / "target").write_text("t")
    n = MAX_SYMLINKS + 1
    # l0 -> l1 -> ... -> l40 -> target: following l0 takes 41 links.
    for i in range(n):
        os.symlink(f"l{i + 1}" if i + 1 < n else "target", chain / f"l{i}")
    assert MAX_SYMLINKS == 40
    assert host(vfs.walk(task, str(chain), "l1", True)) == str(chain / "target")   # 40 links
    assert err(vfs.walk, task, str(chain), "l0", True) == errno.ELOOP             # 41 links
    assert host(vfs.walk(task, str(chain), "l0", False)) == str(chain / "l0")


def test_trailing_slash(vfs, task, tree):
    node = vfs.walk(task, str(tree), "d/", True)
    assert host(node) == str(tree / "d") and node.slash
    # A trailing slash follows the last link even when asked not to (Linux's LOOKUP_FOLLOW).
    assert host(vfs.walk(task, str(tree), "abs/", False)) == str(tree / "d")
    assert host(vfs.walk(task, "/", "/", False)) == "/"
    # A regular file with a slash is ENOTDIR, as Linux's walk says.
    assert err(vfs.walk, task, str(tree), "d/f/", True) == errno.ENOTDIR
    # A missing name with a slash may still be made (mkdir "new/").
    node = vfs.walk(task, str(tree), "new/", False)
    assert node.exists is False and node.slash


# ---- /proc ------------------------------------------------------------------------------


def test_proc_self_is_the_guest_pid(vfs, kernel, tree):
    t = make_task(kernel, 7, cwd=str(tree))
    assert os.getpid() != 7
    node = vfs.lookup(t, AT_FDCWD, b"/proc/self")
    assert isinstance(node, ProcDir) and node.path == "/proc/7"
    link = vfs.lookup(t, AT_FDCWD, b"/proc/self", follow=False)
    assert isinstance(link, ProcLink) and link.target == "7"
    comm = vfs.lookup(t, AT_FDCWD, b"/proc/self/comm")
    assert isinstance(comm, ProcFile) and comm.path == "/proc/7/comm"
    exe = vfs.lookup(t, AT_FDCWD, b"/proc/self/exe", follow=False)
    assert isinstance(exe, ProcLink) and exe.target == "/bin/true"
    assert host(vfs.lookup(t, AT_FDCWD, b"/proc/self/exe")) == os.path.realpath("/bin/true")
    cwd = vfs.lookup(t, AT_FDCWD, b"/proc/self/cwd/d/f")
    assert host(cwd) == str(tree / "d/f")


def test_proc_thread_self(vfs, kernel, tree):
    make_task(kernel, 3)
    t = make_task(kernel, 4, tgid=3)
    node = vfs.lookup(t, AT_FDCWD, b"/proc/thread-self")
    assert isinstance(node, ProcDir) and node.path == "/proc/3/task/4"
    assert isinstance(vfs.lookup(t, AT_FDCWD, b"/proc/3/task"), ProcDir)
    assert err(vfs.lookup, t, AT_FDCWD, b"/proc/3/task/99") == errno.ENOENT


def test_proc_of_host_pid_not_a_guest_is_enoent(vfs, kernel, task):
    host_pid = os.getpid()
    assert kernel.task_by_vpid(host_pid) is None
    assert err(vfs.lookup, task, AT_FDCWD, f"/proc/{host_pid}".encode()) == errno.ENOENT
    assert err(vfs.lookup, task, AT_FDCWD, f"/proc/{host_pid}/status".encode()) == errno.ENOENT
    assert err(vfs.lookup, task, AT_FDCWD, f"/proc/{host_pid}".encode(),
               follow=False) == errno.ENOENT


def test_proc_is_the_kernels_own(vfs, task):
    """Nothing under /proc is a host path: /proc itself is the kernel's root node."""
    for path in (b"/proc/cpuinfo", b"/proc", b"/proc/self/.."):
        assert not isinstance(vfs.lookup(task, AT_FDCWD, path), HostPath), path
    assert vfs.lookup(task, AT_FDCWD, b"/proc/self/..").path == "/proc"
    assert err(vfs.lookup, task, AT_FDCWD, b"/proc/4194304") == errno.ENOENT


def test_proc_self_fd(vfs, task, tree):
    host_file = task.files.install(FakeFile(str(tree / "d/f"), statmod.S_IFREG | 0o644))
    pipe = task.files.install(FakeFile("pipe:[1234]"))
    node = vfs.lookup(task, AT_FDCWD, b"/proc/self/fd")
    assert isinstance(node, ProcDir) and node.path == "/proc/1/fd"
    assert [os.fsdecode(name) for name, _ in node.entries] == [str(host_file), str(pipe)]
    # A host-backed file's link leads to its host path; a pipe's to the open file itself.
    assert host(vfs.lookup(task, AT_FDCWD, f"/proc/self/fd/{host_file}".encode())) == \
        str(tree / "d/f")
    fnode = vfs.lookup(task, AT_FDCWD, f"/proc/self/fd/{pipe}".encode())
    assert isinstance(fnode, FileNode) and fnode.file is task.files.get(pipe)
    link = vfs.lookup(task, AT_FDCWD, f"/proc/self/fd/{pipe}".encode(), follow=False)
    assert isinstance(link, ProcLink) and link.target == "pipe:[1234]"
    assert err(vfs.lookup, task, AT_FDCWD, b"/proc/self/fd/77") == errno.ENOENT


def test_dev_fd_resolves_into_the_kernels_proc(vfs, task, tree):
    if os.path.realpath("/dev/fd") != "/proc/self/fd" and not os.path.islink("/dev/fd"):
        pytest.skip("no /dev/fd symlink on this host")
    pipe = task.files.install(FakeFile("pipe:[99]"))
    node = vfs.lookup(task, AT_FDCWD, b"/dev/fd")
    assert isinstance(node, (ProcDir, FileNode)), node
    assert isinstance(node, ProcDir) and node.path == "/proc/1/fd"
    fnode = vfs.lookup(task, AT_FDCWD, f"/dev/fd/{pipe}".encode())
    assert isinstance(fnode, FileNode) and fnode.file is task.files.get(pipe)
    assert err(vfs.lookup, task, AT_FDCWD, b"/dev/fd/55") == errno.ENOENT


def test_own_link_to_proc_self_fd_never_reaches_host_proc(vfs, task, tree):
    os.symlink("/proc/self/fd", tree / "myfd")
    fd = task.files.install(FakeFile("socket:[5]"))
    for follow in (True, False):
        node = vfs.walk(task, str(tree), f"myfd/{fd}", follow)
        assert isinstance(node, (FileNode, ProcLink)), node
    node = vfs.walk(task, str(tree), "myfd", True)
    assert isinstance(node, ProcDir) and node.path == "/proc/1/fd"
    # Whatever comes back, it is never the host's /proc/<kernel pid>.
    assert str(os.getpid()) not in node.path


def test_proc_fd_dir_is_a_base_for_relative_walks(vfs, task, tree):
    d = task.files.install(FakeFile(str(tree / "d"), statmod.S_IFDIR | 0o755))
    assert host(vfs.lookup(task, AT_FDCWD, f"/proc/self/fd/{d}/sub/file".encode())) == \
        str(tree / "d/sub/file")
    p = task.files.install(FakeFile("pipe:[1]"))
    assert err(vfs.lookup, task, AT_FDCWD, f"/proc/self/fd/{p}/x".encode()) == errno.ENOTDIR


def test_proc_unknown_entry_enoent(vfs, task):
    assert err(vfs.lookup, task, AT_FDCWD, b"/proc/1/nonesuch") == errno.ENOENT
    assert err(vfs.lookup, task, AT_FDCWD, b"/proc/1/comm/x") == errno.ENOTDIR   # as Linux


def test_proc_dir_listing_via_getdents64(vfs, task, tree):
    task.files.install(FakeFile("pipe:[1]"))
    for path in (b"/proc/self", b"/proc/self/fd", b"/proc/self/task"):
        d = vfs.lookup(task, AT_FDCWD, path).open(None, 0)
        data = d.getdents64(4096)
        assert b"." in data and len(data) > 0


# ---- the mount table ---------------------------------------------------------------

def make_vfs(kernel, tmp_path, specs, **kw):
    v = Vfs(ProcFs(kernel), specs=specs, layers_dir=str(tmp_path / "layers"), **kw)
    return v


def test_mounts_longest_point_wins_and_later_mounts_hide_earlier(kernel, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    v = make_vfs(kernel, tmp_path, [("bind", str(a), "/m", None), ("bind", str(b), "/m", None),
                                    ("tmpfs", None, "/m/t", None)])
    assert v.mount_at("/m/x").host == str(b)
    assert v.mount_at("/m/t/y").fstype == "tmpfs"
    assert v.mount_at("/mx").point == "/"
    assert v.mount_at("/proc/self").fstype == "proc"
    ids = {m.point: m for m in v.mounts}
    assert ids["/m/t"].parent_id == v.mounts[-2].mount_id


def test_ro_bind_refuses_changes(kernel, tmp_path, task):
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "f").write_text("x")
    v = make_vfs(kernel, tmp_path, [("ro-bind", str(ro), "/ro", None)])
    node = v.lookup(task, AT_FDCWD, b"/ro/f")
    assert node.path == str(ro / "f") and node.guest == "/ro/f"
    assert err(v.writable, node) == errno.EROFS
    assert err(v.creatable, v.lookup(task, AT_FDCWD, b"/ro/new")) == errno.EROFS


def test_overlay_copy_up_whiteout_and_opaque(kernel, tmp_path, task):
    lower = tmp_path / "lower"
    (lower / "d").mkdir(parents=True)
    (lower / "d" / "f").write_text("lower")
    (lower / "g").write_text("g")
    v = make_vfs(kernel, tmp_path, [("overlay", str(lower), "/ov", None)])
    m = v.mount_at("/ov")
    f = v.lookup(task, AT_FDCWD, b"/ov/d/f")
    assert f.path == str(lower / "d" / "f")
    up = v.writable(f)
    assert up == m.upper + "/d/f" and open(up).read() == "lower"
    assert v.lookup(task, AT_FDCWD, b"/ov/d/f").path == up
    # Removing a lower file leaves a whiteout; the name is gone from the merged view.
    g = v.lookup(task, AT_FDCWD, b"/ov/g", follow=False)
    v.removed(g, v.lower_exists(g))
    assert os.path.exists(m.upper + "/.wh.g")
    assert v.lookup(task, AT_FDCWD, b"/ov/g").exists is False
    assert sorted(v.merged_names(v.lookup(task, AT_FDCWD, b"/ov"))) == ["d"]
    # A directory made where a removed one was hides the lower's content (opaque).
    d = v.lookup(task, AT_FDCWD, b"/ov/d", follow=False)
    import shutil
    shutil.rmtree(m.upper + "/d")
    v.removed(d, True)
    new = v.lookup(task, AT_FDCWD, b"/ov/d", follow=False)
    os.mkdir(v.creatable(new))
    v.created_dir(new)
    assert v.merged_names(v.lookup(task, AT_FDCWD, b"/ov/d")) == {}
    assert err(v.lookup, task, AT_FDCWD, b"/ov/d/f/x") == errno.ENOENT
    assert os.listdir(lower / "d") == ["f"] and (lower / "g").exists()


def test_mount_point_ancestors_resolve_without_host_dirs(kernel, tmp_path, task):
    src = tmp_path / "src"
    src.mkdir()
    (src / "file").write_text("x")
    v = make_vfs(kernel, tmp_path, [("tmpfs", None, "/scratch", None),
                                    ("bind", str(src), "/scratch/a/b", None),
                                    ("bind", str(src), "/nonexistent-umlskas/c", None)])
    assert v.lookup(task, AT_FDCWD, b"/scratch/a/b/file").path == str(src / "file")
    # Made in the tmpfs (like bwrap); on the host side only walked through.
    assert os.path.isdir(v.mount_at("/scratch").host + "/a/b")
    assert v.lookup(task, AT_FDCWD, b"/nonexistent-umlskas/c/file").path == str(src / "file")
    assert not os.path.exists("/nonexistent-umlskas")
    # A read-only skeleton holds the way down: listable, and EROFS to changes.
    top = v.lookup(task, AT_FDCWD, b"/nonexistent-umlskas")
    assert os.listdir(top.path) == ["c"] and top.mount.readonly
    assert "nonexistent-umlskas" in v.mount_children["/"]


def test_root_dotdot_and_symlinks_stay_inside(kernel, tmp_path, task):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "abs").symlink_to(tmp_path)
    (root / "etc" / "rel").symlink_to("../../..")
    v = make_vfs(kernel, tmp_path, [], root=str(root))
    assert v.lookup(task, AT_FDCWD, b"/../../..").path == str(root)
    assert v.lookup(task, AT_FDCWD, b"/etc/rel").path == str(root)
    # The absolute target is read in the guest's view, where it does not exist.
    assert err(v.lookup, task, AT_FDCWD, b"/etc/abs") == errno.ENOENT


# ---- the host by directory fds (issue 10, item 3) ------------------------------------

from umlskas.kernel import vfs as vfsmod  # noqa: E402


@pytest.fixture(params=["openat2", "per-name"])
def beneath(request, monkeypatch):
    """open_beneath with openat2, and with the O_NOFOLLOW fallback of hosts without it."""
    if request.param == "openat2" and not vfsmod.HAVE_OPENAT2:
        pytest.skip("this host has no openat2")
    monkeypatch.setattr(vfsmod, "HAVE_OPENAT2", request.param == "openat2")
    return vfsmod.open_beneath


def test_open_beneath_follows_no_symlink_and_has_no_depth_limit(beneath, tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f").write_text("f")
    (tmp_path / "link").symlink_to("a")
    (tmp_path / "a" / "out").symlink_to("/")
    top = os.open(tmp_path, vfsmod.DIR_FLAGS)
    try:
        fd = beneath(top, "a/b")
        assert os.path.samestat(os.fstat(fd), os.stat(tmp_path / "a" / "b"))
        os.close(fd)
        for rel, code in (("link/b", errno.ELOOP), ("a/out/tmp", errno.ELOOP),
                          ("a/b/f/x", errno.ENOTDIR), ("a/nothing/x", errno.ENOENT)):
            with pytest.raises(OSError) as info:
                beneath(top, rel)
            assert info.value.errno == code, rel
        # Longer than PATH_MAX: opened in pieces (long names keep the tree shallow
        # enough for shutil.rmtree).
        name = "d" * 200
        deep = "/".join([name] * 25)
        fd = top
        for _ in range(25):
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, vfsmod.DIR_FLAGS, dir_fd=fd)
            if fd != top:
                os.close(fd)
            fd = nfd
        bottom = os.fstat(fd)
        os.close(fd)
        fd = beneath(top, deep)
        assert os.path.samestat(os.fstat(fd), bottom)
        os.close(fd)
    finally:
        os.close(top)


def test_directory_swapped_for_a_symlink_mid_walk_is_not_followed_on_the_host(
        kernel, tmp_path, task, monkeypatch):
    """The walk saw R/x as a directory; before it steps in, x becomes a symlink to a
    directory outside R. The step opens no symlink (O_NOFOLLOW): it looks again and
    follows the new link in the guest's view, where the host path does not exist."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "x").mkdir(parents=True)
    (root / "x" / "f").write_text("inside")
    outside.mkdir()
    (outside / "f").write_text("secret")
    v = make_vfs(kernel, tmp_path, [], root=str(root))
    real_enter = Vfs._enter
    swaps = []

    def enter(m, pdir, dfd, upper, name, rel):
        if name == "x" and not swaps:
            os.rename(root / "x", root / "x.old")
            os.symlink(outside, root / "x")
            swaps.append(1)
        return real_enter(m, pdir, dfd, upper, name, rel)
    monkeypatch.setattr(Vfs, "_enter", staticmethod(enter))
    monkeypatch.setattr(vfsmod, "HAVE_OPENAT2", False)      # one step at a time
    assert err(v.lookup, task, AT_FDCWD, b"/x/f") == errno.ENOENT and swaps


def test_directory_renamed_mid_walk_is_enoent_not_an_exception(kernel, tmp_path, task,
                                                               monkeypatch):
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    v = make_vfs(kernel, tmp_path, [], root=str(root))
    real_step = Vfs._step

    def step(m, pdir, name, rel):
        got = real_step(m, pdir, name, rel)
        if name == "a" and (root / "a").exists():
            os.rename(root / "a", root / "gone")
        return got
    monkeypatch.setattr(Vfs, "_step", staticmethod(step))
    monkeypatch.setattr(vfsmod, "HAVE_OPENAT2", False)
    assert err(v.lookup, task, AT_FDCWD, b"/a/b/c") == errno.ENOENT


def test_guest_dotdot_is_found_again_beneath_the_mount_root(kernel, tmp_path, task):
    """After "..", the directory is opened again from the mount's root fd with no
    symlink allowed: a host symlink there now is not followed (ENOTDIR: not a
    directory any more)."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "a" / "b").mkdir(parents=True)
    (outside / "b").mkdir(parents=True)
    v = make_vfs(kernel, tmp_path, [], root=str(root))
    t = make_task(kernel, 2, cwd="/a/b")
    assert v.lookup(t, AT_FDCWD, b"..").guest == "/a"
    os.rename(root / "a", root / "a.old")
    os.symlink(outside, root / "a")
    assert err(v.lookup, t, AT_FDCWD, b"../b") in (errno.ELOOP, errno.ENOTDIR)
    assert err(v.lookup, t, AT_FDCWD, b"/a/b/c") == errno.ENOENT     # the guest's view


def test_cwd_held_as_an_fd_follows_its_directory(kernel, tmp_path):
    """A cwd reached by chdir is an O_PATH fd: relative names are found in that
    directory even after the host renamed it (as Linux), by fd not by string."""
    from umlskas.kernel.syscalls.fs import host_dir_of
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "f").write_text("f")
    v = make_vfs(kernel, tmp_path, [], root=str(root))
    t = make_task(kernel, 3, cwd="/")
    node = v.lookup(t, AT_FDCWD, b"/a")
    t.fs.cwd, t.fs.cwd_dir = node.guest, host_dir_of(v, node)
    os.rename(root / "a", root / "moved")
    got = v.lookup(t, AT_FDCWD, b"f")
    assert got.exists and os.path.samestat(got.lstat(), os.stat(root / "moved" / "f"))
