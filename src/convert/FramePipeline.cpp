#include "convert/FramePipeline.h"

#include <cmath>
#include <cstring>

#include "codecflow/Error.h"

extern "C" {
#include <libavutil/imgutils.h>
}

namespace codecflow {

namespace {

// Room after swscale's output for the bytes its SIMD loops may write past
// the last row.
constexpr size_t kSwscaleSlack = 256;

}  // namespace

TransformStep TransformStep::make(Kind kind, int64_t height, int64_t width, int64_t top,
                                  int64_t left) {
  TransformStep step;
  step.kind = kind;
  step.height = static_cast<int>(checkRange(kTransformSizeRange, height));
  step.width = static_cast<int>(checkRange(kTransformSizeRange, width));
  step.top = static_cast<int>(checkRange(kTransformCornerRange, top));
  step.left = static_cast<int>(checkRange(kTransformCornerRange, left));
  return step;
}

FramePipeline::FramePipeline(int width, int height, std::optional<double> rotation,
                             std::vector<TransformStep> transforms, bool floatOutput)
    : transforms_(std::move(transforms)), floatOutput_(floatOutput), highBitDepth_(floatOutput) {
  if (rotation) {
    // The CLI turns the picture clockwise by the negated display angle.
    long degrees = -std::lround(*rotation);
    long turns = ((degrees % 360) + 360) % 360 / 90;
    clockwiseQuarterTurns_ = static_cast<int>(turns);
  }
  int w = width;
  int h = height;
  if (clockwiseQuarterTurns_ % 2 == 1) {
    std::swap(w, h);
  }
  for (TransformStep& step : transforms_) {
    if (step.height <= 0 || step.width <= 0) {
      fail(ErrorKind::InvalidArgument, "transform sizes must be positive, got (" +
                                           std::to_string(step.height) + ", " +
                                           std::to_string(step.width) + ")");
    }
    if (step.kind == TransformStep::Kind::Crop) {
      if (step.height > h || step.width > w) {
        fail(ErrorKind::InvalidArgument,
             "crop size (" + std::to_string(step.height) + ", " + std::to_string(step.width) +
                 ") is larger than the frame (" + std::to_string(h) + ", " + std::to_string(w) +
                 ") it applies to");
      }
      if (step.top < 0 || step.left < 0) {
        // Centred, rounding as torchvision's center_crop does.
        step.top = static_cast<int>(std::lround((h - step.height) / 2.0));
        step.left = static_cast<int>(std::lround((w - step.width) / 2.0));
      }
      if (step.top + step.height > h || step.left + step.width > w) {
        fail(ErrorKind::InvalidArgument, "crop window lies outside the frame");
      }
    }
    h = step.height;
    w = step.width;
  }
  outWidth_ = w;
  outHeight_ = h;
}

Tensor FramePipeline::allocate(int64_t count) const {
  return Tensor::empty({count, outHeight_, outWidth_, 3},
                       floatOutput_ ? DType::Float32 : DType::UInt8);
}

FramePipeline::Image FramePipeline::rotate(const Image& in, std::vector<uint8_t>& out) const {
  int bpp = highBitDepth_ ? 6 : 3;
  int w = in.width, h = in.height;
  int ow = clockwiseQuarterTurns_ % 2 == 1 ? h : w;
  int oh = clockwiseQuarterTurns_ % 2 == 1 ? w : h;
  out.resize(static_cast<size_t>(ow) * oh * bpp);
  const uint8_t* src = in.buffer->data();
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int ox = 0, oy = 0;
      switch (clockwiseQuarterTurns_) {
        case 1:  // clockwise: (x, y) -> (h - 1 - y, x)
          ox = h - 1 - y;
          oy = x;
          break;
        case 2:
          ox = w - 1 - x;
          oy = h - 1 - y;
          break;
        default:  // counter-clockwise: (x, y) -> (y, w - 1 - x)
          ox = y;
          oy = w - 1 - x;
          break;
      }
      std::memcpy(&out[(static_cast<size_t>(oy) * ow + ox) * bpp],
                  &src[(static_cast<size_t>(y) * w + x) * bpp], bpp);
    }
  }
  return {&out, ow, oh};
}

