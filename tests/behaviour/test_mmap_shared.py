"""MAP_SHARED coherence (tests/guests/mmap_shared.c), native vs umlskas.

File mappings shared across fork and between independent opens, against
read(2)/write(2)/pwrite(2), msync, ftruncate under a mapping with SIGBUS past
EOF, shared anonymous memory and /dev/zero, memfd, mremap of a shared mapping,
MAP_PRIVATE file mappings, MADV_DONTFORK/WIPEONFORK. Files are mapped for
real by the stub, so the host's page cache is what every process sees.
"""

from __future__ import annotations

import pytest

from harness import check_guest_against_native, make_tree


@pytest.mark.timeout(90)
@pytest.mark.parametrize("variant", ["", "static"])
def test_mmap_shared(mode, variant, guests, tmp_path):
    binary = guests.path("mmap_shared", variant=variant)

    def argv(tag):
        return [binary, str(make_tree(tmp_path / tag))]

    check_guest_against_native(mode, argv, ends_with=b"done\n")
