// Decodes PCM and IEEE-float WAV files (RIFF, RF64/BW64, with or without
// WAVE_FORMAT_EXTENSIBLE) with the core's own parser, without FFmpeg.
//
// Output: planar float32 (channels, samples), bit for bit what AudioDecoder
// (and so `ffmpeg -i IN -f f32le -`) gives for the same file: integer
// samples are scaled by 2^-(bits - 1) (8-bit ones are unsigned, centred on
// 128), float samples are kept (64-bit ones rounded to float32). A range
// reads only the bytes that hold its samples. Ranges are cut as in
// AudioDecoder (codecflow/AudioDecoder.h), with t0 = 0.
//
// Thread safety: calls on one decoder are serialized by its own mutex.
// Errors: InvalidData naming what is wrong for malformed or compressed WAV
// files; NotFound / IsDirectory for bad paths; a file-like object's own
// exception unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "codecflow/AudioDecoder.h"
#include "codecflow/Metadata.h"
#include "codecflow/Source.h"

namespace codecflow {

class WavDecoder {
 public:
  explicit WavDecoder(Source source);
  ~WavDecoder();
  WavDecoder(const WavDecoder&) = delete;
  WavDecoder& operator=(const WavDecoder&) = delete;

  const StreamMetadata& metadata() const;
  int sampleRate() const;
  int numChannels() const;
  int64_t numSamples() const;

  DecodedSamples allSamples();
  // As AudioDecoder::samplesInRange.
  DecodedSamples samplesInRange(double startSeconds, std::optional<double> stopSeconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace codecflow
