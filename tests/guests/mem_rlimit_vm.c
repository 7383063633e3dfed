/* RLIMIT_DATA and RLIMIT_AS as mm/mmap.c enforces them: brk fails silently (the
 * old break comes back), private writable mappings count against RLIMIT_DATA
 * (ENOMEM), read-only, shared and stack-like ones do not; mprotect to writable
 * and mremap growth are checked too; a soft RLIMIT_DATA of 0 under a larger hard
 * limit lets mmap through (Linux's Valgrind allowance) but not brk. RLIMIT_AS
 * counts every mapping.  Limits are far from the program's own size, so the
 * numbers do not depend on how much the loader mapped. */
#include "common.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#define MB (1UL << 20)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

static void set_limit(const char *label, int which, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    res(label, setrlimit(which, &rl));
}

static void brk_try(const char *label, long delta)
{
    char *cur = (char *)syscall(SYS_brk, 0);
    char *got = (char *)syscall(SYS_brk, cur + delta);
    say("%s: %s\n", label, got == cur + delta ? "moved" : got == cur ? "unchanged" : "BAD other");
}

static void data_limit(void)
{
    set_limit("RLIMIT_DATA 64M", RLIMIT_DATA, 64 * MB, RLIM_INFINITY);
    pok("private rw 128M", mmap(NULL, 128 * MB, PROT_READ | PROT_WRITE, ANON, -1, 0));
    void *small = mmap(NULL, 16 * MB, PROT_READ | PROT_WRITE, ANON, -1, 0);
    pok("private rw 16M", small);
    void *ro = mmap(NULL, 128 * MB, PROT_READ, ANON, -1, 0);
    pok("private ro 128M", ro);
    pok("shared rw 128M", mmap(NULL, 128 * MB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    pok("private rw GROWSDOWN 128M", mmap(NULL, 128 * MB, PROT_READ | PROT_WRITE, ANON | MAP_GROWSDOWN, -1, 0));
    res("mprotect 128M ro -> rw", mprotect(ro, 128 * MB, PROT_READ | PROT_WRITE));
    res("mprotect 1M of it -> rw", mprotect(ro, MB, PROT_READ | PROT_WRITE));
    res("mprotect it back ro", mprotect(ro, MB, PROT_READ));
    res("mprotect 128M ro -> rx", mprotect(ro, 128 * MB, PROT_READ | PROT_EXEC));
    pok("mremap 16M -> 128M", mremap(small, 16 * MB, 128 * MB, MREMAP_MAYMOVE));
    pok("mremap 16M -> 20M", mremap(small, 16 * MB, 20 * MB, MREMAP_MAYMOVE));
    pok("mremap ro 1M -> 256M", mremap(ro, MB, 256 * MB, MREMAP_MAYMOVE));
    brk_try("brk +128M", 128 * MB);
    brk_try("brk +1M", MB);
    brk_try("brk -1M", -(long)MB);
    set_limit("RLIMIT_DATA 0 (hard 64M)", RLIMIT_DATA, 0, 64 * MB);
    pok("soft 0: private rw 16M", mmap(NULL, 16 * MB, PROT_READ | PROT_WRITE, ANON, -1, 0));
    pok("soft 0: private rw 128M", mmap(NULL, 128 * MB, PROT_READ | PROT_WRITE, ANON, -1, 0));
    brk_try("soft 0: brk +4K", 4096);
    brk_try("soft 0: brk +0", 0);
}

static void as_limit(void)
{
    set_limit("RLIMIT_AS 1G", RLIMIT_AS, 1024 * MB, RLIM_INFINITY);
    pok("mmap none 2G", mmap(NULL, 2048 * MB, PROT_NONE, ANON, -1, 0));
    pok("mmap shared 2G", mmap(NULL, 2048 * MB, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    char *a = mmap(NULL, 256 * MB, PROT_NONE, ANON, -1, 0);
    pok("mmap none 256M", a);
    pok("mmap none 512M more", mmap(NULL, 512 * MB, PROT_NONE, ANON, -1, 0));
    pok("mremap 256M -> 1G", mremap(a, 256 * MB, 1024 * MB, MREMAP_MAYMOVE));
    pok("mremap 256M -> 300M", mremap(a, 256 * MB, 300 * MB, MREMAP_MAYMOVE));
    brk_try("brk +1G", 1024 * MB);
    brk_try("brk +1M", MB);
    /* MAP_FIXED over an existing mapping only adds what is new */
    char *b = mmap(NULL, 64 * MB, PROT_NONE, ANON, -1, 0);
    pok("mmap none 64M", b);
    pok("MAP_FIXED over it, same size", mmap(b, 64 * MB, PROT_READ, ANON | MAP_FIXED, -1, 0));
    char *d = mmap(NULL, 96 * MB, PROT_READ | PROT_WRITE, ANON, -1, 0);
    pok("mmap rw 96M", d);
    pok("mremap DONTUNMAP 96M", mremap(d, 96 * MB, 96 * MB, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL));
    set_limit("RLIMIT_AS infinity", RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY);
    pok("after raising: mmap none 2G", mmap(NULL, 2048 * MB, PROT_NONE, ANON, -1, 0));
}

static void in_child(const char *what, void (*fn)(void))
{
    say("== %s\n", what);
    pid_t c = fork();
    if (c == 0) {
        fn();
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    check("child exit 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
    in_child("RLIMIT_DATA", data_limit);
    in_child("RLIMIT_AS", as_limit);
    say("done\n");
    return 0;
}
