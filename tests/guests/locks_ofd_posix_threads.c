/* Threads of one process contend for one region of a file, half with OFD locks
 * (F_OFD_SETLKW, each on its own open file description) and half with POSIX locks
 * (F_SETLKW), as write/write, OFD read/POSIX write, OFD write/POSIX read and mixed;
 * each takes the lock, reads or writes the region, and releases it, until the
 * main thread's sleep ends. The lock takers never wait for long (the readers
 * share their lock), so this also pins that a sleeping thread's timeout still
 * comes while other threads keep the kernel busy. argv[1]: a scratch directory. */
#include "common.h"
#include <pthread.h>
#include <time.h>

#define PAIRS 8

static char path[512];
static volatile int stop;

struct worker {
    int ofd, rd, errors;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    int fd = open(path, O_RDWR);
    char buf[4096];
    memset(buf, 'a' + w->ofd, sizeof buf);
    struct flock fl;
    while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
        memset(&fl, 0, sizeof fl);
        fl.l_whence = SEEK_SET;
        fl.l_len = sizeof buf;
        fl.l_type = w->rd ? F_RDLCK : F_WRLCK;
        if (fcntl(fd, w->ofd ? F_OFD_SETLKW : F_SETLKW, &fl) < 0) {
            w->errors++;
            continue;
        }
        if ((w->rd ? pread(fd, buf, sizeof buf, 0) : pwrite(fd, buf, sizeof buf, 0)) != sizeof buf)
            w->errors++;
        fl.l_type = F_UNLCK;
        if (fcntl(fd, w->ofd ? F_OFD_SETLKW : F_SETLKW, &fl) < 0)
            w->errors++;
    }
    close(fd);
    return NULL;
}

static void contend(const char *label, int ofd_rd, int posix_rd, int mixed)
{
    struct worker w[2 * PAIRS];
    pthread_t t[2 * PAIRS];
    stop = 0;
    for (int i = 0; i < 2 * PAIRS; i++) {
        w[i].ofd = i % 2;
        w[i].rd = mixed ? (i / 2) % 2 : w[i].ofd ? ofd_rd : posix_rd;
        w[i].errors = 0;
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    struct timespec ts = {0, 150 * 1000 * 1000};
    nanosleep(&ts, NULL);
    __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
    int errors = 0;
    for (int i = 0; i < 2 * PAIRS; i++) {
        pthread_join(t[i], NULL);
        errors += w[i].errors;
    }
    printf("%s: errors %d%s\n", label, errors, errors ? " BAD" : "");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    snprintf(path, sizeof path, "%s/lockfile", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char block[8192] = {0};
    write(fd, block, sizeof block);
    close(fd);
    contend("ofd write, posix write", 0, 0, 0);
    contend("ofd read, posix write", 1, 0, 0);
    contend("ofd write, posix read", 0, 1, 0);
    contend("mixed", 0, 0, 1);
    printf("done\n");
    return 0;
}
