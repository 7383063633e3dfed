/* build: static */
/* Ways of ending a process: argv[1] selects one. */
#include "common.h"

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "return";
    if (!strcmp(how, "exit_group")) {
        say("exit_group 3\n");
        syscall(SYS_exit_group, 3);
    } else if (!strcmp(how, "exit")) {
        say("exit 4 (single thread)\n");
        syscall(SYS_exit, 4);
    } else if (!strcmp(how, "flush")) {
        printf("partial line without newline, flushed by exit()");
        exit(6);
    } else if (!strcmp(how, "big")) {
        say("exit_group 300 -> 44\n");
        syscall(SYS_exit_group, 300); /* only the low 8 bits survive */
    }
    say("return 5\n");
    return 5;
}
