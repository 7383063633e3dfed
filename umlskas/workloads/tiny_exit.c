/* tiny_exit: the smallest possible exec target for bench_processes.py.
 *
 * Static, -nostdlib -ffreestanding, no libc: _start makes exactly one system call,
 * exit_group(0).  Exec'ing it costs the kernel (or umlskas) only the ELF load and the
 * process set-up/tear-down, nothing else.
 */

void _start(void) __attribute__((noreturn, naked));

void _start(void)
{
    __asm__ volatile(
        "mov $231, %eax\n\t"    /* __NR_exit_group */
        "xor %edi, %edi\n\t"    /* status 0 */
        "syscall\n\t"
        "hlt\n\t");
}
