/* build: static */
/* exit(42): the exit status must reach the caller unchanged. */
#include "common.h"

int main(void)
{
    say("exiting with 42\n");
    exit(42);
}
