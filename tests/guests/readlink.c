/* readlink and readlinkat.  argv[1]: scratch directory prepared by the test. */
#include "common.h"

static void rl(const char *label, long r, const char *buf)
{
    if (r < 0)
        res(label, r);
    else
        print_escaped(label, buf, r);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    char buf[256];
    memset(buf, '#', sizeof buf);
    rl("readlink link", syscall(SYS_readlink, "link", buf, sizeof buf), buf);
    check("not NUL terminated", buf[8] == '#');
    rl("readlink link bufsiz 4", syscall(SYS_readlink, "link", buf, 4), buf);
    rl("readlink link bufsiz 1", syscall(SYS_readlink, "link", buf, 1), buf);
    rl("readlink bufsiz 0", syscall(SYS_readlink, "link", buf, 0), buf);
    rl("readlink bufsiz -1", syscall(SYS_readlink, "link", buf, -1), buf);
    rl("readlink dangling", syscall(SYS_readlink, "dangling", buf, sizeof buf), buf);
    rl("readlink sublink", syscall(SYS_readlink, "sublink", buf, sizeof buf), buf);
    rl("readlink sub/d", syscall(SYS_readlink, "sub/d", buf, sizeof buf), buf);
    rl("readlink through dir link", syscall(SYS_readlink, "sublink/d", buf, sizeof buf), buf);
    rl("readlink regular file", syscall(SYS_readlink, "data.txt", buf, sizeof buf), buf);
    rl("readlink directory", syscall(SYS_readlink, "sub", buf, sizeof buf), buf);
    rl("readlink missing", syscall(SYS_readlink, "missing", buf, sizeof buf), buf);
    rl("readlink through file", syscall(SYS_readlink, "data.txt/x", buf, sizeof buf), buf);
    rl("readlink empty", syscall(SYS_readlink, "", buf, sizeof buf), buf);
    rl("readlink trailing slash", syscall(SYS_readlink, "link/", buf, sizeof buf), buf);
    rl("readlink long target", syscall(SYS_readlink, "longlink", buf, sizeof buf), buf);

    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    rl("readlinkat dirfd", syscall(SYS_readlinkat, dfd, "d", buf, sizeof buf), buf);
    rl("readlinkat AT_FDCWD", syscall(SYS_readlinkat, AT_FDCWD, "link", buf, sizeof buf), buf);
    rl("readlinkat bad dirfd", syscall(SYS_readlinkat, 999, "link", buf, sizeof buf), buf);
    int ffd = open("data.txt", O_RDONLY);
    rl("readlinkat file dirfd", syscall(SYS_readlinkat, ffd, "x", buf, sizeof buf), buf);
    int pfd = open("link", O_PATH | O_NOFOLLOW);
    rl("readlinkat O_PATH link empty", syscall(SYS_readlinkat, pfd, "", buf, sizeof buf), buf);
    rl("readlinkat file empty", syscall(SYS_readlinkat, ffd, "", buf, sizeof buf), buf);
    rl("readlinkat bufsiz 0", syscall(SYS_readlinkat, AT_FDCWD, "link", buf, 0), buf);
    rl("glibc readlink", readlink("link", buf, sizeof buf), buf);
    return 0;
}
