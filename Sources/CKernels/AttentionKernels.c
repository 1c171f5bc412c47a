#include "CKernels.h"

#ifdef __AVX2__
#include <immintrin.h>

/// The eight sums of a[0…7]'s lanes, in order.
static inline __m256 sum_lanes_of_eight(const __m256 a[8]) {
    __m256 s01 = _mm256_hadd_ps(a[0], a[1]), s23 = _mm256_hadd_ps(a[2], a[3]);
    __m256 s45 = _mm256_hadd_ps(a[4], a[5]), s67 = _mm256_hadd_ps(a[6], a[7]);
    __m256 s0123 = _mm256_hadd_ps(s01, s23), s4567 = _mm256_hadd_ps(s45, s67);
    // Lanes: [0 1 2 3 | 0 1 2 3] halves of sums 0–3 and [4 5 6 7 | 4 5 6 7] of sums 4–7.
    __m256 low = _mm256_permute2f128_ps(s0123, s4567, 0x20), high = _mm256_permute2f128_ps(s0123, s4567, 0x31);
    return _mm256_add_ps(low, high);
}

void finch_attention_scores(const float *query, const float *keys, ptrdiff_t stride, ptrdiff_t count,
                            ptrdiff_t width, float *scores) {
    const ptrdiff_t vectorWidth = width & ~(ptrdiff_t)7;
    ptrdiff_t j = 0;
    // Eight keys at a time: eight independent FMA chains, then one transposing reduction.
    for (; j + 8 <= count; j += 8) {
        __m256 acc[8];
        for (int k = 0; k < 8; k++) acc[k] = _mm256_setzero_ps();
        for (ptrdiff_t d = 0; d < vectorWidth; d += 8) {
            __m256 q = _mm256_loadu_ps(query + d);
            for (int k = 0; k < 8; k++) acc[k] = _mm256_fmadd_ps(q, _mm256_loadu_ps(keys + (j + k) * stride + d), acc[k]);
        }
        __m256 sums = sum_lanes_of_eight(acc);
        if (vectorWidth < width) {
            float tails[8];
            for (int k = 0; k < 8; k++) {
                float tail = 0;
                for (ptrdiff_t d = vectorWidth; d < width; d++) tail += query[d] * keys[(j + k) * stride + d];
                tails[k] = tail;
            }
            sums = _mm256_add_ps(sums, _mm256_loadu_ps(tails));
        }
        _mm256_storeu_ps(scores + j, sums);
    }
    for (; j < count; j++) {
        float sum = 0;
        for (ptrdiff_t d = 0; d < width; d++) sum += query[d] * keys[j * stride + d];
        scores[j] = sum;
    }
}

/// out[d…d + 8B) = Σ_j probs[j] · values[j, d…d + 8B), B blocks of 8 columns in registers.
static inline __attribute__((always_inline)) void weighted_blocks(const int B, const float *probs, const float *values,
                                                                  ptrdiff_t stride, ptrdiff_t count, ptrdiff_t d, float *out) {
    __m256 acc[8];
    for (int k = 0; k < B; k++) acc[k] = _mm256_setzero_ps();
    for (ptrdiff_t j = 0; j < count; j++) {
        __m256 p = _mm256_set1_ps(probs[j]);
        const float *row = values + j * stride + d;
        for (int k = 0; k < B; k++) acc[k] = _mm256_fmadd_ps(p, _mm256_loadu_ps(row + 8 * k), acc[k]);
    }
    for (int k = 0; k < B; k++) _mm256_storeu_ps(out + d + 8 * k, acc[k]);
}

void finch_attention_weighted_sum(const float *probs, const float *values, ptrdiff_t stride, ptrdiff_t count,
                                  ptrdiff_t width, float *out) {
    ptrdiff_t d = 0;
    // 64 columns (one head of GPT-2 and slm60m) held in eight registers across all positions.
    for (; d + 64 <= width; d += 64) weighted_blocks(8, probs, values, stride, count, d, out);
    // The 8-column blocks left (a head of 32, like the narrator's, is four) in one pass over the
    // positions: one FMA chain per block side by side, instead of one latency-bound chain at a
    // time. Each column still sums its positions in order, so the bits do not change.
    switch ((width - d) / 8) {
    case 7: weighted_blocks(7, probs, values, stride, count, d, out); break;
    case 6: weighted_blocks(6, probs, values, stride, count, d, out); break;
    case 5: weighted_blocks(5, probs, values, stride, count, d, out); break;
    case 4: weighted_blocks(4, probs, values, stride, count, d, out); break;
    case 3: weighted_blocks(3, probs, values, stride, count, d, out); break;
    case 2: weighted_blocks(2, probs, values, stride, count, d, out); break;
    case 1: weighted_blocks(1, probs, values, stride, count, d, out); break;
    default: break;
    }
    d += (width - d) / 8 * 8;
    for (; d < width; d++) {
        float sum = 0;
        for (ptrdiff_t j = 0; j < count; j++) sum += probs[j] * values[j * stride + d];
        out[d] = sum;
    }
}

