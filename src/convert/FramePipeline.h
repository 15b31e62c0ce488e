// What happens to a decoded frame on its way into the output batch: colour
// conversion, the rotation the container asks for, the decoder's
// transforms (resize, crop), and the output dtype.
//
// Without rotation or transforms each frame is converted straight into its
// slot of the batch; otherwise the intermediate images live in two scratch
// buffers reused across frames.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "convert/ColorConverter.h"
#include "convert/ImageResizer.h"
#include "codecflow/Tensor.h"
#include "codecflow/VideoDecoder.h"

namespace codecflow {

class FramePipeline {
 public:
  // `rotation` is the stream's display-matrix angle (counter-clockwise
  // degrees), applied as the ffmpeg CLI does when it autorotates.
  FramePipeline(int width, int height, std::optional<double> rotation,
                std::vector<TransformStep> transforms, bool floatOutput);

  int outputHeight() const { return outHeight_; }
  int outputWidth() const { return outWidth_; }

  // A batch of `count` output frames (count, H, W, 3).
  Tensor allocate(int64_t count) const;

  // Writes one decoded frame into `slot`, the start of its place in a batch
  // from allocate().
  void write(const AVFrame* frame, ColorConverter& converter, uint8_t* slot);

  // The rotation as clockwise quarter turns, and the transforms with centred
  // crops resolved: what the GPU path runs (TransformPlan.h).
  int clockwiseQuarterTurns() const { return clockwiseQuarterTurns_; }
  const std::vector<TransformStep>& steps() const { return transforms_; }

 private:
  struct Image {
    std::vector<uint8_t>* buffer;
    int width;
    int height;
  };
  Image rotate(const Image& in, std::vector<uint8_t>& out) const;
  Image resize(const Image& in, int width, int height, std::vector<uint8_t>& out);
  Image crop(const Image& in, const TransformStep& step, std::vector<uint8_t>& out) const;
  void finish(const Image& in, uint8_t* slot) const;

  int clockwiseQuarterTurns_ = 0;
  std::vector<TransformStep> transforms_;
  bool floatOutput_;
  // The working images are rgb48: float32 output is swscale's rgb48 divided
  // by 65535 whatever the source's bit depth, 8-bit sources included (as
  // TorchCodec does), so that it equals `ffmpeg -pix_fmt rgb48le` / 65535.
  bool highBitDepth_;
  int outWidth_ = 0;
  int outHeight_ = 0;
  std::vector<uint8_t> scratchA_;
  std::vector<uint8_t> scratchB_;
  ImageResizer resizer_;
};

}  // namespace codecflow
