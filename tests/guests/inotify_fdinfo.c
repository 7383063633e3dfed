/* /proc/self/fdinfo of an inotify fd: one "inotify wd:... ino:... sdev:... mask:..." line
 * per watch, newest first, with the inode's file handle. Values that differ between runs
 * are checked here against stat, not printed. argv[1]: scratch dir. */
#include "common.h"
#include <sys/inotify.h>
#include <sys/sysmacros.h>

static void check_line(const char *line, const char *path)
{
    unsigned wd, mask, sdev, hbytes, htype;
    unsigned long ino;
    char hex[300] = "";
    int n = sscanf(line, "inotify wd:%x ino:%lx sdev:%x mask:%x ignored_mask:0 fhandle-bytes:%x "
                   "fhandle-type:%x f_handle:%299s", &wd, &ino, &sdev, &mask, &hbytes, &htype, hex);
    struct stat st;
    stat(path, &st);
    /* the handle's bytes are the host file system's (name_to_handle_at) */
    say("fields %d wd %u mask %#x ino %s sdev %s handle %s\n", n, wd, mask,
        ino == st.st_ino ? "ok" : "BAD",
        sdev == ((major(st.st_dev) << 20) | minor(st.st_dev)) ? "ok" : "BAD",
        n == 7 && hbytes > 0 && strlen(hex) == 2 * hbytes ? "present" : "none");
    (void)htype;
}

int main(int argc, char **argv)
{
    const char *d = argc > 1 ? argv[1] : "/tmp";
    const char *f = path_in(d, "file");
    close(open(f, O_CREAT | O_WRONLY, 0600));
    int ino = inotify_init();
    res("wd dir", inotify_add_watch(ino, d, IN_CREATE | IN_DELETE));
    res("wd file", inotify_add_watch(ino, f, IN_MODIFY | IN_ONESHOT | IN_EXCL_UNLINK));
    char p[64], line[512];
    snprintf(p, sizeof p, "/proc/self/fdinfo/%d", ino);
    FILE *fi = fopen(p, "r");
    int k = 0;
    while (fi && fgets(line, sizeof line, fi))
        if (strncmp(line, "inotify ", 8) == 0)
            check_line(line, k++ == 0 ? f : d);
    if (fi)
        fclose(fi);
    say("watch lines: %d\n", k);
    say("done\n");
    return 0;
}
