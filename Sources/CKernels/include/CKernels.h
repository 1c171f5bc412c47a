// Int8 weight kernels for Finch's QuantizedMatrix (Sources/Tensor/QuantizedMatrix.swift), and below
// the 4-bit ones for Q4Matrix.
//
// An int8 matrix is stored as rows of output channels: q[rows, columns] int8 and one float
// scale per group of `groupSize` consecutive columns of a row, scales[rows, groups] with
// groups = ceil(columns / groupSize) (the last group of a row may be shorter).
// Weight (r, i) = scales[r * groups + i / groupSize] * q[r * columns + i].
#ifndef FINCH_CKERNELS_H
#define FINCH_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "CPUAffinity.h"
#include "Int8ActivationKernels.h"
#include "AttentionKernels.h"
#include "SpinPool.h"
#include "FloatGEMV.h"
#include "EncoderKernels.h"
#include "Q4VNNIKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Symmetric quantization of `rows` rows of `columns` floats, element (r, i) read at
/// w[r * rowStride + i * columnStride]: scale = max|w| / 127 per group, q = round(w / scale).
/// Returns the number of non-finite weights met (their rows are left unspecified).
ptrdiff_t finch_q8_quantize(const float *w, ptrdiff_t rowStride, ptrdiff_t columnStride,
                            ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                            int8_t *q, float *scales);

/// Rows rowBegin..<rowEnd dequantized: element (r, i) is written at
/// out[(r - rowBegin) * outRowStride + i * outColumnStride].
void finch_q8_dequantize(const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
                         ptrdiff_t rowBegin, ptrdiff_t rowEnd,
                         float *out, ptrdiff_t outRowStride, ptrdiff_t outColumnStride);

/// y[r] = Σ_i W(r, i) · x[i] (+ bias[r] when bias is not NULL) for r in rowBegin..<rowEnd.
/// Each row's result depends only on the row, not on rowBegin/rowEnd, so any split of the
/// rows over threads gives bit-identical output.
void finch_q8_gemv(const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
                   const float *x, const float *bias, float *y, ptrdiff_t rowBegin, ptrdiff_t rowEnd);

/// y[j * ldy + r] = Σ_i W(r, i) · x[j * columns + i] (+ bias[r]) for the n input rows j and the
/// output rows r in rowBegin..<rowEnd: prefill and perplexity. Like finch_q8_gemv, each result
/// depends only on its row and input row, not on how the rows are split.
void finch_q8_gemm(const int8_t *q, const float *scales, ptrdiff_t columns, ptrdiff_t groupSize,
                   const float *x, ptrdiff_t n, const float *bias, float *y, ptrdiff_t ldy,
                   ptrdiff_t rowBegin, ptrdiff_t rowEnd);

// 4-bit weights for Finch's Q4Matrix (Sources/Tensor/Q4Matrix.swift).
//
// Codes q (0…15) are packed per output row 64 columns to 32 bytes: byte j of pair p holds
// column 64p + j in its low nibble and column 64p + 32 + j in its high nibble, so one 32-byte
// load and a mask and a shift give two blocks of 32 codes in column order. A row takes
// finch_q4_row_bytes(columns) bytes (a short last pair is padded). groupSize is a multiple of
// 32; scales and minimums are binary16 [rows, groups]:
// weight (r, i) = scale · q + minimum, or scale · (q − 8) when minimums is NULL (symmetric).
static inline ptrdiff_t finch_q4_row_bytes(ptrdiff_t columns) { return (columns + 63) / 64 * 32; }
/// Int8 activation codes per input row: whole pairs of 32-blocks, zero past the last column.
static inline ptrdiff_t finch_q4_input_stride(ptrdiff_t columns) { return (columns + 63) / 64 * 64; }

uint16_t finch_half_from_float(float value);
float finch_float_from_half(uint16_t half);

/// Quantizes `rows` rows of `columns` floats (element (r, i) at w[r * rowStride + i * columnStride])
/// group by group, symmetric or with a minimum; `searchScale` picks each group's scale (and
/// minimum) by least squared error instead of from its range. Returns the number of non-finite
/// weights met (their groups are left unspecified), or −1 when memory runs out.
ptrdiff_t finch_q4_quantize(const float *w, ptrdiff_t rowStride, ptrdiff_t columnStride,
                            ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                            int withMinimum, int searchScale,
                            uint8_t *packed, uint16_t *scales, uint16_t *minimums);

/// Rows rowBegin..<rowEnd dequantized: element (r, i) is written at
/// out[(r - rowBegin) * outRowStride + i * outColumnStride].
void finch_q4_dequantize(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                         ptrdiff_t columns, ptrdiff_t groupSize, ptrdiff_t rowBegin, ptrdiff_t rowEnd,
                         float *out, ptrdiff_t outRowStride, ptrdiff_t outColumnStride);

/// The activations the 4-bit products read, for n input rows of `columns` floats: int8 codes
/// xq[n, finch_q4_input_stride(columns)] with one scale per block of 32 (max|x| / 127; zero past
/// the last column), xScales[n, ⌈columns / 32⌉], and each weight group's exact float sum of x,
/// groupSums[n, groups].
void finch_q4_prepare_input(const float *x, ptrdiff_t n, ptrdiff_t columns, ptrdiff_t groupSize,
                            int8_t *xq, float *xScales, float *groupSums);

/// finch_q4_prepare_input shared by the threads of one product, without a barrier: each caller
/// claims chunks of rowsPerChunk input rows (counter *claimed) until none are left, then waits until
/// every chunk is done (counter *done), so its part of the product starts on the whole input. A
/// thread that never comes leaves its chunks to the others. Both counters start at 0.
void finch_q4_prepare_input_shared(const float *x, ptrdiff_t n, ptrdiff_t columns, ptrdiff_t groupSize,
                                   int8_t *xq, float *xScales, float *groupSums, ptrdiff_t rowsPerChunk,
                                   ptrdiff_t *claimed, ptrdiff_t *done);

/// y[r] = Σ_i W(r, i) · x[i] (+ bias[r]) for r in rowBegin..<rowEnd, x as prepared above.
/// Each row's result depends only on the row, so any split over threads is bit-identical.
void finch_q4_gemv(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                   ptrdiff_t columns, ptrdiff_t groupSize,
                   const int8_t *xq, const float *xScales, const float *groupSums,
                   const float *bias, float *y, ptrdiff_t rowBegin, ptrdiff_t rowEnd);

/// y[j * ldy + r] for the n prepared input rows j and output rows rowBegin..<rowEnd.
void finch_q4_gemm(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                   ptrdiff_t columns, ptrdiff_t groupSize,
                   const int8_t *xq, const float *xScales, const float *groupSums, ptrdiff_t n,
                   const float *bias, float *y, ptrdiff_t ldy, ptrdiff_t rowBegin, ptrdiff_t rowEnd);

/// y[r] = w[r, :] · x (+ bias[r]) for r in rowBegin..<rowEnd, w float [rows, columns]: the
/// batch-1 product of a tied float LM head. Each row's result does not depend on the range.
void finch_f32_row_dots(const float *w, ptrdiff_t columns, const float *x, const float *bias, float *y,
                        ptrdiff_t rowBegin, ptrdiff_t rowEnd);

#ifdef __cplusplus
}
#endif

#endif
