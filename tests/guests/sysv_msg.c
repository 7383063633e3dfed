/* System V message queues: msgget/msgsnd/msgrcv/msgctl, a producer and a consumer,
 * message types, MSG_EXCEPT/NOERROR/COPY, a full queue, EINTR and EIDRM, errors. */
#include "common.h"
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

struct m {
    long mtype;
    char mtext[8200];
};

static struct m buf;

static long snd(int id, long type, const char *text, int flg)
{
    struct m s;
    s.mtype = type;
    strcpy(s.mtext, text);
    return msgsnd(id, &s, strlen(text) + 1, flg);
}

static void rcv(const char *label, int id, size_t sz, long type, int flg)
{
    memset(&buf, 0, sizeof buf);
    long r = msgrcv(id, &buf, sz, type, flg);
    if (r < 0)
        res(label, r);
    else
        say("%s: %ld type=%ld '%.*s'\n", label, r, buf.mtype, (int)r, buf.mtext);
}

static void on_alarm(int s) { (void)s; }

/* Until the child sleeps (blocked in msgsnd/msgrcv: nothing else in it sleeps). */
static void wait_sleeping(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 5000; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            char *p = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
            fclose(f);
            if (p && p[1] == ' ' && p[2] == 'S')
                return;
        }
        usleep(1000);
    }
    say("child never slept\n");
}

static void qstat(const char *label, int id)
{
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) < 0) {
        res(label, -1);
        return;
    }
    say("%s: qnum=%lu cbytes=%lu qbytes=%lu mode=%o lspid_self=%d lrpid_self=%d\n", label,
        (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
        (unsigned long)ds.msg_qbytes, ds.msg_perm.mode, ds.msg_lspid == getpid(),
        ds.msg_lrpid == getpid());
}

