// Encodes tensors into a container: any number of video and audio streams,
// fed incrementally, muxed with interleaving so that the streams stay in
// sync.
//
//   frames (uint8 RGB) ─▶ RGB→YUV (swscale) ─┐
//                                            ├─▶ [EncodeQueue] ─▶ codec ─▶ Muxer ─▶ file / ByteSink
//   samples (float32)  ─▶ resample, re-chunk ┘
//
// Life cycle: addVideo/addAudio, then open (a path, or a ByteSink and a
// format name), then addFrames/addSamples any number of times, then close.
// Every option is checked by open before any output exists: a bad codec,
// pixel format or option throws InvalidArgument and creates no file.
//
// With maxQueuedFrames > 0 a worker thread encodes behind a queue of at most
// that many frames: addFrames converts (copies) each frame before it
// returns and blocks while the queue is full; an error on the worker is
// rethrown by the next addFrames, addSamples, flush or close.
//
// Thread safety: every method may be called from any thread; calls are
// serialized by the encoder's own mutex. Errors are codecflow::Error, or
// what a ByteSink threw, unchanged.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codecflow/AudioDecoder.h"
#include "codecflow/Error.h"
#include "codecflow/Tensor.h"

namespace codecflow {

// Where encoded bytes go when they do not go to a path. Implementations may
// throw: the exception reaches the caller of the Encoder unchanged.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Writes all of `size` bytes at the current position.
  virtual void write(const uint8_t* data, int64_t size) = 0;
  // Moves to `offset` relative to SEEK_SET, SEEK_CUR or SEEK_END and returns
  // the new absolute position.
  virtual int64_t seek(int64_t offset, int whence) = 0;
};

// A ByteSink that keeps the bytes in memory.
class MemorySink : public ByteSink {
 public:
  void write(const uint8_t* data, int64_t size) override;
  int64_t seek(int64_t offset, int whence) override;
  // Hands over the bytes written so far as a 1-D uint8 tensor (no copy)
  // and leaves the sink empty.
  Tensor takeBytes();

 private:
  std::vector<uint8_t> data_;
  int64_t position_ = 0;
};

// Encoder options, as name/value strings, in the order given.
using OptionList = std::vector<std::pair<std::string, std::string>>;

// A frame rate as an exact fraction of frames per second.
struct FrameRate {
  int num = 0;
  int den = 1;
};

// The exact rate a video stream gets for `fps`: within 0.001 of
// N * 1000 / 1001 (23.976, 29.97, 59.94, ...) it is exactly that,
// otherwise the nearest fraction with a denominator up to 1,001,000.
// Throws InvalidArgument outside (0, 1000] fps, or for a rate too small
// for such a fraction.
FrameRate exactFrameRate(double fps);
// The same check for a rate given as a fraction, which is kept as given
// (reduced).
FrameRate exactFrameRate(int64_t num, int64_t den);

// Throws InvalidArgument naming the first NaN or infinite sample of a
// float32 (C, N) CPU tensor, or the first beyond +-maxMagnitude; `what`
// names the samples in the message.
void checkFiniteSamples(const Tensor& samples, const std::string& what,
                        float maxMagnitude = std::numeric_limits<float>::infinity());

// The largest sample magnitude given to libmp3lame and FFmpeg's AAC
// encoder: far louder samples make libmp3lame abort the process on its own
// assertions (1e5 and up) and send the AAC encoder's quantizer search into
// a loop of minutes per frame (1e7 and up), the ffmpeg CLI's too.
inline constexpr float kMp3MaxSampleMagnitude = 1000.0f;

// The most channels an audio stream may have, in and out.
inline constexpr int kMaxAudioChannels = 8;

// The output of an audio stream (AudioStreamOptions::outNumChannels and
// outSampleRate), checked by addAudio: InvalidArgument outside them (above
// kMaxAudioChannels with TorchCodec's message). Sample rates, in and out,
// are those the decoders resample to (kSampleRateRange).
inline constexpr IntRange kOutNumChannelsRange{"out_num_channels", 1, kMaxAudioChannels};
inline constexpr IntRange kOutSampleRateRange{"out_sample_rate", kSampleRateRange.min,
                                              kSampleRateRange.max};

struct VideoStreamOptions {
  int height = 0;
  int width = 0;
  double frameRate = 0;
  // When den > 0: the rate as a fraction, used instead of frameRate.
  FrameRate exactRate{0, 0};
  std::string codec;        // encoder or codec name; empty: the container's default
  std::string pixelFormat;  // empty: yuv420p when the codec has it, else its first
  std::optional<double> crf;
  std::optional<std::string> preset;  // a name, or an int as text
  OptionList extraOptions;
  // Where the frames given to addFrames are. Frames on a GPU go to its
  // hardware encoder when the codec is given by codec name or chosen by the
  // container and that encoder opens, else to the codec's CPU encoder; an
  // explicit hardware encoder that cannot open throws Runtime.
  Device device = Device::cpu();
};

struct AudioStreamOptions {
  int sampleRate = 0;
  int numChannels = 0;
  std::optional<int64_t> bitRate;
  std::optional<int> outNumChannels;
  std::optional<int> outSampleRate;
  std::string codec;  // empty: the container's default
};

// How frames given to addFrames are laid out: RGB (N, 3, H, W) or
// (N, H, W, 3), or NV12 (N, H * 3 / 2, W): H rows of luma, then H / 2 rows
// of interleaved Cb/Cr (BT.601, limited range) — what frames converted on
// a GPU arrive as.
enum class FrameLayout { NCHW, NHWC, NV12 };

struct EncoderInfo {
  std::string codec;        // the encoder's name, e.g. "libx264"
  std::string pixelFormat;  // video: the encoded pixel format
  std::string sampleFormat; // audio: the encoded sample format
  int frameSize = 0;        // audio: samples per codec frame (0: any)
  bool cpuFallback = false;       // video: device frames went to a CPU encoder
  std::string cpuFallbackReason;  // video: why, or what encoded them
};

class Encoder {
 public:
  explicit Encoder(int maxQueuedFrames = 0);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  // Adds a stream (before open) and returns its index among the streams.
  int addVideo(VideoStreamOptions options);
  int addAudio(AudioStreamOptions options);

  // Opens the output: a path (the container is guessed from the extension,
  // or named by `format`), or a sink with a format name. Validates every
  // option and opens every codec before the output is created.
  void openFile(const std::string& path, const std::string& format = "");
  void openSink(std::shared_ptr<ByteSink> sink, const std::string& format);

  // Encodes frames, uint8 with the given layout on the CPU. `ptsSeconds`
  // (one per frame, strictly increasing across calls) replaces the frame
  // rate's timestamps; `keyFrames` (one per frame) forces key frames.
  void addFrames(int stream, const Tensor& frames, FrameLayout layout,
                 const std::vector<double>& ptsSeconds = {},
                 const std::vector<bool>& keyFrames = {});
  // Encodes float32 samples (C, N) at the stream's input rate.
  void addSamples(int stream, const Tensor& samples);

  // Waits until everything queued is encoded and written.
  void flush();
  // Frames (and audio chunks) waiting in the queue now.
  int64_t queuedFrames() const;

  // Drains the codecs, writes the trailer and closes the output. After an
  // encoding error it instead discards the output (a path is removed) and
  // rethrows the error if it was not reported yet. Idempotent.
  void close();
  // Discards the output (a path is removed). Idempotent.
  void abort();

  bool isOpen() const;
  // What open chose for a stream (codec, formats); valid after open.
  EncoderInfo streamInfo(int stream) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace codecflow
