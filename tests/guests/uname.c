/* uname: only the stable fields are printed. */
#include "common.h"
#include <sys/utsname.h>

int main(void)
{
    struct utsname u;
    memset(&u, 'x', sizeof u);
    res("uname", syscall(SYS_uname, &u));
    say("sysname: %s\n", u.sysname);
    say("machine: %s\n", u.machine);
    check("release non-empty", u.release[0] != 0 && memchr(u.release, 0, sizeof u.release));
    check("version non-empty", u.version[0] != 0 && memchr(u.version, 0, sizeof u.version));
    check("nodename terminated", memchr(u.nodename, 0, sizeof u.nodename) != NULL);
    check("release starts with a digit", u.release[0] >= '0' && u.release[0] <= '9');
    res("uname bad pointer", syscall(SYS_uname, BADPTR));
    res("uname NULL", syscall(SYS_uname, NULL));
    return 0;
}
