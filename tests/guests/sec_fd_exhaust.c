/* Descriptor exhaustion: a guest's RLIMIT_NOFILE is its own, and one guest that
 * opens all it may must not stop its siblings from forking, exec-ing and opening.
 *
 *   sec_fd_exhaust limit FILE       RLIMIT_NOFILE {10,10}: opens of FILE stop with
 *                                   EMFILE at fd 10; every way to make an fd answers
 *                                   as Linux does there (dup2/F_DUPFD beyond the limit:
 *                                   EBADF/EINVAL); an O_CREAT open at the limit creates
 *                                   nothing; thousands of refused opens cost nothing
 *   sec_fd_exhaust sibling FILE [N] N children (default 1) each raise RLIMIT_NOFILE as
 *                                   far as they may (hard to /proc/sys/fs/nr_open if
 *                                   allowed, soft to hard) and open FILE until refused,
 *                                   keeping it all open; then the parent forks and
 *                                   execs itself and /bin/true, makes a pipe, opens
 *                                   FILE
 */
/* build: static */
#include "common.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

static const char *self;

/* fork, then exec /bin/true (dynamic: its loader opens libc itself) or, with
 * static_self, this static program again (only the kernel opens anything). */
static void run_prog(const char *label, int static_self)
{
    pid_t c = fork();
    if (c == 0) {
        char *argv[] = {"true", NULL};
        char *self_argv[] = {(char *)self, "true", NULL};
        if (static_self)
            execv(self, self_argv);
        else
            execv("/bin/true", argv);
        _exit(100 + errno);
    }
    int status = -1;
    waitpid(c, &status, 0);
    if (WIFEXITED(status))
        printf("%s: exit %d\n", label, WEXITSTATUS(status));
    else
        printf("%s: status %#x\n", label, status);
    fflush(stdout);
}

static int limit(const char *file)
{
    struct rlimit rl = {10, 10};
    res("setrlimit NOFILE {10,10}", setrlimit(RLIMIT_NOFILE, &rl));
    int fd, last = -1;
    while ((fd = open(file, O_RDONLY)) >= 0)
        last = fd;
    printf("opens stopped after fd %d: %s\n", last, ename(errno));
    int p[2], sv[2];
    res("open again", open(file, O_RDONLY));
    res("dup", dup(0));
    res("dup2 to 10 (beyond the limit)", dup2(0, 10));
    res("dup3 to 10", dup3(0, 10, O_CLOEXEC));
    res("dup2 to 9 (replaces)", dup2(0, 9));
    res("F_DUPFD from 10", fcntl(0, F_DUPFD, 10));
    res("F_DUPFD_CLOEXEC from 10", fcntl(0, F_DUPFD_CLOEXEC, 10));
    res("F_DUPFD from 5 (none free)", fcntl(0, F_DUPFD, 5));
    res("pipe", pipe(p));
    res("socket AF_UNIX", socket(AF_UNIX, SOCK_STREAM, 0));
    res("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    res("eventfd", eventfd(0, 0));
    res("epoll_create1", epoll_create1(0));
    res("memfd_create", syscall(SYS_memfd_create, "x", 0));
    char created[4096];
    snprintf(created, sizeof created, "%s.created", file);
    res("open O_CREAT at the limit", open(created, O_WRONLY | O_CREAT, 0600));
    res("  nothing created", access(created, F_OK));
    int refused = 0;
    for (int i = 0; i < 6000; i++)
        if (open(file, O_RDONLY) < 0 && errno == EMFILE)
            refused++;
    printf("6000 more opens, refused with EMFILE: %d\n", refused);
    res("close 9", close(9));
    res("open after a close", open(file, O_RDONLY));
    /* The child inherits the limit and the full table: exec must still work. */
    res("close 8", close(8));
    run_prog("fork + exec /bin/true", 0);
    /* Lowered below fds already open: they stay, new ones start over the limit. */
    rl.rlim_cur = rl.rlim_max = 5;
    res("setrlimit NOFILE {5,5}", setrlimit(RLIMIT_NOFILE, &rl));
    res("dup now", dup(0));
    res("dup2 to 7 now (open, but beyond)", dup2(0, 7));
    res("F_DUPFD from 5 now", fcntl(0, F_DUPFD, 5));
    char c;
    res("read fd 7 (above the limit, still open)", read(7, &c, 1));
    res("close 7", close(7));
    return 0;
}

static long nr_open(void)
{
    char buf[64] = {0};
    int fd = open("/proc/sys/fs/nr_open", O_RDONLY);
    if (fd < 0)
        return -1;
    read(fd, buf, sizeof buf - 1);
    close(fd);
    return atol(buf);
}

static int sibling(const char *file, int n)
{
    int ready[2], done[2];
    if (pipe(ready) || pipe(done))
        return 1;
    pid_t kids[8];
    for (int k = 0; k < n; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            close(ready[0]);
            close(done[1]);
            struct rlimit rl;
            getrlimit(RLIMIT_NOFILE, &rl);
            long max = nr_open();
            if (max > 0) {
                struct rlimit up = {max, max};
                if (setrlimit(RLIMIT_NOFILE, &up) == 0)
                    rl = up;           /* root with CAP_SYS_RESOURCE: as far as it goes */
            }
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            int fd;
            long opened = 0;
            while ((fd = open(file, O_RDONLY)) >= 0)
                opened++;
            char e = errno == EMFILE ? 'M' : errno == ENFILE ? 'N' : '?';
            write(ready[1], &e, 1);
            char c;
            read(done[0], &c, 1);      /* keep it all open until the parent is done */
            _exit(opened > 0 ? 0 : 1);
        }
    }
    close(ready[1]);
    for (int k = 0; k < n; k++) {
        char e = 0;
        read(ready[0], &e, 1);
        printf("child %d stopped by: %s\n", k, e == 'M' ? "EMFILE" : e == 'N' ? "ENFILE" : "?");
        fflush(stdout);
    }
    run_prog("parent: fork + exec itself (static)", 1);
    run_prog("parent: fork + exec /bin/true", 0);
    int p[2];
    int r = pipe(p);
    rok("parent: pipe", r);
    if (r == 0) {
        close(p[0]);
        close(p[1]);
    }
    int fd = open(file, O_RDONLY);
    rok("parent: open", fd);
    if (fd >= 0)
        close(fd);
    close(done[1]);                    /* the children end */
    for (int k = 0; k < n; k++) {
        int status = -1;
        waitpid(kids[k], &status, 0);
        printf("child %d: %s\n", k,
               WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "exit 0" : "BAD status");
    }
    run_prog("parent afterwards: fork + exec /bin/true", 0);
    return 0;
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc == 2 && strcmp(argv[1], "true") == 0)
        return 0;
    if (argc > 2 && strcmp(argv[1], "limit") == 0)
        return limit(argv[2]);
    if (argc > 2 && strcmp(argv[1], "sibling") == 0)
        return sibling(argv[2], argc > 3 ? atoi(argv[3]) : 1);
    fprintf(stderr, "usage: sec_fd_exhaust limit|sibling FILE [N]\n");
    return 2;
}
