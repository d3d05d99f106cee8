/*
 * Native Zydis on the same bytes the JMH ZydisBench decodes: a linear sweep of the whole
 * buffer with ZydisDecoderDecodeFull, as the JNI shim's batch call does (operands included),
 * best of 5 rounds of ~1 s.
 *
 *   zydis_ref <file>        prints: c zydis <MB/s> <instructions>
 */
#include <Zydis/Zydis.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: zydis_ref <file>\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { fprintf(stderr, "zydis_ref: cannot open %s\n", argv[1]); return 2; }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len);
    if (!b || fread(b, 1, len, f) != (size_t)len) { fprintf(stderr, "zydis_ref: read failed\n"); return 2; }
    fclose(f);
    ZydisDecoder d;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    double best = 1e30;
    long count = 0;
    for (int round = 0; round < 5; round++) {
        struct timespec a, c;
        int reps = 0;
        clock_gettime(CLOCK_MONOTONIC, &a);
        do {
            count = 0;
            for (long at = 0; at < len;) {
                if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, b + at, len - at, &insn, ops))) at += insn.length;
                else at++;
                count++;
            }
            reps++;
            clock_gettime(CLOCK_MONOTONIC, &c);
        } while ((c.tv_sec - a.tv_sec) + (c.tv_nsec - a.tv_nsec) / 1e9 < 1.0);
        double s = ((c.tv_sec - a.tv_sec) + (c.tv_nsec - a.tv_nsec) / 1e9) / reps;
        if (s < best) best = s;
    }
    printf("c zydis %.1f MB/s %ld instructions in %ld bytes (%.1f ns/instruction)\n", len / best / 1e6, count, len,
           best * 1e9 / count);
    return 0;
}
