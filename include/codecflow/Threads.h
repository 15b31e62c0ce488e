// The threads codecflow starts itself.
//
// Note [Thread limit]
// Besides FFmpeg's own codec threads (num_ffmpeg_threads), codecflow may
// start threads of its own: a conversion stage beside a decoder, workers
// that decode distinct GOPs of one batch, a pool that decodes many sources
// in one call. All of them ask threadLimit() how many they may use, so that
// one process-wide setting (codecflow.set_num_threads) caps them all. The
// default is the number of cores the process may run on. A limit of 1 means
// codecflow starts no thread of its own: every stage runs on the caller's
// thread, one after the other.
#pragma once

#include <cstdint>

#include "codecflow/Error.h"

namespace codecflow {

// Sets the process-wide limit, `n` in [1, 4096]; throws InvalidArgument
// outside that range. Takes effect for work started after the call; work
// already running keeps its threads.
void setThreadLimit(int64_t n);
inline constexpr IntRange kThreadLimitRange{"num_threads", 1, 4096};

// Back to the default (the cores available).
void resetThreadLimit();

// The limit in effect: the value set, else the cores available (at least 1).
int threadLimit();

// Whether a limit was set (and not reset to the default).
bool threadLimitSet();

// The threads that work started on the calling thread may use:
// threadLimit(), or 1 on a worker of parallel work (the GOPs of one batch,
// the items of decode_clips), whose workers use the limit already, so that
// nested work runs on its worker alone.
int threadsForNewWork();

// Marks the calling thread as a worker of parallel work while it lives.
class ParallelWorkerScope {
 public:
  ParallelWorkerScope();
  ~ParallelWorkerScope();
  ParallelWorkerScope(const ParallelWorkerScope&) = delete;
  ParallelWorkerScope& operator=(const ParallelWorkerScope&) = delete;

 private:
  bool outer_;
};

}  // namespace codecflow
