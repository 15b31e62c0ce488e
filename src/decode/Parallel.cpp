#include "decode/Parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

#include "codecflow/Log.h"
#include "codecflow/Threads.h"

namespace codecflow {

int parallelWorkers(size_t tasks) {
  // On a worker of runParallel (the caller's thread too, while it works),
  // 1: the threads of nested work (the GOPs of one clip of decode_clips,
  // a conversion thread beside its decoder) never multiply.
  size_t limit = static_cast<size_t>(threadsForNewWork());
  return static_cast<int>(std::max<size_t>(1, std::min(limit, tasks)));
}

void runParallel(size_t count, int workers,
                 const std::function<void(int worker, size_t task)>& task) {
  workers = std::max(1, std::min<int>(workers, static_cast<int>(std::min<size_t>(count, 4096))));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::exception_ptr> errors(count);
  auto work = [&](int worker) {
    // Each thread gathers FFmpeg's log lines for its own messages.
    FFmpegLogScope logScope;
    ParallelWorkerScope scope;
    while (!failed.load(std::memory_order_relaxed)) {
      size_t i = next.fetch_add(1);
      if (i >= count) {
        return;
      }
      try {
        task(worker, i);
      } catch (...) {
        errors[i] = std::current_exception();
        failed.store(true);
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(workers - 1));
  try {
    for (int w = 1; w < workers; ++w) {
      threads.emplace_back(work, w);
    }
  } catch (...) {
    // No thread to be had: the ones started and this one do the work.
  }
  work(0);
  for (std::thread& t : threads) {
    t.join();
  }
  for (std::exception_ptr& e : errors) {
    if (e) {
      std::rethrow_exception(e);
    }
  }
}

}  // namespace codecflow
