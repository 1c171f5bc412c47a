// Int8 weights times int8-quantized activations (Finch's Int8ActivationMatrix,
// Sources/Tensor/Int8ActivationMatrix.swift), on AVX-512 VNNI's vpdpbusd.
//
// The weights of a QuantizedMatrix (q[rows, columns], scales[rows, groups]) are repacked in tiles
// of 8 output rows: packed[tile][step][lane][4] holds q[8 tile + lane][4 step + 0…3] (zero past
// the last row or column), so one 32-byte load feeds 8 rows × 4 columns. tileScales[tile][group][lane]
// are the rows' scales and tileOffsets[tile][group][lane] = −128 · Σ q over the group.
//
// Each input row is quantized per weight group: xScales[r, g] = max|x| / 127 over the group and
// code = round(x / scale) + 128 (unsigned, 1…255), xq[r, finch_q8a8_input_stride(columns)].
// Then, for output o and input row r, with the group's integer sum S_g = Σ q · (code − 128) (exact):
//     acc = 0; for g in groups: acc = fma(float(S_g), scale[o, g] · xScales[r, g], acc)
//     y[r * ldy + o] = acc (+ bias[o])
// in exactly this order, whatever the number of input rows, the tile or the thread split: one
// sequence alone and the same sequence in a batch get the same bits.
#ifndef FINCH_INT8_ACTIVATION_KERNELS_H
#define FINCH_INT8_ACTIVATION_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bytes of one quantized input row: columns rounded up to whole steps of four.
static inline ptrdiff_t finch_q8a8_input_stride(ptrdiff_t columns) { return (columns + 3) / 4 * 4; }

/// Whether this CPU (and OS) runs finch_q8a8_gemm: AVX-512 F, VL, BW and VNNI.
int finch_q8a8_available(void);

/// Bytes of the packed weights of a rows × columns matrix; scales and offsets take
/// ⌈rows / 8⌉ · groups · 8 elements each.
ptrdiff_t finch_q8a8_packed_bytes(ptrdiff_t rows, ptrdiff_t columns);

/// Packs tiles tileBegin..<tileEnd. groupSize must be a multiple of 4.
void finch_q8a8_pack(const int8_t *q, const float *scales, ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                     ptrdiff_t tileBegin, ptrdiff_t tileEnd, int8_t *packed, float *tileScales, int32_t *tileOffsets);

/// Quantizes n input rows of `columns` floats into codes xq[n, stride] and scales xScales[n, groups].
void finch_q8a8_quantize_input(const float *x, ptrdiff_t n, ptrdiff_t columns, ptrdiff_t groupSize,
                               uint8_t *xq, float *xScales);

/// y[r * ldy + o] for the n input rows and the outputs of tiles tileBegin..<tileEnd (see above).
/// Only call when finch_q8a8_available().
void finch_q8a8_gemm(const int8_t *packed, const float *tileScales, const int32_t *tileOffsets,
                     ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                     const uint8_t *xq, const float *xScales, ptrdiff_t n,
                     const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t tileBegin, ptrdiff_t tileEnd);

#ifdef __cplusplus
}
#endif

#endif
