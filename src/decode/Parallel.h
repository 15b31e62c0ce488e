// Work spread over a few threads that end with the call (Note [Thread
// limit]): the GOPs of one batch, the sources of decode_clips.
#pragma once

#include <cstddef>
#include <functional>

namespace codecflow {

// Runs task(worker, i) for every i in [0, count) on up to `workers` threads,
// the caller's among them (worker 0); `worker` < workers says which thread
// runs it, so that per-thread state (a decoder context) needs no lock.
// Work started inside a task runs on its thread alone (parallelWorkers
// answers 1 there). Returns once every thread has joined: no thread outlives the call. When a
// task throws, tasks not started yet are skipped and the exception of the
// lowest failing i is rethrown to the caller; a task never runs twice.
void runParallel(size_t count, int workers,
                 const std::function<void(int worker, size_t task)>& task);

// The workers a call may use for `tasks` independent pieces of work: at
// most threadLimit() and at most `tasks`, at least 1.
int parallelWorkers(size_t tasks);

}  // namespace codecflow
