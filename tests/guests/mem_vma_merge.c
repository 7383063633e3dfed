/* VMA merging as mm/vma.c does it, seen in /proc/self/maps and in the one-VMA
 * rules of mremap: adjacent private anonymous mappings with the same protections
 * join, a changed middle splits them and changing it back joins them again;
 * brk growth stays one [heap]; mappings of one file join when their offsets are
 * contiguous; separate shared anonymous mappings never join; a locked middle
 * splits.  argv[1]: scratch directory. */
#include "common.h"
#include <sys/mman.h>

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static int vmas_in(void *lo, void *hi)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a < (uintptr_t)hi && b > (uintptr_t)lo)
            n++;
    }
    if (f)
        fclose(f);
    return n;
}

static void count(const char *label, void *lo, void *hi)
{
    say("%s: %d\n", label, vmas_in(lo, hi));
}

static int heap_lines(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[heap]"))
            n++;
    if (f)
        fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    char *r = mmap(NULL, 64 * PG, PROT_NONE, ANON, -1, 0);
    char *a = r + 2 * PG;
    mmap(a, 2 * PG, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
    mmap(a + 2 * PG, 2 * PG, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
    count("two adjacent anonymous mappings", a, a + 4 * PG);
    res("mprotect the middle read-only", mprotect(a + PG, 2 * PG, PROT_READ));
    count("after mprotect", a, a + 4 * PG);
    res("mprotect it back", mprotect(a + PG, 2 * PG, PROT_READ | PROT_WRITE));
    count("after mprotect back", a, a + 4 * PG);
    res("mlock the middle", mlock(a + PG, PG));
    count("after mlock", a, a + 4 * PG);
    res("munlock it", munlock(a + PG, PG));
    count("after munlock", a, a + 4 * PG);
    memset(a, 'a', 4 * PG);
    pok("mremap the joined 4 pages", mremap(a, 4 * PG, 8 * PG, MREMAP_MAYMOVE));
    char *g = r + 20 * PG;
    mmap(g, PG, PROT_READ, ANON | MAP_FIXED, -1, 0);
    mmap(g + PG, PG, PROT_READ | PROT_EXEC, ANON | MAP_FIXED, -1, 0);
    count("different protections", g, g + 2 * PG);
    char *ns = r + 24 * PG;
    mmap(ns, PG, PROT_READ, ANON | MAP_FIXED, -1, 0);
    mmap(ns + PG, PG, PROT_READ, ANON | MAP_FIXED | MAP_NORESERVE, -1, 0);
    count("MAP_NORESERVE next to a reserved one", ns, ns + 2 * PG);

    char *s = r + 30 * PG;
    mmap(s, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    mmap(s + PG, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    count("two shared anonymous mappings", s, s + 2 * PG);

    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, 8 * PG);
    char *f = r + 40 * PG;
    mmap(f, 2 * PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    mmap(f + 2 * PG, 2 * PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 2 * PG);
    count("one file, contiguous offsets", f, f + 4 * PG);
    mmap(f + 4 * PG, 2 * PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    count("one file, offsets not contiguous", f, f + 6 * PG);

    char *b = (char *)syscall(SYS_brk, 0);
    for (int i = 1; i <= 3; i++)
        syscall(SYS_brk, b + i * 5 * PG);
    say("[heap] lines after three brk steps: %d\n", heap_lines());
    syscall(SYS_brk, b);
    say("done\n");
    return 0;
}
