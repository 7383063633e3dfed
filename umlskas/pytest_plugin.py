"""pytest plugin: the `sandbox` fixture (alias `umlskas_run`, and `umlskas` as before), a private Sandbox.

Registered through the `pytest11` entry point, so installing umlskas enables it:

    def test_prog(sandbox):
        r = sandbox.run(["sh", "-c", "echo hi > out.txt"], trace=True)
        assert r.returncode == 0 and "openat" in r.names()
        assert r.changes.paths("created") == ["out.txt"]

    @pytest.mark.umlskas_mode("tt")
    def test_prog_tt(sandbox): ...

The fixture's names do not hide the module: a test can `import umlskas` and use the
fixture too. `umlskas` is kept as an alias for the suites written against it.
The scratch directory (the test's tmp_path) is the Sandbox's cwd and is emptied
after the test; the guest's /tmp is a private tmpfs (what the guest writes there is in
Result.changes, by guest path), gone with the fixture. Nothing is shared between
tests or pytest-xdist workers: tmp_path is per test, the writable layers are in a
fresh private directory, and every guest (each one is pid 1 in its own world) has
its own /tmp.
"""

import shutil

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "umlskas_mode(name): run the umlskas fixture's programs in mode NAME "
                   "(skas or tt)")


def _sandbox(request, tmp_path):
    from umlskas.api import Bind, Sandbox, Tmpfs
    marker = request.node.get_closest_marker("umlskas_mode")
    mode = marker.args[0] if marker and marker.args else "skas"
    if mode not in ("skas", "tt"):
        raise pytest.UsageError(f"umlskas_mode({mode!r}): the modes are skas and tt")
    # The guest's /tmp is a private tmpfs; the test's scratch directory stays visible
    # through it (a bind mount), so inputs and outputs can be put and read there.
    box = Sandbox(cwd=tmp_path, mode=mode, mounts=[Tmpfs("/tmp"), Bind(str(tmp_path))])
    try:
        yield box
    finally:
        box.close()
        for child in tmp_path.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


@pytest.fixture
def sandbox(request, tmp_path):
    """A umlskas.Sandbox whose cwd is a private scratch directory (tmp_path)."""
    yield from _sandbox(request, tmp_path)


@pytest.fixture
def umlskas_run(sandbox):
    """The `sandbox` fixture, by a name that says whose it is."""
    return sandbox


@pytest.fixture
def umlskas(sandbox):
    """The `sandbox` fixture by its first name (it hides the module in the test: prefer
    `sandbox` or `umlskas_run`)."""
    return sandbox
