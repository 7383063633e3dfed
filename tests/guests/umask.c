/* umask returns the old mask and applies to file creation.
 * argv[1]: scratch directory.  The harness starts guests with umask 022. */
#include "common.h"

static void create(const char *name, mode_t mode)
{
    int fd = open(name, O_CREAT | O_EXCL | O_WRONLY, mode);
    struct stat st;
    fstat(fd, &st);
    say("create %s %o -> %o\n", name, mode, st.st_mode & 07777);
    close(fd);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    say("initial umask: %o\n", umask(027));
    say("umask(027) then read: %o\n", umask(027));
    create("f027", 0666);
    say("umask(0) returned: %o\n", umask(0));
    create("f000", 0666);
    create("f000x", 0777);
    say("umask(0xffff) returned: %o\n", umask(0xffff));
    say("masked to 0777: %o\n", umask(022));
    create("f022", 0777);
    say("raw umask: %lo\n", syscall(SYS_umask, 077));
    create("f077", 0666);
    syscall(SYS_umask, 022);
    return 0;
}
