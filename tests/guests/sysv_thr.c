/* System V IPC from threads: a thread blocked in semop/msgrcv while another runs,
 * SEM_UNDO that stays with the process when a thread exits, shmat seen by all threads. */
#include "common.h"
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>

static int semid, msqid;
static char *shared;

static int op(unsigned short num, short o, short flg)
{
    struct sembuf b = {num, o, flg};
    return semop(semid, &b, 1);
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    long r = op(0, -1, 0);
    return (void *)r;
}

static void *undo_thread(void *arg)
{
    (void)arg;
    return (void *)(long)op(1, 4, SEM_UNDO);
}

static void *msg_waiter(void *arg)
{
    (void)arg;
    struct { long t; char x[16]; } m;
    long r = msgrcv(msqid, &m, sizeof m.x, 2, 0);
    return (void *)(r == 3 && strcmp(m.x, "hi") == 0 ? 0L : -1L);
}

static void *shm_thread(void *arg)
{
    (void)arg;
    shared = shmat(*(int *)arg, NULL, 0);
    if (shared != (void *)-1)
        strcpy(shared, "from thread");
    return NULL;
}

static void wait_ncnt(int num)
{
    for (int i = 0; i < 5000 && semctl(semid, num, GETNCNT) < 1; i++)
        usleep(1000);
}

int main(void)
{
    semid = semget(IPC_PRIVATE, 2, 0600);
    msqid = msgget(IPC_PRIVATE, 0600);
    pthread_t t;
    void *ret;

    pthread_create(&t, NULL, sem_waiter, NULL);
    wait_ncnt(0);
    res("ncnt with a thread waiting", semctl(semid, 0, GETNCNT));
    res("post", op(0, 1, 0));
    pthread_join(t, &ret);
    res("thread semop", (long)ret);

    pthread_create(&t, NULL, undo_thread, NULL);
    pthread_join(t, &ret);
    res("undo thread semop", (long)ret);
    res("value after thread exit", semctl(semid, 1, GETVAL));
    pid_t c = fork();
    if (c == 0) {
        pthread_create(&t, NULL, undo_thread, NULL);
        pthread_join(t, NULL);
        say("child value %d\n", semctl(semid, 1, GETVAL));
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    res("value after child exit", semctl(semid, 1, GETVAL));

    pthread_create(&t, NULL, msg_waiter, NULL);
    usleep(20 * 1000);
    struct { long t; char x[16]; } m = {1, "no"};
    msgsnd(msqid, &m, 3, 0);
    m.t = 2;
    strcpy(m.x, "hi");
    msgsnd(msqid, &m, 3, 0);
    pthread_join(t, &ret);
    res("thread msgrcv", (long)ret);

    int shm = shmget(IPC_PRIVATE, 4096, 0600);
    pthread_create(&t, NULL, shm_thread, &shm);
    pthread_join(t, NULL);
    check("main sees the thread's attach", shared != (void *)-1 && strcmp(shared, "from thread") == 0);
    struct shmid_ds ds;
    shmctl(shm, IPC_STAT, &ds);
    say("nattch=%lu\n", (unsigned long)ds.shm_nattch);
    shmdt(shared);
    shmctl(shm, IPC_RMID, 0);
    semctl(semid, 0, IPC_RMID);
    msgctl(msqid, IPC_RMID, NULL);
    say("done\n");
    return 0;
}
