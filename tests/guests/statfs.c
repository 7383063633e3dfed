/* statfs / fstatfs.  argv[1]: scratch directory. */
#include "common.h"
#include <sys/statfs.h>

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    struct statfs a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    res("statfs .", syscall(SYS_statfs, ".", &a));
    int fd = open("data.txt", O_RDONLY);
    res("fstatfs file", syscall(SYS_fstatfs, fd, &b));
    check("same f_type", a.f_type == b.f_type);
    check("same f_bsize", a.f_bsize == b.f_bsize);
    check("same f_blocks", a.f_blocks == b.f_blocks);
    check("same f_fsid", !memcmp(&a.f_fsid, &b.f_fsid, sizeof a.f_fsid));
    check("f_bsize > 0", a.f_bsize > 0);
    check("f_bfree <= f_blocks", a.f_bfree <= a.f_blocks);
    check("f_bavail <= f_bfree", a.f_bavail <= a.f_bfree);
    check("f_ffree <= f_files", a.f_ffree <= a.f_files);
    say("f_namelen: %ld\n", (long)a.f_namelen);
    check("f_frsize > 0", a.f_frsize > 0);
    res("statfs sub/a.txt", syscall(SYS_statfs, "sub/a.txt", &b));
    check("same f_type in subdir", a.f_type == b.f_type);
    res("statfs via link", syscall(SYS_statfs, "link", &b));
    res("statfs /", syscall(SYS_statfs, "/", &b));
    check("/ f_bsize > 0", b.f_bsize > 0);
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    res("fstatfs dir", syscall(SYS_fstatfs, dfd, &b));
    int pfd = open("data.txt", O_PATH);
    res("fstatfs O_PATH", syscall(SYS_fstatfs, pfd, &b));
    res("statfs missing", syscall(SYS_statfs, "missing", &b));
    res("statfs through file", syscall(SYS_statfs, "data.txt/x", &b));
    res("statfs dangling", syscall(SYS_statfs, "dangling", &b));
    res("statfs empty", syscall(SYS_statfs, "", &b));
    res("statfs bad path", syscall(SYS_statfs, BADPTR, &b));
    res("statfs bad buf", syscall(SYS_statfs, ".", BADPTR));
    res("fstatfs bad fd", syscall(SYS_fstatfs, 999, &b));
    res("fstatfs bad buf", syscall(SYS_fstatfs, fd, BADPTR));
    res("glibc statfs", statfs(".", &b));
    res("glibc fstatfs", fstatfs(fd, &b));
    return 0;
}
