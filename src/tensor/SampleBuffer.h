// Planar float32 samples that grow at the end: the decoders' output buffer
// and the queue of samples decoded ahead of a range.
#pragma once

#include <cstdint>

#include "codecflow/Tensor.h"

namespace codecflow {

class SampleBuffer {
 public:
  explicit SampleBuffer(int channels = 0) : channels_(channels) {}

  int channels() const { return channels_; }
  int64_t size() const { return size_; }

  // Makes room for at least `samples` samples per channel (growing
  // geometrically, so that repeated small reservations stay cheap).
  void reserve(int64_t samples);
  // Channel c's first sample, and the first free place after the samples,
  // where a writer puts up to capacity - size() new ones before grow().
  float* data(int c) const { return base_ + static_cast<int64_t>(c) * capacity_; }
  float* end(int c) const { return data(c) + size_; }
  int64_t capacity() const { return capacity_; }
  // Counts `n` samples written at end() as part of the buffer.
  void grow(int64_t n) { size_ += n; }

  // Appends samples [offset, offset + count) of `from`.
  void append(const SampleBuffer& from, int64_t offset, int64_t count);
  // Keeps the first `n` samples.
  void truncate(int64_t n);
  // Removes the first `n` samples.
  void dropFront(int64_t n);
  void clear() { size_ = 0; }

  // The samples as a contiguous (channels, size()) float32 tensor, without
  // a copy when the buffer was sized well; leaves the buffer empty.
  Tensor release();

 private:
  int channels_;
  int64_t size_ = 0;
  int64_t capacity_ = 0;
  Tensor storage_;
  float* base_ = nullptr;
};

}  // namespace codecflow
