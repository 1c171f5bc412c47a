#include "FloatGEMV.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "CKernels.h"
#include "SpinPool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define FINCH_HAS_AVX512_TARGET 1
#define FINCH_AVX512 __attribute__((target("avx512f,avx2,fma")))
#endif

/// Rows of a Conv1D weight per chunk (a multiple of 8): 64 × 1536 floats (slm60m's c_attn) is 384 KB, a few
/// hundred per token, enough to balance two threads and cheap to claim.
static const ptrdiff_t column_chunk_rows = 64;
/// Output rows of the head per chunk (256 KB at C = 512): the head has 50,257.
static const ptrdiff_t row_chunk_bytes = 256 * 1024;

int finch_f32_gemv_best_isa(void) {
#if defined(FINCH_HAS_AVX512_TARGET) && defined(__AVX2__) && defined(__FMA__)
    static _Atomic int best = -1;
    int known = atomic_load_explicit(&best, memory_order_relaxed);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") ? finch_gemv_avx512 : finch_gemv_avx2;
        atomic_store_explicit(&best, known, memory_order_relaxed);
    }
    return known;
#elif defined(__AVX2__) && defined(__FMA__)
    return finch_gemv_avx2;
#else
    return finch_gemv_scalar;
#endif
}

// MARK: - Eight rows of a Conv1D weight into partial sums

// partial[b, o] = (first ? 0 : partial[b, o]) + Σ_{r < 8} x[b * xStride + r] · w[r * out + o] for the
// n input rows b: each weight read once for all of them, in two chains of four rows (the FMA
// latency), the same eight rows eight ahead prefetched. Eight rows per pass rather than four
// halves the partial sums' loads and stores, and writing them on the first pass saves clearing
// them: together 12% of a one-core step of slm60m's projections (8.5 → 7.5 ms of CPU).

/// The first `width` outputs of rows `out` apart: the whole row, or the vector loops' tails.
static void eight_rows_scalar(const float *w, ptrdiff_t out, ptrdiff_t width, const float *x, ptrdiff_t xStride,
                              ptrdiff_t n, float *partial, int first) {
    for (ptrdiff_t b = 0; b < n; b++) {
        const float *xb = x + b * xStride;
        float *p = partial + b * out;
        for (ptrdiff_t o = 0; o < width; o++) {
            float s = first ? 0.0f : p[o], t = 0.0f;
            for (int r = 0; r < 4; r++) {
                s += w[r * out + o] * xb[r];
                t += w[(r + 4) * out + o] * xb[r + 4];
            }
            p[o] = s + t;
        }
    }
}

#if defined(__AVX2__) && defined(__FMA__)
static void eight_rows_avx2(const float *w, ptrdiff_t out, const float *x, ptrdiff_t xStride, ptrdiff_t n,
                            float *partial, int first) {
    const float *ahead = w + 8 * out;
    ptrdiff_t o = 0;
    for (; o + 8 <= out; o += 8) {
        for (int r = 0; r < 8; r++) _mm_prefetch((const char *)(ahead + r * out + o), _MM_HINT_T0);
        __m256 v[8];
        for (int r = 0; r < 8; r++) v[r] = _mm256_loadu_ps(w + r * out + o);
        for (ptrdiff_t b = 0; b < n; b++) {
            const float *xb = x + b * xStride;
            float *p = partial + b * out + o;
            __m256 s = first ? _mm256_setzero_ps() : _mm256_loadu_ps(p), t = _mm256_setzero_ps();
            for (int r = 0; r < 4; r++) {
                s = _mm256_fmadd_ps(v[r], _mm256_set1_ps(xb[r]), s);
                t = _mm256_fmadd_ps(v[r + 4], _mm256_set1_ps(xb[r + 4]), t);
            }
            _mm256_storeu_ps(p, _mm256_add_ps(s, t));
        }
    }
    if (o < out) eight_rows_scalar(w + o, out, out - o, x, xStride, n, partial + o, first);
}
#endif

#if defined(FINCH_HAS_AVX512_TARGET)
FINCH_AVX512
static void eight_rows_avx512(const float *w, ptrdiff_t out, const float *x, ptrdiff_t xStride, ptrdiff_t n,
                              float *partial, int first) {
    const float *ahead = w + 8 * out;
    ptrdiff_t o = 0;
    for (; o + 16 <= out; o += 16) {
        for (int r = 0; r < 8; r++) _mm_prefetch((const char *)(ahead + r * out + o), _MM_HINT_T0);
        __m512 v[8];
        for (int r = 0; r < 8; r++) v[r] = _mm512_loadu_ps(w + r * out + o);
        for (ptrdiff_t b = 0; b < n; b++) {
            const float *xb = x + b * xStride;
            float *p = partial + b * out + o;
            __m512 s = first ? _mm512_setzero_ps() : _mm512_loadu_ps(p), t = _mm512_setzero_ps();
            for (int r = 0; r < 4; r++) {
                s = _mm512_fmadd_ps(v[r], _mm512_set1_ps(xb[r]), s);
                t = _mm512_fmadd_ps(v[r + 4], _mm512_set1_ps(xb[r + 4]), t);
            }
            _mm512_storeu_ps(p, _mm512_add_ps(s, t));
        }
    }
    if (o < out) eight_rows_scalar(w + o, out, out - o, x, xStride, n, partial + o, first);
}
#endif

