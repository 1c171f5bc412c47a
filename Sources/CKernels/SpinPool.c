#define _GNU_SOURCE
#include "SpinPool.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define finch_cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define finch_cpu_relax() __asm__ volatile("yield")
#else
#define finch_cpu_relax() ((void)0)
#endif

// A decoding step of slm60m runs 41 products about 20–60 µs apart; waking a sleeping thread for
// each (Dispatch's concurrentPerform) cost about as much as the second core saved. Workers spin
// this long after their last loop, so a whole step (and the gap to the next token) finds them
// awake, then sleep, so an idle process costs no CPU.
#define SPIN_NANOSECONDS 2000000
#define MAX_WORKERS 63
// On an oversubscribed machine spinning is harmful: a worker descheduled in the middle of a part
// makes the caller wait out other processes' time slices, and a worker spinning on the caller's
// core takes half of the caller's share (40 ms a token at a load average of 20, against 2.5 on
// one thread). The load average is checked before each loop (see workers_welcome), and both
// harms are detected — the caller waited for a worker's last part longer than LATE_NANOSECONDS
// plus twice its own mean part time, or a spinning worker found PREEMPTED_NANOSECONDS missing
// between two looks at the clock. One such event is a strike; STRIKES within STRIKE_WINDOW make
// the loops of the next BACK_OFF_NANOSECONDS run on the caller alone while the workers sleep, and
// then the workers are tried again. A single strike is forgiven: on an idle machine a page fault,
// a timer interrupt or a part that streams 384 KB from memory (fp32) can make one loop late, and
// backing off for a second on each such event left fp32 decode on one core for most of a run.
#define LATE_NANOSECONDS 50000
#define PREEMPTED_NANOSECONDS 500000
#define STRIKES 3
#define STRIKE_WINDOW_NANOSECONDS 100000000
#define BACK_OFF_NANOSECONDS 1000000000

// One loop at a time. `state` packs the loop's generation (high 32 bits) with the next unclaimed
// part (low 32): a part is claimed by a compare-and-swap that fails once a newer loop has been
// published, so a worker that read an old loop's task can never run a part of a newer one. The
// task fields are rewritten only after every part of the previous loop was claimed and done.
static struct {
    _Atomic uint64_t state;
    _Atomic(finch_spin_task) task;
    _Atomic(void *) context;
    _Atomic ptrdiff_t count;
    _Atomic ptrdiff_t helpers;  // workers asked to help with this loop
    _Atomic ptrdiff_t done;     // parts finished
    _Atomic int busy;           // a caller is running a loop
    _Atomic int sleepers;
    _Atomic uint64_t aloneUntil;  // the monotonic time before which loops run on the caller alone
    ptrdiff_t workers;          // started, guarded by `start`
    pthread_mutex_t start, sleep;
    pthread_cond_t wake;
} pool = {.start = PTHREAD_MUTEX_INITIALIZER, .sleep = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static inline uint32_t generation_of(uint64_t state) { return (uint32_t)(state >> 32); }

/// Claims and runs parts of loop `generation` until none is left; returns how many it ran.
static ptrdiff_t help(uint32_t generation) {
    ptrdiff_t ran = 0;
    for (;;) {
        uint64_t state = atomic_load_explicit(&pool.state, memory_order_acquire);
        if (generation_of(state) != generation) return ran;
        ptrdiff_t index = (ptrdiff_t)(uint32_t)state;
        finch_spin_task task = atomic_load_explicit(&pool.task, memory_order_relaxed);
        void *context = atomic_load_explicit(&pool.context, memory_order_relaxed);
        if (index >= atomic_load_explicit(&pool.count, memory_order_relaxed)) return ran;
        if (!atomic_compare_exchange_weak_explicit(&pool.state, &state, state + 1, memory_order_acq_rel,
                                                   memory_order_relaxed)) {
            continue;
        }
        task(context, index);
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
        ran++;
    }
}

static uint64_t now_nanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int finch_spin_pool_late(uint64_t waited, uint64_t meanPart) { return waited > LATE_NANOSECONDS + 2 * meanPart; }

int finch_spin_strikes_add(finch_spin_strikes *strikes, uint64_t now) {
    if (strikes->count == 0 || now - strikes->windowStart > STRIKE_WINDOW_NANOSECONDS) {
        strikes->windowStart = now;
        strikes->count = 0;
    }
    if (++strikes->count < STRIKES) return 0;
    strikes->count = 0;
    return 1;
}

/// Counts a late or preempted loop (callers and workers alike, under a lock: strikes are rare)
/// and starts a back-off at the STRIKES-th of a window.
static void strike(uint64_t now) {
    static finch_spin_strikes strikes;
    static atomic_flag lock = ATOMIC_FLAG_INIT;
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) finch_cpu_relax();
    int backOff = finch_spin_strikes_add(&strikes, now);
    atomic_flag_clear_explicit(&lock, memory_order_release);
    if (backOff) atomic_store_explicit(&pool.aloneUntil, now + BACK_OFF_NANOSECONDS, memory_order_relaxed);
}

