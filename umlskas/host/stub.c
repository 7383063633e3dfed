/*
 * umlskas-stub: the host process a guest lives in. Static, no libc, linked high.
 *
 * Protocol (the kernel is the ptracing parent; see umlskas/host/stub_channel.py):
 *  1. The kernel creates a memfd "ops page" and spawns us with it as fd 3.
 *     _start maps it read-only at STUB_OPS_ADDR, closes every fd, asks for
 *     SIGKILL if the kernel dies (PR_SET_PDEATHSIG; PTRACE_O_EXITKILL does the
 *     same once we are seized), ignores SIGCHLD so host children of stubs are
 *     reaped by the host, installs the vsyscall seccomp filter (below; its
 *     result in r15) and stops itself with SIGSTOP.
 *  2. The kernel seizes us (PTRACE_SEIZE, EXITKILL|TRACESYSGOOD|TRACESECCOMP|...), removes
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
 *     is the saved fd, 4 = save this result as the fd (r13), 8 = arg5 is r15
 *     (seccomp mode's secret). This lets open+mmap+close of a file run in one
 *     round trip.
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

/*
 * The seccomp filter that routes calls into the legacy vsyscall page to the
 * kernel. The host emulates a call to 0xffffffffff600000 (gettimeofday),
 * ...400 (time) or ...800 (getcpu) from the page fault of the jump itself: no
 * `syscall` instruction runs, so PTRACE_SYSEMU never sees it; but the
 * emulation runs secure_computing() with orig_rax set to the syscall number
 * and ip still in the page (arch/x86/entry/vsyscall/vsyscall_64.c). This
 * filter answers SECCOMP_RET_TRACE exactly there, which (with
 * PTRACE_O_TRACESECCOMP) is a PTRACE_EVENT_SECCOMP stop for the kernel: it
 * emulates the call and sets orig_rax = -1, so the host skips it and
 * emulates the `ret`. Everything else is ALLOWed: under PTRACE_SYSEMU the
 * guest's own syscalls stop before seccomp runs and never reach this filter;
 * what does reach it is the stub's own code (this _start, the kernel's
 * injected syscalls, TT mode's handler), and i386 calls that TT nullified.
 * seccomp_data: nr at 0, arch at 4, instruction_pointer at 8 (low word) and
 * 12 (high word). Forks and clones of the stub inherit the filter.
 */
