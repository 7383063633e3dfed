/* Advisory file locks between guest processes: fcntl record locks (F_GETLK,
 * F_SETLK, F_SETLKW), open file description locks (F_OFD_*), flock(2).
 * Ranges split and merge, conflicts between forked processes, waiting, release
 * on close of any fd and at exit, EDEADLK, EINTR, pipes, exec.
 * argv[1]: scratch directory. Pids are printed only as relations (parent, self). */
#include "common.h"
#include <limits.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>

#define DATA "locks.dat"

static int lk(int fd, int cmd, short type, short whence, off_t start, off_t len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = whence;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl);
}

static const char *tname(int t)
{
    return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" : t == F_UNLCK ? "UN" : "??";
}

static void show(const char *label, int r, struct flock *fl, pid_t parent)
{
    if (r < 0)
        printf("%s: -1 %s\n", label, ename(errno));
    else if (fl->l_type == F_UNLCK)
        printf("%s: unlocked\n", label);
    else
        printf("%s: %s start %ld len %ld whence %d pid %s\n", label, tname(fl->l_type),
               (long)fl->l_start, (long)fl->l_len, fl->l_whence,
               fl->l_pid == parent ? "parent" : fl->l_pid == getpid() ? "self" :
               fl->l_pid == -1 ? "-1" : fl->l_pid == 0 ? "0" : "other");
    fflush(stdout);
}

/* F_GETLK of our own (fcntl or OFD), reported relative to the caller. */
static void getlk(const char *label, int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    int r = fcntl(fd, cmd, &fl);
    show(label, r, &fl, getppid());
}

/* What another process sees: a child opens path (or uses fd if path is NULL)
 * and runs F_GETLK; l_pid is reported as "parent" when it is the caller's. */
static void probe(const char *label, const char *path, int fd, short type, off_t start, off_t len)
{
    pid_t me = getpid();
    pid_t c = fork();
    if (c == 0) {
        int f = path ? open(path, O_RDWR) : fd;
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = type;
        fl.l_whence = SEEK_SET;
        fl.l_start = start;
        fl.l_len = len;
        int r = fcntl(f, F_GETLK, &fl);
        show(label, r, &fl, me);
        _exit(0);
    }
    waitpid(c, NULL, 0);
}

