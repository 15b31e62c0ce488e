#include "encode/EncoderOptions.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "codecflow/Encoder.h"
#include "codecflow/Error.h"

extern "C" {
#include <libavutil/opt.h>
}

namespace codecflow {

namespace {

const char* mediaName(AVMediaType type) {
  return type == AVMEDIA_TYPE_VIDEO ? "video" : "audio";
}

bool containerAccepts(const AVOutputFormat* container, AVCodecID id) {
  // 1: accepted, 0: refused, < 0: the muxer cannot tell (then its
  // write_header decides).
  return avformat_query_codec(container, id, FF_COMPLIANCE_NORMAL) != 0;
}

// A stable encoder for a codec id, or an experimental one when there is
// nothing else.
const AVCodec* preferredEncoder(AVCodecID id) {
  const AVCodec* experimental = nullptr;
  void* opaque = nullptr;
  while (const AVCodec* codec = av_codec_iterate(&opaque)) {
    if (codec->id != id || !av_codec_is_encoder(codec)) {
      continue;
    }
    if (codec->capabilities & AV_CODEC_CAP_EXPERIMENTAL) {
      experimental = experimental != nullptr ? experimental : codec;
      continue;
    }
    return codec;
  }
  return experimental;
}

[[noreturn]] void failUnknownEncoder(const std::string& name, AVMediaType type,
                                     const AVOutputFormat* container, const std::string& why) {
  fail(ErrorKind::InvalidArgument,
       "invalid " + std::string(mediaName(type)) + " codec '" + name + "' for container '" +
           container->name + "': " + why + "; allowed: " +
           joinNames(encodersFor(type, container)));
}

bool isNumeric(AVOptionType type) {
  switch (type) {
    case AV_OPT_TYPE_INT:
    case AV_OPT_TYPE_INT64:
    case AV_OPT_TYPE_UINT64:
    case AV_OPT_TYPE_DOUBLE:
    case AV_OPT_TYPE_FLOAT:
    case AV_OPT_TYPE_BOOL:
      return true;
    default:
      return false;
  }
}

std::string formatNumber(double value) {
  if (value >= 1e300) {
    return "inf";
  }
  if (value <= -1e300) {
    return "-inf";
  }
  std::ostringstream out;
  out << value;
  return out.str();
}

// The named constants an option accepts (e.g. libvpx's deadline: good,
// best, realtime).
std::vector<std::string> optionConstants(void* object, const AVOption* option) {
  std::vector<std::string> names;
  if (option->unit == nullptr) {
    return names;
  }
  const AVClass* cls = *static_cast<const AVClass**>(object);
  for (const AVOption* o = cls->option; o != nullptr && o->name != nullptr; ++o) {
    if (o->type == AV_OPT_TYPE_CONST && o->unit != nullptr &&
        std::string(o->unit) == option->unit) {
      names.emplace_back(o->name);
    }
  }
  return names;
}

constexpr std::array<const char*, 10> kX26xPresets{
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium",    "slow",      "slower",   "veryslow", "placebo"};

}  // namespace

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    out += (out.empty() ? "" : ", ") + name;
  }
  return out.empty() ? "(none)" : out;
}

