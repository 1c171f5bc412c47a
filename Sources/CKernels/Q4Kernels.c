#include "CKernels.h"

#if defined(__AVX2__) && defined(__F16C__)
#include <immintrin.h>
#endif

static inline ptrdiff_t min_index(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }

// Every product is Σ_g [ scale_g · Σ_{blocks b of g} xScale_b · (q · xq)_b + minimum_g · Σ_{i in g} x_i ]:
// the codes q (0…15) meet the int8 activation codes xq in integer arithmetic, 32 at a time, and
// the offset (the minimum, or −8·scale for the symmetric scheme) needs only the group's sum of x.

#if defined(__AVX2__) && defined(__F16C__)

static inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// One 32-byte load of a pair: the low nibbles are the first block's 32 codes, the high the second's.
static inline void unpack_pair(const uint8_t *p, __m256i *first, __m256i *second) {
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256i bytes = _mm256_loadu_si256((const __m256i *)p);
    *first = _mm256_and_si256(bytes, mask);
    *second = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
}

/// The 32 products q · xq summed into eight int32 lanes, as floats. maddubs multiplies unsigned
/// codes (≤ 15) by signed ones (|xq| ≤ 127): pair sums stay within int16.
static inline __m256 block_dot(__m256i codes, __m256i xq) {
    __m256i pairs = _mm256_maddubs_epi16(codes, xq);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

/// Eight blocks' int32 lane sums reduced to one vector of their eight totals, in block order:
/// two levels of hadd leave each 128-bit half with four blocks' partial sums, and the halves
/// are added across. 9 instructions for 8 blocks, where converting and scaling each block's
/// lanes on its own took 5 each.
static inline __m256i block_totals(__m256i d0, __m256i d1, __m256i d2, __m256i d3,
                                   __m256i d4, __m256i d5, __m256i d6, __m256i d7) {
    __m256i low = _mm256_hadd_epi32(_mm256_hadd_epi32(d0, d1), _mm256_hadd_epi32(d2, d3));
    __m256i high = _mm256_hadd_epi32(_mm256_hadd_epi32(d4, d5), _mm256_hadd_epi32(d6, d7));
    return _mm256_add_epi32(_mm256_permute2x128_si256(low, high, 0x20), _mm256_permute2x128_si256(low, high, 0x31));
}

/// One block's Σ q · xq in eight int32 lanes (xq read from memory).
static inline __m256i block_lanes(__m256i codes, const int8_t *xq) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(codes, _mm256_loadu_si256((const __m256i *)xq)), _mm256_set1_epi16(1));
}

/// Σ_g offset_g · groupSums_g for one row: offset = minimum, or −8 · scale when there are none.
/// `sum` holds the first `g` groups' products already, lane by lane.
static inline float offset_term_from(__m256 sum, ptrdiff_t g, const uint16_t *scales, const uint16_t *minimums,
                                     ptrdiff_t groups, const float *groupSums) {
    const uint16_t *offsets = minimums ? minimums : scales;
    for (; g + 8 <= groups; g += 8) {
        __m256 values = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(offsets + g)));
        sum = _mm256_fmadd_ps(values, _mm256_loadu_ps(groupSums + g), sum);
    }
    float total = horizontal_sum(sum);
    for (; g < groups; g++) total += _cvtsh_ss(offsets[g]) * groupSums[g];
    return minimums ? total : -8 * total;
}

static inline float offset_term(const uint16_t *scales, const uint16_t *minimums, ptrdiff_t groups,
                                const float *groupSums) {
    return offset_term_from(_mm256_setzero_ps(), 0, scales, minimums, groups, groupSums);
}

/// The group of block b: b itself at group size 32 (ONE_BLOCK_GROUPS), a division otherwise.
static inline __attribute__((always_inline)) ptrdiff_t group_of(const int ONE_BLOCK_GROUPS, ptrdiff_t b,
                                                                ptrdiff_t blocksPerGroup) {
    return ONE_BLOCK_GROUPS ? b : b / blocksPerGroup;
}

