"""The `umlskas` fixture and the Python API (umlskas.run, Sandbox, the exceptions)."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import psutil
import pytest

import umlskas as umlskas_pkg
from umlskas.api import Result, Changes, _check

pytestmark = pytest.mark.timeout(120)

GUEST = r"""
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    const char *msg = argc > 1 ? argv[1] : "hello";
    int fd = open("written.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 2;
    write(fd, msg, strlen(msg));
    close(fd);
    unlink("doomed.txt");
    printf("wrote %s\n", msg);
    return 7;
}
"""

MODES = [pytest.param("skas", marks=pytest.mark.umlskas_mode("skas")),
         pytest.param("tt", marks=pytest.mark.umlskas_mode("tt"))]


def compile_guest(directory, source=GUEST, name="guest"):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    src = os.path.join(directory, name + ".c")
    with open(src, "w") as f:
        f.write(source)
    exe = os.path.join(directory, name)
    subprocess.run([cc, "-O", "-o", exe, src], check=True)
    os.unlink(src)
    return exe


@pytest.mark.parametrize("mode", MODES)
def test_guest_in_fixture(umlskas, mode):
    assert umlskas.mode == mode
    exe = compile_guest(umlskas.cwd)
    umlskas.write("doomed.txt", "bye")
    r = umlskas.run([exe, "from-test"], trace=True)
    assert r.returncode == 7
    assert r.stdout == b"wrote from-test\n"
    names = r.names()
    assert "openat" in names and "write" in names and names[-1] == "exit_group"
    opened = [c for c in r.syscalls if c["name"] == "openat" and c["args"][1] == "written.txt"]
    assert opened and opened[0]["args"][2] == "O_WRONLY|O_CREAT|O_TRUNC"
    assert opened[0]["result"] >= 0 and opened[0]["errno"] is None
    assert all(c["tgid"] == 1 for c in r.syscalls)
    # The file it wrote, through the snapshot of the watched directory (its cwd).
    assert r.changes.paths("created") == ["written.txt"]
    assert r.changes.get("written.txt").read() == b"from-test"
    assert r.changes.paths("deleted") == ["doomed.txt"]
    assert r.stats["syscalls"]["write"] >= 2
    assert r.stats["total_syscalls"] == len(r.syscalls)
    assert r.stats["stops"] >= len(r.syscalls)
    assert r.stats["kernel_cpu_s"]["user"] >= 0 and "guest_cpu_s" in r.stats


def test_fixture_default_mode_and_scratch(umlskas, tmp_path):
    assert umlskas.mode == "skas"
    assert umlskas.cwd == str(tmp_path)


def test_sandbox_runs_share_the_directory(umlskas):
    first = umlskas.run(["sh", "-c", "echo one > note.txt"])
    assert first.returncode == 0 and first.changes.paths() == ["note.txt"]
    second = umlskas.run(["cat", "note.txt"])
    assert second.stdout == b"one\n"
    assert not second.changes
    assert second.syscalls == [] and second.stats["syscalls"] is None
    assert len(umlskas.results) == 2


def test_trace_filter(umlskas):
    r = umlskas.run(["sh", "-c", "echo hi > f"], trace="%file,write")
    names = set(r.names())
    assert "write" in names and "mmap" not in names and names


def test_env_input_and_signal(umlskas):
    r = umlskas.run(["sh", "-c", "read x; echo $x $FOO"], env={"FOO": "bar", "PATH": "/usr/bin:/bin"},
                    input=b"in\n")
    assert r.stdout == b"in bar\n"
    r = umlskas.run(["sh", "-c", "kill -TERM $$"])
    assert r.returncode == -15


def test_program_not_found(umlskas):
    with pytest.raises(umlskas_pkg.ProgramNotFound) as info:
        umlskas.run(["no-such-program-anywhere"])
    assert info.value.result.returncode == 127
    # A guest's own 127 is a plain result.
    assert umlskas.run(["sh", "-c", "exit 127"]).returncode == 127


def test_timeout_kills_everything(umlskas):
    start = time.monotonic()
    with pytest.raises(umlskas_pkg.Timeout) as info:
        umlskas.run(["sh", "-c", "sleep 30 & sleep 30; wait"], timeout=1)
    assert time.monotonic() - start < 15
    assert info.value.result.returncode < 0
    me = psutil.Process()
    stubs = [p for p in psutil.process_iter(["name", "ppid", "status"])
             if "umlskas-stub" in (p.info["name"] or "") and p.info["status"] != psutil.STATUS_ZOMBIE
             and p.info["ppid"] in (1, me.pid)]
    # None of ours: the stubs of this run died with their kernel (PTRACE_O_EXITKILL).
    assert not [p for p in stubs if p.info["ppid"] == me.pid]


def test_kernel_fault_is_recognised():
    result = Result(["x"], 125, b"", b"umlskas: the kernel stopped the guest: kernel bug in read\nTraceback\n",
                    [], Changes(), {})
    with pytest.raises(umlskas_pkg.KernelFault) as info:
        _check(result)
    assert info.value.message.startswith("kernel bug in read")
    _check(Result(["x"], 125, b"", b"guest said 125\n", [], Changes(), {}))   # no raise


def test_package_import_is_lazy():
    code = ("import sys, umlskas; assert 'umlskas.api' not in sys.modules; "
            "umlskas.Sandbox; assert 'umlskas.api' in sys.modules; "
            "assert 'umlskas.kernel.kernel_proc' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- CLI additions

def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "umlskas", "run", *args], cwd=cwd,
                          capture_output=True, stdin=subprocess.DEVNULL)


def test_cli_trace_json_and_summary(tmp_path):
    out = tmp_path / "t.jsonl"
    p = cli("--trace-json", str(out), "--summary", "--", "sh", "-c", "echo hi; cat /nonexistent",
            cwd=tmp_path)
    assert p.returncode == 1 and p.stdout == b"hi\n"
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {"tid", "tgid", "nr", "name", "args", "result", "errno", "start_ns",
            "duration_ns"} <= set(records[0])
    failed = [r for r in records if r["errno"] == "ENOENT" and "/nonexistent" in r["args"]]
    assert failed and failed[0]["result"] == -2
    assert len({r["tgid"] for r in records}) == 2         # sh and its cat
    err = p.stderr.decode()
    assert "% time     seconds  usecs/call     calls    errors syscall" in err
    assert err.rstrip().splitlines()[-1].endswith(" total")


def test_cli_trace_flag_and_filter(tmp_path):
    p = cli("--trace", "--", "/bin/true", cwd=tmp_path)
    assert p.returncode == 0 and re.search(rb"exit_group\(0\) +\= \?", p.stderr)
    p = cli("--trace", "/bin/true", cwd=tmp_path)           # no "--": still a flag
    assert p.returncode == 0 and re.search(rb"exit_group\(0\) +\= \?", p.stderr)
    p = cli("--trace=%process,openat", "--", "/bin/true", cwd=tmp_path)
    lines = p.stderr.decode().splitlines()
    # As strace -e trace=: the selected calls, and the exit line whatever the filter.
    assert lines and all(line.startswith(("execve(", "openat(", "exit_group(", "+++ exited"))
                         for line in lines)
    assert lines[0].startswith("execve(\"/bin/true\", [\"/bin/true\"]")
    p = cli("--trace=nosuchcall", "--", "/bin/true", cwd=tmp_path)
    assert p.returncode == 2 and b"nosuchcall" in p.stderr


def test_cli_verify(tmp_path):
    p = cli("--verify", "--deterministic", "--", "sh", "-c", "echo same", cwd=tmp_path)
    assert p.returncode == 0 and p.stdout == b"same\n", p.stderr
    assert b"two runs, same stdout and trace" in p.stderr
    p = cli("--verify", "--", "sh", "-c", "od -An -N8 -tx8 /dev/urandom", cwd=tmp_path)
    assert p.returncode == 1 and len(p.stdout.split()) == 1
    assert b"stdout line 1 differs" in p.stderr


BUSYBOX = shutil.which("busybox")


@pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")
def test_fixture_tmp_is_a_private_tmpfs(umlskas):
    name = f"/tmp/umlskas-fixture-{os.getpid()}-{time.monotonic_ns()}"
    r = umlskas.run([BUSYBOX, "sh", "-c", f"echo private > {name}; cat {name}"])
    assert r.stdout == b"private\n"
    assert not os.path.exists(name)
    change = r.changes.get(name)
    assert change is not None and change.kind == "created" and change.read() == b"private\n"
    # One filesystem view over the sandbox's runs.
    assert umlskas.run([BUSYBOX, "cat", name]).stdout == b"private\n"


@pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")
def test_api_overlay_changes_name_guest_paths_with_content(tmp_path):
    lower = tmp_path / "lower"
    lower.mkdir()
    (lower / "keep").write_text("k\n")
    (lower / "gone").write_text("g\n")
    (lower / "mod").write_text("m\n")
    (lower / "untouched-but-opened").write_text("u\n")
    r = umlskas_pkg.run([BUSYBOX, "sh", "-c",
                         "echo x >> /ov/mod; rm /ov/gone; echo c > /ov/new; "
                         "cat /ov/keep; : >> /ov/untouched-but-opened; echo t > /w/t"],
                        mounts=[umlskas_pkg.Overlay(str(lower), "/ov"), umlskas_pkg.Tmpfs("/w")],
                        watch=[])
    assert r.returncode == 0 and r.stdout == b"k\n"
    assert sorted(c.guest for c in r.changes.created) == ["/ov/new", "/w/t"]
    assert [c.guest for c in r.changes.modified] == ["/ov/mod"]
    assert [c.guest for c in r.changes.deleted] == ["/ov/gone"]
    assert r.changes.get("/ov/mod").read() == b"m\nx\n"
    assert r.changes.get("/ov/new").read() == b"c\n"
    with pytest.raises(FileNotFoundError):
        r.changes.get("/ov/gone").read()
    assert sorted(os.listdir(lower)) == ["gone", "keep", "mod", "untouched-but-opened"]
    assert (lower / "mod").read_text() == "m\n"


@pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")
def test_api_bind_readonly(tmp_path):
    (tmp_path / "f").write_text("f\n")
    r = umlskas_pkg.run([BUSYBOX, "sh", "-c", "cat /in/f; (echo x > /in/f) 2>&1"],
                        mounts=[umlskas_pkg.Bind(str(tmp_path), "/in", readonly=True)])
    assert r.stdout.startswith(b"f\n") and b"Read-only file system" in r.stdout
    assert (tmp_path / "f").read_text() == "f\n"


@pytest.mark.skipif(BUSYBOX is None, reason="busybox not installed")
def test_api_changes_of_a_read_write_bind(tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    out.mkdir()
    work.mkdir()
    (out / "old").write_text("old\n")
    r = umlskas_pkg.run([BUSYBOX, "sh", "-c", "echo new > /out/new; rm /out/old"],
                        mounts=[umlskas_pkg.Bind(str(out), "/out")], cwd=str(work))
    assert r.returncode == 0, r.stderr
    assert r.changes.paths("created") == ["new"] and r.changes.paths("deleted") == ["old"]
    assert r.changes.get("new").read() == b"new\n"