static void wait_child(const char *label, pid_t c)
{
    int st;
    pid_t w = waitpid(c, &st, 0);
    if (w != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        printf("%s: BAD child status %#x\n", label, st);
}

static char rd1(int fd)
{
    char c = 0;
    if (read(fd, &c, 1) != 1)
        return 0;
    return c;
}

static void wr1(int fd, char c)
{
    if (write(fd, &c, 1) != 1)
        say("BAD pipe write\n");
}

static void errors(void)
{
    say("== errors\n");
    int fd = open(DATA, O_RDWR);
    int ro = open(DATA, O_RDONLY);
    int wo = open(DATA, O_WRONLY);
    int pa = open(DATA, O_PATH);
    struct flock fl;
    res("ftruncate 100", ftruncate(fd, 100));
    res("bad fd", lk(999, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    res("negative fd", lk(-1, F_GETLK, F_WRLCK, SEEK_SET, 0, 1));
    res("O_PATH fd", lk(pa, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    res("O_PATH fd getlk", lk(pa, F_GETLK, F_RDLCK, SEEK_SET, 0, 1));
    res("WRLCK on O_RDONLY", lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    res("RDLCK on O_WRONLY", lk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    res("UNLCK on O_RDONLY", lk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
    res("RDLCK on O_RDONLY", lk(ro, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    res("WRLCK on O_WRONLY", lk(wo, F_SETLK, F_WRLCK, SEEK_SET, 10, 1));
    res("OFD WRLCK on O_RDONLY", lk(ro, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    res("unlock all", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    getlk("GETLK on O_RDONLY with WRLCK", ro, F_GETLK, F_WRLCK, 0, 0);
    res("bad l_type", lk(fd, F_SETLK, 7, SEEK_SET, 0, 1));
    res("bad l_type -1", lk(fd, F_SETLK, -1, SEEK_SET, 0, 1));
    res("bad l_whence", lk(fd, F_SETLK, F_WRLCK, 5, 0, 1));
    res("SEEK_DATA whence", lk(fd, F_SETLK, F_WRLCK, SEEK_DATA, 0, 1));
    res("negative start", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1));
    res("negative len before 0", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, -11));
    res("negative len to 0", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, -10));
    res("unlock it", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 10));
    res("start max len 2", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, LLONG_MAX, 2));
    res("start max len 1", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, LLONG_MAX, 1));
    res("unlock max", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, LLONG_MAX, 1));
    res("SEEK_END start max", lk(fd, F_SETLK, F_WRLCK, SEEK_END, LLONG_MAX, 1));
    res("SEEK_END start min", lk(fd, F_SETLK, F_WRLCK, SEEK_END, LLONG_MIN, 1));
    res("len min", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, LLONG_MIN));
    res("bad type and bad whence", lk(fd, F_SETLK, 9, 9, 0, 1));
    res("bad type on O_RDONLY", lk(ro, F_SETLK, 9, SEEK_SET, 0, 1));
    res("overflow on O_RDONLY", lk(ro, F_SETLK, F_WRLCK, SEEK_SET, LLONG_MAX, 2));
    res("GETLK with F_UNLCK", lk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1));
    res("GETLK bad type", lk(fd, F_GETLK, 3, SEEK_SET, 0, 1));
    res("GETLK negative start", lk(fd, F_GETLK, F_RDLCK, SEEK_SET, -5, 1));
    res("SETLK bad pointer", fcntl(fd, F_SETLK, BADPTR));
    res("SETLKW bad pointer", fcntl(fd, F_SETLKW, BADPTR));
    res("GETLK bad pointer", fcntl(fd, F_GETLK, BADPTR));
    res("GETLK kernel pointer", fcntl(fd, F_GETLK, KERNPTR));
    res("bad fd and bad pointer", fcntl(999, F_GETLK, BADPTR));
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_pid = 5;
    res("OFD SETLK l_pid 5", fcntl(fd, F_OFD_SETLK, &fl));
    res("OFD SETLKW l_pid 5", fcntl(fd, F_OFD_SETLKW, &fl));
    res("OFD GETLK l_pid 5", fcntl(fd, F_OFD_GETLK, &fl));
    fl.l_type = F_UNLCK;
    res("OFD unlock l_pid 5", fcntl(fd, F_OFD_SETLK, &fl));
    fl.l_type = F_WRLCK;
    res("OFD SETLK l_pid 5 on O_RDONLY", fcntl(ro, F_OFD_SETLK, &fl));
    fl.l_pid = 0;
    fl.l_type = 9;
    res("OFD GETLK bad type", fcntl(fd, F_OFD_GETLK, &fl));
    fl.l_pid = 77;
    fl.l_type = F_WRLCK;
    res("SETLK ignores l_pid", fcntl(fd, F_SETLK, &fl));
    res("unlock", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));

    say("== flock errors\n");
    res("flock bad fd", flock(999, LOCK_SH));
    res("flock 0", flock(fd, 0));
    res("flock SH|EX", flock(fd, LOCK_SH | LOCK_EX));
    res("flock SH|UN", flock(fd, LOCK_SH | LOCK_UN));
    res("flock NB only", flock(fd, LOCK_NB));
    res("flock bad op on bad fd", flock(999, 0));
    res("flock 64", flock(fd, 64));
    res("flock O_PATH", flock(pa, LOCK_SH));
    res("flock O_PATH unlock", flock(pa, LOCK_UN));
    res("flock EX on O_RDONLY", flock(ro, LOCK_EX | LOCK_NB));
    res("flock SH on O_WRONLY", flock(wo, LOCK_SH | LOCK_NB));
    res("flock UN O_RDONLY", flock(ro, LOCK_UN));
    res("flock UN O_WRONLY", flock(wo, LOCK_UN));
    res("flock UN nothing", flock(fd, LOCK_UN));
    res("flock LOCK_MAND on a bad fd", flock(999, LOCK_MAND | LOCK_READ));
    res("ftruncate 0", ftruncate(fd, 0));
    close(fd);
    close(ro);
    close(wo);
    close(pa);
}

static void ranges(void)
{
    say("== ranges\n");
    int fd = open(DATA, O_RDWR);
    res("WR 0+100", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
    probe("probe whole", DATA, -1, F_WRLCK, 0, 0);
    res("UN 40+20", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
    probe("probe from 0", DATA, -1, F_WRLCK, 0, 0);
    probe("probe from 50", DATA, -1, F_WRLCK, 50, 0);
    probe("probe hole", DATA, -1, F_WRLCK, 40, 20);
    probe("probe hole+1", DATA, -1, F_WRLCK, 40, 21);
    probe("probe hole-1", DATA, -1, F_WRLCK, 39, 21);
    res("RD 40+20", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 40, 20));
    probe("probe RD from 0", DATA, -1, F_RDLCK, 0, 0);
    probe("probe RD in hole", DATA, -1, F_RDLCK, 40, 20);
    probe("probe WR in hole", DATA, -1, F_WRLCK, 45, 5);
    res("WR 40+20 again", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20));
    probe("probe merged", DATA, -1, F_WRLCK, 50, 1);
    res("RD 10+10 inside WR", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10));
    probe("probe RD from 0 after split", DATA, -1, F_RDLCK, 0, 0);
    probe("probe RD from 10", DATA, -1, F_RDLCK, 10, 0);
    probe("probe WR 15", DATA, -1, F_WRLCK, 15, 1);
    res("WR 5+20 over both", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 20));
    probe("probe WR 15 merged", DATA, -1, F_WRLCK, 15, 1);
    res("unlock all", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    probe("probe after unlock", DATA, -1, F_WRLCK, 0, 0);
    res("RD 200+10", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 200, 10));
    res("RD 210+10 adjacent", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 210, 10));
    res("WR 220+10 adjacent other type", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 220, 10));
    probe("probe adjacent RD merged", DATA, -1, F_WRLCK, 205, 1);
    probe("probe adjacent WR separate", DATA, -1, F_RDLCK, 200, 0);
    res("lseek 300", lseek(fd, 300, SEEK_SET));
    res("SEEK_CUR -10 len 20", lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, -10, 20));
    probe("probe SEEK_CUR", DATA, -1, F_WRLCK, 295, 1);
    res("SEEK_CUR -301", lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, -301, 1));
    res("ftruncate 1000", ftruncate(fd, 1000));
    res("SEEK_END -100 len 0", lk(fd, F_SETLK, F_WRLCK, SEEK_END, -100, 0));
    probe("probe SEEK_END", DATA, -1, F_WRLCK, 950, 1);
    res("SEEK_END -1001", lk(fd, F_SETLK, F_WRLCK, SEEK_END, -1001, 1));
    res("UN 920+30", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 920, 30));
    probe("probe tail to EOF", DATA, -1, F_WRLCK, 930, 0);
    probe("probe head", DATA, -1, F_WRLCK, 905, 1);
    res("negative len", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 500, -50));
    probe("probe negative len", DATA, -1, F_WRLCK, 460, 1);
    res("SEEK_END negative len", lk(fd, F_SETLK, F_RDLCK, SEEK_END, -400, -10));
    probe("probe SEEK_END negative len", DATA, -1, F_WRLCK, 595, 1);
    getlk("own locks never conflict", fd, F_GETLK, F_WRLCK, 0, 0);
    res("unlock all", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    res("ftruncate 0", ftruncate(fd, 0));
    close(fd);
}

