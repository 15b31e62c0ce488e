// Converts decoded audio frames to planar float32 at the output sample rate
// and channel layout, with libswresample.
//
// Note [Matching the ffmpeg CLI]
// `ffmpeg -i IN [-ar R] [-ac C] -f f32le -` converts with one swresample
// context that its filter graph (an auto-inserted aresample) configures with
// swresample's defaults: the input's layout (the default layout for its
// channel count when the decoder leaves it unspecified), the default layout
// of C channels when -ac is given, and a flush at the end of the stream.
// This class configures swresample the same way, so its output equals the
// CLI's bit for bit; planar versus packed output changes only the layout in
// memory, not one value.
#pragma once

#include <cstdint>

#include "tensor/SampleBuffer.h"
#include "ffmpeg/FFmpeg.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace codecflow {

// The most one sample rate of a conversion may exceed the other, either
// way. swresample's filter grows with the ratio (its taps times its
// phases): a file claiming 539 MHz converted to 48 kHz takes it over a
// minute and gigabytes to set up. 768 kHz to 3 kHz takes about a second.
inline constexpr int64_t kMaxResampleRatio = 256;

// Throws InvalidArgument unless both rates are > 0 and within
// kMaxResampleRatio of each other.
void checkResampleRatio(int inRate, int outRate);

class AudioResampler {
 public:
  // Input parameters come from `frame`; `outLayout` with zero channels
  // keeps the input's layout.
  AudioResampler(const AVFrame* frame, int outRate, const AVChannelLayout& outLayout);
  ~AudioResampler();
  AudioResampler(const AudioResampler&) = delete;
  AudioResampler& operator=(const AudioResampler&) = delete;

  // Whether `frame` has the format, rate and layout this converter was set
  // up for.
  bool accepts(const AVFrame* frame) const;

  // Converts samples [offset, nb_samples) of `frame`, appending the output
  // (possibly none yet, when resampling) to `out`, which must have
  // the output's channel count. Raises InvalidData for a frame this converter
  // cannot read safely (Note [Frames the converter reads]).
  void convert(const AVFrame* frame, int offset, SampleBuffer& out);
  // Appends what the resampler still holds at the end of the stream.
  void flush(SampleBuffer& out);

 private:
  void checkFrame(const AVFrame* frame, int offset) const;
  int run(const uint8_t** in, int count, SampleBuffer& out);

  UniqueSwrContext swr_;
  AVSampleFormat inFormat_;
  int inRate_;
  AVChannelLayout inLayout_{};
  AVChannelLayout frameLayout_{};
  AVChannelLayout outLayout_{};
  int outRate_;
};

// The layout the ffmpeg CLI assumes for `layout`: the default layout of its
// channel count when its order is unspecified.
AVChannelLayout guessedLayout(const AVChannelLayout& layout);

}  // namespace codecflow
