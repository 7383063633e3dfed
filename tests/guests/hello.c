/* build: static static-pie no-pie */
/* argv, envp and the auxiliary vector as the kernel sets them up. */
#include "common.h"
#include <elf.h>
#include <sys/auxv.h>

extern char **environ;
extern void _start(void);

int main(int argc, char **argv)
{
    say("hello, world\n");
    say("argc: %d\n", argc);
    for (int i = 1; i < argc; i++)
        say("argv[%d]: '%s'\n", i, argv[i]);
    say("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "BAD");
    int n = 0;
    for (char **e = environ; *e; e++)
        n++;
    say("env count: %d\n", n);
    const char *a = getenv("A");
    say("env A: %s\n", a ? a : "(unset)");
    say("env B: %s\n", getenv("B") ? getenv("B") : "(unset)");

    say("AT_PAGESZ: %lu\n", getauxval(AT_PAGESZ));
    check("AT_RANDOM set", getauxval(AT_RANDOM) != 0);
    check("AT_PHDR set", getauxval(AT_PHDR) != 0);
    say("AT_PHENT: %lu\n", getauxval(AT_PHENT));
    check("AT_PHNUM > 0", getauxval(AT_PHNUM) > 0);
    check("AT_ENTRY is _start", getauxval(AT_ENTRY) == (unsigned long)&_start);
    say("AT_SECURE: %lu\n", getauxval(AT_SECURE));
    check("AT_UID == getuid", getauxval(AT_UID) == getuid());
    check("AT_EUID == geteuid", getauxval(AT_EUID) == geteuid());
    check("AT_GID == getgid", getauxval(AT_GID) == getgid());
    check("AT_EGID == getegid", getauxval(AT_EGID) == getegid());
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    check("AT_EXECFN == argv[0]", execfn && !strcmp(execfn, argv[0]));
    check("AT_CLKTCK > 0", getauxval(AT_CLKTCK) > 0);
    /* the stack is 16-byte aligned at main (ABI), argv lies above it */
    volatile char here;
    check("argv above locals", (uintptr_t)argv > (uintptr_t)&here);
    return 0;
}
