// The CPU reference of the CUDA colour kernels against swscale as the CPU
// decoding path uses it (ColorConverter on yuv420p / yuv420p10le, the
// formats software decoders produce) for every matrix swscale knows and
// both ranges, bit for bit: 8-bit over every (Y, U, V), 8- and 10-bit on
// random samples (every value, sharp colour edges and the picture's
// borders) at even and odd heights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <random>
#include <vector>

#include "convert/ColorConverter.h"
#include "convert/YuvRgb.h"
#include "codecflow/Cuda.h"
#include "codecflow/Error.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

using namespace codecflow;

namespace {

constexpr int kWidth = 512;
constexpr int kHeight = 96;

struct Case {
  AVColorSpace space;
  AVColorRange range;
  YuvMatrix matrix;
  bool full;
};

const Case kCases[] = {
    {AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_UNSPECIFIED, YuvMatrix::Bt601, false},
    {AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG, YuvMatrix::Bt601, false},
    {AVCOL_SPC_BT470BG, AVCOL_RANGE_JPEG, YuvMatrix::Bt601, true},
    {AVCOL_SPC_BT709, AVCOL_RANGE_MPEG, YuvMatrix::Bt709, false},
    {AVCOL_SPC_BT709, AVCOL_RANGE_JPEG, YuvMatrix::Bt709, true},
    {AVCOL_SPC_BT2020_NCL, AVCOL_RANGE_MPEG, YuvMatrix::Bt2020, false},
    {AVCOL_SPC_BT2020_NCL, AVCOL_RANGE_JPEG, YuvMatrix::Bt2020, true},
};

// Every colour space swscale has numbers of its own for (and BT.601's
// aliases), in both ranges; unspecified as the CPU path leaves it.
struct Space {
  AVColorSpace space;
  AVColorRange range;
};

const Space kSpaces[] = {
    {AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_UNSPECIFIED},
    {AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG},
    {AVCOL_SPC_BT470BG, AVCOL_RANGE_JPEG},
    {AVCOL_SPC_BT709, AVCOL_RANGE_MPEG},
    {AVCOL_SPC_BT709, AVCOL_RANGE_JPEG},
    {AVCOL_SPC_BT2020_NCL, AVCOL_RANGE_MPEG},
    {AVCOL_SPC_BT2020_NCL, AVCOL_RANGE_JPEG},
    {AVCOL_SPC_FCC, AVCOL_RANGE_MPEG},
    {AVCOL_SPC_FCC, AVCOL_RANGE_JPEG},
    {AVCOL_SPC_SMPTE240M, AVCOL_RANGE_MPEG},
    {AVCOL_SPC_SMPTE240M, AVCOL_RANGE_JPEG},
};

std::string nameOf(const Space& s) {
  const char* name = av_color_space_name(s.space);
  return std::string(name != nullptr ? name : "?") +
         (s.range == AVCOL_RANGE_JPEG ? " full" : " limited");
}

YuvToRgb coefficientsOf(const AVFrame* frame) {
  return yuvToRgbFor(frame->colorspace, frame->color_range == AVCOL_RANGE_JPEG);
}

// A synthetic 4:2:0 frame in NV12 (8-bit) or P010 (10-bit) with random
// samples.
UniqueAVFrame makeFrame(bool tenBit, const Space& c, int width = kWidth, int height = kHeight,
                        unsigned seed = 42) {
  UniqueAVFrame frame = allocFrame();
  frame->format = tenBit ? AV_PIX_FMT_P010LE : AV_PIX_FMT_NV12;
  frame->width = width;
  frame->height = height;
  frame->colorspace = c.space;
  frame->color_range = c.range;
  EXPECT_EQ(av_frame_get_buffer(frame.get(), 0), 0);
  std::mt19937 rng(seed);
  int maxValue = tenBit ? 1023 : 255;
  std::uniform_int_distribution<int> luma(0, maxValue);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      int v = luma(rng);
      if (tenBit) {
        reinterpret_cast<uint16_t*>(frame->data[0] + y * frame->linesize[0])[x] =
            static_cast<uint16_t>(v << 6);
      } else {
        frame->data[0][y * frame->linesize[0] + x] = static_cast<uint8_t>(v);
      }
    }
  }
  for (int y = 0; y < (height + 1) / 2; ++y) {
    for (int x = 0; x < (width + 1) / 2; ++x) {
      int cu = luma(rng);
      int cv = luma(rng);
      if (tenBit) {
        auto* row = reinterpret_cast<uint16_t*>(frame->data[1] + y * frame->linesize[1]);
        row[2 * x] = static_cast<uint16_t>(cu << 6);
        row[2 * x + 1] = static_cast<uint16_t>(cv << 6);
      } else {
        uint8_t* row = frame->data[1] + y * frame->linesize[1];
        row[2 * x] = static_cast<uint8_t>(cu);
        row[2 * x + 1] = static_cast<uint8_t>(cv);
      }
    }
  }
  return frame;
}

