// The CPU reference of the CUDA transform kernels (TransformPlan.h, the
// kernels' per-pixel code) against FramePipeline, the CPU path, on real
// decoded frames in the layouts NVDEC produces (NV12, P010, P016, yuv444p,
// yuv444p16): resize up and down to odd sizes, centred and placed crops,
// rotation, chains of them, uint8 and float output.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "MediaPath.h"
#include "codecflow/Error.h"
#include "convert/ColorConverter.h"
#include "convert/FramePipeline.h"
#include "convert/ImageResizer.h"
#include "convert/TransformPlan.h"
#include "convert/YuvRgb.h"
#include "ffmpeg/FFmpeg.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

using namespace codecflow;

namespace {

// Frame `index` of the file's video stream, decoded in software.
UniqueAVFrame decodeFrame(const std::string& file, int index) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, mediaPath(file).c_str(), nullptr, nullptr) != 0) {
    ADD_FAILURE() << "cannot open " << mediaPath(file) << " (generate the test media)";
    return UniqueAVFrame();
  }
  std::unique_ptr<AVFormatContext, void (*)(AVFormatContext*)> format(
      raw, [](AVFormatContext* f) { avformat_close_input(&f); });
  EXPECT_GE(avformat_find_stream_info(format.get(), nullptr), 0);
  int stream = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  EXPECT_GE(stream, 0);
  const AVCodecParameters* par = format->streams[stream]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  std::unique_ptr<AVCodecContext, void (*)(AVCodecContext*)> context(
      avcodec_alloc_context3(codec), [](AVCodecContext* c) { avcodec_free_context(&c); });
  avcodec_parameters_to_context(context.get(), par);
  EXPECT_EQ(avcodec_open2(context.get(), codec, nullptr), 0);
  UniqueAVFrame frame = allocFrame();
  AVPacket* packet = av_packet_alloc();
  int seen = 0;
  bool draining = false;
  while (true) {
    int rc = avcodec_receive_frame(context.get(), frame.get());
    if (rc == 0) {
      if (seen++ == index) {
        break;
      }
      av_frame_unref(frame.get());
      continue;
    }
    if (rc == AVERROR_EOF) {
      ADD_FAILURE() << "no frame " << index << " in " << file;
      av_packet_free(&packet);
      return UniqueAVFrame();
    }
    if (draining) {
      continue;
    }
    if (av_read_frame(format.get(), packet) < 0) {
      avcodec_send_packet(context.get(), nullptr);
      draining = true;
      continue;
    }
    if (packet->stream_index == stream) {
      avcodec_send_packet(context.get(), packet);
    }
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  return frame;
}

enum class Layout { Nv12, P010, P016, Yuv444, Yuv444p16 };

int bits(const AVFrame* f) { return f->format == AV_PIX_FMT_YUV420P10LE ? 10 : 8; }

