/* Attacks on the stub's pages and on the `syscall` instruction itself, as a guest would try
 * them: only ever run under umlskas (with --root), never natively; the test gives the
 * expected lines (see tests/security/test_escape_stub.py).
 *
 * argv: 1 the host path of a secret outside --root, 2 the host pid of a sleeper the test
 * owns, 3 a host path (outside --root) that must not be created, 4..7 the addresses of the
 * stub's stub_syscall, stub_batch, stub_tt_return and stub_tt_usr2 (hex).
 *
 * Every `syscall` the guest executes, wherever the instruction is (its own text, a JIT page,
 * the stub's trampoline or batch loop), must be emulated: getpid answers the guest pid,
 * kill of a host pid ESRCH, openat of a host path outside the root ENOENT. The stub's range
 * behaves like memory above TASK_SIZE: the guest cannot change it.
 */
/* build: static */
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>

#define STUB_BASE 0x7ffbe0000000UL
#define STUB_OPS 0x7ffbe0100000UL
#define STUB_OPS_SIZE 0x10000UL
#define TT_AREA 0x7ffbe0200000UL   /* TT mode's handler stacks: writable stub memory */
#define JIT_AT 0x20000000UL       /* 32-bit addressable, for the i386 calls */

/* ---- code templates copied into JIT pages ------------------------------------------- */

/* long jit_syscall(nr, a, b, c, d, e): the raw instruction, with no libc around it. */
__asm__(".text\n"
        ".globl tmpl_syscall, tmpl_syscall_end\n"
        "tmpl_syscall:\n"
        "    mov %rdi, %rax\n"
        "    mov %rsi, %rdi\n"
        "    mov %rdx, %rsi\n"
        "    mov %rcx, %rdx\n"
        "    mov %r8, %r10\n"
        "    mov %r9, %r8\n"
        "    syscall\n"
        "    ret\n"
        "tmpl_syscall_end:\n"
        /* long jit_int80_mkdir(path): i386 mkdir(path, 0755) through int $0x80 */
        ".globl tmpl_int80, tmpl_int80_end\n"
        "tmpl_int80:\n"
        "    push %rbx\n"
        "    mov %edi, %ebx\n"
        "    mov $0755, %ecx\n"
        "    mov $39, %eax\n"
        "    int $0x80\n"
        "    pop %rbx\n"
        "    ret\n"
        "tmpl_int80_end:\n"
        /* the same through sysenter (the fast 32-bit entry; run in a child: no way back) */
        ".globl tmpl_sysenter, tmpl_sysenter_end\n"
        "tmpl_sysenter:\n"
        "    push %rbx\n"
        "    push %rbp\n"
        "    mov %edi, %ebx\n"
        "    mov $0755, %ecx\n"
        "    mov $39, %eax\n"
        "    mov %rsp, %rbp\n"
        "    sysenter\n"
        "    pop %rbp\n"
        "    pop %rbx\n"
        "    ret\n"
        "tmpl_sysenter_end:\n"
        /* enter_at(target, regs): load rax,rdi,rsi,rdx,r10,r8,r9,rbx,r12 from regs[] and
         * jump; the stub's int3 brings us back through the SIGTRAP handler's siglongjmp. */
        ".globl enter_at\n"
        "enter_at:\n"
        "    mov %rdi, %r11\n"
        "    mov 0(%rsi), %rax\n"
        "    mov 32(%rsi), %r10\n"
        "    mov 40(%rsi), %r8\n"
        "    mov 48(%rsi), %r9\n"
        "    mov 56(%rsi), %rbx\n"
        "    mov 64(%rsi), %r12\n"
        "    mov 24(%rsi), %rdx\n"
        "    mov 8(%rsi), %rdi\n"
        "    mov 16(%rsi), %rsi\n"
        "    jmp *%r11\n"
        /* call_keep(target): call target, which may clobber r12 (stub_tt_return does) */
        ".globl call_keep\n"
        "call_keep:\n"
        "    push %r12\n"
        "    call *%rdi\n"
        "    pop %r12\n"
        "    ret\n");
extern char tmpl_syscall[], tmpl_syscall_end[], tmpl_int80[], tmpl_int80_end[];
extern char tmpl_sysenter[], tmpl_sysenter_end[];
void enter_at(unsigned long target, const long *regs);
void call_keep(unsigned long target);

/* ---- catching the faults and traps the probes cause ----------------------------------- */

static sigjmp_buf jb;
static volatile int got_sig;
static volatile long got_rax, got_r12;
static volatile int usr1_count, cont_count;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    (void)si;
    got_sig = sig;
    got_rax = uc->uc_mcontext.gregs[REG_RAX];
    got_r12 = uc->uc_mcontext.gregs[REG_R12];
    siglongjmp(jb, 1);
}

