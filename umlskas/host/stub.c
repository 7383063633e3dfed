/*
 * umlskas-stub: the host process a guest lives in. Static, no libc, linked high.
 *
 * Protocol (the kernel is the ptracing parent; see umlskas/host/stub_channel.py):
 *  1. The kernel creates a memfd "ops page" and spawns us with it as fd 3.
 *     _start maps it read-only at STUB_OPS_ADDR, closes every fd, asks for
 *     SIGKILL if the kernel dies (PR_SET_PDEATHSIG; PTRACE_O_EXITKILL does the
 *     same once we are seized), ignores SIGCHLD so host children of stubs are
 *     reaped by the host, and stops itself with SIGSTOP.
 *  2. The kernel seizes us (PTRACE_SEIZE, EXITKILL|TRACESYSGOOD|...), removes
 *     the host's vdso/vvar/stack mappings through the trampoline and loads the
 *     guest. From then on the guest runs under PTRACE_SYSEMU: every `syscall`
 *     it executes stops in the kernel and is skipped by the host.
 *  3. To run a host syscall in this address space the kernel points rip at
 *     `stub_syscall` (`syscall; int3`) with the syscall registers loaded and
 *     resumes with PTRACE_CONT; the int3 gives it back. To run a batch it
 *     points rip at `stub_batch` with rbx = first op, r12 = op count: ops are
 *     64-byte records {nr, flags, args[6]} in the ops page, run in order until
 *     one fails; on the int3, rax is the last result and r12 the number of ops
 *     not completed (0 on success). Flags: 1 = arg0 is the saved fd, 2 = arg4
 *     is the saved fd, 4 = save this result as the fd (r13). This lets
 *     open+mmap+close of a file run in one round trip.
 *
 * What it trusts: only the kernel's registers. The guest shares this address
 * space and can read our pages, but cannot change them: the text is r-x and
 * the ops page read-only, and the guest's mmap/mprotect/munmap are emulated
 * by the kernel, which refuses any range at or above STUB_BASE. The batch
 * code uses no stack and no writable memory, so nothing the guest can write
 * steers what runs while the kernel resumes us with PTRACE_CONT. Every host
 * syscall made here is one the kernel chose.
 */

#define STUB_OPS_ADDR 0x7ffbe0100000UL
#define STUB_OPS_SIZE 0x10000UL

/* A constant struct sigaction for SIGCHLD = SIG_IGN (handler, flags, restorer, mask). */
__attribute__((used, section(".rodata")))
static const unsigned long stub_sigchld_ignore[4] = {1, 0, 0, 0};

__asm__(
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    /* mmap(STUB_OPS_ADDR, STUB_OPS_SIZE, PROT_READ, MAP_SHARED|MAP_FIXED, 3, 0) */
    "    mov $9, %eax\n"
    "    movabs $0x7ffbe0100000, %rdi\n"
    "    mov $0x10000, %esi\n"
    "    mov $1, %edx\n"
    "    mov $0x11, %r10d\n"
    "    mov $3, %r8d\n"
    "    xor %r9d, %r9d\n"
    "    syscall\n"
    "    cmp $-4095, %rax\n"
    "    jae stub_fail\n"
    /* close_range(0, ~0U, 0) */
    "    mov $436, %eax\n"
    "    xor %edi, %edi\n"
    "    mov $-1, %esi\n"
    "    xor %edx, %edx\n"
    "    syscall\n"
    /* prctl(PR_SET_PDEATHSIG, SIGKILL) */
    "    mov $157, %eax\n"
    "    mov $1, %edi\n"
    "    mov $9, %esi\n"
    "    syscall\n"
    /* rt_sigaction(SIGCHLD, &ignore, NULL, 8) */
    "    mov $13, %eax\n"
    "    mov $17, %edi\n"
    "    lea stub_sigchld_ignore(%rip), %rsi\n"
    "    xor %edx, %edx\n"
    "    mov $8, %r10d\n"
    "    syscall\n"
    /* kill(getpid(), SIGSTOP): wait for the kernel to seize us */
    "    mov $39, %eax\n"
    "    syscall\n"
    "    mov %rax, %rdi\n"
    "    mov $62, %eax\n"
    "    mov $19, %esi\n"
    "    syscall\n"
    /* Resumed without the kernel taking over: nobody is tracing us. */
    "stub_fail:\n"
    "    mov $231, %eax\n"
    "    mov $127, %edi\n"
    "    syscall\n"
    "    hlt\n"

    ".globl stub_syscall\n"
    "stub_syscall:\n"
    "    syscall\n"
    "    int3\n"

    ".globl stub_batch\n"
    "stub_batch:\n"
    "1:  test %r12, %r12\n"
    "    jz 9f\n"
    "    mov (%rbx), %rax\n"
    "    mov 8(%rbx), %r14\n"
    "    mov 16(%rbx), %rdi\n"
    "    mov 24(%rbx), %rsi\n"
    "    mov 32(%rbx), %rdx\n"
    "    mov 40(%rbx), %r10\n"
    "    mov 48(%rbx), %r8\n"
    "    mov 56(%rbx), %r9\n"
    "    test $1, %r14b\n"
    "    jz 2f\n"
    "    mov %r13, %rdi\n"
    "2:  test $2, %r14b\n"
    "    jz 3f\n"
    "    mov %r13, %r8\n"
    "3:  syscall\n"
    "    cmp $-4095, %rax\n"
    "    jae 9f\n"
    "    test $4, %r14b\n"
    "    jz 4f\n"
    "    mov %rax, %r13\n"
    "4:  add $64, %rbx\n"
    "    dec %r12\n"
    "    jmp 1b\n"
    "9:  int3\n"
    "    hlt\n"
);
