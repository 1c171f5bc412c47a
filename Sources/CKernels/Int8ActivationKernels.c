#include "CKernels.h"

#include <math.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define FINCH_HAS_VNNI_KERNEL 1
#elif defined(__AVX2__)
#include <immintrin.h>
#endif

static inline ptrdiff_t min_index(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }

ptrdiff_t finch_q8a8_packed_bytes(ptrdiff_t rows, ptrdiff_t columns) {
    return (rows + 7) / 8 * finch_q8a8_input_stride(columns) * 8;
}

void finch_q8a8_pack(const int8_t *q, const float *scales, ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                     ptrdiff_t tileBegin, ptrdiff_t tileEnd, int8_t *packed, float *tileScales, int32_t *tileOffsets) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t steps = finch_q8a8_input_stride(columns) / 4;
    for (ptrdiff_t t = tileBegin; t < tileEnd; t++) {
        int8_t *tile = packed + t * steps * 32;
        for (int lane = 0; lane < 8; lane++) {
            ptrdiff_t o = 8 * t + lane;
            const int8_t *row = q + o * columns;
            for (ptrdiff_t s = 0; s < steps; s++) {
                for (int b = 0; b < 4; b++) {
                    ptrdiff_t i = 4 * s + b;
                    tile[s * 32 + lane * 4 + b] = (o < rows && i < columns) ? row[i] : 0;
                }
            }
            for (ptrdiff_t g = 0; g < groups; g++) {
                int32_t sum = 0;
                if (o < rows) {
                    for (ptrdiff_t i = g * groupSize, end = min_index(i + groupSize, columns); i < end; i++) sum += row[i];
                }
                // The inputs arrive as x + 128 (unsigned): starting each group's sum at −128 Σ w
                // leaves exactly Σ w · x.
                tileOffsets[(t * groups + g) * 8 + lane] = -128 * sum;
                tileScales[(t * groups + g) * 8 + lane] = o < rows ? scales[o * groups + g] : 0.0f;
            }
        }
    }
}

/// Codes of x[begin..<end] at `scale` (> 0): round(x / scale) to nearest even, clamped, + 128.
static void quantize_group(const float *x, ptrdiff_t begin, ptrdiff_t end, float scale, uint8_t *codes) {
    ptrdiff_t i = begin;
#ifdef __AVX2__
    // The same division and rounding (cvtps rounds to nearest even, as lrintf does) eight at a time.
    const __m256 divisor = _mm256_set1_ps(scale);
    const __m256i low = _mm256_set1_epi32(-127), high = _mm256_set1_epi32(127), offset = _mm256_set1_epi32(128);
    for (; i + 8 <= end; i += 8) {
        __m256i level = _mm256_cvtps_epi32(_mm256_div_ps(_mm256_loadu_ps(x + i), divisor));
        level = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(level, low), high), offset);
        __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(level), _mm256_extracti128_si256(level, 1));
        _mm_storel_epi64((__m128i *)(codes + i), _mm_packus_epi16(words, words));
    }
#endif
    for (; i < end; i++) {
        long level = lrintf(x[i] / scale);
        level = level > 127 ? 127 : (level < -127 ? -127 : level);
        codes[i] = (uint8_t)(level + 128);
    }
}

void finch_q8a8_quantize_input(const float *x, ptrdiff_t n, ptrdiff_t columns, ptrdiff_t groupSize,
                               uint8_t *xq, float *xScales) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t stride = finch_q8a8_input_stride(columns);
    for (ptrdiff_t r = 0; r < n; r++) {
        const float *row = x + r * columns;
        uint8_t *codes = xq + r * stride;
        for (ptrdiff_t g = 0; g < groups; g++) {
            ptrdiff_t begin = g * groupSize, end = min_index(begin + groupSize, columns);
            float largest = 0;
            for (ptrdiff_t i = begin; i < end; i++) largest = fmaxf(largest, fabsf(row[i]));
            float scale = largest / 127.0f;
            xScales[r * groups + g] = scale;
            if (scale > 0) {
                quantize_group(row, begin, end, scale, codes);
            } else {
                for (ptrdiff_t i = begin; i < end; i++) codes[i] = 128;
            }
        }
        for (ptrdiff_t i = columns; i < stride; i++) codes[i] = 128;
    }
}

#ifdef FINCH_HAS_VNNI_KERNEL

#define FINCH_VNNI __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni")))

int finch_q8a8_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
}

