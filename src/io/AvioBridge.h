// The bridge between FFmpeg's custom I/O callbacks and a ByteStream (for
// reading) or ByteSink (for writing): one AVIOContext, one exception stash.
//
// Note [Exceptions and FFmpeg callbacks]
// FFmpeg is C: a C++ exception must never unwind through it. The callbacks
// catch everything, stash the exception here and return an AVERROR; the
// FFmpeg call then fails, and its caller calls rethrowPending() before
// building its own error, so the original exception (a Python exception
// raised by a file-like object included) reaches the user unchanged.
#pragma once

#include <exception>
#include <memory>

#include "codecflow/Encoder.h"
#include "codecflow/Source.h"
#include "ffmpeg/Compat.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class AvioBridge {
 public:
  AvioBridge(const AvioBridge&) = delete;
  AvioBridge& operator=(const AvioBridge&) = delete;

  AVIOContext* context() const { return avio_.get(); }
  // Rethrows the exception a callback stashed, if any, and clears it.
  void rethrowPending();
  bool hasPending() const { return pending_ != nullptr; }

 protected:
  using ReadFn = int (*)(void*, uint8_t*, int);
  using WriteFn = int (*)(void*, compat::AvioWriteData, int);
  using SeekFn = int64_t (*)(void*, int64_t, int);
  AvioBridge() = default;
  ~AvioBridge() = default;

  // Allocates the context and its buffer, with `this` as the callbacks'
  // opaque pointer.
  void open(bool writable, ReadFn read, WriteFn write, SeekFn seek);

  // Runs a callback's body: returns AVERROR_EXTERNAL once an exception is
  // stashed (FFmpeg may call again after a failure), and stashes any
  // exception `body` throws.
  template <typename Result, typename Body>
  static Result guarded(void* opaque, Body body) {
    auto* self = static_cast<AvioBridge*>(opaque);
    if (self->pending_) {
      return AVERROR_EXTERNAL;
    }
    try {
      return body();
    } catch (...) {
      self->pending_ = std::current_exception();
      return AVERROR_EXTERNAL;
    }
  }

 private:
  UniqueAVIOContext avio_;
  std::exception_ptr pending_;
};

class AvioReader : public AvioBridge {
 public:
  explicit AvioReader(std::shared_ptr<ByteStream> stream);

 private:
  static int readPacket(void* opaque, uint8_t* buffer, int size);
  static int64_t seek(void* opaque, int64_t offset, int whence);

  std::shared_ptr<ByteStream> stream_;
};

// Writes through a ByteSink. Seeks are forwarded (muxers such as mp4 go
// back to patch their headers).
class AvioWriter : public AvioBridge {
 public:
  explicit AvioWriter(std::shared_ptr<ByteSink> sink);

 private:
  static int writePacket(void* opaque, compat::AvioWriteData buffer, int size);
  static int64_t seek(void* opaque, int64_t offset, int whence);

  std::shared_ptr<ByteSink> sink_;
};

}  // namespace codecflow
