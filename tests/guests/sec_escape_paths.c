/* Path escapes out of --root, out of the mounts inside it, and out of the guest's own chroot.
 * The oracle is Linux with the same tree as the root of a mount namespace (unshare -m -p,
 * real bind/overlay mounts, pivot_root, as tests/security/test_escape_paths.py sets it up):
 * umlskas promises that --root is such a root, so `..`, symlinks and magic links never leave
 * it, while the guest's own chroot is escapable as on Linux (fchdir to an fd from before it)
 * but only up to --root. tests/guests/vfs_escape.c (against chroot(8)) already covers `..`
 * chains from the root, /proc/self/root + a host path, host-looking fds and the symlink race;
 * this guest covers mount points, fds and chroots.
 *
 * The root holds /secret ("decoy\n"), /top-file, /in/file, /x/inner, /tmp, /bind (a bind of a
 * host directory), /robind (read-only bind), /ov (overlay), /dev/fd -> /proc/self/fd and
 * /proc. In /bind, /robind and /ov: rel -> ../secret, dotdots -> ../../../../../.., and in
 * /bind abshost -> the host path of the real secret. Every read prints the content, so
 * "secret" (the host's) and "decoy" (the guest's view) tell which view a name resolved in.
 * argv: 1 the host path of the real secret, 2 a host pid, 3 "native" or "umlskas".
 */
/* build: static */
#include "common.h"
#include <dirent.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

static void show(const char *label, int fd)
{
    if (fd < 0) {
        say("%s: -1 %s\n", label, ename(errno));
        return;
    }
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0)
        say("%s: read -1 %s\n", label, ename(errno));
    else
        say("%s: %s", label, n > 0 ? buf : "(empty)\n");
    close(fd);
}

static void cat(const char *label, int dirfd, const char *path)
{
    show(label, openat(dirfd, path, O_RDONLY));
}

static long o2(int dirfd, const char *path, unsigned long long resolve)
{
    struct open_how how = {.flags = O_RDONLY, .resolve = resolve};
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static void link_of(const char *label, const char *path)
{
    char buf[4096];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) {
        say("%s: -1 %s\n", label, ename(errno));
        return;
    }
    buf[n] = 0;
    say("%s: %s\n", label, buf);
}

