/* AF_UNIX socket/bind/listen/connect/accept on abstract names and paths;
 * other families.  argv[1]: scratch directory prepared by the test. */
#include "common.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static socklen_t mkaddr(struct sockaddr_un *a, const char *path, int abstract)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path + (abstract ? 1 : 0), path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + (abstract ? 1 : 1);
}

static void run(const char *label, const char *path, int abstract)
{
    struct sockaddr_un a, b;
    char buf[64];
    say("== %s\n", label);
    socklen_t len = mkaddr(&a, path, abstract);
    int c0 = socket(AF_UNIX, SOCK_STREAM, 0);
    res("connect nobody", connect(c0, (struct sockaddr *)&a, len));
    close(c0);
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    rok("socket", l);
    res("listen unbound", listen(l, 5));
    res("bind", bind(l, (struct sockaddr *)&a, len));
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    res("bind again", bind(l2, (struct sockaddr *)&a, len));
    close(l2);
    if (!abstract) {
        struct stat st;
        stat(path, &st);
        say("socket file: %d mode %o\n", S_ISSOCK(st.st_mode), st.st_mode & 0777);
    }
    socklen_t bl = sizeof b;
    getsockname(l, (struct sockaddr *)&b, &bl);
    say("getsockname len %u same %d\n", bl, bl == len && memcmp(&a, &b, bl) == 0);
    res("accept before listen", accept(l, NULL, NULL));
    res("listen", listen(l, 5));
    int fl = fcntl(l, F_GETFL);
    fcntl(l, F_SETFL, fl | O_NONBLOCK);
    res("accept empty", accept(l, NULL, NULL));
    fcntl(l, F_SETFL, fl);
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, len) != 0) {
            printf("child connect: %s\n", ename(errno));
            _exit(1);
        }
        socklen_t pl = sizeof b;
        getpeername(c, (struct sockaddr *)&b, &pl);
        int same = pl == len && memcmp(&a, &b, pl) == 0;
        write(c, "ping", 4);
        long n = read(c, buf, sizeof buf);
        printf("child peer len %u same %d\n", pl, same);
        printf("child got %.*s\n", (int)n, buf);
        fflush(stdout);
        _exit(0);
    }
    socklen_t pl = sizeof b;
    int s = accept4(l, (struct sockaddr *)&b, &pl, SOCK_CLOEXEC);
    rok("accept4", s);
    say("accepted peer len %u fd flags %d\n", pl, fcntl(s, F_GETFD));
    long n = read(s, buf, sizeof buf);
    print_escaped("server read", buf, n);
    write(s, "pong", 4);
    int st;
    waitpid(pid, &st, 0);
    say("child exit %d\n", WEXITSTATUS(st));
    close(s);
    close(l);
    if (!abstract)
        res("unlink", unlink(path));
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    say("== families\n");
    res("AF_NETLINK-ish bad family", socket(12345, SOCK_STREAM, 0));
    res("unix bad type", socket(AF_UNIX, 77, 0));
    res("unix rdm", socket(AF_UNIX, SOCK_RDM, 0));
    res("unix bad proto", socket(AF_UNIX, SOCK_STREAM, 3));
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    char buf[8];
    res("read unconnected", read(u, buf, 8));
    res("send unconnected", send(u, "x", 1, MSG_NOSIGNAL));
    struct sockaddr_un a;
    socklen_t len = mkaddr(&a, "missing", 0);
    res("connect missing path", connect(u, (struct sockaddr *)&a, len));
    len = mkaddr(&a, "data.txt", 0);
    res("connect regular file", connect(u, (struct sockaddr *)&a, len));
    close(u);
    char name[64];
    snprintf(name, sizeof name, "umlskas-ipc-%010d", (int)getpid());
    run("abstract", name, 1);
    run("path", "sock", 0);
    return 0;
}
