/* Register values the host refuses (issue 10, item 7): a clone or clone3 with a TLS
 * address past the user address space, arch_prctl with one, clone3 stacks that do not
 * fit, rt_sigreturn with forged frames (a non-canonical rip, a kernel stack segment, a
 * frame nowhere, a bad MXCSR) and an executable whose entry point is non-canonical.
 * Linux answers EPERM/EINVAL, or kills only the guest that asked with SIGSEGV; each
 * dangerous case runs in a child whose end the parent reports.
 * argv[1]: a scratch directory (for the patched executable). */
#include "common.h"
#include <asm/prctl.h>
#include <elf.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/ucontext.h>
#include <sys/wait.h>

#define NONCANON 0x8000000000000000UL
#define TASK_SIZE_MAX 0x7ffffffff000UL

static void report(const char *label, pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        printf("%s: BAD waitpid\n", label);
        return;
    }
    if (WIFEXITED(status))
        printf("%s: exit %d\n", label, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by %s\n", label, sigabbrev_np(WTERMSIG(status)));
    else
        printf("%s: BAD status %#x\n", label, status);
    fflush(stdout);
}

/* A raw clone: in a child that came to be anyway, exit at once (no libc state). */
static long raw_clone(unsigned long flags, unsigned long tls)
{
    long r;
    register unsigned long r10 __asm__("r10") = 0;
    register unsigned long r8 __asm__("r8") = tls;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "mov $60, %%eax\n\t"
                     "mov $0, %%edi\n\t"
                     "syscall\n"
                     "1:"
                     : "=a"(r)
                     : "0"(56L), "D"(flags), "S"(0UL), "d"(0UL), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return r;
}

static long raw_clone3(struct clone_args *args)
{
    long r;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "mov $60, %%eax\n\t"
                     "mov $0, %%edi\n\t"
                     "syscall\n"
                     "1:"
                     : "=a"(r)
                     : "0"(435L), "D"(args), "S"(sizeof *args)
                     : "rcx", "r11", "memory");
    return r;
}

static void said(const char *label, long r)
{
    if (r < 0 && r > -4096) {
        errno = -r;
        r = -1;
    }
    if (r > 0) {                       /* a child came to be: reap it */
        waitpid(r, NULL, __WALL);
        r = 0;
    }
    res(label, r);
}

static void clones(void)
{
    said("clone SETTLS non-canonical", raw_clone(CLONE_SETTLS | SIGCHLD, NONCANON));
    said("clone SETTLS TASK_SIZE_MAX", raw_clone(CLONE_SETTLS | SIGCHLD, TASK_SIZE_MAX));
    said("clone SETTLS -1", raw_clone(CLONE_SETTLS | SIGCHLD, ~0UL));

    struct clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = CLONE_SETTLS;
    a.exit_signal = SIGCHLD;
    a.tls = NONCANON;
    said("clone3 SETTLS non-canonical", raw_clone3(&a));
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    a.stack = 4096;
    a.stack_size = ~0UL - 100;
    said("clone3 stack+size wraps", raw_clone3(&a));
    a.stack = NONCANON;
    a.stack_size = 4096;
    said("clone3 stack non-canonical", raw_clone3(&a));
    a.stack = TASK_SIZE_MAX - 4096;
    a.stack_size = 8192;
    said("clone3 stack past TASK_SIZE_MAX", raw_clone3(&a));

    res("arch_prctl SET_FS non-canonical", syscall(SYS_arch_prctl, ARCH_SET_FS, NONCANON));
    res("arch_prctl SET_GS non-canonical", syscall(SYS_arch_prctl, ARCH_SET_GS, NONCANON));
    res("arch_prctl SET_FS TASK_SIZE_MAX", syscall(SYS_arch_prctl, ARCH_SET_FS, TASK_SIZE_MAX));
    unsigned long fs = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    check("fs base kept", fs != 0 && fs < TASK_SIZE_MAX);
}

/* ---- forged rt_sigreturn frames ------------------------------------------------------ */

static char stack_area[65536] __attribute__((aligned(64)));
static ucontext_t frames[2] __attribute__((aligned(64)));
static unsigned char fxsave[512] __attribute__((aligned(64)));

