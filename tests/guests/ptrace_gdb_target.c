/* ptrace_gdb_target: the program gdb debugs in test_ptrace_guest.py (built there with
 * -g -O0).  No argument: sums squares and exits 0; "crash": a NULL read in a nested
 * call; "wait": prints its total, then pauses until killed (for `attach PID`). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int *nowhere;

__attribute__((noinline)) int square(int v) { int sq = v * v; return sq; }

__attribute__((noinline)) int inner(int x) { int local = x * 2; return *nowhere + local; }

__attribute__((noinline)) int outer(int x) { return inner(x + 1) + 1; }

int main(int argc, char **argv)
{
    int total = 0;
    for (int i = 1; i <= 3; i++) total += square(i);
    if (argc > 1 && !strcmp(argv[1], "crash")) return outer(20);
    printf("total %d\n", total);
    fflush(stdout);
    if (argc > 1 && !strcmp(argv[1], "wait")) for (;;) pause();
    return 0;
}
