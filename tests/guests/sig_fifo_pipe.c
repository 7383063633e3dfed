/* SIGPIPE for a FIFO whose reader has gone, as for an anonymous pipe (Linux's
 * pipe_write serves both): write, writev and sendfile into it give EPIPE and raise
 * SIGPIPE. argv[1]: "handler" (counts the signals) or "default" (the first write
 * kills the guest: status -SIGPIPE). */
#include "common.h"
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

static volatile sig_atomic_t caught;

static void on_pipe(int sig)
{
    (void)sig;
    caught++;
}

static char dir[] = "/tmp/umlskas-sigfifo-XXXXXX";
static char fifo[64], plain[64];

static void cleanup(void)
{
    unlink(fifo);
    unlink(plain);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    int dflt = argc > 1 && strcmp(argv[1], "default") == 0;
    if (!mkdtemp(dir)) {
        printf("mkdtemp: BAD %s\n", ename(errno));
        return 1;
    }
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(plain, sizeof plain, "%s/plain", dir);
    atexit(cleanup);
    if (mkfifo(fifo, 0600) < 0) {
        printf("mkfifo: BAD %s\n", ename(errno));
        return 1;
    }
    int r = open(fifo, O_RDONLY | O_NONBLOCK);
    int w = open(fifo, O_WRONLY);
    printf("opened: %s\n", r >= 0 && w >= 0 ? "yes" : "BAD");
    printf("write with reader: %ld\n", (long)write(w, "ab", 2));
    close(r);
    if (!dflt) {
        struct sigaction sa = {0};
        sa.sa_handler = on_pipe;
        sigaction(SIGPIPE, &sa, NULL);
    } else {
        /* the signal kills us here: nothing after this is printed */
        fflush(stdout);
        cleanup();
        write(w, "x", 1);
        printf("after write: BAD still alive\n");
        return 0;
    }
    errno = 0;
    long n = write(w, "x", 1);
    printf("write: %ld %s caught %d\n", n, ename(errno), (int)caught);
    struct iovec iov[2] = {{"a", 1}, {"b", 1}};
    errno = 0;
    n = writev(w, iov, 2);
    printf("writev: %ld %s caught %d\n", n, ename(errno), (int)caught);
    int f = open(plain, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(f, "data", 4);
    lseek(f, 0, SEEK_SET);
    errno = 0;
    n = sendfile(w, f, NULL, 4);
    printf("sendfile: %ld %s caught %d\n", n, ename(errno), (int)caught);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    n = write(w, "x", 1);
    printf("ignored write: %ld %s caught %d\n", n, ename(errno), (int)caught);
    printf("done\n");
    return 0;
}
