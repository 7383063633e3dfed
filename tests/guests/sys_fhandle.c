/* name_to_handle_at(2) and open_by_handle_at(2) in a scratch directory (argv[1]): the
 * handle's size rules (EOVERFLOW with the size needed), flags, file systems without
 * handles (/proc, pipes), opening by handle as root and as another user, and stale
 * handles after unlink. */
#include "common.h"
#include <sys/wait.h>

struct handle {
    unsigned int handle_bytes;
    int handle_type;
    unsigned char f_handle[128];
};

static long n2h(int dirfd, const char *path, struct handle *h, int *mnt, int flags)
{
    return syscall(SYS_name_to_handle_at, dirfd, path, h, mnt, flags);
}

static long obh(int mountfd, struct handle *h, int flags)
{
    return syscall(SYS_open_by_handle_at, mountfd, h, flags);
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]))
        return 2;
    int fd = open("file", O_CREAT | O_RDWR, 0644);
    write(fd, "handle me", 9);
    close(fd);
    mkdir("dir", 0755);
    symlink("file", "link");
    struct handle h = {0}, small = {0};
    int mnt = -1;

    say("== name_to_handle_at\n");
    small.handle_bytes = 0;
    res("size 0", n2h(AT_FDCWD, "file", &small, &mnt, 0));
    say("needed size > 0: %s, type set: %s\n", small.handle_bytes > 0 ? "yes" : "BAD",
        small.handle_type != 0 ? "yes" : "no");
    h.handle_bytes = 129;
    res("size 129", n2h(AT_FDCWD, "file", &h, &mnt, 0));
    h.handle_bytes = 128;
    res("file", n2h(AT_FDCWD, "file", &h, &mnt, 0));
    say("mount id set: %s\n", mnt >= 0 ? "yes" : "BAD");
    res("bad flags", n2h(AT_FDCWD, "file", &h, &mnt, 0x8000));
    res("missing", n2h(AT_FDCWD, "nope", &h, &mnt, 0));
    res("handle EFAULT", n2h(AT_FDCWD, "file", BADPTR, &mnt, 0));
    struct handle dirh = {128};
    res("dir", n2h(AT_FDCWD, "dir", &dirh, &mnt, 0));
    struct handle lh = {128}, lfh = {128};
    res("link", n2h(AT_FDCWD, "link", &lh, &mnt, 0));
    res("link followed", n2h(AT_FDCWD, "link", &lfh, &mnt, 0x400));
    say("followed link = file's handle: %s\n",
        lfh.handle_bytes == h.handle_bytes && !memcmp(lfh.f_handle, h.f_handle, h.handle_bytes) ? "yes" : "BAD");
    say("unfollowed link differs: %s\n", memcmp(lh.f_handle, h.f_handle, h.handle_bytes) ? "yes" : "BAD");
    int dfd = open("dir", O_RDONLY);
    struct handle eh = {128};
    res("AT_EMPTY_PATH on a dir fd", n2h(dfd, "", &eh, &mnt, 0x1000));
    res("empty path without the flag", n2h(dfd, "", &eh, &mnt, 0));
    struct handle ph = {128};
    res("/proc/self/status", n2h(AT_FDCWD, "/proc/self/status", &ph, &mnt, 0));
    int p[2];
    pipe(p);
    res("a pipe", n2h(p[0], "", &ph, &mnt, 0x1000));

    say("== open_by_handle_at\n");
    int hfd = obh(AT_FDCWD, &h, O_RDONLY);
    char buf[16] = {0};
    read(hfd, buf, sizeof buf - 1);
    say("opened: %s, reads '%s'\n", hfd >= 0 ? "yes" : "BAD", buf);
    close(hfd);
    int mfd = open(".", O_RDONLY);
    hfd = obh(mfd, &dirh, O_RDONLY | O_DIRECTORY);
    say("dir by handle: %s\n", hfd >= 0 ? "yes" : "BAD");
    res("bad mount fd", obh(999, &h, O_RDONLY));
    struct handle zero = h;
    zero.handle_bytes = 0;
    res("size 0", obh(AT_FDCWD, &zero, O_RDONLY));
    struct handle huge = h;
    huge.handle_bytes = 200;
    res("size 200", obh(AT_FDCWD, &huge, O_RDONLY));
    struct handle junk = h;
    memset(junk.f_handle, 0xA5, junk.handle_bytes);
    res("junk handle", obh(AT_FDCWD, &junk, O_RDONLY));
    res("handle EFAULT", obh(AT_FDCWD, BADPTR, O_RDONLY));
    pid_t pid = fork();
    if (pid == 0) {
        setresuid(65534, 65534, 65534);
        res("as another user", obh(AT_FDCWD, &h, O_RDONLY));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    unlink("file");
    res("after unlink and close", obh(AT_FDCWD, &h, O_RDONLY));
    return 0;
}