static void eight_rows(int isa, const float *w, ptrdiff_t out, const float *x, ptrdiff_t xStride, ptrdiff_t n,
                       float *partial, int first) {
#if defined(FINCH_HAS_AVX512_TARGET)
    if (isa == finch_gemv_avx512) { eight_rows_avx512(w, out, x, xStride, n, partial, first); return; }
#endif
#if defined(__AVX2__) && defined(__FMA__)
    if (isa == finch_gemv_avx2) { eight_rows_avx2(w, out, x, xStride, n, partial, first); return; }
#endif
    (void)isa;
    eight_rows_scalar(w, out, out, x, xStride, n, partial, first);
}

// MARK: - The Conv1D product

struct column_job {
    int isa;
    const float *w, *x;
    ptrdiff_t in, out, n;
    float *partials;  // [chunks, n, out]
};

static void column_chunk(void *context, ptrdiff_t chunk) {
    const struct column_job *job = context;
    ptrdiff_t begin = chunk * column_chunk_rows;
    ptrdiff_t end = begin + column_chunk_rows < job->in ? begin + column_chunk_rows : job->in;
    float *partial = job->partials + chunk * job->n * job->out;
    ptrdiff_t i = begin;
    for (; i + 8 <= end; i += 8)
        eight_rows(job->isa, job->w + i * job->out, job->out, job->x + i, job->in, job->n, partial, i == begin);
    if (i == begin) memset(partial, 0, (size_t)(job->n * job->out) * sizeof(float));
    for (; i < end; i++) {
        const float *row = job->w + i * job->out;
        for (ptrdiff_t b = 0; b < job->n; b++) {
            float xi = job->x[b * job->in + i];
            float *p = partial + b * job->out;
            for (ptrdiff_t o = 0; o < job->out; o++) p[o] += row[o] * xi;
        }
    }
}

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
struct scratch { float *values; size_t count; };

static void free_scratch(void *value) {
    struct scratch *s = value;
    free(s->values);
    free(s);
}

static void make_scratch_key(void) { pthread_key_create(&scratch_key, free_scratch); }

/// The calling thread's partial sums buffer, kept between calls (a fresh allocation of this
/// size would be a new mapping, page faults included, every product). NULL when out of memory.
static float *thread_scratch(size_t count) {
    pthread_once(&scratch_once, make_scratch_key);
    struct scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || pthread_setspecific(scratch_key, s) != 0) { free(s); return NULL; }
    }
    if (s->count < count) {
        float *grown = realloc(s->values, count * sizeof(float));
        if (!grown) return NULL;
        s->values = grown;
        s->count = count;
    }
    return s->values;
}

void finch_f32_gemv_columns(int isa, int threads, const float *w, ptrdiff_t in, ptrdiff_t out,
                            const float *x, ptrdiff_t n, const float *bias, float *y) {
    if (out <= 0 || n <= 0) return;
    ptrdiff_t chunks = (in + column_chunk_rows - 1) / column_chunk_rows;
    float *partials = chunks > 0 ? thread_scratch((size_t)(chunks * n * out)) : NULL;
    if (chunks > 0 && !partials) {
        // Out of memory for the partials: the same product, one output at a time.
        for (ptrdiff_t b = 0; b < n; b++)
            for (ptrdiff_t o = 0; o < out; o++) {
                float sum = bias ? bias[o] : 0.0f;
                for (ptrdiff_t i = 0; i < in; i++) sum += x[b * in + i] * w[i * out + o];
                y[b * out + o] = sum;
            }
        return;
    }
    struct column_job job = {isa, w, x, in, out, n, partials};
    finch_spin_pool_run(threads, chunks, column_chunk, &job);
    for (ptrdiff_t b = 0; b < n; b++) {
        float *yb = y + b * out;
        if (bias) memcpy(yb, bias, (size_t)out * sizeof(float));
        else memset(yb, 0, (size_t)out * sizeof(float));
        for (ptrdiff_t k = 0; k < chunks; k++) {
            const float *p = partials + (k * n + b) * out;
            for (ptrdiff_t o = 0; o < out; o++) yb[o] += p[o];
        }
    }
}

// MARK: - The head: rows of w as outputs

