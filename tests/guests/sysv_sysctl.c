/* Writing the IPC sysctls (/proc/sys/kernel/msgmax, msgmnb, shmmni, sem...) as root
 * changes the limits the calls use. Run only under umlskas (natively it would
 * change the host's limits). */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static long put(const char *name, const char *value)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    long r = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

static void get(const char *name)
{
    char path[64], buf[128] = {0};
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
    int fd = open(path, O_RDONLY);
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    print_escaped(name, buf, n);
}

int main(void)
{
    rok("msgmax 100", put("msgmax", "100\n"));
    get("msgmax");
    int q = msgget(IPC_PRIVATE, 0600);
    struct { long t; char x[200]; } m = {1, {0}};
    res("msgsnd 101", msgsnd(q, &m, 101, IPC_NOWAIT));
    res("msgsnd 100", msgsnd(q, &m, 100, IPC_NOWAIT));
    res("msgmax garbage", put("msgmax", "abc\n"));
    res("msgmax negative", put("msgmax", "-5\n"));
    get("msgmax");
    rok("msgmnb 500", put("msgmnb", "500\n"));
    int q2 = msgget(IPC_PRIVATE, 0600);
    struct msqid_ds ds;
    msgctl(q2, IPC_STAT, &ds);
    say("new queue qbytes=%lu\n", (unsigned long)ds.msg_qbytes);
    msgctl(q, IPC_STAT, &ds);
    say("old queue qbytes=%lu\n", (unsigned long)ds.msg_qbytes);
    msgctl(q, IPC_RMID, NULL);
    msgctl(q2, IPC_RMID, NULL);

    rok("sem", put("sem", "250 32000 32 128\n"));
    get("sem");
    res("semget 251", semget(IPC_PRIVATE, 251, 0600));
    int s = semget(IPC_PRIVATE, 250, 0600);
    rok("semget 250", s);
    static struct sembuf ops[33];
    res("semop 33", semop(s, ops, 33));
    res("semop 32", semop(s, ops, 32));
    semctl(s, 0, IPC_RMID);
    res("sem semmni too big", put("sem", "200 32000 30 40000\n"));
    get("sem");

    int a = shmget(IPC_PRIVATE, 4096, 0600);
    rok("shmmni 1", put("shmmni", "1\n"));
    res("shmget over shmmni", shmget(IPC_PRIVATE, 4096, 0600));
    res("shmmni too big", put("shmmni", "40000\n"));
    shmctl(a, IPC_RMID, 0);
    rok("shmget again", a = shmget(IPC_PRIVATE, 4096, 0600));
    shmctl(a, IPC_RMID, 0);
    rok("shmmax 8192", put("shmmax", "8192\n"));
    res("shmget 8193", shmget(IPC_PRIVATE, 8193, 0600));
    say("done\n");
    return 0;
}
