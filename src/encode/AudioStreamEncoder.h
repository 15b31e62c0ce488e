// An audio stream: float32 (C, N) samples resampled and remixed with
// swresample into the codec's sample format, rate and channel count, then
// re-chunked to the codec's frame size in a FIFO. Timestamps count the
// samples written, at the output rate.
#pragma once

#include <vector>

#include "encode/StreamEncoder.h"
#include "codecflow/Encoder.h"
#include "codecflow/Tensor.h"

namespace codecflow {

class AudioStreamEncoder : public StreamEncoder {
 public:
  // Picks the codec and sample format, checks sample rate, channels and
  // bit rate, opens the codec; creates no output. Throws InvalidArgument.
  AudioStreamEncoder(const AudioStreamOptions& options, const Muxer& muxer, int index);

  void check(const Tensor& samples) const;

  // Resamples `samples` and returns the codec frames that are complete
  // now (the rest waits in the FIFO for more samples).
  std::vector<UniqueAVFrame> convert(const Tensor& samples);
  // Drains the resampler and returns the last frames (the final one may be
  // short, or padded with silence for codecs that need whole frames).
  std::vector<UniqueAVFrame> finish();

  EncoderInfo info() const;

 private:
  void resample(const uint8_t** input, int count);
  std::vector<UniqueAVFrame> takeFrames(bool final);

  AudioStreamOptions options_;
  int index_;
  int chunk_ = 0;  // samples per frame sent to the codec
  int64_t samplesOut_ = 0;
  UniqueSwrContext resampler_;
  UniqueAVAudioFifo fifo_;
  UniqueAVFrame scratch_;  // the resampler's output, reused
};

}  // namespace codecflow
