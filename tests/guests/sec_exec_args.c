/* Big argument lists (issue 10, item 6): execve with strings larger than the stack
 * mapping, under different RLIMIT_STACKs (unlimited included). Linux allows a quarter
 * of the stack limit (at most 6 MiB, at least 128 KiB) for the strings and their
 * pointers, and 128 KiB for one string; past that execve fails with E2BIG and the
 * caller runs on. Each case runs in a child that sets its limit and execs this
 * program again, which checks what it got and says so. */
#include "common.h"
#include <sys/resource.h>
#include <sys/wait.h>

#define KiB 1024L
#define MiB (1024L * 1024L)

/* The exec'd side: every string must be exactly what was sent. */
static int child_main(int argc, char **argv)
{
    long total = 0;
    int good = 1;
    for (int i = 2; i < argc; i++) {
        size_t n = strlen(argv[i]);
        total += n + 1;
        for (size_t j = 0; j < n; j++)
            if (argv[i][j] != 'a' + (i % 26))
                good = 0;
    }
    long envs = 0;
    for (char **e = environ; *e; e++)
        envs += strlen(*e) + 1;
    /* use some stack: a program must be able to run on what exec left it */
    volatile char buf[256 * 1024];
    buf[0] = 1;
    buf[sizeof buf - 1] = 1;
    printf("  exec'd: argc %d, %ld argument bytes, %ld env bytes, intact %s\n", argc, total,
           envs, good ? "yes" : "BAD");
    return 0;
}

static char *make(long len, int fill)
{
    char *s = malloc(len + 1);
    memset(s, fill, len);
    s[len] = 0;
    return s;
}

/* In a child: set RLIMIT_STACK (0: leave it), then exec ourselves with nargs strings
 * of arglen bytes (plus nenv env strings of envlen bytes). */
static void try_exec(const char *label, rlim_t stack, long nargs, long arglen, long nenv,
                     long envlen)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (stack) {
            struct rlimit rl = {stack, RLIM_INFINITY};
            if (setrlimit(RLIMIT_STACK, &rl) != 0)
                printf("%s: BAD setrlimit\n", label);
        }
        char **argv = calloc(nargs + 3, sizeof *argv);
        argv[0] = "sec_exec_args";
        argv[1] = "child";
        char *cache[26] = {0};
        for (long i = 0; i < nargs; i++) {
            int k = (i + 2) % 26;
            if (!cache[k])
                cache[k] = make(arglen, 'a' + k);
            argv[i + 2] = cache[k];
        }
        char **envp = calloc(nenv + 1, sizeof *envp);
        char *e = make(envlen, 'e');
        if (envlen > 2)
            memcpy(e, "E=", 2);
        for (long i = 0; i < nenv; i++)
            envp[i] = e;
        printf("%s:\n", label);
        fflush(stdout);
        execve("/proc/self/exe", argv, envp);
        printf("  execve: -1 %s\n", ename(errno));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("  BAD child status %#x\n", status);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child"))
        return child_main(argc, argv);
    rlim_t inf = RLIM_INFINITY;
    /* unlimited: 6 MiB for strings and pointers */
    try_exec("unlimited, 10 MiB of arguments", inf, 100, 100 * KiB, 0, 0);
    try_exec("unlimited, 7 MiB of arguments", inf, 70, 100 * KiB, 0, 0);
    try_exec("unlimited, 5 MiB of arguments", inf, 50, 100 * KiB, 0, 0);
    try_exec("unlimited, 5 MiB of arguments and 2 MiB of env", inf, 50, 100 * KiB, 20, 100 * KiB);
    try_exec("unlimited, 800000 empty arguments", inf, 800000, 0, 0, 0);
    try_exec("unlimited, 700000 empty arguments", inf, 700000, 0, 0, 0);
    /* 8 MiB: 2 MiB */
    try_exec("8 MiB, 2.5 MiB of arguments", 8 * MiB, 25, 100 * KiB, 0, 0);
    try_exec("8 MiB, 1.5 MiB of arguments", 8 * MiB, 15, 100 * KiB, 0, 0);
    /* 1 MiB: 256 KiB */
    try_exec("1 MiB, 300 KiB of arguments", MiB, 3, 100 * KiB, 0, 0);
    try_exec("1 MiB, 200 KiB of arguments", MiB, 2, 100 * KiB, 0, 0);
    /* 64 KiB: still 128 KiB (ARG_MAX) */
    try_exec("64 KiB, 100 KiB of arguments", 64 * KiB, 1, 100 * KiB, 0, 0);
    try_exec("64 KiB, 200 KiB of arguments", 64 * KiB, 2, 100 * KiB, 0, 0);
    /* one string: at most 128 KiB with its NUL */
    try_exec("one string of 131071 bytes", inf, 1, 131071, 0, 0);
    try_exec("one string of 131072 bytes", inf, 1, 131072, 0, 0);
    try_exec("one string of 200 KiB", inf, 1, 200 * KiB, 0, 0);
    try_exec("one env string of 200 KiB", inf, 0, 0, 1, 200 * KiB);
    say("still running: yes\n");
    return 0;
}
