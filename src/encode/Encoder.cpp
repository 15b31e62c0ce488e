#include "codecflow/Encoder.h"

#include <cmath>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>
#include <variant>

#include "encode/AudioStreamEncoder.h"
#include "encode/EncodeQueue.h"
#include "encode/Muxer.h"
#include "encode/VideoStreamEncoder.h"
#include "codecflow/Error.h"

namespace codecflow {

class Encoder::Impl {
 public:
  enum class State { Configuring, Open, Failed, Closed };

  explicit Impl(int maxQueuedFrames) : maxQueued(maxQueuedFrames) {}

  // Throws unless frames may be added now.
  void checkOpen() const {
    switch (state) {
      case State::Open:
        return;
      case State::Configuring:
        fail(ErrorKind::Runtime, "the encoder is not open yet: call open_file or open_file_like");
      case State::Failed:
        fail(ErrorKind::Runtime, "the encoder stopped after an earlier error: " + failure);
      case State::Closed:
        fail(ErrorKind::Runtime, "the encoder is closed");
    }
  }

  // Throws unless streams may be added now.
  void checkConfiguring() const {
    if (state != State::Configuring) {
      fail(ErrorKind::Runtime, "streams must be added before the encoder is opened");
    }
  }

  // Keeps the checked options of a new stream until the encoder opens;
  // returns the stream's index.
  int addConfig(std::variant<VideoStreamOptions, AudioStreamOptions> options) {
    configs.emplace_back(std::move(options));
    return static_cast<int>(configs.size()) - 1;
  }

  // Records the exception being handled as the one that stopped encoding.
  void markFailed() {
    state = State::Failed;
    try {
      throw;
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "an exception raised while writing";
    }
  }

  template <typename T>
  T& encoderAt(int stream, const char* kind) {
    if (stream < 0 || stream >= static_cast<int>(encoders.size())) {
      fail(ErrorKind::InvalidArgument, "no stream " + std::to_string(stream));
    }
    auto* encoder = dynamic_cast<T*>(encoders[stream].get());
    if (encoder == nullptr) {
      fail(ErrorKind::InvalidArgument,
           "stream " + std::to_string(stream) + " is not a " + kind + " stream");
    }
    return *encoder;
  }

  // Encodes a frame now, or queues it for the worker.
  void deliver(int stream, UniqueAVFrame frame) {
    try {
      if (queue) {
        queue->push(EncodeJob{stream, std::move(frame)});
      } else {
        encoders[stream]->encode(frame.get());
      }
    } catch (...) {
      markFailed();
      throw;
    }
  }

  void open(const std::string& path, const std::string& format, std::shared_ptr<ByteSink> sink) {
    if (state != State::Configuring) {
      fail(ErrorKind::Runtime, "the encoder was opened already");
    }
    if (configs.empty()) {
      fail(ErrorKind::InvalidArgument,
           "add a stream (video or audio) before opening the encoder");
    }
    auto newMuxer = std::make_unique<Muxer>(path, format, std::move(sink));
    std::vector<std::unique_ptr<StreamEncoder>> newEncoders;
    for (size_t i = 0; i < configs.size(); ++i) {
      int index = static_cast<int>(i);
      if (const auto* video = std::get_if<VideoStreamOptions>(&configs[i])) {
        newEncoders.push_back(std::make_unique<VideoStreamEncoder>(*video, *newMuxer, index));
      } else {
        newEncoders.push_back(std::make_unique<AudioStreamEncoder>(
            std::get<AudioStreamOptions>(configs[i]), *newMuxer, index));
      }
    }
    for (auto& encoder : newEncoders) {
      encoder->attach(*newMuxer);
    }
    try {
      newMuxer->open();
    } catch (...) {
      newMuxer->abort();
      throw;
    }
    muxer = std::move(newMuxer);
    encoders = std::move(newEncoders);
    reusable.resize(encoders.size());
    infos.clear();
    for (const auto& encoder : encoders) {
      if (const auto* video = dynamic_cast<const VideoStreamEncoder*>(encoder.get())) {
        infos.push_back(video->info());
      } else {
        infos.push_back(static_cast<const AudioStreamEncoder&>(*encoder).info());
      }
    }
    if (maxQueued > 0) {
      setQueue(std::make_shared<EncodeQueue>(
          maxQueued, [this](EncodeJob& job) { encoders[job.stream]->encode(job.frame.get()); }));
    }
    state = State::Open;
  }

