// The sentence encoder's AVX-512 kernels: its projections for a few rows (one query sentence's tokens),
// out = a · bᵀ + bias with b in PyTorch's nn.Linear layout [N, K], each weight row streamed from memory
// once for all rows; the self-attention of one short sentence, several heads in one call; and the
// feed-forward's bias + exact GELU.
#ifndef FINCH_ENCODER_KERNELS_H
#define FINCH_ENCODER_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU runs `finch_encoder_skinny_gemm` (AVX-512F), else 0: callers keep their own path then.
int finch_encoder_skinny_gemm_available(void);

/// out[r * n + j] = Σ_i a[r * k + i] · b[j * k + i] (+ bias[j] when bias is not NULL), for rows r in
/// 0..<m and columns j in columnBegin..<columnEnd; any m ≥ 1 and k ≥ 1 (a tail of k is masked).
/// Only to be called when `finch_encoder_skinny_gemm_available()` is 1.
void finch_encoder_skinny_gemm(float *out, const float *a, const float *b, const float *bias,
                               ptrdiff_t m, ptrdiff_t k, ptrdiff_t n, ptrdiff_t columnBegin, ptrdiff_t columnEnd);

/// Longest sentence `finch_encoder_short_attention` takes, and the largest head size.
#define FINCH_ENCODER_SHORT_ATTENTION_LENGTH 16
#define FINCH_ENCODER_SHORT_ATTENTION_HEAD_SIZE 64

/// One sentence's bidirectional self-attention, heads headBegin..<headEnd: qkv [L, 3C] (Q, K, V side by
/// side, head h at columns h·d of each), out [L, C] with out_h = softmax(Q_h·K_hᵀ·scale)·V_h by row.
/// L in 1...16, d a multiple of 16 up to 64, C = heads·d. Only to be called when
/// `finch_encoder_skinny_gemm_available()` is 1 (the same AVX-512F).
void finch_encoder_short_attention(float *out, const float *qkv, ptrdiff_t length, ptrdiff_t channels,
                                   ptrdiff_t headBegin, ptrdiff_t headEnd, ptrdiff_t headSize, float scale);

/// out[r * columns + j] = gelu(input[r * columns + j] + bias[j]) with GELU's exact erf form, for rows
/// r in 0..<rows; out may be input. Only to be called when `finch_encoder_skinny_gemm_available()` is 1.
void finch_encoder_bias_gelu(float *out, const float *input, const float *bias, ptrdiff_t rows, ptrdiff_t columns);

#ifdef __cplusplus
}
#endif

#endif
