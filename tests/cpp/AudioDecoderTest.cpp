#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "MediaPath.h"
#include "codecflow/AudioDecoder.h"
#include "codecflow/Error.h"
#include "codecflow/WavDecoder.h"

using namespace codecflow;

namespace {

AudioDecoder open(const std::string& file, std::optional<int> rate = std::nullopt,
                  std::optional<int> channels = std::nullopt) {
  AudioDecoderOptions options;
  options.sampleRate = rate;
  options.numChannels = channels;
  return AudioDecoder(Source::fromPath(mediaPath(file)), options);
}

// Channel c of a (C, N) float tensor.
std::vector<float> channel(const Tensor& t, int64_t c) {
  const float* p = t.dataAs<const float>() + c * t.size(1);
  return std::vector<float>(p, p + t.size(1));
}

bool sameBits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.nbytes())) == 0;
}

ErrorKind kindOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no codecflow::Error thrown";
  return ErrorKind::Runtime;
}

}  // namespace

TEST(AudioDecoderTest, WavSamplesEqualWavDecoder) {
  for (const char* file : {"wav_u8.wav", "wav_s16.wav", "wav_s24.wav", "wav_s32.wav",
                           "wav_f32.wav", "wav_f64.wav", "wav_extensible.wav", "wav_rf64.wav"}) {
    DecodedSamples ffmpeg = open(file).allSamples();
    DecodedSamples own = WavDecoder(Source::fromPath(mediaPath(file))).allSamples();
    EXPECT_TRUE(sameBits(ffmpeg.data, own.data)) << file;
    EXPECT_EQ(ffmpeg.sampleRate, own.sampleRate) << file;
    EXPECT_EQ(ffmpeg.ptsSeconds, 0.0);
  }
}

TEST(AudioDecoderTest, ShapeRateAndPts) {
  AudioDecoder decoder = open("mp3.mp3");
  DecodedSamples all = decoder.allSamples();
  EXPECT_EQ(all.data.shape(), (std::vector<int64_t>{2, 88200}));
  EXPECT_TRUE(all.data.isContiguous());
  EXPECT_EQ(all.sampleRate, 44100);
  EXPECT_NEAR(all.ptsSeconds, 1105.0 / 44100, 1e-9);  // LAME's encoder delay
  EXPECT_EQ(decoder.metadata().codec, "mp3");
  EXPECT_EQ(decoder.streamIndex(), 0);
}

TEST(AudioDecoderTest, ConsecutiveRangesConcatenateToAllSamples) {
  for (const char* file : {"flac.flac", "mp3.mp3", "opus_webm.webm", "h264_audio.mp4"}) {
    for (std::optional<int> rate : {std::optional<int>(), std::optional<int>(16000)}) {
      DecodedSamples all = open(file, rate).allSamples();
      AudioDecoder decoder = open(file, rate);
      std::vector<float> joined;
      double bounds[] = {0.0, 0.1, 0.33, 0.5, 1.25, 1.9};
      for (size_t i = 0; i < std::size(bounds); ++i) {
        std::optional<double> stop;
        if (i + 1 < std::size(bounds)) {
          stop = bounds[i + 1];
        }
        DecodedSamples part = decoder.samplesInRange(bounds[i], stop);
        EXPECT_EQ(part.ptsSeconds, std::max(bounds[i], all.ptsSeconds));
        std::vector<float> left = channel(part.data, 0);
        joined.insert(joined.end(), left.begin(), left.end());
      }
      EXPECT_EQ(joined, channel(all.data, 0)) << file << (rate ? " resampled" : "");
    }
  }
}

TEST(AudioDecoderTest, BackwardRangeSeeksAndMatches) {
  DecodedSamples all = open("flac.flac").allSamples();
  AudioDecoder decoder = open("flac.flac");
  decoder.samplesInRange(1.5, 1.9);
  DecodedSamples early = decoder.samplesInRange(1.0, 1.2);
  ASSERT_EQ(early.data.size(1), 8820);
  std::vector<float> expected = channel(all.data, 1);
  std::vector<float> got = channel(early.data, 1);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), expected.begin() + 44100));
}

