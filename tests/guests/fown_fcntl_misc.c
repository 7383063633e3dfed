/* F_DUPFD/F_DUPFD_CLOEXEC against RLIMIT_NOFILE (EINVAL at or above it, EMFILE when full),
 * and F_CREATED_QUERY (Linux 6.12): did this open create the file? argv[1]: scratch dir. */
#include "common.h"
#include <sys/resource.h>

#ifndef F_CREATED_QUERY
#define F_CREATED_QUERY (1024 + 4)
#endif

int main(int argc, char **argv)
{
    const char *d = argc > 1 ? argv[1] : "/tmp";
    struct rlimit rl, saved;
    getrlimit(RLIMIT_NOFILE, &saved);
    rl = saved;
    rl.rlim_cur = 64;       /* the soft limit only: raising a hard one needs CAP_SYS_RESOURCE */
    res("setrlimit", setrlimit(RLIMIT_NOFILE, &rl));
    res("F_DUPFD 64", fcntl(0, F_DUPFD, 64));
    res("F_DUPFD 100", fcntl(0, F_DUPFD, 100));
    res("F_DUPFD_CLOEXEC 64", fcntl(0, F_DUPFD_CLOEXEC, 64));
    res("F_DUPFD -1", fcntl(0, F_DUPFD, -1));
    res("F_DUPFD 63", fcntl(0, F_DUPFD, 63));
    res("F_DUPFD 63 again (taken, none above)", fcntl(0, F_DUPFD, 63));
    res("F_DUPFD_CLOEXEC 50", fcntl(0, F_DUPFD_CLOEXEC, 50));
    res("getfd", fcntl(50, F_GETFD));
    res("F_DUPFD badfd 64", fcntl(99, F_DUPFD, 64));
    res("F_DUPFD badfd 5", fcntl(40, F_DUPFD, 5));
    rl.rlim_cur = 128;
    res("setrlimit raise", setrlimit(RLIMIT_NOFILE, &rl));
    res("F_DUPFD 64 after raise", fcntl(0, F_DUPFD, 64));

    int fd = open(path_in(d, "new"), O_CREAT | O_RDWR, 0600);
    res("created by O_CREAT", fcntl(fd, F_CREATED_QUERY));
    int dfd = dup(fd);
    res("dup of it", fcntl(dfd, F_CREATED_QUERY));
    int fd2 = open(path_in(d, "new"), O_CREAT | O_RDWR, 0600);
    res("O_CREAT existing", fcntl(fd2, F_CREATED_QUERY));
    int fd3 = open(path_in(d, "new"), O_RDONLY);
    res("plain open", fcntl(fd3, F_CREATED_QUERY));
    int fd4 = open(path_in(d, "new2"), O_CREAT | O_EXCL | O_WRONLY, 0600);
    res("O_EXCL new", fcntl(fd4, F_CREATED_QUERY));
    int fd5 = open(path_in(d, "new3"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    res("O_CREAT|O_TRUNC new", fcntl(fd5, F_CREATED_QUERY));
    int fd6 = open(d, O_TMPFILE | O_RDWR, 0600);
    res("O_TMPFILE", fd6 < 0 ? -1 : fcntl(fd6, F_CREATED_QUERY));
    int fd7 = open(path_in(d, "new"), O_PATH);
    res("O_PATH", fcntl(fd7, F_CREATED_QUERY));
    int p[2];
    pipe(p);
    res("pipe", fcntl(p[0], F_CREATED_QUERY));
    res("badfd", fcntl(99, F_CREATED_QUERY));
    res("arg ignored", fcntl(fd, F_CREATED_QUERY, 12345));
    int fd8 = creat(path_in(d, "new4"), 0600);
    res("creat", fcntl(fd8, F_CREATED_QUERY));
    say("done\n");
    return 0;
}
