// The state behind a VideoDecoder, shared by its two source files:
// VideoDecoder.cpp opens the stream and answers what the stream holds
// (counts, times, the index); FrameSelection.cpp turns indices and times
// into decode targets and positions the stream decoder on them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "device/FrameSink.h"
#include "codecflow/VideoDecoder.h"
#include "decode/VideoStreamDecoder.h"
#include "demux/Demuxer.h"
#include "demux/FrameIndex.h"

namespace codecflow {

inline std::string describeSeconds(double value) { return std::to_string(value) + " s"; }

// A decoder context and the sink that writes its frames: the decoder's own,
// or one of the extra contexts of GOP-parallel batches.
struct DecodeLane {
  VideoStreamDecoder* decoder = nullptr;
  FrameSink* sink = nullptr;
};

struct VideoDecoder::Impl {
  // An extra context of GOP-parallel batches: its own opening of the source,
  // codec context and sink (Note [GOP-parallel batches]).
  struct OwnedLane {
    explicit OwnedLane(const Impl& impl);
    Demuxer demuxer;
    std::unique_ptr<FrameSink> sink;
    std::unique_ptr<VideoStreamDecoder> decoder;
    DecodeLane view() { return {decoder.get(), sink.get()}; }
  };

  Impl(Source source, VideoDecoderOptions opts);

  // The options, their numeric values checked before anything is opened.
  static VideoDecoderOptions checked(VideoDecoderOptions options);

  void fillContentMetadata();

  // Approximate mode's duration: the stream header's, else its frame count
  // over its frame rate, else the container's (as TorchCodec falls back).
  std::optional<double> approximateDuration() const;

  int64_t numFrames() const;

  double beginStreamSeconds() const;

  std::optional<double> endStreamSeconds() const;

  // The first and one-past-the-last tick at which a frame is shown; no end
  // when the stream's end is unknown (approximate mode without a duration).
  int64_t beginTimestamp() const;

  std::optional<int64_t> endTimestampOrNone() const;

  std::string describeStreamSpan() const;

  // Exact mode: the position of the frame shown at tick `ts` (the last with
  // pts <= ts), or -1 before the first frame.
  int64_t shownAt(int64_t ts) const;

  // Exact mode: the position of the first frame whose pts is at or after
  // tick `ts` (the end of a half-open range).
  int64_t firstAtOrAfter(int64_t ts) const;

  DecodedFrames framesAtIndices(const std::vector<int64_t>& indices);

  // The decode targets of the frames shown at `times`, checked against the
  // stream's span (OutOfRange outside it) unless `clampToStream`, which maps
  // a time past the last frame to the last frame.
  DecodedFrames framesShownAt(const std::vector<double>& times, bool clampToStream);

  double approximateFps() const;

  double beginSeconds() const;

  // Note [Times to timestamps]
  // Times in seconds are compared with frames in the stream's own time base:
  // a time becomes the tick it falls in once moved half a microsecond later
  // (half a tick in time bases finer than a microsecond). So a frame's pts
  // converted to seconds and back (31 / 30 s, say) is that pts again, and so
  // is the pts as ffprobe prints it, rounded to microseconds: 8.333333 s is
  // tick 750000 of 1/90000 though 750000 / 90000 s is 8.3333333... Frame
  // selection then works on ticks only: the frame shown at tick t is the
  // last with pts <= t. A range's stop rounds the other way (toStopTimestamp):
  // [a, b) holds the frames whose pts is before b in seconds, so a stop a
  // little after a frame's pts holds that frame, and a stop at its printed
  // pts does not.
  int64_t toTimestamp(double seconds) const;

  // The first tick at or after `seconds` moved half a microsecond earlier.
  int64_t toStopTimestamp(double seconds) const;

  static int64_t clampTicks(double ticks);

  // Positions the decoder on the frame shown at `target` (stream time base):
  // the last frame with pts <= target. With `exactPts`, that frame must have
  // exactly this pts.
  void moveTo(VideoStreamDecoder& dec, int64_t target, bool exactPts, int64_t indexForErrors);

  // Approximate mode trusts the header's frame count and duration; past the
  // last frame that really decodes, no frame is shown at `target`, which is
  // an error rather than the last frame again.
  void failIfPastLastFrame(const VideoStreamDecoder& dec, int64_t target, int64_t indexForErrors) const;

  // Note [Seeking to a key frame's pts]
  // MP4 and Matroska demuxers seek by presentation time: asking for a key
  // frame's dts, which B-frames put before its pts, lands on the key frame
  // before it and decodes a whole GOP for nothing. So the seek asks for the
  // key frame's pts; a demuxer that seeks by decode time lands on this key
  // frame or (rarely) a later one, and moveTo() then retries from the
  // earlier of pts and dts. Returns whether that retry can land elsewhere.
  bool seekBefore(VideoStreamDecoder& dec, int64_t target);

  // Decodes the frames at `targets` (stream time base) into `out`, each
  // distinct target once, in increasing order so that one pass suffices.
  DecodedFrames decodeTargets(const std::vector<int64_t>& targets, bool exactPts,
                              const std::vector<int64_t>& indicesForErrors);

  double frameDurationSeconds(const VideoStreamDecoder& dec, const AVFrame* frame) const;

  // Note [GOP-parallel batches]
  // An exact-mode batch whose targets fall in several GOPs (the seek points
  // of the index) decodes distinct
  // GOPs at once, on the decoder's context and up to threadLimit() - 1 extra
  // ones, each an opening of its own of the same path or bytes, opened on
  // first use and kept (at most kMaxLanes). Their workers are all the
  // threads the call uses: no context converts on a thread beside it or in
  // swscale slices meanwhile (FrameSink::writeOnCallingThread, SinkSpec::
  // mayPipeline). A GOP is decoded by one context,
  // its targets in increasing order, each frame written into its slot of
  // the batch: the frames a context reaches do not depend on where it was
  // before (moveTo seeks or rolls forward as on one context), so the batch
  // is what one context would return. Sequential when threadLimit() is 1,
  // in approximate mode (no index), for a single GOP, a file cut short (its
  // last frame is partly concealed from what the context decoded before),
  // a file-like source (one stream position), a CUDA
  // device, and key-frames-only decoding. The threads end with the call; an
  // error of any GOP reaches the caller once all have stopped.
  static constexpr size_t kMaxLanes = 15;

  // The slots of `order` (sorted by target) to decode, each distinct target
  // once, grouped by GOP in increasing order; one group when the batch
  // cannot be decoded in parallel.
  std::vector<std::vector<size_t>> splitByGop(const std::vector<int64_t>& targets,
                                              const std::vector<size_t>& order) const;

  bool canDecodeInParallel() const;

  void decodeGopsInParallel(const std::vector<std::vector<size_t>>& gops,
                            const std::function<void(DecodeLane&, size_t)>& decodeInto);

  VideoDecoderOptions options;
  Demuxer demuxer;
  int stream = -1;
  int64_t endTimestamp = 0;  // exact mode: max(pts + duration) of the frames
  AVRational timeBase{1, 1};
  StreamMetadata metadata;
  FrameIndex index;
  std::string savedIndexProblem;
  bool exact = true;
  bool floatOutput = false;
  std::unique_ptr<FrameSink> sink;
  std::unique_ptr<VideoStreamDecoder> decoder;
  std::vector<std::unique_ptr<OwnedLane>> lanes;
  bool keyFramesOnly = false;
  // The file ends inside a frame (Note [A file cut short]).
  bool cutShort = false;
  std::mutex mutex;
};

}  // namespace codecflow
