// AVX-512 kernel for `finch_encoder_short_attention` (see EncoderKernels.h). A product description is
// about eight tokens, so one head's score row fits one zmm: with K transposed into a [d, 16] tile,
// a row of scores is d broadcast-FMAs, its softmax a masked vector exp, and P·V L broadcast-FMAs per
// 16 output channels. The generic path pays a 32-float dot product with a horizontal sum per score.
#include "EncoderKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include "EncoderVectorExp.h"

#define TILE 16
#define HEAD_MAX 64

__attribute__((target("avx512f")))
void finch_encoder_short_attention(float *out, const float *qkv, ptrdiff_t length, ptrdiff_t channels,
                                   ptrdiff_t headBegin, ptrdiff_t headEnd, ptrdiff_t headSize, float scale) {
    const ptrdiff_t stride = 3 * channels, blocks = headSize / TILE;
    const __mmask16 valid = (__mmask16)((1u << length) - 1);
    float kt[HEAD_MAX * TILE];
    for (ptrdiff_t h = headBegin; h < headEnd; h++) {
        const float *q = qkv + h * headSize, *k = q + channels, *v = q + 2 * channels;
        // kt[e, j] = K[j, e]; lanes j ≥ length stay unused (masked out of the softmax).
        for (ptrdiff_t j = 0; j < length; j++)
            for (ptrdiff_t e = 0; e < headSize; e++) kt[e * TILE + j] = k[j * stride + e];
        for (ptrdiff_t i = 0; i < length; i++) {
            const float *qi = q + i * stride;
            __m512 s = _mm512_setzero_ps();
            for (ptrdiff_t e = 0; e < headSize; e++)
                s = _mm512_fmadd_ps(_mm512_set1_ps(qi[e]), _mm512_loadu_ps(kt + e * TILE), s);
            s = _mm512_mul_ps(s, _mm512_set1_ps(scale));
            float maximum = _mm512_mask_reduce_max_ps(valid, s);
            __m512 e = _mm512_maskz_mov_ps(valid, exp_nonpositive(_mm512_sub_ps(s, _mm512_set1_ps(maximum))));
            float p[TILE];
            _mm512_storeu_ps(p, _mm512_mul_ps(e, _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(e))));
            __m512 acc[HEAD_MAX / TILE];
            for (ptrdiff_t b = 0; b < blocks; b++) acc[b] = _mm512_setzero_ps();
            for (ptrdiff_t j = 0; j < length; j++) {
                __m512 weight = _mm512_set1_ps(p[j]);
                for (ptrdiff_t b = 0; b < blocks; b++)
                    acc[b] = _mm512_fmadd_ps(weight, _mm512_loadu_ps(v + j * stride + b * TILE), acc[b]);
            }
            for (ptrdiff_t b = 0; b < blocks; b++) _mm512_storeu_ps(out + i * channels + h * headSize + b * TILE, acc[b]);
        }
    }
}

#else

void finch_encoder_short_attention(float *out, const float *qkv, ptrdiff_t length, ptrdiff_t channels,
                                   ptrdiff_t headBegin, ptrdiff_t headEnd, ptrdiff_t headSize, float scale) {
    (void)out; (void)qkv; (void)length; (void)channels; (void)headBegin; (void)headEnd; (void)headSize; (void)scale;
}

#endif
