#include "codecflow/VideoDecoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>

#include "convert/ColorConverter.h"
#include "demux/Demuxer.h"
#include "demux/FrameIndex.h"
#include "FrameSink.h"
#include "demux/TruncatedFile.h"
#include "decode/VideoStreamDecoder.h"
#include "codecflow/Error.h"
#include "codecflow/Log.h"
#include "ffmpeg/Compat.h"

namespace codecflow {

namespace {

std::string describeSeconds(double value) { return std::to_string(value) + " s"; }

// Python's slice.indices() for one bound and a positive step.
int64_t clampSliceBound(int64_t bound, int64_t count) {
  if (bound < 0) {
    bound += count;
    return bound < 0 ? 0 : bound;
  }
  return bound > count ? count : bound;
}

std::string describeIndexRange(int64_t index, int64_t count) {
  return "frame index " + std::to_string(index) + " is out of range; the video has " +
         std::to_string(count) + " frames (valid: 0 to " + std::to_string(count - 1) + ")";
}

}  // namespace

struct VideoDecoder::Impl {
  Impl(Source source, VideoDecoderOptions opts)
      : options(checked(std::move(opts))),
        demuxer(std::move(source), routeFfmpegOptions(options.ffmpegOptions).format) {
    stream = demuxer.selectStream(
        options.streamIndex ? static_cast<int>(*options.streamIndex) : -1, AVMEDIA_TYPE_VIDEO);
    const AVStream* st = demuxer.stream(stream);
    timeBase = st->time_base;
    metadata = demuxer.streamMetadata(stream);
    if (options.customFrames) {
      std::vector<FrameEntry> frames;
      frames.reserve(options.customFrames->size());
      for (const CustomFrame& f : *options.customFrames) {
        frames.push_back({f.pts, f.duration, f.keyFrame});
      }
      index = FrameIndex::fromFrames(std::move(frames));
      exact = true;
    } else if (options.seekMode == SeekMode::Exact ||
               fileCutShort(demuxer.format(), stream)) {
      // A file cut short is counted even in approximate mode: its header
      // promises frames that are not there (Note [A file cut short]).
      index = FrameIndex::loadOrScan(demuxer, stream, timeBase, options.savedIndex,
                                     options.rescanBadSavedIndex, savedIndexProblem);
      exact = true;
    } else {
      exact = false;
    }
    // The scan's rewind may have opened the container again (Demuxer::
    // seekBackward): its streams are new objects.
    st = demuxer.stream(stream);
    floatOutput = options.outputDType == OutputDType::Float32 ||
                  (options.outputDType == OutputDType::Auto && metadata.bitsPerComponent > 8);
    sink = makeFrameSink(options, floatOutput, st, st->codecpar->width, st->codecpar->height,
                         metadata.rotation);
    decoder = std::make_unique<VideoStreamDecoder>(demuxer, stream,
                                                   static_cast<int>(options.numThreads),
                                                   sink->codecOpener(),
                                                   routeFfmpegOptions(options.ffmpegOptions).codec);
    if (exact && index.numberedFrameDuration() > 0) {
      decoder->numberFrames(index.numberedFrameDuration());
    }
    if (exact) {
      keepFramesThatDecode(index, *decoder);
      fillContentMetadata();
    }
  }

  // The options, their numeric values checked before anything is opened.
  static VideoDecoderOptions checked(VideoDecoderOptions options) {
    if (options.streamIndex) {
      checkRange(kVideoStreamIndexRange, *options.streamIndex);
    }
    checkRange(kNumThreadsRange, options.numThreads);
    return options;
  }

  void fillContentMetadata() {
    const auto& frames = index.frames();
    metadata.numFramesFromContent = static_cast<int64_t>(frames.size());
    if (!frames.empty()) {
      metadata.beginStreamSecondsFromContent = toSeconds(frames.front().pts, timeBase);
      int64_t end = INT64_MIN;
      for (const FrameEntry& f : frames) {
        end = std::max(end, f.pts + f.duration);
      }
      endTimestamp = end;
      metadata.endStreamSecondsFromContent = toSeconds(end, timeBase);
    }
  }

