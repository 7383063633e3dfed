"""Unit tests of the pure parts of umlskas.bench: statistics, ratios, formatting, peer detection."""

import pytest

from umlskas import bench
from umlskas.bench import Macro, Mech, Micro


def test_summarize_median_and_spread():
    s = bench.summarize([3.0, 1.0, 2.0, None])
    assert s["median"] == 2.0 and s["min"] == 1.0 and s["max"] == 3.0 and s["n"] == 3
    assert s["spread_pct"] == pytest.approx(100.0)
    assert bench.summarize([]) is None
    assert bench.summarize([None]) is None


def test_ratio_and_slope():
    assert bench.ratio(10.0, 2.0) == 5.0
    assert bench.ratio(None, 2.0) is None
    assert bench.ratio(1.0, None) is None
    assert bench.ratio(1.0, 0) is None
    # start-up (100) cancels: t = 100 + 3 n
    assert bench.slope(100 + 3 * 10, 100 + 3 * 1000, 10, 1000) == pytest.approx(3.0)
    with pytest.raises(ValueError):
        bench.slope(1, 2, 5, 5)


def test_formatting():
    assert bench.fmt_num(None) == "-"
    assert bench.fmt_num(1234.4) == "1234"
    assert bench.fmt_num(12.34) == "12.3"
    assert bench.fmt_num(1.234) == "1.23"
    assert bench.fmt_num(0.0712) == "0.071"
    assert bench.fmt_num(-0.0001) == "0.000"
    assert bench.fmt_ratio(None) == "-"
    assert bench.fmt_ratio(4.804) == "4.80x"
    assert bench.fmt_ratio(513.2) == "513x"
    assert bench.progress_bar(5, 10, "x", width=10) == "[#####-----]  50% x"
    assert bench.progress_bar(0, 0, width=4) == "[----]   0% "


def test_parse_tt_stats():
    err = ("noise\numlskas tt: 10000 guest syscalls, 60003 ptrace stops (6.00/syscall), "
           "tracer context switches 60012 (6.00/syscall)\n")
    assert bench.parse_tt_stats(err) == (10000, 60003)
    assert bench.parse_tt_stats("nothing here") is None
    assert bench.parse_tt_stats(None) is None


def _cell(samples, **kw):
    c = {"status": "ok", "samples": samples, "cs_top": [None] * len(samples),
         "cs_child": [None] * len(samples), "tt": []}
    c.update(kw)
    return c


def test_finish_ratios_stops_and_switches():
    w = Micro("getpid", "getpid", lambda n: ["g", str(n)], 10, 1)
    mechs = [Mech("native", "native", top_is_guest=True), Mech("skas", "SKAS", stops=1.0),
             Mech("tt", "TT", tt=True), Mech("strace", "strace", skip="strace not installed")]
    res = {"getpid": {
        "native": _cell([0.1, 0.1, 0.2]),
        "skas": _cell([4.0, 3.0, 5.0], cs_top=[1.0, 1.0, 1.0], cs_child=[1.0, 2.0, 1.0]),
        "tt": _cell([40.0, 40.0, 40.0], n_small=100, n_big=1000,
                    tt=[(900, 5400), (900, 5401), None]),
        "strace": {"status": "skipped", "reason": "strace not installed"}}}
    bench.finish([w], mechs, res)
    row = res["getpid"]
    assert row["skas"]["median"] == 4.0
    assert row["skas"]["x_native"] == pytest.approx(40.0)
    assert row["skas"]["x_skas"] == 1.0
    assert row["tt"]["x_skas"] == pytest.approx(10.0)
    assert row["tt"]["stops_per_syscall"] == pytest.approx(6.0, abs=0.01)
    assert row["tt"]["guest_syscalls"] == pytest.approx(1.0)          # 900 calls / 900 ops
    assert row["skas"]["stops_per_syscall"] == 1.0
    assert row["skas"]["cs_tracer_per_syscall"] == 1.0
    assert row["skas"]["cs_tracee_per_syscall"] == 1.0
    assert "median" not in row["strace"]
    text = bench.table([w], mechs, res, "title")
    assert "skipped: strace not installed" in text
    assert "getpid [us/op, 1.00 guest syscalls/op]" in text
    line = [l for l in text.splitlines() if l.strip().startswith("TT")][0]
    assert "40.0" in line and " 10x" in line and "6.00" in line


def test_format_row_failed_and_skipped():
    assert "FAILED: exit status 1" in bench.format_row("x", {"status": "failed",
                                                              "reason": "exit status 1"})
    assert bench.format_row("x", {"status": "skipped", "reason": "why"}).endswith("skipped: why")


def test_mechanism_supports():
    floor = Mech("floor", "floor", only={"getpid"})
    assert floor.supports(Micro("getpid", "", None, 1, 1)) is None
    assert "getpid" in floor.supports(Micro("mmap64k", "", None, 1, 2))
    assert Mech("x", "x", skip="gone").supports(Macro("m", "", ["a"])) == "gone"


def test_peer_detection_missing_gives_reason():
    nowhere = lambda name: None                                   # noqa: E731
    for detect, word in ((bench.detect_strace, "strace"), (bench.detect_proot, "proot"),
                         (bench.detect_runsc, "runsc"), (bench.detect_uml, "User-mode Linux")):
        argv, why = detect(nowhere)
        assert argv is None and word in why


def test_peer_detection_found():
    found = lambda name: "/opt/bin/" + name                       # noqa: E731
    assert bench.detect_strace(found) == (["/opt/bin/strace", "-f", "-o", "/dev/null"], None)
    assert bench.detect_proot(found) == (["/opt/bin/proot"], None)
    assert bench.detect_uml(found) == (["/opt/bin/linux"], None)


def test_select_keeps_baselines():
    ms = [Mech("native", "n"), Mech("skas", "s"), Mech("tt", "t"), Mech("proot", "p")]
    assert [m.key for m in bench.select(ms, ["tt", "getpid"], always=("native", "skas"))] \
        == ["native", "skas", "tt"]
    assert bench.select(ms, [], always=()) == ms
    assert bench.select(ms, ["getpid"]) == ms         # no mechanism named: all of them
