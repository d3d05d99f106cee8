/*
 * The C reference for a verified patch pass: native Zydis decoding the same bytes, per site, that
 * SiteVerifier decodes when it checks the pass (PatchBench.Verified) - and nothing else.
 *
 * Per site, in site order, each a linear sweep with ZydisDecoderDecodeFull (operands included: the
 * verifier reads memory addresses, branch targets and written registers), an undecodable byte
 * counting as one entry and the sweep going on, exactly as the JNI shim's sweep:
 *   1. the unpatched bytes (the site's length of the pristine code), at the site's address
 *      (SiteVerifier.checkOriginal);
 *   2. the patched bytes (the site's length of the output Java wrote), at the site's address
 *      (SiteVerifier.checkPatched);
 *   3. for an inline-native site, the op's native code, at the site's address (the workload's ops
 *      have no source address), which checkPatched compares with the site's first instructions.
 * It does not check any rule, format text or compute absolute addresses: it is the decoding alone,
 * the floor under what the Java pass (patch + check) can cost. Reads the workload file of
 * bench/c/patch_ref.c (the same sites, ops and Java's output), prints the best of 5 rounds of ~1 s
 * and the instructions decoded per site.
 *
 *   verify_ref <workload file> <name>     prints: c <name> <ns/site> ns/site ...
 */
#include <Zydis/Zydis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct site { uint64_t address; uint8_t len; uint16_t type; };
struct op { uint8_t kind, native_len; uint8_t native[32]; };

static void die(const char *m) { fprintf(stderr, "verify_ref: %s\n", m); exit(2); }

static void rd(FILE *f, void *p, size_t n) { if (fread(p, 1, n, f) != n) die("truncated workload"); }

static uint64_t rdu(FILE *f, int n) {
    uint8_t b[8] = {0};
    rd(f, b, n);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

/* A linear sweep of b[0, len) at `address`; returns a checksum and adds the entries to *count. */
static uint64_t sweep(const ZydisDecoder *d, const uint8_t *b, uint32_t len, uint64_t address, long *count) {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    uint64_t sum = address;
    for (uint32_t at = 0; at < len; (*count)++) {
        if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(d, b + at, len - at, &insn, ops))) {
            sum += insn.mnemonic + insn.operand_count + ops[0].type;
            at += insn.length;
        } else {
            at++;
        }
    }
    return sum;
}

static uint64_t pass(const ZydisDecoder *d, const uint8_t *pristine, const uint8_t *patched, uint64_t base,
                     const struct site *s, uint32_t n, const struct op *ops, long *count) {
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t off = s[i].address - base;
        sum += sweep(d, pristine + off, s[i].len, s[i].address, count);
        sum += sweep(d, patched + off, s[i].len, s[i].address, count);
        const struct op *op = &ops[s[i].type];
        if (op->kind == 2) sum += sweep(d, op->native, op->native_len, s[i].address, count);
    }
    return sum;
}

int main(int argc, char **argv) {
    if (argc != 3) die("usage: verify_ref <workload> <name>");
    FILE *f = fopen(argv[1], "rb");
    if (!f) die("cannot open the workload");
    if (rdu(f, 4) != 0x4C575650) die("not a workload file");
    int bits = (int)rdu(f, 4);
    uint32_t n = (uint32_t)rdu(f, 4), types = (uint32_t)rdu(f, 4);
    uint64_t base = rdu(f, 8);
    uint32_t len = (uint32_t)rdu(f, 4);
    uint8_t *pristine = malloc(len), *patched = malloc(len);
    struct site *s = malloc(sizeof *s * n);
    struct op *ops = calloc(types, sizeof *ops);
    if (!pristine || !patched || !s || !ops) die("out of memory");
    rd(f, pristine, len);
    for (uint32_t i = 0; i < n; i++) {
        s[i].address = rdu(f, 8);
        s[i].len = (uint8_t)rdu(f, 1);
        s[i].type = (uint16_t)rdu(f, 2);
        rdu(f, 2); /* clobbers: not needed to decode */
        if (s[i].address - base > len || s[i].len > len - (s[i].address - base)) die("site outside the code");
        if (s[i].type >= types) die("site without an op");
    }
    for (uint32_t t = 0; t < types; t++) {
        ops[t].kind = (uint8_t)rdu(f, 1);
        rdu(f, 2);
        ops[t].native_len = (uint8_t)rdu(f, 1);
        if (ops[t].native_len > sizeof ops[t].native) die("native code too long");
        rd(f, ops[t].native, ops[t].native_len);
        rdu(f, 8);
    }
    rd(f, patched, len); /* the bytes Java's pass wrote */
    fclose(f);
    ZydisDecoder d;
    if (bits == 64) ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    else ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    long count = 0;
    uint64_t check = pass(&d, pristine, patched, base, s, n, ops, &count);
    long per_pass = count;
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        struct timespec a, b;
        int reps = 0;
        clock_gettime(CLOCK_MONOTONIC, &a);
        do {
            count = 0;
            if (pass(&d, pristine, patched, base, s, n, ops, &count) != check) die("decoding is not repeatable");
            reps++;
            clock_gettime(CLOCK_MONOTONIC, &b);
        } while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < 1.0);
        double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / reps / n;
        if (ns < best) best = ns;
    }
    printf("c %s %.3f ns/site (%u sites, %.2f instructions decoded per site)\n", argv[2], best, n,
           (double)per_pass / n);
    return 0;
}
