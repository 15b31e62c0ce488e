// A video stream: RGB frames (uint8 tensors) converted by their device's
// backend into the codec's frames (swscale on the CPU, a colour kernel into
// hardware frames for NVENC), timestamped, encoded.
//
// Note [Video time base]
// Frames get timestamps in a codec time base of 1/(K * frame rate): K
// ticks per frame, so that per-frame times (variable frame rate) keep
// sub-millisecond precision where the container stores timestamps (mp4,
// mov, mkv, webm, ...). K is 1000 (less where the time base's denominator
// would not fit in 32 bits). Containers that count frames instead (avi),
// and FFmpeg's MPEG-video encoders (mpeg4, flv, ...: their rate control
// spends bits by the time base, and the ffmpeg CLI gives them K = 1), get
// K = 1; per-frame times there are rounded to frames. libvpx and libaom
// take a frame's duration from ticks_per_frame, which is therefore K too.
#pragma once

#include <memory>
#include <vector>

#include "encode/StreamEncoder.h"
#include "codecflow/Encoder.h"
#include "codecflow/Tensor.h"
#include "codecflow/VideoDecoder.h"
#include "device/DeviceBackend.h"

namespace codecflow {

class VideoStreamEncoder : public StreamEncoder {
 public:
  // Picks the codec and pixel format, sets and checks every option (those
  // of extraOptions the container knows on `muxer`) and opens the codec;
  // creates no output. Throws InvalidArgument.
  VideoStreamEncoder(const VideoStreamOptions& options, Muxer& muxer, int index);

  // Checks a frames tensor and per-frame options against this stream.
  // Throws InvalidArgument.
  void checkTimes(int64_t count, const std::vector<double>& ptsSeconds,
                  const std::vector<bool>& keyFrames) const;
  void check(const Tensor& frames, FrameLayout layout, const std::vector<double>& ptsSeconds,
             const std::vector<bool>& keyFrames) const;

  // Converts frame `i` of `frames` into `frame` (reallocated unless it is
  // writable and of this stream's format) and stamps it with the next
  // timestamp. Throws InvalidArgument for a timestamp that does not
  // increase.
  void convert(const Tensor& frames, FrameLayout layout, int64_t i, double ptsSeconds,
               bool keyFrame, UniqueAVFrame& frame);

  EncoderInfo info() const;

 private:
  int64_t nextPts(double ptsSeconds);
  // Sets the context up for `codec` and opens it, with the device's input.
  void open(const AVCodec* codec, Muxer& muxer);

  VideoStreamOptions options_;
  int index_;
  int64_t ticksPerFrame_ = 1;
  int64_t lastPts_ = AV_NOPTS_VALUE;
  std::unique_ptr<EncoderInput> input_;  // the frames' device's (device/DeviceBackend.h)
  CpuFallback fallback_;
};

}  // namespace codecflow
