#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
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

namespace {

std::vector<int64_t> ptsIndices(const DecodedFrames& frames, double fps) {
  std::vector<int64_t> out;
  for (double t : frames.ptsSeconds) {
    out.push_back(std::llround(t * fps));
  }
  return out;
}

ErrorKind kindOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::Runtime;
}

}  // namespace

TEST(VideoDecoderTest, IndexRangesClampAsSlicesDo) {
  VideoDecoder decoder(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  EXPECT_EQ(ptsIndices(decoder.framesInRange(57, 1000, 1), 30), (std::vector<int64_t>{57, 58, 59}));
  EXPECT_EQ(ptsIndices(decoder.framesInRange(-3, std::nullopt, 1), 30),
            (std::vector<int64_t>{57, 58, 59}));
  EXPECT_EQ(ptsIndices(decoder.framesInRange(-1000, 5, 2), 30), (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(decoder.framesInRange(60, 61, 1).ptsSeconds.size(), 0u);
  EXPECT_EQ(decoder.framesInRange(10, 5, 1).ptsSeconds.size(), 0u);
  EXPECT_EQ(ptsIndices(decoder.framesInRange(0, INT64_MAX, INT64_MAX), 30),
            (std::vector<int64_t>{0}));
  EXPECT_EQ(kindOf([&] { decoder.framesInRange(0, 10, 0); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(kindOf([&] { decoder.framesInRange(0, 10, -1); }), ErrorKind::InvalidArgument);
}

TEST(VideoDecoderTest, TimeRangesHoldTheFrameShownAtTheirStart) {
  VideoDecoder decoder(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  double pts35 = 35.0 / 30.0;
  EXPECT_EQ(ptsIndices(decoder.framesPlayedInRange(pts35, pts35 + 1e-10, std::nullopt), 30),
            (std::vector<int64_t>{35}));
  EXPECT_EQ(ptsIndices(decoder.framesPlayedInRange(8.0 / 30 - 0.01, 8.0 / 30 + 0.01,
                                                   std::nullopt),
                       30),
            (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(decoder.framesPlayedInRange(0.5, 0.5, std::nullopt).ptsSeconds.size(), 0u);
  DecodedFrames resampled = decoder.framesPlayedInRange(0.0, 1.0, 5.0);
  ASSERT_EQ(resampled.ptsSeconds.size(), 5u);
  EXPECT_DOUBLE_EQ(resampled.ptsSeconds[4], 0.8);
  EXPECT_DOUBLE_EQ(resampled.durationSeconds[0], 0.2);
  EXPECT_EQ(kindOf([&] { decoder.framesPlayedInRange(1.0, 0.5, std::nullopt); }),
            ErrorKind::InvalidArgument);
  EXPECT_EQ(kindOf([&] { decoder.framesPlayedInRange(0.0, 2.5, std::nullopt); }),
            ErrorKind::InvalidArgument);
  EXPECT_EQ(kindOf([&] { decoder.framesPlayedInRange(0.0, 1.0, 0.0); }),
            ErrorKind::InvalidArgument);
  EXPECT_EQ(kindOf([&] { decoder.framesPlayedAt({2.0}); }), ErrorKind::OutOfRange);
}

TEST(VideoDecoderTest, KeyFramesAreShownFrames) {
  VideoDecoder plain(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  EXPECT_EQ(plain.keyFrameIndices(), (std::vector<int64_t>{0, 15, 30, 45}));
  VideoDecoder edited(Source::fromPath(mediaPath("edit_list.mp4")), {});
  EXPECT_EQ(edited.keyFrameIndices(), (std::vector<int64_t>{12, 27}));
  VideoDecoderOptions approximate;
  approximate.seekMode = SeekMode::Approximate;
  VideoDecoder header(Source::fromPath(mediaPath("h264_bframes.mp4")), approximate);
  EXPECT_EQ(kindOf([&] { header.keyFrameIndices(); }), ErrorKind::Runtime);
  EXPECT_EQ(kindOf([&] { header.framesPlayedAt({2.0}); }), ErrorKind::OutOfRange);
}

// Size-dependent transforms learn the displayed size from the decoder's own
// open: a quarter turn swaps it, and the steps returned are what is applied.
TEST(VideoDecoderTest, TransformsForSeesTheDisplayedSizeOnce) {
  std::vector<std::pair<int, int>> calls;
  VideoDecoderOptions options;
  options.transformsFor = [&](int height, int width) {
    calls.emplace_back(height, width);
    return std::vector<TransformStep>{
        TransformStep::make(TransformStep::Kind::Crop, height / 2, width / 4, 0, 0)};
  };
  VideoDecoder decoder(Source::fromPath(mediaPath("rot90.mp4")), std::move(options));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], std::make_pair(320, 240));  // 320x240 coded, turned a quarter
  EXPECT_EQ(decoder.outputHeight(), 160);
  EXPECT_EQ(decoder.outputWidth(), 60);
  DecodedFrames frames = decoder.framesAt({0});
  EXPECT_EQ(frames.data.size(1), 160);
  EXPECT_EQ(frames.data.size(2), 60);
}

TEST(VideoDecoderTest, TransformsForExceptionReachesTheCaller) {
  VideoDecoderOptions options;
  options.transformsFor = [](int, int) -> std::vector<TransformStep> {
    throw std::domain_error("from the callback");
  };
  EXPECT_THROW(VideoDecoder(Source::fromPath(mediaPath("rot0.mp4")), std::move(options)),
               std::domain_error);
}
