// One core: the int8 × int8 kernel (finch_q8a8_gemm) against the previous one (commit 976f3a8's,
// which bench/q8a8_kernels.sh takes from git) in one process, on the same packed weights and quantized inputs,
// for 1, 2, 4, 6, 8, 10 and 12 input rows, alternating old and new, best of `repeats`. The outputs
// of 1…25 rows are compared byte for byte (with and without a bias); any difference fails.
// "in cache" multiplies one copy; "from memory" cycles through enough copies to pass 64 MB, so
// the weights stream from DRAM as in a decoding step. Built and run by bench/q8a8_kernels.sh.
#include "CKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness_support.h"

void previous_q8a8_gemm(const int8_t *packed, const float *blockScales, const int32_t *blockOffsets,
                        ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                        const uint8_t *xq, const float *xScales, ptrdiff_t n,
                        const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t blockBegin, ptrdiff_t blockEnd);

typedef void (*Kernel)(const int8_t *, const float *, const int32_t *, ptrdiff_t, ptrdiff_t, ptrdiff_t,
                       const uint8_t *, const float *, ptrdiff_t, const float *, float *, ptrdiff_t, ptrdiff_t, ptrdiff_t);

enum { GROUP = 64, MAX_ROWS = 25 };

/// One weight matrix packed `copies` times (identical bytes at different addresses).
typedef struct {
    long rows, cols, blocks, copies;
    int8_t **packed;
    float **blockScales;
    int32_t **blockOffsets;
} Packed;

static Packed pack(long rows, long cols, long copies) {
    long groups = (cols + GROUP - 1) / GROUP, blocks = finch_q8a8_blocks(rows);
    Packed p = {rows, cols, blocks, copies, malloc(sizeof(void *) * copies), malloc(sizeof(void *) * copies),
                malloc(sizeof(void *) * copies)};
    int8_t *q = allocate(rows * cols);
    float *scales = allocate(4 * rows * groups);
    for (long i = 0; i < rows * cols; i++) q[i] = (int8_t)(rand() % 255 - 127);
    for (long i = 0; i < rows * groups; i++) scales[i] = 0.0005f + 0.001f * (rand() / (float)RAND_MAX);
    for (long c = 0; c < copies; c++) {
        p.packed[c] = allocate(finch_q8a8_packed_bytes(rows, cols));
        p.blockScales[c] = allocate(4 * blocks * groups * 32);
        p.blockOffsets[c] = allocate(4 * blocks * groups * 32);
        finch_q8a8_pack(q, scales, rows, cols, GROUP, 0, blocks, p.packed[c], p.blockScales[c], p.blockOffsets[c]);
    }
    free(q);
    free(scales);
    return p;
}

static void release(Packed p) {
    for (long c = 0; c < p.copies; c++) {
        free(p.packed[c]);
        free(p.blockScales[c]);
        free(p.blockOffsets[c]);
    }
    free(p.packed);
    free(p.blockScales);
    free(p.blockOffsets);
}

/// Seconds of one product (the best of `repeats`, each the mean over the copies).
static double time_kernel(Kernel kernel, Packed p, const uint8_t *xq, const float *xScales, int n, float *y) {
    double start = seconds();
    for (long c = 0; c < p.copies; c++) {
        kernel(p.packed[c], p.blockScales[c], p.blockOffsets[c], p.rows, p.cols, GROUP, xq, xScales, n, NULL, y, p.rows,
               0, p.blocks);
    }
    return (seconds() - start) / p.copies;
}

