#include "codecflow/WavDecoder.h"

#include <algorithm>
#include <mutex>

#include "decode/SampleRange.h"
#include "io/FileStream.h"
#include "wav/WavReader.h"
#include "codecflow/Error.h"

namespace codecflow {

namespace {

std::shared_ptr<ByteStream> openSource(const Source& source) {
  if (source.kind() == Source::Kind::Stream) {
    return source.openStream();
  }
  if (source.path().find("://") != std::string::npos) {
    fail(ErrorKind::InvalidArgument, "WavDecoder reads local files, bytes, tensors and "
                                     "file-like objects, not URLs such as '" +
                                         source.path() + "'; use AudioDecoder");
  }
  return openFileStream(source.path());
}

}  // namespace

struct WavDecoder::Impl {
  explicit Impl(const Source& source)
      : description(source.description()), reader(openSource(source), description) {
    const WavFormat& f = reader.format();
    metadata.streamIndex = 0;
    metadata.mediaType = MediaType::Audio;
    metadata.codec = wavCodecName(f.type);
    metadata.durationSecondsFromHeader = static_cast<double>(f.numSamples) / f.sampleRate;
    if (f.byteRate > 0) {
      metadata.bitRate = f.byteRate * 8;
    }
    metadata.sampleRate = f.sampleRate;
    metadata.numChannels = f.channels;
    metadata.sampleFormat = wavSampleFormatName(f.type);
  }

  DecodedSamples read(int64_t first, int64_t stop, double pts) {
    const WavFormat& f = reader.format();
    stop = std::min(stop, f.numSamples);
    SampleBuffer samples(f.channels);
    samples.reserve(std::max<int64_t>(stop - first, 0));
    reader.read(first, stop - first, samples);
    return {samples.release(), pts, f.sampleRate};
  }

  std::string description;
  WavReader reader;
  StreamMetadata metadata;
  std::mutex mutex;
};

WavDecoder::WavDecoder(Source source) : impl_(std::make_unique<Impl>(source)) {}
WavDecoder::~WavDecoder() = default;

const StreamMetadata& WavDecoder::metadata() const { return impl_->metadata; }
int WavDecoder::sampleRate() const { return impl_->reader.format().sampleRate; }
int WavDecoder::numChannels() const { return impl_->reader.format().channels; }
int64_t WavDecoder::numSamples() const { return impl_->reader.format().numSamples; }

DecodedSamples WavDecoder::allSamples() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read(0, numSamples(), 0.0);
}

DecodedSamples WavDecoder::samplesInRange(double startSeconds, std::optional<double> stopSeconds) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  int rate = sampleRate();
  SampleRange range = sampleRangeOf(startSeconds, stopSeconds, 0.0, rate);
  double pts = std::max(startSeconds, 0.0);
  int64_t stop = std::min(range.stop, numSamples());
  if (stop <= range.first) {
    // Note [Empty ranges]
    double end = static_cast<double>(numSamples()) / rate;
    bool overlaps = (!stopSeconds || *stopSeconds > 0.0) && startSeconds < end;
    if (!overlaps && !isZeroLengthRange(startSeconds, stopSeconds)) {
      failEmptyRange(impl_->description, startSeconds, stopSeconds, 0.0, end);
    }
    return {SampleBuffer(numChannels()).release(), pts, rate};
  }
  return impl_->read(range.first, stop, pts);
}

}  // namespace codecflow
