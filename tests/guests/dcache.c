/* Repeated lookups of the same absolute paths stay right after the guest changes a
 * directory on the way: renamed, swapped for a symlink, removed and made again,
 * replaced by a file, chmod'ed, renamed by another process. (The kernel's dentry
 * cache serves such lookups; see vfs.py. Host-side changes: tests/unit/test_dcache.py.) */
#include "common.h"
#include <sys/wait.h>

static const char *dir;

static const char *P(const char *name)
{
    return path_in(dir, name);
}

static void put(const char *name, const char *text)
{
    int fd = open(P(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) < 0)
        say("put %s: %s\n", name, ename(errno));
    if (fd >= 0)
        close(fd);
}

static void show(const char *label, const char *name)
{
    char buf[32] = "";
    for (int i = 0; i < 3; i++) {          /* the same name three times: cached after one */
        int fd = open(P(name), O_RDONLY);
        if (fd < 0) {
            say("%s: open %s\n", label, ename(errno));
            return;
        }
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
    }
    struct stat st;
    int r = stat(P(name), &st);
    say("%s: \"%s\" stat %s\n", label, buf, r == 0 ? "ok" : ename(errno));
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    dir = argv[1];
    mkdir(P("a"), 0755);
    mkdir(P("a/b"), 0755);
    put("a/b/f", "one");
    show("first", "a/b/f");
    show("again", "a/b/f");

    res("rename a a2", rename(P("a"), P("a2")));
    show("old name after rename", "a/b/f");
    show("new name after rename", "a2/b/f");

    mkdir(P("c"), 0755);
    mkdir(P("c/b"), 0755);
    put("c/b/f", "two");
    res("symlink c a", symlink("c", P("a")));
    show("through a symlink in its place", "a/b/f");

    res("unlink a", unlink(P("a")));
    res("rename a2 a", rename(P("a2"), P("a")));
    show("moved back", "a/b/f");

    res("unlink a/b/f", unlink(P("a/b/f")));
    res("rmdir a/b", rmdir(P("a/b")));
    show("removed", "a/b/f");
    mkdir(P("a/b"), 0755);
    put("a/b/f", "three");
    show("made again", "a/b/f");

    res("rename a/b a/b2", rename(P("a/b"), P("a/b2")));
    show("inner renamed, old", "a/b/f");
    show("inner renamed, new", "a/b2/f");
    put("a/b", "file");
    show("a file in its place", "a/b/f");

    res("chmod a 0", chmod(P("a"), 0));
    show("search permission gone (root searches anyway)", "a/b2/f");
    res("chmod a 755", chmod(P("a"), 0755));

    pid_t child = fork();
    if (child == 0) {
        _exit(rename(P("a"), P("moved")) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    say("child renamed a: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    show("after another process renamed it, old", "a/b2/f");
    show("after another process renamed it, new", "moved/b2/f");

    res("rmdir moved/b2 (not empty)", rmdir(P("moved/b2")));
    res("unlink moved/b2/f", unlink(P("moved/b2/f")));
    res("rmdir moved/b2", rmdir(P("moved/b2")));
    show("directory gone", "moved/b2/f");
    return 0;
}
