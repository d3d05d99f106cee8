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
#include <string.h>

#include "workload.h"

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

struct run { const ZydisDecoder *d; const struct workload *w; uint64_t check; };

static void one_pass(void *ctx) {
    struct run *r = ctx;
    long count = 0;
    if (pass(r->d, r->w->pristine, r->w->expected, r->w->base, r->w->s, r->w->n, r->w->ops, &count) != r->check) {
        die("decoding is not repeatable");
    }
}

int main(int argc, char **argv) {
    workload_program = "verify_ref";
    if (argc != 3) die("usage: verify_ref <workload> <name>");
    struct workload w = read_workload(argv[1]);
    for (uint32_t i = 0; i < w.n; i++) {
        if (w.s[i].address - w.base > w.len || w.s[i].len > w.len - (w.s[i].address - w.base)) {
            die("site outside the code");
        }
        if (w.s[i].type >= w.types) die("site without an op");
    }
    /* Decodes the unpatched code and the bytes Java's pass wrote. */
    ZydisDecoder d;
    if (w.bits == 64) ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    else ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    long count = 0;
    struct run r = {&d, &w, pass(&d, w.pristine, w.expected, w.base, w.s, w.n, w.ops, &count)};
    double best = best_ns_per_site(one_pass, &r, w.n);
    printf("c %s %.3f ns/site (%u sites, %.2f instructions decoded per site)\n", argv[2], best, w.n,
           (double)count / w.n);
    return 0;
}
