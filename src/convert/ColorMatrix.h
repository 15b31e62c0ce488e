// YUV <-> RGB arithmetic shared by the CPU reference (YuvRgb.cpp) and the
// CUDA kernels (cuda/ColorKernels.cu): the same coefficients and the same
// per-pixel functions, compiled for the host and for the device.
//
// Note [YUV to RGB arithmetic]
// Every matrix comes from swscale's own numbers: sws_getCoefficients(the
// frame's AVColorSpace) gives four 16.16 chroma factors (BT.601, BT.709,
// BT.2020, FCC, SMPTE 240M, and BT.601 for the rest, as swscale picks
// them), turned into coefficients on the host (yuvToRgbFromSws) exactly as
// swscale's ff_yuv2rgb_c_init_tables does (default brightness, contrast and
// saturation).
// 4:2:0 with uint8 output repeats swscale's integer arithmetic, so that
// GPU frames equal the CPU path's (measured on FFmpeg 5.1, x86-64, see
// YuvRgbTest):
//  - 8-bit, even heights: swscale's unscaled yuv420p -> RGB converter, its
//    SIMD version (libswscale/x86/yuv_2_rgb.asm): samples times 8, minus
//    the offsets, multiplied by 16-bit coefficients keeping the high half
//    of each product (pmulhw: rounding down), summed with saturation. Each
//    pixel takes the chroma of its 2x2 block.
//  - odd heights, and every deeper 4:2:0 frame: its scaled path. Samples
//    become 15-bit; luma is rounded to 8 bits, chroma filtered vertically
//    with swscale's bicubic filter (B = 0, C = 0.6; its 12-bit taps
//    computed here by swscale's own steps, chroma rows centred between
//    luma rows, rows outside the picture folded onto its edges) and
//    rounded to 8 bits, and the three are looked up in swscale's tables,
//    whose limited-range luma is offset by 17.53 rather than 16 (the
//    tables start at index 326 where 16 / 255 x 219 would need 327.53).
//    Horizontally each pixel pair shares one chroma sample; at odd widths
//    swscale interpolates it instead (its full-chroma path, below), with
//    the same filter's 14-bit taps.
//  - not matched: 8-bit frames 7 rows high, deeper ones 7 or 8 rows high
//    (a two-tap chroma filter of swscale's own).
// 4:4:4 (and odd-width 4:2:0 on the scaled path) with uint8 output repeats
// swscale's full-chroma path: 15-bit samples, 22 fraction bits, rounded, in
// its 32-bit arithmetic. Bit for bit too, 8- and 16-bit.
// Float output works in float on the 8-bit scale (v / 2^(bits - 8)):
// limited range maps Y 16..235 and chroma 16..240 (centred on 128) to
// 0..255, full range uses Y as is and centres chroma on 128, rounding half
// up and clamping to 0..255 at the end. Deeper 4:2:0 (and odd 8-bit
// heights) filters chroma with the same taps; deeper 4:2:0 keeps every bit
// and subtracts 17.375 from limited-range luma, the offset closest to
// swscale's rgb48 (the CPU path's source of float frames) on average; odd
// widths share chroma per pixel pair there too. 4:4:4 takes each pixel's
// own chroma sample and the offset 16.
#pragma once

#include <cstdint>

#include "codecflow/Cuda.h"

#if defined(__CUDACC__)
#define CODECFLOW_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define CODECFLOW_HOST_DEVICE inline
#endif

