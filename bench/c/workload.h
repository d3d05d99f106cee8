/*
 * The workload file the bench Tool writes (Workload.writeForC), read the same way by every C
 * reference, and the timing loop they share: the best of 5 rounds of about a second each.
 *
 * Layout, little-endian: magic "PVWL", bits (32/64), site count, op type count, base address
 * (8), code length (4), the unpatched code; per site: address (8), length (1), type (2),
 * clobbers (2); per op type: kind (1: NOP, 2: native, 3: call), clobbers (2), native length (1),
 * native bytes, call target (8); then the code as Java's pass left it.
 */
#ifndef PVPATCH_BENCH_WORKLOAD_H
#define PVPATCH_BENCH_WORKLOAD_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct site { uint64_t address; uint8_t len; uint16_t type, clobbers; };
struct op { uint8_t kind, native_len; uint16_t clobbers; uint8_t native[32]; uint64_t target; };
struct workload {
    int bits;
    uint32_t n, types, len;
    uint64_t base;
    uint8_t *pristine, *expected; /* the code before, and as Java's pass left it */
    struct site *s;
    struct op *ops;
};

static const char *workload_program = "bench";

static void die(const char *m) { fprintf(stderr, "%s: %s\n", workload_program, m); exit(2); }

static void rd(FILE *f, void *p, size_t n) { if (fread(p, 1, n, f) != n) die("truncated workload"); }

static uint64_t rdu(FILE *f, int n) {
    uint8_t b[8] = {0};
    rd(f, b, n);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

static struct workload read_workload(const char *path) {
    struct workload w;
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open the workload");
    if (rdu(f, 4) != 0x4C575650) die("not a workload file");
    w.bits = (int)rdu(f, 4);
    w.n = (uint32_t)rdu(f, 4);
    w.types = (uint32_t)rdu(f, 4);
    w.base = rdu(f, 8);
    w.len = (uint32_t)rdu(f, 4);
    w.pristine = malloc(w.len);
    w.expected = malloc(w.len);
    w.s = malloc(sizeof *w.s * w.n);
    w.ops = calloc(w.types, sizeof *w.ops);
    if (!w.pristine || !w.expected || !w.s || !w.ops) die("out of memory");
    rd(f, w.pristine, w.len);
    for (uint32_t i = 0; i < w.n; i++) {
        w.s[i].address = rdu(f, 8);
        w.s[i].len = (uint8_t)rdu(f, 1);
        w.s[i].type = (uint16_t)rdu(f, 2);
        w.s[i].clobbers = (uint16_t)rdu(f, 2);
    }
    for (uint32_t t = 0; t < w.types; t++) {
        w.ops[t].kind = (uint8_t)rdu(f, 1);
        w.ops[t].clobbers = (uint16_t)rdu(f, 2);
        w.ops[t].native_len = (uint8_t)rdu(f, 1);
        if (w.ops[t].native_len > sizeof w.ops[t].native) die("native code too long");
        rd(f, w.ops[t].native, w.ops[t].native_len);
        w.ops[t].target = rdu(f, 8);
    }
    rd(f, w.expected, w.len);
    fclose(f);
    return w;
}

/* The best time per site, in ns, of 5 rounds of about 1 s each, calling round(ctx) once a pass. */
static double best_ns_per_site(void (*round)(void *), void *ctx, uint32_t sites) {
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        struct timespec a, b;
        int reps = 0;
        clock_gettime(CLOCK_MONOTONIC, &a);
        do {
            round(ctx);
            reps++;
            clock_gettime(CLOCK_MONOTONIC, &b);
        } while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < 1.0);
        double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / reps / sites;
        if (ns < best) best = ns;
    }
    return best;
}
#endif
