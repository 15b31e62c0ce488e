// Frame selection: indices and times to decode targets (Note [Times to
// timestamps]), and the moves of the stream decoder that reach them.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "decode/VideoDecoderImpl.h"
#include "codecflow/Error.h"
#include "codecflow/Log.h"
#include "decode/Parallel.h"
#include "ffmpeg/Compat.h"

namespace codecflow {

namespace {

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

int64_t VideoDecoder::Impl::shownAt(int64_t ts) const {
  const auto& frames = index.frames();
  auto it = std::upper_bound(frames.begin(), frames.end(), ts,
                             [](int64_t v, const FrameEntry& f) { return v < f.pts; });
  return static_cast<int64_t>(it - frames.begin()) - 1;
}

int64_t VideoDecoder::Impl::firstAtOrAfter(int64_t ts) const {
  const auto& frames = index.frames();
  auto it = std::lower_bound(frames.begin(), frames.end(), ts,
                             [](const FrameEntry& f, int64_t v) { return f.pts < v; });
  return static_cast<int64_t>(it - frames.begin());
}

DecodedFrames VideoDecoder::Impl::framesAtIndices(const std::vector<int64_t>& indices) {
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

DecodedFrames VideoDecoder::Impl::framesShownAt(const std::vector<double>& times,
                                                bool clampToStream) {
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

void VideoDecoder::Impl::moveTo(VideoStreamDecoder& dec, int64_t target, bool exactPts, int64_t indexForErrors) {
  bool canRollForward = dec.current() != nullptr && dec.currentPts() <= target;
  if (canRollForward && exact) {
    // A key frame between here and the target: seeking there is cheaper
    // than decoding everything in between.
    canRollForward = index.seekPointBefore(target) <= index.seekPointBefore(dec.currentPts());
  }
  bool canRetryFromDts = false;
  if (!canRollForward) {
    canRetryFromDts = seekBefore(dec, target);
  }
  // Frames before an exact target are only decoded to be dropped.
  dec.skipUnreferencedBefore(exactPts ? target : INT64_MIN);
  for (int attempt = 0;; ++attempt) {
    int64_t next = 0;
    // An exact target is reached once it is the current frame: peeking at
    // the frame after it would decode one more frame (several with frame
    // threads) only to learn what the index already says.
    while (!(exactPts && dec.current() != nullptr && dec.currentPts() == target) &&
           dec.peekPts(next) && next <= target) {
      dec.advance();
    }
    bool landed = dec.current() != nullptr &&
                  (exactPts ? dec.currentPts() == target : dec.currentPts() <= target);
    if (landed) {
      if (!exactPts && !dec.peekPts(next)) {
        failIfPastLastFrame(dec, target, indexForErrors);
      }
      return;
    }
    if (dec.current() == nullptr && !exactPts && attempt > 0 &&
        dec.peekPts(next)) {
      // Before the first frame: the first frame is what is shown.
      dec.advance();
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
      dec.seek(index.seekPoints()[index.seekPointBefore(target)].seekTimestamp());
    } else {
      dec.seek(INT64_MIN);
    }
  }
}

void VideoDecoder::Impl::failIfPastLastFrame(const VideoStreamDecoder& dec, int64_t target, int64_t indexForErrors) const {
  int64_t duration = compat::frameDuration(dec.current());
  if (duration <= 0 && metadata.averageFpsFromHeader && *metadata.averageFpsFromHeader > 0) {
    duration = toTimestamp(1.0 / *metadata.averageFpsFromHeader);
  }
  int64_t end = dec.currentPts() + std::max<int64_t>(duration, 1);
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

bool VideoDecoder::Impl::seekBefore(VideoStreamDecoder& dec, int64_t target) {
  int64_t position = index.seekPointBefore(target);
  if (position >= 0) {
    const SeekPoint& point = index.seekPoints()[position];
    dec.seek(point.pts);
    return point.seekTimestamp() != point.pts;
  }
  if (exact) {
    dec.seek(INT64_MIN);
  } else {
    dec.seek(target);
  }
  return false;
}

DecodedFrames VideoDecoder::Impl::decodeTargets(const std::vector<int64_t>& targets,
                                                bool exactPts,
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
  auto decodeInto = [&](DecodeLane& lane, size_t slot) {
    moveTo(*lane.decoder, targets[slot], exactPts, indicesForErrors[slot]);
    const AVFrame* frame = lane.decoder->current();
    lane.sink->write(frame, base + slot * slotBytes);
    result.ptsSeconds[slot] = toSeconds(lane.decoder->currentPts(), timeBase);
    result.durationSeconds[slot] = frameDurationSeconds(*lane.decoder, frame);
  };
  std::vector<std::vector<size_t>> gops = splitByGop(targets, order);
  if (gops.size() >= 2 && parallelWorkers(gops.size()) >= 2) {
    // Note [GOP-parallel batches]
    decodeGopsInParallel(gops, decodeInto);
  } else {
    DecodeLane self{decoder.get(), sink.get()};
    for (const std::vector<size_t>& gop : gops) {
      for (size_t slot : gop) {
        decodeInto(self, slot);
      }
    }
  }
  for (size_t k = 1; k < n; ++k) {
    size_t slot = order[k];
    size_t first = order[k - 1];
    if (targets[first] == targets[slot]) {
      // Walking in order, `first` holds the frame already (copied or decoded).
      sink->copySlot(base + slot * slotBytes, base + first * slotBytes, slotBytes);
      result.ptsSeconds[slot] = result.ptsSeconds[first];
      result.durationSeconds[slot] = result.durationSeconds[first];
    }
  }
  sink->finish();
  return result;
}

double VideoDecoder::Impl::frameDurationSeconds(const VideoStreamDecoder& dec,
                                                const AVFrame* frame) const {
  if (exact) {
    int64_t position = index.findPts(dec.currentPts());
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
