// Makes a CUDA device's primary context the calling thread's current one
// for a scope and restores exactly what was current before, nothing
// included (a driver-level push and pop): a thread that had no context
// gets none left behind, so no context is ever created on GPU 0 for a
// process that uses only cuda:N (cudaSetDevice would create one there since
// CUDA 12), and torch's notion of the current device is untouched. The one
// guard of the CUDA backend: sinks, encoder inputs and the NV12 conversion
// all take it before touching device memory.
//
// Thread safety: per thread, as the driver's current context is.
#pragma once

#include <string>

#include "device/cuda/CudaRuntime.h"

namespace codecflow::cuda {

class DeviceGuard {
 public:
  explicit DeviceGuard(int index) {
    std::string error;
    void* wanted = primaryContext(index, error);
    void* current = nullptr;
    // Without a driver nothing is pushed: the CUDA call that follows fails
    // and names why.
    if (wanted != nullptr && currentContext(&current) == 0 && current != wanted) {
      pushed_ = pushContext(wanted) == 0;
    }
  }
  ~DeviceGuard() {
    if (pushed_) {
      popContext();
    }
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  bool pushed_ = false;
};

}  // namespace codecflow::cuda