/// Rows r..<r+ROWS against one input, a pair of blocks (64 columns) per step. Several rows share
/// each load of xq and give the FMA units independent chains; each row's arithmetic is the same
/// for any ROWS. The hardware prefetcher loses track of ROWS interleaved streams, so the block of
/// rows four ahead is prefetched at the pace of consumption (one line per 64 bytes read): one
/// ahead left a thread at 18.6 GB/s on the decode step, four ahead 19.6 (a 4-row block is 1 KB at
/// 512 inputs).
static inline __attribute__((always_inline)) void gemv_block(
    const int ROWS, const int ONE_BLOCK_GROUPS, const uint8_t *packed, const uint16_t *scales,
    const uint16_t *minimums, ptrdiff_t rowBytes, ptrdiff_t blocksPerGroup, ptrdiff_t groups, ptrdiff_t blocks,
    const int8_t *xq, const float *xScales, const float *groupSums, const float *bias, float *y, ptrdiff_t r) {
    const uint8_t *row[4];
    const uint16_t *rowScales[4], *rowMinimums[4];
    __m256 total[4], offsetTotal[4];
    for (int k = 0; k < ROWS; k++) {
        row[k] = packed + (r + k) * rowBytes;
        rowScales[k] = scales + (r + k) * groups;
        rowMinimums[k] = minimums ? minimums + (r + k) * groups : NULL;
        total[k] = _mm256_setzero_ps();
        offsetTotal[k] = _mm256_setzero_ps();
    }
    const uintptr_t next = (uintptr_t)(packed + (r + 4 * ROWS) * rowBytes);
    ptrdiff_t b = 0;
    if (ONE_BLOCK_GROUPS) {
        // Eight blocks (256 columns, 128 bytes a row) a step: their eight scales are one vector,
        // so the int32 totals are converted and scaled once per step instead of once per block.
        for (; b + 8 <= blocks; b += 8) {
            if (ROWS == 4) {
                for (int line = 0; line < 8; line++) _mm_prefetch((const char *)(next + 64 * ((uintptr_t)b + line)), _MM_HINT_T0);
            }
            __m256 xScale = _mm256_loadu_ps(xScales + b), sums = _mm256_loadu_ps(groupSums + b);
            for (int k = 0; k < ROWS; k++) {
                __m256i c0, c1, c2, c3, c4, c5, c6, c7;
                unpack_pair(row[k] + 16 * b, &c0, &c1);
                unpack_pair(row[k] + 16 * b + 32, &c2, &c3);
                unpack_pair(row[k] + 16 * b + 64, &c4, &c5);
                unpack_pair(row[k] + 16 * b + 96, &c6, &c7);
                const int8_t *x = xq + 32 * b;
                __m256i dots = block_totals(block_lanes(c0, x), block_lanes(c1, x + 32), block_lanes(c2, x + 64),
                                            block_lanes(c3, x + 96), block_lanes(c4, x + 128), block_lanes(c5, x + 160),
                                            block_lanes(c6, x + 192), block_lanes(c7, x + 224));
                __m256 scale = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(rowScales[k] + b)));
                total[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dots), _mm256_mul_ps(scale, xScale), total[k]);
                // The offset term of these eight groups (see offset_term) while their scales are loaded.
                __m256 offset = minimums ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(rowMinimums[k] + b))) : scale;
                offsetTotal[k] = _mm256_fmadd_ps(offset, sums, offsetTotal[k]);
            }
        }
    }
    for (; b + 2 <= blocks; b += 2) {
        if (ROWS == 4) {
            _mm_prefetch((const char *)(next + 64 * (uintptr_t)b), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + 64 * (uintptr_t)b + 64), _MM_HINT_T0);
        }
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(xq + 32 * b));
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(xq + 32 * b + 32));
        float xScale0 = xScales[b], xScale1 = xScales[b + 1];
        ptrdiff_t g0 = group_of(ONE_BLOCK_GROUPS, b, blocksPerGroup), g1 = group_of(ONE_BLOCK_GROUPS, b + 1, blocksPerGroup);
        for (int k = 0; k < ROWS; k++) {
            __m256i first, second;
            unpack_pair(row[k] + 16 * b, &first, &second);
            total[k] = _mm256_fmadd_ps(block_dot(first, x0), _mm256_set1_ps(_cvtsh_ss(rowScales[k][g0]) * xScale0), total[k]);
            total[k] = _mm256_fmadd_ps(block_dot(second, x1), _mm256_set1_ps(_cvtsh_ss(rowScales[k][g1]) * xScale1), total[k]);
        }
    }
    if (b < blocks) {
        // An odd last block: the low nibbles of a padded pair.
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(xq + 32 * b));
        ptrdiff_t g0 = group_of(ONE_BLOCK_GROUPS, b, blocksPerGroup);
        for (int k = 0; k < ROWS; k++) {
            __m256i first, second;
            unpack_pair(row[k] + 16 * b, &first, &second);
            total[k] = _mm256_fmadd_ps(block_dot(first, x0), _mm256_set1_ps(_cvtsh_ss(rowScales[k][g0]) * xScales[b]), total[k]);
        }
    }
    // The eight-block steps covered groups 0..<g (none unless ONE_BLOCK_GROUPS).
    ptrdiff_t g = ONE_BLOCK_GROUPS ? blocks / 8 * 8 : 0;
    for (int k = 0; k < ROWS; k++) {
        y[r + k] = horizontal_sum(total[k]) + offset_term_from(offsetTotal[k], g, rowScales[k], rowMinimums[k], groups, groupSums)
            + (bias ? bias[r + k] : 0.0f);
    }
}

