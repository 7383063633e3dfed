/* Owners of new files: after setfsuid/setfsgid (or seteuid/setegid) to another
 * user, files, directories, symlinks, FIFOs and O_TMPFILE files are that user's,
 * with a set-group-ID directory's group (and S_ISGID on new subdirectories;
 * stripped from a group-executable file of a group the caller is not in).
 * Run as root (natively too), in the scratch directory argv[1]. */
#include "common.h"
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static void show(const char *name)
{
    struct stat st;
    if (lstat(name, &st)) {
        printf("%s: -1 %s\n", name, ename(errno));
        return;
    }
    printf("%s: uid %d gid %d type %o mode %04o\n", name, (int)st.st_uid, (int)st.st_gid,
           (unsigned)(st.st_mode & S_IFMT) >> 12, (unsigned)(st.st_mode & 07777));
}

static void make_all(const char *dir)
{
    char p[256], q[256];
    snprintf(p, sizeof p, "%s/file", dir);
    int fd = open(p, O_CREAT | O_WRONLY, 0644);
    rok("create file", fd);
    close(fd);
    show(p);
    snprintf(p, sizeof p, "%s/sgidexe", dir);
    fd = open(p, O_CREAT | O_WRONLY, 02755);
    close(fd);
    show(p);
    snprintf(p, sizeof p, "%s/suid", dir);
    fd = open(p, O_CREAT | O_WRONLY, 04755);
    close(fd);
    show(p);
    snprintf(p, sizeof p, "%s/dir", dir);
    rok("mkdir", mkdir(p, 0755));
    show(p);
    snprintf(p, sizeof p, "%s/dir/inner", dir);
    rok("mkdir inner", mkdir(p, 0700));
    show(p);
    snprintf(p, sizeof p, "%s/link", dir);
    rok("symlink", symlink("file", p));
    show(p);
    snprintf(p, sizeof p, "%s/fifo", dir);
    rok("mkfifo", mkfifo(p, 0600));
    show(p);
    fd = open(dir, O_TMPFILE | O_WRONLY, 0600);
    if (fd >= 0) {
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        snprintf(q, sizeof q, "%s/tmpfile", dir);
        rok("linkat tmpfile", linkat(AT_FDCWD, p, AT_FDCWD, q, AT_SYMLINK_FOLLOW));
        close(fd);
        show(q);
    } else {
        printf("O_TMPFILE: -1 %s\n", ename(errno));
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock", dir);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    rok("bind unix socket", bind(s, (struct sockaddr *)&sa, sizeof sa));
    close(s);
    show(sa.sun_path);
    snprintf(p, sizeof p, "%s/file", dir);
    snprintf(q, sizeof q, "%s/hardlink", dir);
    rok("link (no new inode)", link(p, q));
    show(q);
}

static void as_fs(void)
{
    setfsgid(2000);
    setfsuid(1000);
    printf("-- fsuid 1000 fsgid 2000\n");
    make_all("plain");
    make_all("sg");
}

static void as_euid(void)
{
    setgroups(1, (gid_t[]){3000});
    setegid(2000);
    seteuid(1000);
    printf("-- euid 1000 egid 2000, in group 3000\n");
    make_all("plain2");
    make_all("sg2");
    seteuid(0);
    printf("-- back to root\n");
    rok("create as root again", close(open("plain2/rootfile", O_CREAT | O_WRONLY, 0644)));
    show("plain2/rootfile");
}

static void run(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 0;
    }
    umask(0);
    chmod(".", 0755);
    mkdir("plain", 0777);
    mkdir("sg", 0777);
    chown("sg", 0, 3000);
    chmod("sg", 02777);
    mkdir("plain2", 0777);
    mkdir("sg2", 0777);
    chown("sg2", 0, 3000);
    chmod("sg2", 02777);
    run(as_fs);
    run(as_euid);
    return 0;
}