/// Output tiles t..<t+T (8 rows each, one per 32-bit lane) against input rows j..<j+R. Each step
/// of four columns is T 32-byte loads of weights, R broadcasts of four input codes and T · R
/// vpdpbusd into independent accumulators: enough chains to hide vpdpbusd's latency, and each
/// load feeds several of them. A group's exact int32 sums are then scaled into float once.
/// No horizontal sums: lane k of tile u ends as y[j + r][8 (t + u) + k].
static inline __attribute__((always_inline)) FINCH_VNNI void tile_block(
    const int T, const int R, const int8_t *packed, const float *tileScales, const int32_t *tileOffsets,
    ptrdiff_t rows, ptrdiff_t groupSize, ptrdiff_t groups, ptrdiff_t steps,
    const uint8_t *xq, const float *xScales, const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t t, ptrdiff_t j) {
    const int32_t *inputs[8];
    for (int r = 0; r < R; r++) inputs[r] = (const int32_t *)(xq + (j + r) * steps * 4);
    __m256 acc[8][8];
    for (int u = 0; u < T; u++)
        for (int r = 0; r < R; r++) acc[u][r] = _mm256_setzero_ps();
    const ptrdiff_t groupSteps = groupSize / 4;
    for (ptrdiff_t g = 0; g < groups; g++) {
        __m256i sum[8][8];
        for (int u = 0; u < T; u++) {
            __m256i offset = _mm256_loadu_si256((const __m256i *)(tileOffsets + ((t + u) * groups + g) * 8));
            for (int r = 0; r < R; r++) sum[u][r] = offset;
        }
        for (ptrdiff_t s = g * groupSteps, end = min_index(s + groupSteps, steps); s < end; s++) {
            __m256i w[8];
            for (int u = 0; u < T; u++) w[u] = _mm256_loadu_si256((const __m256i *)(packed + ((t + u) * steps + s) * 32));
            for (int r = 0; r < R; r++) {
                __m256i x = _mm256_set1_epi32(inputs[r][s]);
                for (int u = 0; u < T; u++) sum[u][r] = _mm256_dpbusd_epi32(sum[u][r], x, w[u]);
            }
        }
        for (int u = 0; u < T; u++) {
            __m256 scale = _mm256_loadu_ps(tileScales + ((t + u) * groups + g) * 8);
            for (int r = 0; r < R; r++) {
                __m256 both = _mm256_mul_ps(scale, _mm256_set1_ps(xScales[(j + r) * groups + g]));
                acc[u][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[u][r]), both, acc[u][r]);
            }
        }
    }
    for (int u = 0; u < T; u++) {
        ptrdiff_t o = 8 * (t + u);
        __mmask8 mask = rows - o >= 8 ? 0xFF : (__mmask8)((1u << (rows - o)) - 1);
        __m256 b = bias ? _mm256_maskz_loadu_ps(mask, bias + o) : _mm256_setzero_ps();
        for (int r = 0; r < R; r++) _mm256_mask_storeu_ps(y + (j + r) * ldy + o, mask, _mm256_add_ps(acc[u][r], b));
    }
}

/// Tiles tileBegin..<tileEnd against R input rows from j: blocks of T tiles (T · R accumulators,
/// T weight vectors and one broadcast within the 32 vector registers), the last few tiles one by one.
static inline __attribute__((always_inline)) FINCH_VNNI void tiles_against_rows(
    const int T, const int R, const int8_t *packed, const float *tileScales, const int32_t *tileOffsets,
    ptrdiff_t rows, ptrdiff_t groupSize, ptrdiff_t groups, ptrdiff_t steps,
    const uint8_t *xq, const float *xScales, const float *bias, float *y, ptrdiff_t ldy,
    ptrdiff_t tileBegin, ptrdiff_t tileEnd, ptrdiff_t j) {
    ptrdiff_t t = tileBegin;
    for (; t + T <= tileEnd; t += T)
        tile_block(T, R, packed, tileScales, tileOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j);
    for (; t < tileEnd; t++)
        tile_block(1, R, packed, tileScales, tileOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j);
}

FINCH_VNNI void finch_q8a8_gemm(const int8_t *packed, const float *tileScales, const int32_t *tileOffsets,
                                ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                                const uint8_t *xq, const float *xScales, ptrdiff_t n,
                                const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t tileBegin, ptrdiff_t tileEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t steps = finch_q8a8_input_stride(columns) / 4;
    // The input rows go in passes of at most eight, as even as possible (10 rows: 5 + 5, not
    // 8 + 2, whose second pass would load a weight vector for every two vpdpbusd). A chunk of
    // tiles (≤ 32 KB of weights) stays in L1 while every pass goes over it, so the weights come
    // from memory once per product.
    ptrdiff_t passes = (n + 7) / 8;
    ptrdiff_t chunk = 32 * 1024 / (8 * finch_q8a8_input_stride(columns));
    if (chunk < 8) chunk = 8;
    for (ptrdiff_t begin = tileBegin; begin < tileEnd; begin += chunk) {
        ptrdiff_t end = min_index(begin + chunk, tileEnd);
        for (ptrdiff_t pass = 0, j = 0; pass < passes; pass++) {
            ptrdiff_t count = (n - j) / (passes - pass);
#define FINCH_Q8A8_PASS(T, R) tiles_against_rows(T, R, packed, tileScales, tileOffsets, rows, groupSize, groups, steps, \
                                                 xq, xScales, bias, y, ldy, begin, end, j)
            switch (count) {
            case 8: FINCH_Q8A8_PASS(2, 8); break;
            case 7: FINCH_Q8A8_PASS(2, 7); break;
            case 6: FINCH_Q8A8_PASS(4, 6); break;
            case 5: FINCH_Q8A8_PASS(4, 5); break;
            case 4: FINCH_Q8A8_PASS(4, 4); break;
            case 3: FINCH_Q8A8_PASS(4, 3); break;
            case 2: FINCH_Q8A8_PASS(4, 2); break;
            default: FINCH_Q8A8_PASS(8, 1); break;
            }
#undef FINCH_Q8A8_PASS
            j += count;
        }
    }
}

#else

int finch_q8a8_available(void) { return 0; }

void finch_q8a8_gemm(const int8_t *packed, const float *tileScales, const int32_t *tileOffsets,
                     ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                     const uint8_t *xq, const float *xScales, ptrdiff_t n,
                     const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t tileBegin, ptrdiff_t tileEnd) {
    (void)packed; (void)tileScales; (void)tileOffsets; (void)rows; (void)columns; (void)groupSize;
    (void)xq; (void)xScales; (void)n; (void)bias; (void)y; (void)ldy; (void)tileBegin; (void)tileEnd;
}

#endif
