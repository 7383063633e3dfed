/* Every way a guest can try to change a read-only bind: each must fail as on a read-only
 * bind mount of Linux (EROFS, or the errno Linux checks first: EBADF for an fd not open for
 * writing, EXDEV across mounts, EACCES for a shared writable mapping of a read-only fd).
 * Safe natively: the test runs it under `unshare -m` with a real `mount --bind -o ro` of a
 * directory of its own, and under umlskas with --ro-bind; the outputs must match and the
 * host directory must be unchanged.
 *
 * argv[1]: the read-only directory (holds f "original\n" 0644, d/g, l -> f, empty dir e)
 * argv[2]: a writable directory (holds w "writable\n")
 * argv[3]: "main" or "xattr" (the xattr probes, kept apart)
 */
/* build: static */
#include "common.h"
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <utime.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_WHITEOUT (1 << 2)
#endif

static char ro[4096], rw[4096];

static const char *R(const char *name)
{
    return path_in(ro, name);
}

static const char *W(const char *name)
{
    return path_in(rw, name);
}

/* open and report only success/failure (fd numbers are not part of the output) */
static void try_open(const char *label, const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    rok(label, fd);
    if (fd >= 0)
        close(fd);
}

static void main_probes(void)
{
    int fro = open(R("f"), O_RDONLY);
    int dro = open(ro, O_RDONLY | O_DIRECTORY);
    int wfd = open(W("w"), O_RDWR);
    rok("open f O_RDONLY", fro);
    rok("open the ro dir", dro);

    /* open for writing, creating, truncating */
    try_open("open f O_WRONLY", R("f"), O_WRONLY);
    try_open("open f O_RDWR", R("f"), O_RDWR);
    try_open("open f O_RDONLY|O_TRUNC", R("f"), O_RDONLY | O_TRUNC);
    try_open("open f O_WRONLY|O_APPEND", R("f"), O_WRONLY | O_APPEND);
    try_open("open f O_CREAT (exists)", R("f"), O_RDONLY | O_CREAT);
    try_open("open f O_CREAT|O_EXCL (exists)", R("f"), O_RDWR | O_CREAT | O_EXCL);
    try_open("open new O_CREAT", R("new"), O_WRONLY | O_CREAT);
    try_open("open new O_CREAT O_RDONLY", R("new"), O_RDONLY | O_CREAT);
    try_open("open d/new O_CREAT", R("d/new"), O_WRONLY | O_CREAT);
    try_open("open l (-> f) O_WRONLY", R("l"), O_WRONLY);
    try_open("open d O_RDWR", R("d"), O_RDWR);
    try_open("open O_TMPFILE in ro", ro, O_TMPFILE | O_RDWR);
    {
        int fd = openat(dro, "new2", O_WRONLY | O_CREAT, 0644);
        rok("openat(ro dirfd) new O_CREAT", fd);
        fd = openat(dro, "f", O_RDWR);
        rok("openat(ro dirfd) f O_RDWR", fd);
        fd = syscall(SYS_creat, R("new3"), 0644);
        rok("creat", fd);
    }
    res("access f W_OK", access(R("f"), W_OK));
    res("access f R_OK", access(R("f"), R_OK));
    res("faccessat d W_OK", faccessat(AT_FDCWD, R("d"), W_OK, 0));

    /* through an fd opened read-only */
    res("write ro fd", write(fro, "x", 1));
    res("pwrite ro fd", pwrite(fro, "x", 1, 0));
    res("fcntl F_SETFL O_RDWR|O_APPEND", fcntl(fro, F_SETFL, O_RDWR | O_APPEND));
    res("accmode after F_SETFL", fcntl(fro, F_GETFL) & O_ACCMODE);
    res("write after F_SETFL", write(fro, "x", 1));
    fcntl(fro, F_SETFL, 0);
    res("ftruncate ro fd", ftruncate(fro, 0));
    res("fallocate ro fd", fallocate(fro, 0, 0, 4096));
    res("fallocate punch ro fd", fallocate(fro, 3 /* KEEP_SIZE|PUNCH_HOLE */, 0, 4));
    res("fchmod ro fd", fchmod(fro, 0777));
    res("fchown ro fd", fchown(fro, 1, 1));
    res("futimens ro fd", futimens(fro, NULL));
    {
        struct timespec ts[2] = {{1, 0}, {1, 0}};
        res("futimens ro fd explicit", futimens(fro, ts));
    }
    res("fsync ro fd", fsync(fro));
    res("copy_file_range into ro fd", copy_file_range(wfd, NULL, fro, NULL, 4, 0));
    res("sendfile into ro fd", sendfile(fro, wfd, NULL, 4));
    {
        int p[2];
        pipe(p);
        write(p[1], "pipe", 4);
        res("splice into ro fd", splice(p[0], NULL, fro, NULL, 4, 0));
        res("tee ... (ro fd is not a pipe)", tee(p[0], fro, 4, 0));
        close(p[0]);
        close(p[1]);
    }

    /* mappings */
    pok("mmap MAP_SHARED PROT_WRITE of ro fd", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fro, 0));
    {
        void *m = mmap(NULL, PG, PROT_READ, MAP_SHARED, fro, 0);
        pok("mmap MAP_SHARED PROT_READ of ro fd", m);
        if (m != MAP_FAILED) {
            rok("mprotect it PROT_WRITE", mprotect(m, PG, PROT_READ | PROT_WRITE));
            munmap(m, PG);
        }
        char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fro, 0);
        pok("mmap MAP_PRIVATE PROT_WRITE of ro fd", p);
        if (p != MAP_FAILED) {
            memcpy(p, "PRIVATE", 7);
            rok("msync the private copy", msync(p, PG, MS_SYNC));
            munmap(p, PG);
        }
    }

    /* the path syscalls */
    res("truncate f", truncate(R("f"), 0));
    res("truncate l", truncate(R("l"), 0));
    res("chmod f", chmod(R("f"), 0777));
    res("chmod dir", chmod(ro, 0777));
    res("fchmodat f", fchmodat(AT_FDCWD, R("f"), 0777, 0));
    res("fchmodat l NOFOLLOW", syscall(452 /* fchmodat2 */, AT_FDCWD, R("l"), 0777, AT_SYMLINK_NOFOLLOW));
    res("chown f", chown(R("f"), 1, 1));
    res("lchown l", lchown(R("l"), 1, 1));
    res("fchownat f AT_EMPTY_PATH via ro fd", fchownat(fro, "", 1, 1, AT_EMPTY_PATH));
    res("chown to itself (no-op)", chown(R("f"), getuid(), getgid()));
    res("utimensat f NULL", utimensat(AT_FDCWD, R("f"), NULL, 0));
    {
        struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
        res("utimensat f both OMIT", utimensat(AT_FDCWD, R("f"), omit, 0));
        struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
        res("utimensat l NOFOLLOW", utimensat(AT_FDCWD, R("l"), now, AT_SYMLINK_NOFOLLOW));
    }
    res("utimes f", utimes(R("f"), NULL));
    res("utime f", utime(R("f"), NULL));
    res("rename f -> f2 (within)", rename(R("f"), R("f2")));
    res("rename f -> d/f (within)", rename(R("f"), R("d/f")));
    res("rename d/g -> f (replace)", rename(R("d/g"), R("f")));
    res("rename missing -> x", rename(R("missing"), R("x")));
    res("rename f -> rw (out)", rename(R("f"), W("stolen")));
    res("rename rw w -> ro (in)", rename(W("w"), R("planted")));
    res("renameat2 EXCHANGE f d", syscall(SYS_renameat2, AT_FDCWD, R("f"), AT_FDCWD, R("d"), RENAME_EXCHANGE));
    res("renameat2 NOREPLACE", syscall(SYS_renameat2, AT_FDCWD, R("f"), AT_FDCWD, R("f3"), RENAME_NOREPLACE));
    res("renameat2 WHITEOUT", syscall(SYS_renameat2, AT_FDCWD, R("f"), AT_FDCWD, R("f3"), RENAME_WHITEOUT));
    res("link f -> f.hard (within)", link(R("f"), R("f.hard")));
    res("link rw w -> ro (in)", link(W("w"), R("planted")));
    res("link ro f -> rw (out)", link(R("f"), W("f.hard")));
    res("symlink in ro", symlink("f", R("sym")));
    res("symlink over f", symlink("x", R("f")));
    res("mknod fifo", mknod(R("fifo"), S_IFIFO | 0644, 0));
    res("mknod regular", mknod(R("reg"), S_IFREG | 0644, 0));
    res("mknod char dev", mknod(R("dev"), S_IFCHR | 0644, makedev(1, 3)));
    res("mkfifo existing", mkfifo(R("f"), 0644));
    res("mkdir", mkdir(R("newdir"), 0755));
    res("mkdir existing", mkdir(R("d"), 0755));
    res("rmdir e", rmdir(R("e")));
    res("rmdir d (not empty)", rmdir(R("d")));
    res("rmdir missing", rmdir(R("missing")));
    res("unlink f", unlink(R("f")));
    res("unlink d/g", unlink(R("d/g")));
    res("unlink l", unlink(R("l")));
    res("unlink missing", unlink(R("missing")));
    res("unlinkat e AT_REMOVEDIR", unlinkat(dro, "e", AT_REMOVEDIR));

    /* magic links: reopening read-only fds for writing */
    {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fro);
        try_open("reopen /proc/self/fd/N O_RDWR", path, O_RDWR);
        try_open("reopen /proc/self/fd/N O_WRONLY|O_TRUNC", path, O_WRONLY | O_TRUNC);
        try_open("reopen /proc/self/fd/N O_RDONLY", path, O_RDONLY);
        res("truncate /proc/self/fd/N", truncate(path, 0));
        res("chmod /proc/self/fd/N", chmod(path, 0777));
        snprintf(path, sizeof path, "/dev/fd/%d", fro);
        try_open("reopen /dev/fd/N O_RDWR", path, O_RDWR);
        int opath = open(R("f"), O_PATH);
        rok("open f O_PATH", opath);
        snprintf(path, sizeof path, "/proc/self/fd/%d", opath);
        try_open("reopen O_PATH fd O_RDWR", path, O_RDWR);
        res("fchmod O_PATH fd", fchmod(opath, 0777));
        res("fchmodat O_PATH fd AT_EMPTY_PATH", syscall(452 /* fchmodat2 */, opath, "", 0777, AT_EMPTY_PATH));
        res("fchownat O_PATH fd AT_EMPTY_PATH", fchownat(opath, "", 1, 1, AT_EMPTY_PATH));
        snprintf(path, sizeof path, "/proc/self/fd/%d/new", dro);
        try_open("create through /proc/self/fd/DIR/new", path, O_WRONLY | O_CREAT);
        close(opath);
    }

    /* O_TMPFILE made in the writable dir, then linked into the read-only one */
    {
        int t = open(rw, O_TMPFILE | O_RDWR, 0644);
        rok("O_TMPFILE in rw", t);
        write(t, "tmp\n", 4);
        res("linkat AT_EMPTY_PATH into ro", linkat(t, "", AT_FDCWD, R("tmplinked"), AT_EMPTY_PATH));
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", t);
        res("linkat /proc/self/fd/N FOLLOW into ro", linkat(AT_FDCWD, path, AT_FDCWD, R("tmplinked"), AT_SYMLINK_FOLLOW));
        int t2 = open(ro, O_TMPFILE | O_WRONLY, 0644);
        rok("O_TMPFILE in ro", t2);
        close(t);
    }

    /* from inside: cwd in the ro dir, relative names */
    res("chdir ro", chdir(ro));
    try_open("relative creat", "rel-new", O_WRONLY | O_CREAT);
    res("relative mkdir", mkdir("rel-dir", 0755));
    res("relative rename", rename("f", "g2"));
    res("relative unlink ./d/../f", unlink("./d/../f"));
    res("rmdir . (cwd)", rmdir("."));
    chdir("/");

    /* reading is fine and the content is intact */
    char buf[32] = {0};
    res("pread f", pread(fro, buf, sizeof buf - 1, 0));
    printf("f now: %s", buf);
    close(fro);
    close(dro);
    close(wfd);
}

static void xattr_probes(void)
{
    int fro = open(R("f"), O_RDONLY);
    res("setxattr f user.x", setxattr(R("f"), "user.x", "1", 1, 0));
    res("lsetxattr l user.x", lsetxattr(R("l"), "user.x", "1", 1, 0));
    res("fsetxattr ro fd user.x", fsetxattr(fro, "user.x", "1", 1, 0));
    res("removexattr f user.x", removexattr(R("f"), "user.x"));
    res("fremovexattr ro fd user.x", fremovexattr(fro, "user.x"));
    res("setxattr dir user.x", setxattr(ro, "user.x", "1", 1, 0));
    res("setxattr f trusted.x", setxattr(R("f"), "trusted.x", "1", 1, 0));
    res("setxattr f security.x", setxattr(R("f"), "security.x", "1", 1, 0));
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fro);
    res("setxattr /proc/self/fd/N user.x", setxattr(path, "user.x", "1", 1, 0));
    close(fro);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    snprintf(ro, sizeof ro, "%s", argv[1]);
    snprintf(rw, sizeof rw, "%s", argv[2]);
    umask(022);
    if (strcmp(argv[3], "xattr") == 0)
        xattr_probes();
    else
        main_probes();
    return 0;
}
