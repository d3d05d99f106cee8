/*
 * The C reference for pvpatch's patch pass: the same sites, the same rules and the same
 * algorithm as PatchPass with the standard patcher (NOP pad, inline native, direct call, direct
 * call with saves), so the ratio to Java is a fair one. Reads a workload written by the bench
 * Tool, checks the sites (inside the buffer, in order and not overlapping, long enough, an op for
 * each whose clobbers exist on the ISA, native code that fits and clobbers only what the site
 * allows, a call whose rel32 reaches and whose clobbers beyond the site's are saved by pushes
 * and pops that fit around it), plans every site into a scratch buffer keeping the original
 * bytes, then writes them all. Checks its output equals Java's, then prints the best time per
 * site. Every workload the bench Tool writes (nop, native, call, saves, mixed) runs through it.
 *
 *   patch_ref <workload file> <name>     prints: c <name> <ns/site>
 */
#include <string.h>

#include "workload.h"

static const char *P6[12] = {
    "", "\x90", "\x66\x90", "\x0f\x1f\x00", "\x0f\x1f\x40\x00", "\x0f\x1f\x44\x00\x00",
    "\x66\x0f\x1f\x44\x00\x00", "\x0f\x1f\x80\x00\x00\x00\x00", "\x0f\x1f\x84\x00\x00\x00\x00\x00",
    "\x66\x0f\x1f\x84\x00\x00\x00\x00\x00", "\x66\x66\x0f\x1f\x84\x00\x00\x00\x00\x00",
    "\x66\x66\x66\x0f\x1f\x84\x00\x00\x00\x00\x00"};

/* The save order of Encodings.putSaves, by register encoding (eax=0 ... edi=7, r8=8 ... r15=15). */
static const uint8_t ORDER32[] = {0, 7, 1, 2, 3, 5, 6};
static const uint8_t ORDER64[] = {0, 1, 2, 6, 7, 8, 9, 10, 11, 3, 5, 12, 13, 14, 15};

static inline void nops(uint8_t *dst, int n, int max) {
    while (n > 0) {
        int k = n < max ? n : max;
        memcpy(dst, P6[k], k);
        dst += k;
        n -= k;
    }
}

/* push/pop r (0x50/0x58 + r, REX.B 0x41 first for r8-r15); x86-64 pushes the last register twice
 * when the count is odd, to keep the stack 16-byte aligned at the call. Returns the bytes written. */
static inline int saves(uint8_t *out, uint32_t regs, int bits) {
    const uint8_t *order = bits == 64 ? ORDER64 : ORDER32;
    int n = bits == 64 ? 15 : 7, k = 0, last = -1;
    for (int i = 0; i < n; i++) {
        int r = order[i];
        if (regs >> r & 1) {
            if (r >= 8) out[k++] = 0x41;
            out[k++] = (uint8_t)(0x50 + (r & 7));
            last = r;
        }
    }
    if (bits == 64 && (__builtin_popcount(regs) & 1)) {
        if (last >= 8) out[k++] = 0x41;
        out[k++] = (uint8_t)(0x50 + (last & 7));
    }
    return k;
}

static inline int restores(uint8_t *out, uint32_t regs, int bits) {
    const uint8_t *order = bits == 64 ? ORDER64 : ORDER32;
    int n = bits == 64 ? 15 : 7, k = 0, align = bits == 64 && (__builtin_popcount(regs) & 1);
    for (int i = n - 1; i >= 0; i--) {
        int r = order[i];
        if (regs >> r & 1) {
            for (int j = align ? 2 : 1; j > 0; j--) {
                if (r >= 8) out[k++] = 0x41;
                out[k++] = (uint8_t)(0x58 + (r & 7));
            }
            align = 0;
        }
    }
    return k;
}

