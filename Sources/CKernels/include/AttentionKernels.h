// One query's attention over one head of a KV cache (Finch's BatchedForward): the decoding step,
// where every sequence has its own cache and a GEMM per (sequence, head) would be 1 × d · d × T.
#ifndef FINCH_ATTENTION_KERNELS_H
#define FINCH_ATTENTION_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// scores[j] = Σ_d query[d] · keys[j * stride + d] for j in 0..<count, d in 0..<width.
void finch_attention_scores(const float *query, const float *keys, ptrdiff_t stride, ptrdiff_t count,
                            ptrdiff_t width, float *scores);

/// out[d] = Σ_j probs[j] · values[j * stride + d] for d in 0..<width (written, not accumulated).
void finch_attention_weighted_sum(const float *probs, const float *values, ptrdiff_t stride, ptrdiff_t count,
                                  ptrdiff_t width, float *out);

/// finch_attention_weighted_sum of two heads with the same positions (two heads of one
/// sequence), interleaved: a narrow head (32 columns: four FMA chains, each waiting on its last
/// FMA) leaves most of the FMA units idle alone. Each output is the single call's, bit for bit.
void finch_attention_weighted_sum_pair(const float *probsA, const float *valuesA, float *outA, const float *probsB,
                                       const float *valuesB, float *outB, ptrdiff_t stride, ptrdiff_t count,
                                       ptrdiff_t width);

#ifdef __cplusplus
}
#endif

#endif
