"""pytest wiring for the behaviour tests; the machinery is in harness.py.

Every test taking the ``mode`` fixture runs once per entry of ``MODES``.
"native" is the oracle: for the other modes the program also runs natively
and stdout + exit status must match.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import harness

# The execution modes every behaviour test runs in.  "native" is the oracle.
# Adding a mode here (once `umlskas run --mode X` passes the whole suite, as tt and
# seccomp did) is all that is needed; harness.MODE_FLAGS maps a mode to its extra
# `umlskas run` options.
MODES = ["native", "skas", "tt"]


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): per-test timeout (pytest-timeout)")
    harness.become_subreaper()


def pytest_generate_tests(metafunc):
    if "mode" in metafunc.fixturenames:
        metafunc.parametrize("mode", MODES)


def pytest_collection_modifyitems(config, items):
    """Default timeout for every behaviour and escape-suite test: a ptrace bug is a hang."""
    here = Path(__file__).resolve().parent
    dirs = (here, here.parent / "security")
    for item in items:
        try:
            inside = any(Path(str(item.fspath)).resolve().is_relative_to(d) for d in dirs)
        except (OSError, ValueError):
            inside = False
        if inside and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(harness.TEST_TIMEOUT))


@pytest.fixture(scope="session")
def guests() -> harness.Guests:
    """The compiled C guests (built once, cached by source hash)."""
    return harness.build_guests()


@pytest.fixture
def scratch(tmp_path):
    """Factory: scratch("native") -> resolved path of a fresh make_tree()."""
    def make(name):
        return harness.make_tree(tmp_path / name)
    return make
