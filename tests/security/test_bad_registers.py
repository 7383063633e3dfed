"""Register values the host refuses (issue 10, item 7): a clone with a TLS base past the
user address space, arch_prctl with one, clone3 stacks that do not fit, rt_sigreturn
with forged frames (non-canonical rip, kernel or null ss, a frame nowhere, a bad MXCSR
or fpstate), and executables whose entry point is non-canonical. Linux answers
EPERM/EINVAL or kills only the guest that asked with SIGSEGV; the kernel must never
stop with PTRACE_SETREGS: EIO (exit 125)."""

import harness


def test_refused_registers_are_the_guests_errno_or_sigsegv(mode, guests, scratch):
    harness.check_guest_against_native(
        mode, lambda tag: [guests.path("sec_bad_registers"), scratch(tag)],
        ends_with=b"still running: yes\n")
