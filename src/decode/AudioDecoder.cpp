#include "codecflow/AudioDecoder.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <numeric>
#include <utility>
#include <vector>

#include "convert/AudioResampler.h"
#include "decode/AudioStreamDecoder.h"
#include "demux/Demuxer.h"
#include "tensor/SampleBuffer.h"
#include "decode/SampleRange.h"
#include "codecflow/Error.h"
#include "codecflow/Log.h"

namespace codecflow {

namespace {

constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();
// The largest buffer reserved up front from the header's duration; beyond
// it the output grows as samples arrive.
constexpr int64_t kMaxReserve = int64_t{1} << 25;

void checkOptional(const std::optional<int64_t>& value, const IntRange& range) {
  if (value) {
    checkRange(range, *value);
  }
}

}  // namespace

// Note [Positions]
// Output samples are numbered from 0 (the first sample of the stream, at
// t0). `nextIndex` is the number of the next sample the pipeline (demuxer ->
// decoder -> resampler) produces; `pending` holds the samples produced but
// not returned yet, [nextIndex - pending.size(), nextIndex). A seek places
// the pipeline by the pts of the first frame it decodes. When resampling,
// the resampler is started on an input sample whose output position is a
// whole number (a multiple of inRate / gcd(inRate, outRate)), so that it
// runs in the same phase as one started at the beginning of the stream.
//
// Note [Verified positions]
// For codecs whose packets are not self-contained sample counts (lossy
// codecs, ADPCM), a demuxer's timestamps after a seek may disagree with the
// samples decoded from the start (WAV's ADPCM, for one). The decoder
// remembers where every frame it decoded from a known position began; after
// a seek it takes the position from there when it knows the frame, decodes
// from the start when the frame lies in a part it decoded but is unknown
// (disagreeing timestamps), and trusts the timestamp only in parts never
// decoded.
struct AudioDecoder::Impl {
  // Runs a call that decodes: bad arguments and empty ranges leave the
  // pipeline where it was; any other failure marks it broken.
  template <typename Call>
  auto guarded(Call call) -> decltype(call()) {
    try {
      return call();
    } catch (const Error& error) {
      broken = broken || error.kind() != ErrorKind::InvalidArgument;
      throw;
    } catch (...) {
      broken = true;
      throw;
    }
  }

  Impl(Source src, AudioDecoderOptions opts) : source(std::move(src)), options(opts) {
    checkOptional(options.streamIndex, kAudioStreamIndexRange);
    checkOptional(options.sampleRate, kSampleRateRange);
    checkOptional(options.numChannels, kNumChannelsRange);
    restart();
    const AVStream* st = demuxer->stream(stream);
    timeBase = st->time_base;
    metadata = demuxer->streamMetadata(stream);
    const AVCodecDescriptor* descriptor = avcodec_descriptor_get(st->codecpar->codec_id);
    // PCM, FLAC and the like: every packet stands alone and its timestamp
    // counts samples exactly.
    exactSeeks = descriptor != nullptr && (descriptor->props & AV_CODEC_PROP_LOSSLESS) &&
                 (descriptor->props & AV_CODEC_PROP_INTRA_ONLY);
    inRate = hasFrame ? frame->sample_rate : st->codecpar->sample_rate;
    int inChannels = hasFrame ? frame->ch_layout.nb_channels : st->codecpar->ch_layout.nb_channels;
    outRate = options.sampleRate ? static_cast<int>(*options.sampleRate) : inRate;
    outChannels = options.numChannels ? static_cast<int>(*options.numChannels) : inChannels;
    if (inRate <= 0 || outRate <= 0 || outChannels <= 0) {
      fail(ErrorKind::InvalidData, "the audio stream " + std::to_string(stream) + " of '" +
                                       source.description() +
                                       "' has no valid sample rate or channel count");
    }
    int g = std::gcd(inRate, outRate);
    alignIn = inRate / g;
    alignOut = outRate / g;
    prerollIn = (exactSeeks ? 0 : inRate / 2 + static_cast<int64_t>(st->codecpar->seek_preroll)) +
                (inRate != outRate ? inRate / 20 + alignIn : 0);
    pending = SampleBuffer(outChannels);
    scratch = SampleBuffer(outChannels);
    if (hasFrame) {
      int64_t pts = framePts(frame.get());
      firstPts = pts == AV_NOPTS_VALUE ? 0 : pts;
      // Positions after a seek come from timestamps: only those at least
      // as fine as a sample place the pipeline exactly (Matroska's
      // millisecond ones do not; such streams decode from the start).
      seekable = pts != AV_NOPTS_VALUE &&
                 static_cast<int64_t>(timeBase.num) * inRate <= timeBase.den;
      t0 = toSeconds(firstPts, timeBase);
      // Creating the resampler now reports impossible conversions here.
      makeResampler();
    } else {
      t0 = metadata.beginStreamSecondsFromHeader.value_or(0.0);
    }
  }

