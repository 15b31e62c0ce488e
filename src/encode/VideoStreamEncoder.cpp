#include "encode/VideoStreamEncoder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "device/DeviceBackend.h"
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

VideoStreamEncoder::VideoStreamEncoder(const VideoStreamOptions& options, Muxer& muxer,
                                       int index)
    : options_(options), index_(index) {
  if (options.height <= 0 || options.width <= 0) {
    fail(ErrorKind::InvalidArgument, "invalid frame size " + std::to_string(options.width) + "x" +
                                         std::to_string(options.height) +
                                         ": height and width must be > 0");
  }
  const AVCodec* resolved = findEncoder(options.codec, AVMEDIA_TYPE_VIDEO, muxer.container());
  // Which encoder, and the frames' device turning tensors into its frames
  // (Note [Hardware encoders] in device/DeviceBackend.cpp).
  EncoderChoice choice = chooseVideoEncoder(options.codec, resolved, options.device);
  std::string device = options.device.isCpu()
                           ? "cpu"
                           : deviceBackend(options.device.kind).name() + ":" +
                                 std::to_string(options.device.index);
  if (choice.fallback != nullptr) {
    try {
      open(choice.first, muxer);
      fallback_ = {true, false,
                   "no fallback: encoded by " + std::string(choice.first->name) + " on " + device};
      return;
    } catch (const Error& e) {
      fallback_ = {true, true,
                   std::string(choice.first->name) + " could not encode frames from " + device +
                       " (" + e.what() + "); they were encoded by " + choice.fallback->name +
                       " on the CPU"};
      input_.reset();
      context_.reset();
      choice.first = choice.fallback;
      open(choice.first, muxer);
      return;
    }
  }
  open(choice.first, muxer);
  if (options.device.isCpu()) {
    fallback_ = {true, false, "no fallback: encoding on the CPU was asked for"};
  } else if (isHardwareEncoder(choice.first)) {
    fallback_ = {true, false,
                 "no fallback: encoded by " + std::string(choice.first->name) + " on " + device};
  } else {
    fallback_ = {true, true,
                 "frames from " + device + " were encoded by " + choice.first->name +
                     " on the CPU, the encoder asked for"};
  }
}

void VideoStreamEncoder::open(const AVCodec* codec, Muxer& muxer) {
  const VideoStreamOptions& options = options_;
  int index = index_;
  FrameRate exact = options.exactRate.den > 0
                        ? exactFrameRate(options.exactRate.num, options.exactRate.den)
                        : exactFrameRate(options.frameRate);
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
  input_ = deviceBackend(options.device.kind).encoderInput(options.device.index, c);
  if (!isHardwareEncoder(codec)) {
    openCodec("video stream " + std::to_string(index));
    return;
  }
  // A hardware encoder that does not open is the machine's doing (no
  // driver, no encoder engine, a session limit), not the caller's.
  try {
    openCodec("video stream " + std::to_string(index));
  } catch (const Error& e) {
    fail(ErrorKind::Runtime, std::string("the hardware encoder ") + codec->name +
                                 " could not be opened for video stream " +
                                 std::to_string(index) + ": " + e.what());
  }
}

void VideoStreamEncoder::check(const Tensor& frames, FrameLayout layout,
                               const std::vector<double>& ptsSeconds,
                               const std::vector<bool>& keyFrames) const {
  std::string where = "frames for video stream " + std::to_string(index_);
  if (frames.dtype() != DType::UInt8) {
    fail(ErrorKind::InvalidArgument,
         where + " must be uint8, got " + dtypeName(frames.dtype()));
  }
  if (!(frames.device() == options_.device)) {
    fail(ErrorKind::InvalidArgument,
         where + " must be on the stream's device (" +
             (options_.device.isCpu() ? std::string("cpu")
                                      : "device " + std::to_string(options_.device.index) +
                                            " of its kind") +
             ")");
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
  input_->convert(frames, layout, i, frame);
  frame->pts = nextPts(ptsSeconds);
  compat::setFrameDuration(frame.get(), ticksPerFrame_);
  frame->pict_type = keyFrame ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
}

EncoderInfo VideoStreamEncoder::info() const {
  EncoderInfo info;
  info.codec = context_->codec->name;
  info.pixelFormat = av_get_pix_fmt_name(
      context_->pix_fmt == AV_PIX_FMT_NONE || context_->hw_frames_ctx == nullptr
          ? context_->pix_fmt
          : context_->sw_pix_fmt);
  info.cpuFallback = fallback_.fellBack;
  info.cpuFallbackReason = fallback_.reason;
  return info;
}

}  // namespace codecflow
