/* getcwd, chdir, fchdir.  argv[1]: scratch directory (an absolute, resolved
 * path) prepared by the test.  Paths are printed relative to it. */
#include "common.h"

static const char *base;

static void pcwd(const char *label)
{
    char buf[4096];
    long r = syscall(SYS_getcwd, buf, sizeof buf);
    if (r == -1) {
        res(label, r);
        return;
    }
    size_t bl = strlen(base);
    check("getcwd returns strlen+1", r == (long)strlen(buf) + 1);
    if (!strncmp(buf, base, bl) && (buf[bl] == 0 || buf[bl] == '/'))
        say("%s: <dir>%s\n", label, buf + bl);
    else
        say("%s: outside the scratch dir\n", label);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    base = argv[1];
    res("chdir scratch", chdir(base));
    pcwd("cwd");
    res("chdir sub", chdir("sub"));
    pcwd("cwd");
    res("chdir c", chdir("c"));
    pcwd("cwd");
    res("chdir ../..", chdir("../.."));
    pcwd("cwd");
    res("chdir .", chdir("."));
    pcwd("cwd");
    res("chdir sublink", chdir("sublink"));
    pcwd("cwd (resolved)");
    res("chdir ..", chdir(".."));
    pcwd("cwd");
    res("chdir file", chdir("data.txt"));
    res("chdir missing", chdir("missing"));
    res("chdir through file", chdir("data.txt/x"));
    res("chdir empty", chdir(""));
    res("chdir dangling", chdir("dangling"));
    pcwd("cwd unchanged");

    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    int ffd = open("data.txt", O_RDONLY);
    int pfd = open("sub/c", O_PATH);
    res("fchdir dir", fchdir(dfd));
    pcwd("cwd");
    int fd = open("a.txt", O_RDONLY);
    rok("relative open after fchdir", fd);
    close(fd);
    res("fchdir O_PATH dir", fchdir(pfd));
    pcwd("cwd");
    res("fchdir file", fchdir(ffd));
    res("fchdir bad fd", fchdir(999));
    res("fchdir -1", fchdir(-1));
    pcwd("cwd unchanged");
    chdir(base);

    char small[4];
    res("getcwd size 1", syscall(SYS_getcwd, small, 1));
    res("getcwd size 0", syscall(SYS_getcwd, small, 0));
    char buf[4096];
    size_t need = strlen(base) + 1;
    res("getcwd exact size", syscall(SYS_getcwd, buf, need) == (long)need ? 0 : -2);
    res("getcwd size-1", syscall(SYS_getcwd, buf, need - 1));
    char *m = getcwd(NULL, 0);
    check("glibc getcwd(NULL, 0)", m && !strcmp(m, base));
    free(m);
    res("chdir /", chdir("/"));
    say("cwd at root: %s\n", getcwd(buf, sizeof buf));
    res("chdir back abs", chdir(base));
    pcwd("cwd");
    return 0;
}
