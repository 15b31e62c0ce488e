// The core's own WAV parser (WavDecoder) on arbitrary bytes.
#include "FuzzCommon.h"
#include "codecflow/Error.h"
#include "codecflow/WavDecoder.h"

using namespace codecflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::initOnce();
  fuzz::Params params(data, size);
  const auto flags = params.any<uint8_t>();
  const double start1 = fuzz::fuzzTime(params);
  const double stop1 = fuzz::fuzzTime(params);
  const double start2 = fuzz::fuzzTime(params);
  std::string bytes = params.rest();
  if (bytes.size() > fuzz::kMaxMediaBytes) return 0;

  uint64_t sink = 0;
  try {
    WavDecoder decoder(Source::fromBytes(std::move(bytes)));
    sink += fuzz::touch(decoder.metadata());
    sink += static_cast<uint64_t>(decoder.sampleRate() + decoder.numChannels() + decoder.numSamples());
    for (int step = 0; step < 3; ++step) {
      try {
        DecodedSamples s;
        if (step == 0) {
          s = decoder.samplesInRange(start1, (flags & 1) ? std::optional<double>(stop1) : std::nullopt);
        } else if (step == 1) {
          s = decoder.samplesInRange(start2, std::nullopt);
        } else if (flags & 2) {
          s = decoder.allSamples();
        }
        sink += fuzz::touch(s.data);
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return static_cast<int>(sink & 0);
}
