#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define FINCH_HAS_Q4_VNNI_KERNEL 1
#endif

/// A tile is sixteen output rows, one per lane of a 512-bit vector: on this class of CPU (Zen 4,
/// which runs 512-bit instructions as two 256-bit halves) that halves the broadcasts of the
/// activations and the instructions per multiply-add against eight rows in 256 bits. A block of a
/// tile is 32 columns: 256 bytes packed (four pairs of steps), 512 unpacked ([step][lane][4]).
/// A pass multiplies a tile with at most PASS_ROWS input rows (see finch_q4_gemm_vnni).
enum { TILE_ROWS = 16, STEP_BYTES = 64, PACKED_BLOCK_BYTES = 256, UNPACKED_BLOCK_BYTES = 512, PASS_ROWS = 12 };

/// Code q (0…15) of row r, column i in Q4Matrix's row order (CKernels.h).
static inline uint8_t row_code(const uint8_t *packed, ptrdiff_t rowBytes, ptrdiff_t r, ptrdiff_t i) {
    uint8_t byte = packed[r * rowBytes + i / 64 * 32 + i % 32];
    return i % 64 < 32 ? byte & 15 : byte >> 4;
}

void finch_q4_vnni_pack(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                        ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize, ptrdiff_t tileBegin, ptrdiff_t tileEnd,
                        uint8_t *tileCodes, uint16_t *tileScales, uint16_t *tileMinimums) {
    ptrdiff_t rowBytes = finch_q4_row_bytes(columns), blocks = (columns + 31) / 32;
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    for (ptrdiff_t t = tileBegin; t < tileEnd; t++) {
        for (int k = 0; k < TILE_ROWS; k++) {
            ptrdiff_t r = TILE_ROWS * t + k;
            for (ptrdiff_t b = 0; b < blocks; b++) {
                // The block's 32 codes in column order (zero past the last row or column).
                uint8_t codes[32];
                if (r < rows && 32 * b + 32 <= columns) {
                    const uint8_t *source = packed + r * rowBytes + b / 2 * 32;
                    for (int i = 0; i < 32; i++) codes[i] = b % 2 ? source[i] >> 4 : source[i] & 15;
                } else {
                    for (int i = 0; i < 32; i++) codes[i] = r < rows && 32 * b + i < columns ? row_code(packed, rowBytes, r, 32 * b + i) : 0;
                }
                uint8_t *block = tileCodes + (t * blocks + b) * PACKED_BLOCK_BYTES + 4 * k;
                for (int p = 0; p < 4; p++) {
                    for (int j = 0; j < 4; j++) block[p * STEP_BYTES + j] = (uint8_t)(codes[4 * p + j] | codes[16 + 4 * p + j] << 4);
                }
            }
            for (ptrdiff_t g = 0; g < groups; g++) {
                ptrdiff_t at = (t * groups + g) * TILE_ROWS + k;
                tileScales[at] = r < rows ? scales[r * groups + g] : 0;
                if (tileMinimums) tileMinimums[at] = r < rows ? minimums[r * groups + g] : 0;
            }
        }
    }
}

/// Floats of the scratch before the unpacked codes: the tile's scales and offsets, and −8 · groupSums,
/// rounded up to whole 64-byte lines.
static ptrdiff_t scratch_floats(ptrdiff_t groups, ptrdiff_t n) { return (2 * groups * TILE_ROWS + n * groups + 15) / 16 * 16; }

ptrdiff_t finch_q4_vnni_scratch_bytes(ptrdiff_t columns, ptrdiff_t groupSize, ptrdiff_t n) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize, blocks = (columns + 31) / 32;
    return scratch_floats(groups, n) * (ptrdiff_t)sizeof(float) + (n > PASS_ROWS ? blocks * UNPACKED_BLOCK_BYTES : 0);
}

// The CPU features are those of the int8 × int8 kernel.
int finch_q4_vnni_available(void) { return finch_q8a8_available(); }

#ifdef FINCH_HAS_Q4_VNNI_KERNEL

#define FINCH_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))

