// What the one-core kernel harnesses (bench/q4_vnni_harness.c, bench/q8a8_rows_harness.c) share:
// a monotonic clock, 64-byte-aligned allocation that stops the harness when memory runs out, and
// uniform random values in [-0.5, 0.5].
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *allocate(size_t bytes) {
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) { fprintf(stderr, "error: out of memory\n"); exit(1); }
    return p;
}

static float uniform(void) { return rand() / (float)RAND_MAX - 0.5f; }
