#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

#include "MediaPath.h"
#include "codecflow/Error.h"
#include "codecflow/VideoDecoder.h"

using namespace codecflow;

TEST(VideoDecoderTest, ExactIndexCountsEveryShownFrame) {
  VideoDecoder decoder(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  EXPECT_EQ(decoder.numFrames(), 60);
  EXPECT_EQ(decoder.outputWidth(), 320);
  EXPECT_EQ(decoder.outputHeight(), 240);
  ASSERT_TRUE(decoder.metadata().numFramesFromContent.has_value());
  EXPECT_EQ(*decoder.metadata().numFramesFromContent, 60);
  auto pts = decoder.indexPts();
  EXPECT_TRUE(std::is_sorted(pts.begin(), pts.end()));
}

TEST(VideoDecoderTest, RandomOrderEqualsSequential) {
  VideoDecoder sequential(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  std::vector<int64_t> all(sequential.numFrames());
  std::iota(all.begin(), all.end(), 0);
  DecodedFrames expected = sequential.framesAt(all);

  std::vector<int64_t> shuffled = all;
  shuffled.insert(shuffled.end(), {3, 3, 59, 0});
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  VideoDecoder random(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  DecodedFrames got = random.framesAt(shuffled);
  int64_t frameBytes = 240 * 320 * 3;
  for (size_t k = 0; k < shuffled.size(); ++k) {
    const auto* a = static_cast<const uint8_t*>(got.data.data()) + k * frameBytes;
    const auto* b = static_cast<const uint8_t*>(expected.data.data()) + shuffled[k] * frameBytes;
    ASSERT_EQ(std::memcmp(a, b, frameBytes), 0) << "frame " << shuffled[k];
    EXPECT_DOUBLE_EQ(got.ptsSeconds[k], expected.ptsSeconds[shuffled[k]]);
  }
}

TEST(VideoDecoderTest, OutOfRangeIndex) {
  VideoDecoder decoder(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  try {
    decoder.framesAt({60});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfRange);
  }
}

TEST(VideoDecoderTest, AudioStreamIsNotAVideoStream) {
  VideoDecoderOptions options;
  options.streamIndex = 1;
  try {
    VideoDecoder decoder(Source::fromPath(mediaPath("h264_audio.mp4")), options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  }
}
