// The multi-row 4-bit product (prefill, perplexity, batched decoding) on AVX-512 VNNI's vpdpbusd,
// for Finch's Q4Matrix (Sources/Tensor/Q4Matrix.swift); the packing, activations and arithmetic
// are those of finch_q4_gemm in CKernels.h.
//
// The output rows go in tiles of sixteen, one per 32-bit lane of a 512-bit vector. A tile's codes
// are transposed and unpacked once to bytes (0…15), [block][step of 4 columns][lane][4], in a
// buffer that stays in L1, so one 64-byte load feeds 16 rows × 4 columns and each input row's four
// int8 codes of a step are one broadcast: vpdpbusd multiplies the unsigned codes by the signed
// activations directly; each tile then serves every input row, up to twelve at a time. For
// output o and input row r, with S_b = Σ q · xq over block b (exact int32):
//     acc = 0
//     for b in blocks (group g = b / (groupSize / 32)), when b ends group g:
//         symmetric:  acc = fma(fma(float(S_b), xScales[r, b], −8 · groupSums[r, g]), scale[o, g], acc)
//         asymmetric: acc = fma(float(S_b), scale[o, g] · xScales[r, b], acc)
//                     acc = fma(minimum[o, g], groupSums[r, g], acc)
//     (a block that does not end its group: S_b · xScales[r, b] · scale[o, g] alone)
//     y[r * ldy + o] = acc (+ bias[o])
// The order is the same whatever the number of input rows, the tile or the thread split: a
// sequence alone and in a batch get the same bits from this kernel.
#ifndef FINCH_Q4_VNNI_KERNELS_H
#define FINCH_Q4_VNNI_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Whether this CPU (and OS) runs finch_q4_gemm_vnni: AVX-512 F, VL, BW and VNNI.
int finch_q4_vnni_available(void);

/// y[j * ldy + r] for the n prepared input rows j (finch_q4_prepare_input) and output rows
/// rowBegin..<rowEnd, as finch_q4_gemm. Only call when finch_q4_vnni_available().
void finch_q4_gemm_vnni(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                        ptrdiff_t columns, ptrdiff_t groupSize,
                        const int8_t *xq, const float *xScales, const float *groupSums, ptrdiff_t n,
                        const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t rowBegin, ptrdiff_t rowEnd);

#ifdef __cplusplus
}
#endif

#endif
