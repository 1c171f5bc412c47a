// The float products of decoding: one to four input rows against a weight matrix read once from
// memory, so bound by memory bandwidth. Split over the SpinPool in chunks whose boundaries
// depend only on the shape, so the result is bit-identical for any thread count.
#ifndef FINCH_FLOAT_GEMV_H
#define FINCH_FLOAT_GEMV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction sets of these kernels: 0 scalar, 1 AVX2 + FMA, 2 AVX-512F.
enum { finch_gemv_scalar = 0, finch_gemv_avx2 = 1, finch_gemv_avx512 = 2 };

/// The widest set this build and this CPU both have (checked once, at run time).
int finch_f32_gemv_best_isa(void);

/// The most input rows finch_f32_gemv_columns takes at once.
enum { finch_f32_gemv_max_rows = 4 };

/// y[b, o] = Σ_i x[b, i] · w[i, o] (+ bias[o]) for the n ≤ 4 input rows b, w in GPT-2's Conv1D
/// layout [in, out]. The input dimension is cut into chunks of 64 rows of w, each a contiguous
/// run of memory streamed once into partial sums [n, out]; the partials are added in chunk order.
/// `isa` must not exceed finch_f32_gemv_best_isa().
void finch_f32_gemv_columns(int isa, int threads, const float *w, ptrdiff_t in, ptrdiff_t out,
                            const float *x, ptrdiff_t n, const float *bias, float *y);

/// y[o] = w[o, :] · x (+ bias[o]) for w [out, in] (the tied LM head, `wte` [V, C]): four rows
/// share each load of x, the rows sixteen ahead are prefetched.
void finch_f32_gemv_rows(int isa, int threads, const float *w, ptrdiff_t in, ptrdiff_t out,
                         const float *x, const float *bias, float *y);

#ifdef __cplusplus
}
#endif

#endif