  // -- pipeline --------------------------------------------------------

  // Opens the source afresh and decodes its first frame: the exact state
  // of a new decoder, whatever the container does about priming samples.
  void restart() {
    decoder.reset();
    demuxer.reset();
    demuxer = std::make_unique<Demuxer>(source);
    if (stream < 0) {
      stream = demuxer->selectStream(
          options.streamIndex ? static_cast<int>(*options.streamIndex) : -1, AVMEDIA_TYPE_AUDIO);
    }
    decoder = std::make_unique<AudioStreamDecoder>(*demuxer, stream);
    if (!frame) {
      frame = allocFrame();
    }
    hasFrame = decoder->next(frame.get());
    resetOutput(0);
  }

  void resetOutput(int64_t index) {
    exactPosition = index == 0;
    nextIn = 0;
    resampler.reset();
    pending.clear();
    nextIndex = index;
    dropIn = 0;
    eof = false;
  }

  void makeResampler() {
    AVChannelLayout layout{};
    if (options.numChannels) {
      av_channel_layout_default(&layout, static_cast<int>(*options.numChannels));
    } else if (frame->ch_layout.nb_channels != outChannels && outChannels > 0) {
      // The channel count changed mid-stream: the output keeps the first
      // frame's, as every buffer of the pipeline has it.
      av_channel_layout_default(&layout, outChannels);
    }
    resampler = std::make_unique<AudioResampler>(frame.get(), outRate, layout);
    av_channel_layout_uninit(&layout);
  }

  // Converts the next frame (at the end: what the resampler still holds)
  // and appends it to `out`. Returns false once the stream is exhausted.
  bool produce(SampleBuffer& out) {
    if (eof) {
      return false;
    }
    if (!hasFrame && !decoder->next(frame.get())) {
      eof = true;
      int64_t before = out.size();
      if (resampler) {
        resampler->flush(out);
      }
      nextIndex += out.size() - before;
      return out.size() > before;
    }
    hasFrame = false;
    int64_t pts = framePts(frame.get());
    if (exactPosition && pts != AV_NOPTS_VALUE &&
        (knownFrames.empty() || pts > knownFrames.back().first)) {
      knownFrames.emplace_back(pts, nextIn);
    }
    nextIn += frame->nb_samples;
    int offset = static_cast<int>(std::min<int64_t>(dropIn, frame->nb_samples));
    dropIn -= offset;
    int64_t before = out.size();
    if (resampler && !resampler->accepts(frame.get())) {
      // The stream changed format mid-way: finish the old conversion, as
      // the CLI does when it reconfigures its filter graph.
      resampler->flush(out);
      resampler.reset();
    }
    if (!resampler) {
      try {
        makeResampler();
      } catch (...) {
        // A rate or layout the stream changed to mid-way cannot be
        // converted: the frame is consumed, the pipeline starts over.
        broken = true;
        throw;
      }
    }
    resampler->convert(frame.get(), offset, out);
    nextIndex += out.size() - before;
    return true;
  }

