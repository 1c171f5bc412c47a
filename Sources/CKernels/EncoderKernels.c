// AVX-512 kernel for `finch_encoder_skinny_gemm` (see the header). OpenBLAS repacks the whole weight
// matrix on every sgemm call, which for a 9-token query costs more than the product; here a block of
// four weight rows is loaded once per 16 floats of k and multiplied into up to six activation rows
// held in 24 zmm accumulators, so each weight is read from memory once and the FMA units, not the
// loads, set the pace. Row groups have their exact size (9 rows run as 6 + 3, nothing padded).
#include "EncoderKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define FINCH_ENCODER_AVX512 1
#endif

#ifdef FINCH_ENCODER_AVX512

int finch_encoder_skinny_gemm_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

#define ROWS_MAX 6
#define COLUMNS_MAX 4

// Sums of each accumulator's 16 lanes for columns j..j+3 of one row, in one xmm: the 512 → 256 fold
// per accumulator, then horizontal adds that pair the four columns up instead of four full reductions.
__attribute__((target("avx512f"), always_inline))
static inline __m128 sum_four(__m512 c0, __m512 c1, __m512 c2, __m512 c3) {
    __m256 f0 = _mm256_add_ps(_mm512_castps512_ps256(c0), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(c0), 1)));
    __m256 f1 = _mm256_add_ps(_mm512_castps512_ps256(c1), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(c1), 1)));
    __m256 f2 = _mm256_add_ps(_mm512_castps512_ps256(c2), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(c2), 1)));
    __m256 f3 = _mm256_add_ps(_mm512_castps512_ps256(c3), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(c3), 1)));
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(f0, f1), _mm256_hadd_ps(f2, f3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// Rows r..r+ROWS-1 × columns j..j+COLUMNS-1; ROWS and COLUMNS are constants at every call site, so
// the accumulator arrays live in registers once this is inlined.
__attribute__((target("avx512f"), always_inline))
static inline void block(float *out, const float *a, const float *b, const float *bias,
                         ptrdiff_t k, ptrdiff_t n, ptrdiff_t j, const int ROWS, const int COLUMNS) {
    __m512 acc[ROWS_MAX][COLUMNS_MAX];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLUMNS; c++) acc[r][c] = _mm512_setzero_ps();
    const float *w = b + j * k;
    ptrdiff_t i = 0;
    for (; i + 16 <= k; i += 16) {
        __m512 wv[COLUMNS_MAX];
        for (int c = 0; c < COLUMNS; c++) {
            // The next block's rows, one cache line each per step: the hardware prefetcher alone
            // leaves a single core well short of the memory bandwidth this kernel is bound by.
            _mm_prefetch((const char *)(w + (COLUMNS + c) * k + i), _MM_HINT_T0);
            wv[c] = _mm512_loadu_ps(w + c * k + i);
        }
        for (int r = 0; r < ROWS; r++) {
            __m512 x = _mm512_loadu_ps(a + r * k + i);
            for (int c = 0; c < COLUMNS; c++) acc[r][c] = _mm512_fmadd_ps(x, wv[c], acc[r][c]);
        }
    }
    if (i < k) {
        __mmask16 mask = (__mmask16)((1u << (k - i)) - 1);
        __m512 wv[COLUMNS_MAX];
        for (int c = 0; c < COLUMNS; c++) wv[c] = _mm512_maskz_loadu_ps(mask, w + c * k + i);
        for (int r = 0; r < ROWS; r++) {
            __m512 x = _mm512_maskz_loadu_ps(mask, a + r * k + i);
            for (int c = 0; c < COLUMNS; c++) acc[r][c] = _mm512_fmadd_ps(x, wv[c], acc[r][c]);
        }
    }
    for (int r = 0; r < ROWS; r++) {
        float *target = out + r * n + j;
        if (COLUMNS == 4) {
            __m128 s = sum_four(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
            if (bias) s = _mm_add_ps(s, _mm_loadu_ps(bias + j));
            _mm_storeu_ps(target, s);
        } else {
            for (int c = 0; c < COLUMNS; c++) target[c] = _mm512_reduce_add_ps(acc[r][c]) + (bias ? bias[j + c] : 0.0f);
        }
    }
}

// One row group of `rows` (1...ROWS_MAX) over columns j..j+columns-1 (columns 4 or 1).
__attribute__((target("avx512f")))
static void row_group(float *out, const float *a, const float *b, const float *bias,
                      ptrdiff_t rows, ptrdiff_t k, ptrdiff_t n, ptrdiff_t j, int columns) {
#define FINCH_BLOCK(R) \
    case R: if (columns == 4) block(out, a, b, bias, k, n, j, R, 4); else block(out, a, b, bias, k, n, j, R, 1); break;
    switch (rows) {
        FINCH_BLOCK(1) FINCH_BLOCK(2) FINCH_BLOCK(3) FINCH_BLOCK(4) FINCH_BLOCK(5) FINCH_BLOCK(6)
        default: break;
    }
#undef FINCH_BLOCK
}

__attribute__((target("avx512f")))
void finch_encoder_skinny_gemm(float *out, const float *a, const float *b, const float *bias,
                               ptrdiff_t m, ptrdiff_t k, ptrdiff_t n, ptrdiff_t columnBegin, ptrdiff_t columnEnd) {
    // Row groups as even as possible (9 rows → 5 + 4), each at most ROWS_MAX.
    ptrdiff_t groups = (m + ROWS_MAX - 1) / ROWS_MAX;
    ptrdiff_t j = columnBegin;
    while (j < columnEnd) {
        int columns = columnEnd - j >= 4 ? 4 : 1;
        ptrdiff_t r = 0;
        for (ptrdiff_t g = 0; g < groups; g++) {
            ptrdiff_t rows = (m - r) / (groups - g);
            row_group(out + r * n, a + r * k, b, bias, rows, k, n, j, columns);
            r += rows;
        }
        j += columns;
    }
}

#else

int finch_encoder_skinny_gemm_available(void) { return 0; }

void finch_encoder_skinny_gemm(float *out, const float *a, const float *b, const float *bias,
                               ptrdiff_t m, ptrdiff_t k, ptrdiff_t n, ptrdiff_t columnBegin, ptrdiff_t columnEnd) {
    (void)out; (void)a; (void)b; (void)bias; (void)m; (void)k; (void)n; (void)columnBegin; (void)columnEnd;
}

#endif
