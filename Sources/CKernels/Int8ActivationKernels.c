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

/// Output tile t (8 rows, one per 32-bit lane) against input rows j..<j+R. Each step of four
/// columns is one 32-byte load of weights and one vpdpbusd per input row (its four codes
/// broadcast to every lane); a group's exact int32 sums are then scaled into float once.
/// No horizontal sums: lane k ends as y[j][8t + k].
static inline __attribute__((always_inline)) FINCH_VNNI void tile_rows(
    const int R, const int8_t *packed, const float *tileScales, const int32_t *tileOffsets,
    ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize, ptrdiff_t groups, ptrdiff_t steps,
    const uint8_t *xq, const float *xScales, const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t t, ptrdiff_t j) {
    const int8_t *tile = packed + t * steps * 32;
    const int32_t *inputs[8];
    __m256 acc[8];
    for (int k = 0; k < R; k++) {
        inputs[k] = (const int32_t *)(xq + (j + k) * steps * 4);
        acc[k] = _mm256_setzero_ps();
    }
    const ptrdiff_t groupSteps = groupSize / 4;
    for (ptrdiff_t g = 0; g < groups; g++) {
        __m256i offset = _mm256_loadu_si256((const __m256i *)(tileOffsets + (t * groups + g) * 8));
        __m256i sum[8];
        for (int k = 0; k < R; k++) sum[k] = offset;
        for (ptrdiff_t s = g * groupSteps, end = min_index(s + groupSteps, steps); s < end; s++) {
            __m256i w = _mm256_loadu_si256((const __m256i *)(tile + s * 32));
            for (int k = 0; k < R; k++) sum[k] = _mm256_dpbusd_epi32(sum[k], _mm256_set1_epi32(inputs[k][s]), w);
        }
        __m256 scale = _mm256_loadu_ps(tileScales + (t * groups + g) * 8);
        for (int k = 0; k < R; k++) {
            __m256 both = _mm256_mul_ps(scale, _mm256_set1_ps(xScales[(j + k) * groups + g]));
            acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[k]), both, acc[k]);
        }
    }
    ptrdiff_t o = 8 * t;
    __mmask8 mask = rows - o >= 8 ? 0xFF : (__mmask8)((1u << (rows - o)) - 1);
    __m256 b = bias ? _mm256_maskz_loadu_ps(mask, bias + o) : _mm256_setzero_ps();
    for (int k = 0; k < R; k++) _mm256_mask_storeu_ps(y + (j + k) * ldy + o, mask, _mm256_add_ps(acc[k], b));
}

FINCH_VNNI void finch_q8a8_gemm(const int8_t *packed, const float *tileScales, const int32_t *tileOffsets,
                                ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                                const uint8_t *xq, const float *xScales, ptrdiff_t n,
                                const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t tileBegin, ptrdiff_t tileEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t steps = finch_q8a8_input_stride(columns) / 4;
    // A tile's weights (8 × columns bytes, ≤ 16 KB at 2048 columns) stay in L1 while every
    // block of eight input rows passes over them, so they come from memory once per product.
    // The input rows go in passes of at most eight, as even as possible (10 rows: 5 + 5, not
    // 8 + 2, whose second pass would load a weight vector for every two vpdpbusd).
    ptrdiff_t passes = (n + 7) / 8;
    for (ptrdiff_t t = tileBegin; t < tileEnd; t++) {
        for (ptrdiff_t pass = 0, j = 0; pass < passes; pass++) {
            ptrdiff_t count = (n - j) / (passes - pass);
            switch (count) {
            case 8: tile_rows(8, packed, tileScales, tileOffsets, rows, columns, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j); break;
            case 7: tile_rows(7, packed, tileScales, tileOffsets, rows, columns, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j); break;
            case 6: tile_rows(6, packed, tileScales, tileOffsets, rows, columns, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j); break;
            case 5: tile_rows(5, packed, tileScales, tileOffsets, rows, columns, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j); break;
            case 4: tile_rows(4, packed, tileScales, tileOffsets, rows, columns, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j); break;
            case 3: tile_rows(3, packed, tileScales, tileOffsets, rows, columns, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j); break;
            case 2: tile_rows(2, packed, tileScales, tileOffsets, rows, columns, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j); break;
            default: tile_rows(1, packed, tileScales, tileOffsets, rows, columns, groupSize, groups, steps, xq, xScales, bias, y, ldy, t, j); break;
            }
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