TEST(AudioDecoderTest, ResampleAndRemix) {
  AudioDecoder decoder = open("surround51_flac.flac", 8000, 1);
  EXPECT_EQ(decoder.outputSampleRate(), 8000);
  EXPECT_EQ(decoder.outputNumChannels(), 1);
  EXPECT_EQ(decoder.metadata().numChannels, 6);
  DecodedSamples all = decoder.allSamples();
  EXPECT_EQ(all.data.size(0), 1);
  EXPECT_EQ(all.data.size(1), 8000);
}

// Note [Damaged packets]: corrupt data mid-stream is InvalidData, every
// time it is reached; a file cut short decodes up to the cut.
TEST(AudioDecoderTest, DamagedPacketsRaiseAndCutFilesDecode) {
  std::ifstream in(mediaPath("mp3.mp3"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string damaged = bytes;
  for (size_t i = 4096; i < damaged.size(); i += 7) {
    damaged[i] = static_cast<char>(~damaged[i]);
  }
  AudioDecoder decoder(Source::fromBytes(damaged), {});
  EXPECT_EQ(kindOf([&] { decoder.allSamples(); }), ErrorKind::InvalidData);
  EXPECT_EQ(kindOf([&] { decoder.allSamples(); }), ErrorKind::InvalidData);
  DecodedSamples start = decoder.samplesInRange(0.0, 0.1);
  DecodedSamples intact = open("mp3.mp3").samplesInRange(0.0, 0.1);
  EXPECT_TRUE(sameBits(start.data, intact.data));

  DecodedSamples cut = AudioDecoder(Source::fromBytes(bytes.substr(0, bytes.size() / 2)), {})
                           .allSamples();
  EXPECT_GT(cut.data.size(1), 0);
  EXPECT_LT(cut.data.size(1), open("mp3.mp3").allSamples().data.size(1));
}

TEST(AudioDecoderTest, SourcesAgree) {
  std::ifstream in(mediaPath("aac_m4a.m4a"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  DecodedSamples fromBytes = AudioDecoder(Source::fromBytes(bytes), {}).allSamples();
  EXPECT_TRUE(sameBits(fromBytes.data, open("aac_m4a.m4a").allSamples().data));
}

TEST(AudioDecoderTest, Errors) {
  EXPECT_EQ(kindOf([] { open("h264_bframes.mp4"); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(kindOf([] {
              AudioDecoderOptions options;
              options.streamIndex = 0;
              AudioDecoder(Source::fromPath(mediaPath("h264_audio.mp4")), options);
            }),
            ErrorKind::InvalidArgument);
  EXPECT_EQ(kindOf([] { open("flac.flac", 0); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(kindOf([] { open("flac.flac", std::nullopt, -2); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(kindOf([] { open("truncated_mp4.mp4"); }), ErrorKind::InvalidData);
  EXPECT_EQ(kindOf([] { open("no_such_file.flac"); }), ErrorKind::NotFound);
  AudioDecoder decoder = open("flac.flac");
  EXPECT_EQ(kindOf([&] { decoder.samplesInRange(1.0, 0.5); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(kindOf([&] { decoder.samplesInRange(-1.0, 0.0); }), ErrorKind::InvalidArgument);
  // [t, t) is empty, not an error (Note [Empty ranges]).
  DecodedSamples empty = decoder.samplesInRange(1.0, 1.0);
  EXPECT_EQ(empty.data.shape(), (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(empty.ptsSeconds, 1.0);
  EXPECT_EQ(kindOf([&] { decoder.samplesInRange(3.0, std::nullopt); }),
            ErrorKind::InvalidArgument);
}