FramePipeline::Image FramePipeline::resize(const Image& in, int width, int height,
                                           std::vector<uint8_t>& out) {
  int bpp = highBitDepth_ ? 6 : 3;
  out.resize(static_cast<size_t>(width) * height * bpp);
  if (highBitDepth_) {
    resizer_.resize(reinterpret_cast<const uint16_t*>(in.buffer->data()), in.width, in.height,
                    reinterpret_cast<uint16_t*>(out.data()), width, height);
  } else {
    resizer_.resize(in.buffer->data(), in.width, in.height, out.data(), width, height);
  }
  return {&out, width, height};
}

FramePipeline::Image FramePipeline::crop(const Image& in, const TransformStep& step,
                                         std::vector<uint8_t>& out) const {
  // The window was checked against the stream's frame size; a frame of
  // another size (the stream changed size mid-way) may not hold it.
  if (step.top + step.height > in.height || step.left + step.width > in.width) {
    fail(ErrorKind::InvalidData,
         "frame size changed mid-stream: a " + std::to_string(in.width) + "x" +
             std::to_string(in.height) + " frame does not hold the crop window (" +
             std::to_string(step.height) + ", " + std::to_string(step.width) + ") at (" +
             std::to_string(step.top) + ", " + std::to_string(step.left) + ")");
  }
  int bpp = highBitDepth_ ? 6 : 3;
  out.resize(static_cast<size_t>(step.width) * step.height * bpp);
  for (int y = 0; y < step.height; ++y) {
    std::memcpy(&out[static_cast<size_t>(y) * step.width * bpp],
                &(*in.buffer)[(static_cast<size_t>(y + step.top) * in.width + step.left) * bpp],
                static_cast<size_t>(step.width) * bpp);
  }
  return {&out, step.width, step.height};
}

void FramePipeline::finish(const Image& in, uint8_t* slot) const {
  size_t count = static_cast<size_t>(in.width) * in.height * 3;
  if (!floatOutput_) {
    std::memcpy(slot, in.buffer->data(), count);
    return;
  }
  auto* out = reinterpret_cast<float*>(slot);
  const auto* src = reinterpret_cast<const uint16_t*>(in.buffer->data());
  for (size_t i = 0; i < count; ++i) {
    out[i] = static_cast<float>(src[i]) / 65535.0f;
  }
}

void FramePipeline::write(const AVFrame* frame, ColorConverter& converter, uint8_t* slot) {
  bool direct = clockwiseQuarterTurns_ == 0 && transforms_.empty() && !floatOutput_;
  int srcW = frame->width, srcH = frame->height;
  if (direct) {
    if (srcW != outWidth_ || srcH != outHeight_) {
      fail(ErrorKind::InvalidData, "frame size changed mid-stream from " +
                                       std::to_string(outWidth_) + "x" +
                                       std::to_string(outHeight_) + " to " +
                                       std::to_string(srcW) + "x" + std::to_string(srcH));
    }
    // swscale's SIMD loops may write a few bytes past the end of a row
    // whose length is not a multiple of the vector size; inside a batch
    // that would clobber the next slot (already filled when frames arrive
    // out of order), so such sizes go through scratch memory.
    if ((srcW * 3) % 64 == 0) {
      converter.convert(frame, AV_PIX_FMT_RGB24, srcW, srcH, slot, srcW * 3);
      return;
    }
  }
  int bpp = highBitDepth_ ? 6 : 3;
  scratchA_.resize(static_cast<size_t>(srcW) * srcH * bpp + kSwscaleSlack);
  converter.convert(frame, highBitDepth_ ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24, srcW, srcH,
                    scratchA_.data(), srcW * bpp);
  Image image{&scratchA_, srcW, srcH};
  auto other = [&](const Image& img) -> std::vector<uint8_t>& {
    return img.buffer == &scratchA_ ? scratchB_ : scratchA_;
  };
  if (direct) {
    std::memcpy(slot, scratchA_.data(), static_cast<size_t>(srcW) * srcH * 3);
    return;
  }
  if (clockwiseQuarterTurns_ != 0) {
    image = rotate(image, other(image));
  }
  for (const TransformStep& step : transforms_) {
    image = step.kind == TransformStep::Kind::Resize
                ? resize(image, step.width, step.height, other(image))
                : crop(image, step, other(image));
  }
  if (image.width != outWidth_ || image.height != outHeight_) {
    fail(ErrorKind::InvalidData, "frame size changed mid-stream");
  }
  finish(image, slot);
}

}  // namespace codecflow