namespace codecflow {

// swscale's fixed-point coefficients of one matrix and range for 8-bit
// 4:2:0 (see Note [YUV to RGB arithmetic]).
struct SwsFixedPoint {
  // The SIMD converter's 16-bit coefficients (2^13 = 1.0) and luma offset
  // (8 x 16 limited, 0 full).
  int yCoeff = 0, yOffset = 0;
  int vr = 0, ub = 0, ug = 0, vg = 0;
  // The table converter: luma value of table index k is
  // clip(((base + k) * cy - (384 << 16) - oy + 2^15) >> 16), and the
  // chroma steps (16.16, divided by cy) move the index.
  int cy = 0, oy = 0, base = 0;
  int rv = 0, gu = 0, gv = 0, bu = 0;
};

// Coefficients of one matrix and range, applied to 8-bit-scale samples.
struct YuvToRgb {
  float yOffset;           // subtracted from Y (8-bit samples)
  float yOffsetDeepFloat;  // deeper 4:2:0 samples (see the Note)
  float yScale;            // then Y is multiplied by this
  float cScale;            // chroma (minus 128) is multiplied by this
  float rV, gU, gV, bU;
  SwsFixedPoint fixed;     // 8-bit 4:2:0, uint8 output
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

constexpr RgbToYuv kRgbToYuv[6] = {
    rgbToYuv(YuvMatrix::Bt601, false),  rgbToYuv(YuvMatrix::Bt601, true),
    rgbToYuv(YuvMatrix::Bt709, false),  rgbToYuv(YuvMatrix::Bt709, true),
    rgbToYuv(YuvMatrix::Bt2020, false), rgbToYuv(YuvMatrix::Bt2020, true),
};

constexpr int tableIndex(YuvMatrix matrix, bool fullRange) {
  return static_cast<int>(matrix) * 2 + (fullRange ? 1 : 0);
}

// swscale's roundToInt16: a 16.16 value times 2^13, rounded to 16 bits.
constexpr int swsRound16(int64_t f) {
  int64_t r = (f + (int64_t{1} << 15)) >> 16;
  return r < -0x7FFF ? -0x8000 : (r > 0x7FFF ? 0x7FFF : static_cast<int>(r));
}

// The coefficients of the matrix whose sws_getCoefficients numbers are
// `table` (chroma factors of limited range, 16.16: Cr -> R, Cb -> B,
// Cb -> G, Cr -> G), derived as ff_yuv2rgb_c_init_tables derives them.
constexpr YuvToRgb yuvToRgbFromSws(const int table[4], bool fullRange) {
  int64_t crv = table[0], cbu = table[1], cgu = -int64_t{table[2]}, cgv = -int64_t{table[3]};
  int64_t cy = 1 << 16, oy = 0;
  if (fullRange) {
    crv = crv * 224 / 255;
    cbu = cbu * 224 / 255;
    cgu = cgu * 224 / 255;
    cgv = cgv * 224 / 255;
  } else {
    cy = cy * 255 / 219;
    oy = 16 << 16;
  }
  YuvToRgb c{};
  // Float: the same factors, unrounded (limited range's 255 / 224 apart).
  double unit = 224.0 / 255.0 / 65536.0;
  c.yOffset = fullRange ? 0.0f : 16.0f;
  c.yOffsetDeepFloat = fullRange ? 0.0f : 17.375f;
  c.yScale = static_cast<float>(fullRange ? 1.0 : 255.0 / 219.0);
  c.cScale = static_cast<float>(fullRange ? 1.0 : 255.0 / 224.0);
  c.rV = static_cast<float>(table[0] * unit);
  c.bU = static_cast<float>(table[1] * unit);
  c.gU = static_cast<float>(-table[2] * unit);
  c.gV = static_cast<float>(-table[3] * unit);
  SwsFixedPoint& f = c.fixed;
  f.yCoeff = swsRound16(cy * (1 << 13));
  f.yOffset = swsRound16(oy * (1 << 3));
  f.vr = swsRound16(crv * (1 << 13));
  f.ub = swsRound16(cbu * (1 << 13));
  f.ug = swsRound16(cgu * (1 << 13));
  f.vg = swsRound16(cgv * (1 << 13));
  f.cy = static_cast<int>(cy);
  f.oy = static_cast<int>(oy);
  f.base = fullRange ? 384 : 326;
  // C division, truncating towards zero as swscale's does.
  f.rv = static_cast<int>((crv * (1 << 16) + 0x8000) / cy);
  f.bu = static_cast<int>((cbu * (1 << 16) + 0x8000) / cy);
  f.gu = static_cast<int>((cgu * (1 << 16) + 0x8000) / cy);
  f.gv = static_cast<int>((cgv * (1 << 16) + 0x8000) / cy);
  return c;
}

CODECFLOW_HOST_DEVICE int clip255(int64_t x) {
  return x < 0 ? 0 : (x > 255 ? 255 : static_cast<int>(x));
}

CODECFLOW_HOST_DEVICE int saturate16(int x) {
  return x < -32768 ? -32768 : (x > 32767 ? 32767 : x);
}

// pmulhw: the high half of a 16 x 16-bit signed product (rounding down).
CODECFLOW_HOST_DEVICE int mulHigh(int a, int b) { return (a * b) >> 16; }

// swscale's SIMD yuv420p -> RGB of one pixel (8-bit samples).
CODECFLOW_HOST_DEVICE void swsSimdPixel(const SwsFixedPoint& f, int y, int u, int v, int rgb[3]) {
  int yy = mulHigh(y * 8 - f.yOffset, f.yCoeff);
  int uu = u * 8 - 1024;
  int vv = v * 8 - 1024;
  int g = saturate16(mulHigh(uu, f.ug) + mulHigh(vv, f.vg));
  rgb[0] = clip255(saturate16(yy + mulHigh(vv, f.vr)));
  rgb[1] = clip255(saturate16(yy + g));
  rgb[2] = clip255(saturate16(yy + mulHigh(uu, f.ub)));
}

// swscale's table lookup of one pixel: 8-bit luma, chroma already
// filtered to 8 bits (clipped to 0..255 as the tables' indices are).
CODECFLOW_HOST_DEVICE void swsTablePixel(const SwsFixedPoint& f, int y, int u, int v,
                                         int rgb[3]) {
  u = clip255(u);
  v = clip255(v);
  int k[3] = {
      y + ((v * f.rv) >> 16) - (f.rv >> 9),
      y + ((u * f.gu) >> 16) - (f.gu >> 9) + ((v * f.gv) >> 16) - (f.gv >> 9),
      y + ((u * f.bu) >> 16) - (f.bu >> 9),
  };
  for (int i = 0; i < 3; ++i) {
    int64_t value = (static_cast<int64_t>(f.base + k[i]) * f.cy - (int64_t{384} << 16) - f.oy +
                     0x8000) >>
                    16;
    rgb[i] = clip255(value);
  }
}

// swscale's full-chroma output (yuv2rgb_write_full) of one pixel: luma
// and chroma with 9 fraction bits (chroma centred on 0), 22 fraction bits
// out, rounded, clipped to 30 bits, in swscale's 32-bit arithmetic (a sum
// past 2^31, bright luma with extreme chroma, wraps negative and clips to
// 0 there too).
CODECFLOW_HOST_DEVICE void swsFullPixel(const SwsFixedPoint& f, int y, int u, int v, int rgb[3]) {
  int yy = (y - f.yOffset * 64) * f.yCoeff + (1 << 21);
  auto wrap = [](uint32_t x) { return static_cast<int>(x); };
  int values[3] = {
      wrap(static_cast<uint32_t>(yy) + static_cast<uint32_t>(v) * static_cast<uint32_t>(f.vr)),
      wrap(static_cast<uint32_t>(yy) + static_cast<uint32_t>(v) * static_cast<uint32_t>(f.vg) +
           static_cast<uint32_t>(u) * static_cast<uint32_t>(f.ug)),
      wrap(static_cast<uint32_t>(yy) + static_cast<uint32_t>(u) * static_cast<uint32_t>(f.ub)),
  };
  bool clip = ((values[0] | values[1] | values[2]) & 0xC0000000) != 0;
  for (int i = 0; i < 3; ++i) {
    int x = values[i];
    if (clip) {
      x = x < 0 ? 0 : (x > (1 << 30) - 1 ? (1 << 30) - 1 : x);
    }
    rgb[i] = x >> 22;
  }
}

// The taps of swscale's vertical chroma filter (4:2:0 -> RGB, SWS_BICUBIC)
// for luma row `y` of a picture `height` rows high: `count` weights of
// consecutive chroma rows from `first`, in 1/4096, summing to 4096. The
// steps of swscale's initFilter: positions in 1/2^17 chroma rows,
// coefficients of its integer bicubic, taps outside the picture merged
// into the edge rows, normalized with the rounding error carried along.
struct ChromaTaps {
  int first = 0;
  int count = 0;
  int weights[5] = {0, 0, 0, 0, 0};
};

// One row's raw filter as initFilter first builds it: the first source row
// and `size` coefficients (1.0 = 6 x 2^54).
struct RawTaps {
  int64_t first = 0;
  int size = 0;
  int64_t coeff[5] = {0, 0, 0, 0, 0};
};

CODECFLOW_HOST_DEVICE RawTaps swsRawTaps(int height, int y) {
  RawTaps t;
  int rows = (height + 1) >> 1;
  int64_t inc = ((static_cast<int64_t>(rows) << 16) + (height >> 1)) / height;
  int64_t pos = inc - (int64_t{1} << 16) + 2 * inc * y;
  int size = rows - 2 < 5 ? rows - 2 : 5;
  t.size = size < 1 ? 1 : size;
  t.first = (pos - (t.size - 2) * (int64_t{1} << 16)) / (int64_t{1} << 17);
  // B = 0, C = 0.6 in 1/2^24, as swscale truncates it.
  const int64_t c6 = 10066329;
  for (int j = 0; j < t.size; ++j) {
    int64_t dist = (t.first + j) * (int64_t{1} << 17) - pos;
    int64_t d = (dist < 0 ? -dist : dist) << 13;
    if (d >= int64_t{1} << 31) {
      continue;
    }
    int64_t dd = (d * d) >> 30;
    int64_t ddd = (dd * d) >> 30;
    if (d < int64_t{1} << 30) {
      t.coeff[j] = (12 * (int64_t{1} << 24) - 6 * c6) * ddd +
                   (-18 * (int64_t{1} << 24) + 6 * c6) * dd +
                   6 * (int64_t{1} << 24) * (int64_t{1} << 30);
    } else {
      t.coeff[j] =
          (-6 * c6) * ddd + (30 * c6) * dd + (-48 * c6) * d + (24 * c6) * (int64_t{1} << 30);
    }
  }
  return t;
}

// initFilter's first reduction: leading taps whose magnitudes add up to at
// most 0.002 (2^54 = 1 here) are dropped while the row's first source row
// stays before the next row's (rows are reduced from the last one up).
constexpr double kReduceCutoff = 0.002 * static_cast<double>(int64_t{1} << 54);

CODECFLOW_HOST_DEVICE bool keepsFirstTap(const RawTaps& t) {
  int64_t c = t.coeff[0] < 0 ? -t.coeff[0] : t.coeff[0];
  return static_cast<double>(c) > kReduceCutoff;
}

// How many of a row's taps go; `nextFirst` is the next row's first source
// row after its own reduction (`unguarded`: no next row to keep before).
CODECFLOW_HOST_DEVICE int swsDropped(const RawTaps& t, int64_t nextFirst, bool unguarded) {
  int64_t sum = 0;
  int dropped = 0;
  while (dropped < t.size) {
    int64_t c = t.coeff[dropped];
    sum += c < 0 ? -c : c;
    if (static_cast<double>(sum) > kReduceCutoff ||
        (!unguarded && t.first + dropped >= nextFirst)) {
      break;
    }
    ++dropped;
  }
  return dropped;
}

// `one`: the weights' sum (4096 vertically, 16384 horizontally).
CODECFLOW_HOST_DEVICE ChromaTaps swsFilterTaps(int height, int y, int one) {
  ChromaTaps t;
  int rows = (height + 1) >> 1;
  RawTaps raw = swsRawTaps(height, y);
  int drop = 0;
  if (!keepsFirstTap(raw)) {
    // The reduction of the rows below decides this one's: followed down to
    // the first row that keeps its first tap (the next one or the one
    // after, nearly always) and resolved back up.
    constexpr int kAhead = 8;
    RawTaps chain[kAhead];
    int n = 0;
    for (int row = y + 1; row < height && n < kAhead; ++row) {
      chain[n++] = swsRawTaps(height, row);
      if (keepsFirstTap(chain[n - 1])) {
        break;
      }
    }
    int64_t nextFirst = 0;
    for (int k = n - 1; k >= 0; --k) {
      nextFirst = chain[k].first + swsDropped(chain[k], nextFirst, k == n - 1);
    }
    drop = swsDropped(raw, nextFirst, n == 0);
  }
  int64_t xx = raw.first + drop;
  int size = raw.size;
  int64_t coeff[5] = {0, 0, 0, 0, 0};
  for (int j = 0; j + drop < size; ++j) {
    coeff[j] = raw.coeff[j + drop];
  }
  // Rows outside the picture fold onto its edge rows.
  int64_t lo = xx < 0 ? 0 : xx;
  int64_t hi = xx + size - 1 > rows - 1 ? rows - 1 : xx + size - 1;
  lo = lo > hi ? hi : lo;
  int64_t merged[5] = {0, 0, 0, 0, 0};
  for (int j = 0; j < size; ++j) {
    int64_t row = xx + j;
    row = row < lo ? lo : (row > hi ? hi : row);
    merged[row - lo] += coeff[j];
  }
  t.first = static_cast<int>(lo);
  t.count = static_cast<int>(hi - lo + 1);
  int64_t sum = 0;
  for (int j = 0; j < t.count; ++j) {
    sum += merged[j];
  }
  sum = (sum + one / 2) / one;
  sum = sum == 0 ? 1 : sum;
  int64_t error = 0;
  for (int j = 0; j < t.count; ++j) {
    int64_t v = merged[j] + error;
    int64_t w = (v >= 0 ? v + sum / 2 : v - sum / 2) / sum;
    t.weights[j] = static_cast<int>(w);
    error = v - w * sum;
  }
  return t;
}

CODECFLOW_HOST_DEVICE ChromaTaps swsChromaTaps(int height, int y) {
  return swsFilterTaps(height, y, 4096);
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

// 4:2:0 to uint8 RGB, pixel (x, y), as swscale's CPU path computes it
// (see Note [YUV to RGB arithmetic]). Its scaled path works on 15-bit
// samples: 8-bit ones times 128, 16-bit words (P010/P016) halved.
CODECFLOW_HOST_DEVICE void swsPixel420(const YuvPlanes& in, const SwsFixedPoint& f, int x, int y,
                                       int rgb[3]) {
  const auto* yRow = static_cast<const uint8_t*>(in.y) + y * in.yPitch;
  const auto* uv = static_cast<const uint8_t*>(in.uv);
  if (!in.sixteenBit && in.height % 2 == 0) {
    const uint8_t* c = uv + (y >> 1) * in.uvPitch + 2 * (x >> 1);
    swsSimdPixel(f, yRow[x], c[0], c[1], rgb);
    return;
  }
  ChromaTaps t = swsChromaTaps(in.height, y);
  if (in.width % 2 == 1) {
    // swscale's full-chroma path: chroma filtered horizontally to every
    // pixel (14-bit taps, 15-bit results), then vertically.
    ChromaTaps h = swsFilterTaps(in.width, x, 1 << 14);
    int su = (1 << 9) - (128 << 19), sv = su;
    for (int j = 0; j < t.count; ++j) {
      const uint8_t* row = uv + (t.first + j) * in.uvPitch;
      int hu = 0, hv = 0;
      for (int k = 0; k < h.count; ++k) {
        int column = 2 * (h.first + k);
        int cu = in.sixteenBit ? reinterpret_cast<const uint16_t*>(row)[column] : row[column];
        int cv = in.sixteenBit ? reinterpret_cast<const uint16_t*>(row)[column + 1]
                               : row[column + 1];
        hu += h.weights[k] * cu;
        hv += h.weights[k] * cv;
      }
      // 8-bit samples: >> 7; 16-bit words (the sample's bits on top): >> 15.
      int shift = in.sixteenBit ? 15 : 7;
      hu = hu >> shift;
      hv = hv >> shift;
      hu = hu > 32767 ? 32767 : hu;
      hv = hv > 32767 ? 32767 : hv;
      su += t.weights[j] * hu;
      sv += t.weights[j] * hv;
    }
    int luma15 = in.sixteenBit ? reinterpret_cast<const uint16_t*>(yRow)[x] >> 1 : yRow[x] << 7;
    swsFullPixel(f, luma15 * 4, su >> 10, sv >> 10, rgb);
    return;
  }
  int luma = in.sixteenBit ? (reinterpret_cast<const uint16_t*>(yRow)[x] + 128) >> 8 : yRow[x];
  int su = 1 << 18, sv = 1 << 18;
  for (int j = 0; j < t.count; ++j) {
    const uint8_t* row = uv + (t.first + j) * in.uvPitch;
    int cu, cv;
    if (in.sixteenBit) {
      const auto* words = reinterpret_cast<const uint16_t*>(row) + 2 * (x >> 1);
      cu = words[0] >> 1;
      cv = words[1] >> 1;
    } else {
      cu = row[2 * (x >> 1)] << 7;
      cv = row[2 * (x >> 1) + 1] << 7;
    }
    su += t.weights[j] * cu;
    sv += t.weights[j] * cv;
  }
  swsTablePixel(f, luma, su >> 19, sv >> 19, rgb);
}

// 4:4:4 to uint8 RGB, pixel (x, y): swscale's full-chroma path on 15-bit
// samples (8-bit ones times 128, 16-bit words halved).
CODECFLOW_HOST_DEVICE void swsPixel444(const YuvPlanes& in, const SwsFixedPoint& f, int x, int y,
                                       int rgb[3]) {
  const void* planes[3] = {in.y, in.uv, in.v};
  int64_t pitches[3] = {in.yPitch, in.uvPitch, in.vPitch};
  int s[3];
  for (int i = 0; i < 3; ++i) {
    const uint8_t* row = static_cast<const uint8_t*>(planes[i]) + y * pitches[i];
    s[i] = in.sixteenBit ? reinterpret_cast<const uint16_t*>(row)[x] >> 1 : row[x] << 7;
  }
  swsFullPixel(f, s[0] * 4, s[1] * 4 - (128 << 9), s[2] * 4 - (128 << 9), rgb);
}

// The colour of the pixel at (x, y), on the 0..255 scale and unrounded
// (8-bit 4:2:0 to uint8: swscale's integers): uint8 output (`forFloat`
// false) follows swscale's 8-bit RGB path, float output keeps every bit
// (see Note [YUV to RGB arithmetic]).
CODECFLOW_HOST_DEVICE void samplePixel(const YuvPlanes& in, const YuvToRgb& c, bool forFloat,
                                       int x, int y, float& r, float& g, float& b) {
  if (!forFloat) {
    int rgb[3];
    if (in.chroma444) {
      swsPixel444(in, c.fixed, x, y, rgb);
    } else {
      swsPixel420(in, c.fixed, x, y, rgb);
    }
    r = static_cast<float>(rgb[0]);
    g = static_cast<float>(rgb[1]);
    b = static_cast<float>(rgb[2]);
    return;
  }
  float ys, us, vs;
  float yOffset = c.yOffset;
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
  } else if (in.sixteenBit || in.height % 2 == 1) {
    // Float output of P010/P016 (word / 256 is the sample on the 8-bit
    // scale) or of an odd 8-bit height: chroma through swscale's vertical
    // filter, unrounded.
    const auto* yRow = static_cast<const uint8_t*>(in.y) + y * in.yPitch;
    ys = in.sixteenBit
             ? static_cast<float>(reinterpret_cast<const uint16_t*>(yRow)[x]) * (1.0f / 256.0f)
             : static_cast<float>(yRow[x]);
    ChromaTaps t = swsChromaTaps(in.height, y);
    float su = 0.0f, sv = 0.0f;
    for (int j = 0; j < t.count; ++j) {
      const uint8_t* cRow = static_cast<const uint8_t*>(in.uv) + (t.first + j) * in.uvPitch;
      float cu, cv;
      if (in.sixteenBit) {
        const auto* words = reinterpret_cast<const uint16_t*>(cRow) + 2 * (x >> 1);
        cu = static_cast<float>(words[0]) * (1.0f / 256.0f);
        cv = static_cast<float>(words[1]) * (1.0f / 256.0f);
      } else {
        cu = cRow[2 * (x >> 1)];
        cv = cRow[2 * (x >> 1) + 1];
      }
      su += static_cast<float>(t.weights[j]) * cu;
      sv += static_cast<float>(t.weights[j]) * cv;
    }
    us = su * (1.0f / 4096.0f);
    vs = sv * (1.0f / 4096.0f);
    if (!in.sixteenBit) {
      // Clipped to 0..255 as swscale's 8-bit tables clip it.
      us = clamp255(us);
      vs = clamp255(vs);
    }
    yOffset = in.sixteenBit ? c.yOffsetDeepFloat : c.yOffset;
  } else {
    const uint8_t* cRow = static_cast<const uint8_t*>(in.uv) + (y >> 1) * in.uvPitch;
    ys = static_cast<const uint8_t*>(in.y)[y * in.yPitch + x];
    us = cRow[2 * (x >> 1)];
    vs = cRow[2 * (x >> 1) + 1];
  }
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
