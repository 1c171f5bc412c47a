#include "CKernels.h"

#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX2__) || defined(__x86_64__)
#include <immintrin.h>
#endif

static inline ptrdiff_t min_index(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }

/// binary32 → binary16, round to nearest even; overflow saturates to ±65504 rather than ±inf
/// (a scale that large is already meaningless, infinity would poison every product).
uint16_t finch_half_from_float(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    uint32_t sign = (bits >> 16) & 0x8000u;
    uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude > 0x7F800000u) return (uint16_t)(sign | 0x7E00u);  // NaN
    if (magnitude >= 0x477FF000u) return (uint16_t)(sign | 0x7BFFu);  // ≥ 65520 rounds past the largest half
    if (magnitude < 0x38800000u) {
        // Subnormal half (or zero): the value in units of 2⁻²⁴, rounded to nearest even.
        float scaled = fabsf(value) * 16777216.0f;
        return (uint16_t)(sign | (uint32_t)lrintf(scaled));
    }
    uint32_t rounded = magnitude + 0xFFFu + ((magnitude >> 13) & 1u);
    return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
}

float finch_float_from_half(uint16_t half) {
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1Fu, mantissa = half & 0x3FFu;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else {
        float magnitude = (float)mantissa * (1.0f / 16777216.0f);
        return sign ? -magnitude : magnitude;
    }
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/// A scale as it will be stored (binary16) and read back.
static inline float stored(float value) { return finch_float_from_half(finch_half_from_float(value)); }

static inline uint8_t code(float value, float inverseScale, float offset) {
    long level = lrintf(value * inverseScale + offset);
    return (uint8_t)(level < 0 ? 0 : (level > 15 ? 15 : level));
}

/// Σ (w − (scale·q + minimum))² for the group's codes.
static double squared_error(const float *w, const uint8_t *q, ptrdiff_t n, float scale, float minimum) {
    double total = 0;
    for (ptrdiff_t i = 0; i < n; i++) {
        double difference = (double)w[i] - ((double)scale * q[i] + minimum);
        total += difference * difference;
    }
    return total;
}

/// Codes for (scale, minimum) as stored: q = round((w − minimum) / scale) clamped to 0…15.
static void encode(const float *w, ptrdiff_t n, float scale, float minimum, uint8_t *q) {
    float inverse = scale != 0 ? 1.0f / scale : 0.0f;
    for (ptrdiff_t i = 0; i < n; i++) q[i] = scale != 0 ? code(w[i] - minimum, inverse, 0) : 0;
}

typedef struct { float scale, minimum; double error; } Fit;

/// Symmetric: weight = scale · (q − 8). The plain choice maps the group's largest-magnitude
/// weight to level −8 (ggml's Q4_0, which uses all 16 levels). The search also tries that weight
/// at −6.5…−9 and +7, and refits each candidate's codes by least squares
/// (scale = Σ w·(q−8) / Σ (q−8)²), keeping the least squared error: never worse than the plain one.
static Fit fit_symmetric(const float *w, ptrdiff_t n, int search, uint8_t *q, uint8_t *trial) {
    float extreme = 0;
    for (ptrdiff_t i = 0; i < n; i++) if (fabsf(w[i]) > fabsf(extreme)) extreme = w[i];
    Fit best = { stored(extreme / -8.0f), 0, 0 };
    best.minimum = -8 * best.scale;
    encode(w, n, best.scale, best.minimum, q);
    best.error = squared_error(w, q, n, best.scale, best.minimum);
    if (!search || extreme == 0) return best;
    for (int step = -1; step <= 25; step++) {
        float level = step < 0 ? 7.0f : -6.5f - 0.1f * (float)step;
        float scale = stored(extreme / level);
        encode(w, n, scale, -8 * scale, trial);
        double qq = 0, wq = 0;
        for (ptrdiff_t i = 0; i < n; i++) {
            double centred = (double)trial[i] - 8;
            qq += centred * centred;
            wq += (double)w[i] * centred;
        }
        if (qq > 0) scale = stored((float)(wq / qq));
        encode(w, n, scale, -8 * scale, trial);
        double error = squared_error(w, trial, n, scale, -8 * scale);
        if (error < best.error) {
            best = (Fit){ scale, -8 * scale, error };
            memcpy(q, trial, (size_t)n);
        }
    }
    return best;
}

/// With a minimum: weight = scale · q + minimum. The plain choice spans the group's range
/// (ggml's Q4_1). The search tries 14…17.5 levels across the range and refits scale and minimum
/// of each candidate's codes by least squares (a line through the points (q, w)), twice.
static Fit fit_with_minimum(const float *w, ptrdiff_t n, int search, uint8_t *q, uint8_t *trial) {
    float low = w[0], high = w[0];
    for (ptrdiff_t i = 1; i < n; i++) { low = fminf(low, w[i]); high = fmaxf(high, w[i]); }
    Fit best = { stored((high - low) / 15.0f), stored(low), 0 };
    encode(w, n, best.scale, best.minimum, q);
    best.error = squared_error(w, q, n, best.scale, best.minimum);
    if (!search || high == low) return best;
    for (int step = 0; step <= 35; step++) {
        float scale = (high - low) / (14.0f + 0.1f * (float)step), minimum = low;
        for (int refit = 0; refit < 2; refit++) {
            encode(w, n, stored(scale), stored(minimum), trial);
            double sq = 0, sqq = 0, sw = 0, sqw = 0;
            for (ptrdiff_t i = 0; i < n; i++) {
                sq += trial[i]; sqq += (double)trial[i] * trial[i];
                sw += w[i]; sqw += (double)trial[i] * w[i];
            }
            double determinant = (double)n * sqq - sq * sq;
            if (determinant <= 0) break;
            scale = (float)(((double)n * sqw - sq * sw) / determinant);
            minimum = (float)((sqq * sw - sq * sqw) / determinant);
            if (!(scale > 0)) break;
        }
        if (!(scale > 0)) continue;
        float storedScale = stored(scale), storedMinimum = stored(minimum);
        encode(w, n, storedScale, storedMinimum, trial);
        double error = squared_error(w, trial, n, storedScale, storedMinimum);
        if (error < best.error) {
            best = (Fit){ storedScale, storedMinimum, error };
            memcpy(q, trial, (size_t)n);
        }
    }
    return best;
}

ptrdiff_t finch_q4_quantize(const float *w, ptrdiff_t rowStride, ptrdiff_t columnStride,
                            ptrdiff_t rows, ptrdiff_t columns, ptrdiff_t groupSize,
                            int withMinimum, int searchScale,
                            uint8_t *packed, uint16_t *scales, uint16_t *minimums) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t rowBytes = finch_q4_row_bytes(columns);
    float *values = malloc((size_t)groupSize * sizeof(float));
    uint8_t *q = malloc((size_t)groupSize), *trial = malloc((size_t)groupSize);
    ptrdiff_t nonFinite = 0;
    if (!values || !q || !trial) {
        nonFinite = -1;
        goto done;
    }
    memset(packed, 0, (size_t)(rows * rowBytes));
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *row = w + r * rowStride;
        uint8_t *packedRow = packed + r * rowBytes;
        for (ptrdiff_t g = 0; g < groups; g++) {
            ptrdiff_t begin = g * groupSize, n = min_index(groupSize, columns - begin);
            int finite = 1;
            for (ptrdiff_t i = 0; i < n; i++) {
                values[i] = row[(begin + i) * columnStride];
                if (!isfinite(values[i])) { nonFinite++; finite = 0; }
            }
            if (!finite) continue;
            Fit fit = withMinimum ? fit_with_minimum(values, n, searchScale, q, trial)
                                  : fit_symmetric(values, n, searchScale, q, trial);
            scales[r * groups + g] = finch_half_from_float(fit.scale);
            if (withMinimum) minimums[r * groups + g] = finch_half_from_float(fit.minimum);
            for (ptrdiff_t i = 0; i < n; i++) {
                ptrdiff_t column = begin + i;
                packedRow[(column / 64) * 32 + column % 32] |= (uint8_t)(q[i] << (column % 64 < 32 ? 0 : 4));
            }
        }
    }