std::vector<std::string> encodersFor(AVMediaType type, const AVOutputFormat* container) {
  std::vector<std::string> names;
  void* opaque = nullptr;
  while (const AVCodec* codec = av_codec_iterate(&opaque)) {
    if (av_codec_is_encoder(codec) && codec->type == type &&
        avformat_query_codec(container, codec->id, FF_COMPLIANCE_NORMAL) == 1) {
      names.emplace_back(codec->name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

const AVCodec* findEncoder(const std::string& name, AVMediaType type,
                           const AVOutputFormat* container) {
  const AVCodec* codec = nullptr;
  if (name.empty()) {
    AVCodecID id = type == AVMEDIA_TYPE_VIDEO ? container->video_codec : container->audio_codec;
    if (id == AV_CODEC_ID_NONE) {
      fail(ErrorKind::InvalidArgument, std::string("container '") + container->name +
                                           "' has no " + mediaName(type) + " streams");
    }
    codec = preferredEncoder(id);
    if (codec == nullptr) {
      fail(ErrorKind::Unsupported,
           std::string("this FFmpeg has no encoder for ") + avcodec_get_name(id) +
               ", the default " + mediaName(type) + " codec of '" + container->name +
               "'; pass another codec (allowed: " + joinNames(encodersFor(type, container)) +
               ")");
    }
    return codec;
  }
  codec = avcodec_find_encoder_by_name(name.c_str());
  if (codec == nullptr) {
    const AVCodecDescriptor* descriptor = avcodec_descriptor_get_by_name(name.c_str());
    if (descriptor != nullptr) {
      codec = preferredEncoder(descriptor->id);
    }
  }
  if (codec == nullptr) {
    failUnknownEncoder(name, type, container, "FFmpeg has no such encoder");
  }
  if (codec->type != type) {
    failUnknownEncoder(name, type, container,
                       "it is not a " + std::string(mediaName(type)) + " encoder");
  }
  if (!containerAccepts(container, codec->id)) {
    failUnknownEncoder(name, type, container, "the container cannot hold it");
  }
  return codec;
}

void setEncoderOption(AVCodecContext* context, const std::string& key, const std::string& value,
                      const std::string& label) {
  const std::string encoder = context->codec != nullptr ? context->codec->name : "encoder";
  void* target = nullptr;
  const AVOption* option =
      av_opt_find2(context, key.c_str(), nullptr, 0, AV_OPT_SEARCH_CHILDREN, &target);
  if (option == nullptr || target == nullptr) {
    fail(ErrorKind::InvalidArgument, "invalid " + label + ": encoder " + encoder +
                                         " has no option '" + key +
                                         "' (see `ffmpeg -h encoder=" + encoder + "`)");
  }
  if (isNumeric(option->type)) {
    char* end = nullptr;
    double number = std::strtod(value.c_str(), &end);
    if (end != value.c_str() && *end == '\0') {
      double min = option->min;
      double max = option->max;
      if (!(number >= min && number <= max)) {
        fail(ErrorKind::InvalidArgument, "invalid " + label + "=" + value + " for encoder " +
                                             encoder + ": allowed range [" + formatNumber(min) +
                                             ", " + formatNumber(max) + "]");
      }
    }
  }
  int rc = av_opt_set(context, key.c_str(), value.c_str(), AV_OPT_SEARCH_CHILDREN);
  if (rc < 0) {
    std::string message = "invalid " + label + "='" + value + "' for encoder " + encoder + ": " +
                          ffmpegErrorText(rc);
    std::vector<std::string> constants = optionConstants(target, option);
    if (!constants.empty()) {
      message += "; allowed: " + joinNames(constants);
    }
    fail(ErrorKind::InvalidArgument, message);
  }
}

bool hasOption(AVCodecContext* context, const std::string& key) {
  void* target = nullptr;
  const AVOption* option =
      av_opt_find2(context, key.c_str(), nullptr, 0, AV_OPT_SEARCH_CHILDREN, &target);
  return option != nullptr && target != nullptr && option->type != AV_OPT_TYPE_CONST;
}

void setCrf(AVCodecContext* context, double crf) {
  if (!std::isfinite(crf)) {
    fail(ErrorKind::InvalidArgument, "invalid crf=" + formatNumber(crf) + ": not finite");
  }
  const AVOption* option =
      av_opt_find(context, "crf", nullptr, 0, AV_OPT_SEARCH_CHILDREN);
  if (option == nullptr) {
    fail(ErrorKind::InvalidArgument, std::string("invalid crf: encoder ") + context->codec->name +
                                         " has no crf option; use extra_options with its own "
                                         "quality option (see `ffmpeg -h encoder=" +
                                         context->codec->name + "`)");
  }
  bool integral = option->type == AV_OPT_TYPE_INT || option->type == AV_OPT_TYPE_INT64;
  if (integral && crf != std::floor(crf)) {
    fail(ErrorKind::InvalidArgument, "invalid crf=" + formatNumber(crf) + " for encoder " +
                                         context->codec->name + ": it takes an integer");
  }
  setEncoderOption(context, "crf", integral ? std::to_string(static_cast<int64_t>(crf))
                                            : formatNumber(crf), "crf");
}

void setPreset(AVCodecContext* context, const std::string& preset) {
  std::string encoder = context->codec->name;
  if (encoder == "libx264" || encoder == "libx265") {
    if (std::find(kX26xPresets.begin(), kX26xPresets.end(), preset) == kX26xPresets.end()) {
      std::vector<std::string> names(kX26xPresets.begin(), kX26xPresets.end());
      fail(ErrorKind::InvalidArgument, "invalid preset '" + preset + "' for encoder " + encoder +
                                           "; allowed: " + joinNames(names));
    }
  }
  if (av_opt_find(context, "preset", nullptr, 0, AV_OPT_SEARCH_CHILDREN) == nullptr) {
    fail(ErrorKind::InvalidArgument, "invalid preset: encoder " + encoder +
                                         " has no preset option (see `ffmpeg -h encoder=" +
                                         encoder + "`)");
  }
  setEncoderOption(context, "preset", preset, "preset");
}

}  // namespace codecflow

namespace codecflow {

namespace {

std::string rateText(double fps) {
  std::ostringstream out;
  out.precision(17);
  out << fps;
  return out.str();
}

// Below one frame per hour, frame durations overflow the containers'
// timestamps (mp4's 32-bit sample durations).
constexpr double kMinFrameRate = 1.0 / 3600;

[[noreturn]] void failFrameRate(const std::string& value, const std::string& why) {
  fail(ErrorKind::InvalidArgument, "invalid frame_rate=" + value + ": " + why +
                                       " (frames per second in (0, 1000], at least one frame "
                                       "per hour)");
}

}  // namespace

FrameRate exactFrameRate(double fps) {
  if (!(fps > 0) || !(fps <= 1000)) {
    failFrameRate(rateText(fps), "out of range");
  }
  // NTSC-style rates: N * 1000 / 1001 for the N nearest to fps * 1.001.
  double n = std::round(fps * 1001.0 / 1000.0);
  if (n >= 1 && std::fabs(fps - n * 1000.0 / 1001.0) <= 0.001) {
    return exactFrameRate(static_cast<int64_t>(n) * 1000, 1001);
  }
  if (fps < kMinFrameRate * (1 - 1e-9)) {
    failFrameRate(rateText(fps), "too small");
  }
  AVRational q = av_d2q(fps, 1001000);
  return exactFrameRate(q.num, q.den);
}

FrameRate exactFrameRate(int64_t num, int64_t den) {
  std::string text = std::to_string(num) + "/" + std::to_string(den);
  if (num <= 0 || den <= 0 || num / 1000 > den || (num / 1000 == den && num % 1000 != 0)) {
    failFrameRate(text, "out of range");
  }
  if (den / 3600 > num || (den / 3600 == num && den % 3600 != 0)) {
    failFrameRate(text, "too small");
  }
  int rn = 0;
  int rd = 0;
  if (!av_reduce(&rn, &rd, num, den, INT32_MAX) || rn <= 0 || rd <= 0) {
    failFrameRate(text, "the reduced fraction must fit in 32-bit integers");
  }
  return FrameRate{rn, rd};
}

void checkFiniteSamples(const Tensor& samples, const std::string& what, float maxMagnitude) {
  if (samples.dtype() != DType::Float32 || !samples.device().isCpu() || samples.dim() != 2) {
    return;  // the shape and type checks report those
  }
  const auto* base = samples.dataAs<const float>();
  const auto& s = samples.strides();
  // The first in time; between channels at the same time, the lowest.
  int64_t badChannel = -1;
  int64_t badIndex = samples.size(1);
  for (int64_t c = 0; c < samples.size(0); ++c) {
    const float* row = base + c * s[0];
    for (int64_t i = 0; i < badIndex; ++i) {
      const float x = row[i * s[1]];
      if (!std::isfinite(x) || std::fabs(x) > maxMagnitude) {
        badChannel = c;
        badIndex = i;
        break;
      }
    }
  }
  if (badChannel >= 0) {
    std::ostringstream value;
    value << base[badChannel * s[0] + badIndex * s[1]];
    std::ostringstream limit;
    limit << maxMagnitude;
    fail(ErrorKind::InvalidArgument,
         what + (std::isinf(maxMagnitude) ? " must be finite"
                                          : " must be finite and within +-" + limit.str()) +
             ": sample " + std::to_string(badIndex) + " of channel " +
             std::to_string(badChannel) + " (index [" + std::to_string(badChannel) + ", " +
             std::to_string(badIndex) + "]) is " + value.str() +
             ", the first one outside");
  }
}

}  // namespace codecflow
