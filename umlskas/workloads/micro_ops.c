/* micro_ops OP N: repeat one system-call pattern N times, for `umlskas bench`.
 *
 *   write_null   write(fd, 1 byte) to /dev/null                      1 syscall per op
 *   open_close   open(argv[0], O_RDONLY) + close                     2 syscalls per op
 *   pread4k      pread(fd, 4096 bytes, offset 0) of argv[0]          1 syscall per op
 *   mmap64k      mmap 64 KiB anonymous private (untouched) + munmap  2 syscalls per op
 *
 * argv[0] (this static binary, far larger than 4 KiB) is the file opened and read, so the
 * workload needs no other file on whatever root the guest sees.  Built static against
 * glibc (-O2 -static), like fork_exec_loop and pipe_pingpong: no dynamic loader.  Start-up
 * cancels out because the bench takes the slope between two values of N.
 *
 * Exit status: 0 ok; 2 bad arguments; 3 set-up failed; 4 an operation failed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s write_null|open_close|pread4k|mmap64k N\n", argv[0]);
        return 2;
    }
    char *end;
    long n = strtol(argv[2], &end, 10);
    if (*end || n < 0) {
        fprintf(stderr, "micro_ops: bad N %s\n", argv[2]);
        return 2;
    }
    const char *op = argv[1];
    static char buf[4096];
    if (!strcmp(op, "write_null")) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd < 0) { perror("micro_ops: /dev/null"); return 3; }
        for (long i = 0; i < n; i++)
            if (write(fd, "x", 1) != 1) return 4;
    } else if (!strcmp(op, "open_close")) {
        for (long i = 0; i < n; i++) {
            int fd = open(argv[0], O_RDONLY);
            if (fd < 0 || close(fd)) return 4;
        }
    } else if (!strcmp(op, "pread4k")) {
        int fd = open(argv[0], O_RDONLY);
        if (fd < 0) { perror("micro_ops: open argv[0]"); return 3; }
        for (long i = 0; i < n; i++)
            if (pread(fd, buf, sizeof buf, 0) != (ssize_t)sizeof buf) return 4;
    } else if (!strcmp(op, "mmap64k")) {
        for (long i = 0; i < n; i++) {
            void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
            if (p == MAP_FAILED || munmap(p, 65536)) return 4;
        }
    } else {
        fprintf(stderr, "micro_ops: unknown op %s\n", op);
        return 2;
    }
    return 0;
}