/// Whether both kernels write the same bytes for n rows, with and without a bias.
static int same_outputs(Packed p, const uint8_t *xq, const float *xScales, int n, const float *bias, float *a, float *b) {
    for (int withBias = 0; withBias < 2; withBias++) {
        const float *b0 = withBias ? bias : NULL;
        memset(a, 0xAB, 4 * n * p.rows);
        memset(b, 0xCD, 4 * n * p.rows);
        previous_q8a8_gemm(p.packed[0], p.blockScales[0], p.blockOffsets[0], p.rows, p.cols, GROUP, xq, xScales, n, b0, a,
                           p.rows, 0, p.blocks);
        finch_q8a8_gemm(p.packed[0], p.blockScales[0], p.blockOffsets[0], p.rows, p.cols, GROUP, xq, xScales, n, b0, b,
                        p.rows, 0, p.blocks);
        if (memcmp(a, b, 4 * n * p.rows) != 0) return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2 || atoi(argv[1]) < 1) {
        fprintf(stderr, "usage: q8a8_rows_harness REPEATS\n");
        return 2;
    }
    if (!finch_q8a8_available()) {
        fprintf(stderr, "error: this CPU has no AVX-512 VNNI\n");
        return 1;
    }
    const int repeats = atoi(argv[1]);
    const int counts[] = {1, 2, 4, 6, 8, 10, 12};
    const int countCount = sizeof counts / sizeof counts[0];
    // outputs × inputs: slm60m's QKV and MLP-down projections, a 6 × 384 narrator's shortlisted head.
    const long shapes[][2] = {{1536, 512}, {512, 2048}, {4717, 384}};
    const char *names[] = {"slm60m 1536 × 512", "slm60m 512 × 2048", "narrator head 4717 × 384"};
    srand(1);
    float *x = allocate(4 * MAX_ROWS * 2048);
    for (long i = 0; i < MAX_ROWS * 2048; i++) x[i] = uniform();
    int failures = 0;
    printf("one core, best of %d, ms per product, previous → now (G multiply-adds/s at the row count)\n", repeats);
    for (int memory = 0; memory < 2; memory++) {
        printf("\n| matrix (outputs × inputs), %s |", memory ? "weights from memory" : "weights in cache");
        for (int c = 0; c < countCount; c++) printf(" %d row%s |", counts[c], counts[c] > 1 ? "s" : "");
        printf("\n| --- |");
        for (int c = 0; c < countCount; c++) printf(" --- |");
        printf("\n");
        for (int s = 0; s < 3; s++) {
            long rows = shapes[s][0], cols = shapes[s][1];
            long bytes = finch_q8a8_packed_bytes(rows, cols);
            Packed p = pack(rows, cols, memory ? (64l << 20) / bytes + 1 : 1);
            long groups = (cols + GROUP - 1) / GROUP;
            uint8_t *xq = allocate(MAX_ROWS * finch_q8a8_input_stride(cols));
            float *xScales = allocate(4 * MAX_ROWS * groups), *bias = allocate(4 * rows);
            float *a = allocate(4 * MAX_ROWS * rows), *b = allocate(4 * MAX_ROWS * rows);
            for (long i = 0; i < rows; i++) bias[i] = uniform();
            finch_q8a8_quantize_input(x, MAX_ROWS, cols, GROUP, xq, xScales);
            for (int n = 1; n <= MAX_ROWS && !memory; n++) {
                if (!same_outputs(p, xq, xScales, n, bias, a, b)) {
                    fprintf(stderr, "error: %s, %d rows: the kernels' outputs differ\n", names[s], n);
                    failures++;
                }
            }
            printf("| %s |", names[s]);
            for (int c = 0; c < countCount; c++) {
                int n = counts[c];
                double previous = 1e9, now = 1e9;
                for (int r = 0; r < repeats; r++) {
                    double t = time_kernel(previous_q8a8_gemm, p, xq, xScales, n, a);
                    if (t < previous) previous = t;
                    t = time_kernel(finch_q8a8_gemm, p, xq, xScales, n, b);
                    if (t < now) now = t;
                }
                double macs = (double)rows * cols * n;
                printf(" %.3f → %.3f (%.0f → %.0f G) |", previous * 1e3, now * 1e3, macs / previous * 1e-9, macs / now * 1e-9);
                fflush(stdout);
            }
            printf("\n");
            release(p);
            free(xq); free(xScales); free(bias); free(a); free(b);
        }
    }
    if (failures) return 1;
    printf("\n1…%d rows on every shape: the same bytes from both kernels (with and without a bias)\n", MAX_ROWS);
    return 0;
}
