// AVX-512 kernel for `finch_encoder_bias_gelu` (see EncoderKernels.h): BERT's feed-forward activation,
// the exact erf GELU with the projection's bias added in the same pass. erf is Abramowitz & Stegun
// 7.1.26 (|error| ≤ 1.5e-7) as in Tensor's ExactGELU, its 1 / (1 + p·|x|) from a 14-bit reciprocal
// and one Newton step instead of a division, which on 16 lanes costs as much as the rest together.
#include "EncoderKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include "EncoderVectorExp.h"

__attribute__((target("avx512f"), always_inline))
static inline __m512 gelu(__m512 x) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 a = _mm512_abs_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)));
    __m512 d = _mm512_fmadd_ps(a, _mm512_set1_ps(0.3275911f), one);
    __m512 t = _mm512_rcp14_ps(d);
    t = _mm512_mul_ps(t, _mm512_fnmadd_ps(d, t, _mm512_set1_ps(2.0f)));
    __m512 p = _mm512_set1_ps(1.061405429f);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
    __m512 e = exp_nonpositive(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), a), a));
    // |erf| = 1 - p·t·e; x·Φ(x) = ½·x·(1 + sign(x)·|erf|) = ½·(x + |x|·|erf|).
    __m512 magnitude = _mm512_fnmadd_ps(_mm512_mul_ps(p, t), e, one);
    __m512 absx = _mm512_abs_ps(x);
    return _mm512_mul_ps(_mm512_set1_ps(0.5f), _mm512_fmadd_ps(absx, magnitude, x));
}

__attribute__((target("avx512f")))
void finch_encoder_bias_gelu(float *out, const float *input, const float *bias, ptrdiff_t rows, ptrdiff_t columns) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *x = input + r * columns;
        float *y = out + r * columns;
        ptrdiff_t j = 0;
        for (; j + 16 <= columns; j += 16)
            _mm512_storeu_ps(y + j, gelu(_mm512_add_ps(_mm512_loadu_ps(x + j), _mm512_loadu_ps(bias + j))));
        if (j < columns) {
            __mmask16 mask = (__mmask16)((1u << (columns - j)) - 1);
            __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, x + j), _mm512_maskz_loadu_ps(mask, bias + j));
            _mm512_mask_storeu_ps(y + j, mask, gelu(v));
        }
    }
}

#else

void finch_encoder_bias_gelu(float *out, const float *input, const float *bias, ptrdiff_t rows, ptrdiff_t columns) {
    (void)out; (void)input; (void)bias; (void)rows; (void)columns;
}

#endif