static void contention(void)
{
    say("== contention\n");
    int fd = open(DATA, O_RDWR);
    res("parent WR 0+100", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
    res("parent RD 200+10", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 200, 10));
    pid_t c = fork();
    if (c == 0) {
        int f = open(DATA, O_RDWR);
        res("child SETLK WR 50+10", lk(f, F_SETLK, F_WRLCK, SEEK_SET, 50, 10));
        res("child SETLK RD 99+10", lk(f, F_SETLK, F_RDLCK, SEEK_SET, 99, 10));
        res("child SETLK WR 100+10", lk(f, F_SETLK, F_WRLCK, SEEK_SET, 100, 10));
        res("child SETLK RD 200+10 shared", lk(f, F_SETLK, F_RDLCK, SEEK_SET, 200, 10));
        res("child SETLK WR 205+1", lk(f, F_SETLK, F_WRLCK, SEEK_SET, 205, 1));
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        fl.l_start = 60;
        fl.l_len = 5;
        fl.l_pid = 12345;
        int r = fcntl(f, F_GETLK, &fl);
        res("child GETLK", r);
        check("GETLK l_pid is the parent", fl.l_pid == getppid());
        say("GETLK type %s start %ld len %ld whence %d\n", tname(fl.l_type), (long)fl.l_start,
            (long)fl.l_len, fl.l_whence);
        /* not inherited: the child's inherited fd does not own the parent's lock */
        getlk("child GETLK via inherited fd", fd, F_GETLK, F_WRLCK, 0, 1);
        res("child SETLK via inherited fd", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
        res("child UNLCK via inherited fd", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
        res("child close inherited fd", close(fd));
        _exit(0);
    }
    wait_child("contention child", c);
    probe("parent's locks survive the child", DATA, -1, F_WRLCK, 0, 0);
    probe("child's locks went at its exit", DATA, -1, F_WRLCK, 100, 10);

    /* a child holds a lock while the parent looks; its exit releases it */
    int go[2], ready[2];
    if (pipe(go) || pipe(ready))
        say("BAD pipe\n");
    c = fork();
    if (c == 0) {
        int f = open(DATA, O_RDWR);
        lk(f, F_SETLK, F_WRLCK, SEEK_SET, 1000, 10);
        wr1(ready[1], 'r');
        rd1(go[0]);
        _exit(0);
    }
    rd1(ready[0]);
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_RDLCK;
    fl.l_start = 1005;
    fl.l_len = 1;
    res("parent GETLK child's lock", fcntl(fd, F_GETLK, &fl));
    check("l_pid is the child", fl.l_pid == c);
    say("type %s start %ld len %ld\n", tname(fl.l_type), (long)fl.l_start, (long)fl.l_len);
    res("parent SETLK on it", lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 1000, 1));
    wr1(go[1], 'g');
    wait_child("holder", c);
    res("parent SETLK after child exit", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1000, 1));
    res("unlock all", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    close(go[0]);
    close(go[1]);
    close(ready[0]);
    close(ready[1]);
    close(fd);
}

static void waiting(void)
{
    say("== F_SETLKW waits for the holder\n");
    int fd = open(DATA, O_RDWR);
    int ready[2], rel[2];
    if (pipe(ready) || pipe2(rel, O_NONBLOCK))
        say("BAD pipe\n");
    res("parent WR 0+10", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    pid_t c = fork();
    if (c == 0) {
        int f = open(DATA, O_RDWR);
        wr1(ready[1], 'r');
        int r = lk(f, F_SETLKW, F_WRLCK, SEEK_SET, 5, 10);
        char got = rd1(rel[0]);
        res("child SETLKW", r);
        check("child got the lock after the release", got == 'x');
        getlk("child sees nothing in the way", f, F_GETLK, F_WRLCK, 0, 0);
        _exit(0);
    }
    rd1(ready[0]);
    usleep(100000);
    wr1(rel[1], 'x');
    int r = lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    wait_child("waiter", c);
    res("parent unlock", r);   /* printed after the child's lines */

    say("== several waiters, readers share\n");
    int hold[2], go[2];
    if (pipe(hold) || pipe(go))
        say("BAD pipe\n");
    res("parent WR 0+1", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            int f = open(DATA, O_RDWR);
            wr1(ready[1], 'r');
            int r = lk(f, F_SETLKW, F_RDLCK, SEEK_SET, 0, 1);
            char got = rd1(rel[0]);
            /* all three hold the read lock at once: hold it until the parent has looked */
            wr1(hold[1], 'h');
            rd1(go[0]);
            _exit(r == 0 && got != 0 ? 0 : 1);
        }
        rd1(ready[0]);
    }
    usleep(100000);
    for (int i = 0; i < 3; i++)
        wr1(rel[1], 'x');
    res("parent unlock", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    for (int i = 0; i < 3; i++)
        rd1(hold[0]);
    probe("three readers hold it", DATA, -1, F_WRLCK, 0, 1);
    probe("readers do not stop a reader", DATA, -1, F_RDLCK, 0, 1);
    for (int i = 0; i < 3; i++)
        wr1(go[1], 'g');
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        int st;
        waitpid(kids[i], &st, 0);
        ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    check("three readers got the lock", ok);
    close(hold[0]);
    close(hold[1]);
    close(go[0]);
    close(go[1]);
    close(ready[0]);
    close(ready[1]);
    close(rel[0]);
    close(rel[1]);
    close(fd);
}

static void closing(void)
{
    say("== close of any fd releases the process's locks\n");
    int fd = open(DATA, O_RDWR);
    res("WR 0+10", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    int other = open(DATA, O_RDONLY);
    probe("held", DATA, -1, F_WRLCK, 0, 0);
    res("close another open", close(other));
    probe("after closing another open", DATA, -1, F_WRLCK, 0, 0);
    res("WR 0+10", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    int d = dup(fd);
    res("close a dup", close(d));
    probe("after closing a dup", DATA, -1, F_WRLCK, 0, 0);
    res("WR 0+10 again", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    other = open(DATA, O_RDONLY);
    int spare = open("/dev/null", O_RDONLY);
    res("dup2 over another open", dup2(spare, other));
    probe("after dup2 over another open", DATA, -1, F_WRLCK, 0, 0);
    res("WR 0+10 again", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    res("close an unrelated fd", close(spare));
    probe("after closing an unrelated fd", DATA, -1, F_WRLCK, 0, 0);
    res("dup2 to itself", dup2(fd, fd));
    probe("after dup2 to itself", DATA, -1, F_WRLCK, 0, 0);
    close(other);
    close(fd);
    probe("after closing the locking fd", DATA, -1, F_WRLCK, 0, 0);
}

static void ofd(void)
{
    say("== OFD locks\n");
    int a = open(DATA, O_RDWR);
    int b = open(DATA, O_RDWR);
    res("OFD WR 0+10 on a", lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    res("OFD WR 5+1 on b", lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1));
    res("OFD RD 5+1 on b", lk(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 5, 1));
    res("OFD WR 10+1 on b", lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 10, 1));
    getlk("OFD GETLK on b", b, F_OFD_GETLK, F_WRLCK, 0, 0);
    getlk("GETLK on b", b, F_GETLK, F_RDLCK, 0, 0);
    res("POSIX WR 0+1 on b (own process)", lk(b, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    res("POSIX WR 20+1 on b", lk(b, F_SETLK, F_WRLCK, SEEK_SET, 20, 1));
    getlk("OFD GETLK sees the process lock", a, F_OFD_GETLK, F_WRLCK, 20, 1);
    res("OFD WR 20+1 on a", lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 20, 1));
    getlk("OFD GETLK F_UNLCK on a (own)", a, F_OFD_GETLK, F_UNLCK, 0, 0);
    getlk("OFD GETLK F_UNLCK on b", b, F_OFD_GETLK, F_UNLCK, 0, 0);
    getlk("OFD GETLK F_UNLCK on a past", a, F_OFD_GETLK, F_UNLCK, 11, 5);
    int d = dup(a);
    res("OFD WR 0+10 on a dup", lk(d, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    res("close a", close(a));
    res("OFD WR 0+1 on b after closing a", lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    probe("probe while the dup holds it", DATA, -1, F_RDLCK, 0, 0);
    pid_t c = fork();
    if (c == 0) {
        res("child OFD WR via inherited dup", lk(d, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5));
        int f = open(DATA, O_RDWR);
        res("child OFD WR via own open", lk(f, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5));
        res("child unlock via inherited dup", lk(d, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 5));
        _exit(0);
    }
    wait_child("ofd child", c);
    probe("probe after the child unlocked part", DATA, -1, F_RDLCK, 0, 0);
    res("close the dup", close(d));
    probe("probe after the last close", DATA, -1, F_RDLCK, 0, 0);
    res("unlock b", lk(b, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    close(b);

    say("== OFD SETLKW\n");
    a = open(DATA, O_RDWR);
    b = open(DATA, O_RDWR);
    int ready[2];
    if (pipe(ready))
        say("BAD pipe\n");
    res("OFD WR 0+1 on a", lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    c = fork();
    if (c == 0) {
        close(a);   /* the parent's close of a must be the last */
        wr1(ready[1], 'r');
        int r = lk(b, F_OFD_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
        res("child OFD SETLKW on inherited b", r);
        _exit(0);
    }
    rd1(ready[0]);
    usleep(50000);
    int r = close(a);
    wait_child("ofd waiter", c);
    res("close a", r);
    probe("b's lock outlives the child", DATA, -1, F_WRLCK, 0, 0);
    close(b);
    probe("gone with b", DATA, -1, F_WRLCK, 0, 0);
    close(ready[0]);
    close(ready[1]);
}

static void flocks(void)
{
    say("== flock\n");
    int a = open(DATA, O_RDWR);
    int b = open(DATA, O_RDONLY);
    res("a EX", flock(a, LOCK_EX));
    res("a EX again", flock(a, LOCK_EX | LOCK_NB));
    res("b EX NB", flock(b, LOCK_EX | LOCK_NB));
    res("b SH NB", flock(b, LOCK_SH | LOCK_NB));
    res("a SH (downgrade)", flock(a, LOCK_SH));
    res("b SH NB", flock(b, LOCK_SH | LOCK_NB));
    res("b EX NB (drops b's SH)", flock(b, LOCK_EX | LOCK_NB));
    res("a EX NB (b no longer holds)", flock(a, LOCK_EX | LOCK_NB));
    res("b SH NB", flock(b, LOCK_SH | LOCK_NB));
    res("POSIX WR on b's file (no conflict with flock)", lk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    probe("probe sees only the POSIX lock", DATA, -1, F_WRLCK, 0, 0);
    res("POSIX unlock", lk(a, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    pid_t c = fork();
    if (c == 0) {
        res("child EX NB on inherited a (shared)", flock(a, LOCK_EX | LOCK_NB));
        int f = open(DATA, O_RDONLY);
        res("child EX NB on own open", flock(f, LOCK_EX | LOCK_NB));
        res("child UN on inherited a", flock(a, LOCK_UN));
        res("child EX NB on own open", flock(f, LOCK_EX | LOCK_NB));
        res("child POSIX WR under its flock", lk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
        _exit(0);   /* f's flock goes with f */
    }
    wait_child("flock child", c);
    res("b EX NB after the child", flock(b, LOCK_EX | LOCK_NB));
    res("a SH NB", flock(a, LOCK_SH | LOCK_NB));
    int d = dup(b);
    res("close b", close(b));
    res("a SH NB while the dup holds", flock(a, LOCK_SH | LOCK_NB));
    res("close the dup", close(d));
    res("a SH NB after the last close", flock(a, LOCK_SH | LOCK_NB));
    res("a UN", flock(a, LOCK_UN));

    say("== flock waits\n");
    int ready[2], rel[2];
    if (pipe(ready) || pipe2(rel, O_NONBLOCK))
        say("BAD pipe\n");
    res("a EX", flock(a, LOCK_EX));
    c = fork();
    if (c == 0) {
        int f = open(DATA, O_RDONLY);
        wr1(ready[1], 'r');
        int r = flock(f, LOCK_SH);
        char got = rd1(rel[0]);
        res("child SH (waited)", r);
        check("child got the lock after the release", got == 'x');
        _exit(0);
    }
    rd1(ready[0]);
    usleep(100000);
    wr1(rel[1], 'x');
    int r = flock(a, LOCK_UN);
    wait_child("flock waiter", c);
    res("a UN", r);

    say("== flock on a pipe\n");
    int p[2];
    if (pipe(p))
        say("BAD pipe\n");
    res("flock read end EX", flock(p[0], LOCK_EX | LOCK_NB));
    res("flock write end EX (same inode)", flock(p[1], LOCK_EX | LOCK_NB));
    res("flock read end UN", flock(p[0], LOCK_UN));
    res("flock write end EX", flock(p[1], LOCK_EX | LOCK_NB));
    close(p[0]);
    close(p[1]);
    close(ready[0]);
    close(ready[1]);
    close(rel[0]);
    close(rel[1]);
    close(a);
}

static void pipes(void)
{
    say("== fcntl locks on a pipe\n");
    int p[2];
    if (pipe(p))
        say("BAD pipe\n");
    res("WR on write end", lk(p[1], F_SETLK, F_WRLCK, SEEK_SET, 0, 0));
    res("RD on write end", lk(p[1], F_SETLK, F_RDLCK, SEEK_SET, 0, 0));
    res("WR on read end", lk(p[0], F_SETLK, F_WRLCK, SEEK_SET, 0, 0));
    probe("probe via the read end", NULL, p[0], F_RDLCK, 0, 0);
    res("UN", lk(p[1], F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    res("SEEK_CUR 5 len 5", lk(p[1], F_SETLK, F_WRLCK, SEEK_CUR, 5, 5));
    res("SEEK_END 2 len 1", lk(p[1], F_SETLK, F_WRLCK, SEEK_END, 2, 1));
    probe("probe SEEK_CUR on a pipe", NULL, p[0], F_RDLCK, 0, 0);
    res("close the read end", close(p[0]));
    probe("gone with the other end's close", NULL, p[1], F_WRLCK, 0, 0);
    close(p[1]);
}

static void deadlock(void)
{
    say("== EDEADLK\n");
    int fd = open(DATA, O_RDWR);
    int ready[2], result[2];
    if (pipe(ready) || pipe(result))
        say("BAD pipe\n");
    res("parent WR byte 0", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    pid_t c = fork();
    if (c == 0) {
        int f = open(DATA, O_RDWR);
        lk(f, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
        wr1(ready[1], 'r');
        int r = lk(f, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
        char e = r == 0 ? '0' : errno == EDEADLK ? 'D' : '?';
        wr1(result[1], e);
        _exit(0);   /* releases byte 1 (and byte 0 if it got it) */
    }
    rd1(ready[0]);
    usleep(100000);
    int r = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1);
    char mine = r == 0 ? '0' : errno == EDEADLK ? 'D' : '?';
    if (mine == 'D')
        lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);     /* let the child through */
    char theirs = rd1(result[0]);
    wait_child("deadlock child", c);
    check("exactly one side got EDEADLK, the other the lock",
          (mine == 'D' && theirs == '0') || (mine == '0' && theirs == 'D'));
    res("unlock all", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));

    say("== no EDEADLK without a cycle, and none for F_SETLK\n");
    res("parent WR byte 0", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    c = fork();
    if (c == 0) {
        int f = open(DATA, O_RDWR);
        lk(f, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
        wr1(ready[1], 'r');
        int r2 = lk(f, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
        wr1(result[1], r2 == 0 ? '0' : '?');
        _exit(0);
    }
    rd1(ready[0]);
    usleep(100000);
    res("parent SETLK byte 1", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1));
    res("parent SETLKW byte 2", lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 2, 1));
    res("parent unlock byte 0", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
    char got = rd1(result[0]);
    wait_child("waiter child", c);
    check("the child got byte 0", got == '0');
    res("unlock all", lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    close(ready[0]);
    close(ready[1]);
    close(result[0]);
    close(result[1]);
    close(fd);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void interrupted(void)
{
    say("== EINTR\n");
    int fd = open(DATA, O_RDWR);
    int ready[2];
    if (pipe(ready))
        say("BAD pipe\n");
    res("parent WR 0+1", lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    res("parent flock EX", flock(fd, LOCK_EX));
    pid_t c = fork();
    if (c == 0) {
        int f = open(DATA, O_RDWR);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
        /* a periodic timer: an early tick cannot leave the wait uninterrupted */
        struct itimerval it = {{0, 50000}, {0, 50000}};
        setitimer(ITIMER_REAL, &it, NULL);
        res("SETLKW interrupted", lk(f, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
        res("OFD SETLKW interrupted", lk(f, F_OFD_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
        res("flock interrupted", flock(f, LOCK_EX));
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
        check("alarms arrived", alarms > 0);
        getlk("the parent still holds it", f, F_GETLK, F_WRLCK, 0, 0);
        /* with SA_RESTART the wait goes on until the parent lets go */
        sa.sa_flags = SA_RESTART;
        sigaction(SIGALRM, &sa, NULL);
        setitimer(ITIMER_REAL, &it, NULL);
        wr1(ready[1], 'r');
        res("SETLKW restarted", lk(f, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
        res("flock restarted", flock(f, LOCK_EX));
        setitimer(ITIMER_REAL, &off, NULL);
        _exit(0);
    }
    rd1(ready[0]);
    usleep(300000);
    int r1 = lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    int r2 = flock(fd, LOCK_UN);
    wait_child("interrupted child", c);
    res("parent unlock", r1);
    res("parent flock UN", r2);
    close(ready[0]);
    close(ready[1]);
    close(fd);
}

static void exec_keeps(const char *self)
{
    say("== execve keeps the locks\n");
    for (int variant = 0; variant < 2; variant++) {
        pid_t c = fork();
        if (c == 0) {
            int f = open(DATA, O_RDWR);
            lk(f, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
            if (variant == 1)
                open(DATA, O_RDONLY | O_CLOEXEC);   /* closed by exec: releases */
            char num[16];
            snprintf(num, sizeof num, "%d", f);
            execl(self, self, ".", variant ? "exec-cloexec" : "exec-plain", num, (char *)NULL);
            _exit(127);
        }
        wait_child("exec child", c);
    }
}

static void after_exec(const char *what)
{
    probe(what, DATA, -1, F_WRLCK, 0, 0);
}

int main(int argc, char **argv)
{
    char self[PATH_MAX];
    if (!realpath(argv[0], self))
        strcpy(self, argv[0]);
    enter_dir(argc, argv);
    if (argc > 2) {
        after_exec(argv[2]);
        return 0;
    }
    int fd = open(DATA, O_RDWR | O_CREAT | O_TRUNC, 0644);
    close(fd);
    errors();
    ranges();
    contention();
    waiting();
    closing();
    ofd();
    flocks();
    pipes();
    deadlock();
    interrupted();
    exec_keeps(self);
    say("done\n");
    return 0;
}
