/* Orphan re-parenting: a grandchild whose parent exits gets a new parent
 * (the guest's init under umlskas, the host's init or a subreaper natively),
 * so only "did getppid() change" is printed. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

int main(void)
{
    int report[2], ready[2];
    if (pipe(report) || pipe(ready))
        return 1;
    pid_t child = fork();
    if (child == 0) {
        pid_t me = getpid();
        pid_t gc = fork();
        if (gc == 0) {
            char msg[256];
            pid_t before = getppid();
            int n = 0;
            n += snprintf(msg + n, sizeof msg - n, "grandchild ppid is its parent: %s\n",
                          before == me ? "yes" : "BAD");
            /* tell the parent it may exit now */
            write(ready[1], "r", 1);
            close(ready[1]);
            pid_t after = before;
            for (int i = 0; i < 5000 && after == before; i++) {
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
                after = getppid();
            }
            n += snprintf(msg + n, sizeof msg - n, "ppid changed after parent exit: %s\n",
                          after != before ? "yes" : "BAD");
            n += snprintf(msg + n, sizeof msg - n, "new ppid is not the exited parent: %s\n",
                          after != me ? "yes" : "BAD");
            n += snprintf(msg + n, sizeof msg - n, "new ppid is positive: %s\n",
                          after > 0 ? "yes" : "BAD");
            write(report[1], msg, n);
            _exit(0);
        }
        close(ready[1]);
        char b;
        read(ready[0], &b, 1);
        _exit(3);
    }
    close(ready[1]);
    close(report[1]);
    int st;
    pid_t p = waitpid(child, &st, 0);
    check("child reaped", p == child);
    say("child exit status: %d\n", WEXITSTATUS(st));
    char buf[512];
    ssize_t n, total = 0;
    while ((n = read(report[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = 0;
    say("%s", buf);
    /* the grandchild is not our child */
    res("waitpid for the reaped child again", waitpid(child, &st, WNOHANG));
    return 0;
}
