// FFmpeg options a user passes by name, sorted by the layer that knows
// them: the demuxer and its protocols (avformat_open_input) or the decoder
// (avcodec_open2).
#pragma once

#include <map>
#include <string>

#include "ffmpeg/FFmpeg.h"

namespace codecflow {

using FfmpegOptions = std::map<std::string, std::string>;

struct RoutedOptions {
  FfmpegOptions format;  // demuxer, protocol and AVFormatContext options
  FfmpegOptions codec;   // decoder and AVCodecContext options
};

// Sorts options by the AVClass that declares them, searched with all its
// children (every demuxer, protocol and decoder FFmpeg has): a key known to
// both goes to both. Throws InvalidArgument naming a key neither knows.
RoutedOptions routeFfmpegOptions(const FfmpegOptions& options);

// The options as an AVDictionary for FFmpeg's open calls (nullptr if none).
UniqueAVDictionary toDictionary(const FfmpegOptions& options);

}  // namespace codecflow
