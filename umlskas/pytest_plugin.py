"""pytest plugin: the `umlskas` fixture, a Sandbox over a private scratch directory.

Registered through the `pytest11` entry point, so installing umlskas enables it:

    def test_prog(umlskas):
        r = umlskas.run(["./prog"], trace=True)
        assert r.returncode == 0 and "openat" in r.names()

    @pytest.mark.umlskas_mode("tt")
    def test_prog_tt(umlskas): ...

The scratch directory (the test's tmp_path) is the Sandbox's cwd and is emptied
after the test; the guest's /tmp is a private tmpfs (what the guest writes there is in
Result.changes, by guest path), gone with the fixture.
"""

import shutil

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "umlskas_mode(name): run the umlskas fixture's programs in mode NAME "
                   "(skas or tt)")


@pytest.fixture
def umlskas(request, tmp_path):
    """A umlskas.Sandbox whose cwd is a private scratch directory (tmp_path)."""
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