/// weighted_blocks for two heads at once (same positions, probabilities of their own): 2B
/// independent FMA chains where one narrow head has only B, each column summed exactly as there.
static inline __attribute__((always_inline)) void weighted_blocks_pair(const int B, const float *probsA, const float *valuesA,
                                                                       float *outA, const float *probsB, const float *valuesB,
                                                                       float *outB, ptrdiff_t stride, ptrdiff_t count) {
    __m256 accA[4], accB[4];
    for (int k = 0; k < B; k++) accA[k] = accB[k] = _mm256_setzero_ps();
    for (ptrdiff_t j = 0; j < count; j++) {
        __m256 pA = _mm256_set1_ps(probsA[j]), pB = _mm256_set1_ps(probsB[j]);
        const float *rowA = valuesA + j * stride, *rowB = valuesB + j * stride;
        for (int k = 0; k < B; k++) {
            accA[k] = _mm256_fmadd_ps(pA, _mm256_loadu_ps(rowA + 8 * k), accA[k]);
            accB[k] = _mm256_fmadd_ps(pB, _mm256_loadu_ps(rowB + 8 * k), accB[k]);
        }
    }
    for (int k = 0; k < B; k++) {
        _mm256_storeu_ps(outA + 8 * k, accA[k]);
        _mm256_storeu_ps(outB + 8 * k, accB[k]);
    }
}

void finch_attention_weighted_sum_pair(const float *probsA, const float *valuesA, float *outA, const float *probsB,
                                       const float *valuesB, float *outB, ptrdiff_t stride, ptrdiff_t count,
                                       ptrdiff_t width) {
    switch (width % 8 == 0 ? width / 8 : 0) {
    case 4: weighted_blocks_pair(4, probsA, valuesA, outA, probsB, valuesB, outB, stride, count); return;
    case 3: weighted_blocks_pair(3, probsA, valuesA, outA, probsB, valuesB, outB, stride, count); return;
    case 2: weighted_blocks_pair(2, probsA, valuesA, outA, probsB, valuesB, outB, stride, count); return;
    case 1: weighted_blocks_pair(1, probsA, valuesA, outA, probsB, valuesB, outB, stride, count); return;
    default:
        // Wide heads keep eight or more chains each already.
        finch_attention_weighted_sum(probsA, valuesA, stride, count, width, outA);
        finch_attention_weighted_sum(probsB, valuesB, stride, count, width, outB);
    }
}

#else

void finch_attention_scores(const float *query, const float *keys, ptrdiff_t stride, ptrdiff_t count,
                            ptrdiff_t width, float *scores) {
    for (ptrdiff_t j = 0; j < count; j++) {
        float sum = 0;
        for (ptrdiff_t d = 0; d < width; d++) sum += query[d] * keys[j * stride + d];
        scores[j] = sum;
    }
}

void finch_attention_weighted_sum(const float *probs, const float *values, ptrdiff_t stride, ptrdiff_t count,
                                  ptrdiff_t width, float *out) {
    for (ptrdiff_t d = 0; d < width; d++) {
        float sum = 0;
        for (ptrdiff_t j = 0; j < count; j++) sum += probs[j] * values[j * stride + d];
        out[d] = sum;
    }
}

void finch_attention_weighted_sum_pair(const float *probsA, const float *valuesA, float *outA, const float *probsB,
                                       const float *valuesB, float *outB, ptrdiff_t stride, ptrdiff_t count,
                                       ptrdiff_t width) {
    finch_attention_weighted_sum(probsA, valuesA, stride, count, width, outA);
    finch_attention_weighted_sum(probsB, valuesB, stride, count, width, outB);
}

#endif
