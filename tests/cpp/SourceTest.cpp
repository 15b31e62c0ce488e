#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <fstream>
#include <sstream>

#include "demux/Demuxer.h"
#include "MediaPath.h"
#include "codecflow/Error.h"
#include "codecflow/Metadata.h"
#include "codecflow/Source.h"

using namespace codecflow;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
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

// A stream whose read fails, as a Python file-like object's might.
class FailingStream : public ByteStream {
 public:
  int64_t read(uint8_t*, int64_t) override { throw std::logic_error("read exploded"); }
  int64_t seek(int64_t offset, int) override { return offset; }
};

}  // namespace

TEST(SourceTest, MemoryStreamReadsAndSeeks) {
  std::string bytes = "0123456789";
  MemoryStream stream(reinterpret_cast<const uint8_t*>(bytes.data()), 10, nullptr);
  uint8_t buffer[4];
  EXPECT_EQ(stream.read(buffer, 4), 4);
  EXPECT_EQ(buffer[0], '0');
  EXPECT_EQ(stream.seek(-2, SEEK_END), 8);
  EXPECT_EQ(stream.read(buffer, 4), 2);
  EXPECT_EQ(buffer[1], '9');
  EXPECT_EQ(stream.read(buffer, 4), 0);
  EXPECT_THROW(stream.seek(-1, SEEK_SET), Error);
}

TEST(SourceTest, MissingPathAndDirectory) {
  EXPECT_EQ(kindOf([] { Demuxer d(Source::fromPath("/no/such/file.mp4")); }),
            ErrorKind::NotFound);
  EXPECT_EQ(kindOf([] { Demuxer d(Source::fromPath("/tmp")); }), ErrorKind::IsDirectory);
}

TEST(SourceTest, EmptyAndGarbageBytesAreInvalidData) {
  EXPECT_EQ(kindOf([] { Demuxer d(Source::fromBytes("")); }), ErrorKind::InvalidData);
  EXPECT_EQ(kindOf([] { Demuxer d(Source::fromBytes(std::string(5000, 'x'))); }),
            ErrorKind::InvalidData);
}

TEST(SourceTest, StreamExceptionReachesTheCallerUnchanged) {
  auto source = Source::fromStream(std::make_shared<FailingStream>(), "<failing>");
  try {
    Demuxer d(source);
    FAIL() << "expected an exception";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "read exploded");
  }
}

TEST(SourceTest, BytesAndPathGiveTheSameMetadata) {
  std::string path = mediaPath("h264_audio.mp4");
  ContainerMetadata fromPath = readContainerMetadata(Source::fromPath(path));
  ContainerMetadata fromBytes = readContainerMetadata(Source::fromBytes(readFile(path)));
  ASSERT_EQ(fromPath.streams.size(), 2u);
  ASSERT_EQ(fromBytes.streams.size(), 2u);
  EXPECT_EQ(fromPath.bestVideoStreamIndex, fromBytes.bestVideoStreamIndex);
  EXPECT_EQ(fromPath.streams[0].codec, "h264");
  EXPECT_EQ(fromBytes.streams[1].codec, "aac");
  EXPECT_EQ(fromBytes.streams[1].sampleRate, 48000);
  EXPECT_EQ(fromBytes.streams[1].numChannels, 2);
}

TEST(SourceTest, RangesNameTheArgumentAndTheirBounds) {
  constexpr IntRange range{"num_ffmpeg_threads", 0, 64};
  EXPECT_EQ(checkRange(range, 64), 64);
  try {
    checkRange(range, 1000000);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_STREQ(e.what(), "invalid num_ffmpeg_threads=1000000: must be an integer in [0, 64]");
  }
}

TEST(SourceTest, FFmpegsLogLinesReachTheErrorMessage) {
  // A demuxer that refuses a file logs why; the error carries it, and the
  // next failure on this thread does not repeat it.
  std::string message;
  try {
    Demuxer demuxer(Source::fromBytes("ffconcat version 1.0\nfile missing.ts\n"));
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("(FFmpeg: [file] Protocol 'file' not on whitelist"), std::string::npos)
      << message;
  try {
    failFFmpeg(ErrorKind::Runtime, "later", AVERROR(EINVAL));
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "later: Invalid argument");
  }
}
