// GOP-parallel batches (Note [GOP-parallel batches]).
#include <algorithm>

#include "codecflow/Threads.h"
#include "decode/Parallel.h"
#include "decode/VideoDecoderImpl.h"
#include "ffmpeg/FfmpegOptions.h"

namespace codecflow {

VideoDecoder::Impl::OwnedLane::OwnedLane(const Impl& impl)
    : demuxer(impl.demuxer.source(), routeFfmpegOptions(impl.options.ffmpegOptions).format) {
  const AVStream* st = demuxer.stream(impl.stream);
  sink = makeFrameSink(impl.options, impl.floatOutput, st, st->codecpar->width,
                       st->codecpar->height, impl.metadata.rotation, /*mayPipeline=*/false);
  decoder = std::make_unique<VideoStreamDecoder>(
      demuxer, impl.stream, static_cast<int>(impl.options.numThreads), sink->codecOpener(),
      routeFfmpegOptions(impl.options.ffmpegOptions).codec);
  if (impl.exact && impl.index.numberedFrameDuration() > 0) {
    decoder->numberFrames(impl.index.numberedFrameDuration());
  }
}

bool VideoDecoder::Impl::canDecodeInParallel() const {
  Device decodeOn = options.decodeDevice.value_or(options.device);
  return !keyFramesOnly && !cutShort && options.device.isCpu() && decodeOn.isCpu() &&
         demuxer.source().opensIndependently() && threadLimit() >= 2;
}

std::vector<std::vector<size_t>> VideoDecoder::Impl::splitByGop(
    const std::vector<int64_t>& targets, const std::vector<size_t>& order) const {
  std::vector<std::vector<size_t>> gops;
  // Approximate mode knows no GOPs: the demuxer's own index says where key
  // frames are but not which frames before a key frame's pts need the GOP
  // before it (open GOPs), so one context rolls forward through them.
  bool parallel = exact && canDecodeInParallel();
  int64_t previousGop = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    size_t slot = order[k];
    if (k > 0 && targets[order[k - 1]] == targets[slot]) {
      continue;  // a duplicate: copied once its first is decoded
    }
    int64_t gop = 0;
    if (parallel) {
      gop = index.seekPointBefore(targets[slot]);
    }
    if (gops.empty() || gop != previousGop) {
      gops.emplace_back();
    }
    previousGop = gop;
    gops.back().push_back(slot);
  }
  return gops;
}

void VideoDecoder::Impl::decodeGopsInParallel(
    const std::vector<std::vector<size_t>>& gops,
    const std::function<void(DecodeLane&, size_t)>& decodeInto) {
  int workers = std::min<int>(parallelWorkers(gops.size()), static_cast<int>(kMaxLanes) + 1);
  // The workers are the limit: the decoder's own context writes its GOPs
  // on its worker's thread, without a conversion thread or slices beside it.
  sink->writeOnCallingThread();
  if (lanes.size() < static_cast<size_t>(workers - 1)) {
    lanes.resize(static_cast<size_t>(workers - 1));
  }
  runParallel(gops.size(), workers, [&](int worker, size_t g) {
    DecodeLane lane{decoder.get(), sink.get()};
    if (worker > 0) {
      std::unique_ptr<OwnedLane>& owned = lanes[static_cast<size_t>(worker - 1)];
      if (!owned) {
        owned = std::make_unique<OwnedLane>(*this);
      }
      lane = owned->view();
    }
    for (size_t slot : gops[g]) {
      decodeInto(lane, slot);
    }
  });
  for (const std::unique_ptr<OwnedLane>& owned : lanes) {
    if (owned) {
      owned->sink->finish();
    }
  }
}

}  // namespace codecflow