// The decoded samples in an NVDEC output layout (what the CUDA sink gets),
// or (`planar`) the same samples in the planar format a software decoder
// gives the CPU path. 16-bit layouts hold the sample in the high bits: P010
// and yuv444p16 carry the 10-bit source as it is, P016 a 12-bit version of
// it (yuv420p12le when planar); 4:4:4 from a 4:2:0 source repeats each
// chroma sample over its 2x2 block.
UniqueAVFrame toLayout(const AVFrame* src, Layout layout, bool planar) {
  UniqueAVFrame out = allocFrame();
  bool four44 = layout == Layout::Yuv444 || layout == Layout::Yuv444p16;
  bool sixteen = layout == Layout::P010 || layout == Layout::P016 || layout == Layout::Yuv444p16;
  int depth = layout == Layout::P016 ? 12 : (sixteen ? 10 : 8);
  if (planar) {
    out->format = four44 ? (sixteen ? AV_PIX_FMT_YUV444P10LE : AV_PIX_FMT_YUV444P)
                  : depth == 12 ? AV_PIX_FMT_YUV420P12LE
                  : depth == 10 ? AV_PIX_FMT_YUV420P10LE
                                : AV_PIX_FMT_YUV420P;
  } else {
    out->format = layout == Layout::Nv12     ? AV_PIX_FMT_NV12
                  : layout == Layout::P010   ? AV_PIX_FMT_P010LE
                  : layout == Layout::P016   ? AV_PIX_FMT_P016LE
                  : layout == Layout::Yuv444 ? AV_PIX_FMT_YUV444P
                                             : AV_PIX_FMT_YUV444P16LE;
  }
  out->width = src->width;
  out->height = src->height;
  out->colorspace = src->colorspace;
  out->color_range = src->color_range;
  EXPECT_EQ(av_frame_get_buffer(out.get(), 0), 0);
  int srcDepth = bits(src);
  EXPECT_TRUE(srcDepth == depth || (depth == 12 && srcDepth == 10)) << "source depth";
  bool src444 = src->format == AV_PIX_FMT_YUV444P;
  auto sample = [&](int plane, int x, int y) -> int {
    const uint8_t* row = src->data[plane] + static_cast<ptrdiff_t>(y) * src->linesize[plane];
    return srcDepth > 8 ? reinterpret_cast<const uint16_t*>(row)[x] : row[x];
  };
  auto widen = [&](int v) -> int {
    if (depth == 12) {
      v = (v << 2) | (v >> 8);
    }
    return sixteen && !planar ? v << (16 - depth) : v;
  };
  bool words = depth > 8;
  auto put = [&](int plane, int x, int v, int y) {
    uint8_t* row = out->data[plane] + static_cast<ptrdiff_t>(y) * out->linesize[plane];
    if (words) {
      reinterpret_cast<uint16_t*>(row)[x] = static_cast<uint16_t>(v);
    } else {
      row[x] = static_cast<uint8_t>(v);
    }
  };
  for (int y = 0; y < src->height; ++y) {
    for (int x = 0; x < src->width; ++x) {
      put(0, x, widen(sample(0, x, y)), y);
      if (four44) {
        int cx = src444 ? x : x / 2, cy = src444 ? y : y / 2;
        put(1, x, widen(sample(1, cx, cy)), y);
        put(2, x, widen(sample(2, cx, cy)), y);
      }
    }
  }
  if (!four44) {
    for (int y = 0; y < (src->height + 1) / 2; ++y) {
      for (int x = 0; x < (src->width + 1) / 2; ++x) {
        if (planar) {
          put(1, x, widen(sample(1, x, y)), y);
          put(2, x, widen(sample(2, x, y)), y);
        } else {
          put(1, 2 * x, widen(sample(1, x, y)), y);
          put(1, 2 * x + 1, widen(sample(2, x, y)), y);
        }
      }
    }
  }
  return out;
}

// The planes the CUDA sink hands the kernels (framePlanes: the layout,
// and the frame's top/left crop if any).
color::YuvPlanes planesOf(const AVFrame* f) {
  color::YuvPlanes p;
  EXPECT_TRUE(framePlanes(f, f->format, p));
  return p;
}

YuvToRgb coefficientsOf(const AVFrame* f) {
  return yuvToRgbFor(f->colorspace, f->color_range == AVCOL_RANGE_JPEG);
}

struct Outputs {
  std::vector<double> cpu;        // FramePipeline, on the 0..255 scale
  std::vector<double> reference;  // transformReference, same scale
  TransformPlan plan;
};

// `frame` in an NVDEC layout through the reference, `planar` (the same
// samples as a software decoder gives them) through FramePipeline.
Outputs run(const AVFrame* frame, const AVFrame* planar, std::optional<double> rotation,
            const std::vector<TransformStep>& steps, bool floatOutput) {
  Outputs o;
  color::YuvPlanes planes = planesOf(frame);
  FramePipeline pipeline(planes.width, planes.height, rotation, steps, floatOutput);
  int w = pipeline.outputWidth(), h = pipeline.outputHeight();
  size_t n = static_cast<size_t>(w) * h * 3;
  ColorConverter converter;
  Tensor cpu = pipeline.allocate(1);
  pipeline.write(planar, converter, static_cast<uint8_t*>(cpu.data()));
  o.plan = makeTransformPlan(planes.width, planes.height, pipeline.clockwiseQuarterTurns(),
                             pipeline.steps(), floatOutput);
  EXPECT_EQ(o.plan.outputWidth(), w);
  EXPECT_EQ(o.plan.outputHeight(), h);
  std::vector<uint8_t> ref(n * (floatOutput ? 4 : 1));
  transformReference(o.plan, planes, coefficientsOf(frame), ref.data(),
                     static_cast<int64_t>(w) * 3 * (floatOutput ? 4 : 1));
  auto scale = [&](const uint8_t* data, std::vector<double>& into) {
    into.resize(n);
    for (size_t i = 0; i < n; ++i) {
      into[i] = floatOutput ? reinterpret_cast<const float*>(data)[i] * 255.0 : data[i];
    }
  };
  scale(static_cast<const uint8_t*>(cpu.data()), o.cpu);
  scale(ref.data(), o.reference);
  return o;
}

