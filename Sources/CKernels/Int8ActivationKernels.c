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
    return finch_q8a8_blocks(rows) * finch_q8a8_input_stride(columns) * 8 * FINCH_Q8A8_BLOCK_TILES;
}

void finch_q8a8_pack(const int8_t *q, const float *scales, ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                     ptrdiff_t blockBegin, ptrdiff_t blockEnd, int8_t *packed, float *blockScales, int32_t *blockOffsets) {
    const int T = FINCH_Q8A8_BLOCK_TILES;
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t steps = finch_q8a8_input_stride(columns) / 4;
    for (ptrdiff_t blk = blockBegin; blk < blockEnd; blk++) {
        int8_t *block = packed + blk * steps * 32 * T;
        for (int slot = 0; slot < 8 * T; slot++) {
            int tile = slot / 8, lane = slot % 8;
            ptrdiff_t o = 8 * T * blk + slot;
            const int8_t *row = q + o * columns;
            for (ptrdiff_t s = 0; s < steps; s++) {
                for (int b = 0; b < 4; b++) {
                    ptrdiff_t i = 4 * s + b;
                    block[(s * T + tile) * 32 + lane * 4 + b] = (o < rows && i < columns) ? row[i] : 0;
                }
            }
            for (ptrdiff_t g = 0; g < groups; g++) {
                int32_t sum = 0;
                if (o < rows) {
                    for (ptrdiff_t i = g * groupSize, end = min_index(i + groupSize, columns); i < end; i++) sum += row[i];
                }
                // The inputs arrive as x + 128 (unsigned): starting each group's sum at −128 Σ w
                // leaves exactly Σ w · x.
                ptrdiff_t at = ((blk * groups + g) * T + tile) * 8 + lane;
                blockOffsets[at] = -128 * sum;
                blockScales[at] = o < rows ? scales[o * groups + g] : 0.0f;
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

/// Block blk (4 tiles of 8 outputs, one per 32-bit lane) against one or two input rows j..<j+R in
/// 256-bit registers: each step of four columns loads the block's next 128 bytes as 4 weight
/// vectors (one sequential stream the hardware prefetcher follows) for 4 · R vpdpbusd. One row
/// splits even and odd steps into separate sums (8 chains, enough to cover vpdpbusd's latency);
/// integer sums are exact, so the split changes no bit. Streaming from memory, one and two rows
/// run ~15% faster this way than with the 512-bit loads of block_rows_512 (bench/q8a8_kernels.sh).
/// No horizontal sums: lane k of tile i ends as y[j][32 blk + 8 i + k].
static inline __attribute__((always_inline)) FINCH_VNNI void block_rows_256(
    const int R, const int8_t *packed, const float *blockScales, const int32_t *blockOffsets,
    ptrdiff_t rows, ptrdiff_t groupSize, ptrdiff_t groups, ptrdiff_t steps,
    const uint8_t *xq, const float *xScales, const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t blk, ptrdiff_t j) {
    enum { T = FINCH_Q8A8_BLOCK_TILES };
    const int8_t *block = packed + blk * steps * 32 * T;
    const int32_t *inputs[2];
    __m256 acc[2][T];
    for (int k = 0; k < R; k++) {
        inputs[k] = (const int32_t *)(xq + (j + k) * steps * 4);
        for (int i = 0; i < T; i++) acc[k][i] = _mm256_setzero_ps();
    }
    const ptrdiff_t groupSteps = groupSize / 4;
    for (ptrdiff_t g = 0; g < groups; g++) {
        const ptrdiff_t at = (blk * groups + g) * T * 8;
        __m256i sum[2][T];
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
        // A missing bias is added as zero, as the documented arithmetic does (−0 becomes +0).
        __m256 b = bias ? _mm256_maskz_loadu_ps(mask, bias + o) : _mm256_setzero_ps();
        for (int k = 0; k < R; k++) _mm256_mask_storeu_ps(y + (j + k) * ldy + o, mask, _mm256_add_ps(acc[k][i], b));
    }
}

/// The most input rows one pass over a block multiplies. 2 · R int32 sums, 2 weight vectors and a
/// broadcast fit the 32 zmm registers up to R = 14, but past 10 rows the float sums (touched once a
/// group) spill and a pass slows by ~7%, so 12 rows go as 6 + 6 (bench/q8a8_kernels.sh).
enum { MAX_PASS_ROWS = 10 };

/// Block blk against input rows j..<j+R, 3 ≤ R ≤ MAX_PASS_ROWS, in 512-bit registers: a step of four
/// columns is the block's next 128 bytes as two zmm weight vectors (tiles 0–1 and 2–3, so lane k
/// of half h is output 32 blk + 16 h + k), R broadcasts and 2 · R independent vpdpbusd chains. On
/// Zen 4 a 512-bit vpdpbusd does the multiply-adds of two 256-bit ones, so the peak is the same,
/// with half the instructions, and twice the rows fit one pass: 8 or 10 rows read the weights
/// once instead of in two passes of 4 or 5, which is what a decoding step streaming them from
/// memory pays for. Same arithmetic and order as block_rows_256, bit for bit.
static inline __attribute__((always_inline)) FINCH_VNNI void block_rows_512(
    const int R, const int8_t *packed, const float *blockScales, const int32_t *blockOffsets,
    ptrdiff_t rows, ptrdiff_t groupSize, ptrdiff_t groups, ptrdiff_t steps,
    const uint8_t *xq, const float *xScales, const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t blk, ptrdiff_t j) {
    enum { T = FINCH_Q8A8_BLOCK_TILES, HALVES = T / 2 };
    const int8_t *block = packed + blk * steps * 32 * T;
    const int32_t *inputs[MAX_PASS_ROWS];
    __m512 acc[MAX_PASS_ROWS][HALVES];
    for (int k = 0; k < R; k++) {
        inputs[k] = (const int32_t *)(xq + (j + k) * steps * 4);
        for (int h = 0; h < HALVES; h++) acc[k][h] = _mm512_setzero_ps();
    }
    const ptrdiff_t groupSteps = groupSize / 4;
    for (ptrdiff_t g = 0; g < groups; g++) {
        const ptrdiff_t at = (blk * groups + g) * T * 8;
        __m512i sum[MAX_PASS_ROWS][HALVES];
        for (int h = 0; h < HALVES; h++) {
            const __m512i offset = _mm512_loadu_si512(blockOffsets + at + h * 16);
            for (int k = 0; k < R; k++) sum[k][h] = offset;
        }
        const ptrdiff_t end = min_index((g + 1) * groupSteps, steps);
        for (ptrdiff_t s = g * groupSteps; s < end; s++) {
            __m512i w[HALVES];
            for (int h = 0; h < HALVES; h++) w[h] = _mm512_loadu_si512(block + s * 32 * T + h * 64);
            for (int k = 0; k < R; k++) {
                const __m512i x = _mm512_set1_epi32(inputs[k][s]);
                for (int h = 0; h < HALVES; h++) sum[k][h] = _mm512_dpbusd_epi32(sum[k][h], x, w[h]);
            }
        }
        for (int h = 0; h < HALVES; h++) {
            const __m512 scale = _mm512_loadu_ps(blockScales + at + h * 16);
            for (int k = 0; k < R; k++) {
                const __m512 both = _mm512_mul_ps(scale, _mm512_set1_ps(xScales[(j + k) * groups + g]));
                acc[k][h] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[k][h]), both, acc[k][h]);
            }
        }
    }
    for (int h = 0; h < HALVES; h++) {
        const ptrdiff_t o = 8 * T * blk + 16 * h;
        if (o >= rows) break;
        const __mmask16 mask = rows - o >= 16 ? 0xFFFF : (__mmask16)((1u << (rows - o)) - 1);
        const __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias + o) : _mm512_setzero_ps();
        for (int k = 0; k < R; k++) _mm512_mask_storeu_ps(y + (j + k) * ldy + o, mask, _mm512_add_ps(acc[k][h], b));
    }
}

#define FINCH_Q8A8_PASS(WIDTH, R) \
    case R: block_rows_##WIDTH(R, packed, blockScales, blockOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, blk, j); break

FINCH_VNNI void finch_q8a8_gemm(const int8_t *packed, const float *blockScales, const int32_t *blockOffsets,
                                ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                                const uint8_t *xq, const float *xScales, ptrdiff_t n,
                                const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t blockBegin, ptrdiff_t blockEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t steps = finch_q8a8_input_stride(columns) / 4;
    // The input rows go in passes of at most MAX_PASS_ROWS, as even as possible (17 rows: 8 + 9,
    // not 10 + 7); a block's weights (32 × columns bytes) stay in L1 or L2 while the passes go
    // over them, so they come from memory once per product.
    ptrdiff_t passes = (n + MAX_PASS_ROWS - 1) / MAX_PASS_ROWS;
    for (ptrdiff_t blk = blockBegin; blk < blockEnd; blk++) {
        for (ptrdiff_t pass = 0, j = 0; pass < passes; pass++) {
            ptrdiff_t count = (n - j) / (passes - pass);
            switch (count) {
            FINCH_Q8A8_PASS(512, 10); FINCH_Q8A8_PASS(512, 9); FINCH_Q8A8_PASS(512, 8); FINCH_Q8A8_PASS(512, 7);
            FINCH_Q8A8_PASS(512, 6); FINCH_Q8A8_PASS(512, 5); FINCH_Q8A8_PASS(512, 4); FINCH_Q8A8_PASS(512, 3);
            FINCH_Q8A8_PASS(256, 2);
            default: block_rows_256(1, packed, blockScales, blockOffsets, rows, groupSize, groups, steps, xq, xScales, bias, y, ldy, blk, j); break;
            }
            j += count;
        }
    }
}

#else

int finch_q8a8_available(void) { return 0; }

void finch_q8a8_gemm(const int8_t *packed, const float *blockScales, const int32_t *blockOffsets,
                     ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                     const uint8_t *xq, const float *xScales, ptrdiff_t n,
                     const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t blockBegin, ptrdiff_t blockEnd) {
    (void)packed; (void)blockScales; (void)blockOffsets; (void)rows; (void)columns; (void)groupSize;
    (void)xq; (void)xScales; (void)n; (void)bias; (void)y; (void)ldy; (void)blockBegin; (void)blockEnd;
}

#endif
