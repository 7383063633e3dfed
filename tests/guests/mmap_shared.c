/* build: static */
/* MAP_SHARED coherence: file mappings across fork, against read(2)/write(2),
 * between independent opens and mappings in two processes, msync, ftruncate
 * growing and shrinking under a mapping (SIGBUS past EOF), shared anonymous
 * memory across fork, mremap of a shared mapping, and what a MAP_PRIVATE
 * file mapping sees.
 * argv[1]: scratch directory prepared by the test.  Only what Linux
 * guarantees is printed: no addresses, no pids. */
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_code;
static void *volatile bus_addr;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    bus_code = si->si_signo == sig ? si->si_code : -1;
    bus_addr = si->si_addr;
    siglongjmp(bus_jmp, 1);
}

/* Touch p (a load, or a store of v when store): "ok", or the signal it raised. */
static void touch(const char *label, volatile unsigned char *p, int store, unsigned char v)
{
    bus_code = 0;
    bus_addr = NULL;
    if (sigsetjmp(bus_jmp, 1) == 0) {
        if (store)
            *p = v;
        else
            (void)*p;
        say("%s: ok\n", label);
    } else {
        say("%s: SIGBUS code=%s addr=%s\n", label,
            bus_code == BUS_ADRERR ? "BUS_ADRERR" : "other",
            bus_addr == (void *)p ? "fault address" : "BAD other address");
    }
}

static void wait_child(const char *label, pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        say("%s: BAD waitpid %s\n", label, ename(errno));
        return;
    }
    if (WIFEXITED(st))
        say("%s: exit %d\n", label, WEXITSTATUS(st));
    else
        say("%s: BAD signal %d\n", label, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
}

static void show(const char *label, const void *p, long n)
{
    print_escaped(label, p, n);
}

static void pread_show(const char *label, int fd, long n, off_t off)
{
    char buf[64];
    long r = pread(fd, buf, n, off);
    if (r < 0)
        res(label, r);
    else
        print_escaped(label, buf, r);
}

static void fill_file(int fd, int pages, char c)
{
    char page[PG];
    memset(page, c, sizeof page);
    for (int i = 0; i < pages; i++)
        if (pwrite(fd, page, PG, (off_t)i * PG) != (ssize_t)PG)
            say("fill: BAD %s\n", ename(errno));
}

static char getc_pipe(int fd)
{
    char c = '?';
    if (read(fd, &c, 1) != 1)
        c = '!';
    return c;
}

static void file_and_fork(void)
{
    say("== file MAP_SHARED and fork\n");
    int fd = open("shared.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    rok("open shared.bin", fd);
    fill_file(fd, 2, '.');
    char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pok("mmap shared 2 pages", p);

    pid_t pid = fork();
    if (pid == 0) {
        memcpy(p, "child", 5);
        memcpy(p + PG + 10, "child-page1", 11);
        _exit(0);
    }
    wait_child("child wrote through the mapping", pid);
    show("parent sees page 0", p, 8);
    show("parent sees page 1", p + PG + 10, 11);
    pread_show("read(2) sees the child's store", fd, 8, 0);

    res("pwrite at 100", pwrite(fd, "pwrite", 6, 100));
    show("mapping shows pwrite", p + 100, 6);
    res("lseek 200", lseek(fd, 200, SEEK_SET));
    res("write at 200", write(fd, "write(2)", 8));
    show("mapping shows write", p + 200, 8);

    memcpy(p + 300, "store", 5);
    pread_show("pread sees the store", fd, 5, 300);
    res("lseek 300", lseek(fd, 300, SEEK_SET));
    char buf[8] = {0};
    res("read(2) at 300", read(fd, buf, 5));
    show("read(2) sees the store", buf, 5);

    /* write(2) from the mapping into the same file, and read(2) into it */
    res("pwrite from the mapping", pwrite(fd, p + 300, 5, PG + 100));
    show("page 1 got it", p + PG + 100, 5);
    res("pread into the mapping", pread(fd, p + 400, 6, 100));
    show("mapping after pread into it", p + 400, 6);
    pread_show("file after pread into the mapping", fd, 6, 400);

    /* The mapping outlives the fd. */
    res("close fd", close(fd));
    pid = fork();
    if (pid == 0) {
        memcpy(p + 500, "after-close", 11);
        _exit(0);
    }
    wait_child("child after close", pid);
    fd = open("shared.bin", O_RDONLY);
    pread_show("reopened file sees it", fd, 11, 500);
    close(fd);

    res("msync MS_SYNC", msync(p, 2 * PG, MS_SYNC));
    res("msync MS_ASYNC", msync(p, PG, MS_ASYNC));
    res("msync MS_INVALIDATE", msync(p, PG, MS_INVALIDATE));
    res("msync ASYNC|SYNC", msync(p, PG, MS_ASYNC | MS_SYNC));
    res("msync unaligned", msync(p + 1, PG, MS_SYNC));
    res("msync bad flag", msync(p, PG, 8));
    res("msync len 0", msync(p, 0, MS_SYNC));
    res("munmap", munmap(p, 2 * PG));
    res("msync unmapped", msync(p, PG, MS_SYNC));
}

static void two_opens(void)
{
    say("== independent opens and mappings in two processes\n");
    int fd = open("shared.bin", O_RDWR);
    char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pok("parent mmap", p);
    close(fd);
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent))
        say("pipe: BAD\n");

    pid_t pid = fork();
    if (pid == 0) {
        int cfd = open("shared.bin", O_RDWR);
        char *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        close(cfd);
        memcpy(q + 1000, "from-child", 10);
        if (write(to_parent[1], "1", 1) != 1)
            _exit(3);
        getc_pipe(to_child[0]);
        show("child sees parent's store", q + 2000, 11);
        munmap(q, PG);
        _exit(0);
    }
    getc_pipe(to_parent[0]);
    show("parent sees child's store", p + 1000, 10);
    memcpy(p + 2000, "from-parent", 11);
    if (write(to_child[1], "2", 1) != 1)
        say("pipe write: BAD\n");
    wait_child("child", pid);

    /* Two mappings of the same file in one process, through two opens. */
    int fd2 = open("shared.bin", O_RDWR);
    char *r = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
    pok("second mapping in the parent", r);
    memcpy(r + 3000, "alias", 5);
    show("first mapping sees the second", p + 3000, 5);
    close(fd2);
    munmap(r, PG);
    munmap(p, PG);
    close(to_child[0]); close(to_child[1]); close(to_parent[0]); close(to_parent[1]);
}

