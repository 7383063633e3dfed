"""The command line, through real `python3 -m umlskas run` processes: where umlskas's
options end, exit statuses, the /bin/sh fallback, inherited descriptors, umlskas's own
messages, -o, and shell completion."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from harness import (DEFAULT_ENV, REPO_ROOT, UMLSKAS_MODES, _check_no_stub_left, assert_same,
                     run_guest)
from harness import describe as describe_bytes

UMLSKAS = [sys.executable, "-m", "umlskas"]


def describe(r):
    return describe_bytes(subprocess.CompletedProcess(
        r.args, r.returncode, *(s.encode() if isinstance(s, str) else s or b""
                                for s in (r.stdout, r.stderr))))


def env_for(extra=None):
    env = dict(DEFAULT_ENV, PYTHONPATH=str(REPO_ROOT))
    env.update(extra or {})
    return env


def umlskas(args, *, cwd=None, env=None, timeout=60, **kw):
    """`umlskas ARGS` (no `--` added); CompletedProcess with text output."""
    started = time.time()
    r = subprocess.run([*UMLSKAS, *args], cwd=cwd or REPO_ROOT, env=env or env_for(),
                       stdin=kw.pop("stdin", subprocess.DEVNULL), capture_output=True,
                       text=True, timeout=timeout, **kw)
    _check_no_stub_left(started, "umlskas " + shlex.join(args))
    return r


def shell(line, *, cwd=None, env=None, timeout=60):
    """A shell command line (for redirections such as `5<file` on the command)."""
    started = time.time()
    r = subprocess.run(["/bin/sh", "-c", line], cwd=cwd or REPO_ROOT, env=env or env_for(),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    _check_no_stub_left(started, line)
    return r


UMLSKAS_LINE = shlex.join(UMLSKAS)


def one_message(r):
    """stderr is exactly one line of umlskas's own, and no traceback."""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("umlskas: "), describe(r)
    assert "Traceback" not in r.stderr
    return lines[0]


# ---------------------------------------------------------------- where the options end

@pytest.mark.timeout(120)
def test_options_after_program_belong_to_it(tmp_path):
    f = tmp_path / "data"
    f.write_bytes(b"x" * 5000)
    native = subprocess.run(["du", "-h", str(f)], capture_output=True, text=True, env=env_for())
    r = umlskas(["run", "du", "-h", str(f)])
    assert (r.returncode, r.stdout) == (0, native.stdout), describe(r)
    native = subprocess.run(["ls", "--help"], capture_output=True, text=True, env=env_for())
    for args in (["run", "ls", "--help"], ["run", "--", "ls", "--help"]):
        r = umlskas(args)
        assert (r.returncode, r.stdout) == (0, native.stdout), describe(r)
    r = umlskas(["run", "--cwd", str(tmp_path), "ls", "-a", "--cwd"])
    assert r.returncode == 2 and "--cwd" in r.stderr and r.stdout == "", describe(r)
    r = umlskas(["run", "--cwd", str(tmp_path), "ls"])
    assert (r.returncode, r.stdout) == (0, "data\n"), describe(r)


def test_unknown_option_is_a_usage_error():
    for args in (["run", "--sandox", "--", "true"], ["run", "--sandox", "true"]):
        r = umlskas(args)
        assert r.returncode == 2 and r.stdout == "", describe(r)
        assert "No such option '--sandox'" in one_message(r)


# ---------------------------------------------------------------- exit statuses

@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", [
    "root-missing", "root-file", "bind-missing", "overlay-missing", "cwd-missing",
    "cwd-file", "cwd-missing-in-guest", "trace-json", "output", "log"])
def test_cannot_start_is_125_in_one_line(case, tmp_path):
    gone = str(tmp_path / "gone")
    afile = tmp_path / "afile"
    afile.write_text("")
    args = {"root-missing": ["--root", gone],
            "root-file": ["--root", str(afile)],
            "bind-missing": ["--bind", f"{gone}:/x"],
            "overlay-missing": ["--overlay", f"{gone}:/x"],
            "cwd-missing": ["--cwd", gone],
            "cwd-file": ["--cwd", str(afile)],
            "cwd-missing-in-guest": ["--tmpfs", "/x", "--cwd", "/x/y"],
            "trace-json": ["--trace-json", gone + "/t.jsonl"],
            "output": ["-o", gone + "/t.txt"],
            "log": ["--log", gone + "/log"]}[case]
    r = umlskas(["run", *args, "true"])
    assert r.returncode == 125 and r.stdout == "", describe(r)
    one_message(r)