struct Diff {
  double identical = 0;  // fraction of equal values
  double withinOne = 0;  // fraction of values within 1 level
  double withinTwo = 0;
  double worst = 0;
};

Diff compare(const std::vector<double>& a, const std::vector<double>& b) {
  Diff d;
  size_t same = 0, close = 0, two = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double e = std::abs(a[i] - b[i]);
    same += e == 0.0 ? 1 : 0;
    d.worst = std::max(d.worst, e);
    close += e <= 1.0 + 1e-6 ? 1 : 0;
    two += e <= 2.0 + 1e-6 ? 1 : 0;
  }
  d.identical = static_cast<double>(same) / static_cast<double>(a.size());
  d.withinOne = static_cast<double>(close) / static_cast<double>(a.size());
  d.withinTwo = static_cast<double>(two) / static_cast<double>(a.size());
  return d;
}

using Step = TransformStep;
Step resize(int h, int w) { return Step::make(Step::Kind::Resize, h, w); }
Step crop(int h, int w, int top = -1, int left = -1) {
  return Step::make(Step::Kind::Crop, h, w, top, left);
}

struct Source {
  const char* file;
  Layout layout;
};

const Source kSources[] = {
    {"gradients.mp4", Layout::Nv12},        {"odd_size.mp4", Layout::Nv12},
    {"color_bt709.mp4", Layout::Nv12},      {"color_bt709_full.mp4", Layout::Nv12},
    {"color_bt601.mp4", Layout::Nv12},      {"yuv420p10.mp4", Layout::P010},
    {"yuv420p10.mp4", Layout::P016},        {"yuv444p.mp4", Layout::Yuv444},
    {"yuv420p10.mp4", Layout::Yuv444p16},   {"odd_size.mp4", Layout::Yuv444},
};

const char* layoutName(Layout l) {
  switch (l) {
    case Layout::Nv12:
      return "nv12";
    case Layout::P010:
      return "p010";
    case Layout::P016:
      return "p016";
    case Layout::Yuv444:
      return "yuv444p";
    case Layout::Yuv444p16:
      return "yuv444p16";
  }
  return "?";
}

// Whole frames through resize chains against the CPU path end to end.
TEST(TransformReferenceTest, ResizeMatchesTheCpuPath) {
  const std::vector<std::vector<Step>> chains = {
      {resize(224, 224)},    {resize(61, 97)},           {resize(501, 333)},
      {resize(480, 640)},    {resize(17, 1000)},         {resize(240, 123)},
      {resize(101, 151), crop(64, 80)},                   {crop(150, 200, 7, 11), resize(77, 93)},
      {resize(300, 300), crop(200, 100, 13, 190), resize(50, 25)},
  };
  for (const Source& s : kSources) {
    UniqueAVFrame decoded = decodeFrame(s.file, 5);
    ASSERT_TRUE(decoded);
    UniqueAVFrame frame = toLayout(decoded.get(), s.layout, false);
    UniqueAVFrame planar = toLayout(decoded.get(), s.layout, true);
    for (bool floatOutput : {false, true}) {
      for (const auto& chain : chains) {
        for (double rotation : {0.0, 90.0}) {
          SCOPED_TRACE(std::string(s.file) + " " + layoutName(s.layout) +
                       (floatOutput ? " float" : " uint8") + " rotation " +
                       std::to_string(rotation) + " chain of " + std::to_string(chain.size()));
          Outputs o = run(frame.get(), planar.get(), rotation, chain, floatOutput);
          Diff d = compare(o.reference, o.cpu);
          if (!floatOutput) {
            // The colour is swscale's bit for bit: the resize adds at most
            // its own differences, within 1 level
            // on 99% of values and 2 everywhere (measured: 99.56% or more
            // identical, never more than 1).
            EXPECT_GE(d.withinOne, 0.99);
            EXPECT_LE(d.worst, 2.0);
          } else {
            // The colour kernel's float differences from swscale's rgb48
            // (YuvRgbTest), filtered: within 3.5 levels, 2 on 70%.
            EXPECT_GE(d.withinTwo, 0.7);
            EXPECT_LE(d.worst, 3.5);
          }
          if (std::getenv("CODECFLOW_PRINT_DIFFS") != nullptr) {
            std::printf(
                "%s %s %s rot %.0f steps %zu: identical %.5f within1 %.5f within2 %.5f worst "
                "%.3f\n",
                s.file, layoutName(s.layout), floatOutput ? "float" : "uint8", rotation,
                chain.size(), d.identical, d.withinOne, d.withinTwo, d.worst);
          }
        }
      }
    }
  }
}

