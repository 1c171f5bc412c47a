// One core, the four matrix shapes of an slm60m block (512→1536, 512→512, 512→2048, 2048→512):
// the 4-bit VNNI multi-row kernel (repacked tiles, symmetric and asymmetric, groups of 32)
// against the int8 × int8 VNNI kernel (groups of 64), both on the same random activations of
// `rows` input rows, best of `repeats`. Built and run by bench/q4_kernels.sh.
#include "CKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "harness_support.h"

/// Best time of the 4-bit kernel on a cols → rows weight for n rows of x.
static double time_q4(const float *w, const float *x, long rows, long cols, int n, int asymmetric, int repeats) {
    long groups = (cols + 31) / 32, tiles = (rows + 15) / 16;
    uint8_t *packed = allocate(rows * finch_q4_row_bytes(cols));
    uint16_t *scales = allocate(2 * rows * groups), *minimums = allocate(2 * rows * groups);
    finch_q4_quantize(w, cols, 1, rows, cols, 32, asymmetric, 0, packed, scales, asymmetric ? minimums : NULL);
    uint8_t *codes = allocate(finch_q4_vnni_code_bytes(rows, cols));
    uint16_t *tileScales = allocate(2 * tiles * 16 * groups), *tileMinimums = allocate(2 * tiles * 16 * groups);
    finch_q4_vnni_pack(packed, scales, asymmetric ? minimums : NULL, rows, cols, 32, 0, tiles, codes, tileScales,
                       asymmetric ? tileMinimums : NULL);
    int8_t *xq = allocate(n * finch_q4_input_stride(cols));
    float *xScales = allocate(4 * n * groups), *groupSums = allocate(4 * n * groups), *y = allocate(4 * n * rows);
    void *scratch = allocate(finch_q4_vnni_scratch_bytes(cols, 32, n));
    finch_q4_prepare_input(x, n, cols, 32, xq, xScales, groupSums);
    double best = 1e9;
    for (int r = 0; r < repeats; r++) {
        double start = seconds();
        finch_q4_gemm_vnni(codes, tileScales, asymmetric ? tileMinimums : NULL, rows, cols, 32, xq, xScales, groupSums, n,
                           NULL, y, rows, 0, tiles, scratch);
        double elapsed = seconds() - start;
        if (elapsed < best) best = elapsed;
    }
    free(packed); free(scales); free(minimums); free(codes); free(tileScales); free(tileMinimums);
    free(xq); free(xScales); free(groupSums); free(y); free(scratch);
    return best;
}

/// Best time of the int8 × int8 kernel on int8 codes of the same shape.
static double time_int8(const float *x, long rows, long cols, int n, int repeats) {
    long groups = (cols + 63) / 64, blocks = finch_q8a8_blocks(rows);
    int8_t *q = allocate(rows * cols), *packed = allocate(finch_q8a8_packed_bytes(rows, cols));
    float *scales = allocate(4 * rows * groups), *blockScales = allocate(4 * blocks * groups * 32);
    int32_t *blockOffsets = allocate(4 * blocks * groups * 32);
    for (long i = 0; i < rows * cols; i++) q[i] = (int8_t)(rand() % 255 - 127);
    for (long i = 0; i < rows * groups; i++) scales[i] = 0.001f;
    finch_q8a8_pack(q, scales, rows, cols, 64, 0, blocks, packed, blockScales, blockOffsets);
    uint8_t *xq = allocate(n * finch_q8a8_input_stride(cols));
    float *xScales = allocate(4 * n * groups), *y = allocate(4 * n * rows);
    finch_q8a8_quantize_input(x, n, cols, 64, xq, xScales);
    double best = 1e9;
    for (int r = 0; r < repeats; r++) {
        double start = seconds();
        finch_q8a8_gemm(packed, blockScales, blockOffsets, rows, cols, 64, xq, xScales, n, NULL, y, rows, 0, blocks);
        double elapsed = seconds() - start;
        if (elapsed < best) best = elapsed;
    }
    free(q); free(packed); free(scales); free(blockScales); free(blockOffsets); free(xq); free(xScales); free(y);
    return best;
}

int main(int argc, char **argv) {
    if (argc != 3 || atoi(argv[1]) < 1 || atoi(argv[2]) < 1) {
        fprintf(stderr, "usage: q4_vnni_harness ROWS REPEATS\n");
        return 2;
    }
    if (!finch_q4_vnni_available()) {
        fprintf(stderr, "error: this CPU has no AVX-512 VNNI\n");
        return 1;
    }
    int n = atoi(argv[1]), repeats = atoi(argv[2]);
    const long shapes[4][2] = {{512, 1536}, {512, 512}, {512, 2048}, {2048, 512}};
    double symmetric = 0, asymmetric = 0, int8 = 0;
    srand(1);
    for (int s = 0; s < 4; s++) {
        long cols = shapes[s][0], rows = shapes[s][1];
        float *w = allocate(4 * rows * cols), *x = allocate(4 * n * cols);
        for (long i = 0; i < rows * cols; i++) w[i] = 0.1f * uniform();
        for (long i = 0; i < n * cols; i++) x[i] = uniform();
        symmetric += time_q4(w, x, rows, cols, n, 0, repeats);
        asymmetric += time_q4(w, x, rows, cols, n, 1, repeats);
        int8 += time_int8(x, rows, cols, n, repeats);
        free(w); free(x);
    }
    printf("%d rows, one core, best of %d, ms over the four shapes: 4-bit symmetric %.3f (%.2f× int8), "
           "asymmetric %.3f (%.2f×), int8 × int8 %.3f\n",
           n, repeats, symmetric * 1e3, int8 / symmetric, asymmetric * 1e3, int8 / asymmetric, int8 * 1e3);
    return 0;
}