  void finish() {
    try {
      if (queue) {
        queue->waitIdle();
        setQueue(nullptr);
      }
      for (auto& encoder : encoders) {
        if (auto* audio = dynamic_cast<AudioStreamEncoder*>(encoder.get())) {
          for (auto& frame : audio->finish()) {
            audio->encode(frame.get());
          }
        }
      }
      for (auto& encoder : encoders) {
        encoder->encode(nullptr);
      }
      muxer->finish();
      state = State::Closed;
    } catch (...) {
      discard();
      throw;
    }
    release();
  }

  void discard() noexcept {
    setQueue(nullptr);
    if (muxer) {
      muxer->abort();
    }
    state = State::Closed;
    release();
  }

  // Frees every native resource (codec contexts and their threads, the
  // scalers, the output) now, rather than when the owner happens to be
  // destroyed: a Python wrapper caught in a reference cycle lives until the
  // cyclic garbage collector runs, and libx264 alone keeps threads and
  // megabytes per encoder.
  void release() noexcept {
    setQueue(nullptr);
    reusable.clear();
    encoders.clear();
    muxer.reset();
  }

  std::mutex mutex;
  int maxQueued;
  State state = State::Configuring;
  std::string failure;
  std::vector<std::variant<VideoStreamOptions, AudioStreamOptions>> configs;
  std::unique_ptr<Muxer> muxer;
  std::vector<std::unique_ptr<StreamEncoder>> encoders;
  std::vector<UniqueAVFrame> reusable;  // per stream, synchronous mode
  std::vector<EncoderInfo> infos;       // per stream, from open on
  // Replaces the queue and joins the old one's worker here, once the
  // readers of queuedFrames() (who hold it for an instant) let go.
  void setQueue(std::shared_ptr<EncodeQueue> next) noexcept {
    std::shared_ptr<EncodeQueue> old;
    {
      std::lock_guard<std::mutex> lock(queuePointerMutex);
      old = std::exchange(queue, std::move(next));
    }
    while (old && old.use_count() > 1) {
      std::this_thread::yield();
    }
  }

  std::shared_ptr<EncodeQueue> currentQueue() const {
    std::lock_guard<std::mutex> lock(queuePointerMutex);
    return queue;
  }

  // Declared last: destroyed (its worker joined) before the encoders.
  // Written under both `mutex` and `queuePointerMutex`, read under either.
  mutable std::mutex queuePointerMutex;
  std::shared_ptr<EncodeQueue> queue;
};

Encoder::Encoder(int maxQueuedFrames) {
  if (maxQueuedFrames < 0) {
    fail(ErrorKind::InvalidArgument, "invalid max_queued_frames=" +
                                         std::to_string(maxQueuedFrames) + ": must be >= 0");
  }
  impl_ = std::make_unique<Impl>(maxQueuedFrames);
}

Encoder::~Encoder() {
  try {
    close();
  } catch (...) {
    // A destructor cannot report; close() already discarded the output.
  }
}

int Encoder::addVideo(VideoStreamOptions options) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->checkConfiguring();
  if (options.height <= 0 || options.width <= 0) {
    fail(ErrorKind::InvalidArgument, "invalid frame size " + std::to_string(options.width) + "x" +
                                         std::to_string(options.height) +
                                         ": height and width must be > 0");
  }
  options.exactRate = options.exactRate.den > 0
                          ? exactFrameRate(options.exactRate.num, options.exactRate.den)
                          : exactFrameRate(options.frameRate);
  options.frameRate = static_cast<double>(options.exactRate.num) / options.exactRate.den;
  return impl_->addConfig(std::move(options));
}

