/* Permission rules after dropping root: a lease needs the file's owner (or CAP_LEASE),
 * an inotify watch needs read permission, and a SIGIO owner set by another uid does not
 * reach us (sigio_perm). argv[1]: a scratch directory (the guest is root at start). */
#include "common.h"
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
    /* relative names from the scratch dir: its parents may be closed to others */
    if (argc > 1 && chdir(argv[1]))
        return 1;
    const char *d = ".";
    close(open(path_in(d, "rootfile"), O_CREAT | O_WRONLY, 0644));
    chmod(path_in(d, "rootfile"), 0644);
    mkdir(path_in(d, "private"), 0700);
    chmod(path_in(d, "private"), 0700);
    chmod(d, 0755);
    int p[2], q[2];
    pipe(p);
    pipe(q);
    sigset_t blk;
    sigemptyset(&blk);
    sigaddset(&blk, SIGIO);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    pid_t child = fork();
    if (child == 0) {
        if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
            say("cannot drop root\n");
            _exit(1);
        }
        int fd = open(path_in(d, "rootfile"), O_RDONLY);
        res("lease on root's file", fcntl(fd, F_SETLEASE, F_RDLCK));
        close(fd);
        int ino = inotify_init();
        res("watch 0700 dir of root", inotify_add_watch(ino, path_in(d, "private"), IN_CREATE));
        res("watch readable dir", inotify_add_watch(ino, d, IN_CREATE) > 0);
        res("watch through unsearchable dir", inotify_add_watch(ino, path_in(d, "private/x"), IN_CREATE));
        /* an owner set by root: our SIGIO as that owner is allowed (euid 0 may signal) */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGIO);
        sigprocmask(SIG_BLOCK, &set, NULL);
        fcntl(p[0], F_SETOWN, getpid());
        fcntl(p[0], F_SETFL, O_ASYNC);
        write(p[1], "x", 1);
        struct timespec zero = {0, 0};
        res("own SIGIO", sigtimedwait(&set, NULL, &zero) == SIGIO);
        /* an owner nobody set on root's process: sigio_perm refuses the signal */
        res("setown root parent", fcntl(q[0], F_SETOWN, getppid()));
        fcntl(q[0], F_SETFL, O_ASYNC);
        write(q[1], "x", 1);
        _exit(0);
    }
    int st;
    waitpid(child, &st, 0);
    res("child exit", WEXITSTATUS(st));
    sigset_t pend;
    sigpending(&pend);
    say("root got SIGIO from nobody's owner: %s\n", sigismember(&pend, SIGIO) ? "yes" : "no");
    say("done\n");
    return 0;
}
