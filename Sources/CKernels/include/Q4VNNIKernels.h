// The multi-row 4-bit product (prefill, perplexity, batched decoding) on AVX-512 VNNI's vpdpbusd,
// for Finch's Q4Matrix (Sources/Tensor/Q4Matrix.swift); the activations and arithmetic are those
// of finch_q4_gemm in CKernels.h, the weights' layout its own.
//
// The output rows go in tiles of sixteen, one per 32-bit lane of a 512-bit vector, repacked once
// (finch_q4_vnni_pack, at load) so that a tile's codes are one sequential stream in the order the
// kernel reads them: tileCodes[tile][block][pair p = 0…3][lane][4] is 64 bytes whose byte
// (lane k, j) holds column 32 block + 4p + j of row 16 tile + k in its low nibble and column
// 32 block + 16 + 4p + j in its high nibble. One 64-byte load, a mask and a shift give two steps
// of four columns for 16 rows as the bytes 0…15 that vpdpbusd multiplies by the signed
// activations directly, and each input row's four int8 codes of a step are one broadcast. Scales
// (and minimums) are binary16, tileScales[tile][group][lane]. Rows past the last have zero codes
// and scales, columns past the last zero codes.
//
// With up to twelve input rows a tile is unpacked in registers as it is read; with more, once
// per tile into a buffer that stays in L1 and serves every pass of up to twelve rows. For
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

/// Bytes of the repacked codes of a rows × columns matrix: ⌈rows / 16⌉ tiles of ⌈columns / 32⌉
/// blocks of 256 bytes. The scales (and minimums) take ⌈rows / 16⌉ · 16 · groups halves.
static inline ptrdiff_t finch_q4_vnni_code_bytes(ptrdiff_t rows, ptrdiff_t columns) {
    return (rows + 15) / 16 * ((columns + 31) / 32) * 256;
}

/// Repacks tiles tileBegin..<tileEnd of a Q4Matrix (packed, scales, minimums as in CKernels.h;
/// minimums NULL when symmetric) into tileCodes, tileScales (and tileMinimums) as above.
void finch_q4_vnni_pack(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                        ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize, ptrdiff_t tileBegin, ptrdiff_t tileEnd,
                        uint8_t *tileCodes, uint16_t *tileScales, uint16_t *tileMinimums);

/// Bytes of the scratch finch_q4_gemm_vnni needs for n input rows (64-byte aligned).
ptrdiff_t finch_q4_vnni_scratch_bytes(ptrdiff_t columns, ptrdiff_t groupSize, ptrdiff_t n);

/// y[j * ldy + r] for the n prepared input rows j (finch_q4_prepare_input) and the output rows r
/// of tiles tileBegin..<tileEnd (r < rows), from the repacked codes and scales (tileMinimums NULL
/// when symmetric). Only call when finch_q4_vnni_available().
void finch_q4_gemm_vnni(const uint8_t *tileCodes, const uint16_t *tileScales, const uint16_t *tileMinimums,
                        ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                        const int8_t *xq, const float *xScales, const float *groupSums, ptrdiff_t n,
                        const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t tileBegin, ptrdiff_t tileEnd,
                        void *scratch);

#ifdef __cplusplus
}
#endif

#endif
