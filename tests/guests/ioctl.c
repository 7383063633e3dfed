/* ioctl on non-terminals: TCGETS/TIOCGWINSZ -> ENOTTY, FIONREAD, FIOCLEX,
 * FIONBIO.  argv[1]: scratch directory prepared by the test. */
#include "common.h"
#include <sys/ioctl.h>
#include <termios.h>

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    struct termios t;
    struct winsize ws;
    int n = -7;

    res("TCGETS stdin (devnull)", ioctl(0, TCGETS, &t));
    res("TCGETS stdout (pipe)", ioctl(1, TCGETS, &t));
    res("isatty stdout", isatty(1));
    int fd = open("data.txt", O_RDONLY);
    res("TCGETS file", ioctl(fd, TCGETS, &t));
    res("TIOCGWINSZ file", ioctl(fd, TIOCGWINSZ, &ws));
    res("isatty file", isatty(fd));
    say("isatty errno: %s\n", ename(errno));
    res("unknown ioctl file", ioctl(fd, 0xdead, 0));
    res("FIONREAD file", ioctl(fd, FIONREAD, &n));
    say("FIONREAD value: %d\n", n);
    char buf[5];
    read(fd, buf, 5);
    res("FIONREAD after reading 5", ioctl(fd, FIONREAD, &n));
    say("FIONREAD value: %d\n", n);
    lseek(fd, 100, SEEK_SET);
    n = -7;
    res("FIONREAD beyond eof", ioctl(fd, FIONREAD, &n));
    say("FIONREAD value: %d\n", n);
    res("FIONREAD bad pointer", ioctl(fd, FIONREAD, BADPTR));
    res("FIONREAD bad fd", ioctl(999, FIONREAD, &n));
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    res("FIONREAD directory", ioctl(dfd, FIONREAD, &n));
    res("FIONREAD stdin (devnull)", ioctl(0, FIONREAD, &n));

    res("FIOCLEX", ioctl(fd, FIOCLEX));
    res("F_GETFD after FIOCLEX", fcntl(fd, F_GETFD));
    res("FIONCLEX", ioctl(fd, FIONCLEX));
    res("F_GETFD after FIONCLEX", fcntl(fd, F_GETFD));
    int on = 1;
    res("FIONBIO on", ioctl(fd, FIONBIO, &on));
    say("O_NONBLOCK set: %s\n", fcntl(fd, F_GETFL) & O_NONBLOCK ? "yes" : "no");
    on = 0;
    res("FIONBIO off", ioctl(fd, FIONBIO, &on));
    say("O_NONBLOCK set: %s\n", fcntl(fd, F_GETFL) & O_NONBLOCK ? "yes" : "no");
    res("FIOASYNC off", ioctl(fd, FIOASYNC, &on));
    return 0;
}
