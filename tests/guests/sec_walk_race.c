/* A guest walks, stats, opens, lists and executes paths through a directory that
 * something else swaps with a symlink to a directory outside the guest's root, or
 * renames back and forth, while it looks (tests/security/test_host_walk.py).
 * argv[1]: iterations; argv[2..]: paths whose directory is being changed.
 * Every path names a file "secret" whose genuine (inside) copy holds "inside";
 * the canaries outside hold "secret", are 7777 bytes long, and their directory
 * lists a name "canary-outside". Prints how many looks reached a canary: under
 * Linux (and chroot) it is always 0; any errno on the way is fine. */
/* build: static */
#include "common.h"
#include <dirent.h>
#include <sys/wait.h>

static int escapes, looks;

static void check_fd(int fd)
{
    char buf[16] = {0};
    if (pread(fd, buf, sizeof buf - 1, 0) > 0 && strncmp(buf, "secret", 6) == 0)
        escapes++;
}

static void look(const char *path, int round, int dirfd)
{
    struct stat st;
    int fd;
    char dir[4096];
    looks++;
    /* open + read */
    fd = open(path, O_RDONLY);
    if (fd >= 0) {
        check_fd(fd);
        close(fd);
    }
    /* stat and lstat: the canary's size gives it away */
    if (stat(path, &st) == 0 && st.st_size == 7777)
        escapes++;
    if (lstat(path, &st) == 0 && st.st_size == 7777)
        escapes++;
    /* O_PATH, then fstat and a reopen through /proc/self/fd */
    fd = open(path, O_PATH);
    if (fd >= 0) {
        if (fstat(fd, &st) == 0 && st.st_size == 7777)
            escapes++;
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        int fd2 = open(proc, O_RDONLY);
        if (fd2 >= 0) {
            check_fd(fd2);
            close(fd2);
        }
        close(fd);
    }
    /* openat relative to an O_PATH fd of the directory */
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        int dfd = open(dir, O_PATH | O_DIRECTORY);
        if (dfd >= 0) {
            fd = openat(dfd, slash + 1, O_RDONLY);
            if (fd >= 0) {
                check_fd(fd);
                close(fd);
            }
            close(dfd);
        }
        /* the listing */
        DIR *d = opendir(dir);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)))
                if (strcmp(e->d_name, "canary-outside") == 0)
                    escapes++;
            closedir(d);
        }
    }
    if (dirfd >= 0) {
        fd = openat(dirfd, path[0] == '/' ? path + 1 : path, O_RDONLY);
        if (fd >= 0) {
            check_fd(fd);
            close(fd);
        }
    }
    /* execve now and then: the outside "run" (this program without arguments)
     * prints "secret"; the inside one is not executable */
    if (round % 25 == 0 && slash) {
        char prog[4096];
        snprintf(prog, sizeof prog, "%s/run", dir);
        int p[2];
        if (pipe(p) == 0) {
            pid_t pid = fork();
            if (pid == 0) {
                dup2(p[1], 1);
                execl(prog, prog, (char *)NULL);
                _exit(127);
            }
            close(p[1]);
            char buf[16] = {0};
            if (read(p[0], buf, sizeof buf - 1) > 0 && strncmp(buf, "secret", 6) == 0)
                escapes++;
            close(p[0]);
            waitpid(pid, NULL, 0);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc == 1) {          /* run as the outside "run" canary */
        puts("secret");
        return 0;
    }
    if (argc < 3)
        return 2;
    int n = atoi(argv[1]);
    int rootfd = open("/", O_PATH | O_DIRECTORY);
    for (int i = 0; i < n; i++)
        for (int a = 2; a < argc; a++)
            look(argv[a], i, rootfd);
    printf("looks: %d\n", looks);
    printf("escapes: %d\n", escapes);
    return 0;
}
