/* stat, lstat, fstat, newfstatat, statx (glibc and raw syscalls).
 * argv[1]: scratch directory prepared by the test. */
#include "common.h"
#include <linux/stat.h>
#include <sys/sysmacros.h>

static const char *ftype(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return "reg";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "lnk";
    case S_IFCHR: return "chr";
    case S_IFIFO: return "fifo";
    default: return "other";
    }
}

static void show(const char *label, long r, const struct stat *st)
{
    if (r == -1) {
        res(label, r);
        return;
    }
    say("%s: %s %o size %ld nlink %lu\n", label, ftype(st->st_mode), st->st_mode & 07777,
        S_ISDIR(st->st_mode) ? -1L : (long)st->st_size, (unsigned long)st->st_nlink);
}

static void showx(const char *label, long r, const struct statx *sx)
{
    if (r == -1) {
        res(label, r);
        return;
    }
    say("%s: %s %o size %ld nlink %u basic %s\n", label, ftype(sx->stx_mode), sx->stx_mode & 07777,
        S_ISDIR(sx->stx_mode) ? -1L : (long)sx->stx_size, sx->stx_nlink,
        (sx->stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no");
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    struct stat st, st2;
    struct statx sx;
    long r;

    say("== glibc\n");
    r = stat("data.txt", &st);
    show("stat data.txt", r, &st);
    check("owner is getuid", st.st_uid == getuid());
    check("group is getgid", st.st_gid == getgid());
    check("mtime sane", st.st_mtime > 1500000000);
    check("atime sane", st.st_atime > 1500000000);
    check("ctime sane", st.st_ctime > 1500000000);
    check("blksize > 0", st.st_blksize > 0);
    check("rdev 0", st.st_rdev == 0);
    r = stat("exec.sh", &st);
    show("stat exec.sh", r, &st);
    r = stat("none.txt", &st);
    show("stat none.txt", r, &st);
    r = lstat("link", &st);
    show("lstat link", r, &st);
    r = stat("link", &st);
    show("stat link", r, &st);
    r = lstat("dangling", &st);
    show("lstat dangling", r, &st);
    r = stat("dangling", &st);
    show("stat dangling", r, &st);
    r = stat("sub", &st);
    show("stat sub", r, &st);
    r = stat("sub/c", &st);
    show("stat sub/c", r, &st);
    r = stat("sublink/a.txt", &st);
    show("stat sublink/a.txt", r, &st);
    show("stat missing", stat("missing", &st), &st);
    show("stat through file", stat("data.txt/x", &st), &st);
    show("stat empty", stat("", &st), &st);
    show("lstat trailing slash on file", lstat("data.txt/", &st), &st);
    show("lstat trailing slash on dir link", lstat("sublink/", &st), &st);

    stat("data.txt", &st);
    int fd = open("data.txt", O_RDONLY);
    fstat(fd, &st2);
    check("fstat == stat (dev, ino)", st.st_dev == st2.st_dev && st.st_ino == st2.st_ino);
    lstat("link", &st2);
    check("lstat link ino differs", st.st_ino != st2.st_ino);
    stat("link", &st2);
    check("stat link ino same", st.st_ino == st2.st_ino);

    say("== raw stat/lstat/fstat/newfstatat\n");
    show("SYS_stat data.txt", syscall(SYS_stat, "data.txt", &st), &st);
    show("SYS_lstat link", syscall(SYS_lstat, "link", &st), &st);
    show("SYS_stat link", syscall(SYS_stat, "link", &st), &st);
    show("SYS_fstat fd", syscall(SYS_fstat, fd, &st), &st);
    show("SYS_stat missing", syscall(SYS_stat, "missing", &st), &st);
    show("SYS_lstat through file", syscall(SYS_lstat, "data.txt/x", &st), &st);
    show("newfstatat cwd", syscall(SYS_newfstatat, AT_FDCWD, "data.txt", &st, 0), &st);
    show("newfstatat nofollow", syscall(SYS_newfstatat, AT_FDCWD, "link", &st, AT_SYMLINK_NOFOLLOW), &st);
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    show("newfstatat dirfd", syscall(SYS_newfstatat, dfd, "b.txt", &st, 0), &st);
    show("newfstatat dirfd ..", syscall(SYS_newfstatat, dfd, "..", &st, 0), &st);
    show("newfstatat empty path", syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH), &st);
    show("newfstatat empty path no flag", syscall(SYS_newfstatat, fd, "", &st, 0), &st);
    show("newfstatat AT_FDCWD empty", syscall(SYS_newfstatat, AT_FDCWD, "", &st, AT_EMPTY_PATH), &st);
    show("newfstatat bad flags", syscall(SYS_newfstatat, AT_FDCWD, "data.txt", &st, 0x1), &st);
    show("newfstatat file dirfd", syscall(SYS_newfstatat, fd, "x", &st, 0), &st);
    rok("newfstatat abs ignores dirfd", syscall(SYS_newfstatat, 999, "/", &st, 0));
    int pfd = open("link", O_PATH | O_NOFOLLOW);
    show("fstat O_PATH|O_NOFOLLOW link", syscall(SYS_fstat, pfd, &st), &st);

    say("== statx\n");
    showx("statx data.txt", syscall(SYS_statx, AT_FDCWD, "data.txt", 0, STATX_BASIC_STATS, &sx), &sx);
    stat("data.txt", &st);
    check("statx ino == stat ino", sx.stx_ino == st.st_ino);
    check("statx dev == stat dev", (dev_t)makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev);
    check("statx mtime == stat mtime", sx.stx_mtime.tv_sec == st.st_mtime);
    showx("statx link nofollow", syscall(SYS_statx, AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), &sx);
    showx("statx link follow", syscall(SYS_statx, AT_FDCWD, "link", 0, STATX_BASIC_STATS, &sx), &sx);
    showx("statx sub", syscall(SYS_statx, AT_FDCWD, "sub", 0, STATX_BASIC_STATS, &sx), &sx);
    showx("statx fd empty path", syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx), &sx);
    showx("statx dirfd", syscall(SYS_statx, dfd, "a.txt", 0, STATX_BASIC_STATS, &sx), &sx);
    showx("statx mask 0", syscall(SYS_statx, AT_FDCWD, "data.txt", 0, 0, &sx), &sx);
    showx("statx missing", syscall(SYS_statx, AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx), &sx);
    showx("statx through file", syscall(SYS_statx, AT_FDCWD, "data.txt/x", 0, STATX_BASIC_STATS, &sx), &sx);
    showx("statx reserved mask", syscall(SYS_statx, AT_FDCWD, "data.txt", 0, 0x80000000U, &sx), &sx);
    showx("statx bad flags", syscall(SYS_statx, AT_FDCWD, "data.txt", 0x1, STATX_BASIC_STATS, &sx), &sx);
    showx("statx both sync flags", syscall(SYS_statx, AT_FDCWD, "data.txt",
                                           AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx), &sx);
    showx("statx empty no flag", syscall(SYS_statx, fd, "", 0, STATX_BASIC_STATS, &sx), &sx);
    showx("statx glibc", statx(AT_FDCWD, "exec.sh", 0, STATX_BASIC_STATS, &sx), &sx);

    say("== sizes follow writes\n");
    int w = open("grow.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
    for (int i = 0; i < 3; i++) {
        write(w, "0123456789", 10);
        fstat(w, &st);
        say("size after write %d: %ld\n", i, (long)st.st_size);
    }
    stat("grow.txt", &st);
    say("stat size: %ld mode %o\n", (long)st.st_size, st.st_mode & 07777);
    return 0;
}
