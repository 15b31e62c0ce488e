#include "tensor/SampleBuffer.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace codecflow {

void SampleBuffer::reserve(int64_t samples) {
  if (samples <= capacity_) {
    return;
  }
  int64_t capacity = std::max<int64_t>(samples, capacity_ + capacity_ / 2);
  Tensor storage = Tensor::empty({std::max(channels_, 1), capacity}, DType::Float32);
  auto* base = storage.dataAs<float>();
  for (int c = 0; c < channels_ && size_ > 0; ++c) {
    std::memcpy(base + c * capacity, data(c), static_cast<size_t>(size_) * sizeof(float));
  }
  storage_ = std::move(storage);
  base_ = base;
  capacity_ = capacity;
}

void SampleBuffer::append(const SampleBuffer& from, int64_t offset, int64_t count) {
  if (count <= 0) {
    return;
  }
  reserve(size_ + count);
  for (int c = 0; c < channels_; ++c) {
    std::memcpy(end(c), from.data(c) + offset, static_cast<size_t>(count) * sizeof(float));
  }
  size_ += count;
}

void SampleBuffer::truncate(int64_t n) { size_ = std::clamp<int64_t>(n, 0, size_); }

void SampleBuffer::dropFront(int64_t n) {
  n = std::clamp<int64_t>(n, 0, size_);
  if (n == 0) {
    return;
  }
  for (int c = 0; c < channels_; ++c) {
    std::memmove(data(c), data(c) + n, static_cast<size_t>(size_ - n) * sizeof(float));
  }
  size_ -= n;
}

Tensor SampleBuffer::release() {
  Tensor out;
  // A buffer much larger than its contents (a header that overstated the
  // duration) is copied out rather than kept alive behind the result.
  bool wasteful = capacity_ > 2 * size_ + (1 << 16);
  if (size_ == 0 || wasteful) {
    out = Tensor::empty({channels_, size_}, DType::Float32);
    for (int c = 0; c < channels_ && size_ > 0; ++c) {
      std::memcpy(out.dataAs<float>() + c * size_, data(c),
                  static_cast<size_t>(size_) * sizeof(float));
    }
  } else {
    // Close the gaps between channels: each moves left, to c * size_.
    for (int c = 1; c < channels_ && size_ < capacity_; ++c) {
      std::memmove(base_ + c * size_, data(c), static_cast<size_t>(size_) * sizeof(float));
    }
    auto owner = std::make_shared<Tensor>(storage_);
    out = Tensor::fromBlob(base_, {channels_, size_}, {}, DType::Float32, Device::cpu(),
                           std::move(owner));
  }
  storage_ = Tensor();
  base_ = nullptr;
  size_ = capacity_ = 0;
  return out;
}

}  // namespace codecflow