done:
    free(values);
    free(q);
    free(trial);
    return nonFinite;
}

void finch_q4_dequantize(const uint8_t *packed, const uint16_t *scales, const uint16_t *minimums,
                         ptrdiff_t columns, ptrdiff_t groupSize, ptrdiff_t rowBegin, ptrdiff_t rowEnd,
                         float *out, ptrdiff_t outRowStride, ptrdiff_t outColumnStride) {
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t rowBytes = finch_q4_row_bytes(columns);
    for (ptrdiff_t r = rowBegin; r < rowEnd; r++) {
        const uint8_t *row = packed + r * rowBytes;
        float *destination = out + (r - rowBegin) * outRowStride;
        for (ptrdiff_t g = 0; g < groups; g++) {
            float scale = finch_float_from_half(scales[r * groups + g]);
            float minimum = minimums ? finch_float_from_half(minimums[r * groups + g]) : -8 * scale;
            for (ptrdiff_t i = g * groupSize, end = min_index(i + groupSize, columns); i < end; i++) {
                uint8_t byte = row[(i / 64) * 32 + i % 32];
                float level = (float)(i % 64 < 32 ? byte & 15 : byte >> 4);
                destination[i * outColumnStride] = scale * level + minimum;
            }
        }
    }
}

/// One block's codes of `count` ≤ 32 values (zero past them) with scale max|x| / 127, its sum
/// returned. Full blocks take the AVX2 path: its conversion rounds to nearest even like lrintf.
static float prepare_block(const float *input, ptrdiff_t count, int8_t *codes, float *scale) {
#if defined(__AVX2__)
    if (count == 32) {
        const __m256 signMask = _mm256_set1_ps(-0.0f);
        __m256 v[4], largest = _mm256_setzero_ps(), sum = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(input + 8 * k);
            largest = _mm256_max_ps(largest, _mm256_andnot_ps(signMask, v[k]));
            sum = _mm256_add_ps(sum, v[k]);
        }
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(largest), _mm256_extractf128_ps(largest, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        float top = _mm_cvtss_f32(m);
        *scale = top / 127.0f;
        __m256 inverse = _mm256_set1_ps(top > 0 ? 127.0f / top : 0.0f);
        __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(v[0], inverse)), q1 = _mm256_cvtps_epi32(_mm256_mul_ps(v[1], inverse));
        __m256i q2 = _mm256_cvtps_epi32(_mm256_mul_ps(v[2], inverse)), q3 = _mm256_cvtps_epi32(_mm256_mul_ps(v[3], inverse));
        // The packs work per 128-bit lane: the permute restores column order.
        __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
        bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)codes, bytes);
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
#endif
    float largest = 0, sum = 0;
    for (ptrdiff_t i = 0; i < count; i++) {
        largest = fmaxf(largest, fabsf(input[i]));
        sum += input[i];
    }
    float inverse = largest > 0 ? 127.0f / largest : 0.0f;
    *scale = largest / 127.0f;
    for (ptrdiff_t i = 0; i < count; i++) codes[i] = (int8_t)lrintf(input[i] * inverse);
    // Past the last column the codes are zero, so the padding nibbles add nothing.
    for (ptrdiff_t i = count; i < 32; i++) codes[i] = 0;
    return sum;
}