  // Approximate mode's duration: the stream header's, else its frame count
  // over its frame rate, else the container's (as TorchCodec falls back).
  std::optional<double> approximateDuration() const {
    if (metadata.durationSecondsFromHeader) {
      return metadata.durationSecondsFromHeader;
    }
    if (metadata.numFramesFromHeader && metadata.averageFpsFromHeader &&
        *metadata.averageFpsFromHeader > 0) {
      return static_cast<double>(*metadata.numFramesFromHeader) / *metadata.averageFpsFromHeader;
    }
    return metadata.durationSecondsFromContainer;
  }

  int64_t numFrames() const {
    if (exact) {
      return index.size();
    }
    if (metadata.numFramesFromHeader) {
      return *metadata.numFramesFromHeader;
    }
    std::optional<double> duration = approximateDuration();
    if (duration && metadata.averageFpsFromHeader) {
      double count = std::floor(*duration * *metadata.averageFpsFromHeader);
      if (count > 0 && count < 1e15) {
        return static_cast<int64_t>(count);
      }
    }
    return 0;
  }

  double beginStreamSeconds() const {
    if (exact) {
      return metadata.beginStreamSecondsFromContent.value_or(0.0);
    }
    return beginSeconds();
  }

  std::optional<double> endStreamSeconds() const {
    if (exact) {
      return metadata.endStreamSecondsFromContent;
    }
    std::optional<double> duration = approximateDuration();
    if (!duration) {
      return std::nullopt;
    }
    return beginSeconds() + *duration;
  }

  // The first and one-past-the-last tick at which a frame is shown; no end
  // when the stream's end is unknown (approximate mode without a duration).
  int64_t beginTimestamp() const {
    if (exact) {
      return index.empty() ? 0 : index.frames().front().pts;
    }
    return toTimestamp(beginSeconds());
  }

  std::optional<int64_t> endTimestampOrNone() const {
    if (exact) {
      return index.empty() ? std::optional<int64_t>(0) : std::optional<int64_t>(endTimestamp);
    }
    std::optional<double> end = endStreamSeconds();
    if (!end) {
      return std::nullopt;
    }
    return toTimestamp(*end);
  }

  std::string describeStreamSpan() const {
    std::optional<double> end = endStreamSeconds();
    return "the video plays from " + describeSeconds(beginStreamSeconds()) + " to " +
           (end ? describeSeconds(*end) : std::string("an unknown end"));
  }

  // Exact mode: the position of the frame shown at tick `ts` (the last with
  // pts <= ts), or -1 before the first frame.
  int64_t shownAt(int64_t ts) const {
    const auto& frames = index.frames();
    auto it = std::upper_bound(frames.begin(), frames.end(), ts,
                               [](int64_t v, const FrameEntry& f) { return v < f.pts; });
    return static_cast<int64_t>(it - frames.begin()) - 1;
  }

  // Exact mode: the position of the first frame whose pts is at or after
  // tick `ts` (the end of a half-open range).
  int64_t firstAtOrAfter(int64_t ts) const {
    const auto& frames = index.frames();
    auto it = std::lower_bound(frames.begin(), frames.end(), ts,
                               [](const FrameEntry& f, int64_t v) { return f.pts < v; });
    return static_cast<int64_t>(it - frames.begin());
  }

  DecodedFrames framesAtIndices(const std::vector<int64_t>& indices) {
    int64_t count = numFrames();
    std::vector<int64_t> targets;
    targets.reserve(indices.size());
    for (int64_t i : indices) {
      if (i < 0 || i >= count) {
        fail(ErrorKind::OutOfRange, describeIndexRange(i, count));
      }
      if (exact) {
        targets.push_back(index.frames()[i].pts);
      } else {
        // Aim at the middle of the frame's nominal interval: containers round
        // pts (WebM to milliseconds), so its start may fall just before the
        // frame's stored pts.
        double at = beginSeconds() + (static_cast<double>(i) + 0.5) / approximateFps();
        targets.push_back(toTimestamp(at));
      }
    }
    return decodeTargets(targets, exact, indices);
  }

