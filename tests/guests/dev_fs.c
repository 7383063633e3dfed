/* /dev as a program sees it: the memory devices, the links into /proc/self/fd,
 * the terminal devices and pseudo-terminals.  Prints only what is the same
 * natively and under umlskas.  argv[1] picks a section (default: all).
 */
#include "common.h"
#include <dirent.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <termios.h>

static int listed(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (!strcmp(e->d_name, name))
            found = 1 + (e->d_type == DT_CHR) * 2 + (e->d_type == DT_DIR) * 4 +
                    (e->d_type == DT_LNK) * 8;
    closedir(d);
    return found;
}

static void section_nodes(void)
{
    const char *names[] = {"null", "zero", "full", "random", "urandom", "tty", "ptmx", NULL};
    for (int i = 0; names[i]; i++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "/dev/%s", names[i]);
        if (stat(path, &st) != 0) {
            res(path, -1);
            continue;
        }
        say("%s: chr %d %u,%u mode %o listed %d\n", path, S_ISCHR(st.st_mode),
            major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777, listed("/dev", names[i]));
    }
    struct stat st;
    check("/dev is a dir", stat("/dev", &st) == 0 && S_ISDIR(st.st_mode));
    check("/dev/pts is a dir, listed", stat("/dev/pts", &st) == 0 && S_ISDIR(st.st_mode) &&
          listed("/dev", "pts") == 5);
    check("/dev/shm is a sticky dir, listed", stat("/dev/shm", &st) == 0 &&
          S_ISDIR(st.st_mode) && (st.st_mode & 01777) == 01777 && listed("/dev", "shm") == 5);
    const char *links[][2] = {{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
                              {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
    for (int i = 0; i < 4; i++) {
        char path[64], target[64] = {0};
        snprintf(path, sizeof path, "/dev/%s", links[i][0]);
        long n = readlink(path, target, sizeof target - 1);
        check(path, n > 0 && !strcmp(target, links[i][1]) && listed("/dev", links[i][0]) == 9);
    }
    struct stat a, b;
    check("/dev/stdin = fd 0", stat("/dev/stdin", &a) == 0 && fstat(0, &b) == 0 &&
          a.st_ino == b.st_ino && a.st_rdev == b.st_rdev);
    check("/dev/fd/1 = fd 1", stat("/dev/fd/1", &a) == 0 && fstat(1, &b) == 0 &&
          a.st_ino == b.st_ino);
    check("ptmx in /dev/pts", listed("/dev/pts", "ptmx") == 3);
    res("open /dev/nonesuch", open("/dev/nonesuch", O_RDONLY));
    res("open /dev/null/x", open("/dev/null/x", O_RDONLY));
    res("open /dev/null O_DIRECTORY", open("/dev/null", O_RDONLY | O_DIRECTORY));
    res("open /dev/null O_CREAT|O_EXCL", open("/dev/null", O_RDWR | O_CREAT | O_EXCL, 0666));
    int fd = open("/dev/null", O_RDWR | O_CREAT | O_TRUNC, 0600);
    res("open /dev/null O_CREAT|O_TRUNC", fd >= 0 ? 0 : -1);
    check("still a device", fstat(fd, &st) == 0 && S_ISCHR(st.st_mode));
    close(fd);
    res("open /dev/pts/999999", open("/dev/pts/999999", O_RDWR));
}

static void section_memdev(void)
{
    char buf[64];
    int fd = open("/dev/null", O_RDWR);
    res("read null", read(fd, buf, sizeof buf));
    res("write null", write(fd, "abc", 3));
    res("lseek null", lseek(fd, 100, SEEK_SET));
    res("pread null", pread(fd, buf, 4, 10));
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    res("poll null", poll(&p, 1, 0));
    say("poll null revents: %#x\n", p.revents);
    int flags = fcntl(fd, F_GETFL);
    say("null F_GETFL: %o\n", flags);
    close(fd);

    fd = open("/dev/zero", O_RDONLY);
    memset(buf, 'x', sizeof buf);
    res("read zero", read(fd, buf, 16));
    int zeros = 1;
    for (int i = 0; i < 16; i++)
        zeros &= buf[i] == 0;
    check("zero gives zeros", zeros && buf[16] == 'x');
    res("write zero O_RDONLY", write(fd, "a", 1));
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    pok("mmap zero private", m);
    if (m != MAP_FAILED) {
        check("zero map reads zeros", m[0] == 0 && m[8191] == 0);
        m[5] = 1;
        munmap(m, 8192);
    }
    close(fd);
    fd = open("/dev/zero", O_RDWR);
    m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pok("mmap zero shared", m);
    close(fd);

    fd = open("/dev/full", O_RDWR);
    res("write full", write(fd, "x", 1));
    memset(buf, 'x', sizeof buf);
    res("read full", read(fd, buf, 8));
    check("full gives zeros", buf[0] == 0 && buf[7] == 0);
    close(fd);

    char a[32], b[32];
    fd = open("/dev/urandom", O_RDONLY);
    res("read urandom", read(fd, a, sizeof a));
    res("read urandom again", read(fd, b, sizeof b));
    check("urandom differs", memcmp(a, b, sizeof a) != 0);
    res("lseek urandom", lseek(fd, 0, SEEK_CUR));
    close(fd);
    fd = open("/dev/random", O_RDWR);
    res("read random", read(fd, a, 8));
    res("write random", write(fd, "seed", 4));
    int ent = -1;
    res("RNDGETENTCNT", ioctl(fd, 0x80045200, &ent));
    check("entropy > 0", ent > 0);
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    res("ioctl TCGETS urandom", ioctl(fd, TCGETS, buf));
    close(fd);
}

static void section_tty(void)
{
    /* The tests run without a controlling terminal. */
    int fd = open("/dev/tty", O_RDWR);
    res("open /dev/tty", fd);
    if (fd >= 0)
        close(fd);
}

static int pty_number(const char *name)
{
    return strncmp(name, "/dev/pts/", 9) ? -1 : atoi(name + 9);
}

static void section_pty(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    res("posix_openpt", m >= 0 ? 0 : -1);
    res("grantpt", grantpt(m));
    res("unlockpt", unlockpt(m));
    char *name = ptsname(m);
    check("ptsname is /dev/pts/N", name && pty_number(name) >= 0);
    char num[16];
    snprintf(num, sizeof num, "%d", pty_number(name));
    check("pts/N listed", listed("/dev/pts", num) == 3);
    unsigned int n = 0;
    res("TIOCGPTN", ioctl(m, TIOCGPTN, &n));
    check("TIOCGPTN = ptsname", (int)n == pty_number(name));
    struct stat st, sst;
    check("stat pts/N: char 136+", stat(name, &st) == 0 && S_ISCHR(st.st_mode) &&
          major(st.st_rdev) >= 136 && major(st.st_rdev) < 144);
    char link[64] = {0}, path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", m);
    readlink(path, link, sizeof link - 1);
    check("master fd link is /dev/ptmx", !strcmp(link, "/dev/ptmx"));
    check("master is a tty", isatty(m));
    int s = open(name, O_RDWR | O_NOCTTY);
    res("open slave", s >= 0 ? 0 : -1);
    check("slave is a tty", isatty(s));
    char *tn = ttyname(s);
    check("ttyname(slave) = ptsname", tn && !strcmp(tn, name));
    check("fstat slave = stat pts/N", fstat(s, &sst) == 0 && sst.st_rdev == st.st_rdev &&
          sst.st_ino == st.st_ino);
    struct termios t;
    res("tcgetattr master", tcgetattr(m, &t));
    res("tcgetattr slave", tcgetattr(s, &t));
    check("slave echoes by default", t.c_lflag & ECHO);
    t.c_lflag &= ~ECHO;
    res("tcsetattr no echo", tcsetattr(s, TCSANOW, &t));
    struct winsize ws = {24, 80, 0, 0}, got = {0, 0, 0, 0};
    res("TIOCSWINSZ master", ioctl(m, TIOCSWINSZ, &ws));
    res("TIOCGWINSZ slave", ioctl(s, TIOCGWINSZ, &got));
    check("window size", got.ws_row == 24 && got.ws_col == 80);
    res("write master", write(m, "hello\n", 6));
    char buf[64] = {0};
    res("read slave", read(s, buf, sizeof buf));
    check("slave got hello", !strcmp(buf, "hello\n"));
    res("write slave", write(s, "back", 4));
    memset(buf, 0, sizeof buf);
    struct pollfd pfd = {m, POLLIN, 0};
    res("poll master", poll(&pfd, 1, 5000));
    res("read master", read(m, buf, sizeof buf));
    check("master got back", !strcmp(buf, "back"));
    cfmakeraw(&t);
    res("tcsetattr raw", tcsetattr(s, TCSANOW, &t));
    res("write master raw", write(m, "x", 1));
    res("read slave raw", read(s, buf, 1));
    res("tcflush", tcflush(s, TCIOFLUSH));
    int outq = -1;
    res("TIOCOUTQ", ioctl(s, TIOCOUTQ, &outq));
    res("fcntl O_NONBLOCK", fcntl(s, F_SETFL, O_NONBLOCK));
    res("read slave empty nonblock", read(s, buf, 1));
    close(s);
    close(m);
    res("stat pts/N after close", stat(name, &st));
    check("pts/N no longer listed", !listed("/dev/pts", num));
}

static void section_openpty(void)
{
    int m, s;
    char name[64];
    res("openpty", openpty(&m, &s, name, NULL, NULL));
    char *tn = ttyname(s);
    check("ttyname = openpty's name", tn && !strcmp(tn, name));
    struct stat a, b;
    check("stat name = fstat slave", stat(name, &a) == 0 && fstat(s, &b) == 0 &&
          a.st_rdev == b.st_rdev);
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    res("TIOCGPTPEER", peer >= 0 ? 0 : -1);
    check("peer is the same pty", fstat(peer, &a) == 0 && a.st_rdev == b.st_rdev);
    check("peer is close-on-exec", fcntl(peer, F_GETFD) == FD_CLOEXEC);
    char link[64] = {0}, path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", peer);
    readlink(path, link, sizeof link - 1);
    check("peer fd link is the pts name", !strcmp(link, name));
    res("write peer", write(peer, "p", 1));
    char c = 0;
    res("read master", read(m, &c, 1));
    res("TIOCGPTN on slave", ioctl(s, TIOCGPTN, &c));
    close(peer);
    close(s);
    close(m);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    int all = !strcmp(what, "all");
    if (all || !strcmp(what, "nodes"))
        section_nodes();
    if (all || !strcmp(what, "memdev"))
        section_memdev();
    if (all || !strcmp(what, "tty"))
        section_tty();
    if (all || !strcmp(what, "pty"))
        section_pty();
    if (all || !strcmp(what, "openpty"))
        section_openpty();
    return 0;
}
