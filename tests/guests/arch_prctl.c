/* build: static */
/* arch_prctl FS/GS base handling. */
#include "common.h"
#include <asm/prctl.h>

static long raw2(long n, long a, long b)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

static unsigned long read_fs0(void)
{
    unsigned long v;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    return v;
}
static unsigned long read_fs8(void)
{
    unsigned long v;
    __asm__ volatile("mov %%fs:8, %0" : "=r"(v));
    return v;
}
static unsigned long read_gs0(void)
{
    unsigned long v;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(v));
    return v;
}

static __thread int tls_var = 1234;

int main(void)
{
    unsigned long fs = 0, gs = 1;
    res("ARCH_GET_FS", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
    check("fs base != 0", fs != 0);
    check("fs:0 is the TCB self pointer", read_fs0() == fs);
    check("TLS variable works", tls_var == 1234);
    tls_var = 99;
    res("ARCH_GET_GS", syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
    say("initial gs base: %lu\n", gs);

    static unsigned long gsblock[4] = {0x1122334455667788UL, 2, 3, 4};
    res("ARCH_SET_GS", syscall(SYS_arch_prctl, ARCH_SET_GS, gsblock));
    check("gs:0 reads the block", read_gs0() == 0x1122334455667788UL);
    syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
    check("ARCH_GET_GS returns it", gs == (unsigned long)gsblock);
    res("ARCH_SET_GS 0", syscall(SYS_arch_prctl, ARCH_SET_GS, 0));

    /* switch FS to our own block and back, with no libc call in between */
    static unsigned long fsblock[4] = {0, 0xfeedfacecafebeefUL, 0, 0};
    fsblock[0] = (unsigned long)fsblock;
    long r1 = raw2(SYS_arch_prctl, ARCH_SET_FS, (long)fsblock);
    unsigned long v = read_fs8();
    long r2 = raw2(SYS_arch_prctl, ARCH_SET_FS, (long)fs);
    say("ARCH_SET_FS own block: %ld, restore: %ld\n", r1, r2);
    check("fs:8 read from own block", v == 0xfeedfacecafebeefUL);
    check("fs restored", read_fs0() == fs && tls_var == 99);

    res("bad code", syscall(SYS_arch_prctl, 0x9999, 0));
    res("ARCH_GET_FS bad ptr", syscall(SYS_arch_prctl, ARCH_GET_FS, BADPTR));
    res("ARCH_SET_FS non-canonical", syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000UL));
    res("ARCH_SET_GS non-canonical", syscall(SYS_arch_prctl, ARCH_SET_GS, 0xffff800000000000UL));
    check("fs still fine", read_fs0() == fs);
    return 0;
}
