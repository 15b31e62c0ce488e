// Rotation, crop and antialiased bilinear resize of decoded frames, one
// output pixel at a time: the arithmetic shared by the CPU reference
// (TransformReference.cpp) and the CUDA kernels (cuda/TransformKernels.cu),
// compiled for the host and for the device like ColorMatrix.h.
//
// Note [GPU transform arithmetic]
// The kernels reproduce FramePipeline, the CPU path, step by step:
//  - colour: ColorMatrix.h's samplePixel, rounded to the working type of
//    the CPU path (uint8 RGB for uint8 output; for float output 16-bit RGB,
//    the 0..255 value times 257, standing in for swscale's rgb48);
//  - rotation and crops: pure index arithmetic, exact. They never touch
//    memory of their own: a crop moves the window the next step reads, and
//    rotation maps each output pixel to the decoded pixel it shows;
//  - resize: ImageResizer's separable triangle filter, the same taps
//    (computed here from the same formulas, in double) and the same float
//    accumulation order, a horizontal pass into float rows and a vertical
//    pass rounding half to even and clamping to the working type.
// Colour conversion, rotation and the crops before the first resize are
// fused into that resize's horizontal pass (which reads YUV directly); the
// crops after a resize choose which of its outputs the vertical pass
// computes; without a resize, one pass converts, rotates and crops.
#pragma once

#include <cmath>
#include <cstdint>

#include "convert/ColorMatrix.h"

