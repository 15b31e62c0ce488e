// A second stage beside a decoder: frame N is converted (colour, rotation,
// transforms, dtype) on its own thread while the caller decodes frame N+1.
//
// Note [Conversion pipeline]
// The decoder hands over a new reference to each frame (its buffers stay
// alive while they wait) with the slot it goes to; at most `depth` frames
// wait at a time, so memory stays bounded and a slow conversion slows the
// decoder rather than piling up frames. The batch a frame is written into
// is kept alive by the stage until the frame is written, so a caller that
// gives up on a batch halfway (an error, a decoder closed) never has frames
// written into freed memory. The first error of a conversion is kept and
// thrown to the caller at its next call (submit, wait); the frames queued
// after it are dropped. The thread starts on the first frame and ends with
// the stage.
//
// Thread safety: one caller thread at a time (the decoder's lock).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class ConversionThread {
 public:
  // `convert` writes one frame into its slot; it runs on the stage's thread.
  using Convert = std::function<void(const AVFrame*, uint8_t*)>;

  ConversionThread(Convert convert, int depth);
  ~ConversionThread();  // drops what waits, finishes the frame in hand, joins
  ConversionThread(const ConversionThread&) = delete;
  ConversionThread& operator=(const ConversionThread&) = delete;

  // Queues a reference to `frame` for `slot`, blocking while `depth` frames
  // wait; `keepAlive` (the batch's storage) is held until it is written.
  // Throws an earlier conversion's error instead (dropping what waits).
  void submit(const AVFrame* frame, uint8_t* slot, std::shared_ptr<void> keepAlive);

  // Returns once every queued frame is written; throws the first error.
  void wait();

  // Drops the queued frames and any error, and waits for the frame in hand.
  void discard();

  // Whether the thread was started (tests, thread accounting).
  bool started() const { return thread_.joinable(); }

  // Frames queued and not yet taken by the thread, at most `depth`.
  size_t queued() const;

 private:
  struct Job {
    UniqueAVFrame frame;
    uint8_t* slot = nullptr;
    std::shared_ptr<void> keepAlive;
  };
  void run();
  // With mutex_ held: throws and clears error_, dropping the queue.
  void throwIfFailed(std::unique_lock<std::mutex>& lock);

  Convert convert_;
  size_t depth_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  bool busy_ = false;  // the thread holds a job
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace codecflow