/// The eight code vectors (steps 0…7, bytes 0…15) of one block from its four packed pairs.
static inline __attribute__((always_inline)) FINCH_VNNI void unpack_block(const uint8_t *block, __m512i w[8]) {
    const __m512i mask = _mm512_set1_epi8(0x0F);
    for (int p = 0; p < 4; p++) {
        __m512i both = _mm512_load_si512((const __m512i *)(block + p * STEP_BYTES));
        w[p] = _mm512_and_si512(both, mask);
        w[p + 4] = _mm512_and_si512(_mm512_srli_epi16(both, 4), mask);
    }
}

/// Input rows j..<j+R times block b of a tile (codes w): the exact sums S_b, each scaled into
/// float once and added to acc as the header's arithmetic says (ENDS: b ends group g). Eight
/// vpdpbusd per input row in one chain, the R rows' chains independent (R ≤ 2: two chains a row,
/// to cover vpdpbusd's latency; integer sums are exact, so the split changes no bit).
static inline __attribute__((always_inline)) FINCH_VNNI void block_rows(
    const int R, const int SYMMETRIC, const int ENDS, const __m512i w[8], __m512 acc[PASS_ROWS], const float *scales,
    const float *offsets, ptrdiff_t b, ptrdiff_t g, ptrdiff_t groups, ptrdiff_t blocks, ptrdiff_t inputStride,
    const int8_t *xq, const float *xScales, const float *groupSums, const float *negatedSums, ptrdiff_t j) {
    const __m512i zero = _mm512_setzero_si512();
    const __m512 scale = _mm512_load_ps(scales + TILE_ROWS * g);
#pragma clang loop unroll(full)
    for (int k = 0; k < R; k++) {
        const int32_t *x = (const int32_t *)(xq + (j + k) * inputStride + 32 * b);
        __m512i sum;
        if (R <= 2) {
            __m512i front = _mm512_dpbusd_epi32(zero, w[0], _mm512_set1_epi32(x[0]));
            __m512i back = _mm512_dpbusd_epi32(zero, w[4], _mm512_set1_epi32(x[4]));
            for (int s = 1; s < 4; s++) {
                front = _mm512_dpbusd_epi32(front, w[s], _mm512_set1_epi32(x[s]));
                back = _mm512_dpbusd_epi32(back, w[s + 4], _mm512_set1_epi32(x[s + 4]));
            }
            sum = _mm512_add_epi32(front, back);
        } else {
            sum = _mm512_dpbusd_epi32(zero, w[0], _mm512_set1_epi32(x[0]));
            for (int s = 1; s < 8; s++) sum = _mm512_dpbusd_epi32(sum, w[s], _mm512_set1_epi32(x[s]));
        }
        const __m512 exact = _mm512_cvtepi32_ps(sum);
        const __m512 xScale = _mm512_set1_ps(xScales[(j + k) * blocks + b]);
        if (SYMMETRIC) {
            __m512 scaled = ENDS ? _mm512_fmadd_ps(exact, xScale, _mm512_set1_ps(negatedSums[(j + k) * groups + g]))
                                 : _mm512_mul_ps(exact, xScale);
            acc[k] = _mm512_fmadd_ps(scaled, scale, acc[k]);
        } else {
            acc[k] = _mm512_fmadd_ps(exact, _mm512_mul_ps(scale, xScale), acc[k]);
            if (ENDS) {
                acc[k] = _mm512_fmadd_ps(_mm512_load_ps(offsets + TILE_ROWS * g),
                                         _mm512_set1_ps(groupSums[(j + k) * groups + g]), acc[k]);
            }
        }
    }
}

