// Int8 weight kernels for Finch's QuantizedMatrix (Sources/Tensor/QuantizedMatrix.swift).
//
// A quantized matrix is stored as rows of output channels: q[rows, columns] int8 and one float
// scale per group of `groupSize` consecutive columns of a row, scales[rows, groups] with
// groups = ceil(columns / groupSize) (the last group of a row may be shorter).
// Weight (r, i) = scales[r * groups + i / groupSize] * q[r * columns + i].
#ifndef FINCH_CKERNELS_H
#define FINCH_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "CPUAffinity.h"

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

#ifdef __cplusplus
}
#endif

#endif
