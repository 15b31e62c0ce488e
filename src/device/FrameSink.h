// Where decoded frames go: the output batch on one device. The decoder
// finds frames; a sink turns each into its slot of the batch. Sinks are
// made by the output device's backend (DeviceBackend.h):
//
//   cpu/   swscale + FramePipeline (rotation, transforms, dtype)
//   cuda/  CUDA frames -> colour and transform kernels -> CUDA batch;
//          software frames through a CPU sink it owns, then uploaded
//
// makeFrameSink puts the decode device's codec opener and the output
// device's sink together, downloads hardware frames that the output sink
// does not take (decoded on a GPU, returned on the CPU), and tracks
// whether decoding fell back to the CPU.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "codecflow/Tensor.h"
#include "codecflow/VideoDecoder.h"
#include "device/CodecOpener.h"
#include "device/DeviceBackend.h"
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
  // Called after allocate(), before any write, when several decoding
  // contexts write the batch at once (Note [GOP-parallel batches]): their
  // workers use the thread limit already, so until the next allocate() the
  // sink writes on the calling thread and keeps no thread of its own, as a
  // sink made with SinkSpec::mayPipeline false does.
  virtual void writeOnCallingThread() {}
  // Whether write() takes hardware frames of this device type as they are
  // (others are downloaded to software frames first).
  virtual bool takesHardwareFrames(AVHWDeviceType type) const {
    (void)type;
    return false;
  }

  // How the decoder opens its codec context; nullptr: the plain way.
  virtual std::shared_ptr<CodecOpener> codecOpener() { return nullptr; }
  // Whether frames were decoded on the CPU although a hardware decode
  // device was asked for, and why (known once a frame was written).
  virtual CpuFallback cpuFallback() const {
    return {true, false, "no fallback: decoding on the CPU was asked for"};
  }
};

// The sink for options.device (where returned) whose decoder opens on
// options.decodeDevice (where decoded; none: the output device).
// `floatOutput` asks for float32 frames, `width`/`height` are the coded
// frame size, `rotation` the stream's display rotation. Throws Runtime for
// a device kind this build has no backend for, InvalidArgument for a
// device index that does not exist.
std::unique_ptr<FrameSink> makeFrameSink(const VideoDecoderOptions& options, bool floatOutput,
                                         const AVStream* stream, int width, int height,
                                         std::optional<double> rotation,
                                         bool mayPipeline = true);

}  // namespace codecflow