/// The tile's sixteen outputs for input rows j..<j+R, the codes read packed (UNPACKED = 0) or from
/// the tile's unpacked buffer; `next` (or NULL) is the next tile's packed codes, fetched into L2
/// while this one computes: the kernel waited on their loads from memory for a seventh of its
/// time in perf annotate without.
static inline __attribute__((always_inline)) FINCH_VNNI void tile_rows(
    const int R, const int SYMMETRIC, const int UNPACKED, const uint8_t *codes, const uint8_t *next,
    const float *scales, const float *offsets, ptrdiff_t blocksPerGroup, ptrdiff_t groups, ptrdiff_t blocks,
    ptrdiff_t inputStride, const int8_t *xq, const float *xScales, const float *groupSums, const float *negatedSums,
    const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t o, int count, ptrdiff_t j) {
    __m512 acc[PASS_ROWS];
    // Unrolled in full so that the accumulators stay in registers (clang otherwise kept a loop
    // over the rows with acc in memory: a load, FMA and store per block and row, a third of the
    // kernel's samples in perf annotate).
#pragma clang loop unroll(full)
    for (int k = 0; k < R; k++) acc[k] = _mm512_setzero_ps();
    for (ptrdiff_t g = 0, b = 0; g < groups; g++) {
        ptrdiff_t end = (g + 1) * blocksPerGroup < blocks ? (g + 1) * blocksPerGroup : blocks;
        for (; b < end; b++) {
            if (next) {
                for (int line = 0; line < PACKED_BLOCK_BYTES / 64; line++) {
                    _mm_prefetch((const char *)(next + b * PACKED_BLOCK_BYTES + 64 * line), _MM_HINT_T1);
                }
            }
            __m512i w[8];
            if (UNPACKED) {
                const __m512i *block = (const __m512i *)(codes + b * UNPACKED_BLOCK_BYTES);
                for (int s = 0; s < 8; s++) w[s] = _mm512_load_si512(block + s);
            } else {
                unpack_block(codes + b * PACKED_BLOCK_BYTES, w);
            }
            if (b + 1 == end) {
                block_rows(R, SYMMETRIC, 1, w, acc, scales, offsets, b, g, groups, blocks, inputStride, xq, xScales,
                           groupSums, negatedSums, j);
            } else {
                block_rows(R, SYMMETRIC, 0, w, acc, scales, offsets, b, g, groups, blocks, inputStride, xq, xScales,
                           groupSums, negatedSums, j);
            }
        }
    }
    __mmask16 lanes = (__mmask16)((1u << count) - 1);
    __m512 addend = bias ? _mm512_maskz_loadu_ps(lanes, bias + o) : _mm512_setzero_ps();
#pragma clang loop unroll(full)
    for (int k = 0; k < R; k++) _mm512_mask_storeu_ps(y + (j + k) * ldy + o, lanes, _mm512_add_ps(acc[k], addend));
}

/// One pass of R input rows over a tile, with the scheme and the code source fixed at compile time.
static inline __attribute__((always_inline)) FINCH_VNNI void tile_pass(
    const int R, int symmetric, int unpacked, const uint8_t *codes, const uint8_t *next, const float *scales,
    const float *offsets,
    ptrdiff_t blocksPerGroup, ptrdiff_t groups, ptrdiff_t blocks, ptrdiff_t inputStride, const int8_t *xq,
    const float *xScales, const float *groupSums, const float *negatedSums, const float *bias, float *y, ptrdiff_t ldy,
    ptrdiff_t o, int count, ptrdiff_t j) {
#define FINCH_Q4_TILE_ROWS(SYMMETRIC, UNPACKED)                                                                         \
    tile_rows(R, SYMMETRIC, UNPACKED, codes, next, scales, offsets, blocksPerGroup, groups, blocks, inputStride, xq, xScales, \
              groupSums, negatedSums, bias, y, ldy, o, count, j)
    if (symmetric) {
        if (unpacked) FINCH_Q4_TILE_ROWS(1, 1); else FINCH_Q4_TILE_ROWS(1, 0);
    } else {
        if (unpacked) FINCH_Q4_TILE_ROWS(0, 1); else FINCH_Q4_TILE_ROWS(0, 0);
    }
#undef FINCH_Q4_TILE_ROWS
}