// The same samples as planar yuv420p / yuv420p10le, the formats software
// decoders produce and the CPU path converts.
UniqueAVFrame toPlanar(const AVFrame* semi) {
  bool tenBit = semi->format != AV_PIX_FMT_NV12;
  UniqueAVFrame frame = allocFrame();
  frame->format = tenBit ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV420P;
  frame->width = semi->width;
  frame->height = semi->height;
  frame->colorspace = semi->colorspace;
  frame->color_range = semi->color_range;
  EXPECT_EQ(av_frame_get_buffer(frame.get(), 0), 0);
  for (int y = 0; y < semi->height; ++y) {
    for (int x = 0; x < semi->width; ++x) {
      if (tenBit) {
        reinterpret_cast<uint16_t*>(frame->data[0] + y * frame->linesize[0])[x] =
            reinterpret_cast<const uint16_t*>(semi->data[0] + y * semi->linesize[0])[x] >> 6;
      } else {
        frame->data[0][y * frame->linesize[0] + x] = semi->data[0][y * semi->linesize[0] + x];
      }
    }
  }
  for (int y = 0; y < (semi->height + 1) / 2; ++y) {
    for (int x = 0; x < (semi->width + 1) / 2; ++x) {
      for (int plane = 1; plane <= 2; ++plane) {
        if (tenBit) {
          const auto* row = reinterpret_cast<const uint16_t*>(semi->data[1] + y * semi->linesize[1]);
          reinterpret_cast<uint16_t*>(frame->data[plane] + y * frame->linesize[plane])[x] =
              row[2 * x + plane - 1] >> 6;
        } else {
          frame->data[plane][y * frame->linesize[plane] + x] =
              semi->data[1][y * semi->linesize[1] + 2 * x + plane - 1];
        }
      }
    }
  }
  return frame;
}

color::YuvPlanes planesOf(const AVFrame* frame) {
  color::YuvPlanes p;
  p.y = frame->data[0];
  p.yPitch = frame->linesize[0];
  p.uv = frame->data[1];
  p.uvPitch = frame->linesize[1];
  p.width = frame->width;
  p.height = frame->height;
  p.sixteenBit = frame->format != AV_PIX_FMT_NV12;
  return p;
}

// Fraction of values within 2 levels, and the largest difference.
std::pair<double, int> compare(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int worst = 0;
  size_t close = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int d = std::abs(static_cast<int>(a[i]) - static_cast<int>(b[i]));
    worst = std::max(worst, d);
    close += d <= 2 ? 1 : 0;
  }
  return {static_cast<double>(close) / static_cast<double>(a.size()), worst};
}