void finch_q4_prepare_input(const float *x, ptrdiff_t n, ptrdiff_t columns, ptrdiff_t groupSize,
                            int8_t *xq, float *xScales, float *groupSums) {
    ptrdiff_t blocks = (columns + 31) / 32, groups = (columns + groupSize - 1) / groupSize;
    ptrdiff_t stride = finch_q4_input_stride(columns), blocksPerGroup = groupSize / 32;
    for (ptrdiff_t j = 0; j < n; j++) {
        const float *input = x + j * columns;
        int8_t *codes = xq + j * stride;
        float *sums = groupSums + j * groups;
        for (ptrdiff_t g = 0; g < groups; g++) sums[g] = 0;
        for (ptrdiff_t b = 0; b < blocks; b++) {
            ptrdiff_t begin = b * 32;
            sums[b / blocksPerGroup] += prepare_block(input + begin, min_index(32, columns - begin), codes + begin,
                                                      xScales + j * blocks + b);
        }
        for (ptrdiff_t i = blocks * 32; i < stride; i++) codes[i] = 0;
    }
}

void finch_q4_prepare_input_shared(const float *x, ptrdiff_t n, ptrdiff_t columns, ptrdiff_t groupSize,
                                   int8_t *xq, float *xScales, float *groupSums, ptrdiff_t rowsPerChunk,
                                   ptrdiff_t *claimed, ptrdiff_t *done) {
    ptrdiff_t chunks = (n + rowsPerChunk - 1) / rowsPerChunk, blocks = (columns + 31) / 32;
    ptrdiff_t groups = (columns + groupSize - 1) / groupSize, stride = finch_q4_input_stride(columns);
    for (;;) {
        ptrdiff_t chunk = __atomic_fetch_add(claimed, 1, __ATOMIC_RELAXED);
        if (chunk >= chunks) break;
        ptrdiff_t first = chunk * rowsPerChunk, count = min_index(rowsPerChunk, n - first);
        finch_q4_prepare_input(x + first * columns, count, columns, groupSize, xq + first * stride, xScales + first * blocks,
                               groupSums + first * groups);
        __atomic_fetch_add(done, 1, __ATOMIC_RELEASE);
    }
    // The chunks still running belong to threads that are running: a short wait, unless the machine
    // is oversubscribed and one was descheduled, when yielding lets it finish sooner.
    for (unsigned spins = 0; __atomic_load_n(done, __ATOMIC_ACQUIRE) < chunks; spins++) {
#if defined(__x86_64__)
        _mm_pause();
#endif
        if (spins >= 1000) sched_yield();
    }
}
