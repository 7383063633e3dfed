"""`umlskas run --verify`: both runs start from the same files (each over its own
copy-on-write layer), umlskas' own files never show in the guest, tmpfs working
directories work."""

import os
import shutil
import subprocess
import sys

import pytest

from umlskas.api import copy_on_write_options

pytestmark = pytest.mark.timeout(120)

BUSYBOX = shutil.which("busybox")
needs_busybox = pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "umlskas", "run", *args], cwd=cwd,
                          capture_output=True, stdin=subprocess.DEVNULL)


@needs_busybox
def test_both_runs_start_from_the_same_state(tmp_path):
    script = "if [ -e mark ]; then echo second; else echo first; fi; touch mark; echo x >> log"
    p = cli("--verify", "--deterministic", "--", BUSYBOX, "sh", "-c", script, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"first\n"
    assert b"two runs, same stdout and trace" in p.stderr
    assert sorted(os.listdir(tmp_path)) == []        # the host kept none of it


@needs_busybox
def test_a_read_write_bind_gets_a_layer_per_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    script = "if [ -e /out/mark ]; then echo second; else echo first; fi; touch /out/mark"
    p = cli("--verify", "--deterministic", "--bind", f"{out}:/out", "--", BUSYBOX, "sh", "-c",
            script, cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == b"first\n", p.stderr
    assert os.listdir(out) == []


@needs_busybox
def test_tmpfs_cwd(tmp_path):
    p = cli("--verify", "--deterministic", "--tmpfs", "/x", "--cwd", "/x", "--", BUSYBOX, "sh",
            "-c", "pwd; echo a > f; ls", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"/x\nf\n"


@needs_busybox
def test_umlskas_files_are_not_in_the_guests_tmp(tmp_path):
    p = cli("--verify", "--deterministic", "--", BUSYBOX, "sh", "-c", "ls -a /tmp /dev/shm",
            cwd="/")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [b"/dev/shm:", b".", b"..", b"/tmp:", b".", b".."]


@needs_busybox
def test_api_files_are_not_in_the_guests_tmp_either(tmp_path):
    import umlskas
    r = umlskas.run([BUSYBOX, "ls", "-a", "/tmp"], trace=True, cwd=str(tmp_path), timeout=60)
    assert r.returncode == 0
    names = r.stdout.decode().split()
    assert not [n for n in names if n.startswith(("umlskas-trace", "umlskas-stats",
                                                  "umlskas-api", "umlskas-layers"))]


def test_the_options_of_a_verify_run(tmp_path):
    d = str(tmp_path)
    assert copy_on_write_options(["--bind", f"{d}:/b", "--tmpfs", "/x", "--writable-cwd"]) == \
        ["--sandbox", "--overlay", f"{d}:/b", "--tmpfs", "/x"]
    assert copy_on_write_options(["--overlay", f"{d}:/o:{d}/up", "--sandbox"]) == \
        ["--sandbox", "--overlay", f"{d}:/o"]
    assert copy_on_write_options(["--root", d, "--hostname", "h"]) == \
        ["--sandbox", "--root", d, "--hostname", "h"]
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(ValueError):
        copy_on_write_options(["--bind", f"{f}:/f"])


def test_a_file_bind_is_a_usage_error(tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    p = cli("--verify", "--bind", f"{f}:/f", "--", "true", cwd=tmp_path)
    assert p.returncode == 2 and b"--ro-bind" in p.stderr
