/* A blocking write that a signal interrupts after part of the data went returns
 * that part (never EINTR, never a restart that sends it twice): a pipe and an
 * AF_UNIX stream socket, 1 MiB each, SIGALRM while the reader sleeps. */
#include "common.h"
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

static void on_alarm(int s) { (void)s; }

static void one(const char *label, int rd, int wr)
{
    int report[2];
    pipe(report);
    pid_t pid = fork();
    if (pid == 0) {
        close(wr);
        usleep(600000);
        static char b[65536];
        long total = 0;
        ssize_t n;
        while ((n = read(rd, b, sizeof b)) > 0)
            total += n;
        write(report[1], &total, sizeof total);
        _exit(0);
    }
    close(rd);
    struct itimerval it = {{0, 0}, {0, 200000}};
    setitimer(ITIMER_REAL, &it, NULL);
    size_t size = 1 << 20;
    char *buf = calloc(1, size);
    ssize_t n = write(wr, buf, size);
    int e = errno;
    close(wr);
    long got = -1;
    read(report[0], &got, sizeof got);
    waitpid(pid, NULL, 0);
    printf("%s: write %s, the reader got exactly what it returned: %d\n", label,
           n < 0 ? ename(e) : n > 0 && (size_t)n < size ? "partial" : "whole", got == n);
    free(buf);
    close(report[0]);
    close(report[1]);
}

int main(void)
{
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);          /* no SA_RESTART */
    int p[2];
    pipe(p);
    one("pipe", p[0], p[1]);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    one("unix stream", sv[0], sv[1]);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    pipe(p);
    one("pipe, SA_RESTART", p[0], p[1]);
    return 0;
}
