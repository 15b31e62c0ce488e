// Saved frame indices, key-frame-only decoding and FFmpeg options, in the core.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "MediaPath.h"
#include "codecflow/Error.h"
#include "codecflow/VideoDecoder.h"

using namespace codecflow;

namespace {

VideoDecoderOptions withSaved(const std::string& saved) {
  VideoDecoderOptions options;
  options.savedIndex = saved;
  return options;
}

}  // namespace

TEST(FrameIndexTest, SavedIndexLoadsToTheSameFrames) {
  for (const char* name : {"h264_open_gop.mp4", "edit_list.mp4", "vfr.mp4"}) {
    VideoDecoder scanned(Source::fromPath(mediaPath(name)), {});
    VideoDecoder loaded(Source::fromPath(mediaPath(name)), withSaved(scanned.savedIndex()));
    EXPECT_TRUE(loaded.savedIndexProblem().empty());
    EXPECT_EQ(loaded.indexPts(), scanned.indexPts()) << name;
    EXPECT_EQ(loaded.indexDurations(), scanned.indexDurations()) << name;
    EXPECT_EQ(loaded.keyFrameIndices(), scanned.keyFrameIndices()) << name;
    EXPECT_EQ(loaded.savedIndex(), scanned.savedIndex()) << name;
    std::vector<int64_t> all(scanned.numFrames());
    std::iota(all.rbegin(), all.rend(), 0);
    DecodedFrames a = scanned.framesAt(all);
    DecodedFrames b = loaded.framesAt(all);
    EXPECT_EQ(a.ptsSeconds, b.ptsSeconds) << name;
    EXPECT_EQ(a.durationSeconds, b.durationSeconds) << name;
    EXPECT_EQ(0, std::memcmp(a.data.data(), b.data.data(), a.data.nbytes())) << name;
  }
}

TEST(FrameIndexTest, DamagedOrForeignSavedIndexIsRefusedOrRescanned) {
  VideoDecoder scanned(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  std::string saved = scanned.savedIndex();
  std::string damaged = saved;
  damaged[damaged.size() / 2] ^= 0x10;
  try {
    VideoDecoder bad(Source::fromPath(mediaPath("h264_bframes.mp4")), withSaved(damaged));
    FAIL() << "a damaged index was loaded";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::InvalidData);
  }
  VideoDecoder vp9(Source::fromPath(mediaPath("vp9.webm")), {});
  VideoDecoderOptions rescan = withSaved(vp9.savedIndex());
  rescan.rescanBadSavedIndex = true;
  VideoDecoder rescanned(Source::fromPath(mediaPath("h264_bframes.mp4")), rescan);
  EXPECT_NE(rescanned.savedIndexProblem().find("not stream 0 in 1/15360"), std::string::npos)
      << rescanned.savedIndexProblem();
  EXPECT_EQ(rescanned.indexPts(), scanned.indexPts());
  EXPECT_THROW(inspectSavedIndex(saved.substr(0, saved.size() - 1)), Error);
  EXPECT_EQ(inspectSavedIndex(saved).frames.size(), 60u);
}

TEST(FrameIndexTest, KeyFramesOnlyEqualThoseOfAFullDecode) {
  VideoDecoder decoder(Source::fromPath(mediaPath("h264_open_gop.mp4")), {});
  std::vector<int64_t> keys = decoder.keyFrameIndices();
  DecodedFrames full = decoder.framesAt(keys);
  DecodedFrames only = decoder.keyFrames();
  EXPECT_EQ(full.ptsSeconds, only.ptsSeconds);
  ASSERT_EQ(full.data.nbytes(), only.data.nbytes());
  EXPECT_EQ(0, std::memcmp(full.data.data(), only.data.data(), full.data.nbytes()));
  VideoDecoderOptions approximate;
  approximate.seekMode = SeekMode::Approximate;
  VideoDecoder approx(Source::fromPath(mediaPath("h264_open_gop.mp4")), approximate);
  EXPECT_THROW(approx.keyFrames(), Error);
  EXPECT_THROW(approx.savedIndex(), Error);
}

TEST(FrameIndexTest, UnknownFfmpegOptionIsInvalidArgument) {
  VideoDecoderOptions options;
  options.ffmpegOptions.emplace("definitely_not_an_option", std::string(1, '1'));
  try {
    VideoDecoder decoder(Source::fromPath(mediaPath("h264_bframes.mp4")), options);
    FAIL() << "an unknown option was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(error.what()).find("'definitely_not_an_option'"), std::string::npos);
  }
}
