/* RLIMIT_NPROC (kernel/fork.c copy_process): a clone that would give the caller's
 * real user more tasks (threads count) than its limit fails with EAGAIN, unless
 * the user is root; ending tasks frees the count.  Runs as an otherwise unused
 * uid in a child. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define UID 54322

static void *idle(void *arg)
{
    (void)arg;
    return NULL;
}

static pid_t sleeper(int fd)
{
    pid_t c = fork();
    if (c == 0) {
        char b;
        read(fd, &b, 1);
        _exit(0);
    }
    return c;
}

int main(void)
{
    if (getuid() != 0) {
        say("needs root\n");
        return 0;
    }
    struct rlimit one = {1, 1};
    pid_t c = fork();
    if (c == 0) {
        setrlimit(RLIMIT_NPROC, &one);
        pid_t g = fork();
        if (g == 0)
            _exit(0);
        say("root with RLIMIT_NPROC 1: fork %s\n", g < 0 ? ename(errno) : "ok");
        waitpid(g, NULL, 0);
        _exit(0);
    }
    waitpid(c, NULL, 0);

    c = fork();
    if (c == 0) {
        struct rlimit three = {3, 3};
        setrlimit(RLIMIT_NPROC, &three);
        if (setresuid(UID, UID, UID) != 0)
            _exit(1);
        int p[2];
        pipe(p);
        for (int i = 0; i < 5; i++) {
            pid_t k = sleeper(p[0]);
            if (k < 0) {
                say("fork %d: -1 %s\n", i + 1, ename(errno));
                break;
            }
            say("fork %d: ok\n", i + 1);
        }
        pthread_t t;
        int e = pthread_create(&t, NULL, idle, NULL);
        say("pthread_create at the limit: %s\n", e ? ename(e) : "ok");
        if (!e)
            pthread_join(t, NULL);
        write(p[1], "x", 1);
        wait(NULL);         /* whichever child took the byte */
        pid_t k = sleeper(p[0]);
        say("fork after one child ended: %s\n", k < 0 ? ename(errno) : "ok");
        write(p[1], "xxxxxxxx", 8);
        while (wait(NULL) > 0)
            ;
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    check("child exit 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    say("done\n");
    return 0;
}
