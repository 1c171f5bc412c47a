#include "CKernels.h"

#include <math.h>

#ifdef __AVX2__
#include <immintrin.h>
#endif

static inline ptrdiff_t min_index(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }

ptrdiff_t finch_q8_quantize(const float *w, ptrdiff_t rowStride, ptrdiff_t columnStride,
                            ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                            int8_t *q, float *scales) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t nonFinite = 0;
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *row = w + r * rowStride;
        for (ptrdiff_t g = 0; g < groups; g++) {
            ptrdiff_t begin = g * groupSize, end = min_index(begin + groupSize, columns);
            float largest = 0;
            for (ptrdiff_t i = begin; i < end; i++) {
                float v = row[i * columnStride];
                if (!isfinite(v)) nonFinite++;
                largest = fmaxf(largest, fabsf(v));
            }
            float scale = largest / 127.0f;
            scales[r * groups + g] = scale;
            for (ptrdiff_t i = begin; i < end; i++) {
                // Division, not a multiply by 1/scale: it is correctly rounded, which keeps
                // |w - q·scale| within scale/2 up to one float rounding.
                long level = scale > 0 ? lrintf(row[i * columnStride] / scale) : 0;
                q[r * columns + i] = (int8_t)(level > 127 ? 127 : (level < -127 ? -127 : level));
            }
        }
    }
    return nonFinite;
}

void finch_q8_dequantize(const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
                         ptrdiff_t rowBegin, ptrdiff_t rowEnd,
                         float *out, ptrdiff_t outRowStride, ptrdiff_t outColumnStride) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    for (ptrdiff_t r = rowBegin; r < rowEnd; r++) {
        const int8_t *row = q + r * columns;
        float *destination = out + (r - rowBegin) * outRowStride;
        for (ptrdiff_t g = 0; g < groups; g++) {
            ptrdiff_t begin = g * groupSize, end = min_index(begin + groupSize, columns);
            float scale = scales[r * groups + g];
            if (outColumnStride == 1) {
                for (ptrdiff_t i = begin; i < end; i++) destination[i] = scale * (float)row[i];
            } else {
                for (ptrdiff_t i = begin; i < end; i++) destination[i * outColumnStride] = scale * (float)row[i];
            }
        }
    }
}

#ifdef __AVX2__

static inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Eight int8 weights widened to floats.
static inline __m256 load_q8x8(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

/// Rows r..<r+ROWS. Several rows per pass share each load of x and give the FMA units
/// independent chains; the per-row arithmetic is the same for any ROWS, so results are too.
/// The hardware prefetcher loses track of ROWS interleaved streams, so while a block of rows
/// is read the next block is prefetched at the same pace (one line per 64 bytes consumed).
static inline __attribute__((always_inline)) void gemv_block(
    const int ROWS, const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
    ptrdiff_t groups, const float *x, const float *bias, float *y, ptrdiff_t r) {
    const int8_t *row[4];
    const float *rowScales[4];
    __m256 total[4];
    float totalTail[4];
    for (int k = 0; k < ROWS; k++) {
        row[k] = q + (r + k) * columns;
        rowScales[k] = scales + (r + k) * groups;
        total[k] = _mm256_setzero_ps();
        totalTail[k] = 0;
    }
    // An address, not a pointer: the last block prefetches past the end of the matrix,
    // which the hardware ignores but C does not allow for pointers.
    const uintptr_t next = (uintptr_t)(q + (r + ROWS) * columns);
    ptrdiff_t g = 0;
    if (groupSize % 16 == 0) {
        // Whole groups of a size the 16-wide steps divide: no bounds or tails in the loop.
        for (ptrdiff_t wholeGroups = columns / groupSize; g < wholeGroups; g++) {
            __m256 sum[4];
            for (int k = 0; k < ROWS; k++) sum[k] = _mm256_setzero_ps();
            for (ptrdiff_t i = g * groupSize, end = i + groupSize; i < end; i += 16) {
                if (ROWS == 4) _mm_prefetch((const char *)(next + 4 * (uintptr_t)i), _MM_HINT_T0);
                __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
                for (int k = 0; k < ROWS; k++) sum[k] = _mm256_fmadd_ps(load_q8x8(row[k] + i), x0, sum[k]);
                for (int k = 0; k < ROWS; k++) sum[k] = _mm256_fmadd_ps(load_q8x8(row[k] + i + 8), x1, sum[k]);
            }
            for (int k = 0; k < ROWS; k++) total[k] = _mm256_fmadd_ps(sum[k], _mm256_set1_ps(rowScales[k][g]), total[k]);
        }
    }
    // Any other group size, and the short last group when groupSize does not divide columns.
    for (; g < groups; g++) {
        ptrdiff_t begin = g * groupSize, end = min_index(begin + groupSize, columns);
        ptrdiff_t vectorEnd = begin + ((end - begin) & ~(ptrdiff_t)7);
        __m256 sum[4];
        for (int k = 0; k < ROWS; k++) sum[k] = _mm256_setzero_ps();
        for (ptrdiff_t i = begin; i < vectorEnd; i += 8) {
            __m256 xv = _mm256_loadu_ps(x + i);
            for (int k = 0; k < ROWS; k++) sum[k] = _mm256_fmadd_ps(load_q8x8(row[k] + i), xv, sum[k]);
        }
        for (int k = 0; k < ROWS; k++) {
            total[k] = _mm256_fmadd_ps(sum[k], _mm256_set1_ps(rowScales[k][g]), total[k]);
            float tail = 0;
            for (ptrdiff_t i = vectorEnd; i < end; i++) tail += (float)row[k][i] * x[i];
            totalTail[k] += tail * rowScales[k][g];
        }
    }
    for (int k = 0; k < ROWS; k++) {
        y[r + k] = horizontal_sum(total[k]) + totalTail[k] + (bias ? bias[r + k] : 0.0f);
    }
}

void finch_q8_gemv(const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
                   const float *x, const float *bias, float *y, ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t r = rowBegin;
    for (; r + 4 <= rowEnd; r += 4) gemv_block(4, q, scales, columns, groupSize, groups, x, bias, y, r);
    for (; r < rowEnd; r++) gemv_block(1, q, scales, columns, groupSize, groups, x, bias, y, r);
}

/// Output rows o..<o+ROWS against input rows r..<r+R: every int8 weight is widened and scaled
/// once and used for R input rows, so the FMAs dominate (8 of 10 floating-point operations at
/// ROWS = 2, R = 4). Each y element's arithmetic does not depend on ROWS or R.
static inline __attribute__((always_inline)) void gemm_tile(
    const int ROWS, const int R, const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
    ptrdiff_t groups, const float *x, const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t o, ptrdiff_t r) {
    const int8_t *row[2];
    const float *rowScales[2];
    const float *input[8];
    __m256 sum[2][8];
    float tail[2][8];
    for (int k = 0; k < ROWS; k++) {
        row[k] = q + (o + k) * columns;
        rowScales[k] = scales + (o + k) * groups;
        for (int j = 0; j < R; j++) { sum[k][j] = _mm256_setzero_ps(); tail[k][j] = 0; }
    }
    for (int j = 0; j < R; j++) input[j] = x + (r + j) * columns;
    ptrdiff_t g = 0;
    if (groupSize % 8 == 0) {
        // Whole groups of a size the 8-wide steps divide: no bounds or tails in the loop.
        for (ptrdiff_t wholeGroups = columns / groupSize; g < wholeGroups; g++) {
            __m256 scale[2];
            for (int k = 0; k < ROWS; k++) scale[k] = _mm256_set1_ps(rowScales[k][g]);
            for (ptrdiff_t i = g * groupSize, end = i + groupSize; i < end; i += 8) {
                __m256 xv[8];
                for (int j = 0; j < R; j++) xv[j] = _mm256_loadu_ps(input[j] + i);
                for (int k = 0; k < ROWS; k++) {
                    __m256 w = _mm256_mul_ps(load_q8x8(row[k] + i), scale[k]);
                    for (int j = 0; j < R; j++) sum[k][j] = _mm256_fmadd_ps(w, xv[j], sum[k][j]);
                }
            }
        }
    }
    // Any other group size, and the short last group when groupSize does not divide columns.
    for (; g < groups; g++) {
        ptrdiff_t begin = g * groupSize, end = min_index(begin + groupSize, columns);
        ptrdiff_t vectorEnd = begin + ((end - begin) & ~(ptrdiff_t)7);
        __m256 scale[2];
        for (int k = 0; k < ROWS; k++) scale[k] = _mm256_set1_ps(rowScales[k][g]);
        for (ptrdiff_t i = begin; i < vectorEnd; i += 8) {
            __m256 xv[8];
            for (int j = 0; j < R; j++) xv[j] = _mm256_loadu_ps(input[j] + i);
            for (int k = 0; k < ROWS; k++) {
                __m256 w = _mm256_mul_ps(load_q8x8(row[k] + i), scale[k]);
                for (int j = 0; j < R; j++) sum[k][j] = _mm256_fmadd_ps(w, xv[j], sum[k][j]);
            }
        }
        for (ptrdiff_t i = vectorEnd; i < end; i++) {
            for (int k = 0; k < ROWS; k++) {
                float w = (float)row[k][i] * rowScales[k][g];
                for (int j = 0; j < R; j++) tail[k][j] += w * input[j][i];
            }
        }
    }
    for (int k = 0; k < ROWS; k++) {
        for (int j = 0; j < R; j++) {
            y[(r + j) * ldy + o + k] = horizontal_sum(sum[k][j]) + tail[k][j] + (bias ? bias[o + k] : 0.0f);
        }
    }
}

/// Input rows r..<r+R against output rows [begin, end), ROWS output rows per tile.
static inline __attribute__((always_inline)) void gemm_input_rows(
    const int ROWS, const int R, const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
    ptrdiff_t groups, const float *x, const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t begin, ptrdiff_t end,
    ptrdiff_t r) {
    ptrdiff_t o = begin;
    for (; o + ROWS <= end; o += ROWS) gemm_tile(ROWS, R, q, scales, columns, groupSize, groups, x, bias, y, ldy, o, r);
    for (; o < end; o++) gemm_tile(1, R, q, scales, columns, groupSize, groups, x, bias, y, ldy, o, r);
}

void finch_q8_gemm(const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
                   const float *x, ptrdiff_t n, const float *bias, float *y, ptrdiff_t ldy,
                   ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    // A block of output rows is finished for every input row before the next block: its int8
    // weights (128 rows, 64–256 KB) then come from memory once and from L2 afterwards.
    const ptrdiff_t block = 128;
    for (ptrdiff_t begin = rowBegin; begin < rowEnd; begin += block) {
        ptrdiff_t end = min_index(begin + block, rowEnd);
        ptrdiff_t r = 0;
        // Eight input rows against one output row widen each weight once for eight FMAs, with
        // the input loads folded into them: a batched decoding step's head (10 rows × wte)
        // took a third less CPU than with tiles of 2 × 4 (int8-bench --prefill-rows 10).
        for (; r + 8 <= n; r += 8) gemm_input_rows(1, 8, q, scales, columns, groupSize, groups, x, bias, y, ldy, begin, end, r);
        for (; r + 4 <= n; r += 4) gemm_input_rows(2, 4, q, scales, columns, groupSize, groups, x, bias, y, ldy, begin, end, r);
        if (r + 2 <= n) { gemm_input_rows(2, 2, q, scales, columns, groupSize, groups, x, bias, y, ldy, begin, end, r); r += 2; }
        if (r < n) gemm_input_rows(2, 1, q, scales, columns, groupSize, groups, x, bias, y, ldy, begin, end, r);
    }
}

#else

void finch_q8_gemv(const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
                   const float *x, const float *bias, float *y, ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    for (ptrdiff_t r = rowBegin; r < rowEnd; r++) {
        const int8_t *row = q + r * columns;
        float total = 0;
        for (ptrdiff_t g = 0; g < groups; g++) {
            ptrdiff_t begin = g * groupSize, end = min_index(begin + groupSize, columns);
            float sum = 0;
            for (ptrdiff_t i = begin; i < end; i++) sum += (float)row[i] * x[i];
            total += sum * scales[r * groups + g];
        }
        y[r] = total + (bias ? bias[r] : 0.0f);
    }
}


void finch_q8_gemm(const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
                   const float *x, ptrdiff_t n, const float *bias, float *y, ptrdiff_t ldy,
                   ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    for (ptrdiff_t r = 0; r < n; r++) {
        finch_q8_gemv(q, scales, columns, groupSize, x + r * columns, bias, y + r * ldy, rowBegin, rowEnd);
    }
}

#endif
