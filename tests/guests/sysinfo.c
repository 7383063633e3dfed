/* sysinfo: sane values, EFAULT. */
#include "common.h"
#include <sys/sysinfo.h>

int main(void)
{
    struct sysinfo si;
    memset(&si, 0xff, sizeof si);
    res("sysinfo", syscall(SYS_sysinfo, &si));
    check("uptime > 0", si.uptime > 0);
    check("mem_unit >= 1", si.mem_unit >= 1);
    check("totalram > 0", si.totalram > 0);
    check("totalram >= 16MB", (unsigned long long)si.totalram * si.mem_unit >= (16ULL << 20));
    check("freeram <= totalram", si.freeram <= si.totalram);
    check("bufferram <= totalram", si.bufferram <= si.totalram);
    check("sharedram <= totalram", si.sharedram <= si.totalram);
    check("freeswap <= totalswap", si.freeswap <= si.totalswap);
    check("procs >= 1", si.procs >= 1);
    check("totalhigh 0 on x86-64", si.totalhigh == 0 && si.freehigh == 0);
    struct sysinfo s2;
    sysinfo(&s2);
    check("glibc sysinfo same totalram", s2.totalram == si.totalram);
    res("sysinfo bad pointer", syscall(SYS_sysinfo, BADPTR));
    res("sysinfo NULL", syscall(SYS_sysinfo, NULL));
    return 0;
}
