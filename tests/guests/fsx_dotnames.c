/* "." and ".." as the last component of rmdir, unlinkat, rename, unlink, mkdir, link,
 * symlink and mknod: Linux's LAST_DOT/LAST_DOTDOT answers, and nothing removed or moved. */
#include "common.h"
#include <dirent.h>
#include <linux/fs.h>

static void listing(const char *label, const char *dir)
{
    DIR *d = opendir(dir);
    char names[1024] = "";
    int count = 0;
    struct dirent *e;
    if (!d) {
        say("%s: gone\n", label);
        return;
    }
    while ((e = readdir(d)))
        count++;
    closedir(d);
    struct stat st;
    say("%s: %d entries%s\n", label, count,
        stat(path_in(dir, "sub"), &st) == 0 ? " (sub present)" : "");
    (void)names;
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    mkdir("d", 0755);
    mkdir("d/sub", 0755);
    mkdir("e", 0755);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);

    say("== rmdir\n");
    res("rmdir d/.", rmdir("d/."));
    res("rmdir d/sub/.", rmdir("d/sub/."));
    res("rmdir d/sub/./", rmdir("d/sub/./"));
    res("rmdir d/..", rmdir("d/.."));
    res("rmdir d/sub/..", rmdir("d/sub/.."));
    res("rmdir e/..", rmdir("e/.."));
    res("rmdir .", rmdir("."));
    res("rmdir ..", rmdir(".."));
    res("rmdir d/./sub/.", rmdir("d/./sub/."));
    res("rmdir /", rmdir("/"));
    res("rmdir missing/.", rmdir("missing/."));
    res("rmdir d/sub/./.", rmdir("d/sub/./."));
    res("unlinkat REMOVEDIR .", unlinkat(dfd, ".", AT_REMOVEDIR));
    res("unlinkat REMOVEDIR ..", unlinkat(dfd, "..", AT_REMOVEDIR));
    res("unlinkat REMOVEDIR sub/.", unlinkat(dfd, "sub/.", AT_REMOVEDIR));
    res("unlinkat .", unlinkat(dfd, ".", 0));
    res("unlinkat ..", unlinkat(dfd, "..", 0));
    res("unlink d/.", unlink("d/."));
    res("unlink d/..", unlink("d/.."));
    listing("d after rmdir", "d");

    say("== rename\n");
    res("rename d/. e2", rename("d/.", "e2"));
    res("rename d/sub/. e2", rename("d/sub/.", "e2"));
    res("rename d/.. e2", rename("d/..", "e2"));
    res("rename e d/..", rename("e", "d/.."));
    res("rename e d/sub/.", rename("e", "d/sub/."));
    res("rename e d/.", rename("e", "d/."));
    res("rename d/. d/.", rename("d/.", "d/."));
    res("rename missing/. e2", rename("missing/.", "e2"));
    res("renameat2 NOREPLACE e d/.", syscall(SYS_renameat2, AT_FDCWD, "e", AT_FDCWD, "d/.",
                                             RENAME_NOREPLACE));
    res("renameat2 NOREPLACE d/. e2", syscall(SYS_renameat2, AT_FDCWD, "d/.", AT_FDCWD, "e2",
                                              RENAME_NOREPLACE));
    res("renameat2 EXCHANGE e d/sub/.", syscall(SYS_renameat2, AT_FDCWD, "e", AT_FDCWD,
                                                "d/sub/.", RENAME_EXCHANGE));
    res("renameat . ../x", renameat(dfd, ".", dfd, "x"));
    res("renameat sub/.. x", renameat(dfd, "sub/..", dfd, "x"));
    listing("d after rename", "d");
    listing("e after rename", "e");
    struct stat st;
    res("e2 exists", stat("e2", &st));

    say("== create\n");
    res("mkdir d/.", mkdir("d/.", 0755));
    res("mkdir d/..", mkdir("d/..", 0755));
    res("mkdir d/sub/.", mkdir("d/sub/.", 0755));
    res("mkdir missing/.", mkdir("missing/.", 0755));
    res("symlink x d/.", symlink("x", "d/."));
    res("symlink x d/..", symlink("x", "d/.."));
    res("mknod d/.", mknod("d/.", S_IFIFO | 0600, 0));
    res("mkfifo d/..", mkfifo("d/..", 0600));
    close(open("f", O_CREAT | O_WRONLY, 0600));
    res("link f d/.", link("f", "d/."));
    res("link d/. l", link("d/.", "l"));
    res("open d/. O_CREAT", open("d/.", O_CREAT | O_WRONLY, 0600));
    res("open d/. O_CREAT|O_EXCL", open("d/.", O_CREAT | O_EXCL | O_WRONLY, 0600));
    res("open d/.. O_CREAT rdonly", open("d/..", O_CREAT | O_RDONLY, 0600) >= 0 ? 0 : -1);
    listing("d at end", "d");
    return 0;
}
