// The CUDA backend: NVDEC decoding through FFmpeg's CUDA hwaccel (HwAccel.h
// with AV_HWDEVICE_TYPE_CUDA, contexts kept in the NVDEC cache), the colour
// kernel into CUDA batches (CudaFrameSink.h), and NVENC encoding from CUDA
// RGB tensors converted by the kernel into hardware frames
// (CudaEncoderInput.h).
#pragma once

#include "device/DeviceBackend.h"

namespace codecflow {

class CudaBackend final : public DeviceBackend {
 public:
  std::string name() const override { return "cuda"; }
  void checkDevice(int index) const override;
  std::shared_ptr<CodecOpener> decoderOpener(int index, const AVStream* stream) override;
  std::unique_ptr<FrameSink> makeSink(const SinkSpec& spec) override;
  const AVCodec* hardwareEncoder(AVCodecID codec) const override;
  std::unique_ptr<EncoderInput> encoderInput(int index, AVCodecContext* context) override;
};

}  // namespace codecflow
