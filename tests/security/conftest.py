"""pytest wiring for the escape suite: the behaviour tests' modes, fixtures and timeouts.

Every attack here runs as a guest under each umlskas mode; where a native run is
safe (it touches only files the test made) native Linux is the oracle too.
Never run a probe of this directory natively as root outside its test.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BEHAVIOUR = Path(__file__).resolve().parents[1] / "behaviour"
sys.path.insert(0, str(BEHAVIOUR))

_spec = importlib.util.spec_from_file_location("behaviour_conftest", BEHAVIOUR / "conftest.py")
_behaviour = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_behaviour)

MODES = _behaviour.MODES
pytest_generate_tests = _behaviour.pytest_generate_tests
guests = _behaviour.guests
scratch = _behaviour.scratch


@pytest.fixture
def sleeper():
    """A host process (and process group) the test owns: nothing a guest does may reach it."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()
