// Video open + metadata + random-order decode from memory.
#include <algorithm>

#include "FuzzCommon.h"
#include "codecflow/Error.h"
#include "codecflow/VideoDecoder.h"

using namespace codecflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::initOnce();
  fuzz::Params params(data, size);
  const auto flags = params.any<uint8_t>();
  const auto seed = params.any<uint32_t>();
  const auto count = params.inRange<int>(1, 4);
  std::string bytes = params.rest();
  if (bytes.size() > fuzz::kMaxMediaBytes) return 0;

  VideoDecoderOptions options;
  options.seekMode = (flags & 1) ? SeekMode::Approximate : SeekMode::Exact;
  options.outputDType = (flags & 2) ? OutputDType::Auto : OutputDType::UInt8;
  options.numThreads = (flags & 4) ? 2 : 1;
  if (flags & 8) options.transforms.push_back({TransformStep::Kind::Resize, 24, 32});
  if (flags & 16) options.transforms.push_back({TransformStep::Kind::Crop, 8, 8, -1, -1});
  if (flags & 32) options.streamIndex = (flags >> 6);
  fuzz::Choice choice(seed);
  uint64_t sink = 0;
  try {
    ContainerMetadata container = readContainerMetadata(Source::fromBytes(bytes));
    for (const auto& s : container.streams) sink += fuzz::touch(s);

    VideoDecoder decoder(Source::fromBytes(std::move(bytes)), options);
    sink += fuzz::touch(decoder.metadata());
    sink += static_cast<uint64_t>(decoder.outputHeight() + decoder.outputWidth());
    sink += decoder.indexPts().size() + decoder.indexKeyFrames().size();
    const int64_t n = decoder.numFrames();
    if (n > 0) {
      std::vector<int64_t> indices;
      for (int i = 0; i < count; ++i) indices.push_back(choice.below(std::min<int64_t>(n, 1000)));
      try {
        sink += fuzz::touch(decoder.framesAt(indices).data);
      } catch (const Error&) {
      }
      // One index past the end must be refused, never read.
      try {
        decoder.framesAt({n});
        __builtin_trap();
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::OutOfRange) __builtin_trap();
      }
    }
    std::vector<double> times;
    for (int i = 0; i < count; ++i) times.push_back(static_cast<double>(choice.below(3000)) / 1000.0);
    if (flags & 128) times.push_back(-0.5);
    try {
      DecodedFrames played = decoder.framesPlayedAt(times);
      sink += fuzz::touch(played.data) + played.ptsSeconds.size();
    } catch (const Error&) {
    }
  } catch (const Error&) {
  }
  return static_cast<int>(sink & 0);
}
