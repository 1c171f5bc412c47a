#include "CKernels.h"

#include <stdlib.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define FINCH_HAS_Q4_VNNI_KERNEL 1
#endif

// The CPU features are those of the int8 × int8 kernel.
int finch_q4_vnni_available(void) { return finch_q8a8_available(); }

#ifdef FINCH_HAS_Q4_VNNI_KERNEL

#define FINCH_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))

/// A tile is sixteen output rows, one per lane of a 512-bit vector: on this class of CPU (Zen 4,
/// which runs 512-bit instructions as two 256-bit halves) that halves the broadcasts of the
/// activations and the instructions per multiply-add against eight rows in 256 bits, 1.25× faster
/// in a one-core harness over slm60m's four matrix shapes. Its codes are bytes,
/// [block][step][lane][4]: 512 bytes a block.
enum { TILE_ROWS = 16, STEP_BYTES = 64, TILE_BLOCK_BYTES = 512 };

/// Eight rows of eight 32-bit words transposed in place: word s of row k becomes word k of row s.
static inline __attribute__((always_inline)) FINCH_VNNI void transpose_words(__m256i r[8]) {
    __m256i t[8], u[8];
    for (int k = 0; k < 8; k += 2) {
        t[k] = _mm256_unpacklo_epi32(r[k], r[k + 1]);
        t[k + 1] = _mm256_unpackhi_epi32(r[k], r[k + 1]);
    }
    for (int k = 0; k < 8; k += 4) {
        u[k] = _mm256_unpacklo_epi64(t[k], t[k + 2]);
        u[k + 1] = _mm256_unpackhi_epi64(t[k], t[k + 2]);
        u[k + 2] = _mm256_unpacklo_epi64(t[k + 1], t[k + 3]);
        u[k + 3] = _mm256_unpackhi_epi64(t[k + 1], t[k + 3]);
    }
    for (int s = 0; s < 4; s++) {
        r[s] = _mm256_permute2x128_si256(u[s], u[s + 4], 0x20);
        r[s + 4] = _mm256_permute2x128_si256(u[s], u[s + 4], 0x31);
    }
}

/// Unpacks rows o..<o+count (count ≤ 16; the other lanes get zero codes and scales) into the tile
/// buffer, with each group's scales and offsets as [group][lane] floats.
static FINCH_VNNI void unpack_tile(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                                   ptrdiff_t rowBytes, ptrdiff_t groups, ptrdiff_t blocks, ptrdiff_t o, int count,
                                   int nextCount, uint8_t *codes, float *tileScales, float *tileOffsets) {
    const uint8_t *next = nextCount > 0 ? packed + (o + TILE_ROWS) * rowBytes : packed;
    const __m256i mask = _mm256_set1_epi8(0x0F);
    for (ptrdiff_t pair = 0; 2 * pair < blocks; pair++) {
        // The next tile's rows, fetched while this tile serves every input row: a prefill reads
        // the weights from memory, not cache (4% faster on slm60m's; a cached harness sees no gain).
        if (pair % 2 == 0) {
            for (int k = 0; k < nextCount; k++) _mm_prefetch((const char *)(next + k * rowBytes + 32 * pair), _MM_HINT_T0);
        }
        // Transposed while packed (one transpose for both blocks of the pair), then unpacked.
        for (int half = 0; half < TILE_ROWS / 8; half++) {
            __m256i words[8];
            for (int k = 0; k < 8; k++) {
                int row = 8 * half + k;
                words[k] = row < count ? _mm256_loadu_si256((const __m256i *)(packed + (o + row) * rowBytes + 32 * pair))
                                       : _mm256_setzero_si256();
            }
            transpose_words(words);
            uint8_t *first = codes + 2 * pair * TILE_BLOCK_BYTES + 32 * half;
            for (int s = 0; s < 8; s++) _mm256_store_si256((__m256i *)(first + STEP_BYTES * s), _mm256_and_si256(words[s], mask));
            if (2 * pair + 1 < blocks) {
                for (int s = 0; s < 8; s++) {
                    _mm256_store_si256((__m256i *)(first + TILE_BLOCK_BYTES + STEP_BYTES * s),
                                       _mm256_and_si256(_mm256_srli_epi16(words[s], 4), mask));
                }
            }
        }
    }
    for (ptrdiff_t g = 0; g < groups; g++) {
        for (int k = 0; k < TILE_ROWS; k++) {
            float scale = k < count ? _cvtsh_ss(scales[(o + k) * groups + g]) : 0.0f;
            float offset = k >= count ? 0.0f : (minimums ? _cvtsh_ss(minimums[(o + k) * groups + g]) : -8 * scale);
            tileScales[TILE_ROWS * g + k] = scale;
            tileOffsets[TILE_ROWS * g + k] = offset;
        }
    }
}

