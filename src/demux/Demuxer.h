// An open input container: packets out, seeks in.
#pragma once

#include <memory>

#include "io/AvioBridge.h"
#include "ffmpeg/FfmpegOptions.h"
#include "codecflow/Metadata.h"
#include "codecflow/Source.h"
#include "ffmpeg/FFmpeg.h"

namespace codecflow {

class Demuxer {
 public:
  // Opens the source and reads stream information. Throws NotFound,
  // IsDirectory or InvalidData (empty, non-media, truncated input) naming
  // the source, or rethrows what a file-like object raised. `formatOptions`
  // go to avformat_open_input (routeFfmpegOptions's `format`).
  explicit Demuxer(Source source, const FfmpegOptions& formatOptions = {});

  // Valid until the next seekBackward, which may open the container again
  // (new AVFormatContext and AVStream objects, the same stream indices).
  AVFormatContext* format() const { return format_.get(); }
  const Source& source() const { return source_; }
  AVStream* stream(int index) const;

  ContainerMetadata metadata() const;
  StreamMetadata streamMetadata(int index) const;

  // FFmpeg's best stream of a type, or -1.
  int bestStream(AVMediaType type) const;

  // Validates a user's stream index for a media type and returns the index
  // to use (the best stream when `requested` is negative). Throws
  // InvalidArgument naming the valid indices.
  int selectStream(int requested, AVMediaType type) const;

  // Reads the next packet into `packet` (owned by the caller, unreferenced
  // by it). Returns false at the end of the input.
  bool readPacket(AVPacket* packet);

  // Seeks so that the next packets of `streamIndex` start at a key frame at
  // or before `timestamp` (in the stream's time base). A container that
  // cannot seek (raw elementary streams: Annex B H.264, Y4M, ...) is opened
  // again and read from its start instead.
  void seekBackward(int streamIndex, int64_t timestamp);

  // Calls the file-like's pending exception, then throws the FFmpeg error.
  [[noreturn]] void failWith(const std::string& what, int averror);

 private:
  // Opens format_ (and reader_) on the source; the constructor's checks.
  void open();

  Source source_;
  FfmpegOptions formatOptions_;  // kept for reopening
  std::unique_ptr<AvioReader> reader_;
  UniqueDemuxContext format_;
};

// Seconds of a timestamp in a time base.
double toSeconds(int64_t ts, AVRational timeBase);

}  // namespace codecflow
