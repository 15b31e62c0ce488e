// The CPU backend: software decoding, swscale conversion into CPU batches
// (FramePipeline: rotation, transforms, dtype), and RGB tensors in host
// memory converted by swscale into an encoder's pixel format. Other
// backends reuse its sink and encoder input for what they do on the CPU.
#pragma once

#include <memory>

#include "device/DeviceBackend.h"
#include "device/FrameSink.h"

namespace codecflow {

class CpuBackend : public DeviceBackend {
 public:
  std::string name() const override { return "cpu"; }
  void checkDevice(int index) const override;
  std::shared_ptr<CodecOpener> decoderOpener(int index, const AVStream* stream) override;
  std::unique_ptr<FrameSink> makeSink(const SinkSpec& spec) override;
  std::unique_ptr<EncoderInput> encoderInput(int index, AVCodecContext* context) override;
};

// The CPU sink (swscale and FramePipeline) for spec (its device ignored).
std::unique_ptr<FrameSink> makeCpuFrameSink(const SinkSpec& spec);

// swscale from RGB (packed, planar) or NV12 host tensors into frames of
// `context`'s size and pixel format.
std::unique_ptr<EncoderInput> makeCpuEncoderInput(const AVCodecContext* context);

}  // namespace codecflow