  // The decode targets of the frames shown at `times`, checked against the
  // stream's span (OutOfRange outside it) unless `clampToStream`, which maps
  // a time past the last frame to the last frame.
  DecodedFrames framesShownAt(const std::vector<double>& times, bool clampToStream) {
    std::vector<int64_t> targets;
    std::vector<int64_t> indices;
    targets.reserve(times.size());
    int64_t begin = beginTimestamp();
    std::optional<int64_t> end = endTimestampOrNone();
    for (double t : times) {
      int64_t ts = toTimestamp(t);
      if ((exact && index.empty()) || (!clampToStream && (ts < begin || (end && ts >= *end)))) {
        fail(ErrorKind::OutOfRange, "no frame is shown at " + describeSeconds(t) + ": " +
                                        describeStreamSpan() + " (the end excluded)");
      }
      if (exact) {
        int64_t position = std::clamp<int64_t>(shownAt(ts), 0, index.size() - 1);
        targets.push_back(index.frames()[position].pts);
        indices.push_back(position);
      } else {
        targets.push_back(ts);
        indices.push_back(-1);
      }
    }
    return decodeTargets(targets, exact, indices);
  }

  double approximateFps() const {
    if (!metadata.averageFpsFromHeader || *metadata.averageFpsFromHeader <= 0) {
      fail(ErrorKind::Runtime, "'" + demuxer.source().description() +
                                   "' has no frame rate in its header; approximate seek mode "
                                   "cannot map frame indices to times (use seek_mode='exact')");
    }
    return *metadata.averageFpsFromHeader;
  }

  double beginSeconds() const {
    return metadata.beginStreamSecondsFromHeader.value_or(0.0);
  }

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
  int64_t toTimestamp(double seconds) const {
    double tick = av_q2d(timeBase);
    return clampTicks(std::floor(seconds / tick + std::min(0.5, 5e-7 / tick)));
  }

  // The first tick at or after `seconds` moved half a microsecond earlier.
  int64_t toStopTimestamp(double seconds) const {
    double tick = av_q2d(timeBase);
    return clampTicks(std::ceil(seconds / tick - std::min(0.5, 5e-7 / tick)));
  }

  static int64_t clampTicks(double ticks) {
    if (!(ticks > -9.0e18)) {
      return INT64_MIN / 2;
    }
    if (ticks > 9.0e18) {
      return INT64_MAX / 2;
    }
    return static_cast<int64_t>(ticks);
  }

  // Positions the decoder on the frame shown at `target` (stream time base):
  // the last frame with pts <= target. With `exactPts`, that frame must have
  // exactly this pts.
  void moveTo(int64_t target, bool exactPts, int64_t indexForErrors) {
    bool canRollForward = decoder->current() != nullptr && decoder->currentPts() <= target;
    if (canRollForward && exact) {
      // A key frame between here and the target: seeking there is cheaper
      // than decoding everything in between.
      canRollForward = index.seekPointBefore(target) <= index.seekPointBefore(decoder->currentPts());
    }
    bool canRetryFromDts = false;
    if (!canRollForward) {
      canRetryFromDts = seekBefore(target);
    }
    // Frames before an exact target are only decoded to be dropped.
    decoder->skipUnreferencedBefore(exactPts ? target : INT64_MIN);
    for (int attempt = 0;; ++attempt) {
      int64_t next = 0;
      // An exact target is reached once it is the current frame: peeking at
      // the frame after it would decode one more frame (several with frame
      // threads) only to learn what the index already says.
      while (!(exactPts && decoder->current() != nullptr && decoder->currentPts() == target) &&
             decoder->peekPts(next) && next <= target) {
        decoder->advance();
      }
      bool landed = decoder->current() != nullptr &&
                    (exactPts ? decoder->currentPts() == target : decoder->currentPts() <= target);
      if (landed) {
        if (!exactPts && !decoder->peekPts(next)) {
          failIfPastLastFrame(target, indexForErrors);
        }
        return;
      }
      if (decoder->current() == nullptr && !exactPts && attempt > 0 &&
          decoder->peekPts(next)) {
        // Before the first frame: the first frame is what is shown.
        decoder->advance();
        return;
      }
      if (attempt >= 2) {
        fail(ErrorKind::InvalidData,
             "could not decode frame " + std::to_string(indexForErrors) + " (pts " +
                 std::to_string(target) + ") of '" + demuxer.source().description() +
                 "': the stream is damaged or its index does not match its frames");
      }
      // The seek landed after the target. A demuxer that seeks by decode
      // time may land on a later key frame whose dts precedes the pts we
      // asked for: retry from the earlier of the key frame's pts and dts.
      // Past that (a mislabelled key frame), start from the beginning.
      if (canRetryFromDts) {
        canRetryFromDts = false;
        decoder->seek(index.seekPoints()[index.seekPointBefore(target)].seekTimestamp());
      } else {
        decoder->seek(INT64_MIN);
      }
    }
  }

