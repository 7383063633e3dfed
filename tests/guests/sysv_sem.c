/* System V semaphores: semget/semop/semtimedop/semctl, a ping-pong between two
 * processes, SEM_UNDO, IPC_NOWAIT, timeouts, EINTR and EIDRM of a waiter, errors. */
#include "common.h"
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

static int op(int id, unsigned short num, short o, short flg)
{
    struct sembuf b = {num, o, flg};
    return semop(id, &b, 1);
}

static void on_alarm(int s) { (void)s; }

/* Until process pid is in state want ('S' sleeping, 'T' stopped). */
static void wait_state(pid_t pid, char want)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 5000; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            char *p = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
            fclose(f);
            if (p && p[1] == ' ' && p[2] == want)
                return;
        }
        usleep(1000);
    }
    say("never in state %c\n", want);
}

static void wait_waiters(int id, int num, int cmd, int n);
static void wait_ncnt(int id, int num) { wait_waiters(id, num, GETNCNT, 1); }

static void wait_waiters(int id, int num, int cmd, int n)
{
    for (int i = 0; i < 2000; i++) {
        if (semctl(id, num, cmd) >= n)
            return;
        usleep(1000);
    }
    say("waiters never came\n");
}

int main(void)
{
    key_t key = 0x5b000000 | (getpid() & 0xffffff);
    union semun u;

    res("semget nsems<0", semget(IPC_PRIVATE, -1, 0600));
    res("semget nsems 0", semget(IPC_PRIVATE, 0, 0600));
    res("semget too many", semget(IPC_PRIVATE, 32001, 0600));
    res("semget nokey", semget(key, 1, 0600));
    int id = semget(key, 3, IPC_CREAT | 0600);
    rok("semget", id);
    res("semget excl", semget(key, 3, IPC_CREAT | IPC_EXCL | 0600));
    check("semget fewer", semget(key, 2, 0) == id);
    check("semget zero", semget(key, 0, 0) == id);
    res("semget more", semget(key, 4, 0));

    struct semid_ds ds;
    u.buf = &ds;
    rok("IPC_STAT", semctl(id, 0, IPC_STAT, u));
    say("nsems=%lu mode=%o otime=%ld\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode,
        (long)ds.sem_otime);
    res("GETVAL", semctl(id, 1, GETVAL));
    res("GETVAL bad num", semctl(id, 3, GETVAL));
    res("GETVAL neg num", semctl(id, -1, GETVAL));
    res("SETVAL", semctl(id, 1, SETVAL, 5));
    res("GETVAL 5", semctl(id, 1, GETVAL));
    res("SETVAL range", semctl(id, 1, SETVAL, 32768));
    res("SETVAL neg", semctl(id, 1, SETVAL, -1));
    res("SETVAL bad num", semctl(id, 7, SETVAL, 1));
    check("GETPID", semctl(id, 1, GETPID) == getpid());
    res("GETPID untouched", semctl(id, 0, GETPID));
    unsigned short all[3] = {1, 2, 3};
    u.array = all;
    res("SETALL", semctl(id, 0, SETALL, u));
    unsigned short got[3] = {0};
    u.array = got;
    res("GETALL", semctl(id, 0, GETALL, u));
    say("all=%u,%u,%u\n", got[0], got[1], got[2]);
    unsigned short big[3] = {1, 40000, 3};
    u.array = big;
    res("SETALL range", semctl(id, 0, SETALL, u));
    u.array = BADPTR;
    res("GETALL efault", semctl(id, 0, GETALL, u));
    res("SETALL efault", semctl(id, 0, SETALL, u));
    res("bad cmd", semctl(id, 0, 77));
    res("bad id", semctl(id + 1, 0, GETVAL));
    res("neg id", semctl(-1, 0, GETVAL));

    /* semop: errors and all-or-nothing */
    struct sembuf ops[2] = {{0, -1, 0}, {1, -5, IPC_NOWAIT}};
    res("semop nsops 0", semop(id, ops, 0));
    static struct sembuf many[501];
    res("semop E2BIG", semop(id, many, 501));
    res("semop efault", semop(id, BADPTR, 1));
    struct sembuf bad = {3, 1, 0};
    res("semop EFBIG", semop(id, &bad, 1));
    struct sembuf r1 = {0, 32767, 0};
    res("semop ERANGE", semop(id, &r1, 1));
    res("semop atomic nowait", semop(id, ops, 2));
    u.array = got;
    semctl(id, 0, GETALL, u);
    say("untouched=%u,%u,%u\n", got[0], got[1], got[2]);
    ops[1].sem_op = -2;
    res("semop pair", semop(id, ops, 2));
    semctl(id, 0, GETALL, u);
    say("after pair=%u,%u,%u\n", got[0], got[1], got[2]);
    res("zero nowait", op(id, 1, 0, IPC_NOWAIT));
    res("zero ok", op(id, 0, 0, 0));
    res("down nowait", op(id, 0, -1, IPC_NOWAIT));
    struct sembuf same[2] = {{2, -2, 0}, {2, -2, IPC_NOWAIT}};
    res("same sem twice", semop(id, same, 2));
    check("otime set", (semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), ds.sem_otime != 0));

    /* semtimedop */
    struct timespec ts = {0, 20 * 1000 * 1000};
    struct sembuf w = {0, -1, 0};
    res("semtimedop timeout", semtimedop(id, &w, 1, &ts));
    struct timespec badts = {0, 2000000000};
    res("semtimedop bad ts", semtimedop(id, &w, 1, &badts));
    res("semtimedop efault ts", semtimedop(id, &w, 1, BADPTR));
    res("semtimedop efault ts first", semtimedop(id, &w, 0, BADPTR));
    res("semtimedop bad ts after sops", semtimedop(id, BADPTR, 1, &badts));
    res("semtimedop bad ts nsops", semtimedop(id, &w, 0, &badts));

    /* ping-pong: sem 0 is the parent's turn, sem 1 the child's */
    semctl(id, 0, SETVAL, 0);
    semctl(id, 1, SETVAL, 0);
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < 20; i++) {
            if (op(id, 1, -1, 0) < 0) { say("child down: %s\n", ename(errno)); _exit(1); }
            if (op(id, 0, 1, 0) < 0) { say("child up: %s\n", ename(errno)); _exit(1); }
        }
        _exit(0);
    }
    int rounds = 0;
    for (int i = 0; i < 20; i++) {
        if (op(id, 1, 1, 0) < 0 || op(id, 0, -1, 0) < 0)
            break;
        rounds++;
    }
    int st;
    waitpid(c, &st, 0);
    say("ping-pong rounds=%d child=%d\n", rounds, WEXITSTATUS(st));

    /* semtimedop woken before its timeout */
    semctl(id, 0, SETVAL, 0);
    c = fork();
    if (c == 0) {
        wait_waiters(id, 0, GETNCNT, 1);
        op(id, 0, 1, 0);
        _exit(0);
    }
    struct timespec longts = {5, 0};
    res("semtimedop woken", semtimedop(id, &w, 1, &longts));
    waitpid(c, &st, 0);

    /* GETNCNT/GETZCNT with waiters; a wake by SETVAL */
    semctl(id, 0, SETVAL, 0);
    semctl(id, 1, SETVAL, 1);
    pid_t a = fork();
    if (a == 0) { res("waiter down", op(id, 0, -1, 0)); _exit(0); }
    pid_t b = fork();
    if (b == 0) { res("waiter zero", op(id, 1, 0, 0)); _exit(0); }
    wait_waiters(id, 0, GETNCNT, 1);
    wait_waiters(id, 1, GETZCNT, 1);
    res("GETNCNT", semctl(id, 0, GETNCNT));
    res("GETZCNT", semctl(id, 1, GETZCNT));
    res("GETZCNT 0", semctl(id, 0, GETZCNT));
    semctl(id, 0, SETVAL, 1);
    waitpid(a, &st, 0);
    semctl(id, 1, SETVAL, 0);
    waitpid(b, &st, 0);
    res("GETNCNT after", semctl(id, 0, GETNCNT));

    /* a post hands the value to the waiter at once (update_queue): the poster's
     * very next GETVAL sees it taken; a waiter that cannot go lets a later one go */
    semctl(id, 0, SETVAL, 0);
    a = fork();
    if (a == 0) { op(id, 0, -2, 0); _exit(0); }
    wait_waiters(id, 0, GETNCNT, 1);
    b = fork();
    if (b == 0) { op(id, 0, -1, 0); _exit(0); }
    wait_waiters(id, 0, GETNCNT, 2);
    op(id, 0, 1, 0);
    res("taken at once", semctl(id, 0, GETVAL));
    res("one still waits", semctl(id, 0, GETNCNT));
    waitpid(b, &st, 0);
    op(id, 0, 2, 0);
    res("then the first", semctl(id, 0, GETVAL));
    waitpid(a, &st, 0);
    res("none waits", semctl(id, 0, GETNCNT));

    /* SEM_UNDO: the child's operations are undone when it exits */
    semctl(id, 2, SETVAL, 10);
    c = fork();
    if (c == 0) {
        op(id, 2, -3, SEM_UNDO);
        op(id, 2, 5, SEM_UNDO);
        op(id, 2, 1, 0);
        say("child sees %d\n", semctl(id, 2, GETVAL));
        _exit(0);
    }
    waitpid(c, &st, 0);
    res("after undo", semctl(id, 2, GETVAL));
    check("undo GETPID is the child", semctl(id, 2, GETPID) == c);
    /* undo clamps at 0 */
    c = fork();
    if (c == 0) {
        op(id, 2, 5, SEM_UNDO);
        semctl(id, 2, SETVAL, 3);
        op(id, 2, 2, SEM_UNDO);
        _exit(0);
    }
    waitpid(c, &st, 0);
    res("undo after setval", semctl(id, 2, GETVAL));
    c = fork();
    if (c == 0) {
        op(id, 2, 5, SEM_UNDO);
        op(id, 2, -8, 0);
        _exit(0);
    }
    waitpid(c, &st, 0);
    res("undo clamps", semctl(id, 2, GETVAL));

    /* EINTR: a signal ends a blocked semop (never restarted) */
    semctl(id, 0, SETVAL, 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    c = fork();
    if (c == 0) {
        alarm(1);
        res("semop EINTR", op(id, 0, -1, 0));
        _exit(0);
    }
    waitpid(c, &st, 0);

    /* a stop and SIGCONT with no handler: semop still ends in EINTR */
    c = fork();
    if (c == 0) {
        long r = op(id, 0, -1, 0);
        say("semop after stop: %ld %s\n", r, r < 0 ? ename(errno) : "");
        _exit(0);
    }
    wait_ncnt(id, 0);
    kill(c, SIGSTOP);
    wait_state(c, 'T');
    kill(c, SIGCONT);
    waitpid(c, &st, 0);

    /* an ignored SIGCHLD does not end it */
    c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0)
            _exit(0);
        long r = op(id, 0, -1, 0);
        say("semop past SIGCHLD: %ld\n", r);
        _exit(0);
    }
    wait_ncnt(id, 0);
    usleep(50 * 1000);
    op(id, 0, 1, 0);
    waitpid(c, &st, 0);

    /* EIDRM: the set goes while a child waits */
    c = fork();
    if (c == 0) {
        res("semop EIDRM", op(id, 0, -1, 0));
        _exit(0);
    }
    wait_waiters(id, 0, GETNCNT, 1);

    /* IPC_SET and permissions as another user */
    u.buf = &ds;
    semctl(id, 0, IPC_STAT, u);
    ds.sem_perm.mode = 0644;
    rok("IPC_SET", semctl(id, 0, IPC_SET, u));
    semctl(id, 0, IPC_STAT, u);
    say("mode=%o\n", ds.sem_perm.mode);
    u.buf = BADPTR;
    res("IPC_SET efault", semctl(id, 0, IPC_SET, u));
    res("IPC_STAT efault", semctl(id, 0, IPC_STAT, u));
    pid_t o = fork();
    if (o == 0) {
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
            _exit(1);
        res("other GETVAL", semctl(id, 2, GETVAL));
        res("other SETVAL", semctl(id, 2, SETVAL, 1));
        res("other semop", op(id, 2, 1, 0));
        res("other semop zero", op(id, 2, 0, IPC_NOWAIT));
        res("other rmid", semctl(id, 0, IPC_RMID));
        res("other semget rw", semget(key, 0, 0600));
        res("other semget r", semget(key, 0, 0400) == id);
        _exit(0);
    }
    waitpid(o, &st, 0);

    struct seminfo si;
    u.__buf = &si;
    int mi = semctl(0, 0, IPC_INFO, u);
    check("IPC_INFO", mi >= 0 && si.semmsl > 0 && si.semvmx == 32767);
    mi = semctl(0, 0, SEM_INFO, u);
    check("SEM_INFO", mi >= 0 && si.semusz >= 1);
    u.buf = &ds;
    check("SEM_STAT_ANY", semctl(id & 0x7fff, 0, SEM_STAT_ANY, u) == id);
    check("SEM_STAT", semctl(id & 0x7fff, 0, SEM_STAT, u) == id);
    int rm = semctl(id, 0, IPC_RMID);
    waitpid(c, &st, 0);
    rok("IPC_RMID", rm);
    res("GETVAL removed", semctl(id, 0, GETVAL));
    res("semop removed", op(id, 0, 1, 0));
    res("rmid again", semctl(id, 0, IPC_RMID));
    say("done\n");
    return 0;
}
