// Opening a video stream and what it holds: counts, times, the index
// (frame selection is FrameSelection.cpp's).
#include "codecflow/VideoDecoder.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "codecflow/Error.h"
#include "decode/CutTail.h"
#include "decode/VideoDecoderImpl.h"
#include "demux/TruncatedFile.h"
#include "ffmpeg/Compat.h"

namespace codecflow {

VideoDecoder::Impl::Impl(Source source, VideoDecoderOptions opts)
    : options(checked(std::move(opts))),
      demuxer(std::move(source), routeFfmpegOptions(options.ffmpegOptions).format) {
  stream = demuxer.selectStream(
      options.streamIndex ? static_cast<int>(*options.streamIndex) : -1, AVMEDIA_TYPE_VIDEO);
  const AVStream* st = demuxer.stream(stream);
  timeBase = st->time_base;
  metadata = demuxer.streamMetadata(stream);
  if (options.transformsFor) {
    options.transforms = options.transformsFor(metadata.height, metadata.width);
  }
  cutShort = fileCutShort(demuxer.format(), stream);
  if (options.customFrames) {
    std::vector<FrameEntry> frames;
    frames.reserve(options.customFrames->size());
    for (const CustomFrame& f : *options.customFrames) {
      frames.push_back({f.pts, f.duration, f.keyFrame});
    }
    index = FrameIndex::fromFrames(std::move(frames));
    exact = true;
  } else if (options.seekMode == SeekMode::Exact || cutShort) {
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

VideoDecoderOptions VideoDecoder::Impl::checked(VideoDecoderOptions options) {
  if (options.streamIndex) {
    checkRange(kVideoStreamIndexRange, *options.streamIndex);
  }
  checkRange(kNumThreadsRange, options.numThreads);
  return options;
}

void VideoDecoder::Impl::fillContentMetadata() {
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

std::optional<double> VideoDecoder::Impl::approximateDuration() const {
  if (metadata.durationSecondsFromHeader) {
    return metadata.durationSecondsFromHeader;
  }
  if (metadata.numFramesFromHeader && metadata.averageFpsFromHeader &&
      *metadata.averageFpsFromHeader > 0) {
    return static_cast<double>(*metadata.numFramesFromHeader) / *metadata.averageFpsFromHeader;
  }
  return metadata.durationSecondsFromContainer;
}

int64_t VideoDecoder::Impl::numFrames() const {
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

double VideoDecoder::Impl::beginStreamSeconds() const {
  if (exact) {
    return metadata.beginStreamSecondsFromContent.value_or(0.0);
  }
  return beginSeconds();
}

std::optional<double> VideoDecoder::Impl::endStreamSeconds() const {
  if (exact) {
    return metadata.endStreamSecondsFromContent;
  }
  std::optional<double> duration = approximateDuration();
  if (!duration) {
    return std::nullopt;
  }
  return beginSeconds() + *duration;
}

int64_t VideoDecoder::Impl::beginTimestamp() const {
  if (exact) {
    return index.empty() ? 0 : index.frames().front().pts;
  }
  return toTimestamp(beginSeconds());
}

std::optional<int64_t> VideoDecoder::Impl::endTimestampOrNone() const {
  if (exact) {
    return index.empty() ? std::optional<int64_t>(0) : std::optional<int64_t>(endTimestamp);
  }
  std::optional<double> end = endStreamSeconds();
  if (!end) {
    return std::nullopt;
  }
  return toTimestamp(*end);
}

std::string VideoDecoder::Impl::describeStreamSpan() const {
  std::optional<double> end = endStreamSeconds();
  return "the video plays from " + describeSeconds(beginStreamSeconds()) + " to " +
         (end ? describeSeconds(*end) : std::string("an unknown end"));
}

double VideoDecoder::Impl::approximateFps() const {
  if (!metadata.averageFpsFromHeader || *metadata.averageFpsFromHeader <= 0) {
    fail(ErrorKind::Runtime, "'" + demuxer.source().description() +
                                 "' has no frame rate in its header; approximate seek mode "
                                 "cannot map frame indices to times (use seek_mode='exact')");
  }
  return *metadata.averageFpsFromHeader;
}

double VideoDecoder::Impl::beginSeconds() const {
  return metadata.beginStreamSecondsFromHeader.value_or(0.0);
}

int64_t VideoDecoder::Impl::toTimestamp(double seconds) const {
  double tick = av_q2d(timeBase);
  return clampTicks(std::floor(seconds / tick + std::min(0.5, 5e-7 / tick)));
}

int64_t VideoDecoder::Impl::toStopTimestamp(double seconds) const {
  double tick = av_q2d(timeBase);
  return clampTicks(std::ceil(seconds / tick - std::min(0.5, 5e-7 / tick)));
}

int64_t VideoDecoder::Impl::clampTicks(double ticks) {
  if (!(ticks > -9.0e18)) {
    return INT64_MIN / 2;
  }
  if (ticks > 9.0e18) {
    return INT64_MAX / 2;
  }
  return static_cast<int64_t>(ticks);
}

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
  // Key frames only is a mode of the decoder's own context: one context.
  impl_->keyFramesOnly = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{impl_->keyFramesOnly};
  return impl_->decoder->withKeyFramesOnly([&] { return impl_->framesAtIndices(indices); });
}

double VideoDecoder::beginSeconds() const { return impl_->beginStreamSeconds(); }
std::optional<double> VideoDecoder::endSeconds() const { return impl_->endStreamSeconds(); }

}  // namespace codecflow