int Encoder::addAudio(AudioStreamOptions options) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->checkConfiguring();
  if (options.sampleRate <= 0 || options.numChannels <= 0) {
    fail(ErrorKind::InvalidArgument, "invalid audio stream: sample_rate=" +
                                         std::to_string(options.sampleRate) + " and num_channels=" +
                                         std::to_string(options.numChannels) +
                                         " must be > 0");
  }
  for (int channels : {options.numChannels, options.outNumChannels.value_or(1)}) {
    if (channels > kMaxAudioChannels) {
      fail(ErrorKind::InvalidArgument,
           "Trying to encode " + std::to_string(channels) + " channels, but at most " +
               std::to_string(kMaxAudioChannels) + " channels per stream are supported");
    }
  }
  checkRange(kSampleRateRange, options.sampleRate);
  if (options.outNumChannels) {
    checkRange(kOutNumChannelsRange, *options.outNumChannels);
  }
  if (options.outSampleRate) {
    checkRange(kOutSampleRateRange, *options.outSampleRate);
  }
  return impl_->addConfig(std::move(options));
}

void Encoder::openFile(const std::string& path, const std::string& format) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->open(path, format, nullptr);
}

void Encoder::openSink(std::shared_ptr<ByteSink> sink, const std::string& format) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (format.empty()) {
    fail(ErrorKind::InvalidArgument, "a format (e.g. 'mp4') is needed to encode to a file-like");
  }
  impl_->open("", format, std::move(sink));
}

void Encoder::addFrames(int stream, const Tensor& frames, FrameLayout layout,
                        const std::vector<double>& ptsSeconds,
                        const std::vector<bool>& keyFrames) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->checkOpen();
  auto& encoder = impl_->encoderAt<VideoStreamEncoder>(stream, "video");
  encoder.check(frames, layout, ptsSeconds, keyFrames);
  const double noPts = std::numeric_limits<double>::quiet_NaN();
  for (int64_t i = 0; i < frames.size(0); ++i) {
    double pts = ptsSeconds.empty() ? noPts : ptsSeconds[i];
    bool key = !keyFrames.empty() && keyFrames[i];
    if (impl_->queue) {
      UniqueAVFrame frame;  // a fresh frame: the worker owns it
      encoder.convert(frames, layout, i, pts, key, frame);
      impl_->deliver(stream, std::move(frame));
    } else {
      UniqueAVFrame& frame = impl_->reusable[stream];
      encoder.convert(frames, layout, i, pts, key, frame);
      try {
        encoder.encode(frame.get());
      } catch (...) {
        impl_->markFailed();
        throw;
      }
    }
  }
}

void Encoder::addSamples(int stream, const Tensor& samples) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->checkOpen();
  auto& encoder = impl_->encoderAt<AudioStreamEncoder>(stream, "audio");
  encoder.check(samples);
  for (auto& frame : encoder.convert(samples)) {
    impl_->deliver(stream, std::move(frame));
  }
}

void Encoder::flush() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->checkOpen();
  if (impl_->queue) {
    try {
      impl_->queue->waitIdle();
    } catch (...) {
      impl_->markFailed();
      throw;
    }
  }
}

int64_t Encoder::queuedFrames() const {
  // Not under the encoder's lock: a producer blocked on a full queue holds it.
  std::shared_ptr<EncodeQueue> queue = impl_->currentQueue();
  return queue ? queue->size() : 0;
}

void Encoder::close() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  switch (impl_->state) {
    case Impl::State::Configuring:
      impl_->state = Impl::State::Closed;
      return;
    case Impl::State::Closed:
      return;
    case Impl::State::Failed:
      impl_->discard();
      return;
    case Impl::State::Open:
      impl_->finish();
      return;
  }
}

void Encoder::abort() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->discard();
}

bool Encoder::isOpen() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->state == Impl::State::Open;
}

EncoderInfo Encoder::streamInfo(int stream) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (impl_->infos.empty()) {
    fail(ErrorKind::Runtime, "stream information is known once the encoder is open");
  }
  if (stream < 0 || stream >= static_cast<int>(impl_->infos.size())) {
    fail(ErrorKind::InvalidArgument, "no stream " + std::to_string(stream));
  }
  return impl_->infos[stream];
}

}  // namespace codecflow