// swscale's rgb24 -> NV12 or P010 conversion of a w x h picture with the
// matrix and range of `c`: the Y plane then the interleaved UV plane, w * h
// * 3 / 2 samples (bytes for NV12, 16-bit words for P010) in `out`.
template <typename Sample>
void swscaleFromRgb(const std::vector<uint8_t>& rgb, int w, int h, const Case& c,
                    std::vector<Sample>& out) {
  static_assert(sizeof(Sample) == 1 || sizeof(Sample) == 2);
  AVPixelFormat format = sizeof(Sample) == 1 ? AV_PIX_FMT_NV12 : AV_PIX_FMT_P010LE;
  UniqueSwsContext sws(sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, format, SWS_BICUBIC,
                                      nullptr, nullptr, nullptr));
  ASSERT_TRUE(sws);
  int* invTable = nullptr;
  int* table = nullptr;
  int srcRange = 0, dstRange = 0, brightness = 0, contrast = 0, saturation = 0;
  ASSERT_GE(sws_getColorspaceDetails(sws.get(), &invTable, &srcRange, &table, &dstRange,
                                     &brightness, &contrast, &saturation),
            0);
  sws_setColorspaceDetails(sws.get(), invTable, srcRange, sws_getCoefficients(c.space),
                           c.full ? 1 : 0, brightness, contrast, saturation);
  // Room for swscale's writes past the end of a plane.
  out.assign(w * h * 3 / 2 + 256, 0);
  const uint8_t* src[1] = {rgb.data()};
  int srcStride[1] = {w * 3};
  uint8_t* dst[2] = {reinterpret_cast<uint8_t*>(out.data()),
                     reinterpret_cast<uint8_t*>(out.data() + w * h)};
  int stride = w * static_cast<int>(sizeof(Sample));
  int dstStride[2] = {stride, stride};
  ASSERT_EQ(sws_scale(sws.get(), src, srcStride, 0, h, dst, dstStride), h);
  out.resize(w * h * 3 / 2);
}

// The CPU path's RGB24 (ColorConverter) of a 4:2:0 frame given as NV12 or
// P010 (converted from the same samples in yuv420p / yuv420p10le).
std::vector<uint8_t> cpuPath(const AVFrame* semi) {
  int w = semi->width, h = semi->height;
  std::vector<uint8_t> out(static_cast<size_t>(w) * h * 3 + 256);
  ColorConverter converter;
  UniqueAVFrame planar = toPlanar(semi);
  converter.convert(planar.get(), AV_PIX_FMT_RGB24, w, h, out.data(), w * 3);
  out.resize(static_cast<size_t>(w) * h * 3);
  return out;
}

// How many values differ, and by how much at most.
std::pair<size_t, int> mismatches(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t count = 0;
  int worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int d = std::abs(static_cast<int>(a[i]) - static_cast<int>(b[i]));
    count += d != 0 ? 1 : 0;
    worst = std::max(worst, d);
  }
  return {count, worst};
}

void checkAgainstSwscale(bool tenBit, int w, int h) {
  for (const Space& c : kSpaces) {
    SCOPED_TRACE(std::string(tenBit ? "p010 " : "nv12 ") + nameOf(c) + " " + std::to_string(w) +
                 "x" + std::to_string(h));
    UniqueAVFrame frame = makeFrame(tenBit, c, w, h);
    std::vector<uint8_t> expected = cpuPath(frame.get());
    std::vector<uint8_t> got(expected.size());
    YuvToRgb coefficients = coefficientsOf(frame.get());
    yuvToRgbReference(planesOf(frame.get()), coefficients, {got.data(), w * 3, false});
    // swscale's own integers: bit for bit.
    auto [count, worst] = mismatches(got, expected);
    EXPECT_EQ(count, 0u) << "largest difference " << worst;

    // Float output against the CPU path's float source: RGB48 for deep
    // video, RGB24 otherwise; not at odd widths, whose chroma swscale
    // interpolates horizontally and float output does not.
    if (w % 2 == 1) {
      continue;
    }
    std::vector<double> expectedFloat(expected.size());
    if (tenBit) {
      std::vector<uint16_t> rgb48(expected.size() + 256);
      ColorConverter deep;
      UniqueAVFrame planar = toPlanar(frame.get());
      deep.convert(planar.get(), AV_PIX_FMT_RGB48LE, w, h,
                   reinterpret_cast<uint8_t*>(rgb48.data()), w * 6);
      for (size_t i = 0; i < expectedFloat.size(); ++i) {
        expectedFloat[i] = rgb48[i] / 65535.0 * 255.0;
      }
    } else {
      expectedFloat.assign(expected.begin(), expected.end());
    }
    std::vector<float> floats(expected.size());
    yuvToRgbReference(planesOf(frame.get()), coefficients, {floats.data(), w * 3 * 4, true});
    double worstFloat = 0;
    for (size_t i = 0; i < floats.size(); ++i) {
      ASSERT_GE(floats[i], 0.0f);
      ASSERT_LE(floats[i], 1.0f);
      worstFloat = std::max(worstFloat, std::abs(floats[i] * 255.0 - expectedFloat[i]));
    }
    // Odd 8-bit heights: the CPU path's RGB24 comes from swscale's tables,
    // offset by 17.53 (Note [YUV to RGB arithmetic]), float keeps 16.
    EXPECT_LE(worstFloat, !tenBit && h % 2 == 1 ? 4.5 : 3.0);
  }
}

}  // namespace

