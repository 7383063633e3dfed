"""umlskas bench as a package: workloads built into a per-user cache, --only and --plot
checked before a run (usage errors, exit 2), no negative numbers in the table."""

import os
import shutil
import subprocess
import sys

import pytest

from umlskas import bench
from umlskas.bench import Mech, Micro

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")


def test_workload_sources_ship_in_the_package():
    for name in bench.SOURCES:
        assert os.path.isfile(os.path.join(bench.WORKLOADS_DIR, name + ".c")), name
    assert bench.WORKLOADS_DIR.startswith(os.path.dirname(bench.__file__))


def test_cache_dir_follows_xdg_and_the_override(monkeypatch, tmp_path):
    monkeypatch.delenv("UMLSKAS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert bench.cache_dir() == str(tmp_path / "xdg" / "umlskas" / "bench")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert bench.cache_dir() == str(tmp_path / "home" / ".cache" / "umlskas" / "bench")
    monkeypatch.setenv("UMLSKAS_CACHE_DIR", str(tmp_path / "own"))
    assert bench.cache_dir() == str(tmp_path / "own" / "bench")


@needs_cc
def test_build_is_cached_by_source_flags_and_compiler(monkeypatch, tmp_path):
    monkeypatch.setenv("UMLSKAS_CACHE_DIR", str(tmp_path))
    exe = bench.build_c("cc", "tiny_exit", bench.GUEST_CFLAGS)
    assert os.path.dirname(exe) == str(tmp_path / "bench") and os.access(exe, os.X_OK)
    assert subprocess.run([exe]).returncode == 0
    mtime = os.stat(exe).st_mtime_ns
    assert bench.build_c("cc", "tiny_exit", bench.GUEST_CFLAGS) == exe      # cached
    assert os.stat(exe).st_mtime_ns == mtime
    other = bench.build_c("cc", "tiny_exit", bench.GUEST_CFLAGS + ["-O1"])
    assert other != exe                                                     # new flags, new file
    src = tmp_path / "src"
    src.mkdir()
    (src / "tiny_exit.c").write_text(open(os.path.join(bench.WORKLOADS_DIR, "tiny_exit.c")).read()
                                     + "\n/* changed */\n")
    assert bench.build_c("cc", "tiny_exit", bench.GUEST_CFLAGS, src_dir=str(src)) not in (exe, other)
    assert not [n for n in os.listdir(tmp_path / "bench") if n.startswith(".")]   # no temporaries


@needs_cc
def test_a_failed_build_leaves_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("UMLSKAS_CACHE_DIR", str(tmp_path))
    src = tmp_path / "src"
    src.mkdir()
    (src / "broken.c").write_text("this is not C\n")
    with pytest.raises(bench.BuildError):
        bench.build_c("cc", "broken", [], src_dir=str(src))
    assert os.listdir(tmp_path / "bench") == []
    with pytest.raises(bench.BuildError):
        bench.compiler_id("no-such-compiler-here")


def test_parse_only():
    assert bench.parse_only("getpid, skas") == ["getpid", "skas"]
    assert bench.parse_only(None) == []
    with pytest.raises(ValueError) as info:
        bench.parse_only("getpid,nosuch")
    text = str(info.value)
    assert "'nosuch'" in text and "getpid" in text and "runsc" in text


def test_select_with_names_of_absent_items():
    ws = [Micro("getpid", "g", None, 1, 1), Micro("ls_doc", "l", None, 1, 1)]
    # "sqlite" is a workload name (absent here): the selection keeps none of the others.
    assert bench.select(ws, ["sqlite"], universe=bench.WORKLOAD_NAMES) == []
    assert bench.select(ws, ["skas"], universe=bench.WORKLOAD_NAMES) == ws


def test_negative_slopes_are_clamped_with_a_note():
    w = Micro("getpid", "getpid", lambda n: ["g", str(n)], 10, 1)
    mechs = [Mech("native", "native", top_is_guest=True), Mech("skas", "SKAS", stops=1.0)]
    res = {"getpid": {
        "native": {"status": "ok", "samples": [-0.02, 0.01, -0.01], "cs_top": [1, -2, 1],
                   "cs_child": [None, None, None], "tt": []},
        "skas": {"status": "ok", "samples": [4.0, 3.0, 5.0], "cs_top": [1.0, -1.0, 1.0],
                 "cs_child": [-3.0, 2.0, 1.0], "tt": []}}}
    bench.finish([w], mechs, res)
    native = res["getpid"]["native"]
    assert native["median"] == 0.0 and native["min"] == 0.0 and native["samples_below_zero"] == 2
    text = bench.table([w], mechs, res)
    assert "getpid / native: 2 of 3 samples were below 0" in text
    for line in text.splitlines():
        if line.strip().startswith(("native", "SKAS")):
            cells = line.split()[1:]
            assert not any(c.startswith("-") and c != "-" for c in cells), line


def bench_cli(*args):
    return subprocess.run([sys.executable, "-m", "umlskas", "bench", *args],
                          capture_output=True, text=True, timeout=60)


def test_cli_only_unknown_name_is_a_usage_error():
    p = bench_cli("--only", "getpid,nosuch")
    assert p.returncode == 2
    assert "nosuch" in p.stderr and "write_null" in p.stderr and "proot" in p.stderr
    assert "umlskas bench" not in p.stdout       # nothing ran


def test_cli_plot_without_matplotlib_fails_before_the_run(tmp_path):
    try:
        import matplotlib  # noqa: F401
        pytest.skip("matplotlib is installed here")
    except ImportError:
        pass
    p = bench_cli("--plot", str(tmp_path / "x.png"))
    assert p.returncode == 2 and "matplotlib" in p.stderr
    assert not (tmp_path / "x.png").exists()


def test_cli_help_lists_the_names_and_the_quick_time():
    p = bench_cli("--help")
    assert p.returncode == 0
    for name in bench.WORKLOAD_NAMES + bench.MECHANISM_NAMES:
        assert name in p.stdout, name
    assert "--quick" in p.stdout and " s " in p.stdout
