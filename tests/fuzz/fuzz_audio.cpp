// Audio open + decode + ranges from memory, through FFmpeg.
#include "FuzzCommon.h"
#include "codecflow/AudioDecoder.h"
#include "codecflow/Error.h"

using namespace codecflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::initOnce();
  fuzz::Params params(data, size);
  const auto flags = params.any<uint8_t>();
  static constexpr int kRates[] = {8000, 16000, 22050, 44100, 48000, 96000, 1, 0};
  static constexpr int kChannels[] = {1, 2, 6, 8, 3, 0, -1, 1};
  const int rate = kRates[params.inRange<int>(0, 7)];
  const int channels = kChannels[params.inRange<int>(0, 7)];
  const double start1 = fuzz::fuzzTime(params);
  const double stop1 = fuzz::fuzzTime(params);
  const double start2 = fuzz::fuzzTime(params);
  std::string bytes = params.rest();
  if (bytes.size() > fuzz::kMaxMediaBytes) return 0;

  AudioDecoderOptions options;
  if (flags & 1) options.sampleRate = rate;
  if (flags & 2) options.numChannels = channels;
  if (flags & 4) options.streamIndex = (flags >> 5) & 3;
  uint64_t sink = 0;
  try {
    AudioDecoder decoder(Source::fromBytes(std::move(bytes)), options);
    sink += fuzz::touch(decoder.metadata());
    sink += static_cast<uint64_t>(decoder.outputSampleRate() + decoder.outputNumChannels());
    sink += static_cast<uint64_t>(decoder.beginSeconds() != 0);
    // A range, a second one before or after it (a seek or a continuation),
    // then everything.
    for (int step = 0; step < 3; ++step) {
      try {
        DecodedSamples s;
        if (step == 0) {
          s = decoder.samplesInRange(start1, (flags & 8) ? std::optional<double>(stop1) : std::nullopt);
        } else if (step == 1) {
          s = decoder.samplesInRange(start2, std::nullopt);
        } else if (flags & 16) {
          s = decoder.allSamples();
        }
        sink += fuzz::touch(s.data) + static_cast<uint64_t>(s.sampleRate);
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return static_cast<int>(sink & 0);
}
