#include "codecflow/DeviceAllocator.h"

#include <mutex>
#include <utility>

#include "codecflow/Error.h"

namespace codecflow {

namespace {

struct Installed {
  std::mutex mutex;
  std::shared_ptr<DeviceAllocator> allocator;
};

Installed& installed() {
  static auto* state = new Installed();  // leaked: owners may outlive statics
  return *state;
}

}  // namespace

void setDeviceAllocator(std::shared_ptr<DeviceAllocator> allocator) {
  std::shared_ptr<DeviceAllocator> previous;
  std::lock_guard<std::mutex> lock(installed().mutex);
  previous = std::exchange(installed().allocator, std::move(allocator));
}

std::shared_ptr<DeviceAllocator> installedDeviceAllocator() {
  std::lock_guard<std::mutex> lock(installed().mutex);
  return installed().allocator;
}

std::shared_ptr<void> allocateDeviceMemory(size_t bytes, int device, void* stream,
                                           const std::shared_ptr<DeviceAllocator>& fallback) {
  std::shared_ptr<DeviceAllocator> allocator = installedDeviceAllocator();
  if (!allocator) {
    allocator = fallback;
  }
  if (!allocator) {
    fail(ErrorKind::Runtime, "no allocator of device memory for cuda:" +
                                 std::to_string(device) + " (this build has no CUDA runtime)");
  }
  void* pointer = allocator->allocate(bytes > 0 ? bytes : 1, device, stream);
  try {
    return std::shared_ptr<void>(pointer, [allocator, device, stream](void* p) {
      allocator->release(p, device, stream);
    });
  } catch (...) {
    allocator->release(pointer, device, stream);
    throw;
  }
}

}  // namespace codecflow
