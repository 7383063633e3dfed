/*
 * getpid_loop: the benchmark guest.  Usage: getpid_loop N
 *
 * Calls raw getpid (x86-64 syscall 39) N times with the `syscall` instruction, then
 * exit_group(0).  It makes no other system call: no libc, no TLS, no vDSO, no stack
 * protector, so any tracer that emulates getpid and exit_group can run it.
 * Exit status 1 if any getpid returned a negative value (an -errno: the tracer did not
 * emulate it), 2 if argv[1] is missing or not a decimal number.
 *
 * Build: cc -O2 -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie
 */

#define SYS_getpid 39
#define SYS_exit_group 231

static inline long raw_syscall0(long nr)
{
    long ret;
    __asm__ volatile ("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

static __attribute__((noreturn)) void raw_exit_group(long status)
{
    for (;;)
        __asm__ volatile ("syscall" : : "a"((long)SYS_exit_group), "D"(status)
                          : "rcx", "r11", "memory");
}

/* Entered from _start with the initial stack pointer: [argc][argv0][argv1]...[NULL] */
__attribute__((used, noreturn)) void getpid_loop_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    if (argc < 2 || argv[1][0] == '\0')
        raw_exit_group(2);

    unsigned long n = 0;
    for (const char *p = argv[1]; *p; p++) {
        if (*p < '0' || *p > '9')
            raw_exit_group(2);
        n = n * 10 + (unsigned long)(*p - '0');
    }

    long bad = 0;
    for (unsigned long i = 0; i < n; i++)
        bad |= raw_syscall0(SYS_getpid);   /* sign bit set iff some call returned -errno */
    raw_exit_group(bad < 0 ? 1 : 0);
}

/* The ELF entry point: pass the initial rsp, realign the stack for the C ABI. */
__asm__(
    ".text\n"
    ".global _start\n"
    ".type _start, @function\n"
    "_start:\n"
    "    xor %rbp, %rbp\n"
    "    mov %rsp, %rdi\n"
    "    and $-16, %rsp\n"
    "    call getpid_loop_main\n"
    "    hlt\n"
);
