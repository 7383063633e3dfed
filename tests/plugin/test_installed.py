"""umlskas as a user gets it from `pip install`: the wheel's tag, and `umlskas bench` run
from an installed package in a directory that is not the checkout."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.timeout(300)


def copy_checkout(dest):
    """The checkout's files (tracked and new, not ignored; no tests), as an sdist would
    have them: the build must not write into the checkout others work in."""
    try:
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    for rel in files:
        if not rel or rel.startswith("tests/") or not os.path.isfile(os.path.join(REPO, rel)):
            continue
        os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
        shutil.copy2(os.path.join(REPO, rel), os.path.join(dest, rel))
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    if shutil.which("cc") is None:
        pytest.skip("no C compiler")
    pytest.importorskip("wheel")
    base = tmp_path_factory.mktemp("wheel")
    src = copy_checkout(str(base / "src"))
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "--no-index", "-w", str(base / "dist"), src],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    wheels = os.listdir(base / "dist")
    assert len(wheels) == 1, wheels
    return str(base / "dist" / wheels[0])


def test_wheel_is_tagged_for_its_compiled_files(wheel):
    name = os.path.basename(wheel)
    impl = "cp%d%d" % sys.version_info[:2]
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    assert name.endswith("-%s-%s-%s.whl" % (impl, impl, platform)), name
    assert "py3-none-any" not in name
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        wheel_meta = z.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode()
    assert "Root-Is-Purelib: false" in wheel_meta
    assert "umlskas/host/umlskas-stub" in names
    assert any(n.startswith("umlskas/host/_fastpath") and n.endswith(".so") for n in names)
    assert "umlskas/workloads/getpid_loop.c" in names


def test_bench_from_an_installed_package(wheel, tmp_path):
    venv = tmp_path / "venv"
    # System site-packages give the dependencies (no network); the venv's own umlskas
    # comes first on sys.path, before any editable install of the checkout.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    p = subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("PYTHONPATH", None)
    env.pop("UMLSKAS_CACHE_DIR", None)
    where = subprocess.run([py, "-c", "import umlskas.bench as b; print(b.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), where
    p = subprocess.run([str(venv / "bin" / "umlskas"), "bench", "--quick", "--rounds", "1",
                        "--only", "getpid,native,skas"], cwd=elsewhere, env=env,
                       capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert any(line.startswith("getpid [us/op") for line in lines), p.stdout
    skas = [line for line in lines if line.strip().startswith("umlskas SKAS")]
    assert skas and "FAILED" not in skas[0], p.stdout
    built = os.listdir(tmp_path / "cache" / "umlskas" / "bench")
    assert any(n.startswith("getpid_loop-") for n in built), built
    assert not any(n.startswith(".") for n in built), built      # no half-built leftovers