static void on_usr1(int sig) { (void)sig; usr1_count++; }
static void on_cont(int sig) { (void)sig; cont_count++; }

static const char *signame(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGTRAP: return "SIGTRAP";
    case SIGILL: return "SIGILL";
    case 0: return "none";
    default: return "other";
    }
}

static const char *rerr(long r)
{
    static char buf[64];
    if (r < 0 && r > -4096)
        return ename((int)-r);
    snprintf(buf, sizeof buf, "%s", r == 0 ? "0" : "positive");
    return buf;
}

/* Touch one byte: read (write=0) or write (write=1). Prints the signal, if any. */
static void touch(const char *label, volatile char *p, int write)
{
    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        if (write)
            *p = *p;
        else
            (void)*p;
    }
    say("%s: %s\n", label, signame(got_sig));
}

/* Jump to target with registers; report the signal that brought us back and rax/r12. */
static void jump(const char *label, unsigned long target, long rax, long rdi, long rsi, long rdx,
                 long rbx, long r12)
{
    long regs[9] = {rax, rdi, rsi, rdx, 0, 0, 0, rbx, r12};
    got_sig = 0;
    got_rax = got_r12 = 0;
    if (sigsetjmp(jb, 1) == 0)
        enter_at(target, regs);
    say("%s: %s rax %s r12 %ld\n", label, signame(got_sig), rerr(got_rax), got_r12);
}

