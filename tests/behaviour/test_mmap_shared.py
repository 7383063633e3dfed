"""MAP_SHARED coherence (tests/guests/mmap_shared.c), native vs umlskas.

File mappings shared across fork and between independent opens, against
read(2)/write(2)/pwrite(2), msync, ftruncate under a mapping with SIGBUS past
EOF, shared anonymous memory and /dev/zero, memfd, mremap of a shared mapping,
MAP_PRIVATE file mappings, MADV_DONTFORK/WIPEONFORK. Files are mapped for
real by the stub, so the host's page cache is what every process sees.
"""

from __future__ import annotations

import pytest

from harness import assert_same, bad_lines, describe, make_tree, run_guest


@pytest.mark.timeout(90)
@pytest.mark.parametrize("variant", ["", "static"])
def test_mmap_shared(mode, variant, guests, tmp_path):
    binary = guests.path("mmap_shared", variant=variant)

    def argv(tag):
        return [binary, str(make_tree(tmp_path / tag))]

    if mode == "native":
        first = run_guest("native", argv("native-1"))
        assert first.returncode == 0, describe(first)
        assert not bad_lines(first.stdout), "\n".join(bad_lines(first.stdout)) + "\n" + describe(first)
        assert first.stdout.endswith(b"done\n"), describe(first)
        second = run_guest("native", argv("native-2"))
        assert (second.returncode, second.stdout) == (first.returncode, first.stdout), \
            "native output is not deterministic:\n" + describe(first) + "\n" + describe(second)
        return
    expected = run_guest("native", argv("native"))
    got = run_guest(mode, argv(mode))
    assert_same(expected, got, mode)