// The resize itself: the kernels' resize of a frame's working-type RGB
// (ColorMatrix.h's colour, rotated and cropped) against ImageResizer, the
// CPU path's resize, on the same RGB: within 1 level on 99% of values and
// 2 everywhere, up- and down-scaling, odd sizes, 8- and 16-bit.
TEST(TransformReferenceTest, ResizeArithmeticMatchesImageResizer) {
  const int sizes[][2] = {{224, 224}, {61, 97}, {501, 333}, {480, 640}, {17, 1000}, {240, 123},
                          {1, 1},     {3, 700}};
  for (const Source& s : kSources) {
    UniqueAVFrame decoded = decodeFrame(s.file, 7);
    ASSERT_TRUE(decoded);
    UniqueAVFrame frame = toLayout(decoded.get(), s.layout, false);
    YuvToRgb c = coefficientsOf(frame.get());
    for (bool deep : {false, true}) {
      for (double rotation : {0.0, 270.0}) {
        for (const auto& size : sizes) {
          std::vector<Step> chain = {crop(200, 150, 9, 17), resize(size[0], size[1])};
          FramePipeline pipeline(frame->width, frame->height, rotation, chain, deep);
          TransformPlan plan = makeTransformPlan(frame->width, frame->height,
                                                 pipeline.clockwiseQuarterTurns(),
                                                 pipeline.steps(), deep);
          // The resize's input, pixel by pixel with the kernels' reader.
          transform::SourceView view = sourceView(plan, planesOf(frame.get()), c);
          std::vector<uint16_t> words(static_cast<size_t>(plan.width) * plan.height * 3);
          std::vector<uint8_t> bytes(words.size());
          for (int y = 0; y < plan.height; ++y) {
            for (int x = 0; x < plan.width; ++x) {
              float rgb[3];
              transform::readView(view, x, y, rgb);
              for (int k = 0; k < 3; ++k) {
                size_t i = (static_cast<size_t>(y) * plan.width + x) * 3 + k;
                words[i] = static_cast<uint16_t>(rgb[k]);
                bytes[i] = static_cast<uint8_t>(rgb[k]);
              }
            }
          }
          int ow = size[1], oh = size[0];
          size_t n = static_cast<size_t>(ow) * oh * 3;
          ImageResizer resizer;
          std::vector<double> expected(n), got(n);
          std::vector<uint8_t> out(n * (deep ? 4 : 1));
          transformReference(plan, view.planes, c, out.data(),
                             static_cast<int64_t>(ow) * 3 * (deep ? 4 : 1));
          if (deep) {
            std::vector<uint16_t> resized(n);
            resizer.resize(words.data(), plan.width, plan.height, resized.data(), ow, oh);
            for (size_t i = 0; i < n; ++i) {
              expected[i] = resized[i] / 257.0;
              got[i] = reinterpret_cast<const float*>(out.data())[i] * 65535.0 / 257.0;
            }
          } else {
            std::vector<uint8_t> resized(n);
            resizer.resize(bytes.data(), plan.width, plan.height, resized.data(), ow, oh);
            expected.assign(resized.begin(), resized.end());
            got.assign(out.begin(), out.end());
          }
          SCOPED_TRACE(std::string(s.file) + " " + layoutName(s.layout) +
                       (deep ? " 16-bit " : " 8-bit ") + std::to_string(ow) + "x" +
                       std::to_string(oh) + " rotation " + std::to_string(rotation));
          Diff d = compare(got, expected);
          EXPECT_GE(d.withinOne, 0.99);
          EXPECT_LE(d.worst, 2.0);
          if (std::getenv("CODECFLOW_PRINT_DIFFS") != nullptr) {
            std::printf("resize %s %s %s %dx%d: within1 %.6f worst %.4f\n", s.file,
                        layoutName(s.layout), deep ? "16" : "8", ow, oh, d.withinOne, d.worst);
          }
        }
      }
    }
  }
}

