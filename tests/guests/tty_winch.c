/* The window size follows the terminal: print it, then again after each SIGWINCH;
 * ends after two changes (or 20 s). */
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t changed;

static void on_winch(int sig)
{
    (void)sig;
    changed++;
}

static void show(const char *when)
{
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) < 0)
        perror("TIOCGWINSZ");
    else
        printf("%s: %d rows %d cols\n", when, ws.ws_row, ws.ws_col);
    fflush(stdout);
}

int main(void)
{
    signal(SIGWINCH, on_winch);
    show("size");
    int seen = 0;
    for (int i = 0; i < 200 && seen < 2; i++) {
        usleep(100000);
        if (changed != seen) {
            seen = changed;
            show("resized");
        }
    }
    return 0;
}