/// Returns the first generation other than `seen`: spinning, then asleep.
static uint32_t wait_for_loop(uint32_t seen) {
    uint64_t last = now_nanoseconds(), deadline = last + SPIN_NANOSECONDS;
    for (unsigned spins = 1;; spins++) {
        uint32_t generation = generation_of(atomic_load_explicit(&pool.state, memory_order_acquire));
        if (generation != seen) return generation;
        finch_cpu_relax();
        if (spins % 1024 == 0) {
            uint64_t now = now_nanoseconds();
            if (now > deadline) break;
            if (now - last > PREEMPTED_NANOSECONDS) {
                strike(now);
                break;
            }
            last = now;
        }
    }
    // Sleepers are counted before the state is read again and callers read the count after
    // publishing (both sequentially consistent), so either this sees the new loop or its caller
    // sees a sleeper and signals under the mutex.
    pthread_mutex_lock(&pool.sleep);
    atomic_fetch_add(&pool.sleepers, 1);
    uint32_t generation;
    while ((generation = generation_of(atomic_load(&pool.state))) == seen) pthread_cond_wait(&pool.wake, &pool.sleep);
    atomic_fetch_sub(&pool.sleepers, 1);
    pthread_mutex_unlock(&pool.sleep);
    return generation;
}

/// The generation current when worker i was started, before its caller published the loop it
/// was started for: read by the worker itself, that loop could already be published and missed.
static uint32_t generationAtStart[MAX_WORKERS];

static void *worker_main(void *argument) {
    ptrdiff_t index = (ptrdiff_t)(intptr_t)argument;
    uint32_t seen = generationAtStart[index];
    for (;;) {
        seen = wait_for_loop(seen);
        if (index < atomic_load_explicit(&pool.helpers, memory_order_relaxed)) help(seen);
    }
    return NULL;
}

/// Starts workers until there are `wanted` (or as many as could be started); returns how many run.
static ptrdiff_t ensure_workers(ptrdiff_t wanted) {
    if (wanted > MAX_WORKERS) wanted = MAX_WORKERS;
    pthread_mutex_lock(&pool.start);
    while (pool.workers < wanted) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        generationAtStart[pool.workers] = generation_of(atomic_load(&pool.state));
        int failed = pthread_create(&thread, &attributes, worker_main, (void *)(intptr_t)pool.workers);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        pool.workers++;
    }
    ptrdiff_t running = pool.workers;
    pthread_mutex_unlock(&pool.start);
    return running < wanted ? running : wanted;
}

static _Atomic int chosenPolicy = -1;

void finch_spin_pool_set_policy(int policy) {
    atomic_store_explicit(&chosenPolicy, policy < 0 ? -1 : policy, memory_order_relaxed);
}

