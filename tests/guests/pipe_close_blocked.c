/* A read (or write) blocked in one thread while another thread closes that fd: the
 * open file description lives until the call ends, so the read still returns the
 * data written later, or 0 once the writers are gone; the fd itself is gone at once. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <time.h>

static int rfd;
static long got;
static char gbuf[64];

static void *reader(void *arg)
{
    (void)arg;
    got = read(rfd, gbuf, sizeof gbuf);
    if (got < 0)
        got = -errno;
    return NULL;
}

static void *writer(void *arg)
{
    static char big[70000];
    (void)arg;
    got = write(rfd, big, sizeof big);
    if (got < 0)
        got = -errno;
    return NULL;
}

static void nap(void)
{
    struct timespec ts = {0, 150 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static void report(const char *label)
{
    if (got < 0)
        say("%s: -1 %s\n", label, ename(-got));
    else
        print_escaped(label, gbuf, got > 0 && got < (long)sizeof gbuf ? got : 0);
}

/* r, w: the two ends; the reader blocks on r, main closes r, then writes or closes w */
static void scenario(const char *what, int r, int w, int eof)
{
    pthread_t t;
    char l[80];
    rfd = r;
    got = 1234;
    pthread_create(&t, NULL, reader, NULL);
    nap();
    snprintf(l, sizeof l, "%s close r", what);
    res(l, close(r));
    snprintf(l, sizeof l, "%s fcntl closed fd", what);
    res(l, fcntl(r, F_GETFD));
    if (eof) {
        snprintf(l, sizeof l, "%s close w", what);
        res(l, close(w));
    } else {
        snprintf(l, sizeof l, "%s write later", what);
        res(l, write(w, "later", 5));
    }
    pthread_join(t, NULL);
    snprintf(l, sizeof l, "%s blocked read", what);
    report(l);
    if (!eof) {
        snprintf(l, sizeof l, "%s write after reader ended", what);
        res(l, write(w, "x", 1));
        close(w);
    }
}

int main(int argc, char **argv)
{
    int p[2];
    enter_dir(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    pipe(p);
    scenario("pipe data", p[0], p[1], 0);
    pipe(p);
    scenario("pipe eof", p[0], p[1], 1);

    mkfifo("f", 0600);
    int r = open("f", O_RDONLY | O_NONBLOCK);
    int w = open("f", O_WRONLY);
    fcntl(r, F_SETFL, 0);
    scenario("fifo data", r, w, 0);
    r = open("f", O_RDONLY | O_NONBLOCK);
    w = open("f", O_WRONLY);
    fcntl(r, F_SETFL, 0);
    scenario("fifo eof", r, w, 1);

    /* a writer blocked on a full pipe while another thread closes its fd */
    pipe(p);
    pthread_t t;
    rfd = p[1];
    pthread_create(&t, NULL, writer, NULL);
    nap();
    res("full pipe close w", close(p[1]));
    static char sink[70000];
    long total = 0, n;
    while ((n = read(p[0], sink, sizeof sink)) > 0)
        total += n;
    pthread_join(t, NULL);
    say("blocked write: %ld, reader saw %ld then %ld\n", got, total, n);
    close(p[0]);
    return 0;
}