/* One pass: plan every site into `patched` (saving `original`), then write all. 0, or -1 on a BUG. */
static int pass(uint8_t *code, uint64_t base, uint32_t code_len, const struct site *s, uint32_t n,
                const struct op *ops, uint32_t types, int bits, uint8_t *original, uint8_t *patched) {
    int max_nop = bits == 64 ? 11 : 8;
    uint32_t regs = bits == 64 ? 0xFFEF : 0xEF;                              /* no esp/rsp */
    uint64_t prev_end = 0;
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t off = s[i].address - base;
        uint32_t len = s[i].len;
        if (off > code_len || len > code_len - off) return -1;              /* outside the buffer */
        if (i > 0 && prev_end > s[i].address) return -1;                    /* overlapping */
        prev_end = s[i].address + len;
        if (len < 6) return -1;                                             /* shorter than the call */
        if (s[i].type >= types) return -1;                                  /* no op */
        const struct op *op = &ops[s[i].type];
        if (op->clobbers & ~regs) return -1;                                /* a register the ISA lacks */
        memcpy(original + at, code + off, len);
        uint8_t *out = patched + at;
        uint32_t pos = 0;
        if (op->kind == 2) {                                                /* inline native */
            if (op->native_len > len || (op->clobbers & ~s[i].clobbers)) return -1;
            memcpy(out, op->native, op->native_len);
            pos = op->native_len;
        } else if (op->kind == 3) {                                         /* direct call */
            uint32_t missing = op->clobbers & ~s[i].clobbers;
            if (missing) {                                                  /* with saves around it */
                pos = (uint32_t)saves(out, missing, bits);
                if (2 * pos + 5 > len) return -1;                           /* saves do not fit */
            }
            uint64_t at = s[i].address + pos;
            int64_t disp = (int64_t)(op->target - (at + 5));
            if (bits == 64 && disp != (int32_t)disp) return -1;
            int32_t d = (int32_t)disp;
            out[pos] = 0xE8;
            memcpy(out + pos + 1, &d, 4);
            pos += 5;
            if (missing) pos += (uint32_t)restores(out + pos, missing, bits);
        } else if (op->kind != 1) {
            return -1;
        }
        nops(out + pos, (int)(len - pos), max_nop);
        at += len;
    }
    at = 0;
    for (uint32_t i = 0; i < n; i++) {
        memcpy(code + (s[i].address - base), patched + at, s[i].len);
        at += s[i].len;
    }
    return 0;
}

struct run { struct workload *w; uint8_t *code, *original, *patched; };

static void one_pass(void *ctx) {
    struct run *r = ctx;
    if (pass(r->code, r->w->base, r->w->len, r->w->s, r->w->n, r->w->ops, r->w->types, r->w->bits, r->original,
             r->patched) != 0) {
        die("rule broken");
    }
}

int main(int argc, char **argv) {
    workload_program = "patch_ref";
    if (argc != 3) die("usage: patch_ref <workload> <name>");
    struct workload w = read_workload(argv[1]);
    size_t total = 0;
    for (uint32_t i = 0; i < w.n; i++) total += w.s[i].len;
    uint8_t *code = malloc(w.len), *original = malloc(total), *patched = malloc(total + 64); /* saves are written before their fit is checked */
    if (!code || !original || !patched) die("out of memory");
    memcpy(code, w.pristine, w.len);
    if (pass(code, w.base, w.len, w.s, w.n, w.ops, w.types, w.bits, original, patched) != 0) die("a site broke a rule");
    if (memcmp(code, w.expected, w.len) != 0) {
        for (uint32_t i = 0; i < w.len; i++) {
            if (code[i] != w.expected[i]) {
                fprintf(stderr, "patch_ref: C and Java differ at offset %u\n", i);
                return 1;
            }
        }
    }
    /* As the JMH benchmark does: patch the patched code again and again. */
    struct run r = {&w, code, original, patched};
    double best = best_ns_per_site(one_pass, &r, w.n);
    if (memcmp(code, w.expected, w.len) != 0) die("repeated passes changed the output");
    printf("c %s %.3f ns/site (%u sites, output equal to Java's)\n", argv[2], best, w.n);
    return 0;
}
