// A small team of helper threads for the batch-1 products of decoding, where a product reads a
// few megabytes of weights in tens of microseconds and a thread pool's hand-off (Dispatch's, or
// OpenBLAS's, whose idle workers sched_yield) costs a noticeable share of that.
#ifndef FINCH_KERNEL_TEAM_H
#define FINCH_KERNEL_TEAM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One piece of a job: `chunk` is in 0..<chunks, each called exactly once per run.
typedef void (*finch_team_task)(void *context, ptrdiff_t chunk);

/// Calls task(context, k) for every k in 0..<chunks and returns when all are done, on the calling
/// thread and up to threads − 1 helpers. Chunks are claimed one at a time from a shared counter,
/// so the caller never waits for a helper that has not started (a descheduled one on a loaded
/// machine): it takes the remaining chunks itself, and waits only for chunks already claimed.
/// Helpers spin on a generation counter for about a millisecond after their last chunk (the
/// gaps between a token's products are shorter), then sleep on a condition variable.
/// Calls from several threads at once are safe: while the team is busy, a caller runs its
/// chunks alone, and so does a job of more than 65535 chunks.
void finch_team_run(int threads, ptrdiff_t chunks, finch_team_task task, void *context);

#ifdef __cplusplus
}
#endif

#endif