/// The tile's sixteen outputs for input rows j..<j+R. Each block is eight vpdpbusd per input row
/// (two chains of four, to halve the dependency), its exact sum scaled into float once. The
/// symmetric scheme's offset −8 · scale · Σx shares the scale with the block's product:
/// scale · (xScale · S − 8 Σx) is one instruction fewer than adding it on its own.
static inline __attribute__((always_inline)) FINCH_VNNI void tile_rows(
    const int R, const int SYMMETRIC, const uint8_t *codes, const float *tileScales, const float *tileOffsets,
    ptrdiff_t blocksPerGroup, ptrdiff_t groups, ptrdiff_t blocks, ptrdiff_t inputStride,
    const int8_t *xq, const float *xScales, const float *groupSums, const float *negatedSums, const float *bias,
    float *y, ptrdiff_t ldy, ptrdiff_t o, int count, ptrdiff_t j) {
    __m512 acc[12];
    for (int k = 0; k < R; k++) acc[k] = _mm512_setzero_ps();
    const __m512i zero = _mm512_setzero_si512();
    for (ptrdiff_t b = 0; b < blocks; b++) {
        const __m512i *block = (const __m512i *)(codes + b * TILE_BLOCK_BYTES);
        __m512i w0 = _mm512_load_si512(block), w1 = _mm512_load_si512(block + 1);
        __m512i w2 = _mm512_load_si512(block + 2), w3 = _mm512_load_si512(block + 3);
        __m512i w4 = _mm512_load_si512(block + 4), w5 = _mm512_load_si512(block + 5);
        __m512i w6 = _mm512_load_si512(block + 6), w7 = _mm512_load_si512(block + 7);
        ptrdiff_t g = blocksPerGroup == 1 ? b : b / blocksPerGroup;
        __m512 scale = _mm512_loadu_ps(tileScales + TILE_ROWS * g);
        const int groupEnds = blocksPerGroup == 1 || (b + 1) % blocksPerGroup == 0 || b + 1 == blocks;
        __m512 offset = _mm512_loadu_ps(tileOffsets + TILE_ROWS * g);
        for (int k = 0; k < R; k++) {
            const int32_t *x = (const int32_t *)(xq + (j + k) * inputStride + 32 * b);
            __m512i front = _mm512_dpbusd_epi32(zero, w0, _mm512_set1_epi32(x[0]));
            __m512i back = _mm512_dpbusd_epi32(zero, w4, _mm512_set1_epi32(x[4]));
            front = _mm512_dpbusd_epi32(front, w1, _mm512_set1_epi32(x[1]));
            back = _mm512_dpbusd_epi32(back, w5, _mm512_set1_epi32(x[5]));
            front = _mm512_dpbusd_epi32(front, w2, _mm512_set1_epi32(x[2]));
            back = _mm512_dpbusd_epi32(back, w6, _mm512_set1_epi32(x[6]));
            front = _mm512_dpbusd_epi32(front, w3, _mm512_set1_epi32(x[3]));
            back = _mm512_dpbusd_epi32(back, w7, _mm512_set1_epi32(x[7]));
            __m512 sum = _mm512_cvtepi32_ps(_mm512_add_epi32(front, back));
            __m512 xScale = _mm512_set1_ps(xScales[(j + k) * blocks + b]);
            if (SYMMETRIC) {
                __m512 scaled = groupEnds ? _mm512_fmadd_ps(sum, xScale, _mm512_set1_ps(negatedSums[(j + k) * groups + g]))
                                          : _mm512_mul_ps(sum, xScale);
                acc[k] = _mm512_fmadd_ps(scaled, scale, acc[k]);
            } else {
                acc[k] = _mm512_fmadd_ps(sum, _mm512_mul_ps(scale, xScale), acc[k]);
                if (groupEnds) acc[k] = _mm512_fmadd_ps(offset, _mm512_set1_ps(groupSums[(j + k) * groups + g]), acc[k]);
            }
        }
    }
    __mmask16 lanes = (__mmask16)((1u << count) - 1);
    __m512 addend = bias ? _mm512_maskz_loadu_ps(lanes, bias + o) : _mm512_setzero_ps();
    for (int k = 0; k < R; k++) _mm512_mask_storeu_ps(y + (j + k) * ldy + o, lanes, _mm512_add_ps(acc[k], addend));
}

