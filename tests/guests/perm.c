/* Permission checks with the guest's credentials: a root guest makes files with
 * various modes in its scratch directory (argv[1]), then a child drops to
 * uid/gid 65534 and tries them.  Run as root (natively too): skipped otherwise. */
#include "common.h"
#include <grp.h>
#include <sys/time.h>
#include <sys/wait.h>

static void mk(const char *name, int mode, const char *text)
{
    int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (text)
        write(fd, text, strlen(text));
    close(fd);
    chmod(name, mode);
}

static void as_nobody(void)
{
    char buf[16];
    if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
        printf("drop: -1 %s\n", ename(errno));
        return;
    }
    res("open 0600 root file for reading", open("p600", O_RDONLY));
    rok("open 0644 root file for reading", open("p644", O_RDONLY));
    res("open 0644 root file for writing", open("p644", O_WRONLY));
    rok("open 0666 root file for writing", open("p666", O_WRONLY));
    res("open O_TRUNC of 0644", open("p644", O_RDONLY | O_TRUNC));
    res("access R_OK 0600", access("p600", R_OK));
    rok("access R_OK 0644", access("p644", R_OK));
    res("access W_OK 0644", access("p644", W_OK));
    res("access X_OK 0644", access("p644", X_OK));
    rok("access X_OK 0755", access("x755", X_OK));
    res("create in 0755 root dir", open("dir755/new", O_CREAT | O_WRONLY, 0644));
    rok("create in 0777 dir", open("dir777/new", O_CREAT | O_WRONLY, 0644));
    res("unlink in 0755 root dir", unlink("dir755/f"));
    res("stat through 0700 dir", (long)stat("dir700/f", &(struct stat){0}));
    res("chdir 0700 dir", chdir("dir700"));
    res("opendir-list 0711 dir (read)", open("dir711", O_RDONLY | O_DIRECTORY));
    rok("stat through 0711 dir", (long)stat("dir711/f", &(struct stat){0}));
    res("unlink other's file in sticky dir", unlink("sticky/rootfile"));
    rok("unlink own file in sticky dir", unlink("sticky/mine"));
    res("chmod root file", chmod("p666", 0777));
    res("chown to self", chown("p666", 65534, 65534));
    res("utimes explicit on root file", utimes("p666", (struct timeval[2]){{1, 0}, {1, 0}}));
    rok("utimes now on writable root file", utimes("p666", NULL));
    res("utimes now on read-only root file", utimes("p644", NULL));
    res("truncate 0644", truncate("p644", 0));
    res("rename in root dir", rename("dir755/f", "dir755/g"));
    res("mkdir in root dir", mkdir("dir755/d", 0755));
    res("link into root dir", link("p666", "dir755/l"));
    res("symlink into root dir", symlink("x", "dir755/s"));
    res("rmdir in root dir", rmdir("dir755/sub"));
    char *argv[] = {"p644", NULL};
    res("execve 0644", execve("p644", argv, NULL));
    res("execve in 0700 dir", execve("dir700/x", argv, NULL));
    int fd = open("p644", O_RDONLY);
    res("read 0644", read(fd, buf, 3));
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 0;
    }
    umask(0);
    mk("p600", 0600, "600");
    mk("p644", 0644, "644");
    mk("p666", 0666, "666");
    mk("x755", 0755, "#!/bin/sh\n");
    mkdir("dir755", 0755);
    mk("dir755/f", 0644, "f");
    mkdir("dir755/sub", 0755);
    mkdir("dir777", 0777);
    mkdir("dir700", 0700);
    mk("dir700/f", 0644, "f");
    mk("dir700/x", 0755, "#!/bin/sh\n");
    mkdir("dir711", 0711);
    mk("dir711/f", 0644, "f");
    mkdir("sticky", 01777);
    mk("sticky/rootfile", 0666, "r");
    mk("sticky/mine", 0666, "m");
    chown("sticky/mine", 65534, 65534);
    pid_t pid = fork();
    if (pid == 0) {
        as_nobody();
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child status %d\n", status);
    return 0;
}
