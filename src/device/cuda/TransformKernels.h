// Launchers of the CUDA transform kernels (rotation, crop, resize, fused
// with the colour conversion; Note [GPU transform arithmetic] in
// convert/TransformMath.h). The interface holds no CUDA types; errors come
// back as the CUDA error code (0 = success).
//
// Each kernel runs TransformMath.h's per-pixel code, the code the CPU
// reference (convert/TransformPlan.h) runs in loops, so the reference's
// tests on any machine check the GPU's arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>

#include "convert/TransformPlan.h"

namespace codecflow::cuda {

// Device memory the kernels work in between passes (float rows of a
// resize, the images between resizes), grown on demand and reused across
// frames; allocated and freed in the order of `stream` (codecflow's stream
// of the GPU: cudaMallocAsync / cudaFreeAsync, never a device-wide wait).
// Belongs to one sink; not thread-safe.
class TransformScratch {
 public:
  explicit TransformScratch(void* stream) : stream_(stream) {}
  TransformScratch(const TransformScratch&) = delete;
  TransformScratch& operator=(const TransformScratch&) = delete;
  ~TransformScratch();

  // Makes room for `plan`; returns the CUDA error code.
  int reserve(const TransformPlan& plan);
  float* rows() const { return static_cast<float*>(rows_); }
  void* image(int i) const { return images_[i]; }

 private:
  void* stream_;
  void* rows_ = nullptr;
  size_t rowsBytes_ = 0;
  void* images_[2] = {nullptr, nullptr};
  size_t imageBytes_ = 0;
};

// Runs `plan` on one frame (planes in device memory) into `out` (device
// memory: the frame's slot of the batch, packed RGB uint8 or float32 as
// the plan says, rows `outPitch` bytes apart), on `stream` (the one the
// scratch memory is ordered on).
int launchTransform(const TransformPlan& plan, const color::YuvPlanes& planes,
                    const YuvToRgb& coefficients, void* out, int64_t outPitch,
                    TransformScratch& scratch, void* stream);

}  // namespace codecflow::cuda
