/* System V shared memory: shmget/shmat/shmdt/shmctl, shared across fork, errors. */
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/wait.h>

static sigjmp_buf jb;
static void on_segv(int s) { (void)s; siglongjmp(jb, 1); }

/* The /proc/self/maps line of the mapping at addr: its permissions and name. */
static void maps_line(const char *label, void *addr, key_t key)
{
    char line[512], want[64];
    snprintf(want, sizeof want, "/SYSV%08x (deleted)", (unsigned)key);
    FILE *f = fopen("/proc/self/maps", "r");
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi, off;
        char perms[8];
        int name = 0;
        if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms, &off, &name) < 4)
            continue;
        if (lo != (unsigned long)addr)
            continue;
        line[strcspn(line, "\n")] = 0;
        say("%s: %s off=%lx size=%lu name=%s\n", label, perms, off, hi - lo,
            name && strcmp(line + name, want) == 0 ? "SYSV-key" : line + name);
    }
    if (f)
        fclose(f);
}

static void stat_line(const char *label, int id)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0) {
        res(label, -1);
        return;
    }
    say("%s: segsz=%zu nattch=%lu mode=%o cpid_self=%d lpid_self=%d uid=%u cuid=%u key0=%d\n",
        label, (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_perm.mode,
        ds.shm_cpid == getpid(), ds.shm_lpid == getpid(), ds.shm_perm.uid,
        ds.shm_perm.cuid, ds.shm_perm.__key == 0);
}

