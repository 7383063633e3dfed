/* Escape probe: terminal ioctls that would reach the host's terminal.
 *
 * argv[1]: "tty" (the controlling terminal, /dev/tty), "stdin" (fd 0, the terminal
 * umlskas was given), "ptmx" (a pty master the guest makes, and its slave), or "bg"
 * (changes to the terminal while umlskas is not its foreground job).
 * Only ever run by tests/security/test_tty_ioctl.py on a pty the test made: never on
 * a real terminal, never natively (TIOCCONS would redirect the host's console). */
#include "common.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#define N_SLIP 1
#define N_PPP 3
#define N_NULL 27

static void probe(const char *what, int fd)
{
    char label[128];
#define L(x) (snprintf(label, sizeof label, "%s %s", x, what), label)
    int d = -1;
    res(L("TIOCGETD"), ioctl(fd, TIOCGETD, &d));
    printf("discipline %s: %d\n", what, d);
    d = N_NULL;
    res(L("TIOCSETD N_NULL"), ioctl(fd, TIOCSETD, &d));
    d = N_PPP;
    res(L("TIOCSETD N_PPP"), ioctl(fd, TIOCSETD, &d));
    d = N_SLIP;
    res(L("TIOCSETD N_SLIP"), ioctl(fd, TIOCSETD, &d));
    d = 99;
    res(L("TIOCSETD 99"), ioctl(fd, TIOCSETD, &d));
    res(L("TIOCSETD bad pointer"), ioctl(fd, TIOCSETD, BADPTR));
    d = 0;
    res(L("TIOCSETD N_TTY"), ioctl(fd, TIOCSETD, &d));
    d = -1;
    res(L("TIOCGETD again"), ioctl(fd, TIOCGETD, &d));
    printf("discipline again %s: %d\n", what, d);
    char c = 'X';
    res(L("TIOCSTI"), ioctl(fd, TIOCSTI, &c));
    res(L("TIOCCONS"), ioctl(fd, TIOCCONS));
    res(L("TIOCEXCL"), ioctl(fd, TIOCEXCL));
    res(L("TCXONC TCOOFF"), ioctl(fd, TCXONC, TCOOFF));
    res(L("TCXONC TCOON"), ioctl(fd, TCXONC, TCOON));
    res(L("TCSBRK break"), ioctl(fd, TCSBRK, 0));
    res(L("TCSBRK drain"), ioctl(fd, TCSBRK, 1));
    res(L("TCSBRKP"), ioctl(fd, TCSBRKP, 0));
    res(L("TIOCSBRK"), ioctl(fd, TIOCSBRK));
    res(L("TIOCCBRK"), ioctl(fd, TIOCCBRK));
    res(L("TIOCVHANGUP"), ioctl(fd, TIOCVHANGUP));
    res(L("TIOCLINUX"), ioctl(fd, TIOCLINUX, &c));
    res(L("KDSETMODE"), ioctl(fd, 0x4B3A, 1));
    res(L("VT_ACTIVATE"), ioctl(fd, 0x5606, 1));
    int bits = TIOCM_DTR;
    res(L("TIOCMSET"), ioctl(fd, TIOCMSET, &bits));
    res(L("TIOCMBIS"), ioctl(fd, TIOCMBIS, &bits));
    char serial[128] = {0};
    res(L("TIOCSSERIAL"), ioctl(fd, TIOCSSERIAL, serial));
    struct termios t;
    res(L("TCGETS"), ioctl(fd, TCGETS, &t));
    res(L("TCSETS"), ioctl(fd, TCSETS, &t));
    res(L("TCSETSW"), ioctl(fd, TCSETSW, &t));
    res(L("TCFLSH"), ioctl(fd, TCFLSH, TCIFLUSH));
    struct winsize ws;
    res(L("TIOCGWINSZ"), ioctl(fd, TIOCGWINSZ, &ws));
    res(L("TIOCSWINSZ"), ioctl(fd, TIOCSWINSZ, &ws));
    int n = -1;
    res(L("FIONREAD"), ioctl(fd, FIONREAD, &n));
    printf("pending input %s: %d\n", what, n);
}

/* umlskas is a background job of its terminal. */
static void background(void)
{
    struct termios t;
    res("TCGETS", ioctl(0, TCGETS, &t));
    res("TCSETS as init", ioctl(0, TCSETS, &t));
    res("TCFLSH as init", ioctl(0, TCFLSH, TCIFLUSH));
    res("TIOCSETD N_TTY as init", ioctl(0, TIOCSETD, &(int){0}));
    struct winsize ws;
    res("TIOCGWINSZ", ioctl(0, TIOCGWINSZ, &ws));
    res("TIOCSWINSZ as init", ioctl(0, TIOCSWINSZ, &ws));
    /* A job of a shell (its parent in the same session, another group): stopped. */
    pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0);
        ioctl(0, TCSETS, &t);
        _exit(7);
    }
    int status = 0;
    waitpid(child, &status, WUNTRACED);
    say("job: %s\n", WIFSTOPPED(status) && WSTOPSIG(status) == SIGTTOU ? "stopped by SIGTTOU" :
        "not stopped");
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    signal(SIGTTOU, SIG_IGN);
    res("TCSETS ignoring SIGTTOU", ioctl(0, TCSETS, &t));
    signal(SIGTTOU, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTTOU);
    sigprocmask(SIG_BLOCK, &set, NULL);
    res("TCSETS blocking SIGTTOU", ioctl(0, TCSETS, &t));
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "tty";
    if (!strcmp(what, "bg")) {
        background();
        return 0;
    }
    if (!strcmp(what, "ptmx")) {
        int m = posix_openpt(O_RDWR | O_NOCTTY);
        rok("posix_openpt", m);
        grantpt(m);
        unlockpt(m);
        int s = open(ptsname(m), O_RDWR | O_NOCTTY);
        rok("open slave", s);
        probe("master", m);
        probe("slave", s);
        unsigned int num = 0;
        rok("TIOCGPTN", ioctl(m, TIOCGPTN, &num));
        return 0;
    }
    int fd = !strcmp(what, "stdin") ? 0 : open("/dev/tty", O_RDWR);
    rok("open", fd);
    probe(what, fd);
    return 0;
}
