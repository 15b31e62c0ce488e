#include "ffmpeg/FfmpegOptions.h"

#include "codecflow/Error.h"

extern "C" {
#include <libavutil/opt.h>
}

namespace codecflow {

namespace {

bool knows(const AVClass* cls, const std::string& key) {
  // AV_OPT_SEARCH_FAKE_OBJ: `&cls` stands for an object of the class, and
  // the search covers the classes its children may have.
  return av_opt_find(&cls, key.c_str(), nullptr, 0,
                     AV_OPT_SEARCH_CHILDREN | AV_OPT_SEARCH_FAKE_OBJ) != nullptr;
}

}  // namespace

RoutedOptions routeFfmpegOptions(const FfmpegOptions& options) {
  RoutedOptions routed;
  for (const auto& [key, value] : options) {
    bool format = knows(avformat_get_class(), key);
    bool codec = knows(avcodec_get_class(), key);
    if (!format && !codec) {
      fail(ErrorKind::InvalidArgument,
           "unknown FFmpeg option '" + key +
               "': neither the demuxer and its protocols nor the decoder have it (see "
               "`ffmpeg -h full` for the options of this FFmpeg)");
    }
    if (format) {
      routed.format[key] = value;
    }
    if (codec) {
      routed.codec[key] = value;
    }
  }
  return routed;
}

UniqueAVDictionary toDictionary(const FfmpegOptions& options) {
  AVDictionary* raw = nullptr;
  for (const auto& [key, value] : options) {
    if (av_dict_set(&raw, key.c_str(), value.c_str(), 0) < 0) {
      av_dict_free(&raw);
      throw std::bad_alloc();
    }
  }
  return UniqueAVDictionary(raw);
}

}  // namespace codecflow