static inline __attribute__((always_inline)) void gemv_rows(
    const int ONE_BLOCK_GROUPS, const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
    ptrdiff_t rowBytes, ptrdiff_t blocksPerGroup, ptrdiff_t groups, ptrdiff_t blocks,
    const int8_t *xq, const float *xScales, const float *groupSums, const float *bias, float *y,
    ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t r = rowBegin;
    for (; r + 4 <= rowEnd; r += 4) {
        gemv_block(4, ONE_BLOCK_GROUPS, packed, scales, minimums, rowBytes, blocksPerGroup, groups, blocks,
                   xq, xScales, groupSums, bias, y, r);
    }
    for (; r < rowEnd; r++) {
        gemv_block(1, ONE_BLOCK_GROUPS, packed, scales, minimums, rowBytes, blocksPerGroup, groups, blocks,
                   xq, xScales, groupSums, bias, y, r);
    }
}

void finch_q4_gemv(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                   ptrdiff_t columns, ptrdiff_t groupSize,
                   const int8_t *xq, const float *xScales, const float *groupSums,
                   const float *bias, float *y, ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize, blocks = (columns + 31) / 32;
    ptrdiff_t rowBytes = finch_q4_row_bytes(columns), blocksPerGroup = groupSize / 32;
    if (blocksPerGroup == 1) {
        gemv_rows(1, packed, scales, minimums, rowBytes, 1, groups, blocks, xq, xScales, groupSums, bias, y, rowBegin, rowEnd);
    } else {
        gemv_rows(0, packed, scales, minimums, rowBytes, blocksPerGroup, groups, blocks, xq, xScales, groupSums, bias, y,
                  rowBegin, rowEnd);
    }
}

/// Output rows o..<o+ROWS against input rows j..<j+R: each pair of blocks is unpacked once and
/// used for R inputs. Each y element's arithmetic does not depend on ROWS or R.
static inline __attribute__((always_inline)) void gemm_tile(
    const int ROWS, const int R, const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
    ptrdiff_t rowBytes, ptrdiff_t blocksPerGroup, ptrdiff_t groups, ptrdiff_t blocks, ptrdiff_t inputStride,
    const int8_t *xq, const float *xScales, const float *groupSums, const float *bias,
    float *y, ptrdiff_t ldy, ptrdiff_t o, ptrdiff_t j) {
    __m256 sum[2][4];
    for (int k = 0; k < ROWS; k++) for (int i = 0; i < R; i++) sum[k][i] = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < blocks; b += 2) {
        const int both = b + 1 < blocks;
        ptrdiff_t g0 = blocksPerGroup == 1 ? b : b / blocksPerGroup;
        ptrdiff_t g1 = blocksPerGroup == 1 ? b + both : (b + both) / blocksPerGroup;
        __m256i codes[2][2];
        float scale[2][2];
        for (int k = 0; k < ROWS; k++) {
            unpack_pair(packed + (o + k) * rowBytes + 16 * b, &codes[k][0], &codes[k][1]);
            scale[k][0] = _cvtsh_ss(scales[(o + k) * groups + g0]);
            scale[k][1] = _cvtsh_ss(scales[(o + k) * groups + g1]);
        }
        for (int i = 0; i < R; i++) {
            const int8_t *input = xq + (j + i) * inputStride + 32 * b;
            const float *inputScales = xScales + (j + i) * blocks + b;
            for (int half = 0; half <= both; half++) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(input + 32 * half));
                for (int k = 0; k < ROWS; k++) {
                    sum[k][i] = _mm256_fmadd_ps(block_dot(codes[k][half], x),
                                                _mm256_set1_ps(scale[k][half] * inputScales[half]), sum[k][i]);
                }
            }
        }
    }
    for (int k = 0; k < ROWS; k++) {
        const uint16_t *rowMinimums = minimums ? minimums + (o + k) * groups : NULL;
        for (int i = 0; i < R; i++) {
            y[(j + i) * ldy + o + k] = horizontal_sum(sum[k][i])
                + offset_term(scales + (o + k) * groups, rowMinimums, groups, groupSums + (j + i) * groups)
                + (bias ? bias[o + k] : 0.0f);
        }
    }
}