TEST(YuvRgbTest, Nv12MatchesSwscaleForEveryMatrixAndRange) {
  // Even heights (swscale's unscaled converter) and odd ones (its scaled
  // path), widths on and off its vector sizes.
  // Odd widths too, which swscale converts on its full-chroma path.
  for (auto [w, h] : {std::pair{kWidth, kHeight}, {650, 370}, {650, 371}, {320, 241}, {256, 9},
                      {1000, 3}, {2, 2}, {64, 1}, {651, 371}, {101, 65}, {33, 17}, {17, 5},
                      {33, 16}}) {
    checkAgainstSwscale(false, w, h);
  }
}

TEST(YuvRgbTest, P010MatchesSwscaleForEveryMatrixAndRange) {
  for (auto [w, h] : {std::pair{kWidth, kHeight}, {650, 370}, {320, 241}, {101, 65}, {33, 18}}) {
    checkAgainstSwscale(true, w, h);
  }
}

// 4:4:4 (NVDEC's yuv444p and yuv444p16, the CPU path's yuv444p and
// yuv444p10le) through swscale's full-chroma path: bit for bit, odd sizes
// included.
TEST(YuvRgbTest, Yuv444MatchesSwscaleForEveryMatrixAndRange) {
  std::mt19937 rng(11);
  for (bool deep : {false, true}) {
    for (auto [w, h] : {std::pair{320, 240}, {101, 65}, {64, 7}}) {
      for (const Space& c : kSpaces) {
        SCOPED_TRACE(std::string(deep ? "yuv444p16 " : "yuv444p ") + nameOf(c) + " " +
                     std::to_string(w) + "x" + std::to_string(h));
        UniqueAVFrame planar = allocFrame();
        UniqueAVFrame nvdec = allocFrame();
        planar->format = deep ? AV_PIX_FMT_YUV444P10LE : AV_PIX_FMT_YUV444P;
        nvdec->format = deep ? AV_PIX_FMT_YUV444P16LE : AV_PIX_FMT_YUV444P;
        for (AVFrame* f : {planar.get(), nvdec.get()}) {
          f->width = w;
          f->height = h;
          f->colorspace = c.space;
          f->color_range = c.range;
          ASSERT_EQ(av_frame_get_buffer(f, 0), 0);
        }
        for (int plane = 0; plane < 3; ++plane) {
          for (int y = 0; y < h; ++y) {
            uint8_t* a = planar->data[plane] + static_cast<ptrdiff_t>(y) * planar->linesize[plane];
            uint8_t* b = nvdec->data[plane] + static_cast<ptrdiff_t>(y) * nvdec->linesize[plane];
            for (int x = 0; x < w; ++x) {
              if (deep) {
                auto v = static_cast<uint16_t>(rng() % 1024);
                reinterpret_cast<uint16_t*>(a)[x] = v;
                reinterpret_cast<uint16_t*>(b)[x] = static_cast<uint16_t>(v << 6);
              } else {
                a[x] = b[x] = static_cast<uint8_t>(rng());
              }
            }
          }
        }
        std::vector<uint8_t> expected(static_cast<size_t>(w) * h * 3 + 256);
        ColorConverter converter;
        converter.convert(planar.get(), AV_PIX_FMT_RGB24, w, h, expected.data(), w * 3);
        expected.resize(static_cast<size_t>(w) * h * 3);
        color::YuvPlanes p;
        ASSERT_TRUE(framePlanes(nvdec.get(), nvdec->format, p));
        std::vector<uint8_t> got(expected.size());
        yuvToRgbReference(p, coefficientsOf(nvdec.get()), {got.data(), w * 3, false});
        auto [count, worst] = mismatches(got, expected);
        EXPECT_EQ(count, 0u) << "largest difference " << worst;
      }
    }
  }
}

