/* RLIMIT_FSIZE (fs/read_write.c generic_write_check_limits, fs/attr.c
 * inode_newsize_ok): a write that starts below the limit is shortened to it, one
 * at or past it fails with EFBIG and raises SIGXFSZ; truncate/ftruncate/fallocate
 * growing past it likewise, shrinking never; pipes are not limited; SIGXFSZ's
 * default action ends the writer.  argv[1]: scratch directory. */
#include "common.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>

static volatile int xfsz;

static void on_xfsz(int sig)
{
    (void)sig;
    xfsz++;
}

static char buf[16384];

static void sigs(const char *label)
{
    say("%s: SIGXFSZ %d\n", label, xfsz);
    xfsz = 0;
}

static long size_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    memset(buf, 'x', sizeof buf);
    signal(SIGXFSZ, on_xfsz);
    struct rlimit rl = {10000, RLIM_INFINITY};
    res("setrlimit FSIZE 10000", setrlimit(RLIMIT_FSIZE, &rl));

    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
    res("write 8000", write(fd, buf, 8000));
    res("write 5000 (shortened)", write(fd, buf, 5000));
    sigs("after shortened write");
    res("write 1 at the limit", write(fd, buf, 1));
    sigs("after write at the limit");
    res("write 0 at the limit", write(fd, buf, 0));
    sigs("after empty write");
    say("size: %ld\n", size_of(fd));
    res("pwrite 10 at 9995", pwrite(fd, buf, 10, 9995));
    res("pwrite 10 at 10000", pwrite(fd, buf, 10, 10000));
    res("pwrite 10 at 50000", pwrite(fd, buf, 10, 50000));
    sigs("after pwrites");
    struct iovec iov[2] = {{buf, 3000}, {buf, 3000}};
    lseek(fd, 6000, SEEK_SET);
    res("writev 6000 at 6000", writev(fd, iov, 2));
    res("pwritev 6000 at 9000", pwritev(fd, iov, 2, 9000));
    res("pwritev 6000 at 12000", pwritev(fd, iov, 2, 12000));
    sigs("after writev");
    lseek(fd, 20000, SEEK_SET);
    res("write after lseek past the limit", write(fd, buf, 10));
    sigs("after lseek write");

    int ap = open("f", O_WRONLY | O_APPEND);
    res("O_APPEND write at size 10000", write(ap, buf, 10));
    sigs("after append write");
    close(ap);

    res("ftruncate 5000 (shrink)", ftruncate(fd, 5000));
    res("ftruncate 10000 (= limit)", ftruncate(fd, 10000));
    res("ftruncate 10001", ftruncate(fd, 10001));
    sigs("after ftruncates");
    res("truncate 20000", truncate("f", 20000));
    res("truncate 3000", truncate("f", 3000));
    sigs("after truncates");
    res("fallocate 0..20000", fallocate(fd, 0, 0, 20000));
    sigs("after fallocate");
    res("fallocate KEEP_SIZE 0..20000", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 20000));
    res("fallocate 0..9000", fallocate(fd, 0, 0, 9000));
    sigs("after other fallocates");
    say("size: %ld\n", size_of(fd));

    int src = open("src", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(src, buf, 4000);
    off_t in = 0, out = 8000;
    res("sendfile 4000 to 8000 (shortened)", sendfile(fd, src, &in, 4000) >= 0 ? 0 : -1);
    lseek(fd, 8000, SEEK_SET);
    in = 0;
    res("sendfile 4000 at 8000", sendfile(fd, src, &in, 4000));
    res("sendfile at the limit", sendfile(fd, src, &in, 4000));
    sigs("after sendfile");
    in = 0;
    res("copy_file_range to 9500", copy_file_range(src, &in, fd, &out, 4000, 0) >= 0 ? 0 : -1);
    in = 0;
    out = 9500;
    res("copy_file_range 4000 at 9500", copy_file_range(src, &in, fd, &out, 4000, 0));
    out = 10000;
    res("copy_file_range at the limit", copy_file_range(src, &in, fd, &out, 4000, 0));
    sigs("after copy_file_range");
    say("size: %ld\n", size_of(fd));

    int p[2];
    if (pipe(p) == 0) {
        res("pipe write 12000", write(p[1], buf, 12000));
        sigs("after pipe write");
    }
    int null = open("/dev/null", O_WRONLY);
    res("/dev/null write 12000", write(null, buf, 12000));
    sigs("after /dev/null write");

    say("== default action\n");
    pid_t c = fork();
    if (c == 0) {
        signal(SIGXFSZ, SIG_DFL);
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        write(fd, buf, 1);
        pwrite(fd, buf, 1, 20000);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    say("child: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    signal(SIGXFSZ, SIG_IGN);
    res("ignored: pwrite at 20000", pwrite(fd, buf, 1, 20000));
    say("done\n");
    return 0;
}