def test_not_found_127_cannot_execute_126(tmp_path):
    r = umlskas(["run", "no-such-program-here", "-x"])
    assert r.returncode == 127, describe(r)
    assert one_message(r) == "umlskas: 'no-such-program-here': No such file or directory"
    r = umlskas(["run", str(tmp_path)])
    assert r.returncode == 126, describe(r)
    assert one_message(r) == f"umlskas: '{tmp_path}': Permission denied"


@pytest.mark.timeout(120)
def test_file_without_magic_runs_with_sh_as_execvp(tmp_path):
    """`env FILE` runs a text file without #! with /bin/sh (glibc's execvp); so does
    `umlskas run FILE`, found through PATH too."""
    plain = tmp_path / "plain"
    plain.write_text('echo "ran as $0 with $# args: $1|$2"\nexit 3\n')
    plain.chmod(0o755)
    empty = tmp_path / "empty"
    empty.write_text("")
    empty.chmod(0o755)
    env = env_for({"PATH": f"{tmp_path}:/usr/bin:/bin"})
    for argv in ([str(plain), "a", "b c"], ["plain", "a", "b c"], [str(empty)]):
        native = subprocess.run(["env", *argv], capture_output=True, text=True, env=env)
        r = umlskas(["run", *argv], env=env)
        assert (r.returncode, r.stdout) == (native.returncode, native.stdout), describe(r)
        assert r.stderr == "", describe(r)
    assert r.returncode == 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["native", *UMLSKAS_MODES])
def test_guest_execve_of_no_magic_is_enoexec(kind, guests, tmp_path):
    """The kernel itself never falls back to a shell: execve gives ENOEXEC; only
    glibc's execvp runs /bin/sh."""
    binary = guests.path("proc_noexec")
    (tmp_path / "native").mkdir()
    expected = run_guest("native", [binary, tmp_path / "native"])
    assert expected.returncode == 0, describe(expected)
    assert b"execve: -1 ENOEXEC" in expected.stdout and b"plain ran:" in expected.stdout
    assert b"syscall execve plain: -1 ENOEXEC" in expected.stdout
    if kind == "native":
        return
    (tmp_path / kind).mkdir()
    got = run_guest(kind, [binary, tmp_path / kind])
    assert_same(expected, got, kind)


# ---------------------------------------------------------------- inherited descriptors

@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", UMLSKAS_MODES)
def test_inherited_fd_is_read(kind, tmp_path):
    f = tmp_path / "five"
    f.write_text("through fd 5\n")
    r = shell(f"{UMLSKAS_LINE} run --mode {kind} -- sh -c 'cat <&5' 5<{f}")
    assert (r.returncode, r.stdout, r.stderr) == (0, "through fd 5\n", ""), describe(r)
    r = shell(f"{UMLSKAS_LINE} run --mode {kind} sh -c 'echo written >&7' 7>{f}")
    assert r.returncode == 0 and f.read_text() == "written\n", describe(r)


FD_LIST = "find /proc/self/fd -mindepth 1 -printf '%f %l\\n' | sort -n"


def fd_lines(text):
    """find's listing without what differs by nature: pipe inode numbers (find's
    stdout is the kernel's own pipe), pids."""
    return re.sub(r"pipe:\[\d+\]", "pipe:[]", re.sub(r"/proc/\d+/", "/proc/PID/", text))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", UMLSKAS_MODES)