static void truncate_and_sigbus(void)
{
    say("== ftruncate and SIGBUS past EOF\n");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);

    int fd = open("grow.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    res("write 10 bytes", write(fd, "0123456789", 10));
    res("ftruncate 100", ftruncate(fd, 100));
    unsigned char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pok("mmap 4 pages of a 100-byte file", p);
    show("first bytes", p, 10);
    int zero = 1;
    for (unsigned long i = 100; i < PG; i++)
        zero &= p[i] == 0;
    check("rest of the last page is zero", zero);
    touch("load page 1 (past EOF)", p + PG, 0, 0);
    touch("store page 3 (past EOF)", p + 3 * PG + 8, 1, 'x');
    res("write(2) from a page past EOF", write(fd, p + PG, 10));
    res("read(2) into a page past EOF", pread(fd, p + PG, 10, 0));

    res("ftruncate 3 pages", ftruncate(fd, 3 * PG));
    touch("store page 1 after growing", p + PG, 1, 'g');
    touch("store page 2 after growing", p + 2 * PG + 5, 1, 'h');
    check("page 2 was zero", p[2 * PG] == 0);
    touch("load page 3 (still past EOF)", p + 3 * PG, 0, 0);
    pread_show("file sees page 1 store", fd, 1, PG);
    pread_show("file sees page 2 store", fd, 1, 2 * PG + 5);
    struct stat st;
    fstat(fd, &st);
    res("size", st.st_size);

    /* extend with write(2) past the end: the mapping's page 3 becomes valid */
    res("pwrite at page 3", pwrite(fd, "tail", 4, 3 * PG + 16));
    show("page 3 shows it", p + 3 * PG + 16, 4);

    res("ftruncate down to 1 page", ftruncate(fd, PG));
    touch("load page 2 after shrinking", p + 2 * PG, 0, 0);
    touch("load page 0 after shrinking", p, 0, 0);
    res("ftruncate 2 pages again", ftruncate(fd, 2 * PG));
    check("page 1 reads back zero", p[PG] == 0);

    /* a shared mapping that starts entirely past EOF */
    unsigned char *q = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 8 * PG);
    pok("mmap at offset past EOF", q);
    touch("load it", q, 0, 0);
    munmap(q, PG);

    /* MAP_PRIVATE past EOF faults too */
    q = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    pok("mmap private 4 pages of a 2-page file", q);
    touch("private store page 1", q + PG, 1, 1);
    touch("private store page 3", q + 3 * PG, 1, 1);
    munmap(q, 4 * PG);

    munmap(p, 4 * PG);
    close(fd);
    signal(SIGBUS, SIG_DFL);
}

