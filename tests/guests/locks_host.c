/* A lock server driven line by line on stdin, for the tests of locks shared with
 * the host (tests/security/test_host_locks.py): the test locks the same file
 * from its own process and checks both sides see each other's locks.
 * argv[1]: the file. Commands (one answer line each; a blocking command prints
 * "wait" before it calls, then its result):
 *   open | openro | close | exit
 *   setlk KIND TYPE     KIND: posix, ofd or flock; TYPE: rd, wr or un
 *   setlkw KIND TYPE    F_SETLKW, F_OFD_SETLKW, flock without LOCK_NB
 *   getlk KIND TYPE     F_GETLK, F_OFD_GETLK: "unlocked" or "WR start S len L pid P"
 *   alarm MS            a one-shot timer whose handler has no SA_RESTART
 * Pids are printed raw: the test knows which process it expects. */
#include "common.h"
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>

static int fd = -1;

static void on_alarm(int sig)
{
    (void)sig;
}

static void answer(int r)
{
    if (r < 0)
        printf("-1 %s\n", ename(errno));
    else
        printf("ok\n");
}

static int type_of(const char *t)
{
    return !strcmp(t, "rd") ? F_RDLCK : !strcmp(t, "wr") ? F_WRLCK : F_UNLCK;
}

static int lock(const char *kind, const char *type, int wait)
{
    int t = type_of(type);
    if (!strcmp(kind, "flock")) {
        int op = t == F_RDLCK ? LOCK_SH : t == F_WRLCK ? LOCK_EX : LOCK_UN;
        return flock(fd, op | (wait ? 0 : LOCK_NB));
    }
    int ofd = !strcmp(kind, "ofd");
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = t;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, ofd ? (wait ? F_OFD_SETLKW : F_OFD_SETLK) : (wait ? F_SETLKW : F_SETLK), &fl);
}

int main(int argc, char **argv)
{
    char line[256], cmd[32], kind[32], type[32];
    if (argc < 2)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    while (fgets(line, sizeof line, stdin)) {
        kind[0] = type[0] = 0;
        if (sscanf(line, "%31s %31s %31s", cmd, kind, type) < 1)
            continue;
        if (!strcmp(cmd, "open") || !strcmp(cmd, "openro")) {
            fd = open(argv[1], !strcmp(cmd, "open") ? O_RDWR : O_RDONLY);
            answer(fd);
        } else if (!strcmp(cmd, "close")) {
            answer(close(fd));
            fd = -1;
        } else if (!strcmp(cmd, "exit")) {
            printf("bye\n");
            return 0;
        } else if (!strcmp(cmd, "setlk")) {
            answer(lock(kind, type, 0));
        } else if (!strcmp(cmd, "setlkw")) {
            printf("wait\n");
            answer(lock(kind, type, 1));
        } else if (!strcmp(cmd, "getlk")) {
            struct flock fl;
            memset(&fl, 0, sizeof fl);
            fl.l_type = type_of(type);
            fl.l_whence = SEEK_SET;
            int r = fcntl(fd, !strcmp(kind, "ofd") ? F_OFD_GETLK : F_GETLK, &fl);
            if (r < 0)
                answer(r);
            else if (fl.l_type == F_UNLCK)
                printf("unlocked\n");
            else
                printf("%s start %ld len %ld pid %d\n", fl.l_type == F_WRLCK ? "WR" : "RD",
                       (long)fl.l_start, (long)fl.l_len, (int)fl.l_pid);
        } else if (!strcmp(cmd, "alarm")) {
            struct itimerval it;
            memset(&it, 0, sizeof it);
            it.it_value.tv_usec = atoi(kind) * 1000;
            answer(setitimer(ITIMER_REAL, &it, NULL));
        } else {
            printf("what? %s", line);
        }
    }
    return 0;
}