static void *jit_page(const char *label, int rwx)
{
    int prot = rwx ? PROT_READ | PROT_WRITE | PROT_EXEC : PROT_READ | PROT_WRITE;
    void *p = mmap((void *)JIT_AT, PG, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    pok(label, p);
    return p;
}

int main(int argc, char **argv)
{
    if (argc < 8)
        return 2;
    const char *secret = argv[1];
    long sleeper = strtol(argv[2], NULL, 10);
    const char *canary = argv[3];
    unsigned long t_syscall = strtoul(argv[4], NULL, 16);
    unsigned long t_batch = strtoul(argv[5], NULL, 16);
    unsigned long t_tt_return = strtoul(argv[6], NULL, 16);
    unsigned long t_tt_usr2 = strtoul(argv[7], NULL, 16);
    pid_t me = getpid();

    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    signal(SIGUSR1, on_usr1);
    signal(SIGCONT, on_cont);
    say("pid: %d\n", me);

    /* ---- the stub's pages: readable at most, never changeable -------------------------- */
    touch("read stub text", (char *)t_syscall, 0);
    touch("write stub text", (char *)t_syscall, 1);
    touch("write ops page", (char *)STUB_OPS, 1);
    res("read() into stub text", read(open("/proc/self/stat", O_RDONLY), (void *)t_syscall, 8));
    rok("munmap stub", munmap((void *)STUB_BASE, PG));
    rok("munmap ops page", munmap((void *)STUB_OPS, STUB_OPS_SIZE));
    rok("munmap everything", munmap((void *)0x10000, STUB_BASE + 0x400000 - 0x10000));
    rok("mprotect stub rwx", mprotect((void *)STUB_BASE, PG, PROT_READ | PROT_WRITE | PROT_EXEC));
    rok("mprotect ops page rw", mprotect((void *)STUB_OPS, PG, PROT_READ | PROT_WRITE));
    rok("madvise DONTNEED stub", madvise((void *)STUB_BASE, PG, MADV_DONTNEED));
    rok("madvise DONTNEED ops page", madvise((void *)STUB_OPS, PG, MADV_DONTNEED));
    pok("mmap FIXED over stub", mmap((void *)STUB_BASE, PG, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    pok("mmap FIXED over ops page", mmap((void *)STUB_OPS, PG, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    pok("mmap FIXED_NOREPLACE at stub", mmap((void *)STUB_BASE, PG, PROT_READ,
                                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    void *hint = mmap((void *)STUB_BASE, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap hint at stub lands below it", hint != MAP_FAILED && (unsigned long)hint + PG <= STUB_BASE);
    void *big = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pok("mremap FIXED onto stub", mremap(big, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)STUB_BASE));
    pok("mremap FIXED onto ops page", mremap(big, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)STUB_OPS));
    pok("mremap the stub itself", mremap((void *)STUB_BASE, PG, 2 * PG, MREMAP_MAYMOVE));
    pok("mremap grow into stub", mremap((void *)(STUB_BASE - PG), PG, 2 * PG, 0));
    res("brk into stub", syscall(SYS_brk, STUB_BASE + PG) == (long)(STUB_BASE + PG));
    {
        char data[8] = "smashed";
        struct iovec l = {data, 8}, r = {(void *)t_syscall, 8};
        res("process_vm_writev stub", process_vm_writev(me, &l, 1, &r, 1, 0));
        r.iov_base = (void *)STUB_OPS;
        res("process_vm_writev ops page", process_vm_writev(me, &l, 1, &r, 1, 0));
        int mem = open("/proc/self/mem", O_RDWR);
        res("/proc/self/mem write stub text", mem < 0 ? -1 : pwrite(mem, data, 8, t_syscall));
        res("/proc/self/mem write ops page", mem < 0 ? -1 : pwrite(mem, data, 8, STUB_OPS));
        res("/proc/self/mem write unmapped", mem < 0 ? -1 : pwrite(mem, data, 8, 0x1000));
        res("/proc/self/mem write kernel address", mem < 0 ? -1 : pwrite(mem, data, 8, 0xffff880000000000UL));
        close(mem);
    }
    res("getpid after the attacks on the stub", getpid() == me);

    /* TT's signal stack (slot 0, this thread's): garbage in it must not steer the handler,
     * whose frame the host builds afresh on each syscall (SKAS has nothing mapped there) */
    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0)
        memset((void *)TT_AREA, 0xcc, 0x10000);
    say("scribble over the TT area: %s\n", signame(got_sig));
    res("getpid after the scribble", getpid() == me);

    /* The ops page holds the kernel's last batch, with its string arguments (host paths
     * such as /proc/<kernel pid>/fd/N). An attacker reads them and tries them. */
    {
        int fd = open("/proc/self/exe", O_RDONLY);      /* a file mmap makes a batch */
        void *m = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
        pok("mmap a file", m);
        int found = 0, reached = 0;
        const char *ops = (const char *)STUB_OPS;
        got_sig = 0;
        if (sigsetjmp(jb, 1) == 0) {
            for (unsigned long i = 0; i + 7 < STUB_OPS_SIZE; i++) {
                if (memcmp(ops + i, "/proc/", 6) != 0)
                    continue;
                char path[256];
                snprintf(path, sizeof path, "%s", ops + i);
                found++;
                int f = open(path, O_RDONLY);
                if (f >= 0) {
                    reached++;
                    say("reached host path from the ops page: %s\n", path);
                    close(f);
                }
                long hp = strtol(path + 6, NULL, 10);
                if (hp > 0 && hp != me && kill(hp, 0) == 0) {
                    reached++;
                    say("kill(0) reached host pid from the ops page: %ld\n", hp);
                }
                i += strlen(path);
            }
        }
        say("ops page strings read: %s, reached: %d\n", found ? "some" : got_sig ? "unreadable" : "none", reached);
        munmap(m, PG);
        close(fd);
    }

    /* ---- the stub's own code, jumped into ---------------------------------------------- */
    jump("stub_syscall getpid", t_syscall, SYS_getpid, 0, 0, 0, 0, 0);
    say("stub_syscall getpid is the guest pid: %s\n", got_rax == me ? "yes" : "BAD");
    jump("stub_syscall kill host sleeper", t_syscall, SYS_kill, sleeper, SIGKILL, 0, 0, 0);
    jump("stub_syscall openat host secret", t_syscall, SYS_openat, AT_FDCWD, (long)secret, O_RDONLY, 0, 0);
    {
        /* the batch loop over ops the guest wrote itself: {nr, flags, args[6]} */
        static unsigned long ops[3][8];
        static char buf[64];
        unsigned long k[8] = {SYS_kill, 0, (unsigned long)sleeper, SIGKILL, 0, 0, 0, 0};
        unsigned long o[8] = {SYS_openat, 4, (unsigned long)AT_FDCWD, (unsigned long)secret, O_RDONLY, 0, 0, 0};
        unsigned long r[8] = {SYS_read, 1, 0, (unsigned long)buf, sizeof buf, 0, 0, 0};
        unsigned long g[8] = {SYS_getpid, 0, 0, 0, 0, 0, 0, 0};
        memcpy(ops[0], k, sizeof k);
        memcpy(ops[1], o, sizeof o);
        memcpy(ops[2], r, sizeof r);
        jump("stub_batch kill+openat+read", t_batch, 0, 0, 0, 0, (long)ops, 3);
        memcpy(ops[0], o, sizeof o);
        memcpy(ops[1], r, sizeof r);
        jump("stub_batch openat+read", t_batch, 0, 0, 0, 0, (long)ops, 2);
        memcpy(ops[0], g, sizeof g);
        jump("stub_batch getpid", t_batch, 0, 0, 0, 0, (long)ops, 1);
        say("stub_batch getpid is the guest pid: %s\n", got_rax == me ? "yes" : "BAD");
        /* the kernel's own last batch, replayed by the guest: emulated like any other */
        long regs[9] = {0, 0, 0, 0, 0, 0, 0, (long)STUB_OPS, 4};
        got_sig = 0;
        got_r12 = 0;
        if (sigsetjmp(jb, 1) == 0)
            enter_at(t_batch, regs);
        say("replayed batch: %s\n", got_sig == SIGTRAP && got_r12 != 0 ? "stopped at a failing op" :
                                      got_sig == SIGTRAP ? "all ran" : "BAD");
    }
    /* TT's handler pieces: getpid/gettid/tgkill(SIGUSR1) then ret, and the handler's int3 */
    usr1_count = 0;
    call_keep(t_tt_return);
    say("stub_tt_return: SIGUSR1 delivered to the guest %d time(s)\n", usr1_count);
    jump("stub_tt_usr2", t_tt_usr2, 0, 0, 0, 0, 0, 0);
    {
        /* a guest-sent SIGUSR2 and SIGUSR1 are guest signals, not TT's protocol signals */
        usr1_count = 0;
        signal(SIGUSR2, on_usr1);
        kill(me, SIGUSR2);
        kill(me, SIGUSR1);
        say("guest SIGUSR1+SIGUSR2 handled: %d\n", usr1_count);
        signal(SIGUSR2, SIG_DFL);
    }

    /* ---- raw `syscall` from a JIT page -------------------------------------------------- */
    {
        char *p = jit_page("mmap rwx", 1);
        memcpy(p, tmpl_syscall, tmpl_syscall_end - tmpl_syscall);
        long (*jit)(long, long, long, long, long, long) = (void *)p;
        long r = jit(SYS_getpid, 0, 0, 0, 0, 0);
        say("jit getpid is the guest pid: %s\n", r == me ? "yes" : "BAD");
        say("jit getppid: %ld\n", jit(SYS_getppid, 0, 0, 0, 0, 0));
        say("jit openat host secret: %s\n", rerr(jit(SYS_openat, AT_FDCWD, (long)secret, O_RDONLY, 0, 0)));
        say("jit kill host sleeper: %s\n", rerr(jit(SYS_kill, sleeper, SIGKILL, 0, 0, 0)));
        say("jit kill(1, 0): %s\n", rerr(jit(SYS_kill, 1, 0, 0, 0, 0)));
        cont_count = 0;
        say("jit kill(1, SIGCONT): %s\n", rerr(jit(SYS_kill, 1, SIGCONT, 0, 0, 0)));
        say("SIGCONT reached the guest's pid 1: %s\n", cont_count == 1 ? "yes" : "no");
        say("jit mkdir of a host path: %s\n", rerr(jit(SYS_mkdir, (long)canary, 0755, 0, 0, 0)));
        munmap(p, PG);

        p = jit_page("mmap rw", 0);
        memcpy(p, tmpl_syscall, tmpl_syscall_end - tmpl_syscall);
        rok("mprotect rx", mprotect(p, PG, PROT_READ | PROT_EXEC));
        jit = (void *)p;
        say("jit (W then X) getpid is the guest pid: %s\n", jit(SYS_getpid, 0, 0, 0, 0, 0) == me ? "yes" : "BAD");
        say("jit (W then X) openat host secret: %s\n", rerr(jit(SYS_openat, AT_FDCWD, (long)secret, O_RDONLY, 0, 0)));
        munmap(p, PG);
    }
    /* i386 entries from JIT code: mkdir(canary) must never run on the host */
    {
        char *p = jit_page("mmap rwx for int80", 1);
        size_t n = tmpl_int80_end - tmpl_int80;
        memcpy(p, tmpl_int80, n);
        char *path = p + 2048;            /* a 32-bit pointer for ebx */
        snprintf(path, 1024, "%s", canary);
        long (*i80)(long) = (void *)p;
        say("jit int80 mkdir: %s\n", rerr(i80((long)path)));
        memcpy(p + 1024, tmpl_sysenter, tmpl_sysenter_end - tmpl_sysenter);
        pid_t c = fork();
        if (c == 0) {
            signal(SIGSEGV, SIG_DFL);
            signal(SIGILL, SIG_DFL);
            signal(SIGBUS, SIG_DFL);
            signal(SIGTRAP, SIG_DFL);
            long r = ((long (*)(long))(p + 1024))((long)path);
            say("jit sysenter mkdir returned: %s\n", rerr(r));
            _exit(0);
        }
        int st = 0;
        waitpid(c, &st, 0);
        if (WIFEXITED(st))
            say("jit sysenter child ended: exit %d\n", WEXITSTATUS(st));
        else
            say("jit sysenter child ended: %s\n", signame(WTERMSIG(st)));
        munmap(p, PG);
    }
    struct stat sb;
    res("canary visible in the guest", stat(canary, &sb));
    res("getpid still the guest's", getpid() == me);
    say("alive\n");
    return 0;
}