static void landed(void)
{
    _exit(7);
}

/* rt_sigreturn with rsp at frame (the ucontext: pretcode was already popped). A return
 * from it to here (it failed instead of killing) ends the child with status 9. */
__attribute__((noreturn)) static void sigreturn_at(void *frame)
{
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "mov $15, %%eax\n\t"
                     "syscall\n\t"
                     "mov $60, %%eax\n\t"
                     "mov $9, %%edi\n\t"
                     "syscall\n\t"
                     "hlt"
                     :
                     : "r"(frame)
                     : "memory");
    __builtin_unreachable();
}

static ucontext_t *frame_to(unsigned long rip)
{
    ucontext_t *uc = &frames[0];
    memset(uc, 0, sizeof *uc);
    unsigned long top = ((unsigned long)(stack_area + sizeof stack_area) & ~15UL) - 8;
    uc->uc_mcontext.gregs[REG_RIP] = rip;
    uc->uc_mcontext.gregs[REG_RSP] = top;
    uc->uc_mcontext.gregs[REG_EFL] = 0x202;
    /* cs 0x33, ss 0x2b (the x86-64 user segments) */
    uc->uc_mcontext.gregs[REG_CSGSFS] = 0x33 | (0x2bUL << 48);
    return uc;
}

static void on_segv(int sig)
{
    (void)sig;
    _exit(11);
}

static void forged_with(const char *label, void *frame, int handled)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (handled)
            signal(SIGSEGV, on_segv);
        sigreturn_at(frame);
    }
    report(label, pid);
}

static void forged(const char *label, void *frame)
{
    forged_with(label, frame, 0);
}

static void sigreturns(void)
{
    forged("sigreturn to a valid rip", frame_to((unsigned long)landed));
    forged("sigreturn to a non-canonical rip", frame_to(NONCANON));
    forged("sigreturn to rip -1", frame_to(~0UL));
    ucontext_t *uc = frame_to((unsigned long)landed);
    uc->uc_flags = 0x4;                         /* UC_STRICT_RESTORE_SS */
    uc->uc_mcontext.gregs[REG_CSGSFS] = 0x33 | (0x10UL << 48);   /* the kernel's ss */
    forged("sigreturn with a kernel ss", uc);
    uc = frame_to((unsigned long)landed);
    uc->uc_flags = 0x4;
    uc->uc_mcontext.gregs[REG_CSGSFS] = 0x33;   /* ss 0 */
    forged("sigreturn with ss 0 (strict)", uc);
    forged("sigreturn with the frame unmapped", (void *)0x10000);
    uc = frame_to((unsigned long)landed);
    memset(fxsave, 0, sizeof fxsave);
    *(unsigned *)(fxsave + 24) = 0xffffffffu;   /* MXCSR with reserved bits */
    uc->uc_mcontext.fpregs = (void *)fxsave;
    forged("sigreturn with a bad MXCSR", uc);
    /* The SIGSEGV of a bad frame is forced, but a handler that is not blocked runs. */
    forged_with("sigreturn with a bad MXCSR, SIGSEGV handled", uc, 1);
    uc = frame_to((unsigned long)landed);
    uc->uc_mcontext.fpregs = (void *)NONCANON;
    forged("sigreturn with fpstate non-canonical", uc);
}

/* ---- an executable whose entry point is non-canonical ------------------------------ */

static void bad_entry(unsigned long entry, const char *label)
{
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open("bad-entry", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    long n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            break;
    Elf64_Ehdr eh;
    int rd = open("bad-entry", O_RDONLY);
    if (pread(rd, &eh, sizeof eh, 0) != sizeof eh) {
        say("bad entry: BAD read\n");
        return;
    }
    close(rd);
    eh.e_entry = entry;
    if (pwrite(out, &eh, sizeof eh, 0) != sizeof eh)
        say("bad entry: BAD write\n");
    close(in);
    close(out);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"bad-entry", NULL};
        execv("./bad-entry", argv);
        _exit(8);
    }
    report(label, pid);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    clones();
    sigreturns();
    bad_entry(NONCANON, "execve of an ELF with a non-canonical entry");
    bad_entry(~0UL, "execve of an ELF with entry -1");
    say("still running: yes\n");
    return 0;
}
