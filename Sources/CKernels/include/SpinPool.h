// A low-latency hand-off for the many short parallel loops of one decoding step: the 4-bit
// products (Finch's SpinPool.swift, Q4Matrix) and the fp32 ones (FloatGEMV.c) share it.
// Persistent workers spin on an atomic between loops instead of being woken by the operating
// system for each one (Dispatch's wake-ups, or OpenBLAS's sched_yield-ing workers, cost a
// noticeable share of a product that reads a few megabytes in tens of microseconds).
#ifndef FINCH_SPIN_POOL_H
#define FINCH_SPIN_POOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Does part `index` of a loop; `context` is the caller's.
typedef void (*finch_spin_task)(void *context, ptrdiff_t index);

/// Runs task(context, i) for every i in 0..<count, each exactly once, on the calling thread and
/// up to threads − 1 pool workers, and returns when all are done. Which thread runs a part
/// varies, so a caller that wants the same bits for any thread count makes each part's result
/// depend on its index only. Parts are claimed one at a time from a shared counter, so the
/// caller never waits for a worker that has not started (a loaded machine): it takes the
/// remaining parts itself and waits only for parts already claimed. Workers spin for a while after each loop, then sleep on a condition
/// variable; on an oversubscribed machine every loop runs on the caller (see the policy). A
/// call made while another is running (another thread, or from inside a task) runs its parts
/// on the calling thread alone.
void finch_spin_pool_run(ptrdiff_t threads, ptrdiff_t count, finch_spin_task task, void *context);

/// When the workers are used: AUTOMATIC (the default) unless the machine is oversubscribed (its
/// load average above twice its cores + 1) or a worker was recently found descheduled; ALWAYS
/// (measuring, tests); NEVER. Until set (or after FROM_ENVIRONMENT), the environment's
/// FINCH_SPIN_POOL=always|never decides, else AUTOMATIC.
enum {
    FINCH_SPIN_POOL_FROM_ENVIRONMENT = -1,
    FINCH_SPIN_POOL_AUTOMATIC = 0,
    FINCH_SPIN_POOL_ALWAYS = 1,
    FINCH_SPIN_POOL_NEVER = 2
};
void finch_spin_pool_set_policy(int policy);

/// Whether a loop started now would be handed to the workers (the policy, the load, no back-off):
/// a caller with another way to split its work asks before choosing this one.
int finch_spin_pool_workers_welcome(void);

/// Whether a one-minute load average is too high for spinning workers on `cpus` cores (AUTOMATIC
/// stands them down): above twice the cores + 1, since the decoding process's own caller and
/// spinning worker count in it (an idle 2-core machine decoding shows about 3).
int finch_spin_pool_crowded(double loadAverage, long cpus);

/// Whether the caller waited too long for a worker's last part: longer than 50 µs plus twice the
/// mean time of the caller's own parts in that loop (a worker may have claimed a part just before
/// the caller ran out of them).
int finch_spin_pool_late(uint64_t waited, uint64_t meanPart);
/// Late or preempted loops within a window; the third within 100 ms starts a one-second
/// back-off of the workers, a lone one is forgiven.
typedef struct {
    uint64_t windowStart;
    int count;
} finch_spin_strikes;
/// Records a strike at `now` (monotonic ns); returns 1 when it is the one that starts a back-off.
int finch_spin_strikes_add(finch_spin_strikes *strikes, uint64_t now);
#ifdef __cplusplus
}
#endif

#endif
