/* cachestat(2): a file just written is in the page cache, ranges, a pipe, flags, EBADF,
 * EFAULT, and EPERM for a read-only open of another user's file. Run in argv[1]. */
#include "common.h"
#include <sys/wait.h>

struct range { uint64_t off, len; };
struct cstat { uint64_t cache, dirty, writeback, evicted, recently_evicted; };

static long cachestat(int fd, struct range *r, struct cstat *c, unsigned flags)
{
    return syscall(451, fd, r, c, flags);
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]))
        return 2;
    int fd = open("file", O_CREAT | O_RDWR, 0644);
    static char buf[4 * 4096];
    memset(buf, 'x', sizeof buf);
    write(fd, buf, sizeof buf);
    struct range all = {0, 0}, one = {4096, 4096};
    struct cstat c;
    res("whole file", cachestat(fd, &all, &c, 0));
    say("cached pages: %llu\n", (unsigned long long)c.cache);
    res("one page", cachestat(fd, &one, &c, 0));
    say("cached pages: %llu\n", (unsigned long long)c.cache);
    res("flags", cachestat(fd, &all, &c, 1));
    res("bad fd", cachestat(999, &all, &c, 0));
    res("range EFAULT", cachestat(fd, BADPTR, &c, 0));
    res("result EFAULT", cachestat(fd, &all, BADPTR, 0));
    int p[2];
    pipe(p);
    res("pipe", cachestat(p[1], &all, &c, 0));
    say("pipe pages: %llu\n", (unsigned long long)c.cache);
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        setresuid(65534, 65534, 65534);
        int ro = open("file", O_RDONLY);
        res("read-only open of root's file", cachestat(ro, &all, &c, 0));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
