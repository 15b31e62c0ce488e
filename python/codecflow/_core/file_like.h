// The one adapter between a Python binary file-like object and the core's
// byte interfaces: a ByteStream for decoding (read, seek, size) and a
// ByteSink for encoding (write, seek).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>

#include "codecflow/Encoder.h"
#include "codecflow/Source.h"

namespace codecflow::python {

// Calls the object's read/write/seek/tell. The core calls these with the GIL
// released (from the caller's thread, FFmpeg's callbacks or the encoder's
// worker): each call takes the GIL for the Python call only. A Python
// exception propagates as py::error_already_set, which the core stashes and
// rethrows once FFmpeg returns (Note [Exceptions and FFmpeg callbacks]), so
// the caller sees the original exception, unchanged. The object is released
// with the GIL held.
class PyFileLike final : public ByteStream, public ByteSink {
 public:
  explicit PyFileLike(pybind11::object fileLike);
  ~PyFileLike() override;

  PyFileLike(const PyFileLike&) = delete;
  PyFileLike& operator=(const PyFileLike&) = delete;

  // ByteStream: read(size), at most `size` bytes; None counts as the end.
  int64_t read(uint8_t* buffer, int64_t size) override;
  // ByteSink: write() until all is written; None means all was written.
  void write(const uint8_t* data, int64_t size) override;
  // Both: seek(offset, whence), then tell() where seek returned None.
  int64_t seek(int64_t offset, int whence) override;
  // ByteStream: the end position found by seek(0, 2), the position kept.
  int64_t size() override;

 private:
  pybind11::object fileLike_;
};

}  // namespace codecflow::python