#define BPF_STMT(code, k) {(code), 0, 0, (k)}
#define BPF_JUMP(code, k, jt, jf) {(code), (jt), (jf), (k)}
struct stub_sock_filter { unsigned short code; unsigned char jt, jf; unsigned int k; };
__attribute__((used, section(".rodata")))
static const struct stub_sock_filter stub_vsyscall_filter[9] = {
    BPF_STMT(0x20, 4),                       /* ld  [4]  arch */
    BPF_JUMP(0x15, 0xC000003E, 0, 6),        /* jeq AUDIT_ARCH_X86_64, else allow */
    BPF_STMT(0x20, 12),                      /* ld  [12] ip, high word */
    BPF_JUMP(0x15, 0xFFFFFFFF, 0, 4),        /* jeq 0xffffffff, else allow */
    BPF_STMT(0x20, 8),                       /* ld  [8]  ip, low word */
    BPF_STMT(0x54, 0xFFFFF000),              /* and #0xfffff000: its page */
    BPF_JUMP(0x15, 0xFF600000, 0, 1),        /* jeq the vsyscall page, else allow */
    BPF_STMT(0x06, 0x7FF00000),              /* ret SECCOMP_RET_TRACE */
    BPF_STMT(0x06, 0x7FFF0000),              /* ret SECCOMP_RET_ALLOW */
};
/* struct sock_fprog {unsigned short len; struct sock_filter *filter;} */
__attribute__((used, section(".rodata")))
static const struct { unsigned long len; const void *filter; } stub_vsyscall_prog = {
    9, stub_vsyscall_filter,
};

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
    /* prctl(PR_SET_NO_NEW_PRIVS, 1) (seccomp requires it without CAP_SYS_ADMIN),
     * then seccomp(SECCOMP_SET_MODE_FILTER, 0, &stub_vsyscall_prog). Its result
     * stays in r15 for the kernel to read when it seizes us (0: installed). */
    "    mov $157, %eax\n"
    "    mov $38, %edi\n"
    "    mov $1, %esi\n"
    "    xor %edx, %edx\n"
    "    xor %r10d, %r10d\n"
    "    xor %r8d, %r8d\n"
    "    syscall\n"
    "    mov $317, %eax\n"
    "    mov $1, %edi\n"
    "    xor %esi, %esi\n"
    "    lea stub_vsyscall_prog(%rip), %rdx\n"
    "    syscall\n"
    "    mov %rax, %r15\n"
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

    /* The kernel's atomic update of a guest futex word (futex_cmpxchg_value_locked):
     * eax = expected, esi = new, rdi = the word; eax comes back as the old value. */
    ".globl stub_cmpxchg\n"
    "stub_cmpxchg:\n"
    "    lock cmpxchgl %esi, (%rdi)\n"
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
    /* Flag 8 (seccomp mode): the sixth argument is the kernel's secret, kept in r15
     * by the kernel for this batch only; the filter allows this instruction only
     * with it (see umlskas/host/mode_seccomp.py). */
    "3:  test $8, %r14b\n"
    "    jz 5f\n"
    "    mov %r15, %r9\n"
    "5:\n"
    ".globl stub_batch_syscall\n"
    "stub_batch_syscall:\n"
    "    syscall\n"
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

    /*
     * TT mode (umlskas/host/mode_tt.py): the host signal handlers of User-mode
     * Linux's tracing-thread protocol. mode_tt installs them at spawn through
     * stub_batch (rt_sigaction with SA_ONSTACK, a sigaltstack in writable stub
     * memory it maps at 0x7ffbe0200000). They use no stack of their own beyond
     * the signal frame the host built on that altstack.
     *
     * stub_tt_usr2 is sig_handler_common_tt -> usr2_handler -> syscall_handler_tt:
     * the tracer nullified the guest's syscall and delivered SIGUSR2; the int3
     * hands the saved registers (the ucontext at rdx) to the kernel, which
     * emulates the call and stores the result in the saved rax
     * (SC_SET_SYSCALL_RETURN) before resuming us with tracing still off.
     * stub_tt_return is set_user_mode: OP_TRACE_ON, i.e. SIGUSR1 to this very
     * thread (tgkill: a real host syscall made while tracing is off); the
     * tracer suppresses it and resumes with PTRACE_SYSCALL. The `ret` pops
     * the frame's pretcode, stub_tt_restorer, whose rt_sigreturn the tracer
     * recognises by its rip and lets through.
     */
    ".globl stub_tt_usr2\n"
    "stub_tt_usr2:\n"
    "    int3\n"
    ".globl stub_tt_return\n"
    "stub_tt_return:\n"
    "    mov $39, %eax\n"              /* getpid: the thread group */
    "    syscall\n"
    "    mov %rax, %r12\n"
    "    mov $186, %eax\n"             /* gettid */
    "    syscall\n"
    "    mov %rax, %rsi\n"
    "    mov %r12, %rdi\n"
    "    mov $10, %edx\n"              /* SIGUSR1 */
    "    mov $234, %eax\n"             /* tgkill(tgid, tid, SIGUSR1) */
    "    syscall\n"
    "    ret\n"
    ".globl stub_tt_usr1\n"
    "stub_tt_usr1:\n"                  /* never runs: the tracer suppresses SIGUSR1 */
    "    ret\n"
    ".globl stub_tt_restorer\n"
    "stub_tt_restorer:\n"
    "    mov $15, %eax\n"              /* rt_sigreturn */
    "    syscall\n"
    "    hlt\n"
    ".globl stub_tt_end\n"
    "stub_tt_end:\n"
);