static void shared_anon(void)
{
    say("== MAP_SHARED|MAP_ANONYMOUS and fork\n");
    char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pok("mmap shared anon", p);
    check("zero filled", p[0] == 0 && p[2 * PG - 1] == 0);
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent))
        say("pipe: BAD\n");
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(p, "anon-child", 10);
        if (write(to_parent[1], "1", 1) != 1)
            _exit(3);
        getc_pipe(to_child[0]);
        show("child sees parent's store", p + PG, 11);
        /* a grandchild shares it too */
        pid_t g = fork();
        if (g == 0) {
            memcpy(p + 100, "grandchild", 10);
            _exit(0);
        }
        waitpid(g, NULL, 0);
        _exit(0);
    }
    getc_pipe(to_parent[0]);
    show("parent sees child's store", p, 10);
    memcpy(p + PG, "anon-parent", 11);
    if (write(to_child[1], "2", 1) != 1)
        say("pipe write: BAD\n");
    wait_child("child", pid);
    show("parent sees grandchild's store", p + 100, 10);

    /* mprotect, then a child still shares the pages */
    res("mprotect read-only", mprotect(p + PG, PG, PROT_READ));
    pid = fork();
    if (pid == 0) {
        memcpy(p + 200, "after-mprotect", 14);
        _exit(0);
    }
    wait_child("child after mprotect", pid);
    show("parent sees it", p + 200, 14);

    /* private anonymous memory is not shared */
    char *priv = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    priv[0] = 'P';
    pid = fork();
    if (pid == 0) {
        priv[0] = 'C';
        _exit(0);
    }
    wait_child("child wrote private anon", pid);
    show("parent keeps its copy", priv, 1);
    munmap(priv, PG);
    munmap(p, 2 * PG);
    close(to_child[0]); close(to_child[1]); close(to_parent[0]); close(to_parent[1]);
}

