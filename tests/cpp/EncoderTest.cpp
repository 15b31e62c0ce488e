#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "EncoderTesting.h"
#include "codecflow/Encoder.h"
#include "codecflow/Error.h"
#include "codecflow/VideoDecoder.h"

using namespace codecflow;

namespace {

class ThrowingSink : public ByteSink {
 public:
  void write(const uint8_t*, int64_t) override { throw std::logic_error("disk on fire"); }
  int64_t seek(int64_t, int) override { return 0; }
};

}  // namespace

TEST(EncoderTest, LosslessRoundTripThroughMemory) {
  Encoder encoder;
  int stream = encoder.addVideo(smallVideo("ffv1", "bgr0"));
  auto sink = std::make_shared<MemorySink>();
  encoder.openSink(sink, "matroska");
  Tensor frames = gradientFrames(10, 64, 96);
  encoder.addFrames(stream, frames, FrameLayout::NHWC);
  encoder.close();
  Tensor bytes = sink->takeBytes();
  ASSERT_GT(bytes.numel(), 0);

  VideoDecoder decoder(Source::fromTensor(bytes), {});
  ASSERT_EQ(decoder.numFrames(), 10);
  std::vector<int64_t> all(10);
  for (int i = 0; i < 10; ++i) all[i] = i;
  DecodedFrames decoded = decoder.framesAt(all);
  ASSERT_EQ(std::memcmp(decoded.data.data(), frames.data(), frames.nbytes()), 0);
  EXPECT_NEAR(decoded.ptsSeconds[9], 9 / 25.0, 1e-3);
}

TEST(EncoderTest, PlanarInputMatchesPacked) {
  // NCHW planes (contiguous) go through swscale's GBRP path.
  Tensor packed = gradientFrames(3, 64, 96);
  Tensor planar = Tensor::empty({3, 3, 64, 96}, DType::UInt8);
  const auto* src = packed.dataAs<uint8_t>();
  auto* dst = planar.dataAs<uint8_t>();
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t p = 0; p < 64 * 96; ++p) dst[(i * 3 + c) * 64 * 96 + p] = src[(i * 64 * 96 + p) * 3 + c];
  auto encode = [](const Tensor& t, FrameLayout layout) {
    Encoder encoder;
    int s = encoder.addVideo(smallVideo("ffv1", "bgr0"));
    auto sink = std::make_shared<MemorySink>();
    encoder.openSink(sink, "matroska");
    encoder.addFrames(s, t, layout);
    encoder.close();
    return sink->takeBytes();
  };
  // Lossless: both decode to the packed input exactly.
  for (const Tensor& bytes : {encode(packed, FrameLayout::NHWC), encode(planar, FrameLayout::NCHW)}) {
    VideoDecoder decoder(Source::fromTensor(bytes), {});
    DecodedFrames decoded = decoder.framesAt({0, 1, 2});
    EXPECT_EQ(std::memcmp(decoded.data.data(), packed.data(), packed.nbytes()), 0);
  }
}

TEST(EncoderTest, BadOptionsFailBeforeTheFileExists) {
  auto path = tempPath("bad.mp4");
  std::filesystem::remove(path);
  auto expectInvalid = [&](VideoStreamOptions options, const std::string& fragment) {
    expectOpenFileFails(std::move(options), path, ErrorKind::InvalidArgument, fragment);
  };
  expectInvalid(smallVideo("no_such_codec"), "libx264");
  expectInvalid(smallVideo("libx264", "rgb48le"), "yuv420p");
  auto crf = smallVideo("libx264");
  crf.crf = -3;  // the range of libx264's own crf option: -1 and up
  expectInvalid(crf, "allowed range [-1, ");
  auto preset = smallVideo("libx264");
  preset.preset = "quick";
  expectInvalid(preset, "ultrafast");
  auto extra = smallVideo("libx264");
  extra.extraOptions = {{"no_such_option", "1"}};
  expectInvalid(extra, "no_such_option");
}

// The core speaks of its own API: no Python method names in its messages.
TEST(EncoderTest, OpeningWithoutStreamsNamesNoPythonMethod) {
  Encoder encoder;
  try {
    encoder.openSink(std::make_shared<MemorySink>(), "matroska");
    FAIL() << "expected InvalidArgument";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    std::string message = e.what();
    EXPECT_NE(message.find("add a stream"), std::string::npos) << message;
    EXPECT_EQ(message.find("add_video"), std::string::npos) << message;
    EXPECT_EQ(message.find("add_audio"), std::string::npos) << message;
  }
}

TEST(EncoderTest, SinkExceptionIsRethrownUnchanged) {
  Encoder encoder;
  int stream = encoder.addVideo(smallVideo("libx264"));
  EXPECT_THROW(
      {
        encoder.openSink(std::make_shared<ThrowingSink>(), "matroska");
        encoder.addFrames(stream, gradientFrames(5, 64, 96), FrameLayout::NHWC);
        encoder.close();
      },
      std::logic_error);
}

