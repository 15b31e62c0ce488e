#include "codecflow/Cuda.h"

#include <atomic>

#include "convert/YuvRgb.h"
#include "codecflow/Error.h"

#ifdef CODECFLOW_HAS_CUDA
#include "device/cuda/NvdecCache.h"
#include "device/cuda/ColorKernels.h"
#include "device/cuda/CudaMemory.h"
#include "device/cuda/CudaRuntime.h"
#include "device/cuda/DeviceGuard.h"
#endif

namespace codecflow {

bool builtWithCuda() {
#ifdef CODECFLOW_HAS_CUDA
  return true;
#else
  return false;
#endif
}

std::string cudaVersions() {
#ifdef CODECFLOW_HAS_CUDA
  return cuda::versions();
#else
  return "no CUDA runtime in this build";
#endif
}

int64_t cudaDeviceToHostCopies() {
#ifdef CODECFLOW_HAS_CUDA
  return cuda::deviceToHostCopies();
#else
  return 0;
#endif
}

bool cudaForkedChild() {
#ifdef CODECFLOW_HAS_CUDA
  return cuda::forkedAfterCudaUse();
#else
  return false;
#endif
}

int cudaDeviceCount() {
#ifdef CODECFLOW_HAS_CUDA
  if (cuda::forkedAfterCudaUse()) {
    fail(ErrorKind::Runtime, kForkedCudaMessage);
  }
  int count = 0;
  int rc = cuda::deviceCount(count);
  if (rc != 0) {
    fail(ErrorKind::Runtime,
         "CUDA is unavailable on this machine: cudaGetDeviceCount failed with " +
             cuda::errorText(rc) + " (is an NVIDIA driver installed and a GPU visible? " +
             cuda::versions() + ")");
  }
  return count;
#else
  fail(ErrorKind::Runtime,
       "this codecflow build has no CUDA support (it was compiled without nvcc/the CUDA "
       "toolkit)");
#endif
}

namespace {
size_t checkedCapacity(int64_t capacity) {
  if (capacity < 0) {
    fail(ErrorKind::InvalidArgument,
         "the NVDEC cache capacity must be 0 or more, got " + std::to_string(capacity));
  }
  return static_cast<size_t>(capacity);
}
size_t checkedBytes(int64_t bytes) {
  if (bytes < 0) {
    fail(ErrorKind::InvalidArgument,
         "the NVDEC cache byte limit must be 0 or more, got " + std::to_string(bytes));
  }
  return static_cast<size_t>(bytes);
}
}  // namespace

#ifdef CODECFLOW_HAS_CUDA
size_t nvdecCacheCapacity() { return NvdecCache::instance().capacity(); }
void setNvdecCacheCapacity(int64_t capacity) {
  NvdecCache::instance().setCapacity(checkedCapacity(capacity));
}
size_t nvdecCacheSize() { return NvdecCache::instance().size(); }
size_t nvdecCacheByteLimit() { return NvdecCache::instance().byteLimit(); }
void setNvdecCacheByteLimit(int64_t bytes) {
  NvdecCache::instance().setByteLimit(checkedBytes(bytes));
}
size_t nvdecCacheBytes(int index) { return NvdecCache::instance().bytes(index); }
#else
namespace {
// Without CUDA nothing is cached; the setting is kept so that the Python API
// behaves the same.
std::atomic<size_t> gCapacity{kDefaultNvdecCacheCapacity};
}  // namespace
size_t nvdecCacheCapacity() { return gCapacity.load(); }
void setNvdecCacheCapacity(int64_t capacity) { gCapacity.store(checkedCapacity(capacity)); }
size_t nvdecCacheSize() { return 0; }
namespace {
std::atomic<size_t> gByteLimit{kDefaultNvdecCacheBytes};
}  // namespace
size_t nvdecCacheByteLimit() { return gByteLimit.load(); }
void setNvdecCacheByteLimit(int64_t bytes) { gByteLimit.store(checkedBytes(bytes)); }
size_t nvdecCacheBytes(int) { return 0; }
#endif

#ifdef CODECFLOW_HAS_CUDA
namespace {
void* streamHandle(int64_t number) {
  if (number == 1 || number == -1) {
    return cuda::legacyStream();
  }
  if (number == 2) {
    return cuda::perThreadStream();
  }
  return reinterpret_cast<void*>(static_cast<intptr_t>(number));
}
}  // namespace

void cudaHandOver(int device, int64_t consumer) {
  if (consumer == 0) {
    fail(ErrorKind::InvalidArgument,
         "stream 0 is ambiguous for CUDA in DLPack: pass 1 for the legacy default stream, "
         "2 for the per-thread default stream or a stream handle");
  }
  if (consumer == -1) {
    return;
  }
  if (cuda::forkedAfterCudaUse()) {
    fail(ErrorKind::Runtime, kForkedCudaMessage);
  }
  cuda::DeviceGuard guard(device);
  int rc = cuda::streamWait(streamHandle(consumer), cuda::streamOf(device));
  if (rc != 0) {
    fail(ErrorKind::Runtime, "handing a CUDA tensor over to stream " + std::to_string(consumer) +
                                 " on cuda:" + std::to_string(device) +
                                 " failed: " + cuda::errorText(rc));
  }
}

void cudaTakeBack(int device, int64_t consumer) noexcept {
  if (cuda::forkedAfterCudaUse()) {
    return;
  }
  try {
    cuda::DeviceGuard guard(device);
    void* ours = nullptr;
    if (cuda::stream(device, &ours) == 0) {
      cuda::streamWait(ours, streamHandle(consumer == 0 ? 1 : consumer));
    }
  } catch (...) {
    // The order stays as it was; nothing else to do from a deleter.
  }
}

int64_t cudaStream(int device) {
  if (cuda::forkedAfterCudaUse()) {
    fail(ErrorKind::Runtime, kForkedCudaMessage);
  }
  return static_cast<int64_t>(reinterpret_cast<intptr_t>(cuda::streamOf(device)));
}
#else
void cudaHandOver(int, int64_t consumer) {
  if (consumer == 0) {
    fail(ErrorKind::InvalidArgument,
         "stream 0 is ambiguous for CUDA in DLPack: pass 1 for the legacy default stream, "
         "2 for the per-thread default stream or a stream handle");
  }
  fail(ErrorKind::Runtime, "this codecflow build has no CUDA support (it was compiled without "
                           "nvcc/the CUDA toolkit)");
}
void cudaTakeBack(int, int64_t) noexcept {}
int64_t cudaStream(int) {
  fail(ErrorKind::Runtime, "this codecflow build has no CUDA support (it was compiled without "
                           "nvcc/the CUDA toolkit)");
}
#endif

Tensor rgbToNv12(const Tensor& rgb, YuvMatrix matrix, bool fullRange) {
  if (rgb.dtype() != DType::UInt8 || rgb.dim() != 3 || rgb.size(2) != 3 ||
      rgb.strides()[2] != 1 || rgb.strides()[1] != 3) {
    fail(ErrorKind::InvalidArgument,
         "rgbToNv12 needs a packed (H, W, 3) uint8 tensor (pixels 3 bytes apart), got a " +
             std::to_string(rgb.dim()) + "-D " + dtypeName(rgb.dtype()) + " tensor");
  }
  int64_t height = rgb.size(0);
  int64_t width = rgb.size(1);
  if (height % 2 != 0 || width % 2 != 0 || height == 0 || width == 0) {
    fail(ErrorKind::InvalidArgument, "NV12 needs an even, non-zero width and height, got " +
                                         std::to_string(width) + "x" + std::to_string(height));
  }
  int64_t rowPitch = rgb.strides()[0];
  std::vector<int64_t> shape{height * 3 / 2, width};
  auto w = static_cast<int>(width);
  auto h = static_cast<int>(height);
  if (rgb.device().isCpu()) {
    Tensor out = Tensor::empty(shape, DType::UInt8);
    auto* base = out.dataAs<uint8_t>();
    rgbToNv12Reference({rgb.dataAs<uint8_t>(), rowPitch, 3, 1}, w, h, matrix, fullRange,
                       {base, width, base + height * width, width, false});
    return out;
  }
#ifdef CODECFLOW_HAS_CUDA
  if (cuda::forkedAfterCudaUse()) {
    fail(ErrorKind::Runtime, kForkedCudaMessage);
  }
  int index = rgb.device().index;
  cuda::DeviceGuard guard(index);
  // Ready in the order of codecflow's stream (the DLPack export hands it
  // over with an event); the input's producer was made to wait ahead.
  std::shared_ptr<void> owner =
      cuda::outputMemory(static_cast<size_t>(height * 3 / 2 * width), index);
  auto* base = static_cast<uint8_t*>(owner.get());
  int rc = cuda::launchRgbToNv12({rgb.dataAs<uint8_t>(), rowPitch, 3, 1}, w, h,
                                 color::kRgbToYuv[color::tableIndex(matrix, fullRange)],
                                 {base, width, base + height * width, width, false},
                                 cuda::streamOf(index));
  if (rc != 0) {
    fail(ErrorKind::Runtime, "RGB to NV12 conversion on cuda:" + std::to_string(index) +
                                 " failed: " + cuda::errorText(rc) + " (" + cuda::versions() +
                                 ")");
  }
  return Tensor::fromBlob(base, shape, {}, DType::UInt8, rgb.device(), std::move(owner));
#else
  fail(ErrorKind::Runtime, "a CUDA tensor was given, but this codecflow build has no CUDA "
                           "support (it was compiled without nvcc/the CUDA toolkit)");
#endif
}

}  // namespace codecflow