  // Places the pipeline at or before output sample `target`.
  void reposition(int64_t target) {
    int64_t targetIn = static_cast<int64_t>(static_cast<__int128>(target) * inRate / outRate);
    int64_t seekIn = targetIn - prerollIn;
    if (!seekable || seekIn <= 0) {
      restart();
      return;
    }
    // A target far beyond any timestamp (a start of 1e300 s) has no seek
    // position: decoding from the start finds the stream's end.
    int64_t seekPts = 0;
    int64_t offset = av_rescale_q(seekIn, AVRational{1, inRate}, timeBase);
    if (offset == AV_NOPTS_VALUE || __builtin_add_overflow(firstPts, offset, &seekPts)) {
      restart();
      return;
    }
    try {
      decoder->seek(seekPts);
    } catch (const Error&) {
      restart();
      return;
    }
    hasFrame = decoder->next(frame.get());
    int64_t pts = hasFrame ? framePts(frame.get()) : AV_NOPTS_VALUE;
    if (pts == AV_NOPTS_VALUE || frame->sample_rate != inRate) {
      restart();
      return;
    }
    int64_t firstIn = av_rescale_q(pts - firstPts, timeBase, AVRational{1, inRate});
    bool verified = exactSeeks;
    if (!exactSeeks) {
      // Note [Verified positions]
      auto before = [](const std::pair<int64_t, int64_t>& entry, int64_t value) {
        return entry.first < value;
      };
      auto known = std::lower_bound(knownFrames.begin(), knownFrames.end(), pts, before);
      if (known != knownFrames.end() && known->first == pts) {
        firstIn = known->second;
        verified = true;
      } else if (!knownFrames.empty() && pts < knownFrames.back().first) {
        restart();  // timestamps that disagree with the frames decoded before
        return;
      }
    }
    // The first input sample the resampler sees, in phase with a resampler
    // started at the beginning (Note [Positions]).
    int64_t startIn = (std::max<int64_t>(firstIn, 0) + alignIn - 1) / alignIn * alignIn;
    if (startIn > targetIn) {
      restart();  // the demuxer landed after the target
      return;
    }
    resetOutput(startIn / alignIn * alignOut);
    exactPosition = verified;
    nextIn = firstIn;
    dropIn = startIn - firstIn;
  }

  // Output samples [first, stop) (stop may be kUnbounded), as far as the
  // stream has them.
  SampleBuffer take(int64_t first, int64_t stop) {
    if (broken) {
      // A call that failed mid-decode left the pipeline anywhere.
      restart();
      broken = false;
    }
    int64_t pendingStart = nextIndex - pending.size();
    bool farAhead = seekable && first - nextIndex > 10 * static_cast<int64_t>(outRate);
    if (first < pendingStart || farAhead) {
      reposition(first);
    }
    SampleBuffer result(outChannels);
    int64_t expected = metadata.durationSecondsFromHeader
                           ? static_cast<int64_t>(*metadata.durationSecondsFromHeader * outRate) +
                                 outRate + 4096
                           : 0;
    int64_t wanted = stop == kUnbounded ? expected - first : std::min(stop - first, expected);
    result.reserve(std::clamp<int64_t>(wanted, 0, kMaxReserve));

    pendingStart = nextIndex - pending.size();
    int64_t from = std::max(first, pendingStart);
    int64_t to = std::min(stop, nextIndex);
    if (to > from) {
      result.append(pending, from - pendingStart, to - from);
    }
    pending.dropFront(std::max<int64_t>(to, first) - pendingStart);

    while (nextIndex < stop) {
      int64_t before = nextIndex;
      if (before >= first) {
        // Straight into the result; what overshoots `stop` is kept.
        if (!produce(result)) {
          break;
        }
        if (nextIndex > stop) {
          int64_t over = nextIndex - stop;
          pending.append(result, result.size() - over, over);
          result.truncate(result.size() - over);
        }
      } else {
        scratch.clear();
        if (!produce(scratch)) {
          break;
        }
        int64_t lo = std::clamp<int64_t>(first - before, 0, scratch.size());
        int64_t hi = std::clamp<int64_t>(std::min(stop, nextIndex) - before, lo, scratch.size());
        result.append(scratch, lo, hi - lo);
        if (nextIndex > stop) {
          int64_t keep = std::max(stop, first) - before;
          pending.append(scratch, keep, scratch.size() - keep);
        }
      }
    }
    return result;
  }

  // Whether output sample `index` exists, decoding up to it if needed; the
  // samples from `index` on stay queued for the next range.
  bool hasSample(int64_t index) {
    if (eof && index >= nextIndex) {
      return false;
    }
    take(index, index);
    while (nextIndex <= index) {
      if (!produce(pending)) {
        return false;
      }
    }
    return true;
  }

