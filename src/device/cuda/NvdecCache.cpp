#include "device/cuda/NvdecCache.h"

#include <pthread.h>

#include <new>

#include "codecflow/Cuda.h"
#include "codecflow/Error.h"
#include "device/cuda/CudaRuntime.h"

extern "C" {
#include <libavutil/hwcontext_cuda.h>
}

namespace codecflow {

namespace {
// Leaked on purpose: contexts must not be freed after the CUDA runtime and
// driver have shut down at process exit.
NvdecCache* gCache = nullptr;
std::once_flag gCacheOnce;
}  // namespace

NvdecCache& NvdecCache::instance() {
  std::call_once(gCacheOnce, [] {
    gCache = new NvdecCache();
    pthread_atfork(nullptr, nullptr, &NvdecCache::dropInherited);
  });
  return *gCache;
}

void NvdecCache::dropInherited() {
  // In a forked child: the parent's device contexts and NVDEC decoders
  // cannot work here and must not be freed either (that would call into
  // the parent's CUDA state); the whole cache, its mutex included (a thread
  // that is gone may hold it), is leaked and a fresh one takes its place.
  size_t capacity = gCache->capacity_;
  gCache = new NvdecCache();
  gCache->capacity_ = capacity;
}

NvdecCache::NvdecCache() : capacity_(kDefaultNvdecCacheCapacity) {}

AVBufferRef* NvdecCache::device(int index) {
  if (cuda::forkedAfterCudaUse()) {
    fail(ErrorKind::Runtime, kForkedCudaMessage);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = devices_.find(index);
  if (it != devices_.end()) {
    return it->second.get();
  }
  // FFmpeg's device context on the primary context codecflow retains
  // itself: FFmpeg's own primary_ctx option refuses a primary context that
  // the runtime (torch, codecflow's kernels) has already made with other
  // flags. FFmpeg pushes it around its calls and never releases it.
  std::string error;
  void* context = cuda::primaryContext(index, error);
  if (context == nullptr) {
    fail(ErrorKind::Runtime, "could not open CUDA device " + std::to_string(index) + ": " +
                                 error + " (" + cuda::versions() + ")");
  }
  UniqueAVBufferRef ref(av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_CUDA));
  if (!ref) {
    throw std::bad_alloc();
  }
  auto* hw = reinterpret_cast<AVHWDeviceContext*>(ref->data);
  static_cast<AVCUDADeviceContext*>(hw->hwctx)->cuda_ctx = static_cast<CUcontext>(context);
  int rc = av_hwdevice_ctx_init(ref.get());
  if (rc < 0) {
    // Fails with FFmpeg's reason (e.g. "Cannot load libcuda.so.1").
    failFFmpeg(ErrorKind::Runtime,
               "could not open CUDA device " + std::to_string(index) +
                   " (FFmpeg's CUDA device context; " + cuda::versions() + ")",
               rc);
  }
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
