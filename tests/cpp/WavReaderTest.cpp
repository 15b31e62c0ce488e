#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "MediaPath.h"
#include "io/FileStream.h"
#include "wav/WavReader.h"
#include "codecflow/Error.h"
#include "codecflow/WavDecoder.h"

using namespace codecflow;

namespace {

void put16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& s, uint32_t v) {
  put16(s, static_cast<uint16_t>(v & 0xffff));
  put16(s, static_cast<uint16_t>(v >> 16));
}

// A plain RIFF WAV: one 'fmt ' chunk of 16 bytes, then 'data'.
std::string makeWav(uint16_t tag, uint16_t channels, uint16_t bits, const std::string& data,
                    uint32_t rate = 8000) {
  uint16_t block = static_cast<uint16_t>(channels * ((bits + 7) / 8));
  std::string body = "WAVEfmt ";
  put32(body, 16);
  put16(body, tag);
  put16(body, channels);
  put32(body, rate);
  put32(body, rate * block);
  put16(body, block);
  put16(body, bits);
  body += "data";
  put32(body, static_cast<uint32_t>(data.size()));
  body += data;
  std::string file = "RIFF";
  put32(file, static_cast<uint32_t>(body.size()));
  return file + body;
}

std::string bytesOf(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) {
    s.push_back(static_cast<char>(v));
  }
  return s;
}

std::vector<float> decodeAll(const std::string& wav) {
  DecodedSamples samples = WavDecoder(Source::fromBytes(wav)).allSamples();
  const float* p = samples.data.dataAs<const float>();
  return std::vector<float>(p, p + samples.data.numel());
}

std::string errorOf(const std::string& wav) {
  try {
    WavDecoder decoder(Source::fromBytes(wav));
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidData);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

// Counts the bytes read through it.
class CountingStream : public MemoryStream {
 public:
  using MemoryStream::MemoryStream;
  int64_t read(uint8_t* buffer, int64_t size) override {
    int64_t n = MemoryStream::read(buffer, size);
    bytesRead += n;
    return n;
  }
  int64_t bytesRead = 0;
};

}  // namespace

TEST(WavReaderTest, IntegerSamplesScaleAsFFmpeg) {
  EXPECT_EQ(decodeAll(makeWav(1, 1, 8, bytesOf({0, 128, 255}))),
            (std::vector<float>{-1.0f, 0.0f, 127.0f / 128}));
  EXPECT_EQ(decodeAll(makeWav(1, 1, 16, bytesOf({0x00, 0x80, 0xff, 0x7f}))),
            (std::vector<float>{-1.0f, 32767.0f / 32768}));
  EXPECT_EQ(decodeAll(makeWav(1, 1, 24, bytesOf({0x00, 0x00, 0x80, 0x01, 0x00, 0x00}))),
            (std::vector<float>{-1.0f, 1.0f / (1 << 23)}));
  // 2^31 - 1 rounds to 2^31 in float: exactly 1.0, as in FFmpeg.
  EXPECT_EQ(decodeAll(makeWav(1, 1, 32, bytesOf({0xff, 0xff, 0xff, 0x7f}))),
            (std::vector<float>{1.0f}));
}

TEST(WavReaderTest, FloatSamplesAndDeinterleaving) {
  std::string data(16, '\0');
  double a = 0.1;
  double b = -0.75;
  std::memcpy(data.data(), &a, 8);
  std::memcpy(data.data() + 8, &b, 8);
  // One stereo sample: channel 0 then channel 1 in the (C, N) output.
  EXPECT_EQ(decodeAll(makeWav(3, 2, 64, data)), (std::vector<float>{0.1f, -0.75f}));
  EXPECT_EQ(decodeAll(makeWav(1, 2, 16, bytesOf({1, 0, 2, 0, 3, 0, 4, 0}))),
            (std::vector<float>{1.0f / 32768, 3.0f / 32768, 2.0f / 32768, 4.0f / 32768}));
}

TEST(WavReaderTest, MediaHeaders) {
  WavReader rf64(openFileStream(mediaPath("wav_rf64.wav")), "wav_rf64.wav");
  EXPECT_TRUE(rf64.format().rf64);
  EXPECT_EQ(rf64.format().numSamples, 32000);
  EXPECT_EQ(rf64.format().type, WavSampleType::Int16);
  WavReader extensible(openFileStream(mediaPath("wav_extensible.wav")), "wav_extensible.wav");
  EXPECT_EQ(extensible.format().formatTag, 0xFFFE);
  EXPECT_EQ(extensible.format().channelMask, 0x3Fu);
  EXPECT_EQ(extensible.format().channels, 6);
  EXPECT_EQ(extensible.format().type, WavSampleType::Int24);
}

TEST(WavReaderTest, ReadsOnlyTheBytesOfARange) {
  std::string data(4000 * 4, '\1');
  auto wav = std::make_shared<std::string>(makeWav(1, 2, 16, data));
  auto stream = std::make_shared<CountingStream>(reinterpret_cast<const uint8_t*>(wav->data()),
                                                 static_cast<int64_t>(wav->size()), wav);
  WavReader reader(stream, "counting");
  int64_t header = stream->bytesRead;
  SampleBuffer out(2);
  reader.read(1000, 500, out);
  EXPECT_EQ(out.size(), 500);
  EXPECT_EQ(stream->bytesRead - header, 500 * 4);
}

TEST(WavReaderTest, MalformedFilesNameTheProblem) {
  EXPECT_NE(errorOf("").find("empty"), std::string::npos);
  EXPECT_NE(errorOf("hello world, not a wav").find("RIFF"), std::string::npos);
  EXPECT_NE(errorOf(makeWav(2, 2, 4, "abcd")).find("compressed (format tag 0x0002"),
            std::string::npos);
  EXPECT_NE(errorOf(makeWav(3, 1, 16, "ab")).find("16-bit float"), std::string::npos);
  EXPECT_NE(errorOf(makeWav(1, 1, 16, "ab").substr(0, 30)).find("truncated"), std::string::npos);
  std::string noData = makeWav(1, 1, 16, "");
  EXPECT_NE(errorOf(noData.substr(0, 36)).find("no 'data' chunk"), std::string::npos);
}
