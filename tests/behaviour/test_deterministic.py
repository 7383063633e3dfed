"""--deterministic: the same bytes in every run; another seed, other bytes."""

import shutil
import subprocess
import sys

import pytest

from harness import REPO_ROOT

PY = "/usr/bin/python3.11"
SCRIPT = "import random, time, os, uuid; print(random.random(), time.time(), os.getpid(), uuid.uuid4())"


def umlskas(*args):
    return subprocess.run([sys.executable, "-m", "umlskas", "run", *args], cwd=REPO_ROOT,
                          capture_output=True, timeout=60)


@pytest.mark.timeout(120)
def test_python_time_random_pid_uuid_repeat_and_depend_on_the_seed():
    runs = {umlskas("--deterministic", "--", PY, "-c", SCRIPT).stdout for _ in range(3)}
    assert len(runs) == 1 and runs.pop().split()[2] == b"1"
    other = umlskas("--deterministic", "--seed", "7", "--", PY, "-c", SCRIPT).stdout
    first = umlskas("--deterministic", "--", PY, "-c", SCRIPT).stdout
    assert other != first


@pytest.mark.timeout(120)
def test_busybox_pipeline_with_date_random_and_ps_repeats():
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox not installed")
    script = "date; echo $RANDOM $RANDOM; busybox ps; sleep 1 | cat; date +%s.%N"
    outs = {umlskas("--deterministic", "--", busybox, "sh", "-c", script).stdout
            for _ in range(3)}
    assert len(outs) == 1
    assert b"busybox ps" in outs.pop()


@pytest.mark.timeout(120)
def test_verify_passes_on_the_kernels_own_uptime():
    p = umlskas("--verify", "--deterministic", "--", "/bin/cat", "/proc/uptime")
    assert p.returncode == 0, p.stderr


@pytest.mark.timeout(120)
def test_verify_names_the_difference_of_the_host_uptime_through_a_bind_mount():
    p = umlskas("--verify", "--deterministic", "--ro-bind", "/proc:/mnt/hostproc", "--",
                "/bin/cat", "/mnt/hostproc/uptime")
    assert p.returncode == 1, p.stderr
    assert b"the two runs differ: stdout line 1 differs" in p.stderr
