/* statmount(2) and listmount(2): the root's children, a mount's own id, parent and
 * type, /proc's type and point, and the errors in Linux's order. Mount tables differ
 * between the host and a guest, so only relations are printed. */
#include "common.h"

struct req { uint32_t size, spare; uint64_t mnt_id, param, ns_id; };
struct sm {
    uint32_t size, mnt_opts;
    uint64_t mask;
    uint32_t dev_major, dev_minor;
    uint64_t magic;
    uint32_t sb_flags, fs_type;
    uint64_t mnt_id, mnt_parent_id;
    uint32_t mnt_id_old, mnt_parent_id_old;
    uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
    uint32_t mnt_root, mnt_point;
    uint64_t mnt_ns_id;
    uint32_t fs_subtype, sb_source, opt_num, opt_array, opt_sec_num, opt_sec_array;
    uint64_t supported_mask;
    char rest[512 - 160];
};
static union { struct sm s; char raw[8192]; } buf;

static long listmount(struct req *r, uint64_t *ids, size_t n, unsigned flags)
{
    return syscall(458, r, ids, n, flags);
}
static long statmount(struct req *r, void *b, size_t n, unsigned flags)
{
    return syscall(457, r, b, n, flags);
}

int main(void)
{
    struct req r = {24, 0, ~0ULL, 0, 0};
    uint64_t ids[512];
    long n = listmount(&r, ids, 512, 0);
    say("listmount root: %s\n", n > 0 ? "some" : "BAD");
    int unique = 1;
    for (long i = 0; i < n; i++)
        if (ids[i] < (1ULL << 31))
            unique = 0;
    say("unique ids: %s\n", unique ? "yes" : "BAD");
    int sorted = 1;
    for (long i = 1; i < n; i++)
        if (ids[i] <= ids[i - 1])
            sorted = 0;
    say("ascending: %s\n", sorted ? "yes" : "BAD");
    long first = n > 0 ? 1 : 0;
    r.param = ids[0];
    long after = listmount(&r, ids + 256, 256, 0);
    say("continuing after the first: %s\n", after == n - first ? "yes" : "BAD");
    r.param = 0;
    long rev = listmount(&r, ids + 256, 256, 1);
    say("reverse count same, last first: %s\n",
        rev == n && ids[256] == ids[n - 1] ? "yes" : "BAD");
    res("listmount bad flags", listmount(&r, ids, 512, 2));
    struct req bad = {16, 0, ~0ULL, 0, 0};
    res("listmount small req", listmount(&bad, ids, 512, 0));
    struct req spare = {24, 1, ~0ULL, 0, 0};
    res("listmount spare", listmount(&spare, ids, 512, 0));
    struct req missing = {24, 0, (1ULL << 31) + 999999, 0, 0};
    res("listmount missing", listmount(&missing, ids, 512, 0));
    res("listmount EFAULT", listmount(BADPTR, ids, 512, 0));

    say("== statmount of /proc\n");
    uint64_t proc_id = 0;
    for (long i = 0; i < n; i++) {
        struct req q = {24, 0, ids[i], 0x20 | 0x10 | 0x2 | 0x1, 0};
        if (statmount(&q, &buf, sizeof buf, 0) == 0 &&
            !strcmp(buf.raw + 512 + buf.s.mnt_point, "/proc")) {
            proc_id = ids[i];
            break;
        }
    }
    say("found /proc: %s\n", proc_id ? "yes" : "BAD");
    struct req q = {24, 0, proc_id, 0x20 | 0x10 | 0x2 | 0x1, 0};
    res("statmount", statmount(&q, &buf, sizeof buf, 0));
    say("mask has all asked: %s\n", (buf.s.mask & 0x33) == 0x33 ? "yes" : "BAD");
    say("type %s point %s magic %#llx id matches %s size fits %s\n",
        buf.raw + 512 + buf.s.fs_type, buf.raw + 512 + buf.s.mnt_point,
        (unsigned long long)buf.s.magic, buf.s.mnt_id == proc_id ? "yes" : "BAD",
        buf.s.size > 512 && buf.s.size < sizeof buf ? "yes" : "BAD");
    res("statmount flags", statmount(&q, &buf, sizeof buf, 1));
    res("statmount buffer too small", statmount(&q, &buf, 100, 0));
    res("statmount strings do not fit", statmount(&q, &buf, 514, 0));
    res("statmount missing", statmount(&missing, &buf, sizeof buf, 0));
    res("statmount EFAULT req", statmount(BADPTR, &buf, sizeof buf, 0));
    return 0;
}
