// The int8 × int8 kernel before the 512-bit multi-row passes (commit 976f3a8: 4 tiles × at most
// 6 input rows in 256-bit registers, 8 rows = 4 + 4), kept only so bench/q8a8_rows_harness.c can
// time it against finch_q8a8_gemm in one process and check that both give the same bytes.
#include "CKernels.h"

#include <immintrin.h>

#define FINCH_VNNI __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni")))

static inline ptrdiff_t min_index(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }

/// Block blk (4 tiles of 8 outputs, one per 32-bit lane) against input rows j..<j+R: 4 · R
/// independent vpdpbusd chains, and each step of four columns reads the block's next 128 bytes
/// (4 weight vectors, one sequential stream the hardware prefetcher follows) and broadcasts R
/// inputs. With one row, even and odd steps go to separate sums (8 chains, enough to cover
/// vpdpbusd's latency); integer sums are exact, so the split changes no bit. A group's sums are
/// scaled into float once. No horizontal sums: lane k of tile i ends as y[j][32 blk + 8 i + k].
static inline __attribute__((always_inline)) FINCH_VNNI void block_rows(
    const int R, const int8_t *packed, const float *blockScales, const int32_t *blockOffsets,
    ptrdiff_t rows, ptrdiff_t groupSize, ptrdiff_t groups, ptrdiff_t steps,
    const uint8_t *xq, const float *xScales, const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t blk, ptrdiff_t j) {
    enum { T = FINCH_Q8A8_BLOCK_TILES };
    const int8_t *block = packed + blk * steps * 32 * T;
    const int32_t *inputs[6];
    __m256 acc[6][T];
    for (int k = 0; k < R; k++) {
        inputs[k] = (const int32_t *)(xq + (j + k) * steps * 4);
        for (int i = 0; i < T; i++) acc[k][i] = _mm256_setzero_ps();
    }
    const ptrdiff_t groupSteps = groupSize / 4;
    for (ptrdiff_t g = 0; g < groups; g++) {
        const ptrdiff_t at = (blk * groups + g) * T * 8;
        __m256i sum[6][T];
        for (int i = 0; i < T; i++) {
            __m256i offset = _mm256_loadu_si256((const __m256i *)(blockOffsets + at + i * 8));
            for (int k = 0; k < R; k++) sum[k][i] = offset;
        }
        ptrdiff_t s = g * groupSteps;
        const ptrdiff_t end = min_index(s + groupSteps, steps);
        if (R == 1) {
            __m256i odd[T];
            for (int i = 0; i < T; i++) odd[i] = _mm256_setzero_si256();
            for (; s + 2 <= end; s += 2) {
                const __m256i x0 = _mm256_set1_epi32(inputs[0][s]), x1 = _mm256_set1_epi32(inputs[0][s + 1]);
                for (int i = 0; i < T; i++) {
                    sum[0][i] = _mm256_dpbusd_epi32(sum[0][i], x0, _mm256_loadu_si256((const __m256i *)(block + (s * T + i) * 32)));
                    odd[i] = _mm256_dpbusd_epi32(odd[i], x1, _mm256_loadu_si256((const __m256i *)(block + ((s + 1) * T + i) * 32)));
                }
            }
            for (int i = 0; i < T; i++) sum[0][i] = _mm256_add_epi32(sum[0][i], odd[i]);
        }
        for (; s < end; s++) {
            __m256i w[T];
            for (int i = 0; i < T; i++) w[i] = _mm256_loadu_si256((const __m256i *)(block + (s * T + i) * 32));
            for (int k = 0; k < R; k++) {
                const __m256i x = _mm256_set1_epi32(inputs[k][s]);
                for (int i = 0; i < T; i++) sum[k][i] = _mm256_dpbusd_epi32(sum[k][i], x, w[i]);
            }
        }
        for (int i = 0; i < T; i++) {
            const __m256 scale = _mm256_loadu_ps(blockScales + at + i * 8);
            for (int k = 0; k < R; k++) {
                __m256 both = _mm256_mul_ps(scale, _mm256_set1_ps(xScales[(j + k) * groups + g]));
                acc[k][i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[k][i]), both, acc[k][i]);
            }
        }
    }
    for (int i = 0; i < T; i++) {
        ptrdiff_t o = 8 * (T * blk + i);
        if (o >= rows) break;
        __mmask8 mask = rows - o >= 8 ? 0xFF : (__mmask8)((1u << (rows - o)) - 1);
        __m256 b = bias ? _mm256_maskz_loadu_ps(mask, bias + o) : _mm256_setzero_ps();
        for (int k = 0; k < R; k++) _mm256_mask_storeu_ps(y + (j + k) * ldy + o, mask, _mm256_add_ps(acc[k][i], b));
    }
}

FINCH_VNNI void previous_q8a8_gemm(const int8_t *packed, const float *blockScales, const int32_t *blockOffsets,
                                  ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                                  const uint8_t *xq, const float *xScales, ptrdiff_t n,
                                  const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t blockBegin, ptrdiff_t blockEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t steps = finch_q8a8_input_stride(columns) / 4;
    // 4 · R int32 sums, 4 weight vectors and a broadcast fit the 32 vector registers up to R = 6.
    // The input rows go in passes of at most six, as even as possible (10 rows: 5 + 5, not 6 + 4);
    // a block's weights (32 × columns bytes) stay in L1 or L2 while the passes go over them, so
    // they come from memory once per product.
    ptrdiff_t passes = (n + 5) / 6;
    for (ptrdiff_t blk = blockBegin; blk < blockEnd; blk++) {
        for (ptrdiff_t pass = 0, j = 0; pass < passes; pass++) {
            ptrdiff_t count = (n - j) / (passes - pass);
            switch (count) {
            case 6: block_rows(6, packed, blockScales, blockOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, blk, j); break;
            case 5: block_rows(5, packed, blockScales, blockOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, blk, j); break;
            case 4: block_rows(4, packed, blockScales, blockOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, blk, j); break;
            case 3: block_rows(3, packed, blockScales, blockOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, blk, j); break;
            case 2: block_rows(2, packed, blockScales, blockOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, blk, j); break;
            default: block_rows(1, packed, blockScales, blockOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, blk, j); break;
            }
            j += count;
        }
    }
}

