"""The escape suite's wiring: a guest runs natively and under each mode from this directory."""

import harness


def test_hello_runs_in_every_mode(mode, guests):
    harness.check_guest_against_native(mode, lambda tag: [guests.path("hello")])
