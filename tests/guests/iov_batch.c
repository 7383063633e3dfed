/* readv/writev/preadv/pwritev with many iovecs (the kernel copies them in one host call):
 * lengths that differ, and a buffer whose iovecs run into an inaccessible page. */
#include "common.h"
#include <sys/mman.h>
#include <sys/uio.h>

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    char b[8][5]; struct iovec v[8];
    for (int i = 0; i < 8; i++) { memset(b[i], 'a' + i, 5); v[i].iov_base = b[i]; v[i].iov_len = 5 - (i % 3); }
    int fd = open("iovfile", O_RDWR | O_CREAT | O_TRUNC, 0600);
    printf("writev %zd\n", writev(fd, v, 8));
    char r[8][5]; memset(r, '.', sizeof r); struct iovec w[8];
    for (int i = 0; i < 8; i++) { w[i].iov_base = r[i]; w[i].iov_len = 4; }
    printf("preadv %zd\n", preadv(fd, w, 8, 0));
    fwrite(r, 1, sizeof r, stdout); printf("\n");
    char *p = mmap(0, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
    mprotect(p + 4096, 4096, PROT_NONE);
    struct iovec x[5] = {{p, 3}, {p + 10, 3}, {p + 20, 3}, {p + 4000, 200}, {p + 30, 3}};
    errno = 0; printf("preadv into a hole %zd %d\n", preadv(fd, x, 5, 0), errno);
    printf("%.3s %.3s %.3s %.5s\n", p, p + 10, p + 20, p + 4000);
    errno = 0; printf("writev from a hole %zd %d\n", pwritev(fd, x, 5, 100), errno);
    close(fd); unlink("iovfile");
    return 0;
}
