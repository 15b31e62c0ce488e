#include "codecflow/VideoDecoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>

#include "ColorConverter.h"
#include "Demuxer.h"
#include "FrameIndex.h"
#include "FrameSink.h"
#include "VideoStreamDecoder.h"
#include "codecflow/Error.h"
#include "codecflow/Log.h"
#include "ffmpeg/Compat.h"

namespace codecflow {

namespace {

std::string describeIndexRange(int64_t index, int64_t count) {
  return "frame index " + std::to_string(index) + " is out of range; the video has " +
         std::to_string(count) + " frames (valid: 0 to " + std::to_string(count - 1) + ")";
}

}  // namespace

struct VideoDecoder::Impl {
  Impl(Source source, VideoDecoderOptions opts)
      : options(checked(std::move(opts))), demuxer(std::move(source)) {
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
    } else if (options.seekMode == SeekMode::Exact) {
      index = FrameIndex::scan(demuxer, stream);
      exact = true;
    } else {
      exact = false;
    }
    if (exact) {
      fillContentMetadata();
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
                                                   sink->codecOpener());
    if (exact && index.numberedFrameDuration() > 0) {
      decoder->numberFrames(index.numberedFrameDuration());
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
      metadata.endStreamSecondsFromContent = toSeconds(end, timeBase);
    }
  }

  int64_t numFrames() const {
    if (exact) {
      return index.size();
    }
    if (metadata.numFramesFromHeader) {
      return *metadata.numFramesFromHeader;
    }
    if (metadata.durationSecondsFromHeader && metadata.averageFpsFromHeader) {
      return static_cast<int64_t>(
          std::floor(*metadata.durationSecondsFromHeader * *metadata.averageFpsFromHeader));
    }
    return 0;
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

  // The tick a time falls in. A time that is a tick's start up to float
  // error (31 / 30 s, say) belongs to that tick, not the one before.
  int64_t toTimestamp(double seconds) const {
    return static_cast<int64_t>(std::floor(seconds / av_q2d(timeBase) + 1e-6));
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
  AVRational timeBase{1, 1};
  StreamMetadata metadata;
  FrameIndex index;
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

std::vector<int64_t> VideoDecoder::indexPts() const {
  std::vector<int64_t> out;
  for (const FrameEntry& f : impl_->index.frames()) {
    out.push_back(f.pts);
  }
  return out;
}

std::vector<int64_t> VideoDecoder::indexDurations() const {
  std::vector<int64_t> out;
  for (const FrameEntry& f : impl_->index.frames()) {
    out.push_back(f.duration);
  }
  return out;
}

std::vector<bool> VideoDecoder::indexKeyFrames() const {
  std::vector<bool> out;
  for (const FrameEntry& f : impl_->index.frames()) {
    out.push_back(f.keyFrame);
  }
  return out;
}

DecodedFrames VideoDecoder::framesAt(const std::vector<int64_t>& indices) {
  FFmpegLogScope logScope;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  int64_t count = impl_->numFrames();
  std::vector<int64_t> targets;
  targets.reserve(indices.size());
  for (int64_t i : indices) {
    if (i < 0 || i >= count) {
      fail(ErrorKind::OutOfRange, describeIndexRange(i, count));
    }
    if (impl_->exact) {
      targets.push_back(impl_->index.frames()[i].pts);
    } else {
      // Aim at the middle of the frame's nominal interval: containers round
      // pts (WebM to milliseconds), so its start may fall just before the
      // frame's stored pts.
      double seconds =
          impl_->beginSeconds() + (static_cast<double>(i) + 0.5) / impl_->approximateFps();
      targets.push_back(impl_->toTimestamp(seconds));
    }
  }
  return impl_->decodeTargets(targets, impl_->exact, indices);
}

DecodedFrames VideoDecoder::framesPlayedAt(const std::vector<double>& seconds) {
  FFmpegLogScope logScope;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<int64_t> targets;
  std::vector<int64_t> indices;
  targets.reserve(seconds.size());
  for (double t : seconds) {
    if (impl_->exact) {
      const auto& frames = impl_->index.frames();
      int64_t ts = impl_->toTimestamp(t);
      // The frame shown at t: the last frame with pts <= t.
      auto it = std::upper_bound(frames.begin(), frames.end(), ts,
                                 [](int64_t v, const FrameEntry& f) { return v < f.pts; });
      bool pastEnd = it == frames.end() && !frames.empty() &&
                     ts >= frames.back().pts + frames.back().duration;
      if (frames.empty() || it == frames.begin() || pastEnd) {
        double begin = frames.empty() ? 0.0 : toSeconds(frames.front().pts, impl_->timeBase);
        double end = *impl_->metadata.endStreamSecondsFromContent;
        fail(ErrorKind::OutOfRange, "no frame is shown at " + std::to_string(t) +
                                        " s: the video plays from " + std::to_string(begin) +
                                        " s to " + std::to_string(end) + " s");
      }
      targets.push_back((it - 1)->pts);
      indices.push_back(it - 1 - frames.begin());
    } else {
      targets.push_back(impl_->toTimestamp(t));
      indices.push_back(-1);
    }
  }
  return impl_->decodeTargets(targets, impl_->exact, indices);
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
  double frames = std::ceil((stopSeconds - startSeconds) * fps - 1e-9);
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
