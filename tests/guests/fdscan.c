/* build: static */
/* The guest must see exactly the fds it was given (0, 1, 2 under the test
 * harness) and never a host fd of the emulator. */
#include "common.h"

int main(void)
{
    printf("open fds:");
    for (int fd = 0; fd < 1024; fd++) {
        if (fcntl(fd, F_GETFD) != -1)
            printf(" %d", fd);
        else if (errno != EBADF)
            printf(" (fd %d: %s)", fd, ename(errno));
    }
    printf("\n");
    /* scan again with a raw syscall, beyond 1024 too */
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        if (syscall(SYS_fcntl, fd, F_GETFD) != -1)
            n++;
    printf("open fd count (raw, <4096): %d\n", n);
    for (int fd = 0; fd < 3; fd++) {
        int fl = fcntl(fd, F_GETFL);
        int fdfl = fcntl(fd, F_GETFD);
        printf("fd %d: accmode %d cloexec %d\n", fd, fl == -1 ? -1 : (fl & O_ACCMODE), fdfl);
    }
    /* a new fd gets the lowest free number */
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    printf("first new fd: %d\n", fd);
    return 0;
}
