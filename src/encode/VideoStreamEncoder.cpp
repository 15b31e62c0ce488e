#include "encode/VideoStreamEncoder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "convert/ConverterContexts.h"
#include "encode/EncoderOptions.h"

extern "C" {
#include <libavutil/cpu.h>
}
#include "codecflow/Error.h"
#include "codecflow/Log.h"
#include "ffmpeg/Compat.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace codecflow {

namespace {

// Containers that store each frame's timestamp (rather than counting
// frames), so a fine time base costs nothing.
bool storesTimestamps(const AVOutputFormat* container) {
  if (container->flags & AVFMT_VARIABLE_FPS) {
    return true;
  }
  static constexpr std::array<const char*, 8> kNames{"mp4", "mov", "ipod", "3gp",
                                                     "3g2", "ismv", "f4v", "psp"};
  for (const char* name : kNames) {
    if (std::strcmp(container->name, name) == 0) {
      return true;
    }
  }
  return false;
}

std::string pixelFormatNames(const AVPixelFormat* formats) {
  std::vector<std::string> names;
  for (int i = 0; formats != nullptr && formats[i] != AV_PIX_FMT_NONE; ++i) {
    names.emplace_back(av_get_pix_fmt_name(formats[i]));
  }
  return joinNames(names);
}

bool contains(const AVPixelFormat* formats, AVPixelFormat format) {
  for (int i = 0; formats != nullptr && formats[i] != AV_PIX_FMT_NONE; ++i) {
    if (formats[i] == format) {
      return true;
    }
  }
  return false;
}

AVPixelFormat choosePixelFormat(const AVCodec* codec, const std::string& requested) {
  const AVPixelFormat* supported = compat::supportedPixelFormats(codec);
  if (requested.empty()) {
    if (supported == nullptr || contains(supported, AV_PIX_FMT_YUV420P)) {
      return AV_PIX_FMT_YUV420P;
    }
    return supported[0];
  }
  AVPixelFormat format = av_get_pix_fmt(requested.c_str());
  if (format == AV_PIX_FMT_NONE || (supported != nullptr && !contains(supported, format))) {
    fail(ErrorKind::InvalidArgument,
         "invalid pixel_format '" + requested + "' for encoder " + codec->name + "; allowed: " +
             (supported != nullptr ? pixelFormatNames(supported) : "any FFmpeg pixel format"));
  }
  return format;
}

// Appends `key=value` to the codec's `option` (x264-params, x265-params: a
// ':'-separated list) unless the caller's list already names `key`.
void addParamUnlessSet(AVCodecContext* c, const char* option, const std::string& key,
                       const std::string& value) {
  uint8_t* current = nullptr;
  std::string params;
  if (av_opt_get(c, option, AV_OPT_SEARCH_CHILDREN, &current) >= 0 && current != nullptr) {
    params = reinterpret_cast<const char*>(current);
  }
  av_free(current);
  if (params.find(key) != std::string::npos) {
    return;
  }
  if (!params.empty()) {
    params.push_back(':');
  }
  params.append(key + "=" + value);
  av_opt_set(c, option, params.c_str(), AV_OPT_SEARCH_CHILDREN);
}

// Note [libx264 without AVX-512]
// On CPUs with AVX-512, libx264's AVX-512 code (its macroblock-tree
// look-ahead) reads memory it never wrote: the same frames and options
// give different bitstreams depending on what the heap held before (the
// ffmpeg CLI shows it too, with MALLOC_PERTURB_). Without AVX-512 the
// output depends on the input only, so libx264 is told the CPU's other
// features and not that one, unless the caller chose x264-params asm.
void avoidX264Avx512(AVCodecContext* c) {
  int flags = av_get_cpu_flags();
  if (!(flags & AV_CPU_FLAG_AVX512) || std::strncmp(c->codec->name, "libx264", 7) != 0) {
    return;
  }
  struct Name {
    int flag;
    const char* name;
  };
  static constexpr std::array<Name, 14> kNames{{{AV_CPU_FLAG_MMXEXT, "MMX2"},
                                                {AV_CPU_FLAG_SSE, "SSE"},
                                                {AV_CPU_FLAG_SSE2, "SSE2"},
                                                {AV_CPU_FLAG_SSE3, "SSE3"},
                                                {AV_CPU_FLAG_SSSE3, "SSSE3"},
                                                {AV_CPU_FLAG_SSE4, "SSE4.1"},
                                                {AV_CPU_FLAG_SSE42, "SSE4.2"},
                                                {AV_CPU_FLAG_AVX, "AVX"},
                                                {AV_CPU_FLAG_XOP, "XOP"},
                                                {AV_CPU_FLAG_FMA4, "FMA4"},
                                                {AV_CPU_FLAG_FMA3, "FMA3"},
                                                {AV_CPU_FLAG_BMI1, "BMI1,LZCNT"},
                                                {AV_CPU_FLAG_BMI2, "BMI2"},
                                                {AV_CPU_FLAG_AVX2, "AVX2"}}};
  std::string asmFlags = "Cache64";
  for (const Name& n : kNames) {
    if (flags & n.flag) {
      asmFlags.push_back(',');
      asmFlags.append(n.name);
    }
  }
  addParamUnlessSet(c, "x264-params", "asm", asmFlags);
}

// libx265 prints its banner and statistics itself, past FFmpeg's log: it
// is given codecflow's level (x265LogLevel) unless the caller set one.
void quietX265(AVCodecContext* c) {
  if (std::strcmp(c->codec->name, "libx265") != 0) {
    return;
  }
  addParamUnlessSet(c, "x265-params", "log-level", x265LogLevel());
}

}  // namespace

