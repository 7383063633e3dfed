/* O_ASYNC: SIGIO (or the F_SETSIG signal with si_code, si_band, si_fd) when a pipe, a FIFO
 * or an AF_UNIX socket becomes readable or writable; F_SETFL and FIOASYNC; dup'ed fds share
 * the owner; no owner, no signal. Signals are blocked and taken with sigtimedwait, so each
 * step reports exactly what was queued. argv[1]: a scratch directory. */
#include "common.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define RT (SIGRTMIN + 1)

static sigset_t set;

static const char *code_name(int code)
{
    switch (code) {
    case SI_KERNEL: return "SI_KERNEL";
    case POLL_IN: return "POLL_IN";
    case POLL_OUT: return "POLL_OUT";
    case POLL_HUP: return "POLL_HUP";
    case POLL_ERR: return "POLL_ERR";
    case POLL_MSG: return "POLL_MSG";
    case SI_SIGIO: return "SI_SIGIO";
    default: return "other";
    }
}

/* every signal queued now, in order */
static void take(const char *label, int fd_a, int fd_b)
{
    struct timespec zero = {0, 0};
    siginfo_t si;
    int n = 0;
    for (;;) {
        int s = sigtimedwait(&set, &si, &zero);
        if (s < 0)
            break;
        n++;
        const char *fdn = si.si_fd == fd_a ? "a" : si.si_fd == fd_b ? "b" : "?";
        if (s == SIGIO && si.si_code == SI_KERNEL)
            say("%s: SIGIO SI_KERNEL\n", label);
        else
            say("%s: %s %s band %#lx fd %s\n", label, s == SIGIO ? "SIGIO" : s == RT ? "RT" :
                s == SIGUSR1 ? "SIGUSR1" : "sig?", code_name(si.si_code), (long)si.si_band, fdn);
    }
    if (!n)
        say("%s: none\n", label);
}

static void async_on(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}

