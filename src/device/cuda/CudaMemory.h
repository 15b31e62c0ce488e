// codecflow's stream per GPU and the memory of CUDA output batches, with
// the errors the core raises for them.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <memory>

namespace codecflow::cuda {

// codecflow's stream of GPU `index` (Note [One stream per GPU] in
// CudaRuntime.h). Throws Runtime naming the CUDA error.
void* streamOf(int index);

// `bytes` of device memory on GPU `index`, used in the order of its
// stream: from the installed DeviceAllocator (torch's caching allocator
// from Python), else stream-ordered from the CUDA runtime's pool. Freed,
// stream-ordered too, when the last owner goes.
std::shared_ptr<void> outputMemory(size_t bytes, int index);

}  // namespace codecflow::cuda
