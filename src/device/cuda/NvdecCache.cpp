#include "device/cuda/NvdecCache.h"

#include "codecflow/Cuda.h"
#include "codecflow/Error.h"


namespace codecflow {

NvdecCache& NvdecCache::instance() {
  // Leaked on purpose: contexts must not be freed after the CUDA runtime
  // and driver have shut down at process exit.
  static auto* cache = new NvdecCache();
  return *cache;
}

NvdecCache::NvdecCache() : capacity_(kDefaultNvdecCacheCapacity) {}

AVBufferRef* NvdecCache::device(int index) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(index);
  if (it != devices_.end()) {
    return it->second.get();
  }
  // Fails with FFmpeg's reason (e.g. "Cannot load libcuda.so.1").
  UniqueAVBufferRef ref = openHwDevice(AV_HWDEVICE_TYPE_CUDA, index, {{"primary_ctx", "1"}});
  return devices_.emplace(index, std::move(ref)).first->second.get();
}

UniqueAVCodecContext NvdecCache::take(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      UniqueAVCodecContext codec = std::move(it->second);
      entries_.erase(it);
      return codec;
    }
  }
  return nullptr;
}

void NvdecCache::put(const std::string& key, UniqueAVCodecContext codec) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (capacity_ == 0) {
    return;
  }
  entries_.emplace_front(key, std::move(codec));
  evictLocked();
}

void NvdecCache::evictLocked() {
  while (entries_.size() > capacity_) {
    entries_.pop_back();
  }
}

size_t NvdecCache::capacity() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return capacity_;
}

void NvdecCache::setCapacity(size_t capacity) {
  std::lock_guard<std::mutex> lock(mutex_);
  capacity_ = capacity;
  evictLocked();
}

size_t NvdecCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace codecflow
