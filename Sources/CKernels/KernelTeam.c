#include "KernelTeam.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FINCH_SPIN_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define FINCH_SPIN_PAUSE() __asm__ volatile("yield")
#else
#define FINCH_SPIN_PAUSE() ((void)0)
#endif

enum { maximum_helpers = 63 };
/// How long an idle helper spins before it sleeps: longer than the gaps between one token's
/// products (attention, LayerNorm, GELU: tens of microseconds), short enough that a session
/// between requests gives its core back at once.
static const int64_t spin_nanoseconds = 1000000;

// The job word: generation (32 bits) | chunk count (16) | next unclaimed chunk (16). A claim is a
// compare-and-swap that fails once the generation moves on, so a helper that wakes late can never
// take a chunk of a job it did not see posted.
static _Atomic uint64_t job_word;
static _Atomic ptrdiff_t completed_chunks;
static _Atomic int job_threads;
static finch_team_task job_task;
static void *job_context;

static atomic_flag team_busy = ATOMIC_FLAG_INIT;
static pthread_mutex_t team_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t team_wakeup = PTHREAD_COND_INITIALIZER;
static _Atomic int sleeping_helpers;
static int helper_count;  // guarded by team_busy

static inline uint32_t generation_of(uint64_t word) { return (uint32_t)(word >> 32); }

static int64_t now_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/// Claims and runs chunks of the job of `generation` until none is left or a new job replaced it.
static void work_on(uint32_t generation) {
    uint64_t word = atomic_load_explicit(&job_word, memory_order_acquire);
    for (;;) {
        if (generation_of(word) != generation) return;
        uint64_t next = word & 0xFFFF, count = (word >> 16) & 0xFFFF;
        if (next >= count) return;
        if (atomic_compare_exchange_weak_explicit(&job_word, &word, word + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            job_task(job_context, (ptrdiff_t)next);
            atomic_fetch_add_explicit(&completed_chunks, 1, memory_order_release);
            word = atomic_load_explicit(&job_word, memory_order_acquire);
        }
    }
}

static void *helper_main(void *argument) {
    int index = (int)(intptr_t)argument;
    uint32_t seen = generation_of(atomic_load_explicit(&job_word, memory_order_acquire));
    for (;;) {
        int64_t deadline = now_nanoseconds() + spin_nanoseconds;
        uint32_t generation = seen;
        for (unsigned spins = 1;; spins++) {
            generation = generation_of(atomic_load_explicit(&job_word, memory_order_acquire));
            if (generation != seen) break;
            FINCH_SPIN_PAUSE();
            if (spins % 256 == 0 && now_nanoseconds() > deadline) {
                pthread_mutex_lock(&team_mutex);
                atomic_fetch_add(&sleeping_helpers, 1);
                while ((generation = generation_of(atomic_load(&job_word))) == seen)
                    pthread_cond_wait(&team_wakeup, &team_mutex);
                atomic_fetch_sub(&sleeping_helpers, 1);
                pthread_mutex_unlock(&team_mutex);
                break;
            }
        }
        seen = generation;
        if (index + 1 < atomic_load_explicit(&job_threads, memory_order_relaxed)) work_on(generation);
    }
    return NULL;
}

/// Starts helpers up to `wanted`; returns how many exist.
static int ensure_helpers(int wanted) {
    if (wanted > maximum_helpers) wanted = maximum_helpers;
    while (helper_count < wanted) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, helper_main, (void *)(intptr_t)helper_count);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        helper_count++;
    }
    return helper_count;
}

void finch_team_run(int threads, ptrdiff_t chunks, finch_team_task task, void *context) {
    if (chunks <= 0) return;
    if (threads <= 1 || chunks == 1 || chunks > 0xFFFF || atomic_flag_test_and_set_explicit(&team_busy, memory_order_acquire)) {
        for (ptrdiff_t k = 0; k < chunks; k++) task(context, k);
        return;
    }
    if (ensure_helpers(threads - 1) == 0) {
        atomic_flag_clear_explicit(&team_busy, memory_order_release);
        for (ptrdiff_t k = 0; k < chunks; k++) task(context, k);
        return;
    }
    job_task = task;
    job_context = context;
    atomic_store_explicit(&completed_chunks, 0, memory_order_relaxed);
    atomic_store_explicit(&job_threads, threads, memory_order_relaxed);
    uint32_t generation = generation_of(atomic_load_explicit(&job_word, memory_order_relaxed)) + 1;
    // Sequentially consistent against a helper's check of the word after it counts itself asleep.
    atomic_store(&job_word, ((uint64_t)generation << 32) | ((uint64_t)chunks << 16));
    if (atomic_load(&sleeping_helpers) > 0) {
        pthread_mutex_lock(&team_mutex);
        pthread_cond_broadcast(&team_wakeup);
        pthread_mutex_unlock(&team_mutex);
    }
    work_on(generation);
    // Only chunks a helper has claimed and is running are left; if that helper lost its core,
    // yielding lets it finish sooner.
    for (unsigned spins = 1; atomic_load_explicit(&completed_chunks, memory_order_acquire) < chunks; spins++) {
        FINCH_SPIN_PAUSE();
        if (spins % 4096 == 0) sched_yield();
    }
    atomic_flag_clear_explicit(&team_busy, memory_order_release);
}
