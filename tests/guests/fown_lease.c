/* File leases (F_SETLEASE/F_GETLEASE): who may take which lease (EACCES, EINVAL, EAGAIN),
 * and the break: a conflicting open signals the holder (SIGIO or the F_SETSIG signal with
 * POLL_MSG and si_fd), waits until the holder downgrades or removes its lease (O_NONBLOCK:
 * EWOULDBLOCK), and F_GETLEASE shows the lease the holder must move to. argv[1]: scratch dir. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

#define RT (SIGRTMIN + 3)

static sigset_t set;
static int lfd;

static const char *lt(int t)
{
    return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static void getlease(const char *label, int fd)
{
    int r = fcntl(fd, F_GETLEASE);
    if (r < 0)
        res(label, r);
    else
        say("%s: %s\n", label, lt(r));
}

/* wait up to 10 s for one signal */
static void wait_sig(const char *label)
{
    struct timespec ts = {10, 0};
    siginfo_t si;
    int s = sigtimedwait(&set, &si, &ts);
    if (s < 0)
        say("%s: none\n", label);
    else if (s == SIGIO && si.si_code == SI_KERNEL)
        say("%s: SIGIO SI_KERNEL\n", label);
    else
        say("%s: %s code %d band %#lx fd %s\n", label, s == RT ? "RT" : "SIGIO", si.si_code,
            (long)si.si_band, si.si_fd == lfd ? "lease fd" : "other");
}

static void none_pending(const char *label)
{
    struct timespec zero = {0, 0};
    siginfo_t si;
    int s = sigtimedwait(&set, &si, &zero);
    say("%s: %s\n", label, s < 0 ? "none" : "BAD signal");
}

