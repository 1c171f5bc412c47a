// The sentence encoder's projections for a few rows (one query sentence's tokens): out = a · bᵀ + bias
// with b in PyTorch's nn.Linear layout [N, K], each weight row streamed from memory once for all rows.
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

#ifdef __cplusplus
}
#endif

#endif
