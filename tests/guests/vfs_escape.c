/* Escapes from a changed root (run natively under chroot(8), and under
 * `umlskas run --root`): every attempt must stay inside, with chroot's errnos.
 * argv[1]: the host path of a secret file outside the root.
 * The root holds /in/file ("inside\n"), /etc/rel and /etc/abs (symlinks that
 * point at the secret from the host's point of view), and /tmp. */
/* build: static */
#include "common.h"
#include <sys/wait.h>

static void try_open(const char *label, int dirfd, const char *path)
{
    char buf[64] = {0};
    int fd = openat(dirfd, path, O_RDONLY);
    if (fd < 0) {
        printf("%s: -1 %s\n", label, ename(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("%s: read %s", label, n > 0 ? buf : "(nothing)\n");
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *secret = argv[1];
    char path[4096];
    try_open("host path", AT_FDCWD, secret);
    snprintf(path, sizeof path, "../../../../../../../..%s", secret);
    try_open("dotdot chain", AT_FDCWD, path);
    try_open("abs symlink", AT_FDCWD, "/etc/abs");
    try_open("rel symlink", AT_FDCWD, "/etc/rel");
    rok("chdir /in", chdir("/in"));
    snprintf(path, sizeof path, "../../../../..%s", secret);
    try_open("relative dotdot from /in", AT_FDCWD, path);
    try_open("inside file", AT_FDCWD, "file");
    rok("chdir /", chdir("/"));
    rok("chdir ..", chdir(".."));
    char cwd[256];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "(error)");
    struct stat a, b;
    stat("/", &a);
    stat("/..", &b);
    printf("/.. is /: %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    snprintf(path, sizeof path, "/proc/self/root%s", secret);
    try_open("proc self root + host path", AT_FDCWD, path);
    try_open("proc self root dotdot", AT_FDCWD, "/proc/self/root/../../../../etc/abs");
    snprintf(path, sizeof path, "/proc/%d/root%s", getppid() > 1 ? 99999 : 99998, secret);
    try_open("proc host-looking pid", AT_FDCWD, path);
    for (int fd = 3; fd <= 64; fd *= 2) {
        char label[64];
        snprintf(label, sizeof label, "openat host-looking fd %d", fd);
        try_open(label, fd, "x");
    }
    rok("rename out of root", rename("/in/file", "/../../../in-moved"));
    try_open("renamed file (stays inside)", AT_FDCWD, "/in-moved");
    rok("rename back", rename("/in-moved", "/in/file"));
    rok("symlink to dotdots", symlink("../../../../../../../../..", "/tmp/up"));
    snprintf(path, sizeof path, "/tmp/up%s", secret);
    try_open("through dotdot symlink", AT_FDCWD, path);

    /* A child swaps /tmp/lnk between a directory inside and the secret's
     * directory (host view) while the parent opens through it. */
    char secret_dir[4096];
    snprintf(secret_dir, sizeof secret_dir, "%s", secret);
    *strrchr(secret_dir, '/') = 0;
    symlink("/in", "/tmp/lnk");
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 400; i++) {
            unlink("/tmp/lnk.new");
            symlink(i % 2 ? "/in" : secret_dir, "/tmp/lnk.new");
            rename("/tmp/lnk.new", "/tmp/lnk");
        }
        _exit(0);
    }
    const char *name = strrchr(secret, '/') + 1;
    snprintf(path, sizeof path, "/tmp/lnk/%s", name);
    int escaped = 0;
    for (int i = 0; i < 400; i++) {
        char buf[16] = {0};
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            if (read(fd, buf, sizeof buf - 1) > 0 && strncmp(buf, "secret", 6) == 0)
                escaped++;
            close(fd);
        }
    }
    waitpid(pid, NULL, 0);
    printf("symlink swap escapes: %d\n", escaped);
    unlink("/tmp/lnk");
    unlink("/tmp/up");
    return 0;
}
