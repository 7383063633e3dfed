"""Big argument lists (issue 10, item 6): with RLIMIT_STACK unlimited an execve whose
strings are larger than the stack mapping used to be written past it (the kernel
crashed, exit 125). The limits are Linux's (bprm_stack_limits: a quarter of the stack
limit, at most 6 MiB, at least 128 KiB; 128 KiB a string; no more than the stack may
grow to), E2BIG past them, and the stack mapping is sized from the guest's own
RLIMIT_STACK, never smaller than what exec puts on it."""

import harness


def test_execve_argument_limits(mode, guests):
    harness.check_guest_against_native(mode, lambda tag: [guests.path("sec_exec_args")],
                                       ends_with=b"still running: yes\n")


def test_shell_ulimit_unlimited_big_argument_lists(mode):
    """`ulimit -s unlimited` in a guest shell, then 2 MB of arguments (allowed only with
    the larger limit) and 10 MB (E2BIG: the shell says so and goes on)."""
    script = ("ulimit -s unlimited; /bin/echo $(seq 1 300000) | wc -c; "
              "/bin/echo $(seq 1 700000) | wc -c; echo end")
    expected = harness.run_guest("native", ["/bin/sh", "-c", script])
    got = harness.run_guest(mode, ["/bin/sh", "-c", script])
    harness.assert_same(expected, got, mode)
    assert got.stdout == b"1988895\n0\nend\n"


def test_execveat_relative_to_a_directory_fd(mode, guests):
    """execveat(dirfd, "name") with an open or O_PATH directory fd, a bad fd, a missing
    name: a kernel crash (exit 125) once, found by trinity's seed 19."""
    harness.check_guest_against_native(mode, lambda tag: [guests.path("sec_execveat")])