static void row_dots_scalar(const float *w, ptrdiff_t in, const float *x, const float *bias, float *y,
                            ptrdiff_t begin, ptrdiff_t end) {
    for (ptrdiff_t r = begin; r < end; r++) {
        const float *row = w + r * in;
        float sum = 0;
        for (ptrdiff_t i = 0; i < in; i++) sum += row[i] * x[i];
        y[r] = sum + (bias ? bias[r] : 0.0f);
    }
}

#if defined(FINCH_HAS_AVX512_TARGET)
/// The eight rows' sums [8] of eight accumulators, by a tree of adds: a quarter of the
/// instructions of reducing each on its own.
FINCH_AVX512
static inline __m256 sum_eight(const __m512 a[8]) {
    __m256 h[8];
    for (int k = 0; k < 8; k++) h[k] = _mm256_add_ps(_mm512_castps512_ps256(a[k]),
                                                    _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a[k]), 1)));
    __m256 h01 = _mm256_hadd_ps(h[0], h[1]), h23 = _mm256_hadd_ps(h[2], h[3]);
    __m256 h45 = _mm256_hadd_ps(h[4], h[5]), h67 = _mm256_hadd_ps(h[6], h[7]);
    __m256 q0 = _mm256_hadd_ps(h01, h23), q1 = _mm256_hadd_ps(h45, h67);
    return _mm256_add_ps(_mm256_permute2f128_ps(q0, q1, 0x20), _mm256_permute2f128_ps(q0, q1, 0x31));
}

FINCH_AVX512
static void row_dots_avx512(const float *w, ptrdiff_t in, const float *x, const float *bias, float *y,
                            ptrdiff_t begin, ptrdiff_t end) {
    ptrdiff_t r = begin, vectorEnd = in / 16 * 16;
    for (; r + 8 <= end; r += 8) {
        const float *w0 = w + r * in;
        // The eight rows sixteen ahead, at the pace these are read: eight interleaved streams are
        // more than the hardware prefetcher follows at full rate.
        const char *ahead = (const char *)(w + (r + 16 < end ? r + 16 : end) * in);
        __m512 a[8];
        for (int k = 0; k < 8; k++) a[k] = _mm512_setzero_ps();
        for (ptrdiff_t i = 0; i < vectorEnd; i += 16) {
            for (int line = 0; line < 8; line++) _mm_prefetch(ahead + 32 * i + 64 * line, _MM_HINT_T0);
            __m512 xv = _mm512_loadu_ps(x + i);
            for (int k = 0; k < 8; k++) a[k] = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + k * in + i), xv, a[k]);
        }
        float sums[8];
        _mm256_storeu_ps(sums, sum_eight(a));
        for (int k = 0; k < 8; k++) {
            const float *row = w0 + k * in;
            float sum = sums[k];
            for (ptrdiff_t j = vectorEnd; j < in; j++) sum += row[j] * x[j];
            y[r + k] = sum + (bias ? bias[r + k] : 0.0f);
        }
    }
    row_dots_scalar(w, in, x, bias, y, r, end);
}
#endif

struct row_job {
    int isa;
    const float *w, *x, *bias;
    float *y;
    ptrdiff_t in, out, chunkRows;
};

static void row_chunk(void *context, ptrdiff_t chunk) {
    const struct row_job *job = context;
    ptrdiff_t begin = chunk * job->chunkRows;
    ptrdiff_t end = begin + job->chunkRows < job->out ? begin + job->chunkRows : job->out;
#if defined(FINCH_HAS_AVX512_TARGET)
    if (job->isa == finch_gemv_avx512) { row_dots_avx512(job->w, job->in, job->x, job->bias, job->y, begin, end); return; }
#endif
#if defined(__AVX2__) && defined(__FMA__)
    if (job->isa == finch_gemv_avx2) { finch_f32_row_dots(job->w, job->in, job->x, job->bias, job->y, begin, end); return; }
#endif
    row_dots_scalar(job->w, job->in, job->x, job->bias, job->y, begin, end);
}

void finch_f32_gemv_rows(int isa, int threads, const float *w, ptrdiff_t in, ptrdiff_t out,
                         const float *x, const float *bias, float *y) {
    if (out <= 0) return;
    // Whole blocks of eight rows per chunk, the kernels' unit, so chunk boundaries never split one.
    ptrdiff_t rowBytes = (in > 0 ? in : 1) * (ptrdiff_t)sizeof(float);
    ptrdiff_t chunkRows = (row_chunk_bytes / rowBytes + 7) / 8 * 8;
    if (chunkRows < 8) chunkRows = 8;
    struct row_job job = {isa, w, x, bias, y, in, out, chunkRows};
    finch_spin_pool_run(threads, (out + chunkRows - 1) / chunkRows, row_chunk, &job);
}
