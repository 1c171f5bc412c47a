#include "CKernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

static inline ptrdiff_t min_index(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }

static float row_dot(const float *w, const float *x, ptrdiff_t columns) {
    float sum = 0;
    for (ptrdiff_t i = 0; i < columns; i++) sum += w[i] * x[i];
    return sum;
}

void finch_f32_row_dots(const float *w, ptrdiff_t columns, const float *x, const float *bias, float *y,
                        ptrdiff_t rowBegin, ptrdiff_t rowEnd) {
    ptrdiff_t r = rowBegin;
#if defined(__AVX2__) && defined(__FMA__)
    ptrdiff_t vectorEnd = columns / 16 * 16;
    for (; r + 4 <= rowEnd; r += 4) {
        const float *w0 = w + r * columns, *w1 = w0 + columns, *w2 = w1 + columns, *w3 = w2 + columns;
        // The four rows sixteen ahead, at the pace they are read: four interleaved streams are
        // more than the hardware prefetcher follows at full rate.
        const char *ahead = (const char *)(w + min_index(r + 16, rowEnd) * columns);
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        ptrdiff_t i = 0;
        for (; i < vectorEnd; i += 16) {
            for (int line = 0; line < 4; line++) _mm_prefetch(ahead + 16 * i + 64 * line, _MM_HINT_T0);
            __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), x0, a0);
            b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i + 8), x1, b0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), x0, a1);
            b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i + 8), x1, b1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i), x0, a2);
            b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i + 8), x1, b2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i), x0, a3);
            b3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i + 8), x1, b3);
        }
        __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1)),
                                  _mm256_hadd_ps(_mm256_add_ps(a2, b2), _mm256_add_ps(a3, b3)));
        float sums[4];
        _mm_storeu_ps(sums, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
        for (int k = 0; k < 4; k++) {
            const float *row = w0 + k * columns;
            float sum = sums[k];
            for (ptrdiff_t j = vectorEnd; j < columns; j++) sum += row[j] * x[j];
            y[r + k] = sum + (bias ? bias[r + k] : 0.0f);
        }
    }
#endif
    for (; r < rowEnd; r++) y[r] = row_dot(w + r * columns, x, columns) + (bias ? bias[r] : 0.0f);
}
