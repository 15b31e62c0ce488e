// The one place swscale and swresample contexts are set up, for the
// decoders (ColorConverter, AudioResampler) and the encoders
// (VideoStreamEncoder, AudioStreamEncoder) alike.
#pragma once

#include "ffmpeg/FFmpeg.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace codecflow {

struct ScalerSpec {
  int srcWidth = 0;
  int srcHeight = 0;
  AVPixelFormat srcFormat = AV_PIX_FMT_NONE;
  int dstWidth = 0;
  int dstHeight = 0;
  AVPixelFormat dstFormat = AV_PIX_FMT_NONE;
  int flags = SWS_BICUBIC;  // the ffmpeg CLI's scale filter's default
  int threads = 1;          // swscale's slice threads; 0: every core
};

// An initialised swscale context, or nullptr when swscale cannot do it
// (the caller names what it was converting).
UniqueSwsContext openScaler(const ScalerSpec& spec);

// Sets `out` to an initialised swresample context with swresample's
// defaults otherwise; returns FFmpeg's error code (< 0) when it cannot be
// set up (`out` is then empty or not initialised).
int openResampler(UniqueSwrContext& out, const AVChannelLayout& outLayout,
                  AVSampleFormat outFormat, int outRate, const AVChannelLayout& inLayout,
                  AVSampleFormat inFormat, int inRate);

}  // namespace codecflow
