// The bridge between FFmpeg's custom I/O callbacks and a ByteStream (for
// reading) or ByteSink (for writing).
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

class AvioReader {
 public:
  explicit AvioReader(std::shared_ptr<ByteStream> stream);
  AVIOContext* context() const { return avio_.get(); }
  // Rethrows the exception a callback stashed, if any, and clears it.
  void rethrowPending();
  bool hasPending() const { return pending_ != nullptr; }

 private:
  static int readPacket(void* opaque, uint8_t* buffer, int size);
  static int64_t seek(void* opaque, int64_t offset, int whence);

  std::shared_ptr<ByteStream> stream_;
  UniqueAVIOContext avio_;
  std::exception_ptr pending_;
};

// Writes through a ByteSink. Seeks are forwarded (muxers such as mp4 go
// back to patch their headers); the stash-and-rethrow rule is the same as
// for reading.
class AvioWriter {
 public:
  explicit AvioWriter(std::shared_ptr<ByteSink> sink);
  AVIOContext* context() const { return avio_.get(); }
  void rethrowPending();
  bool hasPending() const { return pending_ != nullptr; }

 private:
  static int writePacket(void* opaque, compat::AvioWriteData buffer, int size);
  static int64_t seek(void* opaque, int64_t offset, int whence);

  std::shared_ptr<ByteSink> sink_;
  UniqueAVIOContext avio_;
  std::exception_ptr pending_;
};

}  // namespace codecflow
