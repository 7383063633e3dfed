/* pause() woken by a signal: returns -1 EINTR after the handler. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static volatile int calls;

static void h(int sig)
{
    (void)sig;
    calls++;
}

int main(void)
{
    signal(SIGUSR1, h);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        /* keep poking until the parent kills us: no race with pause() */
        for (;;) {
            usleep(50000);
            kill(parent, SIGUSR1);
        }
    }
    errno = 0;
    int r = pause();
    say("pause: %d %s\n", r, ename(errno));
    check("handler ran before pause returned", calls >= 1);
    kill(c, SIGKILL);
    int st;
    waitpid(c, &st, 0);

    /* SIGALRM from alarm() */
    calls = 0;
    signal(SIGALRM, h);
    alarm(1);
    errno = 0;
    r = pause();
    say("pause woken by alarm: %d %s, handler calls %d\n", r, ename(errno), calls);

    /* an ignored signal does not wake pause; a handled one does */
    signal(SIGUSR2, SIG_IGN);
    calls = 0;
    c = fork();
    if (c == 0) {
        kill(parent, SIGUSR2);
        usleep(50000);
        for (;;) {
            kill(parent, SIGUSR1);
            usleep(50000);
        }
    }
    r = pause();
    say("pause after an ignored SIGUSR2: woken by the handled SIGUSR1: %s\n", calls >= 1 ? "yes" : "BAD");
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    return 0;
}
