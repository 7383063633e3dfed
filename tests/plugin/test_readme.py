"""The README's Python examples run as written: the API example from a working directory
under /tmp, the pytest example in a pytest of its own, and a suite using the fixture
under pytest-xdist (`pytest -n 2`)."""

import os
import re
import subprocess
import sys
import tempfile
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.timeout(240)


def python_blocks():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def env_with_checkout():
    """The subprocess imports this checkout's umlskas (and its pytest plugin)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


# Registers the plugin from a checkout that is not installed (an installed umlskas has
# it through its pytest11 entry point already).
CONFTEST = """
import umlskas.pytest_plugin

def pytest_configure(config):
    pm = config.pluginmanager
    if not pm.is_registered(umlskas.pytest_plugin) and pm.get_plugin("umlskas") is None:
        pm.register(umlskas.pytest_plugin, "umlskas")
        umlskas.pytest_plugin.pytest_configure(config)
"""


def test_api_example_runs_as_written_from_under_tmp():
    block = next(b for b in python_blocks() if "umlskas.run(" in b and "Overlay" in b)
    with tempfile.TemporaryDirectory(prefix="readme-", dir="/tmp") as work:
        os.mkdir(os.path.join(work, "project"))
        with open(os.path.join(work, "project", "README"), "w") as f:
            f.write("read me\n")
        with open(os.path.join(work, "project", "old"), "w") as f:
            f.write("old\n")
        # Each expression line's value is printed, as an interactive session shows it.
        lines = []
        for line in block.splitlines():
            if line.startswith("r.") or line.startswith("[("):
                line = f"print(repr(({line})))"
            lines.append(line)
        with open(os.path.join(work, "example.py"), "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run([sys.executable, "example.py"], cwd=work, env=env_with_checkout(),
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        out = p.stdout.splitlines()
        assert out[0].startswith("(0, b'hi\\n', ['f'], ['execve',"), out
        assert out[1] == ("([('modified', '/src/README'), ('deleted', '/src/old')], "
                          "b'read me\\nx\\n')"), out
        # The host's project is untouched: the overlay kept the writes.
        assert sorted(os.listdir(os.path.join(work, "project"))) == ["README", "old"]


def test_pytest_example_passes_as_written(tmp_path):
    block = next(b for b in python_blocks() if "def test_" in b)
    assert "(sandbox)" in block
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_readme_example.py").write_text(block)
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(tmp_path)], cwd=tmp_path, env=env_with_checkout(),
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 passed" in p.stdout


SUITE = '''
import os
import pytest
import umlskas     # the fixtures' names do not hide the module

SCRIPT = ("set -C; echo $$ > /tmp/pid-$$.lock || exit 9; "   # every guest is pid 1
          "echo data > out.txt; sleep 0.2; cat /tmp/pid-$$.lock out.txt")

@pytest.mark.parametrize("i", range(4))
def test_sandbox(sandbox, i):
    assert isinstance(sandbox, umlskas.Sandbox)
    r = sandbox.run(["sh", "-c", SCRIPT])
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"1\\ndata\\n"
    assert sorted(c.guest for c in r.changes.created) == [
        "/tmp/pid-1.lock", os.path.join(sandbox.cwd, "out.txt")]

@pytest.mark.parametrize("i", range(2))
def test_old_name(umlskas, i):
    assert umlskas.run(["sh", "-c", SCRIPT]).returncode == 0

@pytest.mark.umlskas_mode("tt")
def test_other_name(umlskas_run):
    assert umlskas_run.mode == "tt"
    assert umlskas_run.run(["sh", "-c", SCRIPT]).returncode == 0
'''


def test_xdist_two_workers(tmp_path):
    pytest.importorskip("xdist")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_suite.py").write_text(textwrap.dedent(SUITE))
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                        str(tmp_path)], cwd=tmp_path, env=env_with_checkout(),
                       capture_output=True, text=True, timeout=200)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "7 passed" in p.stdout
