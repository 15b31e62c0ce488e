// YUV <-> RGB arithmetic shared by the CPU reference (YuvRgb.cpp) and the
// CUDA kernels (cuda/ColorKernels.cu): the same constexpr coefficients and
// the same per-pixel functions, compiled for the host and for the device.
//
// Note [YUV to RGB arithmetic]
// Samples of any bit depth are first brought to the 8-bit scale
// (v / 2^(bits - 8)), as swscale does internally, so one set of offsets
// serves 8- and 10-bit video: limited range maps Y 16..235 and chroma
// 16..240 (centred on 128) to 0..255, full range uses Y as is and centres
// chroma on 128. The matrices follow Kr/Kb of BT.601, BT.709 and BT.2020
// (non-constant luminance). Results round half up and clamp to 0..255.
// 4:4:4 video (8- or 16-bit planes) takes each pixel's own chroma sample;
// deep 4:4:4 keeps its whole luma and the offset 16 (swscale's 4:4:4 path
// does not round luma: within 1 level of it on 10-bit frames).
// One deliberate deviation, for limited-range video deeper than 8 bits:
// swscale (the CPU path, and the ffmpeg CLI) rounds its luma to 8 bits and
// subtracts 17.525 rather than 16 on its way to 8-bit RGB (measured on
// FFmpeg 5.1: exact for all 1024 10-bit values). uint8 output does the
// same; float output keeps every bit and uses 17.375, the offset closest
// to swscale on average. With 16, 10-bit frames would differ from the CPU
// path by 1.4 levels on average.
// Chroma follows swscale's choices so that GPU frames match the CPU path:
// 8-bit 4:2:0 takes each pixel's chroma from its 2x2 block (swscale's
// unscaled yuv420p -> RGB path); deeper video interpolates chroma
// vertically with swscale's bicubic filter (B = 0, C = 0.6; chroma rows
// centred between luma rows, edges repeated) and horizontally shares one
// sample per pixel pair, as swscale's scaled path does.
#pragma once

#include <cstdint>

#include "codecflow/Cuda.h"

#if defined(__CUDACC__)
#define CODECFLOW_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define CODECFLOW_HOST_DEVICE inline
#endif

