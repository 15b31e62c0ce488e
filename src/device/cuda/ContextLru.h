// The bookkeeping of the NVDEC cache, apart from CUDA and FFmpeg so that it
// is tested on every machine: entries by key, most recently put first, each
// with the GPU it lives on and an estimate of the device memory it holds.
// Two bounds: a count over all GPUs, and bytes per GPU. Whatever a call
// evicts is handed back to the caller, who destroys it after releasing its
// lock (destroying a codec context frees its surfaces, which synchronizes
// the GPU).
//
// Thread safety: none; the owner locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace codecflow {

// The device memory one cached NVDEC decoder holds: `surfaces` decode
// surfaces and as many output frames of FFmpeg's pool, each a 4:2:0 image of
// the coded size rounded up to NVDEC's 16-pixel macroblocks, one byte per
// sample up to 8 bits and two beyond. A 4K 10-bit HEVC stream with 20
// surfaces comes to about 1 GiB.
inline size_t nvdecSurfaceBytes(int width, int height, int bitDepth, int surfaces) {
  if (width <= 0 || height <= 0 || surfaces <= 0) {
    return 0;
  }
  auto alignedWidth = static_cast<size_t>((width + 15) / 16 * 16);
  auto alignedHeight = static_cast<size_t>((height + 15) / 16 * 16);
  size_t sampleBytes = bitDepth > 8 ? 2 : 1;
  size_t frame = alignedWidth * alignedHeight * 3 / 2 * sampleBytes;
  return frame * static_cast<size_t>(surfaces) * 2;
}

template <typename Value>
class ContextLru {
 public:
  ContextLru(size_t capacity, size_t bytesPerDevice)
      : capacity_(capacity), bytesPerDevice_(bytesPerDevice) {}

  // The entry put last for `key`, removed; `found` false (and a default
  // Value) when there is none.
  Value take(const std::string& key, bool& found) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->key == key) {
        Value value = std::move(it->value);
        bytes_[it->device] -= it->bytes;
        entries_.erase(it);
        found = true;
        return value;
      }
    }
    found = false;
    return Value();
  }

  // Keeps `value` as the most recent entry; returns what no longer fits
  // (the least recently put entries of that GPU beyond its byte bound, then
  // the oldest of all beyond the count), `value` itself when it alone
  // exceeds a bound.
  std::vector<Value> put(std::string key, int device, size_t bytes, Value value) {
    std::vector<Value> evicted;
    if (capacity_ == 0 || bytes > bytesPerDevice_) {
      evicted.push_back(std::move(value));
      return evicted;
    }
    entries_.push_front(Entry{std::move(key), device, bytes, std::move(value)});
    bytes_[device] += bytes;
    evict(evicted);
    return evicted;
  }

  // New bounds; returns what they evict.
  std::vector<Value> setLimits(size_t capacity, size_t bytesPerDevice) {
    capacity_ = capacity;
    bytesPerDevice_ = bytesPerDevice;
    std::vector<Value> evicted;
    evict(evicted);
    return evicted;
  }

  size_t capacity() const { return capacity_; }
  size_t bytesPerDevice() const { return bytesPerDevice_; }
  size_t size() const { return entries_.size(); }
  size_t bytes(int device) const {
    auto it = bytes_.find(device);
    return it == bytes_.end() ? 0 : it->second;
  }

 private:
  struct Entry {
    std::string key;
    int device;
    size_t bytes;
    Value value;
  };

  void evict(std::vector<Value>& evicted) {
    // Oldest first, per GPU over its byte bound, then overall.
    for (auto it = entries_.end(); it != entries_.begin();) {
      --it;
      if (bytes_[it->device] > bytesPerDevice_) {
        bytes_[it->device] -= it->bytes;
        evicted.push_back(std::move(it->value));
        it = entries_.erase(it);
      }
    }
    while (entries_.size() > capacity_) {
      Entry& last = entries_.back();
      bytes_[last.device] -= last.bytes;
      evicted.push_back(std::move(last.value));
      entries_.pop_back();
    }
  }

  std::list<Entry> entries_;  // most recently put first
  std::map<int, size_t> bytes_;
  size_t capacity_;
  size_t bytesPerDevice_;
};

}  // namespace codecflow
