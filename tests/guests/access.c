/* access, faccessat, faccessat2 (raw syscalls: glibc emulates some flags).
 * argv[1]: scratch directory prepared by the test. */
#include "common.h"

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    static const struct { const char *name; int mode; } m[] = {
        {"F_OK", F_OK}, {"R_OK", R_OK}, {"W_OK", W_OK}, {"X_OK", X_OK}, {"R_OK|W_OK", R_OK | W_OK},
    };
    static const char *paths[] = {"data.txt", "exec.sh", "none.txt", "sub", "link", "dangling",
                                  "missing", "data.txt/x", "sub/a.txt", ""};
    char l[128];
    for (unsigned p = 0; p < sizeof paths / sizeof paths[0]; p++)
        for (unsigned i = 0; i < sizeof m / sizeof m[0]; i++) {
            snprintf(l, sizeof l, "access '%s' %s", paths[p], m[i].name);
            res(l, syscall(SYS_access, paths[p], m[i].mode));
        }
    res("access bad mode 8", syscall(SYS_access, "data.txt", 8));
    res("access bad mode -1", syscall(SYS_access, "data.txt", -1));
    res("access glibc", access("exec.sh", X_OK));

    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    int ffd = open("data.txt", O_RDONLY);
    res("faccessat dirfd", syscall(SYS_faccessat, dfd, "a.txt", R_OK));
    res("faccessat dirfd missing", syscall(SYS_faccessat, dfd, "zzz", F_OK));
    res("faccessat AT_FDCWD", syscall(SYS_faccessat, AT_FDCWD, "sub/b.txt", W_OK));
    res("faccessat file dirfd", syscall(SYS_faccessat, ffd, "x", F_OK));
    res("faccessat bad dirfd", syscall(SYS_faccessat, 999, "x", F_OK));
    res("faccessat bad dirfd abs", syscall(SYS_faccessat, 999, "/", F_OK));
    res("faccessat bad mode", syscall(SYS_faccessat, AT_FDCWD, "data.txt", 0x10));

    res("faccessat2 plain", syscall(SYS_faccessat2, AT_FDCWD, "data.txt", R_OK, 0));
    res("faccessat2 AT_EACCESS", syscall(SYS_faccessat2, AT_FDCWD, "data.txt", R_OK, AT_EACCESS));
    res("faccessat2 dangling follow", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0));
    res("faccessat2 dangling nofollow", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    res("faccessat2 empty path", syscall(SYS_faccessat2, ffd, "", R_OK, AT_EMPTY_PATH));
    res("faccessat2 empty path no flag", syscall(SYS_faccessat2, ffd, "", R_OK, 0));
    res("faccessat2 bad flags", syscall(SYS_faccessat2, AT_FDCWD, "data.txt", R_OK, 0x1));
    res("faccessat2 bad mode", syscall(SYS_faccessat2, AT_FDCWD, "data.txt", 0x10, 0));
    res("faccessat2 dirfd X_OK", syscall(SYS_faccessat2, dfd, "c", X_OK, 0));
    res("faccessat2 bad dirfd", syscall(SYS_faccessat2, 999, "x", F_OK, 0));
    return 0;
}