  // Approximate mode trusts the header's frame count and duration; past the
  // last frame that really decodes, no frame is shown at `target`, which is
  // an error rather than the last frame again.
  void failIfPastLastFrame(int64_t target, int64_t indexForErrors) const {
    int64_t duration = compat::frameDuration(decoder->current());
    if (duration <= 0 && metadata.averageFpsFromHeader && *metadata.averageFpsFromHeader > 0) {
      duration = toTimestamp(1.0 / *metadata.averageFpsFromHeader);
    }
    int64_t end = decoder->currentPts() + std::max<int64_t>(duration, 1);
    if (target < end) {
      return;
    }
    std::string what = indexForErrors >= 0 ? "frame " + std::to_string(indexForErrors)
                                           : "a frame at " +
                                                 describeSeconds(toSeconds(target, timeBase));
    fail(ErrorKind::OutOfRange,
         "'" + demuxer.source().description() + "' has no " + what +
             ": its frames end at " + describeSeconds(toSeconds(end, timeBase)) +
             ", before what its header says (seek_mode='approximate' trusts the header; "
             "seek_mode='exact' counts the frames)");
  }

  // Note [Seeking to a key frame's pts]
  // MP4 and Matroska demuxers seek by presentation time: asking for a key
  // frame's dts, which B-frames put before its pts, lands on the key frame
  // before it and decodes a whole GOP for nothing. So the seek asks for the
  // key frame's pts; a demuxer that seeks by decode time lands on this key
  // frame or (rarely) a later one, and moveTo() then retries from the
  // earlier of pts and dts. Returns whether that retry can land elsewhere.
  bool seekBefore(int64_t target) {
    int64_t position = index.seekPointBefore(target);
    if (position >= 0) {
      const SeekPoint& point = index.seekPoints()[position];
      decoder->seek(point.pts);
      return point.seekTimestamp() != point.pts;
    }
    if (exact) {
      decoder->seek(INT64_MIN);
    } else {
      decoder->seek(target);
    }
    return false;
  }

  // Decodes the frames at `targets` (stream time base) into `out`, each
  // distinct target once, in increasing order so that one pass suffices.
  DecodedFrames decodeTargets(const std::vector<int64_t>& targets, bool exactPts,
                              const std::vector<int64_t>& indicesForErrors) {
    size_t n = targets.size();
    DecodedFrames result;
    result.data = sink->allocate(static_cast<int64_t>(n));
    result.ptsSeconds.resize(n);
    result.durationSeconds.resize(n);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return targets[a] < targets[b]; });
    int64_t slotBytes = n > 0 ? result.data.nbytes() / static_cast<int64_t>(n) : 0;
    auto* base = static_cast<uint8_t*>(result.data.data());
    for (size_t k = 0; k < n; ++k) {
      size_t slot = order[k];
      if (k > 0 && targets[order[k - 1]] == targets[slot]) {
        size_t first = order[k - 1];
        sink->copySlot(base + slot * slotBytes, base + first * slotBytes, slotBytes);
        result.ptsSeconds[slot] = result.ptsSeconds[first];
        result.durationSeconds[slot] = result.durationSeconds[first];
        continue;
      }
      moveTo(targets[slot], exactPts, indicesForErrors[slot]);
      const AVFrame* frame = decoder->current();
      sink->write(frame, base + slot * slotBytes);
      result.ptsSeconds[slot] = toSeconds(decoder->currentPts(), timeBase);
      result.durationSeconds[slot] = frameDurationSeconds(frame);
    }
    sink->finish();
    return result;
  }

  double frameDurationSeconds(const AVFrame* frame) const {
    if (exact) {
      int64_t position = index.findPts(decoder->currentPts());
      if (position >= 0) {
        return toSeconds(index.frames()[position].duration, timeBase);
      }
    }
    int64_t duration = compat::frameDuration(frame);
    if (duration > 0) {
      return toSeconds(duration, timeBase);
    }
    return metadata.averageFpsFromHeader ? 1.0 / *metadata.averageFpsFromHeader : 0.0;
  }

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
  std::mutex mutex;
};

