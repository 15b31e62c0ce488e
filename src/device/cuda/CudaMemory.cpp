#include "device/cuda/CudaMemory.h"

#include "codecflow/Cuda.h"
#include "codecflow/DeviceAllocator.h"
#include "codecflow/Error.h"
#include "device/cuda/CudaRuntime.h"
#include "device/cuda/DeviceGuard.h"

namespace codecflow::cuda {

namespace {

// cudaMallocAsync / cudaFreeAsync on codecflow's stream: freeing never
// synchronizes the device, and memory freed goes back to the pool for the
// next batch in stream order.
class StreamOrderedAllocator final : public DeviceAllocator {
 public:
  void* allocate(size_t bytes, int device, void* stream) override {
    DeviceGuard guard(device);
    void* pointer = nullptr;
    int rc = allocateAsync(&pointer, bytes, stream);
    if (rc != 0) {
      fail(ErrorKind::Runtime, "allocating " + std::to_string(bytes) + " bytes on cuda:" +
                                   std::to_string(device) + " failed: " + errorText(rc));
    }
    return pointer;
  }
  void release(void* pointer, int device, void* stream) noexcept override {
    if (forkedAfterCudaUse()) {
      return;  // the parent's memory: not ours to free
    }
    DeviceGuard guard(device);
    releaseAsync(pointer, stream);
  }
};

}  // namespace

void* streamOf(int index) {
  void* s = nullptr;
  int rc = stream(index, &s);
  if (rc != 0) {
    fail(ErrorKind::Runtime, "creating codecflow's CUDA stream on cuda:" +
                                 std::to_string(index) + " failed: " + errorText(rc) + " (" +
                                 versions() + ")");
  }
  return s;
}

std::shared_ptr<void> outputMemory(size_t bytes, int index) {
  static const auto* fallback =
      new std::shared_ptr<DeviceAllocator>(std::make_shared<StreamOrderedAllocator>());
  return allocateDeviceMemory(bytes, index, streamOf(index), *fallback);
}

}  // namespace codecflow::cuda
