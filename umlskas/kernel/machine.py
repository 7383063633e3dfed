"""The contract between the kernel and a host mode (what the kernel may ask of a guest process).

The kernel side only sees these names; the host side (umlskas.host) implements
them with ptrace. Nothing here imports the host side.

A *GuestProc* is one host thread that runs guest code. Between traps it is
stopped, so its registers and memory are stable. Its methods:

  host_pid                 the host tid (never shown to the guest)
  read(addr, n) -> bytes   guest-visible copy; shorter than n where the range
                           stops being readable (the caller turns that into EFAULT)
  write(addr, data) -> int guest-visible copy honouring page protections; bytes written
  poke(addr, data)         forced write that ignores protections (the loader)
  get_regs() -> regs       all registers, attributes named as in struct
                           user_regs_struct (rip, rsp, rax, orig_rax, fs_base...)
  set_regs(regs)           write them back; takes effect on the next resume
  set_tls(fs_base)         arch_prctl(ARCH_SET_FS)
                           (these and set_fpregs raise RegsRefused for a value the
                           host will not load: a base past the user address space, a
                           bad selector or MXCSR; the kernel makes that the guest's
                           errno or SIGSEGV, never its own crash)
  run_ops(ops)             run host address-space syscalls inside this process,
                           in order, in one round trip; ops are MapOp tuples;
                           raises OpError(index, errno) on the first failure
  kill()                   SIGKILL the host process; its EXITED trap follows

A *Mode* owns the host processes:

  name                     "skas" or "tt"
  spawn() -> GuestProc     a fresh stub with no guest mappings, stopped,
                           ready for set_regs() and start()
  start(proc)              first resume after the kernel loaded an image
  resume(proc, result)     finish the current syscall trap with `result`
                           (written to rax) and let the guest run on
  wait(block) -> trap      next trap as a tuple (proc, kind, a, b), or None
                           when block is False and nothing is ready
  close()                  kill and reap every host process; idempotent

Trap kinds and their (a, b):
  TRAP_SYSCALL  a = syscall number, b = tuple of 6 args (raw unsigned)
  TRAP_I386     a = i386 syscall number (int $0x80), b = args
  TRAP_SIGNAL   a = host signal number, b = (si_code, si_addr)
  TRAP_EXITED   a = exit status or -signal of the host process, b = None
  TRAP_INTERRUPT  the thread stopped for the kernel (interrupt()), a = 0, b = None

A GuestProc also offers get_fpregs()/set_fpregs(bytes) (fxsave layout, 512
bytes, for signal frames), interrupt() (stop a running thread soon),
clone(host_flags) (a real host clone of this process or thread, returned
stopped) and exit_thread() (end this host thread alone).
"""

from typing import NamedTuple

TRAP_SYSCALL = 0
TRAP_I386 = 1
TRAP_SIGNAL = 2
TRAP_EXITED = 3
TRAP_INTERRUPT = 4

# Host syscall numbers the kernel may put in MapOps.
HOST_MMAP = 9
HOST_MPROTECT = 10
HOST_MUNMAP = 11
HOST_MREMAP = 25
HOST_MADVISE = 28
HOST_OPENAT = 257
HOST_CLOSE = 3

# MapOp flags: take arg0 / arg4 from the fd saved by an earlier op; save this result as that fd.
OP_ARG0_FD = 1
OP_ARG4_FD = 2
OP_SAVE_FD = 4


class MapOp(NamedTuple):
    """One host syscall to run inside a guest process. A bytes arg is placed
    in memory the stub can read and replaced by its address."""
    nr: int
    args: tuple
    flags: int = 0


class RegsRefused(Exception):
    """The host refused a register value the kernel asked it to load (ptrace's EIO or
    EINVAL): the guest asked for something its CPU cannot hold."""

    def __init__(self, err):
        super().__init__(err)
        self.errno = err


class OpError(Exception):
    def __init__(self, index, err):
        super().__init__(index, err)
        self.index = index
        self.errno = err