UniqueSwsContext VideoStreamEncoder::makeScaler(AVPixelFormat srcFormat) const {
  const AVCodecContext* c = context_.get();
  // What the ffmpeg CLI's scale filter uses: bicubic, and slice threads
  // on every core.
  UniqueSwsContext scaler = openScaler(
      {c->width, c->height, srcFormat, c->width, c->height, c->pix_fmt, SWS_BICUBIC, 0});
  if (!scaler) {
    fail(ErrorKind::Unsupported, std::string("cannot convert RGB to ") +
                                     av_get_pix_fmt_name(c->pix_fmt));
  }
  return scaler;
}

VideoStreamEncoder::VideoStreamEncoder(const VideoStreamOptions& options, Muxer& muxer,
                                       int index)
    : options_(options), index_(index) {
  if (options.height <= 0 || options.width <= 0) {
    fail(ErrorKind::InvalidArgument, "invalid frame size " + std::to_string(options.width) + "x" +
                                         std::to_string(options.height) +
                                         ": height and width must be > 0");
  }
  FrameRate exact = options.exactRate.den > 0
                        ? exactFrameRate(options.exactRate.num, options.exactRate.den)
                        : exactFrameRate(options.frameRate);
  const AVCodec* codec = findEncoder(options.codec, AVMEDIA_TYPE_VIDEO, muxer.container());
  context_.reset(avcodec_alloc_context3(codec));
  if (!context_) {
    throw std::bad_alloc();
  }
  AVCodecContext* c = context_.get();
  c->width = options.width;
  c->height = options.height;
  c->pix_fmt = choosePixelFormat(codec, options.pixelFormat);
  AVRational rate{exact.num, exact.den};
  int ticks = 1;
  // FFmpeg's MPEG-video family (mpeg4, flv, h263, mpeg2video, ...: the
  // encoders with an mpv_flags option) spends its bits by the time base:
  // with several ticks per frame it encodes differently from the ffmpeg
  // CLI, which gives them one tick per frame.
  if (storesTimestamps(muxer.container()) && !hasOption(c, "mpv_flags")) {
    for (int k : {1000, 100, 10}) {
      if (static_cast<int64_t>(rate.num) * k <= INT32_MAX) {
        ticks = k;
        break;
      }
    }
  }
  ticksPerFrame_ = ticks;
  packetDuration_ = ticks;
  av_reduce(&c->time_base.num, &c->time_base.den, rate.den, static_cast<int64_t>(rate.num) * ticks,
            INT32_MAX);
  c->framerate = rate;
  compat::setTicksPerFrame(c, ticks);
  // As the ffmpeg CLI does: let the encoder pick its thread count.
  c->thread_count = 0;
  if (muxer.wantsGlobalHeader()) {
    c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  }
  // Where the encoder has no crf or preset option (mpeg4, flv, ...) they
  // are ignored, as the ffmpeg CLI and TorchCodec do.
  if (options.crf && hasOption(c, "crf")) {
    setCrf(c, *options.crf);
  }
  if (options.preset && hasOption(c, "preset")) {
    setPreset(c, *options.preset);
  }
  // A key the container knows (movflags, frag_duration, flush_packets)
  // goes to the muxer, one the encoder knows to the encoder (both when
  // both know it).
  for (const auto& [key, value] : options.extraOptions) {
    std::string label = "extra_options['" + key + "']";
    bool forMuxer = muxer.hasOption(key);
    if (forMuxer) {
      muxer.setOption(key, value, label);
    }
    if (!forMuxer || hasOption(c, key)) {
      setEncoderOption(c, key, value, label);
    }
  }
  avoidX264Avx512(c);
  quietX265(c);
  openCodec("video stream " + std::to_string(index));
}

