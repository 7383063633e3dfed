/* pipe_pingpong N: fork; parent and child bounce one byte over two pipes N times.
 *
 * One round trip = parent write(p2c) -> child read(p2c) -> child write(c2p) ->
 * parent read(c2p): four system calls and two blocking wake-ups, one in each process.
 * The byte is incremented on each leg and checked, so a lost or duplicated byte is
 * caught.  Built static against glibc (bench_processes.py: -O2 -static).
 *
 * Exit status: 0 ok; 2 bad arguments; 3 pipe/fork failed; 4 an I/O error or wrong byte
 * in the parent; 5 the child failed (it exits 6 on its own I/O error).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int xfer(int fd, unsigned char *c, int wr)
{
    for (;;) {
        ssize_t r = wr ? write(fd, c, 1) : read(fd, c, 1);
        if (r == 1)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s N\n", argv[0]);
        return 2;
    }
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end || n < 0) {
        fprintf(stderr, "pipe_pingpong: bad N %s\n", argv[1]);
        return 2;
    }
    int p2c[2], c2p[2];
    if (pipe(p2c) || pipe(c2p)) {
        perror("pipe_pingpong: pipe");
        return 3;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("pipe_pingpong: fork");
        return 3;
    }
    if (pid == 0) {
        close(p2c[1]);
        close(c2p[0]);
        unsigned char c;
        for (long i = 0; i < n; i++) {
            if (xfer(p2c[0], &c, 0))
                _exit(6);
            c++;
            if (xfer(c2p[1], &c, 1))
                _exit(6);
        }
        _exit(0);
    }
    close(p2c[0]);
    close(c2p[1]);
    unsigned char c = 0;
    for (long i = 0; i < n; i++) {
        unsigned char want = (unsigned char)(c + 2);
        c++;
        if (xfer(p2c[1], &c, 1) || xfer(c2p[0], &c, 0)) {
            perror("pipe_pingpong: parent I/O");
            return 4;
        }
        if (c != want) {
            fprintf(stderr, "pipe_pingpong: round %ld: got byte %u, want %u\n", i, c, want);
            return 4;
        }
    }
    int st;
    pid_t w;
    do
        w = waitpid(pid, &st, 0);
    while (w < 0 && errno == EINTR);
    if (w != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "pipe_pingpong: child status 0x%x\n", w == pid ? st : -1);
        return 5;
    }
    return 0;
}
