// What a container and its streams say about themselves, from the header
// (and, for the *FromContent fields of video, from a packet scan).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace codecflow {

enum class MediaType { Video, Audio, Other };

struct StreamMetadata {
  int streamIndex = -1;
  MediaType mediaType = MediaType::Other;
  std::string codec;  // FFmpeg's codec name, e.g. "h264"
  std::optional<double> durationSecondsFromHeader;
  std::optional<double> beginStreamSecondsFromHeader;
  std::optional<int64_t> bitRate;
  // The container's duration (all streams), for streams whose header has
  // none of their own (Matroska with several streams, say).
  std::optional<double> durationSecondsFromContainer;

  // Video. width/height are as displayed, after rotation.
  int width = 0;
  int height = 0;
  std::optional<int64_t> numFramesFromHeader;
  std::optional<double> averageFpsFromHeader;
  std::optional<int> sampleAspectNum;  // pixel aspect ratio, when known
  std::optional<int> sampleAspectDen;
  std::optional<double> rotation;  // degrees, counter-clockwise, as stored
  std::optional<std::string> colorPrimaries;
  std::optional<std::string> colorSpace;
  std::optional<std::string> colorTransferCharacteristic;
  std::optional<std::string> colorRange;
  std::optional<std::string> pixelFormat;
  int bitsPerComponent = 8;
  // Filled by an exact-mode scan.
  std::optional<double> beginStreamSecondsFromContent;
  std::optional<double> endStreamSecondsFromContent;
  std::optional<int64_t> numFramesFromContent;

  // Audio.
  int sampleRate = 0;
  int numChannels = 0;
  std::optional<std::string> sampleFormat;
};

struct ContainerMetadata {
  std::optional<double> durationSecondsFromHeader;
  std::optional<int64_t> bitRateFromHeader;
  std::optional<int> bestVideoStreamIndex;
  std::optional<int> bestAudioStreamIndex;
  std::vector<StreamMetadata> streams;
};

class Source;
// Reads the container header of `source` (no packet scan).
ContainerMetadata readContainerMetadata(const Source& source);

}  // namespace codecflow
