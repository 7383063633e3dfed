/* The host side of tests/security/test_host_walk.py (run natively, on the test's
 * own temporary files only): changes directories under a guest's feet until
 * SIGTERM or until argv[2] seconds have passed, then says whether it swapped.
 *   exchange A B   renameat2(RENAME_EXCHANGE) A <-> B (a directory and a symlink)
 *   rename A B     rename A to B and back (mv a b; mv b a)
 * The guest-side walker is sec_walk_race.c. */
/* build: static */
#include "common.h"
#include <signal.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    signal(SIGTERM, on_term);
    double secs = atof(argv[2]);
    const char *a = argv[3], *b = argv[4];
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long swaps = 0;
    while (!stop) {
        if (strcmp(argv[1], "exchange") == 0) {
            if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) == 0)
                swaps++;
        } else {
            if (rename(a, b) == 0 && rename(b, a) == 0)
                swaps++;
        }
        if ((swaps & 255) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
                break;
        }
    }
    printf("swaps: %ld\n", swaps > 0);
    return 0;
}
