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

// Head h of the sentence; BLOCKS = d / 16 is a constant at every call site, so the P·V accumulators
// stay in registers once this is inlined.
__attribute__((target("avx512f"), always_inline))
static inline void head(float *out, const float *qkv, ptrdiff_t length, ptrdiff_t channels, ptrdiff_t h,
                        float scale, float *kt, const int BLOCKS) {
    const ptrdiff_t stride = 3 * channels, headSize = BLOCKS * TILE;
    const __mmask16 valid = (__mmask16)((1u << length) - 1);
    const float *q = qkv + h * headSize, *k = q + channels, *v = q + 2 * channels;
    // kt[e, j] = K[j, e]; lanes j ≥ length stay unused (masked out of the softmax).
    for (ptrdiff_t j = 0; j < length; j++)
        for (ptrdiff_t e = 0; e < headSize; e++) kt[e * TILE + j] = k[j * stride + e];
    for (ptrdiff_t i = 0; i < length; i++) {
        const float *qi = q + i * stride;
        // Four partial sums, so the FMAs do not wait on each other's latency.
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (ptrdiff_t e = 0; e < headSize; e += 4) {
            s0 = _mm512_fmadd_ps(_mm512_set1_ps(qi[e]), _mm512_loadu_ps(kt + e * TILE), s0);
            s1 = _mm512_fmadd_ps(_mm512_set1_ps(qi[e + 1]), _mm512_loadu_ps(kt + (e + 1) * TILE), s1);
            s2 = _mm512_fmadd_ps(_mm512_set1_ps(qi[e + 2]), _mm512_loadu_ps(kt + (e + 2) * TILE), s2);
            s3 = _mm512_fmadd_ps(_mm512_set1_ps(qi[e + 3]), _mm512_loadu_ps(kt + (e + 3) * TILE), s3);
        }
        __m512 s = _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)), _mm512_set1_ps(scale));
        float maximum = _mm512_mask_reduce_max_ps(valid, s);
        __m512 e = _mm512_maskz_mov_ps(valid, exp_nonpositive(_mm512_sub_ps(s, _mm512_set1_ps(maximum))));
        float p[TILE];
        _mm512_storeu_ps(p, _mm512_mul_ps(e, _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(e))));
        __m512 acc[HEAD_MAX / TILE];
        for (int b = 0; b < BLOCKS; b++) acc[b] = _mm512_setzero_ps();
        for (ptrdiff_t j = 0; j < length; j++) {
            __m512 weight = _mm512_set1_ps(p[j]);
            for (int b = 0; b < BLOCKS; b++)
                acc[b] = _mm512_fmadd_ps(weight, _mm512_loadu_ps(v + j * stride + b * TILE), acc[b]);
        }
        for (int b = 0; b < BLOCKS; b++) _mm512_storeu_ps(out + i * channels + h * headSize + b * TILE, acc[b]);
    }
}

__attribute__((target("avx512f")))
void finch_encoder_short_attention(float *out, const float *qkv, ptrdiff_t length, ptrdiff_t channels,
                                   ptrdiff_t headBegin, ptrdiff_t headEnd, ptrdiff_t headSize, float scale) {
    float kt[HEAD_MAX * TILE];
    for (ptrdiff_t h = headBegin; h < headEnd; h++) {
        switch (headSize / TILE) {
            case 1: head(out, qkv, length, channels, h, scale, kt, 1); break;
            case 2: head(out, qkv, length, channels, h, scale, kt, 2); break;
            case 3: head(out, qkv, length, channels, h, scale, kt, 3); break;
            case 4: head(out, qkv, length, channels, h, scale, kt, 4); break;
            default: break;
        }
    }
}

#else

void finch_encoder_short_attention(float *out, const float *qkv, ptrdiff_t length, ptrdiff_t channels,
                                   ptrdiff_t headBegin, ptrdiff_t headEnd, ptrdiff_t headSize, float scale) {
    (void)out; (void)qkv; (void)length; (void)channels; (void)headBegin; (void)headEnd; (void)headSize; (void)scale;
}

#endif
