/* Terminal ioctls with a bad pointer on descriptors that are terminals (a pty pair the
 * guest makes): EFAULT, as Linux's copy to or from the user fails; ENOTTY only on
 * descriptors that are not terminals. */
#include "common.h"
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

struct req {
    const char *name;
    unsigned long cmd;
};

static const struct req reqs[] = {
    {"TCGETS", TCGETS}, {"TCSETS", TCSETS}, {"TCSETSW", TCSETSW}, {"TCSETSF", TCSETSF},
    {"TCGETA", TCGETA}, {"TCSETA", TCSETA}, {"TIOCGWINSZ", TIOCGWINSZ},
    {"TIOCSWINSZ", TIOCSWINSZ}, {"TIOCOUTQ", TIOCOUTQ}, {"TIOCINQ", TIOCINQ},
    {"TIOCGETD", TIOCGETD}, {"TIOCSETD", TIOCSETD}, {"TIOCGPTN", TIOCGPTN},
    {"TIOCGPTLCK", TIOCGPTLCK}, {"TIOCSPTLCK", TIOCSPTLCK}, {"TIOCGPKT", TIOCGPKT},
    {"TIOCPKT", TIOCPKT}, {"TIOCGEXCL", TIOCGEXCL}, {"TCGETS2", 0x802c542a},
    {"TIOCGLCKTRMIOS", TIOCGLCKTRMIOS},
};

static void probe(const char *what, int fd)
{
    char l[96];
    for (unsigned i = 0; i < sizeof reqs / sizeof *reqs; i++) {
        snprintf(l, sizeof l, "%s %s bad", what, reqs[i].name);
        res(l, ioctl(fd, reqs[i].cmd, BADPTR));
        snprintf(l, sizeof l, "%s %s kernel", what, reqs[i].name);
        res(l, ioctl(fd, reqs[i].cmd, KERNPTR));
    }
    snprintf(l, sizeof l, "%s TCGETS NULL", what);
    res(l, ioctl(fd, TCGETS, NULL));
    struct termios t;
    snprintf(l, sizeof l, "%s TCGETS ok", what);
    rok(l, ioctl(fd, TCGETS, &t));
}

/* TIOCGPGRP/TIOCSPGRP/TIOCGSID: ENOTTY on a terminal that is not the caller's
 * controlling one (TIOCSPGRP reads its argument first), EFAULT on the master */
static void jobctl(const char *what, int fd)
{
    char l[96];
    int v = 0;
    snprintf(l, sizeof l, "%s TIOCGPGRP bad", what);
    res(l, ioctl(fd, TIOCGPGRP, BADPTR));
    snprintf(l, sizeof l, "%s TIOCGPGRP", what);
    res(l, ioctl(fd, TIOCGPGRP, &v));
    snprintf(l, sizeof l, "%s TIOCSPGRP bad", what);
    res(l, ioctl(fd, TIOCSPGRP, BADPTR));
    v = getpgrp();
    snprintf(l, sizeof l, "%s TIOCSPGRP", what);
    res(l, ioctl(fd, TIOCSPGRP, &v));
    snprintf(l, sizeof l, "%s TIOCGSID bad", what);
    res(l, ioctl(fd, TIOCGSID, BADPTR));
    snprintf(l, sizeof l, "%s TIOCGSID", what);
    res(l, ioctl(fd, TIOCGSID, &v));
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    rok("posix_openpt", m);
    rok("grantpt", grantpt(m));
    rok("unlockpt", unlockpt(m));
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    rok("open slave", s);
    probe("master", m);
    probe("slave", s);
    jobctl("master", m);
    jobctl("slave", s);
    pid_t pid = fork();
    if (pid == 0) {
        /* a new session that takes the slave as its controlling terminal */
        setsid();
        rok("TIOCSCTTY", ioctl(s, TIOCSCTTY, 0));
        int v = -1;
        res("ctty TIOCGPGRP bad", ioctl(s, TIOCGPGRP, BADPTR));
        res("ctty TIOCGSID bad", ioctl(s, TIOCGSID, BADPTR));
        res("ctty TIOCSPGRP bad", ioctl(s, TIOCSPGRP, BADPTR));
        rok("ctty TIOCGPGRP", ioctl(s, TIOCGPGRP, &v));
        check("ctty pgrp is ours", v == getpgrp());
        rok("ctty TIOCGSID", ioctl(s, TIOCGSID, &v));
        check("ctty sid is ours", v == getsid(0));
        res("ctty master TIOCGSID bad", ioctl(m, TIOCGSID, BADPTR));
        rok("ctty master TIOCGSID", ioctl(m, TIOCGSID, &v));
        check("master sees our sid", v == getsid(0));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    say("child exit: %d\n", WEXITSTATUS(st));
    int f = open("file", O_RDWR | O_CREAT, 0600);
    res("file TCGETS bad", ioctl(f, TCGETS, BADPTR));
    res("file TIOCGWINSZ bad", ioctl(f, TIOCGWINSZ, BADPTR));
    res("file TIOCGPGRP bad", ioctl(f, TIOCGPGRP, BADPTR));
    int p[2];
    pipe(p);
    res("pipe TCGETS bad", ioctl(p[0], TCGETS, BADPTR));
    int n = open("/dev/null", O_RDWR);
    res("null TCGETS bad", ioctl(n, TCGETS, BADPTR));
    res("null TIOCGWINSZ bad", ioctl(n, TIOCGWINSZ, BADPTR));
    return 0;
}
