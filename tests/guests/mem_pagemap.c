/* /proc/self/pagemap (fs/proc/task_mmu.c): 8 bytes per page at vaddr/4096*8;
 * bit 63 set for pages that are in memory, bit 61 for file and shared pages,
 * unmapped ranges read as 0, position and count must be multiples of 8, no
 * SEEK_END; frame numbers are 0 for an unprivileged reader.  argv[1]: scratch. */
#include "common.h"
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static int pm;

static uint64_t entry(void *addr)
{
    uint64_t e = 0;
    if (pread(pm, &e, 8, (uintptr_t)addr / PG * 8) != 8)
        return 0xdeadULL;
    return e;
}

static void bits(const char *label, void *addr)
{
    uint64_t e = entry(addr);
    say("%s: present %d swap %d file %d\n", label, (int)(e >> 63), (int)(e >> 62 & 1), (int)(e >> 61 & 1));
}

static void unprivileged(char *touched)
{
    if (setresuid(65534, 65534, 65534) != 0) {
        say("setresuid failed\n");
        _exit(1);
    }
    prctl(PR_SET_DUMPABLE, 1);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    rok("nobody: open pagemap", fd);
    uint64_t e = 0;
    res("nobody: pread", pread(fd, &e, 8, (uintptr_t)touched / PG * 8));
    say("nobody: present %d, frame number %s\n", (int)(e >> 63),
        (e & ((1ULL << 55) - 1)) == 0 ? "0" : "BAD shown");
    _exit(0);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    pm = open("/proc/self/pagemap", O_RDONLY);
    rok("open /proc/self/pagemap", pm);
    struct stat st;
    res("fstat", fstat(pm, &st));
    say("mode %o size %ld\n", st.st_mode & 07777, (long)st.st_size);

    char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 1;
    p[2 * PG] = 1;
    bits("anon page 0 (touched)", p);
    bits("anon page 1 (untouched)", p + PG);
    bits("anon page 2 (touched)", p + 2 * PG);
    bits("anon page 3 (untouched)", p + 3 * PG);
    uint64_t four[4];
    res("pread 4 entries", pread(pm, four, 32, (uintptr_t)p / PG * 8));
    say("present bits: %d%d%d%d\n", (int)(four[0] >> 63), (int)(four[1] >> 63), (int)(four[2] >> 63), (int)(four[3] >> 63));
    res("lseek to page 2", lseek(pm, (uintptr_t)(p + 2 * PG) / PG * 8, SEEK_SET) == (off_t)((uintptr_t)(p + 2 * PG) / PG * 8));
    uint64_t e;
    res("read at the position", read(pm, &e, 8));
    say("read present %d\n", (int)(e >> 63));
    res("position moved by 8", lseek(pm, 0, SEEK_CUR) == (off_t)((uintptr_t)(p + 2 * PG) / PG * 8 + 8));
    madvise(p, PG, MADV_DONTNEED);
    bits("after MADV_DONTNEED", p);
    munmap(p + 3 * PG, PG);
    e = entry(p + 3 * PG);
    say("unmapped page: %#llx\n", (unsigned long long)e);
    uint64_t none[2] = {1, 1};
    res("pread at page 0", pread(pm, none, 16, 0));
    say("page 0 and 1 entries: %#llx %#llx\n", (unsigned long long)none[0], (unsigned long long)none[1]);

    char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    s[0] = 1;
    bits("shared anon (touched)", s);
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, PG);
    char *f = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    f[0] = 1;
    bits("shared file (touched)", f);
    char local = 1;
    bits("stack variable", (void *)&local);

    say("== errors\n");
    char b[16];
    res("pread offset 4", pread(pm, b, 8, 4));
    res("pread count 4", pread(pm, b, 4, 0));
    res("pread count 12", pread(pm, b, 12, 8));
    res("pread count 0", pread(pm, b, 0, 0));
    res("lseek SEEK_END", lseek(pm, 0, SEEK_END));
    res("pread at the end of the address space", pread(pm, b, 8, 0x7ffffffff000UL / PG * 8));
    res("pread across the end", pread(pm, b, 16, (0x7ffffffff000UL / PG - 1) * 8));
    res("write", write(pm, b, 8));
    void *volatile bad = BADPTR;
    res("pread to a bad buffer", pread(pm, bad, 8, 0));

    if (getuid() == 0) {
        pid_t c = fork();
        if (c == 0)
            unprivileged(p + 2 * PG);
        int status;
        waitpid(c, &status, 0);
        check("child exit 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    say("done\n");
    return 0;
}