// swscale's SIMD converter leaves the last 1 to 7 pixels of rows 16 k + 1
// .. 16 k + 7 pixels wide unwritten when rows are packed tight (the CPU
// path's RGB rows are): ColorConverter converts every column, equal to the
// kernels' reference, at such widths and at the even ones beside them.
TEST(YuvRgbTest, CpuPathConvertsEveryColumn) {
  for (auto [w, h] : {std::pair{100, 64}, {854, 48}, {33, 16}, {6, 4}, {2, 2}, {104, 8}}) {
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    UniqueAVFrame frame = makeFrame(false, kSpaces[3], w, h, 9);
    UniqueAVFrame planar = toPlanar(frame.get());
    std::vector<uint8_t> cpu(static_cast<size_t>(w) * h * 3 + 256, 0xAB);
    ColorConverter converter;
    converter.convert(planar.get(), AV_PIX_FMT_RGB24, w, h, cpu.data(), w * 3);
    cpu.resize(static_cast<size_t>(w) * h * 3);
    std::vector<uint8_t> got(cpu.size());
    yuvToRgbReference(planesOf(frame.get()), coefficientsOf(frame.get()),
                      {got.data(), w * 3, false});
    auto [count, worst] = mismatches(got, cpu);
    EXPECT_EQ(count, 0u) << "largest difference " << worst;
  }
}

// Every (Y, U, V) triple once: a 4096 x 4096 frame whose 2x2 blocks hold
// each (U, V) pair 64 times, each with a 16 x 16 square of every luma
// value; and the same frame one row shorter, which swscale converts on
// its scaled path (chroma filtered across the blocks' edges).
TEST(YuvRgbTest, Nv12IsSwscaleBitForBitForEveryYuvTriple) {
  for (int h : {4096, 4095}) {
    const int w = 4096;
    for (const Space& c : kSpaces) {
      SCOPED_TRACE(nameOf(c) + " height " + std::to_string(h));
      UniqueAVFrame frame = allocFrame();
      frame->format = AV_PIX_FMT_NV12;
      frame->width = w;
      frame->height = h;
      frame->colorspace = c.space;
      frame->color_range = c.range;
      ASSERT_EQ(av_frame_get_buffer(frame.get(), 0), 0);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          frame->data[0][static_cast<ptrdiff_t>(y) * frame->linesize[0] + x] =
              static_cast<uint8_t>((y % 16) * 16 + x % 16);
        }
      }
      for (int y = 0; y < (h + 1) / 2; ++y) {
        uint8_t* row = frame->data[1] + static_cast<ptrdiff_t>(y) * frame->linesize[1];
        for (int x = 0; x < w / 2; ++x) {
          row[2 * x] = static_cast<uint8_t>(x / 8);
          row[2 * x + 1] = static_cast<uint8_t>(y / 8);
        }
      }
      std::vector<uint8_t> expected = cpuPath(frame.get());
      std::vector<uint8_t> got(expected.size());
      yuvToRgbReference(planesOf(frame.get()), coefficientsOf(frame.get()),
                        {got.data(), w * 3, false});
      auto [count, worst] = mismatches(got, expected);
      EXPECT_EQ(count, 0u) << "largest difference " << worst;
    }
  }
}

TEST(YuvRgbTest, MatricesDiffer) {
  // Saturated red differs between the matrices: the tables are really used.
  uint8_t y[2] = {81, 81}, uv[2] = {90, 240};
  color::YuvPlanes p{y, 1, uv, 2, 1, 2, false};
  const int spaces[] = {AVCOL_SPC_BT470BG, AVCOL_SPC_BT709, AVCOL_SPC_BT2020_NCL};
  uint8_t out[3][6];
  for (int m = 0; m < 3; ++m) {
    yuvToRgbReference(p, yuvToRgbFor(spaces[m], false), {out[m], 3, false});
  }
  EXPECT_NEAR(out[0][0], 254, 2);  // BT.601 red
  EXPECT_NE(out[0][1], out[1][1]);
  EXPECT_NE(out[1][1], out[2][1]);
}

