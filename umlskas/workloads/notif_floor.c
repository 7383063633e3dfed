/*
 * notif_floor: the C floor for seccomp user-notification redirection (seccomp mode's
 * mechanism, as sysemu_floor is SKAS's).
 * Usage: notif_floor GUEST [ARGS...]       exit status = the guest's
 *
 * Forks; the child sets no_new_privs, installs a filter with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER that allows execve, exit and exit_group and sends
 * every other call to the listener, and execs GUEST. The parent takes the listener with
 * pidfd_getfd (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set where the host has it) and answers
 * each notification: getpid -> 4242, anything else -> -ENOSYS, with poll + RECV + SEND
 * per call, as umlskas's seccomp mode does. Run it pinned to one CPU (taskset -c 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

static void die(const char *what)
{
    perror(what);
    exit(125);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s GUEST [ARGS...]\n", argv[0]);
        return 125;
    }
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 3, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 2, 0),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {sizeof f / sizeof f[0], f};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            die("PR_SET_NO_NEW_PRIVS");
        /* The filter traps write too: report the fd with the pipe before installing. */
        int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                              SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (fd < 0)
            die("seccomp");
        /* From here every call but execve and exit waits for the parent. The listener is
         * close-on-exec: wait in one call (getppid) for the parent to take it (it finds
         * it in /proc/PID/fd; pidfd_getfd) before the exec. */
        syscall(SYS_getppid);
        execv(argv[1], argv + 1);
        _exit(127);
    }
    int listener = -1;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        die("pidfd_open");
    for (int tries = 0; listener < 0 && tries < 100000; tries++) {
        for (int fd = 3; fd < 64 && listener < 0; fd++) {
            char path[64], link[64];
            snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
            ssize_t n = readlink(path, link, sizeof link - 1);
            if (n > 0) {
                link[n] = 0;
                if (strstr(link, "seccomp"))
                    listener = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
            }
        }
        if (listener < 0)
            usleep(100);
    }
    if (listener < 0)
        die("pidfd_getfd");
    /* Linux 6.6; the flags are the argument itself. Without it, as is. */
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);

    struct pollfd pfd = {listener, POLLIN, 0};
    for (;;) {
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (!(pfd.revents & POLLIN))
            break;                      /* POLLHUP: the guest is gone */
        struct seccomp_notif req;
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
            if (errno == ENOENT || errno == EINTR)
                continue;
            die("SECCOMP_IOCTL_NOTIF_RECV");
        }
        struct seccomp_notif_resp resp;
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        if (req.data.nr == SYS_getpid)
            resp.val = 4242;
        else
            resp.error = -ENOSYS;
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
            die("SECCOMP_IOCTL_NOTIF_SEND");
    }
    int status;
    if (waitpid(pid, &status, 0) < 0)
        die("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
