// Converts decoded frames to packed RGB with swscale, reusing one scaler
// context for as long as the input's geometry, format and colour
// description stay the same.
//
// Note [Bit-exact with the ffmpeg CLI]
// The CLI converts with swscale, SWS_BICUBIC, and the frame's colour matrix
// and range (its scale filter's "auto" settings). Doing the same gives
// identical RGB for 8-bit and 10-bit YUV; other flags only match on the
// unscaled 8-bit fast paths.
#pragma once

#include <cstdint>
#include <vector>

#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class ColorConverter {
 public:
  // `threads` > 1 converts horizontal slices in parallel (swscale's own
  // slice threads through sws_scale_frame, as the CLI's scale filter uses;
  // the calling thread converts one slice itself). The bytes are the same
  // at any count.
  explicit ColorConverter(int threads = 1) : threads_(threads > 0 ? threads : 1) {}

  // Changes the slice thread count for the next conversion.
  void setThreads(int threads) { threads_ = threads > 0 ? threads : 1; }
  int threads() const { return threads_; }

  // Writes `frame` as `dstFormat` (AV_PIX_FMT_RGB24 or AV_PIX_FMT_RGB48LE
  // here) of the given size into `dst`, rows `dstLinesize` bytes apart.
  // A size different from the frame's scales with `scaleFlags`.
  void convert(const AVFrame* frame, AVPixelFormat dstFormat, int dstWidth, int dstHeight,
               uint8_t* dst, int dstLinesize, int scaleFlags = SWS_BICUBIC);

 private:
  struct Key {
    int srcWidth = 0, srcHeight = 0, srcFormat = -1, colorSpace = -1, colorRange = -1;
    int dstWidth = 0, dstHeight = 0, dstFormat = -1, flags = 0, threads = 1;
    bool operator==(const Key&) const = default;
  };
  void convertInSlices(const AVFrame* frame, AVPixelFormat dstFormat, int dstWidth, int dstHeight,
                       uint8_t* dst, int dstLinesize);

  Key key_;
  int threads_;
  std::vector<uint8_t> padded_;  // rows too tight for swscale's SIMD (see convert)
  UniqueSwsContext context_;
  UniqueAVFrame target_;  // the destination wrapped for sws_scale_frame
};

}  // namespace codecflow