void VideoStreamEncoder::check(const Tensor& frames, FrameLayout layout,
                               const std::vector<double>& ptsSeconds,
                               const std::vector<bool>& keyFrames) const {
  std::string where = "frames for video stream " + std::to_string(index_);
  if (frames.dtype() != DType::UInt8) {
    fail(ErrorKind::InvalidArgument,
         where + " must be uint8, got " + dtypeName(frames.dtype()));
  }
  if (!frames.device().isCpu()) {
    fail(ErrorKind::InvalidArgument, where + " must be on the CPU");
  }
  if (layout == FrameLayout::NV12) {
    if (frames.dim() != 3 || frames.size(1) != options_.height * 3 / 2 ||
        frames.size(2) != options_.width || options_.height % 2 != 0 ||
        frames.strides()[2] != 1 || frames.strides()[1] < options_.width) {
      fail(ErrorKind::InvalidArgument,
           where + " in NV12 must be (N, " + std::to_string(options_.height * 3 / 2) + ", " +
               std::to_string(options_.width) + ") with contiguous rows and an even height");
    }
  } else if (frames.dim() != 4) {
    fail(ErrorKind::InvalidArgument,
         where + " must be 4-D, got " + std::to_string(frames.dim()) + "-D");
  }
  checkTimes(frames.size(0), ptsSeconds, keyFrames);
  if (layout == FrameLayout::NV12) {
    return;
  }
  bool nchw = layout == FrameLayout::NCHW;
  int64_t c = frames.size(nchw ? 1 : 3);
  int64_t h = frames.size(nchw ? 2 : 1);
  int64_t w = frames.size(nchw ? 3 : 2);
  if (c != 3 || h != options_.height || w != options_.width) {
    fail(ErrorKind::InvalidArgument,
         where + " must have 3 (RGB) channels and size " + std::to_string(options_.height) + "x" +
             std::to_string(options_.width) + " (height x width), got shape (" +
             std::to_string(frames.size(0)) + ", " + std::to_string(frames.size(1)) + ", " +
             std::to_string(frames.size(2)) + ", " + std::to_string(frames.size(3)) + ") as " +
             (nchw ? "NCHW" : "NHWC"));
  }
  const auto& s = frames.strides();
  int64_t cStride = s[nchw ? 1 : 3];
  int64_t wStride = s[nchw ? 3 : 2];
  if (!((cStride == 1 && wStride == 3) || wStride == 1) || s[nchw ? 2 : 1] <= 0 ||
      s[nchw ? 2 : 1] > INT32_MAX) {
    fail(ErrorKind::InvalidArgument,
         where + " must be packed RGB (channels last) or planes with contiguous rows");
  }
}

void VideoStreamEncoder::checkTimes(int64_t count, const std::vector<double>& ptsSeconds,
                                    const std::vector<bool>& keyFrames) const {
  if (!ptsSeconds.empty() && static_cast<int64_t>(ptsSeconds.size()) != count) {
    fail(ErrorKind::InvalidArgument, "pts_seconds has " + std::to_string(ptsSeconds.size()) +
                                         " entries for " + std::to_string(count) + " frames");
  }
  if (!keyFrames.empty() && static_cast<int64_t>(keyFrames.size()) != count) {
    fail(ErrorKind::InvalidArgument, "key_frames has " + std::to_string(keyFrames.size()) +
                                         " entries for " + std::to_string(count) + " frames");
  }
  // Timestamps must increase across the batch and from the last call.
  int64_t last = lastPts_;
  for (double seconds : ptsSeconds) {
    if (!std::isfinite(seconds) || seconds < 0) {
      fail(ErrorKind::InvalidArgument,
           "pts_seconds must be finite and >= 0, got " + std::to_string(seconds));
    }
    int64_t pts = std::llround(seconds / av_q2d(context_->time_base));
    if (last != AV_NOPTS_VALUE && pts <= last) {
      fail(ErrorKind::InvalidArgument,
           "pts_seconds must be strictly increasing (also across calls, at the stream's time "
           "base of " + std::to_string(context_->time_base.num) + "/" +
               std::to_string(context_->time_base.den) + " s), got " + std::to_string(seconds) +
               " after " + std::to_string(last * av_q2d(context_->time_base)));
    }
    last = pts;
  }
}

