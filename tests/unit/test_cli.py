"""Unit tests of the command line's parsing (click's CliRunner; no guest runs)."""

import pytest
from click.testing import CliRunner

from umlskas import cli
from umlskas.kernel import inherit


@pytest.fixture
def runs(monkeypatch):
    """`umlskas run ...` up to the kernel: returns the list the runs' arguments go to."""
    calls = []

    def fake_run(argv, **kw):
        calls.append(dict(kw, argv=argv))
        return 0

    monkeypatch.setattr(cli, "_run_traced", fake_run)
    monkeypatch.setattr(inherit, "host_fds_to_inherit", lambda: [0, 1, 2])
    monkeypatch.setattr(cli, "_setup_logging", lambda *a: None)
    return calls


def invoke(*args):
    return CliRunner().invoke(cli.main, list(args), prog_name="umlskas")


def ran(runs, *args):
    r = invoke("run", *args)
    assert r.exit_code == 0, r.output
    assert len(runs) == 1, r.output
    return runs.pop()


@pytest.mark.parametrize("args,argv", [
    (["du", "-h", "x"], ["du", "-h", "x"]),
    (["ls", "--help"], ["ls", "--help"]),
    (["--", "ls", "--help"], ["ls", "--help"]),
    (["ls", "--", "-x"], ["ls", "--", "-x"]),
    (["--", "--weird-name"], ["--weird-name"]),
    (["-", "a"], ["-", "a"]),
    (["prog", "--trace", "--cwd", "/", "-v"], ["prog", "--trace", "--cwd", "/", "-v"]),
])
def test_options_after_program_are_the_programs(runs, args, argv):
    call = ran(runs, *args)
    assert call["argv"] == argv
    assert call["trace"] is False and call["cwd"] != "/"


def test_valued_options_take_their_value(runs, tmp_path):
    call = ran(runs, "--cwd", str(tmp_path), "--env", "A=1", "--hostname", "h", "prog", "x")
    assert call["argv"] == ["prog", "x"]
    assert call["cwd"] == str(tmp_path) and call["env"]["A"] == "1"
    assert call["hostname"] == "h"
    call = ran(runs, f"--cwd={tmp_path}", "prog")
    assert call["argv"] == ["prog"] and call["cwd"] == str(tmp_path)


def test_trace_with_and_without_names(runs):
    call = ran(runs, "--trace", "prog", "-x")
    assert call["argv"] == ["prog", "-x"] and call["trace"] is True and call["names"] is None
    call = ran(runs, "--trace=%process,openat", "prog")
    assert call["argv"] == ["prog"] and call["trace"] is True
    assert "openat" in call["names"] and "execve" in call["names"]


def test_short_options_and_clusters(runs, tmp_path):
    out = tmp_path / "t.txt"
    for args in (["-o", str(out), "prog"], [f"-o{out}", "prog"], ["-vo", str(out), "prog"],
                 ["-v", "-v", "-o", str(out), "prog"]):
        call = ran(runs, *args)
        assert call["argv"] == ["prog"], args
        assert call["trace"] is True, args                 # -o implies --trace
        assert call["trace_stream"] is not None and call["trace_stream"].name == str(out)