static inline __attribute__((always_inline)) void gemm_input_rows(
    const int R, const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
    ptrdiff_t rowBytes, ptrdiff_t blocksPerGroup, ptrdiff_t groups, ptrdiff_t blocks, ptrdiff_t inputStride,
    const int8_t *xq, const float *xScales, const float *groupSums, const float *bias,
    float *y, ptrdiff_t ldy, ptrdiff_t begin, ptrdiff_t end, ptrdiff_t j) {
    ptrdiff_t o = begin;
    for (; o + 2 <= end; o += 2) {
        gemm_tile(2, R, packed, scales, minimums, rowBytes, blocksPerGroup, groups, blocks, inputStride,
                  xq, xScales, groupSums, bias, y, ldy, o, j);
    }
    for (; o < end; o++) {
        gemm_tile(1, R, packed, scales, minimums, rowBytes, blocksPerGroup, groups, blocks, inputStride,
                  xq, xScales, groupSums, bias, y, ldy, o, j);
    }
}

void finch_q4_gemm(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                   ptrdiff_t columns, ptrdiff_t groupSize,
                   const int8_t *xq, const float *xScales, const float *groupSums, ptrdiff_t n,
                   const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize, blocks = (columns + 31) / 32;
    ptrdiff_t rowBytes = finch_q4_row_bytes(columns), blocksPerGroup = groupSize / 32;
    ptrdiff_t inputStride = finch_q4_input_stride(columns);
    // A block of output rows is finished for every input row before the next: its codes
    // (256 rows, 32–128 KB) come from memory once and from L2 afterwards.
    const ptrdiff_t block = 256;
    for (ptrdiff_t begin = rowBegin; begin < rowEnd; begin += block) {
        ptrdiff_t end = min_index(begin + block, rowEnd);
        ptrdiff_t j = 0;
        for (; j + 4 <= n; j += 4) {
            gemm_input_rows(4, packed, scales, minimums, rowBytes, blocksPerGroup, groups, blocks, inputStride,
                            xq, xScales, groupSums, bias, y, ldy, begin, end, j);
        }
        for (; j < n; j++) {
            gemm_input_rows(1, packed, scales, minimums, rowBytes, blocksPerGroup, groups, blocks, inputStride,
                            xq, xScales, groupSums, bias, y, ldy, begin, end, j);
        }
    }
}

#else

void finch_q4_gemv(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                   ptrdiff_t columns, ptrdiff_t groupSize,
                   const int8_t *xq, const float *xScales, const float *groupSums,
                   const float *bias, float *y, ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize, blocks = (columns + 31) / 32;
    ptrdiff_t rowBytes = finch_q4_row_bytes(columns), blocksPerGroup = groupSize / 32;
    for (ptrdiff_t r = rowBegin; r < rowEnd; r++) {
        const uint8_t *row = packed + r * rowBytes;
        float total = 0, offsets = 0;
        for (ptrdiff_t g = 0; g < groups; g++) {
            float scale = finch_float_from_half(scales[r * groups + g]);
            for (ptrdiff_t b = g * blocksPerGroup, end = min_index(b + blocksPerGroup, blocks); b < end; b++) {
                int32_t dot = 0;
                const uint8_t *bytes = row + (b / 2) * 32;
                for (int i = 0; i < 32; i++) dot += (b % 2 ? bytes[i] >> 4 : bytes[i] & 15) * xq[32 * b + i];
                total += (float)dot * scale * xScales[b];
            }
            offsets += (minimums ? finch_float_from_half(minimums[r * groups + g]) : -8 * scale) * groupSums[g];
        }
        y[r] = total + offsets + (bias ? bias[r] : 0.0f);
    }
}

void finch_q4_gemm(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                   ptrdiff_t columns, ptrdiff_t groupSize,
                   const int8_t *xq, const float *xScales, const float *groupSums, ptrdiff_t n,
                   const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize, blocks = (columns + 31) / 32;
    for (ptrdiff_t j = 0; j < n; j++) {
        finch_q4_gemv(packed, scales, minimums, columns, groupSize, xq + j * finch_q4_input_stride(columns), xScales + j * blocks,
                      groupSums + j * groups, bias, y + j * ldy, rowBegin, rowEnd);
    }
}

#endif