VideoDecoder::VideoDecoder(Source source, VideoDecoderOptions options)
    : impl_(std::make_unique<Impl>(std::move(source), std::move(options))) {}

VideoDecoder::~VideoDecoder() = default;

const StreamMetadata& VideoDecoder::metadata() const { return impl_->metadata; }
int VideoDecoder::streamIndex() const { return impl_->stream; }
int64_t VideoDecoder::numFrames() const { return impl_->numFrames(); }
int VideoDecoder::outputHeight() const { return impl_->sink->outputHeight(); }
int VideoDecoder::outputWidth() const { return impl_->sink->outputWidth(); }
CpuFallback VideoDecoder::cpuFallback() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->sink->cpuFallback();
}
std::pair<int, int> VideoDecoder::timeBase() const {
  return {impl_->timeBase.num, impl_->timeBase.den};
}
bool VideoDecoder::exact() const { return impl_->exact; }
bool VideoDecoder::floatOutput() const { return impl_->floatOutput; }

template <typename T>
static std::vector<T> column(const FrameIndex& index, T FrameEntry::*field) {
  std::vector<T> out;
  for (const FrameEntry& f : index.frames()) {
    out.push_back(f.*field);
  }
  return out;
}

std::vector<int64_t> VideoDecoder::indexPts() const {
  return column(impl_->index, &FrameEntry::pts);
}
std::vector<int64_t> VideoDecoder::indexDurations() const {
  return column(impl_->index, &FrameEntry::duration);
}
std::vector<bool> VideoDecoder::indexKeyFrames() const {
  return column(impl_->index, &FrameEntry::keyFrame);
}

std::vector<int64_t> VideoDecoder::keyFrameIndices() const {
  if (!impl_->exact) {
    fail(ErrorKind::Runtime,
         "key frame indices come from the exact-mode scan; this decoder was opened with "
         "seek_mode='approximate'");
  }
  std::vector<int64_t> out;
  const auto& frames = impl_->index.frames();
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].keyFrame) {
      out.push_back(static_cast<int64_t>(i));
    }
  }
  return out;
}

std::string VideoDecoder::savedIndex() const {
  keyFrameIndices();  // the same Runtime error in approximate mode
  return impl_->index.save(impl_->stream, impl_->timeBase);
}
const std::string& VideoDecoder::savedIndexProblem() const { return impl_->savedIndexProblem; }

DecodedFrames VideoDecoder::keyFrames() {
  std::vector<int64_t> indices = keyFrameIndices();
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->decoder->withKeyFramesOnly([&] { return impl_->framesAtIndices(indices); });
}

double VideoDecoder::beginSeconds() const { return impl_->beginStreamSeconds(); }
std::optional<double> VideoDecoder::endSeconds() const { return impl_->endStreamSeconds(); }

DecodedFrames VideoDecoder::framesAt(const std::vector<int64_t>& indices) {
  FFmpegLogScope logScope;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->framesAtIndices(indices);
}

DecodedFrames VideoDecoder::framesInRange(int64_t start, std::optional<int64_t> stop,
                                          int64_t step) {
  if (step <= 0) {
    fail(ErrorKind::InvalidArgument,
         "step must be a positive number of frames, got " + std::to_string(step));
  }
  FFmpegLogScope logScope;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  int64_t count = impl_->numFrames();
  int64_t first = clampSliceBound(start, count);
  int64_t last = stop ? clampSliceBound(*stop, count) : count;
  std::vector<int64_t> indices;
  for (int64_t i = first; i < last; i += step) {
    indices.push_back(i);
    if (last - i <= step) {
      break;
    }
  }
  return impl_->framesAtIndices(indices);
}

