#include "device/FrameSink.h"

#include <cstring>

#include "ColorConverter.h"
#include "FramePipeline.h"
#include "codecflow/Error.h"

#ifdef CODECFLOW_HAS_CUDA
#include "device/cuda/CudaFrameSink.h"
#endif

namespace codecflow {

namespace {

class CpuFrameSink final : public FrameSink {
 public:
  CpuFrameSink(const VideoDecoderOptions& options, bool floatOutput, int width, int height,
               std::optional<double> rotation)
      : converter_(static_cast<int>(options.numThreads)),
        pipeline_(width, height, rotation, options.transforms, floatOutput) {}

  int outputHeight() const override { return pipeline_.outputHeight(); }
  int outputWidth() const override { return pipeline_.outputWidth(); }
  Tensor allocate(int64_t count) override { return pipeline_.allocate(count); }
  void write(const AVFrame* frame, uint8_t* slot) override {
    pipeline_.write(frame, converter_, slot);
  }
  void copySlot(uint8_t* dst, const uint8_t* src, int64_t bytes) override {
    std::memcpy(dst, src, static_cast<size_t>(bytes));
  }

 private:
  ColorConverter converter_;
  FramePipeline pipeline_;
};

}  // namespace

std::unique_ptr<FrameSink> makeCpuFrameSink(const VideoDecoderOptions& options, bool floatOutput,
                                            int width, int height,
                                            std::optional<double> rotation) {
  return std::make_unique<CpuFrameSink>(options, floatOutput, width, height, rotation);
}

std::unique_ptr<FrameSink> makeFrameSink(const VideoDecoderOptions& options, bool floatOutput,
                                         const AVStream* stream, int width, int height,
                                         std::optional<double> rotation) {
  if (options.device.isCpu()) {
    return makeCpuFrameSink(options, floatOutput, width, height, rotation);
  }
#ifdef CODECFLOW_HAS_CUDA
  return std::make_unique<CudaFrameSink>(options, floatOutput, stream, width, height, rotation);
#else
  (void)stream;
  fail(ErrorKind::Runtime, "device cuda:" + std::to_string(options.device.index) +
                               " was asked for, but this codecflow build has no CUDA support "
                               "(it was compiled without nvcc/the CUDA toolkit)");
#endif
}

}  // namespace codecflow
