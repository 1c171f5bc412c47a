#include "CKernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

/// Four positions' dot products with q in one pass: the horizontal sums of four accumulators
/// share three hadds, where one reduction per position cost as much as the products at d = 64.
static inline void four_scores(const float *q, const float *k, ptrdiff_t rowStride, ptrdiff_t d, float *scores) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (ptrdiff_t i = 0; i < d; i += 8) {
        __m256 x = _mm256_loadu_ps(q + i);
        a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + i), a0);
        a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + rowStride + i), a1);
        a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + 2 * rowStride + i), a2);
        a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k + 3 * rowStride + i), a3);
    }
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    _mm_storeu_ps(scores, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
}
#endif

static float dot(const float *x, const float *y, ptrdiff_t n) {
    float sum = 0;
    for (ptrdiff_t i = 0; i < n; i++) sum += x[i] * y[i];
    return sum;
}

void finch_attention_scores(const float *q, const float *keys, ptrdiff_t rowStride, ptrdiff_t positions,
                            ptrdiff_t headSize, float *scores) {
    ptrdiff_t t = 0;
#if defined(__AVX2__) && defined(__FMA__)
    if (headSize % 8 == 0) {
        for (; t + 4 <= positions; t += 4) four_scores(q, keys + t * rowStride, rowStride, headSize, scores + t);
    }
#endif
    for (; t < positions; t++) scores[t] = dot(q, keys + t * rowStride, headSize);
}

void finch_attention_weighted_sum(const float *weights, const float *values, ptrdiff_t rowStride,
                                  ptrdiff_t positions, ptrdiff_t headSize, float *out) {
    ptrdiff_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
    // 32 columns of out stay in registers across all positions.
    for (; i + 32 <= headSize; i += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (ptrdiff_t t = 0; t < positions; t++) {
            const float *row = values + t * rowStride + i;
            __m256 w = _mm256_broadcast_ss(weights + t);
            a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(row), a0);
            a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(row + 8), a1);
            a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(row + 16), a2);
            a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(row + 24), a3);
        }
        _mm256_storeu_ps(out + i, a0);
        _mm256_storeu_ps(out + i + 8, a1);
        _mm256_storeu_ps(out + i + 16, a2);
        _mm256_storeu_ps(out + i + 24, a3);
    }
#endif
    for (; i < headSize; i++) {
        float sum = 0;
        for (ptrdiff_t t = 0; t < positions; t++) sum += weights[t] * values[t * rowStride + i];
        out[i] = sum;
    }
}