TEST(YuvRgbTest, RgbToNv12MatchesSwscale) {
  int w = kWidth, h = kHeight;
  std::vector<uint8_t> rgb(w * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &rgb[(y * w + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / (w - 1));
      p[1] = static_cast<uint8_t>(std::lround(127.5 + 127.5 * std::sin(y * 0.1 + x * 0.01)));
      p[2] = static_cast<uint8_t>(y * 255 / (h - 1));
    }
  }
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(matrixName(c.matrix)) + (c.full ? " full" : " limited"));
    Tensor input = Tensor::fromBlob(rgb.data(), {h, w, 3}, {}, DType::UInt8, Device::cpu(), nullptr);
    Tensor nv12 = rgbToNv12(input, c.matrix, c.full);
    ASSERT_EQ(nv12.shape(), (std::vector<int64_t>{h * 3 / 2, w}));

    std::vector<uint8_t> expected;
    ASSERT_NO_FATAL_FAILURE(swscaleFromRgb(rgb, w, h, c, expected));
    std::vector<uint8_t> got(nv12.dataAs<uint8_t>(), nv12.dataAs<uint8_t>() + w * h * 3 / 2);
    auto [fraction, worst] = compare(got, expected);
    EXPECT_GE(fraction, 0.99);
    EXPECT_LE(worst, 3);
  }
}

// The encoders' kernel writes P010 for 10-bit NVENC output: its CPU
// reference against swscale's rgb24 -> p010le, in 10-bit levels.
TEST(YuvRgbTest, RgbToP010MatchesSwscale) {
  int w = kWidth, h = kHeight;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(0, 255);
  std::vector<uint8_t> rgb(w * h * 3);
  for (auto& v : rgb) {
    v = static_cast<uint8_t>(value(rng));
  }
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(matrixName(c.matrix)) + (c.full ? " full" : " limited"));
    std::vector<uint16_t> got(w * h * 3 / 2);
    uint8_t* base = reinterpret_cast<uint8_t*>(got.data());
    rgbToNv12Reference({rgb.data(), w * 3, 3, 1}, w, h, c.matrix, c.full,
                       {base, w * 2, base + w * h * 2, w * 2, true});
    std::vector<uint16_t> expected;
    ASSERT_NO_FATAL_FAILURE(swscaleFromRgb(rgb, w, h, c, expected));
    int worstLuma = 0;
    double sumLuma = 0;
    for (int i = 0; i < w * h; ++i) {
      EXPECT_EQ(got[i] & 63, 0) << "P010 keeps its samples in the high 10 bits";
      int d = std::abs((got[i] >> 6) - (expected[i] >> 6));
      worstLuma = std::max(worstLuma, d);
      sumLuma += d;
    }
    // Luma is per pixel in both: within a 10-bit level (measured on
    // FFmpeg 5.1: at most 1, 0.016 to 0.031 on average). Chroma is the 2x2
    // mean here and swscale's filtered value there, which a random picture
    // makes differ a lot: it is checked against the NV12 reference, the
    // same value with two more bits (measured: within 2 10-bit levels).
    EXPECT_LE(worstLuma, 1);
    EXPECT_LT(sumLuma / (w * h), 0.1);
    std::vector<uint8_t> nv12(w * h * 3 / 2);
    rgbToNv12Reference({rgb.data(), w * 3, 3, 1}, w, h, c.matrix, c.full,
                       {nv12.data(), w, nv12.data() + w * h, w, false});
    for (int i = w * h; i < w * h * 3 / 2; ++i) {
      int tenBit = got[i] >> 6;
      EXPECT_LE(std::abs(tenBit - nv12[i] * 4), 2) << "at " << i;
    }
  }
}

