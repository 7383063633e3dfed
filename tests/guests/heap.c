/* build: static static-pie no-pie */
/* malloc/realloc/free/calloc (brk and mmap under the hood) and a deep stack. */
#include "common.h"

static unsigned long recurse(int depth, unsigned long acc)
{
    volatile char pad[2048];
    pad[0] = (char)depth;
    pad[sizeof pad - 1] = (char)(depth >> 8);
    if (depth == 0)
        return acc;
    return recurse(depth - 1, acc * 31 + (unsigned char)pad[0] + (unsigned char)pad[sizeof pad - 1]);
}

static int cmp(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    /* many small allocations */
    enum { N = 20000 };
    static char *ptrs[N];
    unsigned long sum = 0;
    for (int i = 0; i < N; i++) {
        ptrs[i] = malloc(1 + (i * 37) % 500);
        memset(ptrs[i], i & 0xff, 1 + (i * 37) % 500);
    }
    for (int i = 0; i < N; i++) {
        sum += (unsigned char)ptrs[i][(i * 37) % 500];
        if (i % 2)
            free(ptrs[i]);
    }
    for (int i = 0; i < N; i += 2)
        free(ptrs[i]);
    say("small alloc checksum: %lu\n", sum);

    /* large allocations go through mmap */
    size_t big = 64 << 20;
    unsigned char *b = malloc(big);
    check("malloc 64MB", b != NULL);
    for (size_t off = 0; off < big; off += 4096)
        b[off] = (unsigned char)(off >> 12);
    sum = 0;
    for (size_t off = 0; off < big; off += 4096)
        sum += b[off];
    say("big alloc checksum: %lu\n", sum);
    free(b);

    unsigned *c = calloc(1 << 20, sizeof *c);
    int zero = 1;
    for (int i = 0; i < (1 << 20); i++)
        if (c[i])
            zero = 0;
    check("calloc zeroed", zero);
    free(c);

    /* realloc growth preserves contents */
    unsigned *r = NULL;
    size_t n = 0;
    for (int round = 0; round < 16; round++) {
        size_t nn = n * 2 + 3;
        r = realloc(r, nn * sizeof *r);
        for (size_t i = n; i < nn; i++)
            r[i] = (unsigned)(i * 2654435761u);
        n = nn;
    }
    int okr = 1;
    for (size_t i = 0; i < n; i++)
        if (r[i] != (unsigned)(i * 2654435761u))
            okr = 0;
    check("realloc preserves", okr);
    qsort(r, n, sizeof *r, cmp);
    int sorted = 1;
    for (size_t i = 1; i < n; i++)
        if (r[i - 1] > r[i])
            sorted = 0;
    check("qsort", sorted);
    say("realloc elements: %zu\n", n);
    free(r);

    /* about 4 MB of stack (default limit is 8 MB) */
    say("recursion: %lu\n", recurse(2000, 7));
    return 0;
}
