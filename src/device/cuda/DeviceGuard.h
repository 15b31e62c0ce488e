// Makes a CUDA device the calling thread's current one for a scope and
// restores the previous one (torch keeps its own notion of it there). The
// one guard of the CUDA backend: sinks, encoder inputs and the NV12
// conversion all take it before touching device memory.
//
// Thread safety: per thread, as the CUDA runtime's current device is.
#pragma once

#include "device/cuda/CudaRuntime.h"

namespace codecflow::cuda {

class DeviceGuard {
 public:
  explicit DeviceGuard(int index) {
    int current = -1;
    if (currentDevice(current) == 0 && current != index) {
      previous_ = current;
      setDevice(index);
    }
  }
  ~DeviceGuard() {
    if (previous_ >= 0) {
      setDevice(previous_);
    }
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;  // -1: nothing to restore
};

}  // namespace codecflow::cuda