namespace codecflow {

// Coefficients of one matrix and range, applied to 8-bit-scale samples.
struct YuvToRgb {
  float yOffset;      // subtracted from Y (8-bit samples)
  float yOffsetDeep;       // deeper samples rounded to 8 bits (see the Note)
  float yOffsetDeepFloat;  // deeper samples, float output
  float yScale;   // then Y is multiplied by this
  float cScale;   // chroma (minus 128) is multiplied by this
  float rV, gU, gV, bU;
};

struct RgbToYuv {
  float yR, yG, yB;  // Y from R, G, B (0..1 scale of 0..255 input)
  float uR, uG, uB;
  float vR, vG, vB;
  float yOffset;  // added to Y (8-bit scale)
  float yScale;   // Y range: 219 limited, 255 full
  float cScale;   // chroma range: 224 limited, 255 full
};

namespace color {

struct Kr_Kb {
  double kr;
  double kb;
};

constexpr Kr_Kb kFactors[3] = {
    {0.299, 0.114},    // BT.601
    {0.2126, 0.0722},  // BT.709
    {0.2627, 0.0593},  // BT.2020 non-constant luminance
};

constexpr YuvToRgb yuvToRgb(YuvMatrix matrix, bool fullRange) {
  Kr_Kb f = kFactors[static_cast<int>(matrix)];
  double kg = 1.0 - f.kr - f.kb;
  double yScale = fullRange ? 1.0 : 255.0 / 219.0;
  double cScale = fullRange ? 1.0 : 255.0 / 224.0;
  double rV = 2.0 * (1.0 - f.kr);
  double bU = 2.0 * (1.0 - f.kb);
  double gU = -bU * f.kb / kg;
  double gV = -rV * f.kr / kg;
  return {fullRange ? 0.0f : 16.0f,        fullRange ? 0.0f : 17.525f,
          fullRange ? 0.0f : 17.375f,
          static_cast<float>(yScale),      static_cast<float>(cScale),
          static_cast<float>(rV),   static_cast<float>(gU),     static_cast<float>(gV),
          static_cast<float>(bU)};
}

constexpr RgbToYuv rgbToYuv(YuvMatrix matrix, bool fullRange) {
  Kr_Kb f = kFactors[static_cast<int>(matrix)];
  double kg = 1.0 - f.kr - f.kb;
  double uDen = 2.0 * (1.0 - f.kb);
  double vDen = 2.0 * (1.0 - f.kr);
  return {static_cast<float>(f.kr),
          static_cast<float>(kg),
          static_cast<float>(f.kb),
          static_cast<float>(-f.kr / uDen),
          static_cast<float>(-kg / uDen),
          static_cast<float>((1.0 - f.kb) / uDen),
          static_cast<float>((1.0 - f.kr) / vDen),
          static_cast<float>(-kg / vDen),
          static_cast<float>(-f.kb / vDen),
          fullRange ? 0.0f : 16.0f,
          fullRange ? 255.0f : 219.0f,
          fullRange ? 255.0f : 224.0f};
}

// All six YUV -> RGB tables, indexed [matrix * 2 + fullRange].
constexpr YuvToRgb kYuvToRgb[6] = {
    yuvToRgb(YuvMatrix::Bt601, false),  yuvToRgb(YuvMatrix::Bt601, true),
    yuvToRgb(YuvMatrix::Bt709, false),  yuvToRgb(YuvMatrix::Bt709, true),
    yuvToRgb(YuvMatrix::Bt2020, false), yuvToRgb(YuvMatrix::Bt2020, true),
};

constexpr RgbToYuv kRgbToYuv[6] = {
    rgbToYuv(YuvMatrix::Bt601, false),  rgbToYuv(YuvMatrix::Bt601, true),
    rgbToYuv(YuvMatrix::Bt709, false),  rgbToYuv(YuvMatrix::Bt709, true),
    rgbToYuv(YuvMatrix::Bt2020, false), rgbToYuv(YuvMatrix::Bt2020, true),
};

constexpr int tableIndex(YuvMatrix matrix, bool fullRange) {
  return static_cast<int>(matrix) * 2 + (fullRange ? 1 : 0);
}

// One pixel: 8-bit-scale samples in, unrounded RGB (0..255 scale) out.
CODECFLOW_HOST_DEVICE void yuvPixel(const YuvToRgb& c, float yOffset, float y, float u, float v,
                                    float& r, float& g, float& b) {
  float yy = (y - yOffset) * c.yScale;
  float uu = (u - 128.0f) * c.cScale;
  float vv = (v - 128.0f) * c.cScale;
  r = yy + c.rV * vv;
  g = yy + c.gU * uu + c.gV * vv;
  b = yy + c.bU * uu;
}

CODECFLOW_HOST_DEVICE float clamp255(float x) { return x < 0.0f ? 0.0f : (x > 255.0f ? 255.0f : x); }

// Round half up to an integer in 0..255.
CODECFLOW_HOST_DEVICE uint8_t toByte(float x) {
  return static_cast<uint8_t>(static_cast<int>(clamp255(x) + 0.5f));
}

// Two-plane 4:2:0 YUV (NV12, or P010/P016 with 16-bit words whose high
// bits hold the sample). Pitches are in bytes.
// 4:4:4 (chroma444): three full-resolution planes, `uv` the Cb plane and
// `v` the Cr plane (yuv444p, or yuv444p16 with the sample in the high
// bits, NVDEC's 4:4:4 layouts).
struct YuvPlanes {
  const void* y = nullptr;
  int64_t yPitch = 0;
  const void* uv = nullptr;
  int64_t uvPitch = 0;
  int width = 0;
  int height = 0;
  bool sixteenBit = false;
  bool chroma444 = false;
  const void* v = nullptr;
  int64_t vPitch = 0;
};

// Packed RGB, uint8 (0..255) or float32 (0..1), rows `pitch` bytes apart.
struct RgbImage {
  void* data = nullptr;
  int64_t pitch = 0;
  bool isFloat = false;
};

// The colour of the pixel at (x, y), on the 0..255 scale and unrounded:
// uint8 output (`forFloat` false) follows swscale's 8-bit RGB path, float
// output keeps every bit (see Note [YUV to RGB arithmetic]).
CODECFLOW_HOST_DEVICE void samplePixel(const YuvPlanes& in, const YuvToRgb& c, bool forFloat,
                                       int x, int y, float& r, float& g, float& b) {
  float ys, us, vs;
  int cx = x >> 1;
  int cy = y >> 1;
  if (in.chroma444) {
    if (in.sixteenBit) {
      const auto* yRow = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(in.y) +
                                                           y * in.yPitch);
      const auto* uRow = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(in.uv) +
                                                           y * in.uvPitch);
      const auto* vRow = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(in.v) +
                                                           y * in.vPitch);
      // swscale's 4:4:4 path keeps the whole luma sample (measured:
      // within 1 level of it everywhere, unlike the 4:2:0 rounding).
      ys = static_cast<float>(yRow[x]) * (1.0f / 256.0f);
      us = static_cast<float>(uRow[x]) * (1.0f / 256.0f);
      vs = static_cast<float>(vRow[x]) * (1.0f / 256.0f);
    } else {
      ys = static_cast<const uint8_t*>(in.y)[y * in.yPitch + x];
      us = static_cast<const uint8_t*>(in.uv)[y * in.uvPitch + x];
      vs = static_cast<const uint8_t*>(in.v)[y * in.vPitch + x];
    }
  } else if (in.sixteenBit) {
    // P010/P016: word / 256 is the sample on the 8-bit scale.
    const auto* yRow = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(in.y) +
                                                         y * in.yPitch);
    bool roundLuma = !forFloat && c.yOffset != 0.0f;
    ys = roundLuma ? static_cast<float>((yRow[x] + 128) >> 8)
                   : static_cast<float>(yRow[x]) * (1.0f / 256.0f);
    // Bicubic weights at distances 1.75, 0.75, 0.25, 1.25 chroma rows
    // (even luma rows; odd rows mirror them).
    const float weights[4] = {-0.028125f, 0.240625f, 0.871875f, -0.084375f};
    int first = (y & 1) ? cy - 1 : cy - 2;
    int lastRow = (in.height + 1) / 2 - 1;
    float su = 0.0f, sv = 0.0f;
    // swscale's one exception to repeating edges: luma row 2 drops the tap
    // above the picture and renormalizes the other three.
    bool dropFirst = y == 2;
    float norm = dropFirst ? 1.0f / (1.0f - weights[0]) : 1.0f;
    for (int t = dropFirst ? 1 : 0; t < 4; ++t) {
      int row = first + t;
      row = row < 0 ? 0 : (row > lastRow ? lastRow : row);
      const auto* cRow = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(in.uv) +
                                                           row * in.uvPitch);
      float w = (y & 1) ? weights[3 - t] : weights[t];
      su += w * static_cast<float>(cRow[2 * cx]);
      sv += w * static_cast<float>(cRow[2 * cx + 1]);
    }
    us = su * norm * (1.0f / 256.0f);
    vs = sv * norm * (1.0f / 256.0f);
  } else {
    const uint8_t* yRow = static_cast<const uint8_t*>(in.y) + y * in.yPitch;
    const uint8_t* cRow = static_cast<const uint8_t*>(in.uv) + cy * in.uvPitch;
    ys = yRow[x];
    us = cRow[2 * cx];
    vs = cRow[2 * cx + 1];
  }
  if (in.sixteenBit && !forFloat) {
    // swscale's 8-bit RGB output clips the filtered chroma.
    us = clamp255(us);
    vs = clamp255(vs);
  }
  // swscale's deep-luma offsets belong to its 4:2:0 path; 4:4:4 keeps 16.
  float yOffset = !in.sixteenBit || in.chroma444
                      ? c.yOffset
                      : (forFloat ? c.yOffsetDeepFloat : c.yOffsetDeep);
  yuvPixel(c, yOffset, ys, us, vs, r, g, b);
}

