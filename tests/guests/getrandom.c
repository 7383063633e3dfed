/* getrandom: lengths, flags, EINVAL, EFAULT. */
#include "common.h"
#include <sys/random.h>

#ifndef GRND_INSECURE
#define GRND_INSECURE 4
#endif

int main(void)
{
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    res("getrandom 16", syscall(SYS_getrandom, a, 16, 0));
    res("getrandom 16 again", syscall(SYS_getrandom, b, 16, 0));
    check("two draws differ", memcmp(a, b, 16) != 0);
    int zero = 1;
    for (int i = 16; i < 64; i++)
        if (a[i])
            zero = 0;
    check("bytes past length untouched", zero);
    res("getrandom 0", syscall(SYS_getrandom, a, 0, 0));
    res("GRND_NONBLOCK", syscall(SYS_getrandom, a, 32, GRND_NONBLOCK));
    res("GRND_RANDOM", syscall(SYS_getrandom, a, 32, GRND_RANDOM));
    res("GRND_INSECURE", syscall(SYS_getrandom, a, 32, GRND_INSECURE));
    res("GRND_RANDOM|NONBLOCK", syscall(SYS_getrandom, a, 32, GRND_RANDOM | GRND_NONBLOCK));
    res("INSECURE|RANDOM", syscall(SYS_getrandom, a, 32, GRND_INSECURE | GRND_RANDOM));
    res("bad flag 0x80", syscall(SYS_getrandom, a, 32, 0x80));
    res("bad flag -1", syscall(SYS_getrandom, a, 32, -1));
    res("bad pointer", syscall(SYS_getrandom, BADPTR, 32, 0));
    static unsigned char big[100000];
    res("getrandom 100000", syscall(SYS_getrandom, big, sizeof big, 0));
    int counts[256] = {0}, maxc = 0;
    for (size_t i = 0; i < sizeof big; i++)
        counts[big[i]]++;
    for (int i = 0; i < 256; i++)
        if (counts[i] > maxc)
            maxc = counts[i];
    check("roughly uniform", maxc < 600); /* expected ~390 */
    res("glibc getrandom", getrandom(a, 8, 0));
    return 0;
}
