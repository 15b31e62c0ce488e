#include "codecflow/FfmpegInfo.h"

#include "ffmpeg/FFmpeg.h"

extern "C" {
#include <libavutil/hwcontext.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace codecflow {

namespace {

std::string versionText(unsigned version) {
  return std::to_string(version >> 16) + "." + std::to_string((version >> 8) & 0xff) + "." +
         std::to_string(version & 0xff);
}

}  // namespace

std::vector<FfmpegLibrary> ffmpegLibraries() {
  return {
      {"libavutil", versionText(avutil_version()), avutil_configuration()},
      {"libavcodec", versionText(avcodec_version()), avcodec_configuration()},
      {"libavformat", versionText(avformat_version()), avformat_configuration()},
      {"libswscale", versionText(swscale_version()), swscale_configuration()},
      {"libswresample", versionText(swresample_version()), swresample_configuration()},
  };
}

std::vector<FfmpegCodec> ffmpegCodecs() {
  std::vector<FfmpegCodec> codecs;
  void* state = nullptr;
  while (const AVCodec* codec = av_codec_iterate(&state)) {
    FfmpegCodec c;
    c.name = codec->name;
    c.longName = codec->long_name != nullptr ? codec->long_name : "";
    const char* type = av_get_media_type_string(codec->type);
    c.mediaType = type != nullptr ? type : "unknown";
    c.decoder = av_codec_is_decoder(codec) != 0;
    c.hardware = (codec->capabilities & AV_CODEC_CAP_HARDWARE) != 0;
    codecs.push_back(std::move(c));
  }
  return codecs;
}

std::vector<std::string> ffmpegHardwareDeviceTypes() {
  std::vector<std::string> types;
  AVHWDeviceType type = AV_HWDEVICE_TYPE_NONE;
  while ((type = av_hwdevice_iterate_types(type)) != AV_HWDEVICE_TYPE_NONE) {
    types.emplace_back(av_hwdevice_get_type_name(type));
  }
  return types;
}

}  // namespace codecflow