  // samplesInRange, with the mutex held.
  DecodedSamples range(double startSeconds, std::optional<double> stopSeconds);

  Source source;
  AudioDecoderOptions options;
  std::unique_ptr<Demuxer> demuxer;
  std::unique_ptr<AudioStreamDecoder> decoder;
  int stream = -1;
  AVRational timeBase{1, 1};
  StreamMetadata metadata;
  UniqueAVFrame frame;
  bool hasFrame = false;  // `frame` holds a decoded frame not converted yet
  int64_t firstPts = 0;
  bool seekable = false;
  bool exactSeeks = false;
  // Where each frame decoded at a known position began: (pts, input sample
  // index), in increasing pts (Note [Verified positions]).
  std::vector<std::pair<int64_t, int64_t>> knownFrames;
  bool exactPosition = true;  // the pipeline's position is known exactly
  int64_t nextIn = 0;         // input sample index of the next frame
  double t0 = 0.0;
  int inRate = 0;
  int outRate = 0;
  int outChannels = 0;
  int64_t alignIn = 1;
  int64_t alignOut = 1;
  int64_t prerollIn = 0;
  std::unique_ptr<AudioResampler> resampler;
  SampleBuffer pending;
  SampleBuffer scratch;
  int64_t nextIndex = 0;
  int64_t dropIn = 0;  // input samples to drop before the resampler
  bool eof = false;
  bool broken = false;  // a call threw mid-decode: start over on the next one
  std::mutex mutex;
};

AudioDecoder::AudioDecoder(Source source, AudioDecoderOptions options)
    : impl_(std::make_unique<Impl>(std::move(source), options)) {}

AudioDecoder::~AudioDecoder() = default;

const StreamMetadata& AudioDecoder::metadata() const { return impl_->metadata; }
int AudioDecoder::streamIndex() const { return impl_->stream; }
int AudioDecoder::outputSampleRate() const { return impl_->outRate; }
int AudioDecoder::outputNumChannels() const { return impl_->outChannels; }
double AudioDecoder::beginSeconds() const { return impl_->t0; }

DecodedSamples AudioDecoder::allSamples() {
  FFmpegLogScope logScope;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->guarded([&]() -> DecodedSamples {
    SampleBuffer samples = impl_->take(0, kUnbounded);
    return {samples.release(), impl_->t0, impl_->outRate};
  });
}

DecodedSamples AudioDecoder::samplesInRange(double startSeconds,
                                            std::optional<double> stopSeconds) {
  FFmpegLogScope logScope;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->guarded([&] { return impl_->range(startSeconds, stopSeconds); });
}

DecodedSamples AudioDecoder::Impl::range(double startSeconds, std::optional<double> stopSeconds) {
  Impl& d = *this;
  SampleRange range = sampleRangeOf(startSeconds, stopSeconds, d.t0, d.outRate);
  double pts = std::max(startSeconds, d.t0);
  // Note [Empty ranges]
  if (isZeroLengthRange(startSeconds, stopSeconds)) {
    return {SampleBuffer(d.outChannels).release(), pts, d.outRate};
  }
  auto failEmpty = [&] {
    // The stream's end, for the message: where decoding stopped, or what
    // the header says when decoding did not get there.
    double end = d.eof ? d.t0 + static_cast<double>(d.nextIndex) / d.outRate
                       : d.t0 + d.metadata.durationSecondsFromHeader.value_or(0.0);
    failEmptyRange(d.source.description(), startSeconds, stopSeconds, d.t0, end);
  };
  if (stopSeconds && *stopSeconds <= d.t0) {
    failEmpty();
  }
  SampleBuffer samples(d.outChannels);
  if (range.stop > range.first) {
    samples = d.take(range.first, range.stop);
  }
  if (samples.size() == 0 && !d.hasSample(range.first)) {
    // Decoded to the end: empty only when the range starts before it.
    if (startSeconds >= d.t0 + static_cast<double>(d.nextIndex) / d.outRate) {
      failEmpty();
    }
  }
  return {samples.release(), pts, d.outRate};
}

}  // namespace codecflow
