/* The names a host *at call cannot be given (tests/security/test_host_walk.py): ".",
 * ".." and "/" as the last component, and "name/" where name is a symlink, as Linux
 * answers them (LAST_DOT, LAST_DOTDOT, LAST_ROOT; no following for rmdir and unlink).
 * argv[1]: a scratch directory. */
#include "common.h"

#define T(call) res(#call, (call))
#define TFD(call) do { int fd_ = (call); rok(#call, fd_); if (fd_ >= 0) close(fd_); } while (0)

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    mkdir("d", 0755);
    mkdir("d/e", 0755);
    close(open("f", O_CREAT | O_WRONLY, 0644));
    symlink("d", "ld");
    T(rmdir("."));
    T(rmdir(".."));
    T(rmdir("/"));
    T(rmdir("d/."));
    T(rmdir("d/.."));
    T(unlink("."));
    T(unlink("/"));
    T(mkdir(".", 0755));
    T(mkdir("/", 0755));
    T(mkdir("d/", 0755));
    T(mkdir("new/", 0755));
    T(rmdir("new/"));
    T(rename(".", "x"));
    T(rename("f", "."));
    T(rename("d/e/..", "x"));
    T(link("f", "d/."));
    T(symlink("f", "."));
    T(rmdir("ld/"));
    T(unlink("ld/"));
    T(unlink("f/"));
    TFD(open("f/", O_RDONLY));
    TFD(open("nx/", O_CREAT | O_WRONLY, 0644));
    TFD(open(".", O_RDONLY | O_CREAT, 0644));
    TFD(open("ld/", O_RDONLY | O_DIRECTORY));
    TFD(open("ld", O_RDONLY | O_NOFOLLOW));
    T(rmdir("d/e"));
    T(rmdir("d"));
    T(unlink("ld"));
    T(unlink("f"));
    return 0;
}
