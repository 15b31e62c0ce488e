// Decoded frames into CUDA batches: CUDA frames (NV12, or P010/P016 for
// deeper video) go through codecflow's colour kernel straight into their
// slot of the batch.
//
// Note [CUDA sink and the CPU]
// The CUDA sink delegates software frames (a codec, profile or size NVDEC
// cannot decode, or decoding on the CPU asked for) to a CPU sink rather
// than copying its logic: the CPU sink converts, the frame is uploaded.
// CUDA frames never leave the GPU: every matrix swscale knows, any crop
// libavcodec leaves (odd ones included), rotation and transforms (resize,
// crop) and the 4:4:4 layouts run as CUDA kernels (Note [GPU transforms]
// in CudaFrameSink.cpp); a layout without a kernel is an Unsupported
// error.
// Kernels and copies run on codecflow's stream of the GPU, the one FFmpeg's
// NVDEC copies use (Note [One stream per GPU] in CudaRuntime.h); a batch is
// returned without a host wait, and its consumer's stream waits for an
// event of that stream (the DLPack export does it).
#pragma once

#include <memory>

#include "convert/TransformPlan.h"
#include "device/DeviceBackend.h"
#include "device/FrameSink.h"

namespace codecflow {

namespace cuda {
class TransformScratch;
}

class CudaFrameSink final : public FrameSink {
 public:
  explicit CudaFrameSink(const SinkSpec& spec);
  ~CudaFrameSink() override;

  int outputHeight() const override { return cpu_->outputHeight(); }
  int outputWidth() const override { return cpu_->outputWidth(); }
  Tensor allocate(int64_t count) override;
  void write(const AVFrame* frame, uint8_t* slot) override;
  void copySlot(uint8_t* dst, const uint8_t* src, int64_t bytes) override;
  void finish() override;
  bool takesHardwareFrames(AVHWDeviceType type) const override;

 private:
  void writeThroughCpu(const AVFrame* frame, uint8_t* slot);
  // GPU transforms: false for a layout without a kernel.
  static TransformPlan planFor(const SinkSpec& spec);
  bool writeTransformed(const AVFrame* frame, int layout, uint8_t* slot);
  void check(int rc, const char* what) const;

  int device_;
  bool direct_;
  bool floatOutput_;
  std::unique_ptr<FrameSink> cpu_;
  Tensor staging_;
  void* stream_;  // codecflow's stream of the GPU
  TransformPlan plan_;
  std::unique_ptr<cuda::TransformScratch> scratch_;
};

}  // namespace codecflow