// Converts the pixel at (x, y): the whole per-pixel work of the CPU
// reference and of one CUDA thread.
CODECFLOW_HOST_DEVICE void convertPixel(const YuvPlanes& in, const YuvToRgb& c,
                                        const RgbImage& out, int x, int y) {
  float r, g, b;
  samplePixel(in, c, out.isFloat, x, y, r, g, b);
  if (out.isFloat) {
    auto* o = reinterpret_cast<float*>(static_cast<uint8_t*>(out.data) + y * out.pitch) + 3 * x;
    o[0] = clamp255(r) * (1.0f / 255.0f);
    o[1] = clamp255(g) * (1.0f / 255.0f);
    o[2] = clamp255(b) * (1.0f / 255.0f);
  } else {
    uint8_t* o = static_cast<uint8_t*>(out.data) + y * out.pitch + 3 * x;
    o[0] = toByte(r);
    o[1] = toByte(g);
    o[2] = toByte(b);
  }
}

// uint8 RGB in: sample c of pixel (x, y) at
// data[y * rowPitch + x * pixelStride + c * channelStride] (packed RGB:
// pixelStride 3, channelStride 1; planes: pixelStride 1, channelStride the
// plane size).
struct RgbSource {
  const uint8_t* data = nullptr;
  int64_t rowPitch = 0;
  int64_t pixelStride = 3;
  int64_t channelStride = 1;
};