def test_guest_fds_are_the_given_ones(kind, tmp_path):
    """/proc/self/fd in the guest: what the same program has natively (the fds the
    shell gave, the program's own), none of the kernel's; --close-fds: 0-2 only."""
    out, inp = tmp_path / "out", tmp_path / "in"
    inp.write_text("x")
    redirs = f"7>{out} 9<{inp} 6<&0"
    native = shell(f"sh -c {shlex.quote(FD_LIST)} {redirs}")
    assert native.returncode == 0 and f"7 {out}\n" in native.stdout, describe(native)
    r = shell(f"{UMLSKAS_LINE} run --mode {kind} sh -c {shlex.quote(FD_LIST)} {redirs}")
    assert (r.returncode, fd_lines(r.stdout)) == (0, fd_lines(native.stdout)), describe(r)
    r = shell(f"{UMLSKAS_LINE} run --mode {kind} --close-fds sh -c {shlex.quote(FD_LIST)} "
              f"{redirs}")
    fds = [line.split()[0] for line in r.stdout.splitlines()]
    assert r.returncode == 0 and fds[:3] == ["0", "1", "2"], describe(r)
    assert not {"6", "7", "9"} & set(fds), describe(r)
    assert [line for line in fd_lines(native.stdout).splitlines() if line.split()[0] not in
            ("6", "7", "9")] == fd_lines(r.stdout).splitlines(), describe(r)


@pytest.mark.timeout(60)
def test_inherited_pipe_closed_by_the_guest_gives_eof(tmp_path):
    """The kernel holds an inherited fd for the guest only: once the guest closes its
    copy of a pipe's write end, the reader outside sees end of file while the guest
    still runs."""
    line = (f"{UMLSKAS_LINE} run -- sh -c 'echo from-guest >&3; exec 3>&-; sleep 3' "
            f"3>&1 >/dev/null | (read x; echo \"got $x\"; cat; echo eof)")
    t0 = time.monotonic()
    r = shell(line)
    assert r.stdout == "got from-guest\neof\n", describe(r)
    assert time.monotonic() - t0 >= 2.5


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", UMLSKAS_MODES)
def test_inherited_pipe_blocking_write_is_whole(kind):
    """A blocking write of 1 MB to an inherited pipe whose reader is slow writes it all,
    as Linux's pipe_write does (the kernel's end of it is non-blocking)."""
    prog = "import os, sys; print(os.write(3, b'x' * 1000000), file=sys.stderr)"
    r = shell(f"{UMLSKAS_LINE} run --mode {kind} python3 -c {shlex.quote(prog)} 3>&1 "
              f">/dev/null | (sleep 1; wc -c)")
    assert (r.stdout.strip(), r.stderr.strip()) == ("1000000", "1000000"), describe(r)


@pytest.mark.timeout(120)
def test_make_jobserver_reaches_the_guest(tmp_path):
    """A sub-make run under umlskas from a `make -j2` rule gets the jobserver's pipe:
    no "jobserver unavailable" warning, and its two jobs do run at the same time."""
    (tmp_path / "sub.mk").write_text(textwrap.dedent("""\
        all: a b
        a:
        \tfor i in $$(seq 100); do [ -e b.done ] && exit 0; sleep 0.1; done; exit 1
        b:
        \ttouch b.done
        """))
    (tmp_path / "Makefile").write_text(
        f"all:\n\t+{UMLSKAS_LINE} run make -s -f sub.mk\n")
    r = subprocess.run(["make", "-s", "-j2"], cwd=tmp_path, env=env_for(),
                       capture_output=True, text=True, timeout=100)
    assert r.returncode == 0, describe(r)
    assert "jobserver" not in r.stderr, describe(r)


