// Decodes one audio stream into planar float32 samples in [-1, 1].
//
// Exactness: all samples equal `ffmpeg -i IN -map 0:a:N -f f32le -` bit for
// bit (de-interleaved), encoder delay and padding included, and with a
// sample rate or channel count asked for, `... -ar R -ac C ...` (the same
// swresample configuration; see Note [Matching the ffmpeg CLI] in
// src/convert/AudioResampler.h).
//
// Ranges: sample k of the output plays at t0 + k / rate, where t0 is the
// pts of the first decoded frame. A range [start, stop) holds samples
// round((start - t0) * rate) to round((stop - t0) * rate) (half to even, as
// Python's round), clipped to the stream; consecutive ranges on one decoder
// therefore concatenate to exactly the samples of allSamples(). A decoder
// keeps its position (and its resampler's state) between calls: a range that
// starts at or after the previous one's end continues decoding; one that
// starts earlier, or more than 10 s ahead, seeks (0.5 s early for lossy
// codecs). After a seek, lossless intra-only codecs (PCM, FLAC, ...) give the
// same samples bit for bit; lossy codecs differ from a continuous decode by
// the decoder's warm-up (within 1e-3). Streams whose timestamps are coarser
// than a sample (Matroska's milliseconds) decode from the start instead of
// seeking.
//
// Thread safety: calls on one decoder are serialized by its own mutex.
// Errors are codecflow::Error.
#pragma once

#include <memory>
#include <optional>

#include "codecflow/Error.h"
#include "codecflow/Metadata.h"
#include "codecflow/Source.h"
#include "codecflow/Tensor.h"

namespace codecflow {

// The valid ranges of the numeric options, checked by the constructor
// (InvalidArgument beyond them).
inline constexpr IntRange kAudioStreamIndexRange{"stream_index", 0, 65535};
inline constexpr IntRange kSampleRateRange{"sample_rate", 1, 768000};
inline constexpr IntRange kNumChannelsRange{"num_channels", 1, 64};

struct AudioDecoderOptions {
  std::optional<int64_t> streamIndex;     // none: FFmpeg's best audio stream
  std::optional<int64_t> sampleRate;      // output rate; the stream's when absent
  std::optional<int64_t> numChannels;     // output channels; the stream's when absent
};

// Samples of a range: data is (channels, samples) float32.
struct DecodedSamples {
  Tensor data;
  double ptsSeconds = 0.0;
  int sampleRate = 0;
};

class AudioDecoder {
 public:
  // Opens the source and decodes its first frame (to learn t0 and the
  // decoded format). Throws InvalidArgument for a stream index that is not
  // an audio stream or a value outside its range above, and the source
  // errors of Demuxer.
  AudioDecoder(Source source, AudioDecoderOptions options);
  ~AudioDecoder();
  AudioDecoder(const AudioDecoder&) = delete;
  AudioDecoder& operator=(const AudioDecoder&) = delete;

  // Header values of the stream.
  const StreamMetadata& metadata() const;
  int streamIndex() const;
  int outputSampleRate() const;
  int outputNumChannels() const;
  // t0: the time of the first sample, in seconds.
  double beginSeconds() const;

  // Every sample of the stream; pts is t0.
  DecodedSamples allSamples();

  // The samples played in [startSeconds, stopSeconds) (no stop: to the
  // end); pts is max(startSeconds, t0). [t, t) gives no samples, as does a
  // range narrower than a sample (Note [Empty ranges] in src/decode/SampleRange.h).
  // Throws InvalidArgument when start > stop, for NaN bounds, and for a
  // range that ends at or before t0 or starts at or after the last sample's
  // end.
  DecodedSamples samplesInRange(double startSeconds, std::optional<double> stopSeconds);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace codecflow
