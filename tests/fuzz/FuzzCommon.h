// Shared pieces of the libFuzzer harnesses (see docs/reliability.md).
//
// Every harness reads its parameters from the END of the input (Params)
// and hands the rest to the core as the media bytes,
// so a seed made of a media file plus a short parameter trailer opens as
// that file. The contract under test: any input ends in a result or a
// codecflow::Error; anything else (a crash, a sanitizer report, another
// exception type, a hang, an allocation beyond -rss_limit_mb) is a bug.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "codecflow/Log.h"
#include "codecflow/Metadata.h"
#include "codecflow/Source.h"
#include "codecflow/Tensor.h"

namespace codecflow::fuzz {

// Media inputs above this size are skipped: they only slow the campaign.
inline constexpr size_t kMaxMediaBytes = 1 << 20;

// Once per process: FFmpeg silent, no frame memory kept between inputs
// (kept batches would look like growth to the leak and RSS checks).
inline void initOnce() {
  static const bool done = [] {
    setFFmpegLogLevel(-8);
    setFrameCacheLimit(0);
    return true;
  }();
  (void)done;
}

// Reads every value of the metadata, so that a bad one trips the sanitizers.
inline uint64_t touch(const StreamMetadata& m) {
  uint64_t h = static_cast<uint64_t>(m.streamIndex) + m.codec.size();
  h += static_cast<uint64_t>(m.width) * 31 + static_cast<uint64_t>(m.height);
  h += m.numFramesFromHeader.value_or(0) + m.numFramesFromContent.value_or(0);
  h += static_cast<uint64_t>(m.averageFpsFromHeader.value_or(0) != 0);
  h += static_cast<uint64_t>(m.durationSecondsFromHeader.value_or(0) != 0);
  h += static_cast<uint64_t>(m.beginStreamSecondsFromContent.value_or(0) != 0);
  h += static_cast<uint64_t>(m.endStreamSecondsFromContent.value_or(0) != 0);
  h += m.pixelFormat.value_or("").size() + m.sampleFormat.value_or("").size();
  h += m.colorSpace.value_or("").size() + m.colorRange.value_or("").size();
  h += static_cast<uint64_t>(m.sampleRate) + static_cast<uint64_t>(m.numChannels);
  h += static_cast<uint64_t>(m.rotation.value_or(0) != 0);
  return h;
}

// Reads every byte of a CPU tensor (uninitialized or freed memory trips
// ASan/MSan-style checks; the sum keeps the loop from being dropped).
inline uint64_t touch(const Tensor& t) {
  if (t.numel() == 0 || t.data() == nullptr) return 0;
  const auto* p = static_cast<const uint8_t*>(t.data());
  uint64_t sum = 0;
  for (int64_t i = 0, n = t.nbytes(); i < n; i += 61) sum += p[i];
  return sum + p[t.nbytes() - 1];
}

// Splits a fuzz input into parameters, taken from its end, and payload
// bytes, taken from its front. Running out of bytes gives zeros, so every
// input is valid.
class Params {
 public:
  Params(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  // A value in [lo, hi], from as few trailing bytes as the range needs.
  template <typename T>
  T inRange(T lo, T hi) {
    const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    uint64_t value = 0;
    for (unsigned bits = 0; bits < 64 && (range >> bits) != 0 && size_ > 0; bits += 8) {
      value = (value << 8) | data_[--size_];
    }
    if (range != std::numeric_limits<uint64_t>::max()) value %= range + 1;
    return static_cast<T>(static_cast<uint64_t>(lo) + value);
  }
  template <typename T>
  T any() {
    return inRange<T>(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  }
  bool flag() { return (inRange<uint8_t>(0, 255) & 1) != 0; }

  // Copies up to `n` payload bytes into `out`; returns how many there were.
  size_t bytes(void* out, size_t n) {
    const size_t got = std::min(n, size_);
    if (got > 0) std::memcpy(out, data_, got);
    data_ += got;
    size_ -= got;
    return got;
  }
  // A payload string of up to `maxLength` bytes (its length a parameter).
  std::string text(size_t maxLength) {
    std::string s(inRange<size_t>(0, maxLength), '\0');
    s.resize(bytes(s.data(), s.size()));
    return s;
  }
  // Everything not consumed yet.
  std::string rest() {
    std::string s(reinterpret_cast<const char*>(data_), size_);
    data_ += size_;
    size_ = 0;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

// A small deterministic generator for choices derived from one seed.
class Choice {
 public:
  explicit Choice(uint32_t seed) : state_(seed * 2654435761u + 1) {}
  uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  // Uniform in [0, n), n > 0.
  int64_t below(int64_t n) { return static_cast<int64_t>(next() % static_cast<uint64_t>(n)); }

 private:
  uint32_t state_;
};

// A start/stop time pair of the fuzzer's choosing: mostly within a few
// seconds, sometimes negative, huge, NaN or infinite.
inline double fuzzTime(Params& p) {
  switch (p.inRange<int>(0, 7)) {
    case 0: return -1.0;
    case 1: return 1e300;
    case 2: return std::numeric_limits<double>::quiet_NaN();
    case 3: return std::numeric_limits<double>::infinity();
    default: return p.inRange<int>(0, 4000) / 1000.0;
  }
}

}  // namespace codecflow::fuzz
