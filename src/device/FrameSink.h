// Where decoded frames go: the output batch on one device. The decoder
// finds frames; a sink turns each into its slot of the batch.
//
//   CpuFrameSink   swscale + FramePipeline (rotation, transforms, dtype)
//   CudaFrameSink  NVDEC frames -> colour kernel -> CUDA batch; frames the
//                  GPU could not decode, and transformed ones, go through a
//                  CpuFrameSink it owns and are uploaded (CudaFramePipeline.h)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "VideoStreamDecoder.h"
#include "codecflow/Tensor.h"
#include "codecflow/VideoDecoder.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class FrameSink {
 public:
  virtual ~FrameSink() = default;

  virtual int outputHeight() const = 0;
  virtual int outputWidth() const = 0;

  // A batch of `count` output frames (count, H, W, 3) on the sink's device.
  virtual Tensor allocate(int64_t count) = 0;
  // Writes one decoded frame into `slot`, the start of its place in a batch
  // from allocate() (a device pointer for device batches).
  virtual void write(const AVFrame* frame, uint8_t* slot) = 0;
  // Copies a written slot to another one (a repeated index).
  virtual void copySlot(uint8_t* dst, const uint8_t* src, int64_t bytes) = 0;
  // Called when every slot of a batch was written, before it is returned.
  virtual void finish() {}

  // How the decoder opens its codec context; nullptr: the plain way.
  virtual std::shared_ptr<CodecOpener> codecOpener() { return nullptr; }
  // Whether frames were decoded on the CPU although a GPU was asked for,
  // and why (known once a frame was written).
  virtual CpuFallback cpuFallback() const {
    return {true, false, "no fallback: decoding on the CPU was asked for"};
  }
};

// The CPU sink (swscale and FramePipeline); CUDA's sink delegates to one.
std::unique_ptr<FrameSink> makeCpuFrameSink(const VideoDecoderOptions& options, bool floatOutput,
                                            int width, int height,
                                            std::optional<double> rotation);

// The sink for options.device. `floatOutput` asks for float32 frames,
// `width`/`height` are the coded frame size, `rotation` the stream's display
// rotation. Throws Runtime for a CUDA device in a build without CUDA.
std::unique_ptr<FrameSink> makeFrameSink(const VideoDecoderOptions& options, bool floatOutput,
                                         const AVStream* stream, int width, int height,
                                         std::optional<double> rotation);

}  // namespace codecflow
