#include "device/cuda/NvdecCache.h"

#include <pthread.h>

#include <new>
#include <vector>

#include "codecflow/Cuda.h"
#include "codecflow/Error.h"
#include "device/cuda/CudaMemory.h"
#include "device/cuda/CudaRuntime.h"

extern "C" {
#include <libavutil/hwcontext_cuda.h>
#include <libavutil/pixdesc.h>
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
  size_t capacity = gCache->entries_.capacity();
  size_t bytes = gCache->entries_.bytesPerDevice();
  gCache = new NvdecCache();
  // A fresh cache, not yet shared with any thread of the child.
  static_cast<void>(gCache->entries_.setLimits(capacity, bytes));
}

NvdecCache::NvdecCache() : entries_(kDefaultNvdecCacheCapacity, kDefaultNvdecCacheBytes) {}

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
  auto* cudaDevice = static_cast<AVCUDADeviceContext*>(hw->hwctx);
  cudaDevice->cuda_ctx = static_cast<CUcontext>(context);
  // codecflow's stream (Note [One stream per GPU]): NVDEC's copies out of
  // its surfaces, FFmpeg's transfers and codecflow's kernels in one order,
  // off the legacy default stream. Set before init, which keeps it.
  cudaDevice->stream = static_cast<CUstream>(cuda::streamOf(index));
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
  bool found = false;
  return entries_.take(key, found);
}

size_t NvdecCache::estimateBytes(const AVCodecContext* codec) {
  // NVDEC's decode surfaces and FFmpeg's output frames: as many as the
  // frame pool's initial size (the DPB plus FFmpeg's margin), 20 (the most
  // H.264/HEVC ask for) when the context has no pool yet.
  int width = codec->coded_width > 0 ? codec->coded_width : codec->width;
  int height = codec->coded_height > 0 ? codec->coded_height : codec->height;
  int surfaces = 20;
  AVPixelFormat format = codec->sw_pix_fmt;
  if (codec->hw_frames_ctx != nullptr) {
    const auto* frames = reinterpret_cast<const AVHWFramesContext*>(codec->hw_frames_ctx->data);
    width = frames->width;
    height = frames->height;
    format = frames->sw_format;
    if (frames->initial_pool_size > 0) {
      surfaces = frames->initial_pool_size;
    }
  }
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  int depth = desc != nullptr ? desc->comp[0].depth : codec->bits_per_raw_sample;
  return nvdecSurfaceBytes(width, height, depth, surfaces);
}

void NvdecCache::put(const std::string& key, UniqueAVCodecContext codec) {
  size_t bytes = estimateBytes(codec.get());
  std::vector<UniqueAVCodecContext> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // The GPU whose device context the codec context decodes on.
    int device = 0;
    for (const auto& [index, ref] : devices_) {
      if (codec->hw_device_ctx != nullptr && ref->data == codec->hw_device_ctx->data) {
        device = index;
      }
    }
    evicted = entries_.put(key, device, bytes, std::move(codec));
  }
  // Destroyed here, outside the lock: freeing surfaces synchronizes the GPU.
}

size_t NvdecCache::capacity() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.capacity();
}

void NvdecCache::setCapacity(size_t capacity) {
  std::vector<UniqueAVCodecContext> evicted;
  std::lock_guard<std::mutex> lock(mutex_);
  evicted = entries_.setLimits(capacity, entries_.bytesPerDevice());
}

size_t NvdecCache::byteLimit() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.bytesPerDevice();
}

void NvdecCache::setByteLimit(size_t bytes) {
  std::vector<UniqueAVCodecContext> evicted;
  std::lock_guard<std::mutex> lock(mutex_);
  evicted = entries_.setLimits(entries_.capacity(), bytes);
}

size_t NvdecCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

size_t NvdecCache::bytes(int index) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.bytes(index);
}

}  // namespace codecflow