// Without a resize, crops and rotation are index arithmetic: the reference
// equals its own unrotated, uncropped output rearranged, exactly, and the
// colour stays within the colour kernel's tolerance of the CPU path.
TEST(TransformReferenceTest, CropAndRotationAreExact) {
  for (const Source& s : kSources) {
    UniqueAVFrame decoded = decodeFrame(s.file, 3);
    ASSERT_TRUE(decoded);
    UniqueAVFrame frame = toLayout(decoded.get(), s.layout, false);
    UniqueAVFrame planar = toLayout(decoded.get(), s.layout, true);
    int fw = frame->width, fh = frame->height;
    Outputs whole = run(frame.get(), planar.get(), std::nullopt, {}, false);
    for (double rotation : {0.0, 90.0, 180.0, 270.0, -90.0}) {
      for (const auto& chain : std::vector<std::vector<Step>>{
               {}, {crop(101, 77)}, {crop(120, 160, 5, 9)}, {crop(200, 200), crop(33, 41, 3, 150)}}) {
        SCOPED_TRACE(std::string(s.file) + " " + layoutName(s.layout) + " rotation " +
                     std::to_string(rotation) + " crops " + std::to_string(chain.size()));
        Outputs o = run(frame.get(), planar.get(), rotation, chain, false);
        const TransformPlan& p = o.plan;
        int w = p.outputWidth(), h = p.outputHeight();
        bool mismatch = false;
        for (int y = 0; y < h && !mismatch; ++y) {
          for (int x = 0; x < w && !mismatch; ++x) {
            int sx, sy;
            transform::unturn(p.turns, fw, fh, x + p.left, y + p.top, sx, sy);
            for (int k = 0; k < 3; ++k) {
              double want = whole.reference[(static_cast<size_t>(sy) * fw + sx) * 3 + k];
              double got = o.reference[(static_cast<size_t>(y) * w + x) * 3 + k];
              if (want != got) {
                ADD_FAILURE() << "pixel " << x << "," << y << " channel " << k << ": " << got
                              << " vs " << want;
                mismatch = true;
              }
            }
          }
        }
        // uint8 colour of every layout is swscale's bit for bit
        // (YuvRgbTest).
        Diff d = compare(o.reference, o.cpu);
        EXPECT_EQ(d.worst, 0.0);
        if (std::getenv("CODECFLOW_PRINT_DIFFS") != nullptr) {
          std::printf("%s %s rot %.0f crops %zu: within1 %.5f within2 %.5f worst %.3f\n",
                      s.file, layoutName(s.layout), rotation, chain.size(), d.withinOne,
                      d.withinTwo, d.worst);
        }
      }
    }
  }
}

// Rotation against the CPU path's own rotation of the same frame: each
// pixel of the turned output differs from the CPU path exactly as its
// source pixel does unturned, so the quarter turns land every pixel where
// FramePipeline puts it.
TEST(TransformReferenceTest, RotationMatchesTheCpuPathPixelForPixel) {
  UniqueAVFrame decoded = decodeFrame("odd_size.mp4", 2);
  ASSERT_TRUE(decoded);
  UniqueAVFrame frame = toLayout(decoded.get(), Layout::Nv12, false);
  UniqueAVFrame planar = toLayout(decoded.get(), Layout::Nv12, true);
  int fw = frame->width, fh = frame->height;
  Outputs straight = run(frame.get(), planar.get(), std::nullopt, {}, false);
  for (double rotation : {90.0, 180.0, 270.0}) {
    SCOPED_TRACE(rotation);
    Outputs turned = run(frame.get(), planar.get(), rotation, {}, false);
    int w = turned.plan.outputWidth(), h = turned.plan.outputHeight();
    int wrong = 0;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        int sx, sy;
        transform::unturn(turned.plan.turns, fw, fh, x, y, sx, sy);
        for (int k = 0; k < 3; ++k) {
          size_t i = (static_cast<size_t>(y) * w + x) * 3 + k;
          size_t j = (static_cast<size_t>(sy) * fw + sx) * 3 + k;
          wrong += turned.cpu[i] != straight.cpu[j] || turned.reference[i] != straight.reference[j];
        }
      }
    }
    EXPECT_EQ(wrong, 0);
  }
}

