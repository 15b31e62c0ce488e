// Where the device memory of CUDA output batches comes from. The Python
// layer installs torch's caching allocator here when torch is there, so
// that torch sees and reuses the memory and out-of-memory is torch's own
// error; without one installed the CUDA backend allocates stream-ordered
// (cudaMallocAsync / cudaFreeAsync on codecflow's stream), never with a
// device-wide synchronizing cudaFree. The core knows nothing of torch.
//
// Thread safety: every function may be called from any thread; an
// allocator's methods are called from any thread, concurrently.
#pragma once

#include <cstddef>
#include <memory>

namespace codecflow {

class DeviceAllocator {
 public:
  virtual ~DeviceAllocator() = default;
  // `bytes` (> 0) of memory on GPU `device`, used in the order of `stream`
  // (a cudaStream_t of that GPU). Throws on failure: the allocator's own
  // exception reaches the caller unchanged.
  virtual void* allocate(size_t bytes, int device, void* stream) = 0;
  // Gives `pointer` back; its last use is queued on `stream` before this.
  virtual void release(void* pointer, int device, void* stream) noexcept = 0;
};

// Installs `allocator` for every later allocation; nullptr goes back to
// the backend's own. Memory handed out before goes back to the allocator
// that gave it.
void setDeviceAllocator(std::shared_ptr<DeviceAllocator> allocator);
std::shared_ptr<DeviceAllocator> installedDeviceAllocator();

// `bytes` on GPU `device` from the installed allocator, else from
// `fallback` (Runtime error when both are missing); the owner gives the
// memory back, on `stream`, to the allocator that gave it.
std::shared_ptr<void> allocateDeviceMemory(size_t bytes, int device, void* stream,
                                           const std::shared_ptr<DeviceAllocator>& fallback);

}  // namespace codecflow
