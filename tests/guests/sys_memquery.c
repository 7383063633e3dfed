/* mincore(2), membarrier(2) and kcmp(2): residency of touched and untouched anonymous
 * pages, the argument checks in Linux's order, barrier registrations, and which kernel
 * objects two processes or threads share. */
#include "common.h"
#include <linux/kcmp.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/wait.h>

#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)
#endif

static long membarrier(int cmd, unsigned flags) { return syscall(SYS_membarrier, cmd, flags, 0); }
static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2)
{
    return syscall(SYS_kcmp, a, b, type, i1, i2);
}
static const char *same(long r) { return r == 0 ? "same" : r == 1 || r == 2 ? "different" : "BAD"; }

static pid_t main_tid;
static void *thread(void *arg)
{
    pid_t me = getpid();
    (void)arg;
    say("thread VM: %s\n", same(kcmp(me, me, KCMP_VM, 0, 0)));
    return NULL;
}

int main(void)
{
    say("== mincore\n");
    unsigned char vec[8];
    char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 1;
    p[2 * PG] = 1;
    memset(vec, 0xEE, sizeof vec);
    res("mincore", mincore(p, 4 * PG, vec));
    say("vec: %d %d %d %d (next byte kept: %s)\n", vec[0] & 1, vec[1] & 1, vec[2] & 1,
        vec[3] & 1, vec[4] == 0xEE ? "yes" : "no");
    res("partial page length", mincore(p, PG + 1, vec));
    res("unaligned", mincore(p + 1, PG, vec));
    res("length 0", mincore(p, 0, vec));
    res("vec EFAULT", mincore(p, PG, BADPTR));
    res("vec read-only", mincore(p, PG, (unsigned char *)main));
    munmap(p + 3 * PG, PG);
    memset(vec, 0xEE, sizeof vec);
    res("range with a hole", mincore(p, 4 * PG, vec));
    say("written before the hole: %s\n", (vec[0] & 1) == 1 && vec[2] != 0xEE ? "yes" : "no");
    res("unmapped", mincore(p + 3 * PG, PG, vec));
    res("beyond user space", mincore((void *)0x7ffffffff000UL, 2 * PG, vec));
    res("kernel address", mincore(KERNPTR, PG, vec));
    char *none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    res("PROT_NONE", mincore(none, PG, vec));
    say("PROT_NONE untouched: %d\n", vec[0] & 1);

    say("== membarrier\n");
    long mask = membarrier(MEMBARRIER_CMD_QUERY, 0);
    say("query (without RSEQ bits): %#lx\n", mask & ~(long)(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ |
        MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ));
    res("query flags", membarrier(MEMBARRIER_CMD_QUERY, 1));
    res("bad cmd", membarrier(3, 0));
    res("bad cmd 1024", membarrier(1024, 0));
    res("global", membarrier(MEMBARRIER_CMD_GLOBAL, 0));
    res("global expedited", membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0));
    res("private unregistered", membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
    res("sync core unregistered", membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0));
    res("registrations", membarrier(MEMBARRIER_CMD_GET_REGISTRATIONS, 0));
    res("register private", membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0));
    res("private", membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
    res("register global", membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0));
    res("registrations", membarrier(MEMBARRIER_CMD_GET_REGISTRATIONS, 0));
    pid_t pid = fork();
    if (pid == 0) {
        res("child registrations", membarrier(MEMBARRIER_CMD_GET_REGISTRATIONS, 0));
        res("child private", membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    say("== kcmp\n");
    pid_t me = getpid();
    int fd = open("/dev/null", O_RDONLY);
    int dupfd = dup(fd);
    int other = open("/dev/null", O_RDONLY);
    say("same fd: %s\n", same(kcmp(me, me, KCMP_FILE, fd, fd)));
    say("dup: %s\n", same(kcmp(me, me, KCMP_FILE, fd, dupfd)));
    say("second open: %s\n", same(kcmp(me, me, KCMP_FILE, fd, other)));
    res("bad fd", kcmp(me, me, KCMP_FILE, fd, 999));
    res("bad type", kcmp(me, me, 99, 0, 0));
    res("no such pid", kcmp(me, 999999, KCMP_VM, 0, 0));
    res("pid 0", kcmp(0, me, KCMP_VM, 0, 0));
    main_tid = me;
    pthread_t th;
    pthread_create(&th, NULL, thread, NULL);
    pthread_join(th, NULL);
    int ep = epoll_create1(0), pfd[2];
    pipe(pfd);
    int pdup = dup(pfd[0]);
    struct epoll_event ev = {EPOLLIN, {0}};
    res("epoll_ctl", epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev));
    struct kcmp_epoll_slot slot = {ep, pfd[0], 0};
    say("epoll target: %s\n", same(kcmp(me, me, KCMP_EPOLL_TFD, pdup, (unsigned long)&slot)));
    say("epoll other: %s\n", same(kcmp(me, me, KCMP_EPOLL_TFD, pfd[1], (unsigned long)&slot)));
    slot.toff = 1;
    res("epoll toff 1", kcmp(me, me, KCMP_EPOLL_TFD, pdup, (unsigned long)&slot));
    slot.tfd = other;
    res("epoll not watched", kcmp(me, me, KCMP_EPOLL_TFD, other, (unsigned long)&slot));
    slot.efd = fd;
    res("epoll not an epoll", kcmp(me, me, KCMP_EPOLL_TFD, other, (unsigned long)&slot));
    res("epoll EFAULT", kcmp(me, me, KCMP_EPOLL_TFD, other, (unsigned long)BADPTR));
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    say("child VM: %s\n", same(kcmp(me, pid, KCMP_VM, 0, 0)));
    say("child FILES: %s\n", same(kcmp(me, pid, KCMP_FILES, 0, 0)));
    say("child FS: %s\n", same(kcmp(me, pid, KCMP_FS, 0, 0)));
    say("child SIGHAND: %s\n", same(kcmp(me, pid, KCMP_SIGHAND, 0, 0)));
    say("child inherited file: %s\n", same(kcmp(me, pid, KCMP_FILE, fd, fd)));
    say("self FILES: %s\n", same(kcmp(me, me, KCMP_FILES, 0, 0)));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}
