// Int8 weights times int8-quantized activations (Finch's Int8ActivationMatrix,
// Sources/Tensor/Int8ActivationMatrix.swift), on AVX-512 VNNI's vpdpbusd.
//
// The weights of a QuantizedMatrix (q[rows, columns], scales[rows, groups]) are repacked in tiles
// of 8 output rows, and FINCH_Q8A8_BLOCK_TILES tiles make a block whose bytes are one sequential
// stream: packed[block][step][tile][lane][4] holds q[8 (4 block + tile) + lane][4 step + 0…3]
// (zero past the last row or column), so one 32-byte load feeds 8 rows × 4 columns and one step
// of a block is 128 consecutive bytes. blockScales[block][group][tile][lane] are the rows' scales
// and blockOffsets[block][group][tile][lane] = −128 · Σ q over the group.
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

/// Tiles of 8 output rows in a block: the kernel's register block is 4 tiles × up to 10 input rows.
#define FINCH_Q8A8_BLOCK_TILES 4

/// Blocks of a matrix with `rows` outputs: ⌈rows / 32⌉.
static inline ptrdiff_t finch_q8a8_blocks(ptrdiff_t rows) { return (rows + 8 * FINCH_Q8A8_BLOCK_TILES - 1) / (8 * FINCH_Q8A8_BLOCK_TILES); }

/// Bytes of the packed weights of a rows × columns matrix; scales and offsets take
/// blocks · groups · 32 elements each.
ptrdiff_t finch_q8a8_packed_bytes(ptrdiff_t rows, ptrdiff_t columns);

/// Packs blocks blockBegin..<blockEnd. groupSize must be a multiple of 4.
void finch_q8a8_pack(const int8_t *q, const float *scales, ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                     ptrdiff_t blockBegin, ptrdiff_t blockEnd, int8_t *packed, float *blockScales, int32_t *blockOffsets);

/// Quantizes n input rows of `columns` floats into codes xq[n, stride] and scales xScales[n, groups].
void finch_q8a8_quantize_input(const float *x, ptrdiff_t n, ptrdiff_t columns, ptrdiff_t groupSize,
                               uint8_t *xq, float *xScales);

/// y[r * ldy + o] for the n input rows and the outputs of blocks blockBegin..<blockEnd (see above).
/// Only call when finch_q8a8_available().
void finch_q8a8_gemm(const int8_t *packed, const float *blockScales, const int32_t *blockOffsets,
                     ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                     const uint8_t *xq, const float *xScales, ptrdiff_t n,
                     const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t blockBegin, ptrdiff_t blockEnd);

#ifdef __cplusplus
}
#endif

#endif