DecodedFrames VideoDecoder::framesPlayedAt(const std::vector<double>& seconds) {
  FFmpegLogScope logScope;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->framesShownAt(seconds, false);
}

DecodedFrames VideoDecoder::framesPlayedInRange(double start, double stop,
                                                std::optional<double> fps) {
  FFmpegLogScope logScope;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& d = *impl_;
  if (std::isnan(start) || std::isnan(stop)) {
    fail(ErrorKind::InvalidArgument, "a time range cannot have a NaN bound");
  }
  if (start > stop) {
    fail(ErrorKind::InvalidArgument, "start_seconds (" + describeSeconds(start) +
                                         ") must not be greater than stop_seconds (" +
                                         describeSeconds(stop) + ")");
  }
  int64_t first = d.toTimestamp(start);
  int64_t last = d.toTimestamp(stop);
  std::optional<int64_t> end = d.endTimestampOrNone();
  if (first < d.beginTimestamp() || (end && first >= *end)) {
    fail(ErrorKind::InvalidArgument, "start_seconds (" + describeSeconds(start) +
                                         ") is outside the video: " + d.describeStreamSpan());
  }
  if (end && last > *end) {
    fail(ErrorKind::InvalidArgument, "stop_seconds (" + describeSeconds(stop) +
                                         ") is after the end of the video: " +
                                         d.describeStreamSpan());
  }
  if (fps) {
    std::vector<double> times = resampledTimes(start, stop, *fps);
    DecodedFrames frames = d.framesShownAt(times, true);
    frames.ptsSeconds = times;
    frames.durationSeconds.assign(times.size(), 1.0 / *fps);
    return frames;
  }
  if (start == stop) {
    return d.framesAtIndices({});
  }
  std::vector<int64_t> indices;
  int64_t lo = 0;
  int64_t hi = 0;
  if (d.exact) {
    lo = std::max<int64_t>(d.shownAt(first), 0);
    hi = d.firstAtOrAfter(d.toStopTimestamp(stop));
  } else {
    // Frame i of approximate mode is shown from begin + i / fps.
    double rate = d.approximateFps();
    double begin = d.beginSeconds();
    auto frameIndex = [&](double value) {
      return static_cast<int64_t>(std::clamp(value, 0.0, static_cast<double>(d.numFrames())));
    };
    lo = frameIndex(std::floor((start - begin) * rate + 1e-6));
    hi = frameIndex(std::ceil((stop - begin) * rate - 1e-6));
  }
  // A range that starts inside a frame holds that frame, however short.
  hi = std::max(hi, lo + 1);
  hi = std::min(hi, d.numFrames());
  for (int64_t i = lo; i < hi; ++i) {
    indices.push_back(i);
  }
  return d.framesAtIndices(indices);
}

std::vector<double> resampledTimes(double startSeconds, double stopSeconds, double fps) {
  if (!(std::isfinite(fps) && fps > 0 && fps <= 1e6)) {
    fail(ErrorKind::InvalidArgument,
         "invalid fps=" + std::to_string(fps) + ": must be a finite number in (0, 1e6]");
  }
  if (!std::isfinite(startSeconds) || !std::isfinite(stopSeconds)) {
    fail(ErrorKind::InvalidArgument, "a resampled range needs finite bounds, got [" +
                                         std::to_string(startSeconds) + ", " +
                                         std::to_string(stopSeconds) + ")");
  }
  // round((stop - start) * fps) frames, halves away from zero.
  double frames = std::round((stopSeconds - startSeconds) * fps);
  if (frames > static_cast<double>(kMaxResampledFrames)) {
    fail(ErrorKind::InvalidArgument,
         "fps=" + std::to_string(fps) + " over " + std::to_string(stopSeconds - startSeconds) +
             " s asks for more than " + std::to_string(kMaxResampledFrames) + " frames");
  }
  auto count = static_cast<int64_t>(std::max(0.0, frames));
  std::vector<double> times;
  times.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    times.push_back(startSeconds + static_cast<double>(i) / fps);
  }
  return times;
}

}  // namespace codecflow
