// A bounded queue of frames in front of a worker thread that encodes them.
//
// Note [Backpressure]
// As WebCodecs users learn the hard way, an encoder fed faster than it can
// encode must push back: push() blocks while `capacity` frames wait, so
// memory stays bounded whatever the producer does. The first exception the
// worker raises stops it; the queue is emptied (its frames dropped) and the
// exception is handed, once, to the next push() or waitIdle().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "ffmpeg/FFmpeg.h"

namespace codecflow {

struct EncodeJob {
  int stream = 0;
  UniqueAVFrame frame;
};

class EncodeQueue {
 public:
  using Handler = std::function<void(EncodeJob&)>;
  EncodeQueue(int64_t capacity, Handler handler);
  // Stops the worker; jobs still queued are dropped.
  ~EncodeQueue();
  EncodeQueue(const EncodeQueue&) = delete;
  EncodeQueue& operator=(const EncodeQueue&) = delete;

  // Queues a job, blocking while the queue is full. Rethrows the worker's
  // pending exception instead of queueing.
  void push(EncodeJob job);
  // Blocks until every queued job was handled; rethrows the worker's
  // pending exception.
  void waitIdle();
  // Jobs waiting now (not counting the one being handled).
  int64_t size() const;
  // Whether the worker stopped on an error (reported or not).
  bool failed() const;

 private:
  void run();
  void rethrowPendingLocked();

  int64_t capacity_;
  Handler handler_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<EncodeJob> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  bool failed_ = false;
  std::exception_ptr pending_;
  std::thread worker_;
};

}  // namespace codecflow