TEST(YuvRgbTest, RgbToNv12ReadsPlanesAsPackedPixels) {
  int w = 34, h = 18;  // blocks cut by no edge, sizes not multiples of 32
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> value(0, 255);
  std::vector<uint8_t> packed(w * h * 3), planes(w * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c) {
        auto v = static_cast<uint8_t>(value(rng));
        packed[(y * w + x) * 3 + c] = v;
        planes[c * w * h + y * w + x] = v;
      }
    }
  }
  std::vector<uint8_t> a(w * h * 3 / 2), b(w * h * 3 / 2);
  rgbToNv12Reference({packed.data(), w * 3, 3, 1}, w, h, YuvMatrix::Bt709, false,
                     {a.data(), w, a.data() + w * h, w, false});
  rgbToNv12Reference({planes.data(), w, 1, w * h}, w, h, YuvMatrix::Bt709, false,
                     {b.data(), w, b.data() + w * h, w, false});
  EXPECT_EQ(a, b);
}

TEST(YuvRgbTest, RgbToNv12RejectsOddSizesAndBadLayouts) {
  std::vector<uint8_t> rgb(5 * 4 * 3);
  Tensor odd = Tensor::fromBlob(rgb.data(), {4, 5, 3}, {}, DType::UInt8, Device::cpu(), nullptr);
  EXPECT_THROW(rgbToNv12(odd, YuvMatrix::Bt601, false), Error);
  Tensor planar = Tensor::fromBlob(rgb.data(), {3, 4, 5}, {}, DType::UInt8, Device::cpu(), nullptr);
  EXPECT_THROW(rgbToNv12(planar, YuvMatrix::Bt601, false), Error);
}

TEST(YuvRgbTest, BuildReportsCuda) {
#ifdef CODECFLOW_TEST_EXPECT_CUDA
  EXPECT_TRUE(builtWithCuda());
#endif
  if (!builtWithCuda()) {
    EXPECT_THROW(cudaDeviceCount(), Error);
  }
}

// The coefficients are swscale's, derived from sws_getCoefficients: its
// SIMD converter's factors in 1/8192 (rounded from 16.16), for FCC and SMPTE
// 240M as for the rest.
TEST(YuvRgbTest, CoefficientsComeFromSwscale) {
  for (int space : {AVCOL_SPC_BT470BG, AVCOL_SPC_BT709, AVCOL_SPC_FCC, AVCOL_SPC_SMPTE240M,
                    AVCOL_SPC_BT2020_NCL}) {
    SCOPED_TRACE(space);
    const int* table = sws_getCoefficients(space);
    YuvToRgb limited = yuvToRgbFor(space, false);
    EXPECT_EQ(limited.fixed.vr, (table[0] * 8192LL + 32768) >> 16);
    EXPECT_EQ(limited.fixed.ub, (table[1] * 8192LL + 32768) >> 16);
    EXPECT_EQ(limited.fixed.ug, (-table[2] * 8192LL + 32768) >> 16);
    EXPECT_EQ(limited.fixed.yCoeff, 9539);  // 255 / 219 in 1/8192
    EXPECT_EQ(limited.fixed.yOffset, 128);  // 16, times 8
    EXPECT_NEAR(limited.rV * limited.cScale, table[0] / 65536.0, 1e-5);
    YuvToRgb full = yuvToRgbFor(space, true);
    EXPECT_EQ(full.fixed.yCoeff, 8192);
    EXPECT_EQ(full.fixed.yOffset, 0);
    EXPECT_NEAR(full.bU, table[1] / 65536.0 * 224 / 255, 1e-5);
  }
  // BT.601's aliases share its numbers; FCC and SMPTE 240M have their own.
  YuvToRgb bt601 = yuvToRgbFor(AVCOL_SPC_BT470BG, false);
  for (int space : {AVCOL_SPC_UNSPECIFIED, AVCOL_SPC_SMPTE170M}) {
    EXPECT_EQ(yuvToRgbFor(space, false).fixed.vg, bt601.fixed.vg);
  }
  for (int space : {AVCOL_SPC_FCC, AVCOL_SPC_SMPTE240M}) {
    EXPECT_NE(yuvToRgbFor(space, false).fixed.vg, bt601.fixed.vg);
  }
}