int main(void)
{
    key_t key = 0x5c000000 | (getpid() & 0xffffff);
    res("msgget nokey", msgget(key, 0600));
    int id = msgget(key, IPC_CREAT | 0600);
    rok("msgget", id);
    res("msgget excl", msgget(key, IPC_CREAT | IPC_EXCL | 0600));
    check("msgget same", msgget(key, 0) == id);
    qstat("new", id);

    /* errors of msgsnd */
    struct m s = {0};
    res("msgsnd type 0", msgsnd(id, &s, 1, 0));
    s.mtype = 1;
    res("msgsnd too big", msgsnd(id, &s, 8193, 0));
    res("msgsnd neg size", msgsnd(id, &s, (size_t)-1, 0));
    res("msgsnd efault", msgsnd(id, BADPTR, 1, 0));
    res("msgsnd bad id", msgsnd(id + 1, &s, 1, 0));
    res("msgsnd neg id", msgsnd(-1, &s, 1, 0));
    res("msgsnd max", msgsnd(id, &s, 8192, IPC_NOWAIT));
    rcv("rcv max", id, 8192, 0, IPC_NOWAIT);

    /* types */
    snd(id, 3, "three", 0);
    snd(id, 1, "one", 0);
    snd(id, 2, "two", 0);
    snd(id, 5, "five", 0);
    snd(id, 1, "one-b", 0);
    qstat("five queued", id);
    rcv("copy 0", id, 100, 0, MSG_COPY | IPC_NOWAIT);
    rcv("copy 3", id, 100, 3, MSG_COPY | IPC_NOWAIT);
    rcv("copy 9", id, 100, 9, MSG_COPY | IPC_NOWAIT);
    rcv("copy wait", id, 100, 0, MSG_COPY);
    rcv("copy except", id, 100, 0, MSG_COPY | IPC_NOWAIT | MSG_EXCEPT);
    rcv("copy small", id, 2, 0, MSG_COPY | IPC_NOWAIT);
    rcv("copy small noerror", id, 2, 0, MSG_COPY | IPC_NOWAIT | MSG_NOERROR);
    rcv("type 2", id, 100, 2, IPC_NOWAIT);
    rcv("type 4", id, 100, 4, IPC_NOWAIT);
    rcv("except 1", id, 100, 1, MSG_EXCEPT | IPC_NOWAIT);
    rcv("le -4", id, 100, -4, IPC_NOWAIT);
    rcv("small", id, 2, 0, IPC_NOWAIT);
    rcv("small noerror", id, 2, 0, IPC_NOWAIT | MSG_NOERROR);
    rcv("le min", id, 100, (long)(-9223372036854775807L - 1), IPC_NOWAIT);
    rcv("any", id, 100, 0, IPC_NOWAIT);
    rcv("empty", id, 100, 0, IPC_NOWAIT);
    res("rcv neg size", msgrcv(id, &buf, (size_t)-1, 0, IPC_NOWAIT));
    res("rcv bad id", msgrcv(id + 1, &buf, 10, 0, IPC_NOWAIT));
    snd(id, 7, "lost", 0);
    res("rcv efault", msgrcv(id, BADPTR, 10, 0, IPC_NOWAIT));
    qstat("after efault", id);

    /* producer/consumer */
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < 50; i++) {
            char t[32];
            snprintf(t, sizeof t, "msg%d", i);
            if (snd(id, 1 + i % 3, t, 0) < 0) {
                say("send: %s\n", ename(errno));
                _exit(1);
            }
        }
        snd(id, 9, "end", 0);
        _exit(0);
    }
    int n = 0, order = 1;
    for (;;) {
        long r = msgrcv(id, &buf, sizeof buf.mtext, 0, 0);
        if (r < 0) {
            res("consumer", r);
            break;
        }
        if (buf.mtype == 9)
            break;
        char t[32];
        snprintf(t, sizeof t, "msg%d", n);
        if (strcmp(t, buf.mtext) != 0)
            order = 0;
        n++;
    }
    int st;
    waitpid(c, &st, 0);
    say("consumed %d in order %d\n", n, order);

    /* a full queue: the sender waits for the receiver */
    struct msqid_ds ds;
    msgctl(id, IPC_STAT, &ds);
    ds.msg_qbytes = 100;
    rok("IPC_SET qbytes", msgctl(id, IPC_SET, &ds));
    qstat("small queue", id);
    s.mtype = 1;
    memset(s.mtext, 'x', 60);
    res("fill", msgsnd(id, &s, 60, 0));
    res("full nowait", msgsnd(id, &s, 60, IPC_NOWAIT));
    res("bigger than queue nowait", msgsnd(id, &s, 200, IPC_NOWAIT));
    c = fork();
    if (c == 0) {
        res("blocked send", msgsnd(id, &s, 60, 0));
        _exit(0);
    }
    wait_sleeping(c);
    long room = msgrcv(id, &buf, 10, 0, MSG_NOERROR);
    waitpid(c, &st, 0);
    res("make room", room);
    qstat("after blocked send", id);
    rcv("drain", id, 10, 0, MSG_NOERROR);

    /* a blocked receiver gets a message of its type */
    c = fork();
    if (c == 0) {
        rcv("child waits type 4", id, 100, 4, 0);
        _exit(0);
    }
    wait_sleeping(c);
    snd(id, 3, "not it", 0);
    usleep(20 * 1000);
    wait_sleeping(c);
    snd(id, 4, "it", 0);
    msgctl(id, IPC_STAT, &ds);
    waitpid(c, &st, 0);
    say("handed over at once: qnum=%lu cbytes=%lu lrpid_child=%d\n",
        (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes, ds.msg_lrpid == c);
    rcv("left", id, 100, 0, IPC_NOWAIT);

    /* a waiting receiver whose buffer is too small: E2BIG, the message stays */
    c = fork();
    if (c == 0) {
        long r = msgrcv(id, &buf, 2, 0, 0);
        _exit(r < 0 && errno == E2BIG ? 7 : 1);
    }
    wait_sleeping(c);
    snd(id, 5, "too long", 0);
    waitpid(c, &st, 0);
    say("small waiter: exit %d\n", WEXITSTATUS(st));
    rcv("stayed", id, 100, 0, IPC_NOWAIT);

    /* EINTR */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    c = fork();
    if (c == 0) {
        alarm(1);
        rcv("rcv EINTR", id, 100, 0, 0);
        _exit(0);
    }
    waitpid(c, &st, 0);

    /* a stop and SIGCONT with no handler: msgrcv carries on (ERESTARTNOHAND) */
    c = fork();
    if (c == 0) {
        rcv("rcv after stop", id, 100, 0, 0);
        _exit(0);
    }
    wait_sleeping(c);
    kill(c, SIGSTOP);
    for (int i = 0; i < 5000; i++) {
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)c);
        FILE *f = fopen(path, "r");
        char *p = f && fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
        if (f)
            fclose(f);
        if (p && p[2] == 'T')
            break;
        usleep(1000);
    }
    kill(c, SIGCONT);
    usleep(50 * 1000);
    snd(id, 6, "after", 0);
    waitpid(c, &st, 0);

    /* permissions */
    pid_t o = fork();
    if (o == 0) {
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
            _exit(1);
        check("other msgget", msgget(key, 0) == id);
        res("other snd", snd(id, 1, "x", IPC_NOWAIT));
        res("other rcv", msgrcv(id, &buf, 10, 0, IPC_NOWAIT));
        res("other stat", msgctl(id, IPC_STAT, &ds));
        res("other rmid", msgctl(id, IPC_RMID, NULL));
        _exit(0);
    }
    waitpid(o, &st, 0);
    msgctl(id, IPC_STAT, &ds);
    ds.msg_qbytes = 1 << 20;
    rok("IPC_SET big qbytes root", msgctl(id, IPC_SET, &ds));
    res("IPC_SET efault", msgctl(id, IPC_SET, BADPTR));
    res("IPC_STAT efault", msgctl(id, IPC_STAT, BADPTR));
    res("bad cmd", msgctl(id, 99, &ds));
    struct msginfo mi;
    int mx = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    check("IPC_INFO", mx >= 0 && mi.msgmax > 0 && mi.msgssz == 16);
    mx = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
    check("MSG_INFO", mx >= 0 && mi.msgpool >= 1);
    check("MSG_STAT_ANY", msgctl(id & 0x7fff, MSG_STAT_ANY, &ds) == id);

    /* EIDRM */
    c = fork();
    if (c == 0) {
        rcv("rcv EIDRM", id, 100, 0, 0);
        _exit(0);
    }
    wait_sleeping(c);
    int rm = msgctl(id, IPC_RMID, NULL);
    waitpid(c, &st, 0);
    rok("IPC_RMID", rm);
    res("snd removed", snd(id, 1, "x", 0));
    res("stat removed", msgctl(id, IPC_STAT, &ds));
    int p = msgget(IPC_PRIVATE, 0600);
    rok("private", p);
    rok("rm private", msgctl(p, IPC_RMID, NULL));
    say("done\n");
    return 0;
}
