/* getpid/getppid/gettid relations across fork, printed as booleans. */
#include "common.h"
#include <sys/wait.h>

int main(void)
{
    pid_t me = getpid(), parent = getppid();
    check("getpid positive", me > 0);
    /* no "getppid() > 0" for the first process: under umlskas it is the
     * guest's init, whose parent is outside its pid namespace (0) */
    check("getppid differs from getpid", parent != me);
    check("gettid == getpid in the main thread", syscall(SYS_gettid) == me);
    check("raw SYS_getpid == getpid", syscall(SYS_getpid) == me);
    int p[2];
    if (pipe(p))
        return 1;
    pid_t c = fork();
    if (c == 0) {
        pid_t v[3] = {getpid(), getppid(), (pid_t)syscall(SYS_gettid)};
        write(p[1], v, sizeof v);
        _exit(0);
    }
    pid_t v[3];
    close(p[1]);
    read(p[0], v, sizeof v);
    check("fork returned the child's getpid", c == v[0]);
    check("child's getppid is the parent's getpid", v[1] == me);
    check("child's pid differs from the parent's", v[0] != me);
    check("child's gettid == its getpid", v[2] == v[0]);
    check("parent's getpid unchanged after fork", getpid() == me);
    check("parent's getppid unchanged after fork", getppid() == parent);
    int st;
    check("waitpid returns fork's value", waitpid(c, &st, 0) == c);
    /* two children get different pids */
    pid_t a = fork();
    if (a == 0)
        _exit(0);
    pid_t b = fork();
    if (b == 0)
        _exit(0);
    check("two live children have different pids", a != b && a > 0 && b > 0);
    waitpid(a, &st, 0);
    waitpid(b, &st, 0);
    return 0;
}