/// The policy set, else FINCH_SPIN_POOL's ("always" or "never", read at the first loop after
/// FINCH_SPIN_POOL_FROM_ENVIRONMENT), else automatic.
static int policy(void) {
    int value = atomic_load_explicit(&chosenPolicy, memory_order_relaxed);
    if (value < 0) {
        const char *text = getenv("FINCH_SPIN_POOL");
        value = text && strcmp(text, "always") == 0 ? FINCH_SPIN_POOL_ALWAYS
            : text && strcmp(text, "never") == 0 ? FINCH_SPIN_POOL_NEVER : FINCH_SPIN_POOL_AUTOMATIC;
        atomic_store_explicit(&chosenPolicy, value, memory_order_relaxed);
    }
    return value;
}

int finch_spin_pool_crowded(double loadAverage, long cpus) { return loadAverage > 2.0 * (double)cpus + 1; }

/// Whether handing parts to the workers pays now: not while backing off, and not while the
/// machine is oversubscribed (finch_spin_pool_crowded, the load average read every 100 ms).
/// OpenMP runtimes make the same distinction (libgomp throttles its spinning when it has more
/// threads than CPUs).
static int workers_welcome(void) {
    static _Atomic uint64_t checkedAt;
    static _Atomic int crowded;
    int chosen = policy();
    if (chosen != FINCH_SPIN_POOL_AUTOMATIC) return chosen == FINCH_SPIN_POOL_ALWAYS;
    uint64_t now = now_nanoseconds();
    if (now < atomic_load_explicit(&pool.aloneUntil, memory_order_relaxed)) return 0;
    if (now - atomic_load_explicit(&checkedAt, memory_order_relaxed) > 100000000) {
        double load;
        int known = getloadavg(&load, 1) == 1;
        atomic_store_explicit(&crowded, known && finch_spin_pool_crowded(load, sysconf(_SC_NPROCESSORS_ONLN)),
                              memory_order_relaxed);
        atomic_store_explicit(&checkedAt, now, memory_order_relaxed);
    }
    return !atomic_load_explicit(&crowded, memory_order_relaxed);
}

int finch_spin_pool_workers_welcome(void) { return workers_welcome(); }

void finch_spin_pool_run(ptrdiff_t threads, ptrdiff_t count, finch_spin_task task, void *context) {
    if (count <= 0) return;
    int idle = 0;
    if (threads <= 1 || count == 1 || count > UINT32_MAX || !workers_welcome()
        || !atomic_compare_exchange_strong(&pool.busy, &idle, 1)) {
        for (ptrdiff_t i = 0; i < count; i++) task(context, i);
        return;
    }
    ptrdiff_t helpers = ensure_workers(threads - 1);
    atomic_store_explicit(&pool.task, task, memory_order_relaxed);
    atomic_store_explicit(&pool.context, context, memory_order_relaxed);
    atomic_store_explicit(&pool.count, count, memory_order_relaxed);
    atomic_store_explicit(&pool.helpers, helpers, memory_order_relaxed);
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    uint32_t generation = generation_of(atomic_load_explicit(&pool.state, memory_order_relaxed)) + 1;
    atomic_store(&pool.state, (uint64_t)generation << 32);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.sleep);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.sleep);
    }
    uint64_t helpStart = now_nanoseconds();
    ptrdiff_t ran = help(generation);
    if (atomic_load_explicit(&pool.done, memory_order_acquire) < count) {
        // Only parts a worker claimed and is running are left; if that worker lost its core,
        // yielding lets it finish sooner.
        uint64_t waitStart = now_nanoseconds();
        uint64_t meanPart = ran > 0 ? (waitStart - helpStart) / (uint64_t)ran : 0;
        for (unsigned spins = 1; atomic_load_explicit(&pool.done, memory_order_acquire) < count; spins++) {
            finch_cpu_relax();
            if (spins % 4096 == 0) sched_yield();
        }
        uint64_t now = now_nanoseconds();
        if (finch_spin_pool_late(now - waitStart, meanPart)) strike(now);
    }
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
}
