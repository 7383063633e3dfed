/* /proc/sysvipc/{shm,sem,msg} and the /proc/sys/kernel IPC limits. */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>

/* The header and the line of object id in a /proc/sysvipc file, without the
 * columns that differ between runs (key, id, pids, times). */
static void show(const char *file, int id, const char *fmt_cols)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", file);
    FILE *f = fopen(path, "r");
    if (!f) {
        say("%s: %s\n", path, ename(errno));
        return;
    }
    int n = 0, found = 0;
    while (fgets(line, sizeof line, f)) {
        if (n++ == 0) {
            say("%s header: %s", file, line);
            continue;
        }
        long long v[20];
        int k = sscanf(line, "%lld %lld %llo %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld",
                       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
                       &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]);
        if (k < 3 || v[1] != id)
            continue;
        found = 1;
        say("%s: fields=%d width=%zu", file, k, strlen(line));
        for (const char *c = fmt_cols; *c; c++) {
            /* upper case: a pid column */
            int i = (*c | 0x20) - 'a';
            if (*c < 'a')
                say(" c%d=%s", i, v[i] == getpid() ? "self" : v[i] == 0 ? "0" : "other");
            else
                say(" c%d=%lld", i, v[i]);
        }
        say(" key=%s\n", v[0] == (0x5d000000 | (getpid() & 0xffffff)) ? "ours" : "other");
    }
    fclose(f);
    if (!found)
        say("%s: id not listed\n", file);
}

static void sysctl(const char *name)
{
    char path[64], buf[128] = {0};
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        say("%s: %s\n", name, ename(errno));
        return;
    }
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    print_escaped(name, buf, n);
    struct stat st;
    stat(path, &st);
    say("%s mode=%o\n", name, st.st_mode & 0777);
}

int main(void)
{
    key_t key = 0x5d000000 | (getpid() & 0xffffff);
    int shm = shmget(key, 10000, IPC_CREAT | 0640);
    char *p = shmat(shm, NULL, 0);
    p[0] = 1;
    p[5000] = 1;
    show("shm", shm, "cdEFghijko");
    int sem = semget(key, 3, IPC_CREAT | 0604);
    show("sem", sem, "cdefgh");
    int msg = msgget(key, IPC_CREAT | 0620);
    struct { long t; char x[10]; } m = {3, "hello"};
    msgsnd(msg, &m, 6, 0);
    msgsnd(msg, &m, 4, 0);
    show("msg", msg, "cdeFGhijk");

    shmctl(shm, IPC_RMID, 0);
    show("shm", shm, "cdEFghijko");
    shmdt(p);
    show("shm", shm, "cdEFghijko");
    semctl(sem, 0, IPC_RMID);
    show("sem", sem, "cd");
    msgctl(msg, IPC_RMID, 0);
    show("msg", msg, "cd");

    const char *names[] = {"shmmax", "shmall", "shmmni", "sem", "msgmax", "msgmnb", "msgmni"};
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
        sysctl(names[i]);
    pid_t c = fork();
    if (c == 0) {
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
            _exit(1);
        res("other write msgmax", open("/proc/sys/kernel/msgmax", O_WRONLY));
        res("other write sem", open("/proc/sys/kernel/sem", O_WRONLY));
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    say("done\n");
    return 0;
}