static void remap_shared(void)
{
    say("== mremap of a shared file mapping\n");
    int fd = open("remap.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    fill_file(fd, 4, '-');
    char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
    pok("mmap page 1", p);
    memcpy(p, "page1", 5);
    /* make sure it cannot grow in place, so it moves */
    char *block = mmap(p + PG, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    char *q = mremap(p, PG, 3 * PG, 0);
    pok("mremap grow without MAYMOVE", block == p + PG ? q : MAP_FAILED);
    q = mremap(p, PG, 3 * PG, MREMAP_MAYMOVE);
    pok("mremap grow with MAYMOVE", q);
    check("moved", block != p + PG || q != p);
    show("content kept", q, 5);
    memcpy(q + 2 * PG, "page3", 5);
    pread_show("file sees the store in the grown part", fd, 5, 3 * PG);
    res("pwrite at page 2", pwrite(fd, "pw2", 3, 2 * PG + 8));
    show("moved mapping shows pwrite", q + PG + 8, 3);

    pid_t pid = fork();
    if (pid == 0) {
        memcpy(q + PG + 20, "child-after-mremap", 18);
        _exit(0);
    }
    wait_child("child", pid);
    show("parent sees child's store", q + PG + 20, 18);

    char *r = mremap(q, 3 * PG, PG, 0);
    pok("mremap shrink", r);
    check("shrunk in place", r == q);
    res("pwrite at page 1", pwrite(fd, "again", 5, PG + 8));
    show("shrunk mapping shows it", r + 8, 5);

    /* old_size 0 duplicates a shared mapping */
    char *d = mremap(r, 0, PG, MREMAP_MAYMOVE);
    pok("mremap old_size 0", d);
    if (d != MAP_FAILED) {
        memcpy(d + 50, "dup", 3);
        show("original sees the duplicate's store", r + 50, 3);
        munmap(d, PG);
    }
    munmap(r, PG);
    if (block == p + PG)
        munmap(block, PG);
    close(fd);
}

static void private_file(void)
{
    say("== MAP_PRIVATE file mapping\n");
    int fd = open("private.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    fill_file(fd, 2, 'f');
    char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    pok("mmap private", p);
    show("sees the file", p, 4);
    memcpy(p, "priv", 4);
    pread_show("the file does not see a private store", fd, 4, 0);
    res("pwrite page 0", pwrite(fd, "file", 4, 0));
    show("the copied page keeps the private store", p, 4);
    /* Linux: a page never written through this mapping shows the page cache. */
    res("pwrite page 1", pwrite(fd, "new1", 4, PG));
    show("an untouched page shows write(2)", p + PG, 4);

    pid_t pid = fork();
    if (pid == 0) {
        memcpy(p + PG, "kid!", 4);
        _exit(0);
    }
    wait_child("child stored into the private mapping", pid);
    show("parent's page unchanged", p + PG, 4);
    pread_show("file unchanged", fd, 4, PG);
    munmap(p, 2 * PG);

    /* read-only opens */
    int ro = open("private.bin", O_RDONLY);
    res("mmap shared writable of O_RDONLY", (long)mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
    char *s = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
    pok("mmap shared read-only of O_RDONLY", s);
    res("mprotect it writable", mprotect(s, PG, PROT_READ | PROT_WRITE));
    show("it sees the file", s, 4);
    munmap(s, PG);
    s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    pok("mmap private writable of O_RDONLY", s);
    s[0] = 'X';
    pread_show("file unchanged by it", fd, 1, 0);
    munmap(s, PG);
    close(ro);
    int wo = open("private.bin", O_WRONLY);
    res("mmap of O_WRONLY", (long)mmap(NULL, PG, PROT_READ, MAP_SHARED, wo, 0));
    close(wo);
    int ap = open("private.bin", O_RDWR | O_APPEND);
    pok("mmap shared writable of O_APPEND", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ap, 0));
    close(ap);
    close(fd);
}

static void unlinked(void)
{
    say("== shared mapping of an unlinked file\n");
    int fd = open("gone.bin", O_RDWR | O_CREAT | O_TRUNC, 0600);
    fill_file(fd, 1, 'u');
    res("unlink", unlink("gone.bin"));
    char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pok("mmap", p);
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(p, "still-here", 10);
        _exit(0);
    }
    wait_child("child", pid);
    pread_show("the fd sees the child's store", fd, 10, 0);
    munmap(p, PG);
    close(fd);
}

static void dev_zero_and_memfd(void)
{
    say("== /dev/zero and memfd\n");
    int z = open("/dev/zero", O_RDWR);
    rok("open /dev/zero", z);
    char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    pok("mmap /dev/zero shared", p);
    char *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
    pok("mmap /dev/zero private", q);
    close(z);
    if (p != MAP_FAILED && q != MAP_FAILED) {
        check("zero filled", p[0] == 0 && p[2 * PG - 1] == 0 && q[0] == 0);
        q[0] = 'Q';
        pid_t pid = fork();
        if (pid == 0) {
            memcpy(p + PG, "zero-child", 10);
            q[0] = 'C';
            _exit(0);
        }
        wait_child("child", pid);
        show("shared /dev/zero page is shared", p + PG, 10);
        show("private /dev/zero page is not", q, 1);
        munmap(p, 2 * PG);
        munmap(q, PG);
    }

    int m = memfd_create("umlskas-test", MFD_CLOEXEC);
    rok("memfd_create", m);
    res("ftruncate memfd", ftruncate(m, 2 * PG));
    p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
    pok("mmap memfd", p);
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(p + 10, "memfd-child", 11);
        _exit(0);
    }
    wait_child("child", pid);
    pread_show("memfd read(2) sees it", m, 11, 10);
    res("pwrite memfd", pwrite(m, "pw", 2, PG));
    show("mapping sees pwrite", p + PG, 2);
    munmap(p, 2 * PG);
    close(m);
}

static void dontfork(void)
{
    say("== MADV_DONTFORK and MADV_WIPEONFORK\n");
    char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 'a', 3 * PG);
    res("MADV_DONTFORK page 0", madvise(p, PG, MADV_DONTFORK));
    res("MADV_WIPEONFORK page 1", madvise(p + PG, PG, MADV_WIPEONFORK));
    char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    res("MADV_WIPEONFORK on shared memory", madvise(s, PG, MADV_WIPEONFORK));
    munmap(s, PG);
    pid_t pid = fork();
    if (pid == 0) {
        probe_file();
        say("child: page 0 %s\n", mem_readable(p) ? "present" : "absent");
        say("child: page 1 %s\n", p[PG] == 0 ? "wiped" : "BAD kept");
        say("child: page 2 %s\n", p[2 * PG] == 'a' ? "kept" : "BAD wiped");
        void *m = mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        pok("child: map where page 0 was", m);
        _exit(0);
    }
    wait_child("child", pid);
    check("parent keeps page 0", p[0] == 'a' && p[PG] == 'a');
    res("MADV_DOFORK page 0", madvise(p, PG, MADV_DOFORK));
    res("MADV_KEEPONFORK page 1", madvise(p + PG, PG, MADV_KEEPONFORK));
    pid = fork();
    if (pid == 0) {
        say("child: page 0 %s, page 1 %s\n", p[0] == 'a' ? "copied" : "BAD",
            p[PG] == 'a' ? "copied" : "BAD");
        _exit(0);
    }
    wait_child("child", pid);
    munmap(p, 3 * PG);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    file_and_fork();
    two_opens();
    truncate_and_sigbus();
    shared_anon();
    remap_shared();
    private_file();
    unlinked();
    dev_zero_and_memfd();
    dontfork();
    say("done\n");
    return 0;
}
