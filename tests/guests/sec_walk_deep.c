/* Depth is not limited by a host path's length (tests/security/test_host_walk.py):
 * argv[1]: a scratch directory, argv[2]: how deep. Makes that many nested
 * directories with relative mkdir + chdir, uses the bottom one (a file, stat,
 * relative and dirfd-relative opens, a listing, getcwd), then climbs back with
 * chdir("..") and removes them all. getcwd(2) says ENAMETOOLONG once the path
 * no longer fits in PATH_MAX; glibc's getcwd then finds it by climbing "..". */
#include "common.h"
#include <dirent.h>

static int fails;

static void fail(const char *what, int depth)
{
    if (fails++ < 5)
        printf("%s at depth %d: %s\n", what, depth, ename(errno));
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    int n = argc > 2 ? atoi(argv[2]) : 5000;
    static char buf[65536];
    int too_long_at = -1;
    for (int i = 1; i <= n; i++) {
        if (mkdir("d", 0755) != 0)
            fail("mkdir", i);
        if (chdir("d") != 0)
            fail("chdir", i);
        if (too_long_at < 0 && syscall(SYS_getcwd, buf, sizeof buf) < 0) {
            if (errno == ENAMETOOLONG)
                too_long_at = i;
            else
                fail("getcwd", i);
        }
    }
    printf("made %d levels, failures %d\n", n, fails);
    printf("getcwd(2) ENAMETOOLONG from depth: %s\n", too_long_at > 0 ? "some" : "never");
    if (too_long_at > 0) {
        /* the first depth where cwd + NUL > PATH_MAX (4096) */
        size_t base = strlen(argv[1]);
        int expect = (int)((4096 - base + 1) / 2);
        printf("  at the PATH_MAX boundary: %s\n",
               too_long_at == expect || too_long_at == expect + 1 ? "yes" : "BAD");
    }
    char *cwd = getcwd(NULL, 0);
    if (cwd) {
        printf("glibc getcwd length: %zu (%s)\n", strlen(cwd),
               strncmp(cwd, argv[1], strlen(argv[1])) == 0 ? "under the scratch dir" : "BAD");
        free(cwd);
    } else {
        printf("glibc getcwd: -1 %s\n", ename(errno));
    }
    int fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);
    rok("create at the bottom", fd);
    res("write", write(fd, "deep\n", 5));
    close(fd);
    struct stat st;
    rok("stat .", stat(".", &st));
    check("  a directory", S_ISDIR(st.st_mode));
    rok("stat f", stat("f", &st));
    res("  size", st.st_size);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    rok("open . O_DIRECTORY", dfd);
    fd = openat(dfd, "f", O_RDONLY);
    char data[16] = {0};
    res("openat(dirfd) read", read(fd, data, sizeof data - 1));
    printf("  data: %s", data);
    close(fd);
    DIR *d = fdopendir(dup(dfd));
    int seen = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        seen += strcmp(e->d_name, "f") == 0;
    printf("listing has f: %d\n", seen);
    if (d)
        closedir(d);
    int up = openat(dfd, "..", O_PATH | O_DIRECTORY);
    rok("openat(dirfd, ..)", up);
    rok("fstatat(.., d/f)", fstatat(up, "d/f", &st, 0));
    close(up);
    close(dfd);
    /* a relative path longer than PATH_MAX is ENAMETOOLONG, as on Linux */
    static char longpath[8192];
    for (int i = 0; i < 2100; i++)
        memcpy(longpath + 2 * i, "./", 2);
    strcat(longpath, "f");
    rok("stat of a 4201-byte path", stat(longpath, &st));
    rok("unlink f", unlink("f"));
    int bad = 0;
    for (int i = n; i >= 1; i--) {
        if (chdir("..") != 0)
            bad++, fail("chdir ..", i);
        if (rmdir("d") != 0)
            bad++, fail("rmdir", i);
    }
    printf("climbed back, failures %d\n", bad);
    res("nothing left (rmdir d)", rmdir("d"));
    return 0;
}
