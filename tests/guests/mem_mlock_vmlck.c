/* Memory locks in /proc/self/status VmLck (mm->locked_vm): mlock, mlock2,
 * MAP_LOCKED, mlockall(MCL_FUTURE) for later mmap and brk, munlock, munmap,
 * partial locking before a hole, no locks in a fork child; RLIMIT_MEMLOCK for
 * an unprivileged caller against what is locked already (mm/mlock.c,
 * mm/mmap.c mlock_future_ok). */
#include "common.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static long vmlck(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void show(const char *label)
{
    say("%s: VmLck %ld kB\n", label, vmlck());
}

static void unprivileged(void)
{
    struct rlimit rl = {64 * 1024, 64 * 1024};
    setrlimit(RLIMIT_MEMLOCK, &rl);
    if (setresuid(65534, 65534, 65534) != 0) {
        say("setresuid failed\n");
        _exit(1);
    }
    char *p = mmap(NULL, 32 * PG, PROT_READ | PROT_WRITE, ANON, -1, 0);
    res("nobody: mlock 8 pages", mlock(p, 8 * PG));
    show("nobody");
    res("nobody: mlock 16 more pages (over 64K)", mlock(p + 8 * PG, 16 * PG));
    res("nobody: mlock the same 8 pages again", mlock(p, 8 * PG));
    res("nobody: mlock 12 pages, 8 already locked", mlock(p, 12 * PG));
    show("nobody");
    pok("nobody: MAP_LOCKED 8 pages (over)", mmap(NULL, 8 * PG, PROT_READ, ANON | MAP_LOCKED, -1, 0));
    void *l = mmap(NULL, 4 * PG, PROT_READ, ANON | MAP_LOCKED, -1, 0);
    pok("nobody: MAP_LOCKED 4 pages", l);
    show("nobody");
    pok("nobody: mremap locked 4 -> 8 pages (over)", mremap(l, 4 * PG, 8 * PG, MREMAP_MAYMOVE));
    res("nobody: munlock all of p", munlock(p, 32 * PG));
    show("nobody");
    res("nobody: mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE));
    pok("nobody: future mmap 16 pages (over)", mmap(NULL, 16 * PG, PROT_READ, ANON, -1, 0));
    pok("nobody: future mmap 8 pages", mmap(NULL, 8 * PG, PROT_READ, ANON, -1, 0));
    show("nobody");
    res("nobody: mlockall(MCL_CURRENT) (total_vm over)", mlockall(MCL_CURRENT));
    res("nobody: munlockall", munlockall());
    show("nobody");
    rl.rlim_cur = 0;
    setrlimit(RLIMIT_MEMLOCK, &rl);
    pok("nobody, MEMLOCK 0: MAP_LOCKED", mmap(NULL, PG, PROT_READ, ANON | MAP_LOCKED, -1, 0));
    pok("nobody, MEMLOCK 0: plain mmap", mmap(NULL, PG, PROT_READ, ANON, -1, 0));
    _exit(0);
}

int main(void)
{
    show("start");
    char *p = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, ANON, -1, 0);
    res("mlock 2 pages", mlock(p, 2 * PG));
    show("after mlock");
    res("mlock 3 pages overlapping", mlock(p + PG, 3 * PG));
    show("after overlap");
    res("munlock 1 page", munlock(p, PG));
    show("after munlock");
    res("mlock2 ONFAULT 2 pages", syscall(SYS_mlock2, p + 8 * PG, 2 * PG, MLOCK_ONFAULT));
    show("after mlock2");
    res("munmap a locked page", munmap(p + 9 * PG, PG));
    show("after munmap");
    char *l = mmap(NULL, 4 * PG, PROT_READ, ANON | MAP_LOCKED, -1, 0);
    pok("MAP_LOCKED 4 pages", l);
    show("after MAP_LOCKED");
    char *l2 = mremap(l, 4 * PG, 6 * PG, MREMAP_MAYMOVE);
    pok("mremap locked 4 -> 6 pages", l2);
    show("after mremap");
    res("mprotect keeps the lock", mprotect(l2, PG, PROT_READ | PROT_WRITE));
    show("after mprotect");
    l2[0] = 'L';
    res("MADV_DONTNEED on a locked page", madvise(l2, PG, MADV_DONTNEED));
    res("MADV_FREE on a locked page", madvise(l2, PG, MADV_FREE));
    check("locked page kept", l2[0] == 'L');
    res("MADV_DONTNEED_LOCKED", madvise(l2, PG, 24));
    check("MADV_DONTNEED_LOCKED dropped it", l2[0] == 0);
    show("after madvise");

    /* across a hole: the part before it is locked, then ENOMEM */
    char *h = mmap(NULL, 4 * PG, PROT_READ, ANON, -1, 0);
    munmap(h + 2 * PG, PG);
    res("mlock across a hole", mlock(h, 4 * PG));
    show("after mlock across a hole");
    res("munlock across the hole", munlock(h, 4 * PG));
    show("after munlock across the hole");

    pid_t c = fork();
    if (c == 0) {
        show("fork child");
        _exit(0);
    }
    waitpid(c, NULL, 0);

    res("munlockall", munlockall());
    show("after munlockall");
    res("mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE));
    show("MCL_FUTURE, nothing new");
    pok("future mmap 4 pages", mmap(NULL, 4 * PG, PROT_READ, ANON, -1, 0));
    show("after future mmap");
    char *b = (char *)syscall(SYS_brk, 0);
    check("brk +3 pages", (char *)syscall(SYS_brk, b + 3 * PG) == b + 3 * PG);
    long after_brk = vmlck();
    check("brk pages are locked", after_brk >= 16 + 12 && after_brk <= 16 + 16);
    syscall(SYS_brk, b);
    res("munlockall", munlockall());
    show("after munlockall");
    res("mlockall(MCL_CURRENT)", mlockall(MCL_CURRENT));
    long all = vmlck();
    check("VmLck covers the program", all > 64);
    pok("mmap after MCL_CURRENT only", mmap(NULL, 4 * PG, PROT_READ, ANON, -1, 0));
    check("MCL_CURRENT does not lock later mappings", vmlck() == all);
    res("munlockall", munlockall());
    show("after munlockall");

    if (getuid() == 0) {
        say("== unprivileged\n");
        c = fork();
        if (c == 0)
            unprivileged();
        int st;
        waitpid(c, &st, 0);
        check("child exit 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    say("done\n");
    return 0;
}
