// The process-wide limit on codecflow's own threads (Note [Thread limit]).
#include "codecflow/Threads.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <thread>


namespace codecflow {
namespace {

std::atomic<int> gLimit{0};

// Set on the threads of parallel work (ParallelWorkerScope).
thread_local bool insideParallelWork = false;

// The cores this process may run on (its affinity mask, which containers
// and taskset narrow), else what the hardware reports.
int availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) {
      return count;
    }
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

}  // namespace

void setThreadLimit(int64_t n) {
  gLimit.store(static_cast<int>(checkRange(kThreadLimitRange, n)), std::memory_order_relaxed);
}

void resetThreadLimit() {
  gLimit.store(0, std::memory_order_relaxed);
}

int threadLimit() {
  const int set = gLimit.load(std::memory_order_relaxed);
  return set > 0 ? set : availableCores();
}

bool threadLimitSet() {
  return gLimit.load(std::memory_order_relaxed) > 0;
}

int threadsForNewWork() { return insideParallelWork ? 1 : std::max(1, threadLimit()); }

ParallelWorkerScope::ParallelWorkerScope() : outer_(insideParallelWork) {
  insideParallelWork = true;
}

ParallelWorkerScope::~ParallelWorkerScope() { insideParallelWork = outer_; }

}  // namespace codecflow
