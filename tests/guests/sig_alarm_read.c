/* alarm(1) interrupts a read on an empty pipe.
 *   sig_alarm_read norestart  -- no SA_RESTART: read returns -1 EINTR
 *   sig_alarm_read restart    -- SA_RESTART: the read goes on; the handler
 *                                writes to the pipe so it then completes */
#include "common.h"
#include <signal.h>

static int p[2];
static volatile int alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
    if (alarms == 1)
        write(p[1], "from-handler", 12);
}

int main(int argc, char **argv)
{
    int restart = argc > 1 && !strcmp(argv[1], "restart");
    if (pipe(p))
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, NULL);
    say("SA_RESTART: %s\n", restart ? "yes" : "no");
    res("alarm(1) (no previous alarm)", alarm(1));
    char buf[64];
    errno = 0;
    ssize_t n = read(p[0], buf, sizeof buf);
    say("alarms delivered: %d\n", alarms);
    if (n < 0)
        say("read: -1 %s\n", ename(errno));
    else
        print_escaped("read", buf, n);
    if (!restart) {
        /* the handler's bytes are in the pipe now */
        n = read(p[0], buf, sizeof buf);
        print_escaped("read again", buf, n);
    }
    res("alarm(0) (none pending)", alarm(0));
    alarm(100);
    res("alarm(0) cancels a pending alarm, returns seconds left > 0", alarm(0) > 0 ? 0 : -1);
    return 0;
}