@pytest.mark.parametrize("args,message", [
    (["--sandox", "--", "true"], "No such option '--sandox'"),
    (["--sandox", "true"], "No such option '--sandox'"),
    (["-Z", "true"], "No such option '-Z'"),
    ([], "Missing argument 'PROGRAM'"),
    (["--tmpfs", "relative", "true"], "GUEST must be an absolute path"),
    (["--tmpfs=relative", "true"], "GUEST must be an absolute path"),
    (["--bind", "/tmp:rel", "true"], "GUEST must be an absolute path"),
    (["--overlay", ":/x", "true"], "HOST is empty"),
    (["--ro-bind", "/a:/b:", "true"], "UPPER is empty"),
    (["--writable-cwd", "true"], "--writable-cwd needs --sandbox"),
    (["--hostname", "", "true"], "a host name has 1 to 64 bytes"),
    (["--hostname=", "true"], "a host name has 1 to 64 bytes"),
    (["--hostname", "h" * 65, "true"], "a host name has 1 to 64 bytes"),
    (["--env", "NOEQUALS", "true"], "is not K=V"),
    (["--env", "=v", "true"], "is not K=V"),
    (["--seed", "3", "true"], "--seed needs --deterministic"),
    (["-v", "-q", "true"], "-v and -q exclude each other"),
    (["--cwd", "", "true"], "must not be empty"),
    (["--root", "", "true"], "must not be empty"),
    (["-o", "", "true"], "must not be empty"),
    (["--log", "", "true"], "must not be empty"),
    (["--mode", "xx", "true"], "'xx' is not one of"),
    (["--trace=%nonsense", "true"], "--trace"),
])
def test_usage_errors_exit_2_in_one_line(runs, args, message):
    r = invoke("run", *args)
    assert r.exit_code == 2, r.output
    assert not runs
    lines = r.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("umlskas: "), r.output
    assert message in lines[0], r.output


def test_unknown_command_is_a_usage_error():
    r = invoke("runn", "true")
    assert r.exit_code == 2 and r.output.startswith("umlskas: No such command"), r.output


@pytest.mark.parametrize("option", ["--trace-json", "-o", "--log"])
def test_unwritable_output_file_is_125_in_one_line(runs, option):
    r = invoke("run", option, "/nonexistent-dir/t.out", "true")
    assert r.exit_code == 125, r.output
    assert r.output == f"umlskas: {option} /nonexistent-dir/t.out: No such file or directory\n"
    assert not runs


def test_missing_cwd_is_125(runs, tmp_path):
    r = invoke("run", "--cwd", str(tmp_path / "gone"), "true")
    assert r.exit_code == 125 and r.output.startswith("umlskas: --cwd "), r.output
    assert not runs


def test_mounts_in_command_line_order_and_program_words_ignored(runs, tmp_path):
    call = ran(runs, "--tmpfs", "/a", f"--bind={tmp_path}:/b", "--ro-bind", str(tmp_path),
               "--tmpfs", "/c", "prog", "--tmpfs", "/d", "--bind", "/e")
    specs = call["mount_args"]["specs"]
    assert [(kind, guest) for kind, _, guest, _ in specs] == [
        ("tmpfs", "/a"), ("bind", "/b"), ("ro-bind", str(tmp_path)), ("tmpfs", "/c")]
    assert call["argv"] == ["prog", "--tmpfs", "/d", "--bind", "/e"]


