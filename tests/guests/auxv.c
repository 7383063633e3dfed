/* /proc/self/auxv holds what exec placed: the same values getauxval() reads from
 * the stack, ending with AT_NULL. */
/* build: static */
#include "common.h"
#include <elf.h>
#include <sys/auxv.h>

int main(void)
{
    static const unsigned long keys[] = {AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY,
                                         AT_UID, AT_EUID, AT_GID, AT_EGID, AT_RANDOM, AT_EXECFN};
    unsigned long v[2], seen[64][2];
    int n = 0, fd = open("/proc/self/auxv", O_RDONLY), ended = 0;
    rok("open /proc/self/auxv", fd);
    while (n < 64 && read(fd, v, 16) == 16) {
        if (v[0] == AT_NULL) {
            ended = 1;
            break;
        }
        seen[n][0] = v[0];
        seen[n][1] = v[1];
        n++;
    }
    printf("ends with AT_NULL: %d\n", ended);
    for (unsigned k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        int found = 0;
        for (int i = 0; i < n; i++)
            if (seen[i][0] == keys[k])
                found = 1 + (seen[i][1] == getauxval(keys[k]));
        printf("key %lu: %s\n", keys[k], found == 2 ? "same as getauxval" : found ? "DIFFERENT" : "absent");
    }
    struct stat st;
    stat("/proc/self/auxv", &st);
    printf("mode %o\n", st.st_mode & 0777);
    return 0;
}