@pytest.mark.timeout(60)
def test_socket_activation(tmp_path):
    """LISTEN_FDS/LISTEN_PID as systemd passes them: the guest (pid 1 in its world)
    finds its listening socket at fd 3 and accepts on it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    server = textwrap.dedent("""\
        import os, socket
        assert os.environ["LISTEN_PID"] == str(os.getpid()), os.environ["LISTEN_PID"]
        n = int(os.environ["LISTEN_FDS"])
        s = socket.socket(fileno=3)
        c, _ = s.accept()
        c.sendall(b"hello from fd 3 of %d" % n)
        c.close()
        print("served")
        """)
    # What systemd does before exec: the socket at fd 3, LISTEN_PID the pid exec'd.
    launcher = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.close(int(sys.argv[1])); "
                "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='1'); "
                "os.execv(sys.argv[2], sys.argv[2:])")
    proc = subprocess.Popen(
        [sys.executable, "-c", launcher, str(listener.fileno()), *UMLSKAS, "run",
         "python3", "-c", server],
        cwd=REPO_ROOT, env=env_for(), pass_fds=(listener.fileno(),), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    listener.close()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
        c.settimeout(30)
        got = c.recv(100)
    out, err = proc.communicate(timeout=30)
    assert got == b"hello from fd 3 of 1", (got, out, err)
    assert (proc.returncode, out) == (0, "served\n"), err


# ---------------------------------------------------------------- umlskas's own messages

@pytest.mark.timeout(60)
def test_messages_prefixed_quiet_verbose_and_log(guests, tmp_path):
    enosys = guests.path("enosys")
    r = umlskas(["run", enosys])
    assert r.returncode == 0 and "alive" in r.stdout, describe(r)
    lines = r.stderr.splitlines()
    assert lines and all(line.startswith("umlskas: ") for line in lines), describe(r)
    assert any("unsupported syscall syscall_1000 (1000)" in line for line in lines)
    quiet = umlskas(["run", "-q", enosys])
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, r.stdout, ""), describe(quiet)
    log = tmp_path / "log"
    logged = umlskas(["run", "--log", str(log), enosys])
    assert (logged.returncode, logged.stdout, logged.stderr) == (0, r.stdout, ""), \
        describe(logged)
    assert log.read_text() == r.stderr
    verbose = umlskas(["run", "-v", "true"])     # glibc's rseq: an information line
    assert verbose.returncode == 0, describe(verbose)
    assert "umlskas: unsupported syscall rseq" in verbose.stderr, describe(verbose)
    assert umlskas(["run", "true"]).stderr == ""


def test_trace_to_a_file(tmp_path):
    out = tmp_path / "trace"
    r = umlskas(["run", "-o", str(out), "true"])
    assert (r.returncode, r.stderr) == (0, ""), describe(r)
    text = out.read_text()
    # strace -f -o's pid column on every line
    assert re.match(r"1 +execve\(", text) and re.search(r"^1 +exit_group\(0\)", text, re.M), text


# ---------------------------------------------------------------- shell completion

def _completion_env(tmp_path):
    """PATH with an `umlskas` that is what pip's console script is: main() of
    umlskas.cli, program name from argv[0]."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "umlskas"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(REPO_ROOT)!r})\n"
                      "from umlskas.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return env_for({"PATH": f"{bin_dir}:/usr/bin:/bin"})


@pytest.mark.timeout(60)
def test_bash_completion(tmp_path):
    env = _completion_env(tmp_path)
    r = subprocess.run(["bash", "--norc", "-c",
                        'eval "$(_UMLSKAS_COMPLETE=bash_source umlskas)" && complete -p umlskas'],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "umlskas" in r.stdout, describe(r)
    r = subprocess.run(["umlskas"], env=dict(env, _UMLSKAS_COMPLETE="bash_complete",
                                            COMP_WORDS="umlskas run --tra", COMP_CWORD="2"),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, describe(r)
    assert {"plain,--trace", "plain,--trace-json"} <= set(r.stdout.splitlines()), describe(r)
    r = subprocess.run(["umlskas"], env=dict(env, _UMLSKAS_COMPLETE="bash_complete",
                                            COMP_WORDS="umlskas run -q ls --he", COMP_CWORD="4"),
                       capture_output=True, text=True, timeout=30)
    assert r.stdout.splitlines() == ["file,--he"], describe(r)     # ls's, not umlskas's
    r = subprocess.run(["umlskas"], env=dict(env, _UMLSKAS_COMPLETE="bash_complete",
                                            COMP_WORDS="umlskas ru", COMP_CWORD="1"),
                       capture_output=True, text=True, timeout=30)
    assert r.stdout.splitlines() == ["plain,run"], describe(r)


def test_installed_entry_point_completes():
    import shutil
    exe = shutil.which("umlskas")
    if exe is None:
        pytest.skip("no umlskas entry point installed")
    r = subprocess.run([exe], env=dict(os.environ, _UMLSKAS_COMPLETE="bash_source"),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "complete " in r.stdout and "_UMLSKAS_COMPLETE" in r.stdout, \
        describe(r)