TEST(EncoderTest, BackgroundQueueEncodesEverything) {
  auto path = tempPath("queued.mkv");
  {
    Encoder encoder(2);
    int stream = encoder.addVideo(smallVideo("libx264"));
    encoder.openFile(path.string());
    for (int i = 0; i < 4; ++i) {
      encoder.addFrames(stream, gradientFrames(5, 64, 96), FrameLayout::NHWC);
      EXPECT_LE(encoder.queuedFrames(), 2);
    }
    encoder.flush();
    EXPECT_EQ(encoder.queuedFrames(), 0);
    encoder.close();
  }
  VideoDecoder decoder(Source::fromPath(path.string()), {});
  EXPECT_EQ(decoder.numFrames(), 20);
  std::filesystem::remove(path);
}

TEST(EncoderTest, AudioIsRechunkedToTheCodecFrameSize) {
  Encoder encoder;
  AudioStreamOptions options;
  options.sampleRate = 44100;
  options.numChannels = 2;
  int stream = encoder.addAudio(options);
  auto sink = std::make_shared<MemorySink>();
  encoder.openSink(sink, "flac");
  EXPECT_EQ(encoder.streamInfo(stream).codec, "flac");
  Tensor samples = Tensor::empty({2, 1000}, DType::Float32);
  for (int64_t i = 0; i < 2000; ++i) samples.dataAs<float>()[i] = 0.5f * std::sin(i * 0.05f);
  for (int i = 0; i < 7; ++i) encoder.addSamples(stream, samples);
  encoder.close();
  EXPECT_GT(sink->takeBytes().numel(), 100);
}

// The output's channels and rate are checked when the stream is added,
// each error naming the option and its value.
TEST(EncoderTest, AudioOutputChannelsAndRateHaveRanges) {
  struct Case {
    std::optional<int> channels;
    std::optional<int> rate;
    const char* message;
  };
  const Case cases[] = {
      {0, std::nullopt, "invalid out_num_channels=0: must be an integer in [1, 8]"},
      {-1, std::nullopt, "invalid out_num_channels=-1: must be an integer in [1, 8]"},
      {INT32_MIN, std::nullopt,
       "invalid out_num_channels=-2147483648: must be an integer in [1, 8]"},
      {9, std::nullopt,
       "Trying to encode 9 channels, but at most 8 channels per stream are supported"},
      {INT32_MAX, std::nullopt,
       "Trying to encode 2147483647 channels, but at most 8 channels per stream are supported"},
      {std::nullopt, 0, "invalid out_sample_rate=0: must be an integer in [1, 768000]"},
      {std::nullopt, -44100, "invalid out_sample_rate=-44100: must be an integer in [1, 768000]"},
      {std::nullopt, 768001, "invalid out_sample_rate=768001: must be an integer in [1, 768000]"},
      {std::nullopt, INT32_MAX,
       "invalid out_sample_rate=2147483647: must be an integer in [1, 768000]"},
  };
  for (const Case& c : cases) {
    Encoder encoder;
    AudioStreamOptions options;
    options.sampleRate = 16000;
    options.numChannels = 1;
    options.outNumChannels = c.channels;
    options.outSampleRate = c.rate;
    try {
      encoder.addAudio(options);
      ADD_FAILURE() << "accepted: " << c.message;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      EXPECT_STREQ(e.what(), c.message);
    }
  }
  // The input's rate has the same range.
  {
    Encoder encoder;
    AudioStreamOptions options;
    options.sampleRate = 768001;
    options.numChannels = 1;
    try {
      encoder.addAudio(options);
      ADD_FAILURE() << "accepted a rate of 768001";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      EXPECT_STREQ(e.what(), "invalid sample_rate=768001: must be an integer in [1, 768000]");
    }
  }
  // The ends of the ranges are accepted.
  Encoder encoder;
  AudioStreamOptions options;
  options.sampleRate = 16000;
  options.numChannels = 1;
  options.outNumChannels = 8;
  options.outSampleRate = 768000;
  EXPECT_EQ(encoder.addAudio(options), 0);
  options.outNumChannels = 1;
  options.outSampleRate = 1;
  EXPECT_EQ(encoder.addAudio(options), 1);
  options.sampleRate = 768000;
  options.outSampleRate = std::nullopt;
  EXPECT_EQ(encoder.addAudio(options), 2);
}

// Streams are numbered in the order they are added, video or audio, and
// only until the encoder opens.
TEST(EncoderTest, StreamsAreAddedOnlyBeforeOpening) {
  Encoder encoder;
  AudioStreamOptions audio;
  audio.sampleRate = 16000;
  audio.numChannels = 1;
  EXPECT_EQ(encoder.addVideo(smallVideo("ffv1", "bgr0")), 0);
  EXPECT_EQ(encoder.addAudio(audio), 1);
  EXPECT_EQ(encoder.addVideo(smallVideo("ffv1", "bgr0")), 2);
  encoder.openSink(std::make_shared<MemorySink>(), "matroska");
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (attempt == 0) {
        encoder.addVideo(smallVideo("ffv1", "bgr0"));
      } else {
        encoder.addAudio(audio);
      }
      ADD_FAILURE() << "a stream was added to an open encoder";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Runtime) << e.what();
      EXPECT_STREQ(e.what(), "streams must be added before the encoder is opened");
    }
  }
  encoder.abort();
}
