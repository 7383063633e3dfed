/* O_TMPFILE, linkat(AT_EMPTY_PATH) and through /proc/self/fd, reopening an unlinked
 * file through its /proc/self/fd link. argv[1]: scratch directory. */
#include "common.h"

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    char link[64], target[256] = {0}, buf[16] = {0};
    int fd = open(".", O_TMPFILE | O_RDWR, 0640);
    rok("O_TMPFILE", fd);
    res("write", write(fd, "abc", 3));
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    readlink(link, target, sizeof target - 1);
    printf("link ends with (deleted): %d\n", strstr(target, " (deleted)") != NULL);
    struct stat st;
    fstat(fd, &st);
    printf("nlink %ld mode %o\n", (long)st.st_nlink, st.st_mode & 07777);
    res("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
    res("linkat through /proc", linkat(AT_FDCWD, link, AT_FDCWD, "named2", AT_SYMLINK_FOLLOW));
    res("linkat onto an existing name", linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
    stat("named2", &st);
    printf("named2: size %ld nlink %ld\n", (long)st.st_size, (long)st.st_nlink);
    res("O_TMPFILE read-only", open(".", O_TMPFILE | O_RDONLY, 0600));
    res("O_TMPFILE on a file", open("named", O_TMPFILE | O_RDWR, 0600));
    res("O_TMPFILE missing dir", open("nodir", O_TMPFILE | O_RDWR, 0600));
    int excl = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600);
    rok("O_TMPFILE|O_EXCL", excl);
    snprintf(link, sizeof link, "/proc/self/fd/%d", excl);
    res("linkat of an O_EXCL tmpfile", linkat(AT_FDCWD, link, AT_FDCWD, "named3", AT_SYMLINK_FOLLOW));

    int f = open("gone", O_CREAT | O_RDWR, 0600);
    write(f, "still here", 10);
    unlink("gone");
    snprintf(link, sizeof link, "/proc/self/fd/%d", f);
    int again = open(link, O_RDONLY);
    rok("reopen an unlinked file through /proc/self/fd", again);
    res("read it", read(again, buf, sizeof buf - 1));
    printf("content: %s\n", buf);
    return 0;
}