FINCH_VNNI void finch_q4_gemm_vnni(const uint8_t *tileCodes, const uint16_t *tileScales, const uint16_t *tileMinimums,
                                   ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                                   const int8_t *xq, const float *xScales, const float *groupSums, ptrdiff_t n,
                                   const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t tileBegin, ptrdiff_t tileEnd,
                                   void *scratch) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize, blocks = (columns + 31) / 32;
    ptrdiff_t blocksPerGroup = groupSize / 32, inputStride = finch_q4_input_stride(columns);
    // The input rows go in passes of at most twelve (twelve accumulators and a block's eight code
    // vectors fit the 32 registers), as even as possible (13 rows: 7 + 6, not 12 + 1). With one
    // pass the codes are unpacked as they are read; with more, once per tile into the buffer.
    ptrdiff_t passes = (n + PASS_ROWS - 1) / PASS_ROWS;
    int unpacked = passes > 1, symmetric = tileMinimums == NULL;
    float *scales = scratch, *offsets = scales + groups * TILE_ROWS, *negatedSums = offsets + groups * TILE_ROWS;
    uint8_t *buffer = (uint8_t *)scratch + scratch_floats(groups, n) * (ptrdiff_t)sizeof(float);
    for (ptrdiff_t i = 0; i < n * groups; i++) negatedSums[i] = -8 * groupSums[i];
    for (ptrdiff_t t = tileBegin; t < tileEnd; t++) {
        ptrdiff_t o = TILE_ROWS * t;
        int count = rows - o < TILE_ROWS ? (int)(rows - o) : TILE_ROWS;
        const uint8_t *packed = tileCodes + t * blocks * PACKED_BLOCK_BYTES;
        for (ptrdiff_t g = 0; g < groups; g++) {
            ptrdiff_t at = (t * groups + g) * TILE_ROWS;
            _mm512_store_ps(scales + TILE_ROWS * g, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(tileScales + at))));
            // The symmetric offset −8 · scale is folded into the block's scaling (negatedSums).
            if (!symmetric) {
                _mm512_store_ps(offsets + TILE_ROWS * g, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(tileMinimums + at))));
            }
        }
        if (unpacked) {
            for (ptrdiff_t b = 0; b < blocks; b++) {
                __m512i w[8];
                unpack_block(packed + b * PACKED_BLOCK_BYTES, w);
                for (int s = 0; s < 8; s++) _mm512_store_si512((__m512i *)(buffer + b * UNPACKED_BLOCK_BYTES + s * STEP_BYTES), w[s]);
            }
        }
        const uint8_t *codes = unpacked ? buffer : packed;
        for (ptrdiff_t pass = 0, j = 0; pass < passes; pass++) {
            ptrdiff_t passRows = (n - j) / (passes - pass);
#define FINCH_Q4_PASS(R)                                                                                                \
    tile_pass(R, symmetric, unpacked, codes, j == 0 && t + 1 < tileEnd ? packed + blocks * PACKED_BLOCK_BYTES : NULL, \
              scales, offsets, blocksPerGroup, groups, blocks, inputStride, xq, xScales, \
              groupSums, negatedSums, bias, y, ldy, o, count, j)
            _Static_assert(PASS_ROWS == 12, "a case for every pass height");
            switch (passRows) {
            case 12: FINCH_Q4_PASS(12); break;
            case 11: FINCH_Q4_PASS(11); break;
            case 10: FINCH_Q4_PASS(10); break;
            case 9: FINCH_Q4_PASS(9); break;
            case 8: FINCH_Q4_PASS(8); break;
            case 7: FINCH_Q4_PASS(7); break;
            case 6: FINCH_Q4_PASS(6); break;
            case 5: FINCH_Q4_PASS(5); break;
            case 4: FINCH_Q4_PASS(4); break;
            case 3: FINCH_Q4_PASS(3); break;
            case 2: FINCH_Q4_PASS(2); break;
            default: FINCH_Q4_PASS(1); break;
            }
#undef FINCH_Q4_PASS
            j += passRows;
        }
    }
}

#else

void finch_q4_gemm_vnni(const uint8_t *tileCodes, const uint16_t *tileScales, const uint16_t *tileMinimums,
                        ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                        const int8_t *xq, const float *xScales, const float *groupSums, ptrdiff_t n,
                        const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t tileBegin, ptrdiff_t tileEnd,
                        void *scratch) {
    (void)scratch; (void)tileCodes; (void)tileScales; (void)tileMinimums; (void)rows; (void)columns; (void)groupSize; (void)xq;
    (void)xScales; (void)groupSums; (void)n; (void)bias; (void)y; (void)ldy; (void)tileBegin; (void)tileEnd;
}

#endif
