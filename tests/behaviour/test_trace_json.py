"""--trace-json against strace -f: every syscall strace shows natively is in our trace,
with the same arguments where they do not depend on addresses."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from harness import DEFAULT_ENV, REPO_ROOT

STRACE = shutil.which("strace")
LINE = re.compile(r"^(?:\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\w+)")


@pytest.mark.skipif(STRACE is None, reason="strace not installed")
@pytest.mark.parametrize("umode", ["skas", "tt"])
def test_trace_json_of_ls_names_what_strace_shows(umode, tmp_path):
    native = subprocess.run([STRACE, "-f", "-qq", "-o", str(tmp_path / "strace.txt"),
                             "/bin/ls", "/"], capture_output=True, env=DEFAULT_ENV, timeout=60)
    assert native.returncode == 0, native.stderr
    strace_calls = []
    for line in (tmp_path / "strace.txt").read_text().splitlines():
        m = LINE.match(line)
        if m:
            strace_calls.append((m.group(1), m.group(2)))
    assert strace_calls, "strace printed nothing usable"
    out = tmp_path / "trace.jsonl"
    run = subprocess.run([sys.executable, "-m", "umlskas", "run", "--mode", umode,
                          "--trace-json", str(out), "--", "/bin/ls", "/"],
                         cwd=REPO_ROOT, capture_output=True, env=DEFAULT_ENV, timeout=60)
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    ours = {r["name"] for r in records}
    assert {name for name, _ in strace_calls} <= ours
    # Path arguments (no addresses in them) are the same strings.
    strace_paths = {args.split(",")[1].strip().strip('"') for name, args in strace_calls
                    if name == "openat"}
    our_paths = {r["args"][1] for r in records if r["name"] == "openat"}
    assert strace_paths <= our_paths, strace_paths - our_paths