int main(int argc, char **argv)
{
    int p[2], on = 1;
    char buf[256];
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigaddset(&set, RT);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    setpgid(0, 0);

    pipe(p);
    async_on(p[0]);
    write(p[1], "x", 1);
    take("no owner", p[0], p[1]);
    fcntl(p[0], F_SETOWN, getpid());
    write(p[1], "x", 1);
    take("pipe write, SIGIO", p[0], p[1]);
    write(p[1], "x", 1);
    write(p[1], "x", 1);
    take("two writes", p[0], p[1]);
    fcntl(p[0], F_SETSIG, RT);
    write(p[1], "xy", 2);
    take("pipe write, F_SETSIG", p[0], p[1]);
    write(p[1], "x", 1);
    write(p[1], "x", 1);
    take("two writes rt", p[0], p[1]);
    read(p[0], buf, sizeof buf);
    take("read on read end", p[0], p[1]);
    fcntl(p[0], F_SETSIG, SIGIO);
    write(p[1], "x", 1);
    take("F_SETSIG SIGIO", p[0], p[1]);
    fcntl(p[0], F_SETSIG, SIGUSR1);
    write(p[1], "x", 1);
    take("F_SETSIG SIGUSR1", p[0], p[1]);
    fcntl(p[0], F_SETSIG, RT);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_ASYNC);
    write(p[1], "x", 1);
    take("O_ASYNC off", p[0], p[1]);

    /* the write end: reads make room */
    fcntl(p[1], F_SETOWN, getpid());
    fcntl(p[1], F_SETSIG, RT);
    res("FIOASYNC", ioctl(p[1], FIOASYNC, &on));
    res("getfl has O_ASYNC", !!(fcntl(p[1], F_GETFL) & O_ASYNC));
    read(p[0], buf, sizeof buf);
    take("read, writer async", p[0], p[1]);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    read(p[0], buf, sizeof buf);
    take("empty read EAGAIN, writer async", p[0], p[1]);
    write(p[1], "x", 1);
    take("write, only writer async", p[0], p[1]);

    /* closing the other end */
    async_on(p[0]);
    close(p[1]);
    take("close write end", p[0], p[1]);
    close(p[0]);

    /* si_fd is the fd O_ASYNC was turned on through */
    pipe(p);
    int d = dup(p[0]);
    fcntl(d, F_SETOWN, getpid());
    fcntl(p[0], F_SETSIG, RT);
    async_on(d);
    write(p[1], "x", 1);
    say("dup fd: %s\n", d != p[0] ? "other" : "BAD");
    take("async via dup", d, p[1]);
    close(d);
    write(p[1], "x", 1);
    take("dup closed, original open", p[0], p[1]);
    close(p[0]);
    close(p[1]);

    /* a child owns the description: it gets the signal, not us */
    pipe(p);
    async_on(p[0]);
    fcntl(p[0], F_SETSIG, RT);
    int ready[2];
    pipe(ready);
    pid_t child = fork();
    if (child == 0) {
        fcntl(p[0], F_SETOWN, getpid());
        write(ready[1], "r", 1);
        siginfo_t si;
        struct timespec ts = {10, 0};
        int s = sigtimedwait(&set, &si, &ts);
        say("child got: %s %s\n", s == RT ? "RT" : "other", code_name(si.si_code));
        _exit(0);
    }
    read(ready[0], buf, 1);
    write(p[1], "x", 1);
    waitpid(child, NULL, 0);
    take("parent after child owner", p[0], p[1]);
    /* a process group owner */
    fcntl(p[0], F_SETOWN, -getpgrp());
    write(p[1], "x", 1);
    take("pgrp owner", p[0], p[1]);
    close(p[0]);
    close(p[1]);

    /* AF_UNIX stream socket pair */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    fcntl(sv[0], F_SETOWN, getpid());
    fcntl(sv[0], F_SETSIG, RT);
    res("socket FIOASYNC", ioctl(sv[0], FIOASYNC, &on));
    write(sv[1], "hello", 5);
    take("socket data", sv[0], sv[1]);
    read(sv[0], buf, sizeof buf);
    take("socket read", sv[0], sv[1]);
    close(sv[1]);
    take("socket peer closed", sv[0], sv[1]);
    close(sv[0]);
    /* the peer's shutdown: SHUT_RD says nothing, SHUT_WR POLL_IN, SHUT_RDWR POLL_HUP */
    for (int how = 0; how < 3; how++) {
        char label[32];
        socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        fcntl(sv[0], F_SETOWN, getpid());
        fcntl(sv[0], F_SETSIG, RT);
        fcntl(sv[0], F_SETFL, O_ASYNC);
        shutdown(sv[1], how);
        snprintf(label, sizeof label, "peer shutdown %d", how);
        take(label, sv[0], sv[1]);
        shutdown(sv[0], how);
        snprintf(label, sizeof label, "own shutdown %d", how);
        take(label, sv[0], sv[1]);
        close(sv[0]);
        close(sv[1]);
    }

    /* a full stream socket: room after reads is POLL_OUT, once (SOCKWQ_ASYNC_NOSPACE) */
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
    fcntl(sv[0], F_SETOWN, getpid());
    fcntl(sv[0], F_SETSIG, RT);
    fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK);
    {
        static char big[4096];
        long r;
        while ((r = write(sv[0], big, sizeof big)) > 0)
            ;
        say("socket filled: %s\n", ename(errno));
        take("socket full", sv[0], sv[1]);
        int outs = 0, others = 0;
        struct timespec zero = {0, 0};
        siginfo_t si;
        while (read(sv[1], buf, sizeof buf) > 0)
            while (sigtimedwait(&set, &si, &zero) > 0) {
                if (si.si_code == POLL_OUT && si.si_fd == sv[0])
                    outs++;
                else
                    others++;
            }
        say("socket drained: POLL_OUT %d, other %d\n", outs, others);
        write(sv[0], "x", 1);
        read(sv[1], buf, sizeof buf);
        take("small write and read", sv[0], sv[1]);
    }
    close(sv[0]);
    close(sv[1]);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    fcntl(sv[0], F_SETOWN, getpid());
    async_on(sv[0]);
    send(sv[1], "d", 1, 0);
    take("dgram data", sv[0], sv[1]);
    close(sv[0]);
    close(sv[1]);

    /* a listening AF_UNIX socket: a connection makes it readable */
    if (argc > 1) {
        struct sockaddr_un {
            unsigned short family;
            char path[108];
        } addr = {AF_UNIX, ""};
        snprintf(addr.path, sizeof addr.path, "%s", path_in(argv[1], "sock"));
        int l = socket(AF_UNIX, SOCK_STREAM, 0);
        bind(l, (void *)&addr, sizeof addr);
        listen(l, 4);
        fcntl(l, F_SETOWN, getpid());
        fcntl(l, F_SETSIG, RT);
        async_on(l);
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        res("connect", connect(c, (void *)&addr, sizeof addr));
        take("listener on connect", l, c);
        int a = accept(l, NULL, NULL);
        take("accept", l, c);
        close(a);
        close(c);
        close(l);
    }

    /* a FIFO */
    if (argc > 1) {
        const char *f = path_in(argv[1], "fifo");
        mkfifo(f, 0600);
        int r = open(f, O_RDONLY | O_NONBLOCK);
        int w = open(f, O_WRONLY);
        fcntl(r, F_SETOWN, getpid());
        fcntl(r, F_SETSIG, RT);
        async_on(r);
        write(w, "x", 1);
        take("fifo write", r, w);
        close(w);
        take("fifo writer closed", r, w);
        close(r);
    }

    /* a regular file has no fasync: F_SETFL takes O_ASYNC, FIOASYNC does not */
    int reg = open(argc > 1 ? path_in(argv[1], "reg") : "/dev/null", O_RDWR | O_CREAT, 0600);
    res("regular F_SETFL O_ASYNC", fcntl(reg, F_SETFL, O_ASYNC));
    res("regular getfl O_ASYNC", !!(fcntl(reg, F_GETFL) & O_ASYNC));
    int off = 0;
    res("regular FIOASYNC off", ioctl(reg, FIOASYNC, &off));
    res("regular FIOASYNC on", ioctl(reg, FIOASYNC, &on));
    res("FIOASYNC badptr", ioctl(reg, FIOASYNC, BADPTR));
    say("done\n");
    return 0;
}
