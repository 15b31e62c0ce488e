#include "convert/ConversionThread.h"

#include <new>
#include <utility>

#include "codecflow/Error.h"

namespace codecflow {

ConversionThread::ConversionThread(Convert convert, int depth)
    : convert_(std::move(convert)), depth_(depth > 0 ? static_cast<size_t>(depth) : 1) {}

ConversionThread::~ConversionThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    queue_.clear();
  }
  changed_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

size_t ConversionThread::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void ConversionThread::throwIfFailed(std::unique_lock<std::mutex>& lock) {
  if (!error_) {
    return;
  }
  std::exception_ptr error = std::exchange(error_, nullptr);
  std::deque<Job> dropped;
  dropped.swap(queue_);
  lock.unlock();
  dropped.clear();
  std::rethrow_exception(error);
}

void ConversionThread::submit(const AVFrame* frame, uint8_t* slot,
                              std::shared_ptr<void> keepAlive) {
  Job job;
  job.frame = allocFrame();
  int rc = av_frame_ref(job.frame.get(), frame);
  if (rc < 0) {
    if (rc == AVERROR(ENOMEM)) {
      throw std::bad_alloc();
    }
    failFFmpeg(ErrorKind::Runtime, "could not keep a decoded frame for conversion", rc);
  }
  job.slot = slot;
  job.keepAlive = std::move(keepAlive);
  std::unique_lock<std::mutex> lock(mutex_);
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
  }
  changed_.wait(lock, [&] { return error_ || queue_.size() < depth_; });
  throwIfFailed(lock);
  queue_.push_back(std::move(job));
  lock.unlock();
  changed_.notify_all();
}

void ConversionThread::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return error_ || (queue_.empty() && !busy_); });
  throwIfFailed(lock);
}

void ConversionThread::discard() {
  std::unique_lock<std::mutex> lock(mutex_);
  std::deque<Job> dropped;
  dropped.swap(queue_);
  changed_.wait(lock, [&] { return !busy_; });
  error_ = nullptr;
  lock.unlock();
  dropped.clear();
  changed_.notify_all();
}

void ConversionThread::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) {
      return;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    changed_.notify_all();  // room in the queue
    std::exception_ptr error;
    try {
      convert_(job.frame.get(), job.slot);
    } catch (...) {
      error = std::current_exception();
    }
    job = Job();  // the frame and the batch let go outside the lock
    lock.lock();
    busy_ = false;
    if (error && !error_) {
      error_ = error;
      queue_.clear();  // the frames after a failed one are not converted
    }
    changed_.notify_all();
  }
}

}  // namespace codecflow
