// A low-latency hand-off for the many short parallel loops of one decoding step (Finch's
// SpinPool.swift): persistent workers that spin on an atomic between loops instead of being
// woken by the operating system for each one.
#ifndef FINCH_SPIN_POOL_H
#define FINCH_SPIN_POOL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Does part `index` of a loop; `context` is the caller's.
typedef void (*finch_spin_task)(void *context, ptrdiff_t index);

/// Runs task(context, i) for every i in 0..<count, each exactly once, on the calling thread and
/// up to threads − 1 pool workers, and returns when all are done. Parts are claimed one at a
/// time from a shared counter, so a worker that is slow to start (a loaded machine) only leaves
/// more parts to the caller. Workers spin for a while after each loop, then sleep on a condition
/// variable; on an oversubscribed machine every loop runs on the caller (see the policy). A
/// call made while another is running (another thread, or from inside a task) runs its parts
/// on the calling thread alone.
void finch_spin_pool_run(ptrdiff_t threads, ptrdiff_t count, finch_spin_task task, void *context);

/// When the workers are used: AUTOMATIC (the default) unless the machine is oversubscribed (its
/// load average above twice its cores + 1) or a worker was recently found descheduled; ALWAYS
/// (measuring, tests); NEVER. Until set, the environment's FINCH_SPIN_POOL=always|never decides.
enum { FINCH_SPIN_POOL_AUTOMATIC = 0, FINCH_SPIN_POOL_ALWAYS = 1, FINCH_SPIN_POOL_NEVER = 2 };
void finch_spin_pool_set_policy(int policy);

#ifdef __cplusplus
}
#endif

#endif
