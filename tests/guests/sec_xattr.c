/* Escape probe: extended attributes written through read-only descriptors, read-only
 * mounts, overlay lowers, and by an unprivileged caller.
 *
 * argv[1]: a directory the test made, holding f (a root-owned 0644 file with user.keep
 * and trusted.keep), own (a file of uid 65534 with user.keep), d (a directory),
 * s (a sticky 1777 directory), p (a FIFO) and l (a symlink to f).
 * argv[2] (optional): a uid to become first (groups dropped).
 * Every call prints its result; the test checks the lines and then the host's files. */
#include "common.h"
#include <grp.h>
#include <sys/xattr.h>

/* A v2 vfs_cap_data granting CAP_NET_RAW (13) permitted and effective. */
static const uint32_t caps_v2[5] = {0x02000001, 1u << 13, 0, 0, 0};
/* A POSIX ACL equal to mode 0647: user::rw- group::r-- other::rwx. */
static const unsigned char acl[4 + 3 * 8] = {
    2, 0, 0, 0,
    1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
    4, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
    0x20, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,
};
/* Named user without a mask: well-formed but not a valid ACL. */
static const unsigned char acl_nomask[4 + 4 * 8] = {
    2, 0, 0, 0,
    1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
    2, 0, 6, 0, 0xe8, 0x03, 0, 0,
    4, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
    0x20, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,
};

#ifndef __NR_setxattrat
#define __NR_setxattrat 463
#define __NR_getxattrat 464
#define __NR_removexattrat 466
#endif
struct xattr_args_v0 {
    uint64_t value;
    uint32_t size, flags;
};

