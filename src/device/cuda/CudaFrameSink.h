// Decoding on a CUDA device: FFmpeg's CUDA hwaccel (NVDEC) decodes into
// CUDA frames (NV12, or P010/P016 for deeper video) and codecflow's colour
// kernel converts them straight into their slot of a CUDA batch.
//
// Note [CUDA fallbacks]
// The CUDA sink delegates to a CPU sink rather than copying its logic:
//  - a codec, profile or size the GPU's NVDEC cannot decode (FFmpeg then
//    decodes in software): the CPU sink converts, the frame is uploaded,
//    and cpuFallback() says so;
//  - rotation and transforms (resize, crop) and CUDA frames of other
//    layouts (4:4:4): the frame is downloaded, converted by the CPU sink
//    and uploaded; decoding still ran on NVDEC, so that is no fallback.
// Kernels and copies run on the legacy default stream, the one FFmpeg's
// NVDEC copies use, and each batch is synchronized before it is returned,
// so torch may use it on any stream.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "device/FrameSink.h"

namespace codecflow {

class CudaCodecOpener;

class CudaFrameSink final : public FrameSink {
 public:
  CudaFrameSink(const VideoDecoderOptions& options, bool floatOutput, const AVStream* stream,
                int width, int height, std::optional<double> rotation);
  ~CudaFrameSink() override;

  int outputHeight() const override { return cpu_->outputHeight(); }
  int outputWidth() const override { return cpu_->outputWidth(); }
  Tensor allocate(int64_t count) override;
  void write(const AVFrame* frame, uint8_t* slot) override;
  void copySlot(uint8_t* dst, const uint8_t* src, int64_t bytes) override;
  void finish() override;
  std::shared_ptr<CodecOpener> codecOpener() override;
  CpuFallback cpuFallback() const override { return fallback_; }

 private:
  void writeThroughCpu(const AVFrame* frame, uint8_t* slot);
  void check(int rc, const char* what) const;

  int device_;
  bool direct_;
  bool floatOutput_;
  std::string codecName_;
  std::unique_ptr<FrameSink> cpu_;
  std::shared_ptr<CudaCodecOpener> opener_;
  Tensor staging_;
  UniqueAVFrame downloaded_;
  CpuFallback fallback_;
};

}  // namespace codecflow
