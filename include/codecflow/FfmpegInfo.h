// [extra] What the loaded FFmpeg libraries are and can do, for diagnostics.
#pragma once

#include <string>
#include <vector>

namespace codecflow {

struct FfmpegLibrary {
  std::string name;           // "libavcodec", ...
  std::string version;        // "59.37.100"
  std::string configuration;  // ./configure's arguments
};

struct FfmpegCodec {
  std::string name;
  std::string longName;
  std::string mediaType;  // "video", "audio", "subtitle", ...
  bool decoder = false;   // a decoder, else an encoder
  bool hardware = false;  // AV_CODEC_CAP_HARDWARE
};

std::vector<FfmpegLibrary> ffmpegLibraries();
std::vector<FfmpegCodec> ffmpegCodecs();
// The hardware device types this FFmpeg was built with ("cuda", "vaapi", ...).
std::vector<std::string> ffmpegHardwareDeviceTypes();

}  // namespace codecflow