namespace codecflow::transform {

// The decoded frame seen through rotation and a window: pixel (x, y) of the
// view is pixel (x + left, y + top) of the frame turned clockwise by
// `turns` quarter turns (`planes` hold the unturned frame).
struct SourceView {
  color::YuvPlanes planes;
  YuvToRgb coefficients{};
  int turns = 0;
  int top = 0;
  int left = 0;
  bool deep = false;  // 16-bit working type (float output)
};

// The decoded pixel (sx, sy) shown at (x, y) of a picture `width` x
// `height` (decoded size) turned clockwise by `turns` quarter turns.
CODECFLOW_HOST_DEVICE void unturn(int turns, int width, int height, int x, int y, int& sx,
                                  int& sy) {
  switch (turns) {
    case 1:
      sx = y;
      sy = height - 1 - x;
      break;
    case 2:
      sx = width - 1 - x;
      sy = height - 1 - y;
      break;
    case 3:
      sx = width - 1 - y;
      sy = x;
      break;
    default:
      sx = x;
      sy = y;
      break;
  }
}

// Rounds a 0..255 colour to the working type (uint8, or 16-bit as 257 x).
CODECFLOW_HOST_DEVICE float quantize(float v, bool deep) {
  float c = color::clamp255(v);
  return deep ? static_cast<float>(static_cast<int>(c * 257.0f + 0.5f))
              : static_cast<float>(static_cast<int>(c + 0.5f));
}

// Reads pixel (x, y) of a view, in the working type.
CODECFLOW_HOST_DEVICE void readView(const SourceView& v, int x, int y, float rgb[3]) {
  int sx, sy;
  unturn(v.turns, v.planes.width, v.planes.height, x + v.left, y + v.top, sx, sy);
  float r, g, b;
  color::samplePixel(v.planes, v.coefficients, v.deep, sx, sy, r, g, b);
  rgb[0] = quantize(r, v.deep);
  rgb[1] = quantize(g, v.deep);
  rgb[2] = quantize(b, v.deep);
}

// A packed RGB image of the working type (uint8, or uint16 when deep).
struct Image {
  void* data = nullptr;
  int64_t pitch = 0;  // bytes
  bool deep = false;
};

CODECFLOW_HOST_DEVICE void readImage(const Image& im, int x, int y, float rgb[3]) {
  const uint8_t* row = static_cast<const uint8_t*>(im.data) + y * im.pitch;
  for (int k = 0; k < 3; ++k) {
    rgb[k] = im.deep ? static_cast<float>(reinterpret_cast<const uint16_t*>(row)[3 * x + k])
                     : static_cast<float>(row[3 * x + k]);
  }
}

// Where the vertical pass writes: the working type, or the output batch
// (uint8, or float32 = 16-bit value / 65535 as FramePipeline's finish).
struct Dest {
  enum class Kind { Byte, Word, FloatOfWord };
  void* data = nullptr;
  int64_t pitch = 0;  // bytes
  Kind kind = Kind::Byte;
};

CODECFLOW_HOST_DEVICE void store(const Dest& d, int x, int y, const float v[3]) {
  uint8_t* row = static_cast<uint8_t*>(d.data) + y * d.pitch;
  for (int k = 0; k < 3; ++k) {
    switch (d.kind) {
      case Dest::Kind::Byte:
        row[3 * x + k] = static_cast<uint8_t>(v[k]);
        break;
      case Dest::Kind::Word:
        reinterpret_cast<uint16_t*>(row)[3 * x + k] = static_cast<uint16_t>(v[k]);
        break;
      case Dest::Kind::FloatOfWord:
        reinterpret_cast<float*>(row)[3 * x + k] = v[k] / 65535.0f;
        break;
    }
  }
}

// The taps of output position i of a resize from inSize to outSize:
// ImageResizer::computeTaps' formulas.
struct Taps {
  int lo = 0;
  int count = 0;
  double center = 0.0;
  double invScale = 1.0;
  double total = 0.0;
};

CODECFLOW_HOST_DEVICE double tapValue(const Taps& t, int j) {
  double x = (j + t.lo - t.center + 0.5) * t.invScale;
  double v = 1.0 - fabs(x);
  return v > 0.0 ? v : 0.0;
}

CODECFLOW_HOST_DEVICE Taps tapsFor(int inSize, int outSize, int i) {
  Taps t;
  double scale = static_cast<double>(inSize) / outSize;
  double support = scale >= 1.0 ? scale : 1.0;
  t.invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
  int maxCount = static_cast<int>(ceil(support)) * 2 + 1;
  t.center = scale * (i + 0.5);
  int lo = static_cast<int>(t.center - support + 0.5);
  int hi = static_cast<int>(t.center + support + 0.5);
  t.lo = lo > 0 ? lo : 0;
  hi = hi < inSize ? hi : inSize;
  t.count = hi - t.lo < maxCount ? hi - t.lo : maxCount;
  for (int j = 0; j < t.count; ++j) {
    // Each value rounded to float first, as ImageResizer stores it.
    t.total += static_cast<double>(static_cast<float>(tapValue(t, j)));
  }
  return t;
}

// Weight j, normalized as ImageResizer does (float value / double total).
CODECFLOW_HOST_DEVICE float tapWeight(const Taps& t, int j) {
  auto value = static_cast<float>(tapValue(t, j));
  return t.total > 0.0 ? static_cast<float>(value / t.total) : value;
}

// Float rows of the horizontal pass: pixel (x, y) at data + y * pitch + 3 x.
struct Rows {
  float* data = nullptr;
  int64_t pitch = 0;  // floats
};

CODECFLOW_HOST_DEVICE void read(const SourceView& v, int x, int y, float rgb[3]) {
  readView(v, x, y, rgb);
}
CODECFLOW_HOST_DEVICE void read(const Image& im, int x, int y, float rgb[3]) {
  readImage(im, x, y, rgb);
}

// Horizontal pass, pixel (x, y): input row y (inWidth pixels, read from a
// view or an image) filtered to outWidth pixels.
template <typename Source>
CODECFLOW_HOST_DEVICE void resizeRowPixel(const Source& in, int inWidth, int outWidth,
                                          const Rows& out, int x, int y) {
  Taps t = tapsFor(inWidth, outWidth, x);
  float r = 0, g = 0, b = 0;
  for (int k = 0; k < t.count; ++k) {
    float w = tapWeight(t, k);
    float p[3];
    read(in, t.lo + k, y, p);
    r += w * p[0];
    g += w * p[1];
    b += w * p[2];
  }
  float* o = out.data + y * out.pitch + 3 * x;
  o[0] = r;
  o[1] = g;
  o[2] = b;
}

// Vertical pass, pixel (x, y) of the window whose corner is (left, top) in
// the resized picture: column x + left of the rows filtered from inHeight
// to outHeight, rounded half to even and clamped to the working type.
CODECFLOW_HOST_DEVICE void resizeColumnPixel(const Rows& in, int inHeight, int outHeight,
                                             int top, int left, bool deep, const Dest& out,
                                             int x, int y) {
  Taps t = tapsFor(inHeight, outHeight, y + top);
  float acc[3] = {0.0f, 0.0f, 0.0f};
  for (int k = 0; k < t.count; ++k) {
    float w = tapWeight(t, k);
    const float* p = in.data + (t.lo + k) * in.pitch + 3 * (x + left);
    acc[0] += w * p[0];
    acc[1] += w * p[1];
    acc[2] += w * p[2];
  }
  float maxValue = deep ? 65535.0f : 255.0f;
  for (float& a : acc) {
    a = rintf(a);
    a = a < 0.0f ? 0.0f : (a > maxValue ? maxValue : a);
  }
  store(out, x, y, acc);
}

// Without a resize: pixel (x, y) of the view converted into the output
// (colour as the plain CUDA path: rounded to uint8, or float on 0..1).
CODECFLOW_HOST_DEVICE void viewPixel(const SourceView& v, const color::RgbImage& out, int x,
                                     int y) {
  int sx, sy;
  unturn(v.turns, v.planes.width, v.planes.height, x + v.left, y + v.top, sx, sy);
  float r, g, b;
  color::samplePixel(v.planes, v.coefficients, out.isFloat, sx, sy, r, g, b);
  if (out.isFloat) {
    auto* o = reinterpret_cast<float*>(static_cast<uint8_t*>(out.data) + y * out.pitch) + 3 * x;
    o[0] = color::clamp255(r) * (1.0f / 255.0f);
    o[1] = color::clamp255(g) * (1.0f / 255.0f);
    o[2] = color::clamp255(b) * (1.0f / 255.0f);
  } else {
    uint8_t* o = static_cast<uint8_t*>(out.data) + y * out.pitch + 3 * x;
    o[0] = color::toByte(r);
    o[1] = color::toByte(g);
    o[2] = color::toByte(b);
  }
}

}  // namespace codecflow::transform