static void show_get(const char *file, const char *name, int nofollow)
{
    char label[128], buf[256];
    snprintf(label, sizeof label, "get %s %s", file, name);
    ssize_t n = nofollow ? lgetxattr(file, name, buf, sizeof buf - 1)
                         : getxattr(file, name, buf, sizeof buf - 1);
    if (n < 0) {
        res(label, -1);
        return;
    }
    buf[n] = 0;
    printf("%s: %zd '%s'\n", label, n, n == 1 || n == 0 ? buf : "(binary)");
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_list(const char *file)
{
    char buf[4096], label[128];
    snprintf(label, sizeof label, "list %s", file);
    ssize_t n = listxattr(file, buf, sizeof buf);
    if (n < 0) {
        res(label, -1);
        return;
    }
    char *names[64];
    int count = 0;
    for (char *p = buf; p < buf + n && count < 64; p += strlen(p) + 1)
        if (strncmp(p, "security.selinux", 16) != 0)      /* the host's LSM label */
            names[count++] = p;
    qsort(names, count, sizeof *names, cmp);
    printf("%s:", label);
    for (int i = 0; i < count; i++)
        printf(" %s", names[i]);
    printf("%s\n", count ? "" : " (none)");
}

static void probe_xattrs(const char *file)
{
    char label[128];
#define L(what) (snprintf(label, sizeof label, "%s %s", what, file), label)
    int fd = open(file, O_RDONLY);
    rok(L("open O_RDONLY"), fd);
    res(L("fsetxattr user.x"), fsetxattr(fd, "user.x", "1", 1, 0));
    res(L("fsetxattr trusted.x"), fsetxattr(fd, "trusted.x", "1", 1, 0));
    res(L("fsetxattr security.capability"),
        fsetxattr(fd, "security.capability", caps_v2, sizeof caps_v2, 0));
    res(L("fsetxattr security.capability garbage"),
        fsetxattr(fd, "security.capability", "xx", 2, 0));
    res(L("fsetxattr security.x"), fsetxattr(fd, "security.x", "1", 1, 0));
    res(L("fsetxattr system.posix_acl_access"),
        fsetxattr(fd, "system.posix_acl_access", acl, sizeof acl, 0));
    res(L("fsetxattr system.posix_acl_access garbage"),
        fsetxattr(fd, "system.posix_acl_access", "\2\0\0\0zz", 6, 0));
    res(L("fsetxattr system.posix_acl_access no mask"),
        fsetxattr(fd, "system.posix_acl_access", acl_nomask, sizeof acl_nomask, 0));
    res(L("fsetxattr system.other"), fsetxattr(fd, "system.other", "1", 1, 0));
    res(L("fsetxattr other.x"), fsetxattr(fd, "other.x", "1", 1, 0));
    res(L("fremovexattr trusted.keep"), fremovexattr(fd, "trusted.keep"));
    res(L("fremovexattr user.keep"), fremovexattr(fd, "user.keep"));
    res(L("setxattr user.y"), setxattr(file, "user.y", "2", 1, 0));
    res(L("setxattr trusted.y"), setxattr(file, "trusted.y", "2", 1, 0));
    res(L("lsetxattr security.capability"),
        lsetxattr(file, "security.capability", caps_v2, sizeof caps_v2, 0));
    res(L("removexattr user.keep"), removexattr(file, "user.keep"));
    res(L("lremovexattr trusted.keep"), lremovexattr(file, "trusted.keep"));
    res(L("removexattr security.capability"), removexattr(file, "security.capability"));
    /* The *xattrat calls (Linux 6.13) on the O_RDONLY fd itself (AT_EMPTY_PATH). */
    struct xattr_args_v0 args = {(uintptr_t)"3", 1, 0};
    res(L("setxattrat trusted.z"),
        syscall(__NR_setxattrat, fd, "", AT_EMPTY_PATH, "trusted.z", &args, sizeof args));
    res(L("setxattrat user.z"),
        syscall(__NR_setxattrat, fd, "", AT_EMPTY_PATH, "user.z", &args, sizeof args));
    char zbuf[8] = "";
    struct xattr_args_v0 gargs = {(uintptr_t)zbuf, sizeof zbuf, 0};
    res(L("getxattrat user.z"),
        syscall(__NR_getxattrat, AT_FDCWD, file, 0, "user.z", &gargs, sizeof gargs));
    res(L("removexattrat trusted.z"),
        syscall(__NR_removexattrat, fd, NULL, AT_EMPTY_PATH, "trusted.z"));
    show_get(file, "user.keep", 0);
    show_get(file, "trusted.keep", 0);
    show_get(file, "user.x", 0);
    show_get(file, "user.y", 0);
    res(L("fgetxattr user.x"), fgetxattr(fd, "user.x", NULL, 0));
    show_list(file);
    struct stat st;
    stat(file, &st);
    printf("mode %s: %o\n", file, st.st_mode & 07777);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]) != 0) {
        perror("chdir");
        return 2;
    }
    if (argc > 2) {
        uid_t uid = atoi(argv[2]);
        if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
            perror("setuid");
            return 2;
        }
    }
    probe_xattrs("f");
    probe_xattrs("own");
    res("setxattr d user.x", setxattr("d", "user.x", "1", 1, 0));
    res("setxattr s user.x", setxattr("s", "user.x", "1", 1, 0));
    res("setxattr p user.x", setxattr("p", "user.x", "1", 1, 0));
    res("getxattr p user.x", getxattr("p", "user.x", NULL, 0));
    res("lsetxattr l user.x", lsetxattr("l", "user.x", "1", 1, 0));
    res("lsetxattr l trusted.x", lsetxattr("l", "trusted.x", "1", 1, 0));
    res("setxattr missing user.x", setxattr("missing", "user.x", "1", 1, 0));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    res("fsetxattr d user.x", fsetxattr(dfd, "user.x", "2", 1, 0));
    res("fsetxattr d system.posix_acl_default", fsetxattr(dfd, "system.posix_acl_default",
                                                          acl, sizeof acl, 0));
    res("setxattr f system.posix_acl_default", setxattr("f", "system.posix_acl_default",
                                                        acl, sizeof acl, 0));
    show_get("d", "user.x", 0);
    show_list("d");

    /* Kernel-made files (procfs, a pipe): no xattrs, an errno, never a kernel bug.
     * Nothing here can change anything natively either (no such names exist). */
    int pfd[2];
    if (pipe(pfd) == 0) {
        res("kernel-made removexattr /proc/self/status user.x",
            removexattr("/proc/self/status", "user.x"));
        res("kernel-made removexattr /proc/self/comm trusted.x",
            removexattr("/proc/self/comm", "trusted.x"));
        res("kernel-made getxattr /proc/self/status user.x",
            getxattr("/proc/self/status", "user.x", NULL, 0));
        res("kernel-made fremovexattr pipe user.x", fremovexattr(pfd[0], "user.x"));
        res("kernel-made fsetxattr pipe user.x", fsetxattr(pfd[1], "user.x", "1", 1, 0));
    }
    return 0;
}
