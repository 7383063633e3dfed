/* Shared helpers for umlskas behaviour-test guests.
 *
 * Every guest prints deterministic text only (no pids, addresses, times).
 * Result lines look like
 *     "write badptr: -1 EFAULT"      (failure: -1 and the errno name)
 *     "lseek end: 12"                (success with a deterministic value)
 *     "open data: ok"                (success, value not deterministic)
 * Invariant checks print "label: yes" or "label: BAD ..." -- the native test
 * asserts that no line contains "BAD".
 */
#ifndef UMLSKAS_GUEST_COMMON_H
#define UMLSKAS_GUEST_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define PG 4096UL
#define BADPTR ((void *)1)
#define KERNPTR ((void *)0xffff880000000000UL)

__attribute__((unused)) static const char *ename(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "E?";
}

/* Line-buffered stdout: a crash under the emulator still shows how far the
 * guest got. */
__attribute__((constructor)) static void guest_init_stdout(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* print the value on success, "-1 ENAME" on failure */
__attribute__((unused)) static void res(const char *label, long r)
{
    int e = errno;
    if (r == -1)
        printf("%s: -1 %s\n", label, ename(e));
    else
        printf("%s: %ld\n", label, r);
    fflush(stdout);
    errno = e;
}

/* print "ok" on success (value hidden), "-1 ENAME" on failure */
__attribute__((unused)) static void rok(const char *label, long r)
{
    int e = errno;
    if (r == -1)
        printf("%s: -1 %s\n", label, ename(e));
    else if (r < 0)
        printf("%s: BAD negative %ld\n", label, r);
    else
        printf("%s: ok\n", label);
    fflush(stdout);
    errno = e;
}

/* same for pointer-returning calls (mmap, mremap) */
__attribute__((unused)) static void pok(const char *label, void *p)
{
    int e = errno;
    if (p == (void *)-1)
        printf("%s: -1 %s\n", label, ename(e));
    else
        printf("%s: ok\n", label);
    fflush(stdout);
    errno = e;
}

__attribute__((unused)) static void check(const char *label, int cond)
{
    printf("%s: %s\n", label, cond ? "yes" : "BAD");
    fflush(stdout);
}

__attribute__((unused)) static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

__attribute__((unused)) static void print_escaped(const char *label, const char *buf, long n)
{
    printf("%s: %ld '", label, n);
    for (long i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c >= 32 && c < 127 && c != '\\' && c != '\'')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    printf("'\n");
    fflush(stdout);
}

/* "dir/name" in one of 8 rotating buffers, so a call may take several at once. */
__attribute__((unused)) static const char *path_in(const char *dir, const char *name)
{
    static char bufs[8][4096];
    static int i;
    char *b = bufs[i++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

/* Guests that need a scratch directory get it as argv[1] (created by the
 * test under pytest's tmp_path) and chdir there first. */
__attribute__((unused)) static void enter_dir(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        exit(2);
    }
    if (chdir(argv[1]) != 0) {
        fprintf(stderr, "chdir %s: %s\n", argv[1], strerror(errno));
        exit(3);
    }
}

/* Memory probes that never fault: the kernel reports EFAULT instead. They
 * need a scratch file, opened lazily in the current directory. */
__attribute__((unused)) static int probe_fd = -1;
__attribute__((unused)) static int probe_file(void)
{
    if (probe_fd < 0) {
        probe_fd = open("probe.tmp", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (probe_fd < 0) {
            perror("probe.tmp");
            exit(4);
        }
        /* keep it away from low fd numbers the guests print */
        int hi = fcntl(probe_fd, F_DUPFD_CLOEXEC, 200);
        if (hi >= 0) {
            close(probe_fd);
            probe_fd = hi;
        }
    }
    return probe_fd;
}
__attribute__((unused)) static int mem_readable(const void *p)
{
    return pwrite(probe_file(), p, 1, 0) == 1;
}
/* content preserving: copies the byte out and back in */
__attribute__((unused)) static int mem_writable(void *p)
{
    int fd = probe_file();
    if (pwrite(fd, p, 1, 0) != 1)
        return 0;
    return pread(fd, p, 1, 0) == 1;
}

#endif
