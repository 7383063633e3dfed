/* build: static */
/* Unknown syscall numbers fail with ENOSYS and the guest keeps running. */
#include "common.h"

int main(void)
{
    long r = syscall(1000);
    say("syscall 1000: %ld %s\n", r, r == -1 ? ename(errno) : "");
    r = syscall(999999);
    say("syscall 999999: %ld %s\n", r, r == -1 ? ename(errno) : "");
    r = syscall(400); /* unassigned on x86-64 (between 335 and 423) */
    say("syscall 400: %ld %s\n", r, r == -1 ? ename(errno) : "");
    r = syscall(-1L);
    say("syscall -1: %ld %s\n", r, r == -1 ? ename(errno) : "");
    say("alive\n");
    /* and ordinary syscalls still work afterwards */
    rok("getpid after enosys", getpid());
    return 0;
}
