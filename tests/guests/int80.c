/* i386 syscalls through `int $0x80` from a 64-bit process.
 *
 * Natively (with IA32 emulation) eax=20 is i386 getpid and returns the pid,
 * then eax=1/ebx=7 is i386 exit(7).
 * umlskas must refuse them (-ENOSYS) and must never execute them as the
 * x86-64 syscalls with the same numbers (20 = writev, 1 = write): the
 * registers are loaded so that such a mistake prints a "WRONG" line.
 * Not compared with native: the test asserts "int80 refused".
 */
#include "common.h"
#include <sys/uio.h>

static const char wrong_writev[] = "WRONG: int80 20 executed as x86-64 writev\n";
static const char wrong_write[] = "WRONG: int80 1 executed as x86-64 write\n";

static long int80(long eax, long ebx, long ecx, long edx, long rdi, long rsi, long rdx_unused)
{
    long ret;
    (void)rdx_unused;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(eax), "b"(ebx), "c"(ecx), "d"(edx), "D"(rdi), "S"(rsi)
                     : "memory", "cc", "r8", "r9", "r10", "r11");
    return ret;
}

static const char *classify(long r)
{
    static char buf[64];
    if (r == -ENOSYS)
        return "ENOSYS";
    if (r < 0 && r > -4096) {
        snprintf(buf, sizeof buf, "negative %s", ename((int)-r));
        return buf;
    }
    if (r > 0)
        return "positive";
    return "zero";
}

int main(void)
{
    struct iovec iov = {(void *)wrong_writev, sizeof wrong_writev - 1};

    /* i386 getpid; as x86-64 this would be writev(1, &iov, 1) */
    long r1 = int80(20, 1, (long)&iov, 1, 1, (long)&iov, 1);
    say("int80 getpid: %s\n", classify(r1));

    /* i386 exit(7); as x86-64 this would be write(1, wrong_write, len) */
    long r2 = int80(1, 7, (long)wrong_write, sizeof wrong_write - 1, 1, (long)wrong_write, 0);
    say("int80 exit: %s\n", classify(r2));

    if (r1 == -ENOSYS && r2 == -ENOSYS)
        say("int80 refused\n");
    else
        say("int80 not refused\n");
    say("alive\n");
    return 0;
}
