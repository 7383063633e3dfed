/* getrlimit/prlimit64 bookkeeping and RLIMIT_NOFILE enforcement. */
#include "common.h"
#include <sys/resource.h>

struct rl64 {
    uint64_t cur, max;
};

int main(void)
{
    struct rl64 old, cur, nw;
    struct rlimit rl;
    res("getrlimit NOFILE", syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl));
    check("NOFILE cur <= max", rl.rlim_cur <= rl.rlim_max);
    res("prlimit64 get NOFILE", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old));
    check("prlimit64 == getrlimit", old.cur == rl.rlim_cur && old.max == rl.rlim_max);
    res("prlimit64 NULL NULL", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, NULL));

    nw = (struct rl64){32, old.max};
    res("prlimit64 set NOFILE 32", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &nw, &cur));
    check("old value returned", cur.cur == old.cur && cur.max == old.max);
    syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl);
    say("getrlimit NOFILE cur: %lu\n", (unsigned long)rl.rlim_cur);
    int last = -1, n = 0;
    for (;;) {
        int fd = open("/", O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
            say("open until failure: %d opened, last fd %d, then %s\n", n, last, ename(errno));
            break;
        }
        last = fd;
        n++;
    }
    res("dup2 to 32", dup2(1, 32));
    res("dup2 to 31 (open)", dup2(1, 31));
    res("F_DUPFD 32", fcntl(1, F_DUPFD, 32));
    res("dup at limit", dup(1));
    for (int fd = 3; fd <= last; fd++)
        close(fd);
    res("prlimit64 restore NOFILE", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &old, NULL));
    res("dup2 to 100 after restore", dup2(1, 100));
    close(100);

    say("== errors\n");
    nw = (struct rl64){old.max, old.max - 1};
    res("cur > max", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &nw, NULL));
    res("bad resource 99", syscall(SYS_prlimit64, 0, 99, NULL, &cur));
    res("bad resource -1", syscall(SYS_prlimit64, 0, -1, NULL, &cur));
    res("getrlimit bad resource", syscall(SYS_getrlimit, 99, &rl));
    res("no such pid", syscall(SYS_prlimit64, 0x3fffffff, RLIMIT_NOFILE, NULL, &cur));
    res("own pid", syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &cur));

    say("== other resources round-trip\n");
    struct rl64 as, core, stack;
    syscall(SYS_prlimit64, 0, RLIMIT_AS, NULL, &as);
    nw = (struct rl64){1UL << 40, as.max};
    res("set RLIMIT_AS 1TB", syscall(SYS_prlimit64, 0, RLIMIT_AS, &nw, NULL));
    syscall(SYS_prlimit64, 0, RLIMIT_AS, NULL, &cur);
    check("RLIMIT_AS read back", cur.cur == 1UL << 40);
    syscall(SYS_prlimit64, 0, RLIMIT_AS, &as, NULL);
    syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &core);
    nw = (struct rl64){0, core.max};
    res("set RLIMIT_CORE 0", syscall(SYS_prlimit64, 0, RLIMIT_CORE, &nw, NULL));
    syscall(SYS_getrlimit, RLIMIT_CORE, &rl);
    say("RLIMIT_CORE cur: %lu\n", (unsigned long)rl.rlim_cur);
    syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &stack);
    check("STACK cur <= max", stack.cur <= stack.max);
    check("STACK cur >= 1MB", stack.cur >= (1 << 20));
    res("getrlimit CPU", syscall(SYS_getrlimit, RLIMIT_CPU, &rl));
    check("glibc getrlimit STACK agrees", getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == stack.cur);
    return 0;
}