// A top/left crop libavcodec leaves to the CUDA sink (crop_top,
// crop_left), odd ones included: the kernels' planes start where
// av_frame_apply_cropping puts the CPU path's, so frames equal the CPU
// path's bit for bit, alone or before a resize (within its 1 level). (An
// odd left crop
// leaves an odd width, which swscale converts on a path of its own: see
// docs/cuda.md.)
TEST(TransformReferenceTest, OddCropsMatchTheCpuPath) {
  const int crops[][2] = {{1, 1}, {3, 0}, {0, 5}, {2, 3}, {7, 2}, {2, 4}};
  for (const Source& s :
       {Source{"odd_size.mp4", Layout::Nv12}, Source{"gradients.mp4", Layout::Nv12},
        Source{"yuv420p10.mp4", Layout::P010}, Source{"yuv444p.mp4", Layout::Yuv444}}) {
    UniqueAVFrame decoded = decodeFrame(s.file, 4);
    ASSERT_TRUE(decoded);
    for (const auto& c : crops) {
      UniqueAVFrame frame = toLayout(decoded.get(), s.layout, false);
      UniqueAVFrame planar = toLayout(decoded.get(), s.layout, true);
      frame->crop_top = planar->crop_top = c[0];
      frame->crop_left = planar->crop_left = c[1];
      ASSERT_EQ(av_frame_apply_cropping(planar.get(), AV_FRAME_CROP_UNALIGNED), 0);
      for (const auto& chain : std::vector<std::vector<Step>>{{}, {resize(123, 201)}}) {
        SCOPED_TRACE(std::string(s.file) + " crop " + std::to_string(c[0]) + "," +
                     std::to_string(c[1]) + " steps " + std::to_string(chain.size()));
        Outputs o = run(frame.get(), planar.get(), std::nullopt, chain, false);
        EXPECT_EQ(o.plan.frameWidth, decoded->width - c[1]);
        EXPECT_EQ(o.plan.frameHeight, decoded->height - c[0]);
        Diff d = compare(o.reference, o.cpu);
        EXPECT_LE(d.worst, chain.empty() ? 0.0 : 2.0);
        EXPECT_GE(d.withinOne, 0.99);
      }
    }
  }
}

TEST(TransformReferenceTest, PlanFollowsTheResolvedSteps) {
  FramePipeline pipeline(640, 360, 90.0, {crop(300, 200), resize(100, 50), crop(20, 10, 3, 4)},
                         false);
  TransformPlan p = makeTransformPlan(640, 360, pipeline.clockwiseQuarterTurns(),
                                      pipeline.steps(), false);
  EXPECT_EQ(p.turns, 3);  // display angle 90: a counter-clockwise turn
  // Centred in the 360x640 rotated frame, as torchvision rounds it.
  EXPECT_EQ(p.top, 170);
  EXPECT_EQ(p.left, 80);
  EXPECT_EQ(p.width, 200);
  EXPECT_EQ(p.height, 300);
  ASSERT_EQ(p.resizes.size(), 1u);
  EXPECT_EQ(p.resizes[0].inWidth, 200);
  EXPECT_EQ(p.resizes[0].outHeight, 100);
  EXPECT_EQ(p.resizes[0].top, 3);
  EXPECT_EQ(p.resizes[0].left, 4);
  EXPECT_EQ(p.outputWidth(), 10);
  EXPECT_EQ(p.outputHeight(), 20);
  EXPECT_THROW(makeTransformPlan(64, 64, 0, {crop(10, 10, 60, 0)}, false), Error);
}

}  // namespace
