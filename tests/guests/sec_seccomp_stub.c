/* Attacks on seccomp mode's stub (umlskas/host/mode_seccomp.py), as a guest would try
 * them: only ever run under umlskas (with --root), never natively; the expected lines are
 * in tests/security/test_seccomp_stub.py.
 *
 * argv: 1 the host path of a secret outside --root, 2 the host pid of a sleeper the test
 * owns, 3 a host path (outside --root) that must not be created, 4, 5 the addresses of the
 * stub's stub_syscall and stub_batch_syscall (hex).
 *
 * The stub's two syscall sites are the only places the host's filter lets a syscall
 * through, and only with the kernel's secret in r9: a guest that jumps there (guessing the
 * secret, blocking SIGSYS, through the batch loop's own instruction) must get SIGSYS or
 * die of it, and nothing may happen on the host. The guest's own seccomp filter and its
 * SIGSYS handler are the kernel's emulation.
 */
/* build: static */
#include "common.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <ucontext.h>

#define STUB_BASE 0x7ffbe0000000UL

/* enter_at(target, regs): load rax,rdi,rsi,rdx,r10,r8,r9 from regs[] and jump. */
__asm__(".text\n"
        ".globl enter_at\n"
        "enter_at:\n"
        "    mov %rdi, %r11\n"
        "    mov 0(%rsi), %rax\n"
        "    mov 32(%rsi), %r10\n"
        "    mov 40(%rsi), %r8\n"
        "    mov 48(%rsi), %r9\n"
        "    mov 24(%rsi), %rdx\n"
        "    mov 8(%rsi), %rdi\n"
        "    mov 16(%rsi), %rsi\n"
        "    jmp *%r11\n"
        /* long int80_mkdir(path): i386 mkdir(path, 0755) through int $0x80 (path < 4 GiB) */
        ".globl int80_mkdir\n"
        "int80_mkdir:\n"
        "    push %rbx\n"
        "    mov %edi, %ebx\n"
        "    mov $0755, %ecx\n"
        "    mov $39, %eax\n"
        "    int $0x80\n"
        "    pop %rbx\n"
        "    ret\n");
void enter_at(unsigned long target, const long *regs);
long int80_mkdir(long path);

static sigjmp_buf jb;
static volatile int got_sig, got_code, got_nr;
static volatile long got_rax;

static void on_sig(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    got_sig = sig;
    got_code = si->si_code;
    got_nr = sig == SIGSYS ? si->si_syscall : -1;
    got_rax = uc->uc_mcontext.gregs[REG_RAX];
    siglongjmp(jb, 1);
}

static const char *signame(int sig)
{
    switch (sig) {
    case SIGSYS: return "SIGSYS";
    case SIGSEGV: return "SIGSEGV";
    case SIGTRAP: return "SIGTRAP";
    case 0: return "none";
    default: return "other";
    }
}

/* Jump to a stub site with the given syscall registers; say which signal came back. */
static void jump(const char *label, unsigned long target, long nr, long a, long b, long c,
                 long d, long e, long f)
{
    long regs[7] = {nr, a, b, c, d, e, f};
    got_sig = got_code = 0;
    got_nr = -1;
    if (sigsetjmp(jb, 1) == 0)
        enter_at(target, regs);
    say("%s: %s code %d nr %d\n", label, signame(got_sig), got_code, got_nr);
}

int main(int argc, char **argv)
{
    if (argc < 6)
        return 2;
    const char *secret = argv[1];
    long sleeper = strtol(argv[2], NULL, 10);
    const char *canary = argv[3];
    unsigned long t_syscall = strtoul(argv[4], NULL, 16) ;
    unsigned long t_batch_sc = strtoul(argv[5], NULL, 16);
    unsigned char text0 = *(volatile unsigned char *)t_syscall;

    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSYS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);

    /* ---- the stub's syscall sites, jumped into ----------------------------------------- */
    jump("stub_syscall getpid", t_syscall, SYS_getpid, 0, 0, 0, 0, 0, 0);
    jump("stub_syscall kill host sleeper", t_syscall, SYS_kill, sleeper, SIGKILL, 0, 0, 0, 0);
    jump("stub_syscall kill, guessed secret", t_syscall, SYS_kill, sleeper, SIGKILL, 0, 0, 0,
         0x4141414141414141L);
    jump("stub_syscall openat host secret", t_syscall, SYS_openat, AT_FDCWD, (long)secret,
         O_RDONLY, 0, 0, 0);
    jump("stub_syscall mkdir host canary", t_syscall, SYS_mkdir, (long)canary, 0755, 0, 0, 0, 0);
    jump("batch site kill host sleeper", t_batch_sc, SYS_kill, sleeper, SIGKILL, 0, 0, 0, 0);
    jump("batch site mmap over the stub", t_batch_sc, SYS_mmap, STUB_BASE, 4096,
         PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    jump("batch site mmap across the stub", t_batch_sc, SYS_mmap, STUB_BASE - 4096, 0x10000,
         PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    jump("batch site mmap wrapping around", t_batch_sc, SYS_mmap, 0x7000000000000000L,
         0x9000000000000000L, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    jump("batch site munmap the stub", t_batch_sc, SYS_munmap, STUB_BASE, 0x200000, 0, 0, 0, 0);
    say("stub text unchanged: %s\n", *(volatile unsigned char *)t_syscall == text0 ? "yes" : "BAD");
    say("getpid after the jumps: %d\n", getpid());

    /* ---- SIGSYS blocked, or its handler reset: the jump kills (force_sig), as Linux -------- */
    for (int how = 0; how < 2; how++) {
        pid_t c = fork();
        if (c == 0) {
            if (how == 0) {
                sigset_t set;
                sigemptyset(&set);
                sigaddset(&set, SIGSYS);
                sigprocmask(SIG_BLOCK, &set, NULL);
            } else {
                signal(SIGSYS, SIG_IGN);
            }
            long regs[7] = {SYS_kill, sleeper, SIGKILL, 0, 0, 0, 0};
            enter_at(t_syscall, regs);
            _exit(0);
        }
        int st = 0;
        waitpid(c, &st, 0);
        say("jump with SIGSYS %s: %s\n", how ? "ignored" : "blocked",
            WIFSIGNALED(st) ? (WTERMSIG(st) == SIGSYS ? "killed by SIGSYS" : "killed") : "exited");
    }

    /* ---- the guest's own seccomp filter: emulated, its SIGSYS the guest's own ------------ */
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgrp, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 7),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    say("no_new_privs: %d\n", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    say("seccomp filter: %d\n", (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
    errno = 0;
    long r = syscall(SYS_getppid);
    say("getppid under the guest filter: %ld %s\n", r, r < 0 ? ename(errno) : "");
    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        syscall(SYS_getpgrp);
    say("getpgrp under the guest filter: %s code %d nr %d\n", signame(got_sig), got_code, got_nr);
    jump("stub_syscall getpid under the guest filter", t_syscall, SYS_getpid, 0, 0, 0, 0, 0, 0);
    say("getpid still the guest's: %d\n", getpid());
    {
        /* i386 calls pass the filter as SECCOMP_RET_TRACE: refused by the kernel */
        char *low = mmap((void *)0x20000000UL, 4096, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        long r = -1;
        if (low != MAP_FAILED) {
            snprintf(low, 4096, "%s", canary);
            r = int80_mkdir((long)low);
        }
        say("int $0x80 mkdir of the host canary: %s\n", r < 0 && r > -4096 ? ename((int)-r) : "ran");
    }
    say("alive\n");
    return 0;
}
