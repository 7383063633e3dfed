/* openat2's RESOLVE_* flags and struct checks, chroot, utimes/futimesat/utime,
 * fchmodat2, sync_file_range. argv[1]: scratch directory. */
#include "common.h"
#include <linux/openat2.h>
#include <sys/time.h>
#include <utime.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static long how(int dirfd, const char *path, unsigned long long flags, unsigned long long mode,
                unsigned long long resolve)
{
    struct open_how h = {.flags = flags, .mode = mode, .resolve = resolve};
    long fd = syscall(SYS_openat2, dirfd, path, &h, sizeof h);
    if (fd >= 0)
        close(fd);
    return fd >= 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    char top[4096];
    if (!getcwd(top, sizeof top))
        return 3;
    mkdir("o2", 0755);
    mkdir("o2/d", 0755);
    close(open("o2/d/f", O_CREAT | O_WRONLY, 0644));
    symlink("/etc/passwd", "o2/d/abs");
    symlink("f", "o2/d/rel");
    symlink("../..", "o2/d/up");
    int d = open("o2/d", O_RDONLY | O_DIRECTORY);
    res("plain", how(d, "f", O_RDONLY, 0, 0));
    res("beneath ..", how(d, "../d/f", O_RDONLY, 0, RESOLVE_BENEATH));
    res("beneath abs", how(d, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH));
    res("beneath abs link", how(d, "abs", O_RDONLY, 0, RESOLVE_BENEATH));
    res("beneath rel link", how(d, "rel", O_RDONLY, 0, RESOLVE_BENEATH));
    res("beneath up", how(d, "up/x", O_RDONLY, 0, RESOLVE_BENEATH));
    res("in root abs", how(d, "/f", O_RDONLY, 0, RESOLVE_IN_ROOT));
    res("in root ..", how(d, "../../f", O_RDONLY, 0, RESOLVE_IN_ROOT));
    res("in root abs link", how(d, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT));
    res("no symlinks", how(d, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
    res("no symlinks O_PATH|O_NOFOLLOW", how(d, "rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS));
    res("no magic links fd/0", how(AT_FDCWD, "/proc/self/fd/0", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
    res("no magic links exe", how(AT_FDCWD, "/proc/self/exe", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
    res("no magic links status", how(AT_FDCWD, "/proc/self/status", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
    {
        char link[64];
        int f = open("o2/d/f", O_RDONLY);
        snprintf(link, sizeof link, "/proc/self/fd/%d", f);
        res("no magic links, a regular file's fd", how(AT_FDCWD, link, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
        res("no symlinks, a regular file's fd", how(AT_FDCWD, link, O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
        res("magic link allowed", how(AT_FDCWD, link, O_RDONLY, 0, 0));
        struct stat st;
        snprintf(link, sizeof link, "/proc/self/fd/%d/x", f);
        res("a regular file's fd link as a directory", stat(link, &st));
        snprintf(link, sizeof link, "/proc/self/fd/%d/.", f);
        res("a regular file's fd link with /.", stat(link, &st));
        res("file/.", stat("o2/d/f/.", &st));
        res("file/..", stat("o2/d/f/..", &st));
        res("dir/.", stat("o2/d/.", &st));
        close(f);
    }
    res("no xdev into /proc", how(AT_FDCWD, "/proc/self/status", O_RDONLY, 0, RESOLVE_NO_XDEV));
    res("bad resolve bit", how(d, "f", O_RDONLY, 0, 0x40));
    res("beneath and in root", how(d, "f", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
    res("mode without O_CREAT", how(d, "f", O_RDONLY, 0644, 0));
    res("mode above 07777", how(d, "g", O_RDONLY | O_CREAT, 010000, 0));
    res("bad flag bit", how(d, "f", 1u << 30, 0, 0));
    res("O_PATH with O_RDWR|O_APPEND", how(d, "f", O_PATH | O_APPEND, 0, 0));
    res("cached with O_CREAT", how(d, "g", O_RDONLY | O_CREAT, 0644, RESOLVE_CACHED));
    struct open_how h = {.flags = O_RDONLY};
    res("size 16", syscall(SYS_openat2, d, "f", &h, 16));
    char big[64] = {0};
    memcpy(big, &h, sizeof h);
    long fd = syscall(SYS_openat2, d, "f", big, 64);
    res("size 64 zero tail", fd >= 0 ? 0 : -1);
    big[40] = 1;
    res("size 64 non-zero tail", syscall(SYS_openat2, d, "f", big, 64));
    res("bad how pointer", syscall(SYS_openat2, d, "f", BADPTR, sizeof h));

    struct stat st;
    res("utimes", utimes("o2/d/f", (struct timeval[2]){{5, 6}, {7, 8}}));
    stat("o2/d/f", &st);
    printf("mtime %ld.%09ld atime %ld.%09ld\n", st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
           st.st_atim.tv_sec, st.st_atim.tv_nsec);
    res("utimes usec 1000000", utimes("o2/d/f", (struct timeval[2]){{5, 6}, {7, 1000000}}));
    res("futimesat", syscall(SYS_futimesat, d, "f", (struct timeval[2]){{9, 1}, {10, 2}}));
    stat("o2/d/f", &st);
    printf("mtime %ld.%09ld\n", st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    res("utime", utime("o2/d/f", &(struct utimbuf){11, 12}));
    stat("o2/d/f", &st);
    printf("mtime %ld.%09ld\n", st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    res("fchmodat2 nofollow symlink", syscall(SYS_fchmodat2, d, "rel", 0600, AT_SYMLINK_NOFOLLOW));
    res("fchmodat2 file", syscall(SYS_fchmodat2, d, "f", 0640, 0));
    res("fchmodat2 bad flag", syscall(SYS_fchmodat2, d, "f", 0640, 0x8000));
    stat("o2/d/f", &st);
    printf("mode %o\n", st.st_mode & 07777);
    int f = open("o2/d/f", O_RDONLY);
    res("sync_file_range", syscall(SYS_sync_file_range, f, 0, 0, 7));
    res("sync_file_range bad flags", syscall(SYS_sync_file_range, f, 0, 0, 8));
    res("sync_file_range negative", syscall(SYS_sync_file_range, f, -1, 0, 1));
    int p[2];
    pipe(p);
    res("sync_file_range pipe", syscall(SYS_sync_file_range, p[0], 0, 0, 1));

    if (geteuid() == 0) {
        res("chroot file", chroot("o2/d/f"));
        res("chroot missing", chroot("o2/none"));
        res("chroot", chroot("o2"));
        char buf[4096];
        printf("cwd outside the new root: %s\n",
               getcwd(buf, sizeof buf) ? (strncmp(buf, "(unreachable)", 13) == 0 ? "unreachable" : buf) : "error");
        res("chdir /", chdir("/"));
        printf("cwd %s\n", getcwd(buf, sizeof buf));
        res("open /d/f", open("/d/f", O_RDONLY) >= 0 ? 0 : -1);
        res("open /../../d/f", open("/../../d/f", O_RDONLY) >= 0 ? 0 : -1);
        res("open through /d/abs", open("/d/abs", O_RDONLY));
        snprintf(buf, sizeof buf, "%s/o2/d/f", top);
        res("open old absolute path", open(buf, O_RDONLY));
    }
    return 0;
}
