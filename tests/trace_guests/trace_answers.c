/* Guest for test_trace_strace: answers of umlskas's kernel that --trace comparisons with
   strace showed differing from Linux's, printed to compare with a native run.
   argv[1]: a scratch directory on the same file system as argv[0]'s source. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define SHOW(call) do { int r_ = (call); printf("%-40s %d %s\n", #call, r_, \
                                               r_ < 0 ? strerrorname_np(errno) : "-"); } while (0)

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]) != 0)
        return 2;
    int p[2];
    pipe(p);
    /* fadvise64 on a pipe: ESPIPE (posix_fadvise returns the error number) */
    printf("posix_fadvise(pipe) %d\n", posix_fadvise(p[0], 0, 0, POSIX_FADV_SEQUENTIAL));
    int src = open("src", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(src, "data", 4);
    int dst = open("dst", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_WRONLY);
    /* the remap ioctls, checked as vfs_clone_file_range (cp's first try) */
    SHOW(ioctl(null, FICLONE, src));          /* another file system: EXDEV */
    SHOW(ioctl(p[1], FICLONE, p[0]));         /* not regular files: EINVAL */
    SHOW(ioctl(dst, FICLONE, 99));            /* no such source: EBADF */
    SHOW(ioctl(dst, FICLONE, dst));           /* a source not open for reading: EBADF */
    SHOW(ioctl(src, FICLONE, p[0]));          /* a pipe and a file: EXDEV */
    return 0;
}
