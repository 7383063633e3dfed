/* process and user ids: consistency, not values. */
#include "common.h"

int main(void)
{
    pid_t pid = getpid();
    check("getpid > 0", pid > 0);
    check("getpid stable", getpid() == pid);
    check("raw getpid == glibc", syscall(SYS_getpid) == pid);
    check("getppid >= 0", getppid() >= 0);
    check("getppid != getpid", getppid() != pid);
    check("gettid == getpid (single thread)", syscall(SYS_gettid) == pid);
    int ctid;
    check("set_tid_address returns tid", syscall(SYS_set_tid_address, &ctid) == pid);
    check("set_tid_address NULL returns tid", syscall(SYS_set_tid_address, NULL) == pid);
    uid_t uid = getuid();
    gid_t gid = getgid();
    check("raw getuid == glibc", syscall(SYS_getuid) == (long)uid);
    check("raw getgid == glibc", syscall(SYS_getgid) == (long)gid);
    check("geteuid == getuid", geteuid() == uid);
    check("getegid == getgid", getegid() == gid);
    check("getuid stable", getuid() == uid);
    return 0;
}