def test_sandbox_writable_cwd(runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    call = ran(runs, "--sandbox", "--writable-cwd", "prog")
    assert ("bind", str(tmp_path), str(tmp_path), None) in call["mount_args"]["specs"]


def test_close_fds_keeps_only_stdio(runs, monkeypatch):
    closed = []
    monkeypatch.setattr(inherit, "host_fds_to_inherit", lambda: [0, 1, 2, 5, 7])
    monkeypatch.setattr(inherit, "close_host_fds", closed.extend)
    assert ran(runs, "prog")["fds"] == [0, 1, 2, 5, 7]
    assert not closed
    assert ran(runs, "--close-fds", "prog")["fds"] == [0, 1, 2]
    assert closed == [0, 1, 2, 5, 7]


def test_listen_pid_follows_the_fds_into_the_guest(runs, monkeypatch):
    import os
    monkeypatch.setattr(cli, "launch_environment",
                        lambda: {"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "1"})
    monkeypatch.setattr(inherit, "host_fds_to_inherit", lambda: [0, 1, 2, 3])
    assert ran(runs, "prog")["env"]["LISTEN_PID"] == "1"
    # not given the fds, the guest must not take them as its own
    monkeypatch.setattr(inherit, "close_host_fds", lambda fds: None)
    assert ran(runs, "--close-fds", "prog")["env"]["LISTEN_PID"] == str(os.getpid())
    # someone else's LISTEN_PID is left alone
    monkeypatch.setattr(cli, "launch_environment", lambda: {"LISTEN_PID": "12345"})
    assert ran(runs, "prog")["env"]["LISTEN_PID"] == "12345"


def test_explain_takes_the_program_words_too(monkeypatch):
    import umlskas.explain
    seen = {}

    def fake_explain(argv, **kw):
        seen.update(kw, argv=argv)
        return 0

    monkeypatch.setattr(umlskas.explain, "explain", fake_explain)
    r = invoke("explain", "--count", "3", "ls", "--help", "--count", "9")
    assert r.exit_code == 0, r.output
    assert seen["argv"] == ["ls", "--help", "--count", "9"] and seen["count"] == 3


def test_run_help_lists_bench_workloads():
    r = invoke("run", "--help")
    assert r.exit_code == 0
    assert "umlskas bench --only" in r.output
    from umlskas import bench
    names = getattr(bench, "WORKLOAD_NAMES", ("getpid", "fork_exec", "python_pass"))
    words = set(r.output.split())
    assert set(names) <= words, r.output


def test_help_documents_completion():
    r = invoke("--help")
    assert r.exit_code == 0
    assert "_UMLSKAS_COMPLETE=bash_source umlskas" in r.output


def test_log_lines_are_prefixed_line_by_line():
    import logging
    f = cli._PrefixFormatter("%(message)s")
    rec = logging.LogRecord("umlskas", logging.WARNING, __file__, 1, "a\nb", None, None)
    assert f.format(rec) == "umlskas: a\numlskas: b"


def test_kernel_bug_keeps_its_own_wording(monkeypatch, capsys):
    """A bug in umlskas: exit 125, the wording api.KernelFault looks for, the traceback
    with every line prefixed, and a line saying whose bug it is."""
    from umlskas.kernel.errors import KernelBug

    def crash(argv, **kw):
        raise KernelBug("kernel bug in read (guest pid 1):\nTraceback (most recent call last):\n"
                        "  File \"x.py\", line 1, in read\nValueError: boom\n")

    monkeypatch.setattr(cli, "run_program", crash)
    status = cli._run_traced(["prog"], env={}, cwd="/", mode="skas", seed=None,
                             mount_args={}, hostname=None, net=None, fds=[0, 1, 2],
                             trace=False, names=None, trace_stream=None, json_stream=None,
                             summary=False, stats_json=None)
    assert status == cli.KERNEL_FAULT_STATUS == 125
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == ("umlskas: the kernel stopped the guest: kernel bug in read "
                        "(guest pid 1):")
    assert lines[-2] == "umlskas: ValueError: boom"
    assert lines[-1].startswith("umlskas: this is a bug in umlskas")
    assert all(line.startswith("umlskas: ") for line in lines)


def test_internal_error_is_reported_not_raised(monkeypatch, capsys):
    def crash(argv, **kw):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(cli, "run_program", crash)
    status = cli._run_traced(["prog"], env={}, cwd="/", mode="skas", seed=None,
                             mount_args={}, hostname=None, net=None, fds=[0, 1, 2],
                             trace=False, names=None, trace_stream=None, json_stream=None,
                             summary=False, stats_json=None)
    assert status == 125
    err = capsys.readouterr().err
    assert err.startswith("umlskas: internal error: RuntimeError: unexpected\n"
                          "umlskas: Traceback")
    assert "RuntimeError: unexpected" in err
    assert all(line.startswith("umlskas: ") for line in err.splitlines())


def test_no_stub_is_125_not_a_traceback(monkeypatch, capsys):
    """A host that cannot build or trace the stub: umlskas cannot start the run."""
    from umlskas.host import build, mode_skas

    def no_compiler(*a, **kw):
        raise build.BuildError("umlskas needs a C compiler (cc) to build its stub: none found")

    monkeypatch.setattr(mode_skas, "SkasMode", no_compiler)
    status = cli.run_program(["true"], env={}, cwd="/")
    assert status == cli.START_FAILED_STATUS == 125
    assert capsys.readouterr().err == ("umlskas: cannot start the guest: umlskas needs a C "
                                       "compiler (cc) to build its stub: none found\n")
