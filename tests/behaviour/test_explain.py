"""`umlskas explain`: the host events behind each guest syscall, on a live program.

SKAS must show exactly one ptrace stop per guest syscall; TT must show the
SIGUSR2 and SIGUSR1 steps of User-mode Linux's tracing-thread protocol for
every syscall (but the final exit_group, which never returns to the guest).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from harness import DEFAULT_ENV, REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("busybox", path=DEFAULT_ENV["PATH"]) is None,
                                reason="busybox is not installed")

NO_RETURN = ("exit_group", "exit")
EVENT = re.compile(r"^\s+[+-]\d+\.\d\s+(?P<kind>stub \w+|\w+)\s+(?P<what>.*)$")


def explain(which, *extra, argv=("busybox", "true")):
    cmd = [sys.executable, "-m", "umlskas", "explain", "--mode", which, *extra, "--", *argv]
    r = subprocess.run(cmd, cwd=REPO_ROOT, env=dict(DEFAULT_ENV), capture_output=True,
                       timeout=50, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, (r.returncode, r.stdout.decode()[-3000:], r.stderr.decode()[-3000:])
    return r.stdout.decode()


def blocks(text):
    """[(header, [(kind, what)...], footer)] for each guest syscall shown."""
    out = []
    for chunk in re.split(r"\n(?=#\d+ )", text)[1:]:
        lines = chunk.split("\n")
        events = [(m["kind"], m["what"]) for m in map(EVENT.match, lines[1:]) if m]
        footer = next(line for line in lines if line.startswith("  = "))
        out.append((lines[0], events, footer))
    return out


def name_of(header):
    return re.match(r"#\d+ \[host pid \d+\] (\w+)\(", header).group(1)


@pytest.mark.timeout(60)
def test_skas_one_stop_per_syscall():
    text = explain("skas")
    shown = blocks(text)
    assert len(shown) >= 5, text
    for header, events, footer in shown:
        stops = [what for kind, what in events if kind == "stop"]
        assert stops == ["syscall-entry stop (SIGTRAP|0x80)  [PTRACE_SYSEMU: the host will skip"
                         " the call]"] or (name_of(header) in NO_RETURN and len(stops) >= 1), \
            (header, events)
        assert footer.startswith("  = 1 ptrace stop(s)"), (header, footer)
        requests = [what.split()[0] for kind, what in events if kind == "ptrace"]
        if name_of(header) not in NO_RETURN:
            assert requests[0] == "PTRACE_GET_SYSCALL_INFO", (header, requests)
            assert requests[-2:] == ["PTRACE_POKEUSER", "PTRACE_SYSEMU(0)"], (header, requests)
        assert not any("SIGUSR" in what for _, what in events), (header, events)
    assert re.search(r"ptrace stops: +\d+ += 1\.0 per syscall", text), text


@pytest.mark.timeout(60)
def test_tt_sigusr2_and_sigusr1_steps_for_each_syscall():
    text = explain("tt")
    shown = blocks(text)
    assert len(shown) >= 5, text
    for header, events, footer in shown:
        stops = [what.split("  [")[0] for kind, what in events if kind == "stop"]
        requests = [what.split()[0] for kind, what in events if kind == "ptrace"]
        assert stops[:3] == ["syscall-entry stop (SIGTRAP|0x80)", "signal-delivery stop SIGUSR2",
                             "SIGTRAP stop: int3 at handler entry"], (header, stops)
        assert requests[:3] == ["PTRACE_GET_SYSCALL_INFO", "PTRACE_POKEUSER",
                                "PTRACE_CONT(SIGUSR2)"], (header, requests)
        if name_of(header) in NO_RETURN:
            continue
        assert stops[3:] == ["signal-delivery stop SIGUSR1",
                             "syscall-entry stop: rt_sigreturn (handler exit)",
                             "syscall-exit stop: rt_sigreturn (handler exit)"], (header, stops)
        assert footer.startswith("  = 6 ptrace stop(s)"), (header, footer)
    assert re.search(r"typical 6;", text) and "12 per syscall implied" in text, text


@pytest.mark.timeout(60)
def test_json_parses(tmp_path):
    out = tmp_path / "explain.json"
    for which, stops in (("skas", 1), ("tt", 6)):
        text = explain(which, "--count", "3", "--json", str(out))
        assert "... " in text and "more guest syscalls not shown" in text
        data = json.loads(out.read_text())
        assert data["status"] == 0 and data["argv"] == ["busybox", "true"]
        assert len(data["syscalls"]) == 3
        first = data["syscalls"][0]
        assert first["stops"] == stops and first["call"] and first["events"]
        assert {e["kind"] for e in first["events"]} >= {"stop", "ptrace", "kernel"}
        s = data["summary"]
        assert s["mode"] == which and s["typical_stops_per_syscall"] == stops
        assert s["implied_context_switches_per_syscall"] == 2 * stops
        assert s["guest_syscalls"] >= 5
