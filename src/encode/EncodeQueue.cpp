#include "encode/EncodeQueue.h"

#include <utility>

namespace codecflow {

EncodeQueue::EncodeQueue(int64_t capacity, Handler handler)
    : capacity_(capacity), handler_(std::move(handler)) {
  worker_ = std::thread([this] { run(); });
}

EncodeQueue::~EncodeQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  changed_.notify_all();
  worker_.join();
}

void EncodeQueue::rethrowPendingLocked() {
  if (pending_) {
    std::rethrow_exception(std::exchange(pending_, nullptr));
  }
}

void EncodeQueue::push(EncodeJob job) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] {
    return failed_ || static_cast<int64_t>(jobs_.size()) < capacity_;
  });
  rethrowPendingLocked();
  if (failed_) {
    return;  // the error was reported already; the owner stops feeding us
  }
  jobs_.push_back(std::move(job));
  changed_.notify_all();
}

void EncodeQueue::waitIdle() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return failed_ || (jobs_.empty() && !busy_); });
  rethrowPendingLocked();
}

int64_t EncodeQueue::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(jobs_.size());
}

bool EncodeQueue::failed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failed_;
}

void EncodeQueue::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) {
      return;
    }
    EncodeJob job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    changed_.notify_all();  // room for the producer
    lock.unlock();
    std::exception_ptr error;
    try {
      handler_(job);
    } catch (...) {
      error = std::current_exception();
    }
    job.frame.reset();
    lock.lock();
    busy_ = false;
    if (error) {
      failed_ = true;
      pending_ = error;
      jobs_.clear();
    }
    changed_.notify_all();
  }
}

}  // namespace codecflow