static void where(const char *label)
{
    char buf[4096];
    struct stat a, b;
    const char *cwd = getcwd(buf, sizeof buf);
    stat(".", &a);
    stat("/", &b);
    int same = a.st_ino == b.st_ino && a.st_dev == b.st_dev;
    say("%s: getcwd %s, cwd is / %d\n", label, cwd ? cwd : ename(errno), same);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    const char *secret = argv[1];
    long hostpid = strtol(argv[2], NULL, 10);
    int native = strcmp(argv[3], "native") == 0;
    char path[4096];
    (void)native;

    /* ---- out of the mounts inside the root -------------------------------------------- */
    cat("/secret (the decoy)", AT_FDCWD, "/secret");
    cat("host path of the secret", AT_FDCWD, secret);
    cat("/bind/../secret", AT_FDCWD, "/bind/../secret");
    cat("/bind/../../../../secret", AT_FDCWD, "/bind/../../../../secret");
    cat("/bind/rel (-> ../secret)", AT_FDCWD, "/bind/rel");
    cat("/bind/abshost (-> host path)", AT_FDCWD, "/bind/abshost");
    cat("/bind/dotdots/secret", AT_FDCWD, "/bind/dotdots/secret");
    cat("/robind/rel", AT_FDCWD, "/robind/rel");
    cat("/robind/dotdots/secret", AT_FDCWD, "/robind/dotdots/secret");
    cat("/ov/rel", AT_FDCWD, "/ov/rel");
    cat("/ov/dotdots/secret", AT_FDCWD, "/ov/dotdots/secret");
    cat("/ov/../../secret", AT_FDCWD, "/ov/../../secret");
    snprintf(path, sizeof path, "/bind/dotdots%s", secret);
    cat("/bind/dotdots + host path", AT_FDCWD, path);

    int bind = open("/bind", O_RDONLY | O_DIRECTORY);
    cat("openat(/bind, ../secret)", bind, "../secret");
    cat("openat(/bind, rel)", bind, "rel");
    show("openat2(/bind, rel, BENEATH)", o2(bind, "rel", RESOLVE_BENEATH));
    show("openat2(/bind, ../secret, BENEATH)", o2(bind, "../secret", RESOLVE_BENEATH));
    show("openat2(/bind, rel, IN_ROOT)", o2(bind, "rel", RESOLVE_IN_ROOT));
    show("openat2(/bind, dotdots/secret, IN_ROOT)", o2(bind, "dotdots/secret", RESOLVE_IN_ROOT));
    show("openat2(/bind, /secret, IN_ROOT)", o2(bind, "/secret", RESOLVE_IN_ROOT));
    show("openat2(/bind, abshost, IN_ROOT)", o2(bind, "abshost", RESOLVE_IN_ROOT));
    show("openat2(/bind, ../secret, NO_XDEV)", o2(bind, "../secret", RESOLVE_NO_XDEV));
    show("openat2(/, bind/rel, NO_XDEV)", o2(AT_FDCWD, "/bind/rel", RESOLVE_NO_XDEV));

    /* O_PATH fds, fchdir and `..` */
    int opath = open("/bind", O_PATH | O_DIRECTORY);
    rok("fchdir(O_PATH /bind)", fchdir(opath));
    for (int i = 0; i < 12; i++)
        chdir("..");
    where("after 12 x chdir .. from /bind");
    cat("secret from there", AT_FDCWD, "secret");
    cat("openat(O_PATH /bind, ../../../secret)", opath, "../../../secret");
    rok("rename /bind/bfile out of the bind", rename("/bind/bfile", "/../../bfile-moved"));
    rok("link /bind/bfile into the root", link("/bind/bfile", "/bfile-linked"));
    rok("link /secret into the bind", link("/secret", "/bind/secret-linked"));
    chdir("/");

    /* ---- magic links --------------------------------------------------------------------- */
    link_of("readlink /proc/self/root", "/proc/self/root");
    link_of("readlink /proc/self/cwd", "/proc/self/cwd");
    link_of("readlink /proc/self/exe", "/proc/self/exe");
    link_of("readlink /proc/1/root", "/proc/1/root");
    cat("/proc/self/root/secret", AT_FDCWD, "/proc/self/root/secret");
    cat("/proc/self/root/../../secret", AT_FDCWD, "/proc/self/root/../../secret");
    cat("/proc/1/root/../secret", AT_FDCWD, "/proc/1/root/../secret");
    cat("/proc/self/cwd/../../secret", AT_FDCWD, "/proc/self/cwd/../../secret");
    cat("/proc/self/exe/..", AT_FDCWD, "/proc/self/exe/..");
    snprintf(path, sizeof path, "/proc/self/fd/%d/../secret", bind);
    cat("/proc/self/fd/BIND/../secret", AT_FDCWD, path);
    snprintf(path, sizeof path, "/proc/self/fd/%d/rel", bind);
    cat("/proc/self/fd/BIND/rel", AT_FDCWD, path);
    snprintf(path, sizeof path, "/dev/fd/%d/../secret", bind);
    cat("/dev/fd/BIND/../secret", AT_FDCWD, path);
    snprintf(path, sizeof path, "/proc/self/fd/%d/../../secret", opath);
    cat("/proc/self/fd/OPATH/../../secret", AT_FDCWD, path);
    snprintf(path, sizeof path, "/proc/%ld/root/secret", hostpid);
    cat("/proc/HOSTPID/root/secret", AT_FDCWD, path);
    snprintf(path, sizeof path, "/proc/%ld", hostpid);
    struct stat st;
    rok("stat /proc/HOSTPID", stat(path, &st));

    /* ---- the guest's own chroot ----------------------------------------------------------- */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int root_fd = open("/", O_PATH | O_DIRECTORY);
        int in_fd = open("/in", O_RDONLY | O_DIRECTORY);
        rok("chroot /x", chroot("/x"));
        where("after chroot, cwd not moved");
        cat("/inner", AT_FDCWD, "/inner");
        cat("/../top-file", AT_FDCWD, "/../top-file");
        link_of("readlink /proc/self/root", "/proc/self/root");
        /* /proc is outside the new root: use the fds */
        snprintf(path, sizeof path, "%d", root_fd);
        cat("openat(in_fd, ../top-file)", in_fd, "../top-file");
        cat("openat(in_fd, ../../../../secret)", in_fd, "../../../../secret");
        cat("openat(root_fd, top-file)", root_fd, "top-file");
        rok("fchdir(root_fd)", fchdir(root_fd));
        for (int i = 0; i < 12; i++)
            chdir("..");
        where("fchdir + 12 x chdir ..");
        cat("top-file (out of the guest's chroot)", AT_FDCWD, "top-file");
        cat("secret (the decoy: never above the root)", AT_FDCWD, "secret");
        snprintf(path, sizeof path, "../../../../../..%s", secret);
        cat("relative host path", AT_FDCWD, path);
        /* the classic: mkdir y; chroot y; chdir ../../.. */
        mkdir("tmp/y", 0755);
        rok("chroot tmp/y with cwd above it", chroot("tmp/y"));
        rok("chdir ../../../..", chdir("../../../.."));
        where("after the classic escape");
        cat("top-file", AT_FDCWD, "top-file");
        cat("secret", AT_FDCWD, "secret");
        rok("chroot . (the guest's own escape)", chroot("."));
        cat("/secret after chroot .", AT_FDCWD, "/secret");
        cat("/../../../secret after chroot .", AT_FDCWD, "/../../../secret");
        rmdir("/tmp/y");
        _exit(0);
    }
    int status;
    waitpid(c, &status, 0);
    say("chroot child: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    /* a chroot in a child with /proc inside it */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        rok("chroot /bind", chroot("/bind"));
        rok("chdir /", chdir("/"));
        cat("rel (-> ../secret, inside the new root)", AT_FDCWD, "rel");
        cat("dotdots/secret", AT_FDCWD, "dotdots/secret");
        _exit(0);
    }
    waitpid(c, &status, 0);
    say("bind chroot child: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    if (!native) {
        /* mount-namespace calls: a root guest natively may use them, a umlskas guest may not */
        rok("umount2 /bind", umount2("/bind", MNT_DETACH));
        rok("mount tmpfs on /bind", mount("none", "/bind", "tmpfs", 0, NULL));
        rok("mount --bind / /tmp", mount("/", "/tmp", NULL, MS_BIND, NULL));
        rok("pivot_root", syscall(SYS_pivot_root, "/x", "/x"));
        rok("unshare CLONE_NEWNS", unshare(0x00020000));
        rok("setns", syscall(SYS_setns, 0, 0));
        char handle[128] = {0};
        int mnt_id;
        *(unsigned *)handle = 8;
        rok("name_to_handle_at", syscall(SYS_name_to_handle_at, AT_FDCWD, "/secret", handle, &mnt_id, 0));
        /* The kernel's handle names the guest's /secret (the decoy), never the host's. */
        show("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, handle, O_RDONLY));
    }
    cat("/bind/bfile at the end", AT_FDCWD, "/bind/bfile");
    return 0;
}