int64_t VideoStreamEncoder::nextPts(double ptsSeconds) {
  int64_t pts = std::isnan(ptsSeconds)
                    ? (lastPts_ == AV_NOPTS_VALUE ? 0 : lastPts_ + ticksPerFrame_)
                    : std::llround(ptsSeconds / av_q2d(context_->time_base));
  lastPts_ = pts;
  return pts;
}

void VideoStreamEncoder::convert(const Tensor& frames, FrameLayout layout, int64_t i,
                                 double ptsSeconds, bool keyFrame, UniqueAVFrame& frame) {
  AVCodecContext* c = context_.get();
  if (!frame || !av_frame_is_writable(frame.get()) || frame->format != c->pix_fmt) {
    frame = allocFrame();
    frame->format = c->pix_fmt;
    frame->width = c->width;
    frame->height = c->height;
    int rc = av_frame_get_buffer(frame.get(), 0);
    if (rc < 0) {
      failFFmpeg(ErrorKind::Runtime, "could not allocate a video frame", rc);
    }
  }
  bool nchw = layout == FrameLayout::NCHW;
  const auto& s = frames.strides();
  int64_t cStride = layout == FrameLayout::NV12 ? 0 : s[nchw ? 1 : 3];
  int64_t hStride = layout == FrameLayout::NV12 ? s[1] : s[nchw ? 2 : 1];
  const uint8_t* base = frames.dataAs<const uint8_t>() + i * s[0];
  const uint8_t* planes[4] = {nullptr, nullptr, nullptr, nullptr};
  int linesizes[4] = {0, 0, 0, 0};
  AVPixelFormat srcFormat;
  if (layout == FrameLayout::NV12) {
    int64_t rowStride = s[1];
    srcFormat = AV_PIX_FMT_NV12;
    planes[0] = base;
    planes[1] = base + rowStride * c->height;
    linesizes[0] = linesizes[1] = static_cast<int>(rowStride);
  } else if (cStride == 1) {
    srcFormat = AV_PIX_FMT_RGB24;
    planes[0] = base;
    linesizes[0] = static_cast<int>(hStride);
  } else {
    // Planar RGB is swscale's GBRP, planes in G, B, R order.
    srcFormat = AV_PIX_FMT_GBRP;
    planes[0] = base + cStride;
    planes[1] = base + 2 * cStride;
    planes[2] = base;
    linesizes[0] = linesizes[1] = linesizes[2] = static_cast<int>(hStride);
  }
  if (!scaler_ || scalerSource_ != srcFormat) {
    scaler_ = makeScaler(srcFormat);
    scalerSource_ = srcFormat;
  }
  // The tensor's pixels, wrapped (not copied) in a frame for
  // sws_scale_frame, which wants reference-counted buffers.
  UniqueAVFrame source = allocFrame();
  source->format = srcFormat;
  source->width = c->width;
  source->height = c->height;
  for (int p = 0; p < 4; ++p) {
    source->data[p] = const_cast<uint8_t*>(planes[p]);
    source->linesize[p] = linesizes[p];
  }
  source->buf[0] = av_buffer_create(
      const_cast<uint8_t*>(base),
      static_cast<int>(std::min<int64_t>(
          hStride * c->height * (layout == FrameLayout::NV12 ? 3 : 2) / 2, INT32_MAX)),
      [](void*, uint8_t*) {}, nullptr, AV_BUFFER_FLAG_READONLY);
  if (source->buf[0] == nullptr) {
    throw std::bad_alloc();
  }
  int rc = sws_scale_frame(scaler_.get(), frame.get(), source.get());
  if (rc < 0) {
    failFFmpeg(ErrorKind::Runtime, "could not convert the frames to the encoder's format", rc);
  }
  frame->pts = nextPts(ptsSeconds);
  compat::setFrameDuration(frame.get(), ticksPerFrame_);
  frame->pict_type = keyFrame ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
}

EncoderInfo VideoStreamEncoder::info() const {
  EncoderInfo info;
  info.codec = context_->codec->name;
  info.pixelFormat = av_get_pix_fmt_name(context_->pix_fmt);
  return info;
}

}  // namespace codecflow
