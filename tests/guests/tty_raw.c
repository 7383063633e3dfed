/* Leaves the terminal in raw mode, no echo, with O_NONBLOCK on stdin, then:
 * "exit" returns, "wait" pauses until killed, "abort" dies of SIGABRT. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct termios t;
    tcgetattr(0, &t);
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    printf("raw\r\n");
    fflush(stdout);
    const char *how = argc > 1 ? argv[1] : "exit";
    if (!strcmp(how, "wait"))
        for (;;)
            pause();
    if (!strcmp(how, "abort"))
        abort();
    return 0;
}
