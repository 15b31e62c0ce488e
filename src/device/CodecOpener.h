// How a device makes and takes back decoder contexts. The decoders call it;
// the device backends (DeviceBackend.h) implement it: the CPU backend opens
// plain contexts, a hardware backend attaches its device (HwAccel.h) and may
// keep opened contexts for reuse (the CUDA backend's NVDEC cache).
#pragma once

#include <string>

#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class CodecOpener {
 public:
  virtual ~CodecOpener() = default;
  // A context already opened for this stream and thread count, or nullptr.
  virtual UniqueAVCodecContext reuse(const AVStream* stream, int numThreads) = 0;
  // The decoder to open, or nullptr for FFmpeg's default for the codec.
  virtual const AVCodec* decoder() const { return nullptr; }
  // Adjusts a new context before avcodec_open2.
  virtual void configure(AVCodecContext* codec) = 0;
  // Takes the (flushed) context back when the decoder goes away.
  virtual void release(const AVStream* stream, int numThreads, UniqueAVCodecContext codec) = 0;
  // Whether frames are meant to come from a hardware decoder (false for
  // software decoding, asked for or because no hwaccel exists for the codec).
  virtual bool hardware() const { return false; }
  // Why the codec has no hardware decoder here, when hardware() is false
  // although a hardware device was asked for.
  virtual std::string unavailableReason() const { return {}; }
  // Why the hardware decoder of a hardware() opener decodes in software
  // (FFmpeg's reason: a missing libnvcuvid, a profile, bit depth or size the
  // hardware lacks, no decode surfaces left), or "" while it has not
  // refused. Safe from any thread.
  virtual std::string hardwareRefusal() const { return {}; }
};

}  // namespace codecflow