int main(int argc, char **argv)
{
    const char *d = argc > 1 ? argv[1] : "/tmp";
    const char *f = path_in(d, "leased");
    int p[2];
    char c;
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigaddset(&set, RT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    close(open(f, O_CREAT | O_WRONLY, 0644));

    lfd = open(f, O_RDONLY);
    getlease("getlease none", lfd);
    res("setlease bad type", fcntl(lfd, F_SETLEASE, 7));
    res("unlock without lease", fcntl(lfd, F_SETLEASE, F_UNLCK));
    pipe(p);
    res("setlease pipe", fcntl(p[0], F_SETLEASE, F_RDLCK));
    getlease("getlease pipe", p[0]);
    int dfd = open(d, O_RDONLY | O_DIRECTORY);
    res("setlease dir", fcntl(dfd, F_SETLEASE, F_RDLCK));
    close(dfd);
    res("setlease badfd", fcntl(99, F_SETLEASE, F_RDLCK));

    res("read lease", fcntl(lfd, F_SETLEASE, F_RDLCK));
    getlease("getlease", lfd);
    res("F_GETFL O_ASYNC", !!(fcntl(lfd, F_GETFL) & O_ASYNC));
    say("owner set by setlease: %s\n", fcntl(lfd, F_GETOWN) == getpid() ? "self" : "no");
    int other = open(f, O_RDONLY);
    res("second reader opens", other >= 0 ? 0 : -1);
    none_pending("no break for a reader");
    res("write lease with another reader", fcntl(lfd, F_SETLEASE, F_WRLCK));
    close(other);
    res("upgrade to write lease", fcntl(lfd, F_SETLEASE, F_WRLCK));
    getlease("getlease", lfd);
    res("unlock", fcntl(lfd, F_SETLEASE, F_UNLCK));
    getlease("getlease after unlock", lfd);
    res("F_GETFL O_ASYNC after unlock", !!(fcntl(lfd, F_GETFL) & O_ASYNC));
    int w = open(f, O_WRONLY);
    res("read lease on a file open for write", fcntl(lfd, F_SETLEASE, F_RDLCK));
    res("read lease through the write fd", fcntl(w, F_SETLEASE, F_RDLCK));
    close(w);
    int rw = open(f, O_RDWR);
    res("read lease on O_RDWR fd", fcntl(rw, F_SETLEASE, F_RDLCK));
    res("write lease with two fds open", fcntl(rw, F_SETLEASE, F_WRLCK));
    close(rw);

    /* a writer with O_NONBLOCK breaks a read lease: EWOULDBLOCK, the holder is told */
    res("read lease again", fcntl(lfd, F_SETLEASE, F_RDLCK));
    res("nonblocking writer", open(f, O_WRONLY | O_NONBLOCK));
    wait_sig("holder told");
    getlease("getlease while breaking", lfd);
    res("nonblocking writer again", open(f, O_WRONLY | O_NONBLOCK));
    none_pending("told once");
    res("unlock", fcntl(lfd, F_SETLEASE, F_UNLCK));
    int w2 = open(f, O_WRONLY | O_NONBLOCK);
    res("writer after unlock", w2 >= 0 ? 0 : -1);
    close(w2);

    /* F_SETSIG; a blocking reader breaks a write lease and waits for the downgrade */
    fcntl(lfd, F_SETSIG, RT);
    res("write lease", fcntl(lfd, F_SETLEASE, F_WRLCK));
    int ready[2];
    pipe(ready);
    pid_t child = fork();
    if (child == 0) {
        int r = open(f, O_RDONLY);
        write(ready[1], r >= 0 ? "y" : "n", 1);      /* the parent prints: one writer */
        _exit(0);
    }
    wait_sig("holder told (write lease, reader)");
    getlease("getlease while breaking", lfd);
    usleep(200000);
    say("child still waiting: %s\n", waitpid(child, NULL, WNOHANG) == 0 ? "yes" : "no");
    res("downgrade", fcntl(lfd, F_SETLEASE, F_RDLCK));
    read(ready[0], &c, 1);
    say("child open for reading: %s\n", c == 'y' ? "done" : "failed");
    waitpid(child, NULL, 0);
    getlease("getlease after downgrade", lfd);

    /* a blocking writer waits for the unlock */
    child = fork();
    if (child == 0) {
        int r = open(f, O_WRONLY);
        write(ready[1], r >= 0 ? "y" : "n", 1);
        _exit(0);
    }
    wait_sig("holder told (read lease, writer)");
    getlease("getlease while breaking", lfd);
    res("unlock", fcntl(lfd, F_SETLEASE, F_UNLCK));
    read(ready[0], &c, 1);
    say("child open for writing: %s\n", c == 'y' ? "done" : "failed");
    waitpid(child, NULL, 0);

    /* truncate(2) breaks a lease as a writer's open does */
    res("read lease", fcntl(lfd, F_SETLEASE, F_RDLCK));
    child = fork();
    if (child == 0) {
        int r = truncate(f, 0);
        write(ready[1], r == 0 ? "y" : "n", 1);
        _exit(0);
    }
    wait_sig("holder told (truncate)");
    getlease("getlease while breaking", lfd);
    res("unlock", fcntl(lfd, F_SETLEASE, F_UNLCK));
    read(ready[0], &c, 1);
    say("child truncate: %s\n", c == 'y' ? "done" : "failed");
    waitpid(child, NULL, 0);

    /* the holder's own second open breaks its lease too; a close ends a lease */
    res("read lease", fcntl(lfd, F_SETLEASE, F_RDLCK));
    res("holder opens for write, nonblocking", open(f, O_WRONLY | O_NONBLOCK));
    wait_sig("holder told by its own open");
    fcntl(lfd, F_SETLEASE, F_UNLCK);
    res("read lease", fcntl(lfd, F_SETLEASE, F_RDLCK));
    int dup_fd = dup(lfd);
    close(lfd);
    getlease("lease kept through a dup", dup_fd);
    close(dup_fd);
    lfd = open(f, O_RDONLY);
    int w3 = open(f, O_WRONLY | O_NONBLOCK);
    res("writer after the leased file was closed", w3 >= 0 ? 0 : -1);
    none_pending("nothing pending");
    say("done\n");
    return 0;
}