FINCH_VNNI void finch_q4_gemm_vnni(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                                   ptrdiff_t columns, ptrdiff_t groupSize,
                                   const int8_t *xq, const float *xScales, const float *groupSums, ptrdiff_t n,
                                   const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize, blocks = (columns + 31) / 32;
    ptrdiff_t rowBytes = finch_q4_row_bytes(columns), blocksPerGroup = groupSize / 32;
    ptrdiff_t inputStride = finch_q4_input_stride(columns);
    // One tile's codes (8 KB at 1024 columns), its scales and offsets, and −8 · groupSums.
    size_t bufferBytes = (size_t)(blocks * TILE_BLOCK_BYTES + (2 * groups * TILE_ROWS + n * groups) * (ptrdiff_t)sizeof(float));
    uint8_t *codes = aligned_alloc(64, (bufferBytes + 63) / 64 * 64);
    if (!codes) {
        finch_q4_gemm(packed, scales, minimums, columns, groupSize, xq, xScales, groupSums, n, bias, y, ldy, rowBegin, rowEnd);
        return;
    }
    float *tileScales = (float *)(codes + blocks * TILE_BLOCK_BYTES), *tileOffsets = tileScales + groups * TILE_ROWS;
    float *negatedSums = tileOffsets + groups * TILE_ROWS;
    for (ptrdiff_t i = 0; i < n * groups; i++) negatedSums[i] = -8 * groupSums[i];
    // The input rows go in passes of at most twelve (twelve accumulators and a block's eight code
    // vectors fit the 32 registers; 3% faster than eight at 64 rows), as even as possible
    // (13 rows: 7 + 6, not 12 + 1).
    ptrdiff_t passes = (n + 11) / 12;
    for (ptrdiff_t o = rowBegin; o < rowEnd; o += TILE_ROWS) {
        int count = rowEnd - o < TILE_ROWS ? (int)(rowEnd - o) : TILE_ROWS;
        ptrdiff_t nextCount = rowEnd - o - TILE_ROWS < TILE_ROWS ? rowEnd - o - TILE_ROWS : TILE_ROWS;
        unpack_tile(packed, scales, minimums, rowBytes, groups, blocks, o, count, nextCount > 0 ? (int)nextCount : 0,
                    codes, tileScales, tileOffsets);
        for (ptrdiff_t pass = 0, j = 0; pass < passes; pass++) {
            ptrdiff_t rows = (n - j) / (passes - pass);
#define FINCH_Q4_TILE_ROWS(R)                                                                                           \
    (minimums ? tile_rows(R, 0, codes, tileScales, tileOffsets, blocksPerGroup, groups, blocks, inputStride, xq, xScales,  \
                          groupSums, negatedSums, bias, y, ldy, o, count, j)                                               \
              : tile_rows(R, 1, codes, tileScales, tileOffsets, blocksPerGroup, groups, blocks, inputStride, xq, xScales,  \
                          groupSums, negatedSums, bias, y, ldy, o, count, j))
            switch (rows) {
            case 12: FINCH_Q4_TILE_ROWS(12); break;
            case 11: FINCH_Q4_TILE_ROWS(11); break;
            case 10: FINCH_Q4_TILE_ROWS(10); break;
            case 9: FINCH_Q4_TILE_ROWS(9); break;
            case 8: FINCH_Q4_TILE_ROWS(8); break;
            case 7: FINCH_Q4_TILE_ROWS(7); break;
            case 6: FINCH_Q4_TILE_ROWS(6); break;
            case 5: FINCH_Q4_TILE_ROWS(5); break;
            case 4: FINCH_Q4_TILE_ROWS(4); break;
            case 3: FINCH_Q4_TILE_ROWS(3); break;
            case 2: FINCH_Q4_TILE_ROWS(2); break;
            default: FINCH_Q4_TILE_ROWS(1); break;
            }
#undef FINCH_Q4_TILE_ROWS
            j += rows;
        }
    }
    free(codes);
}

#else

void finch_q4_gemm_vnni(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                        ptrdiff_t columns, ptrdiff_t groupSize,
                        const int8_t *xq, const float *xScales, const float *groupSums, ptrdiff_t n,
                        const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    finch_q4_gemm(packed, scales, minimums, columns, groupSize, xq, xScales, groupSums, n, bias, y, ldy, rowBegin, rowEnd);
}

#endif