// Two-plane 4:2:0 out: NV12 (bytes), or P010 (tenBit: 16-bit words, the
// 10-bit sample in the high bits). Pitches are in bytes.
struct Nv12Image {
  uint8_t* y = nullptr;
  int64_t yPitch = 0;
  uint8_t* uv = nullptr;
  int64_t uvPitch = 0;
  bool tenBit = false;
};

// Round half up to an integer in 0..1023, shifted into P010's high bits.
CODECFLOW_HOST_DEVICE uint16_t toP010(float x8) {
  float x = x8 * 4.0f;
  x = x < 0.0f ? 0.0f : (x > 1023.0f ? 1023.0f : x);
  return static_cast<uint16_t>(static_cast<int>(x + 0.5f) << 6);
}

// Converts the 2x2 block whose top-left pixel is (2 bx, 2 by): four Y
// samples and one Cb/Cr pair from the block's mean colour (blocks cut by
// an odd edge average the pixels they have). P010 keeps two more bits of
// the same values (8-bit scale times 4).
CODECFLOW_HOST_DEVICE void convertBlock(const RgbSource& in, int width, int height,
                                        const RgbToYuv& c, const Nv12Image& out, int bx,
                                        int by) {
  float sr = 0.0f, sg = 0.0f, sb = 0.0f;
  int count = 0;
  for (int dy = 0; dy < 2; ++dy) {
    int y = 2 * by + dy;
    if (y >= height) {
      break;
    }
    for (int dx = 0; dx < 2; ++dx) {
      int x = 2 * bx + dx;
      if (x >= width) {
        break;
      }
      const uint8_t* p = in.data + y * in.rowPitch + x * in.pixelStride;
      float r = p[0], g = p[in.channelStride], b = p[2 * in.channelStride];
      float luma = (c.yR * r + c.yG * g + c.yB * b) * (c.yScale / 255.0f) + c.yOffset;
      if (out.tenBit) {
        reinterpret_cast<uint16_t*>(out.y + y * out.yPitch)[x] = toP010(luma);
      } else {
        out.y[y * out.yPitch + x] = toByte(luma);
      }
      sr += r;
      sg += g;
      sb += b;
      ++count;
    }
  }
  float inv = 1.0f / static_cast<float>(count);
  float r = sr * inv, g = sg * inv, b = sb * inv;
  float s = c.cScale / 255.0f;
  float u = (c.uR * r + c.uG * g + c.uB * b) * s + 128.0f;
  float v = (c.vR * r + c.vG * g + c.vB * b) * s + 128.0f;
  if (out.tenBit) {
    auto* row = reinterpret_cast<uint16_t*>(out.uv + by * out.uvPitch);
    row[2 * bx] = toP010(u);
    row[2 * bx + 1] = toP010(v);
  } else {
    out.uv[by * out.uvPitch + 2 * bx] = toByte(u);
    out.uv[by * out.uvPitch + 2 * bx + 1] = toByte(v);
  }
}

}  // namespace color
}  // namespace codecflow
