// The device layer: one backend per device kind, found in a registry.
//
// A backend does four things for the decoders and encoders, which know
// nothing else about devices:
//  - decoderOpener: how a decoder context is opened for decoding on the
//    device (FFmpeg hwaccel through HwAccel.h, or software);
//  - makeSink: turns decoded frames into output tensors on the device;
//  - encoderInput: turns input tensors on the device into the frames an
//    encoder takes (hardware frames for a hardware encoder);
//  - hardwareEncoder: the device's encoder for a codec (NVENC on CUDA).
// "Where decoded" and "where returned" are separate settings
// (VideoDecoderOptions::decodeDevice and ::device): the decode device's
// backend opens the decoder, the output device's backend makes the sink,
// and frames cross between them through FrameSink.h's routing.
//
// Note [Adding a backend]
// A backend is a folder under src/device/ with a DeviceBackend subclass
// and one line in DeviceRegistry.cpp's table (or one registerDeviceBackend
// call, as the test-only backend of tests/cpp does). Backends include only
// this interface, device/, convert/, tensor and ffmpeg headers: never the
// decoders or encoders.
//
// Thread safety: backends are shared by every decoder and encoder and must
// be safe to call from any thread; what they make (sinks, openers, inputs)
// belongs to one decoder or encoder.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codecflow/Encoder.h"
#include "codecflow/Tensor.h"
#include "codecflow/VideoDecoder.h"
#include "device/CodecOpener.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class FrameSink;

// What a sink produces: frames of `width` x `height` (the coded size),
// rotated by `rotation` and transformed, as uint8 or float32 RGB.
struct SinkSpec {
  Device device;
  bool floatOutput = false;
  int width = 0;
  int height = 0;
  std::optional<double> rotation;
  std::vector<TransformStep> transforms;
  int numThreads = 1;
  // Whether the sink may start threads of its own (a conversion thread
  // beside decoding, Note [Conversion pipeline], and swscale's slices);
  // false for the extra decoding contexts of a GOP-parallel batch, whose
  // workers already use the thread limit.
  bool mayPipeline = true;
};

// Turns frame `i` of a frames tensor on the backend's device into `frame`
// for the encoder it was made for (reallocating `frame` unless it can be
// reused). The encoder checked the tensor's shape, dtype and device first.
class EncoderInput {
 public:
  virtual ~EncoderInput() = default;
  virtual void convert(const Tensor& frames, FrameLayout layout, int64_t i,
                       UniqueAVFrame& frame) = 0;
};

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;

  // "cpu", "cuda", ...: how messages name the device kind.
  virtual std::string name() const = 0;
  // Throws InvalidArgument when device `index` does not exist, Runtime when
  // the device kind is unusable here (no driver, a build without it).
  virtual void checkDevice(int index) const = 0;

  // How decoders of `stream` open their contexts on device `index`.
  virtual std::shared_ptr<CodecOpener> decoderOpener(int index, const AVStream* stream) = 0;
  // The sink of decoded frames for spec.device (of this backend's kind).
  // Frames may come from any decode device: hardware frames of another
  // kind are downloaded first (FrameSink.h).
  virtual std::unique_ptr<FrameSink> makeSink(const SinkSpec& spec) = 0;

  // This device's encoder for `codec`, or nullptr when it has none (the
  // encoder may still fail to open: no engine on this GPU, no driver).
  virtual const AVCodec* hardwareEncoder(AVCodecID codec) const {
    (void)codec;
    return nullptr;
  }
  // Sets up `context` (codec, size and pixel format chosen, not opened) to
  // take frames from device `index` and returns what converts them. For a
  // hardware encoder of this device that means hardware frames
  // (hw_frames_ctx); for any other encoder, frames in its pixel format in
  // host memory. Throws InvalidArgument for a pixel format the backend
  // cannot produce for that encoder.
  virtual std::unique_ptr<EncoderInput> encoderInput(int index, AVCodecContext* context) = 0;
};

using DeviceBackendFactory = std::function<std::unique_ptr<DeviceBackend>()>;

// Adds (or, before its first use, replaces) the backend of a device kind;
// returns true so that a namespace-scope `const bool` can register one in a
// single line. Kinds beyond Device::Kind's named values are allowed (the
// test-only backend). Throws Runtime for a kind whose backend is in use.
bool registerDeviceBackend(Device::Kind kind, DeviceBackendFactory factory);

// The backend of a device kind, created on first use. Throws Runtime when
// no backend is registered for it (CUDA in a build without CUDA says so).
DeviceBackend& deviceBackend(Device::Kind kind);

// Which encoders a video stream tries, in order (Note [Hardware encoders]
// in DeviceBackend.cpp): `first`, then `fallback` when `first` does not
// open. `requested` is the codec option ("" / a codec / an encoder name),
// `resolved` what it names on the CPU (findEncoder's answer).
struct EncoderChoice {
  const AVCodec* first = nullptr;
  const AVCodec* fallback = nullptr;  // nullptr: `first` must open
  bool explicitHardware = false;      // a hardware encoder was named
};
EncoderChoice chooseVideoEncoder(const std::string& requested, const AVCodec* resolved,
                                 Device device);

// Whether `codec` is a hardware encoder (FFmpeg's AV_CODEC_CAP_HARDWARE or
// a hardware configuration), which is never replaced by another.
bool isHardwareEncoder(const AVCodec* codec);

}  // namespace codecflow