/* A program of its own (exec'd): find the segment by key and use it. */
static int attach_by_key(const char *k)
{
    int id = shmget((key_t)strtol(k, NULL, 0), 0, 0);
    char *p = shmat(id, NULL, 0);
    if (p == (void *)-1) {
        say("exec'd attach: %s\n", ename(errno));
        return 1;
    }
    say("exec'd program sees '%s'\n", p);
    strcpy(p, "from exec'd program");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--attach") == 0)
        return attach_by_key(argv[2]);
    key_t key = 0x5a000000 | (getpid() & 0xffffff);

    /* errors of shmget */
    res("shmget size 0", shmget(IPC_PRIVATE, 0, 0600));
    res("shmget huge", shmget(IPC_PRIVATE, (size_t)-1, 0600));
    res("shmget nokey", shmget(key, 4096, 0600));
    int id = shmget(key, 10000, IPC_CREAT | 0640);
    rok("shmget create", id);
    res("shmget excl", shmget(key, 100, IPC_CREAT | IPC_EXCL | 0600));
    check("shmget same", shmget(key, 100, 0) == id);
    check("shmget same size0", shmget(key, 0, 0) == id);
    res("shmget bigger", shmget(key, 20000, 0));
    stat_line("stat new", id);

    /* attach, write, fork: the child sees and writes */
    char *p = shmat(id, NULL, 0);
    pok("shmat", p);
    check("shmat aligned", ((unsigned long)p & 4095) == 0);
    strcpy(p, "parent");
    stat_line("stat attached", id);
    maps_line("maps", p, key);
    pid_t c = fork();
    if (c == 0) {
        check("child sees", strcmp(p, "parent") == 0);
        strcpy(p + 100, "child");
        struct shmid_ds ds;
        shmctl(id, IPC_STAT, &ds);
        say("child nattch=%lu\n", (unsigned long)ds.shm_nattch);
        char *q = shmat(id, NULL, 0);
        check("child second attach shares", strcmp(q, "parent") == 0);
        shmctl(id, IPC_STAT, &ds);
        say("child nattch2=%lu\n", (unsigned long)ds.shm_nattch);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    check("parent sees child", strcmp(p + 100, "child") == 0);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    say("after child exit nattch=%lu lpid_child=%d\n", (unsigned long)ds.shm_nattch,
        ds.shm_lpid == c);

    /* the same segment attached twice in one process: one memory */
    char *p2 = shmat(id, NULL, SHM_RDONLY);
    pok("shmat rdonly", p2);
    check("two attaches differ", p2 != p);
    check("rdonly sees", strcmp(p2, "parent") == 0);
    stat_line("stat two", id);
    signal(SIGSEGV, on_segv);
    if (sigsetjmp(jb, 1) == 0) {
        p2[0] = 'x';
        say("rdonly write: no fault\n");
    } else {
        say("rdonly write: SIGSEGV\n");
    }
    maps_line("maps rdonly", p2, key);
    res("mprotect rdonly write", mprotect(p2, 4096, PROT_READ | PROT_WRITE));
    char *x = shmat(id, NULL, SHM_EXEC | SHM_RDONLY);
    maps_line("maps exec", x, key);
    rok("mprotect split", mprotect(x + 4096, 4096, PROT_NONE));
    stat_line("stat split", id);
    maps_line("maps split", x + 4096, key);
    rok("shmdt split", shmdt(x));
    res("shmdt mid", shmdt(p2 + 4096));
    res("shmdt unaligned", shmdt(p2 + 1));
    res("shmdt rdonly", shmdt(p2));
    res("shmdt again", shmdt(p2));
    stat_line("stat one", id);

    /* fixed addresses */
    char *want = p + 1024 * 1024 * 16;
    res("shmat unaligned", (long)shmat(id, want + 5, 0));
    char *f = shmat(id, want + 5, SHM_RND);
    check("shmat SHM_RND", f == want);
    res("shmat overlap", (long)shmat(id, want, 0));
    char *g = shmat(id, want, SHM_REMAP);
    check("shmat SHM_REMAP", g == want);
    res("shmat remap null", (long)shmat(id, NULL, SHM_REMAP));
    check("fixed sees", strcmp(g + 100, "child") == 0);
    res("shmdt fixed", shmdt(g));
    /* munmap also detaches */
    char *m = shmat(id, NULL, 0);
    rok("munmap attach", munmap(m, 12288));
    stat_line("stat after munmap", id);

    /* shmdt finds the attach from where it would start: after its first page is
     * unmapped, the rest still goes; an address below an attach finds nothing */
    char *y = shmat(id, NULL, 0);
    rok("munmap first page", munmap(y, 4096));
    res("shmdt below", shmdt(y - 4096));
    rok("shmdt headless", shmdt(y));
    res("shmdt headless again", shmdt(y));
    stat_line("stat headless", id);
    y = shmat(id, NULL, 0);
    rok("munmap middle page", munmap(y + 4096, 4096));
    rok("shmdt holed", shmdt(y));
    res("shmdt tail", shmdt(y + 8192));
    stat_line("stat holed", id);

    /* an unrelated program finds it by key */
    c = fork();
    if (c == 0) {
        char k[32];
        snprintf(k, sizeof k, "%#x", (unsigned)key);
        execl("/proc/self/exe", "sysv_shm", "--attach", k, (char *)0);
        _exit(127);
    }
    waitpid(c, &st, 0);
    check("exec'd program wrote", strcmp(p, "from exec'd program") == 0);
    strcpy(p, "parent");

    /* IPC_SET, SHM_LOCK */
    shmctl(id, IPC_STAT, &ds);
    ds.shm_perm.mode = 0604;
    rok("IPC_SET", shmctl(id, IPC_SET, &ds));
    stat_line("stat set", id);
    rok("SHM_LOCK", shmctl(id, SHM_LOCK, 0));
    shmctl(id, IPC_STAT, &ds);
    say("locked mode=%o\n", ds.shm_perm.mode);
    rok("SHM_UNLOCK", shmctl(id, SHM_UNLOCK, 0));
    res("shmctl bad cmd", shmctl(id, 99, &ds));
    res("shmctl neg id", shmctl(-1, IPC_STAT, &ds));
    res("shmctl stat efault", shmctl(id, IPC_STAT, BADPTR));
    res("shmctl set efault", shmctl(id, IPC_SET, BADPTR));
    res("shmctl bad id", shmctl(id + 1, IPC_STAT, &ds));

    /* IPC_INFO / SHM_INFO / SHM_STAT */
    struct shminfo si;
    long mi = shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
    check("IPC_INFO", mi >= 0 && si.shmmni > 0 && si.shmmin == 1);
    struct shm_info sinfo;
    mi = shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo);
    check("SHM_INFO", mi >= 0 && sinfo.used_ids >= 1);
    int found = 0;
    for (int i = 0; i <= mi; i++) {
        int r = shmctl(i, SHM_STAT, &ds);
        if (r == id)
            found = 1;
    }
    check("SHM_STAT finds", found);
    int sa = shmctl(id & 0x7fff, SHM_STAT_ANY, &ds);
    check("SHM_STAT_ANY", sa == id);

    /* IPC_RMID while attached: SHM_DEST, private key, gone at the last detach */
    rok("IPC_RMID attached", shmctl(id, IPC_RMID, 0));
    shmctl(id, IPC_STAT, &ds);
    say("dest mode=%o nattch=%lu key0=%d\n", ds.shm_perm.mode, (unsigned long)ds.shm_nattch,
        ds.shm_perm.__key == 0);
    res("shmget after rmid", shmget(key, 100, 0));
    check("memory still there", strcmp(p, "parent") == 0);
    c = fork();
    if (c == 0) {
        strcpy(p, "again");
        _exit(0);
    }
    waitpid(c, &st, 0);
    check("child wrote after rmid", strcmp(p, "again") == 0);
    res("shmdt last", shmdt(p));
    res("stat after last", shmctl(id, IPC_STAT, &ds));
    res("shmat gone", (long)shmat(id, NULL, 0));

    /* removal with no attach; exec/exit detach */
    int id2 = shmget(IPC_PRIVATE, 4096, 0600);
    rok("shmget private", id2);
    char *e = shmat(id2, NULL, 0);
    pok("shmat2", e);
    c = fork();
    if (c == 0) {
        execl("/bin/true", "true", (char *)0);
        _exit(127);
    }
    waitpid(c, &st, 0);
    shmctl(id2, IPC_STAT, &ds);
    say("after exec child nattch=%lu lpid_child=%d\n", (unsigned long)ds.shm_nattch,
        ds.shm_lpid == c);
    shmdt(e);
    rok("IPC_RMID free", shmctl(id2, IPC_RMID, 0));
    res("stat removed", shmctl(id2, IPC_STAT, &ds));

    /* SHM_HUGETLB: huge pages if the machine has them to reserve (else ENOMEM) */
    int h = shmget(IPC_PRIVATE, 3 << 20, SHM_HUGETLB | 0600);
    rok("shmget hugetlb", h);
    if (h >= 0) {
        char *hp = shmat(h, NULL, 0);
        pok("shmat hugetlb", hp);
        if (hp != (void *)-1) {
            hp[(3 << 20) - 1] = 1;
            shmdt(hp);
        }
        shmctl(h, IPC_RMID, 0);
    }
    int nr = shmget(IPC_PRIVATE, 4096, SHM_NORESERVE | 0600);
    rok("shmget noreserve", nr);
    shmctl(nr, IPC_RMID, 0);

    /* permissions as another user */
    int id3 = shmget(IPC_PRIVATE, 4096, 0600);
    int id4 = shmget(IPC_PRIVATE, 4096, 0644);
    c = fork();
    if (c == 0) {
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
            say("setresuid failed\n");
            _exit(1);
        }
        res("other shmat", (long)shmat(id3, NULL, 0));
        res("other stat", shmctl(id3, IPC_STAT, &ds));
        res("other stat_any", shmctl(id3 & 0x7fff, SHM_STAT_ANY, &ds) == id3);
        res("other rmid", shmctl(id3, IPC_RMID, 0));
        res("other lock", shmctl(id3, SHM_LOCK, 0));
        res("other shmat 644 rw", (long)shmat(id4, NULL, 0));
        char *r = shmat(id4, NULL, SHM_RDONLY);
        pok("other shmat 644 ro", r);
        /* SHM_LOCK by the owner counts against its RLIMIT_MEMLOCK */
        struct rlimit rl = {8 << 20, 8 << 20};
        setrlimit(RLIMIT_MEMLOCK, &rl);
        int big = shmget(IPC_PRIVATE, 6 << 20, 0600);
        int big2 = shmget(IPC_PRIVATE, 6 << 20, 0600);
        int huge = shmget(IPC_PRIVATE, 9 << 20, 0600);
        rok("owner lock 6M", shmctl(big, SHM_LOCK, 0));
        rok("owner lock again", shmctl(big, SHM_LOCK, 0));
        res("owner lock 6M more", shmctl(big2, SHM_LOCK, 0));
        res("owner lock 9M", shmctl(huge, SHM_LOCK, 0));
        rok("owner unlock", shmctl(big, SHM_UNLOCK, 0));
        rok("owner lock other 6M", shmctl(big2, SHM_LOCK, 0));
        rl.rlim_cur = 0;
        setrlimit(RLIMIT_MEMLOCK, &rl);
        res("owner lock no rlimit", shmctl(big, SHM_LOCK, 0));
        shmctl(big, IPC_RMID, 0);
        shmctl(big2, IPC_RMID, 0);
        shmctl(huge, IPC_RMID, 0);
        _exit(0);
    }
    waitpid(c, &st, 0);
    rok("rm id3", shmctl(id3, IPC_RMID, 0));
    rok("rm id4", shmctl(id4, IPC_RMID, 0));
    say("done\n");
    return 0;
}
