/* dnotify (F_NOTIFY): signals for changes guests make in a directory: DN_CREATE, DN_DELETE,
 * DN_MODIFY, DN_ACCESS, DN_ATTRIB, DN_RENAME, DN_MULTISHOT or one shot, F_SETSIG's siginfo
 * (POLL_MSG, si_fd), the owner set by F_NOTIFY, removal by a 0 mask or a close.
 * argv[1]: a scratch directory. */
#include "common.h"
#include <signal.h>

#define RT (SIGRTMIN + 2)

static sigset_t set;
static int dfd;

static void take(const char *label)
{
    struct timespec zero = {0, 0};
    siginfo_t si;
    int n = 0;
    for (;;) {
        int s = sigtimedwait(&set, &si, &zero);
        if (s < 0)
            break;
        n++;
        if (s == SIGIO && si.si_code == SI_KERNEL)
            say("%s: SIGIO SI_KERNEL\n", label);
        else
            say("%s: %s code %d band %#lx fd %s\n", label, s == RT ? "RT" : s == SIGIO ? "SIGIO" : "?",
                si.si_code, (long)si.si_band, si.si_fd == dfd ? "dir" : "other");
    }
    if (!n)
        say("%s: none\n", label);
}

int main(int argc, char **argv)
{
    const char *d = argc > 1 ? argv[1] : "/tmp";
    char buf[64];
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigaddset(&set, RT);
    sigprocmask(SIG_BLOCK, &set, NULL);

    int reg = open(path_in(d, "reg"), O_CREAT | O_RDWR, 0644);
    res("F_NOTIFY regular file", fcntl(reg, F_NOTIFY, DN_CREATE));
    res("F_NOTIFY regular file 0", fcntl(reg, F_NOTIFY, 0));
    res("F_NOTIFY regular file MULTISHOT only", fcntl(reg, F_NOTIFY, DN_MULTISHOT));
    res("F_NOTIFY bad fd", fcntl(99, F_NOTIFY, DN_CREATE));

    dfd = open(d, O_RDONLY | O_DIRECTORY);
    res("getown before", fcntl(dfd, F_GETOWN));
    res("F_NOTIFY create oneshot", fcntl(dfd, F_NOTIFY, DN_CREATE));
    say("getown after F_NOTIFY: %s\n", fcntl(dfd, F_GETOWN) == getpid() ? "self" : "BAD");
    close(open(path_in(d, "c1"), O_CREAT | O_WRONLY, 0644));
    take("create, SIGIO");
    close(open(path_in(d, "c2"), O_CREAT | O_WRONLY, 0644));
    take("second create, one shot gone");

    res("F_SETSIG", fcntl(dfd, F_SETSIG, RT));
    res("F_NOTIFY multishot", fcntl(dfd, F_NOTIFY, DN_CREATE | DN_DELETE | DN_MULTISHOT));
    close(open(path_in(d, "c3"), O_CREAT | O_WRONLY, 0644));
    take("create");
    unlink(path_in(d, "c3"));
    take("delete");
    mkdir(path_in(d, "sd"), 0755);
    take("mkdir");
    rmdir(path_in(d, "sd"));
    take("rmdir");
    write(reg, "abc", 3);
    take("modify, not asked");
    res("F_NOTIFY add modify", fcntl(dfd, F_NOTIFY, DN_MODIFY | DN_MULTISHOT));
    write(reg, "abc", 3);
    take("modify");
    close(open(path_in(d, "c4"), O_CREAT | O_WRONLY, 0644));
    take("create still on (masks add up)");
    pread(reg, buf, 3, 0);
    take("access, not asked");
    res("F_NOTIFY access|attrib|rename", fcntl(dfd, F_NOTIFY, DN_ACCESS | DN_ATTRIB | DN_RENAME | DN_MULTISHOT));
    pread(reg, buf, 3, 0);
    take("access");
    chmod(path_in(d, "reg"), 0600);
    take("attrib");
    rename(path_in(d, "c4"), path_in(d, "c5"));
    take("rename");
    fchmod(dfd, 0755);
    take("attrib of the dir itself");
    close(open(path_in(d, "c5"), O_RDONLY));
    take("open and close only");

    res("F_NOTIFY 0", fcntl(dfd, F_NOTIFY, 0));
    close(open(path_in(d, "c6"), O_CREAT | O_WRONLY, 0644));
    take("after F_NOTIFY 0");

    res("F_NOTIFY again", fcntl(dfd, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
    int dup_fd = dup(dfd);
    close(dup_fd);
    close(open(path_in(d, "c7"), O_CREAT | O_WRONLY, 0644));
    take("after closing a dup");

    res("F_NOTIFY via dup", fcntl(dfd, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
    dup_fd = dup(dfd);
    res("F_NOTIFY on the dup fd", fcntl(dup_fd, F_NOTIFY, DN_DELETE | DN_MULTISHOT));
    unlink(path_in(d, "c7"));
    siginfo_t si;
    struct timespec zero = {0, 0};
    int s = sigtimedwait(&set, &si, &zero);
    say("si_fd is the dup: %s\n", s == RT && si.si_fd == dup_fd ? "yes" : "no");
    take("rest");
    say("done\n");
    return 0;
}
