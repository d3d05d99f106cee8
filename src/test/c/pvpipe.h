/*
 * The harnesses' side of the pipe to the tests (io.github.pvpatch.testing.HarnessPipe): numbers
 * little-endian on standard input and output, and one way to give up, exit status 2 with the
 * harness's name. pvexec.c and pvlive.c define PV_NAME, then include this.
 */
#ifndef PVPIPE_H
#define PVPIPE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void die(const char *what)
{
    fprintf(stderr, "%s: %s\n", PV_NAME, what);
    exit(2);
}

static void read_exact(void *p, size_t n)
{
    if (n && fread(p, 1, n, stdin) != n) {
        die("truncated input");
    }
}

static uint64_t read_u(int bytes)
{
    uint8_t b[8] = {0};
    read_exact(b, (size_t)bytes);
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
        v = v << 8 | b[i];
    }
    return v;
}

static void write_u(uint64_t v, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    fwrite(b, 1, (size_t)bytes, stdout);
}

#endif
