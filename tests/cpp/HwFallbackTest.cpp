// Why a hardware decoder falls back, in FFmpeg's words, and which decoder a
// hardware device gets when the one with the hwaccel has no software path
// (HwAccel.h). These run without a GPU: get_format is driven the way
// FFmpeg's ff_get_format drives it, and FFmpeg's native av1 decoder refuses
// every stream here the way it does when NVDEC refuses one.
#include <gtest/gtest.h>

#include <string>

#include "MediaPath.h"
#include "codecflow/Log.h"
#include "device/HwAccel.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/hwcontext.h>
}

namespace codecflow {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A CUDA device context that is allocated but never initialised: enough for
// get_format to see the device type; no test here lets FFmpeg touch it.
UniqueAVBufferRef uninitialisedCudaDevice() {
  return UniqueAVBufferRef(av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_CUDA));
}

struct OpenedInput {
  AVFormatContext* format = nullptr;
  ~OpenedInput() { avformat_close_input(&format); }
  const AVStream* video() const {
    int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    return index >= 0 ? format->streams[index] : nullptr;
  }
};

void open(OpenedInput& input, const std::string& file) {
  ASSERT_EQ(avformat_open_input(&input.format, mediaPath(file).c_str(), nullptr, nullptr), 0)
      << mediaPath(file);
  ASSERT_GE(avformat_find_stream_info(input.format, nullptr), 0);
}

TEST(HwFallbackTest, LogLinesAfterAMarkStayForTheNextFailure) {
  takeFFmpegLog();
  av_log(nullptr, AV_LOG_ERROR, "before the mark\n");
  uint64_t mark = ffmpegLogMark();
  EXPECT_EQ(ffmpegLogSince(mark), "");
  av_log(nullptr, AV_LOG_WARNING, "a warning is not kept\n");
  av_log(nullptr, AV_LOG_ERROR, "first after\n");
  av_log(nullptr, AV_LOG_ERROR, "second after\n");
  EXPECT_EQ(ffmpegLogSince(mark), "first after; second after");
  // Left in place for a failure that follows.
  EXPECT_EQ(takeFFmpegLog(), "before the mark; first after; second after");
}

// FFmpeg's sequence when the hwaccel cannot start (no libnvcuvid, a MIG
// slice without a decoder, no surfaces left): get_format picks the CUDA
// frames, the hwaccel's initialisation logs why and fails, and get_format
// is asked again without them.
TEST(HwFallbackTest, FailedHwaccelStartGivesFFmpegsReason) {
  const AVCodec* h264 = avcodec_find_decoder(AV_CODEC_ID_H264);
  ASSERT_NE(h264, nullptr);
  UniqueAVBufferRef device = uninitialisedCudaDevice();
  ASSERT_TRUE(device);
  UniqueAVCodecContext codec(avcodec_alloc_context3(h264));
  ASSERT_TRUE(codec);
  auto opener = makeHwCodecOpener(0, device.get(), nullptr, h264);
  opener->configure(codec.get());
  EXPECT_EQ(opener->hardwareRefusal(), "");

  const AVPixelFormat withCuda[] = {AV_PIX_FMT_CUDA, AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE};
  EXPECT_EQ(codec->get_format(codec.get(), withCuda), AV_PIX_FMT_CUDA);
  av_log(codec.get(), AV_LOG_ERROR, "Cannot load libnvcuvid.so.1\n");
  av_log(codec.get(), AV_LOG_ERROR,
         "Failed setup for format cuda: hwaccel initialisation returned error.\n");
  const AVPixelFormat without[] = {AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE};
  EXPECT_EQ(codec->get_format(codec.get(), without), AV_PIX_FMT_YUV420P);
  std::string why = opener->hardwareRefusal();
  EXPECT_TRUE(contains(why, "FFmpeg's cuda hwaccel could not start")) << why;
  EXPECT_TRUE(contains(why, "[h264] Cannot load libnvcuvid.so.1")) << why;
  EXPECT_TRUE(contains(why, "Failed setup for format cuda")) << why;
  EXPECT_FALSE(contains(why, "profile, bit depth or size")) << why;

  // A later stream the hwaccel takes clears it.
  EXPECT_EQ(codec->get_format(codec.get(), withCuda), AV_PIX_FMT_CUDA);
  EXPECT_EQ(opener->hardwareRefusal(), "");
  // A cached context keeps no pointer to the opener.
  opener->release(nullptr, 1, std::move(codec));
}

// A format the decoder offers no CUDA frames for (10-bit H.264 in FFmpeg
// 5.1): the reason names the format, profile and size.
TEST(HwFallbackTest, FormatWithoutHardwareFramesIsNamed) {
  const AVCodec* h264 = avcodec_find_decoder(AV_CODEC_ID_H264);
  ASSERT_NE(h264, nullptr);
  UniqueAVBufferRef device = uninitialisedCudaDevice();
  UniqueAVCodecContext codec(avcodec_alloc_context3(h264));
  auto opener = makeHwCodecOpener(0, device.get(), nullptr, h264);
  opener->configure(codec.get());
  codec->profile = FF_PROFILE_H264_HIGH_10;
  codec->coded_width = 131;
  codec->coded_height = 67;
  const AVPixelFormat formats[] = {AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_NONE};
  EXPECT_EQ(codec->get_format(codec.get(), formats), AV_PIX_FMT_YUV420P10LE);
  EXPECT_EQ(opener->hardwareRefusal(),
            "FFmpeg's h264 decoder offers no cuda frames for yuv420p10le High 10 131x67");
}

TEST(HwFallbackTest, DecodersWithoutASoftwarePath) {
  const AVCodec* native = avcodec_find_decoder_by_name("av1");
  ASSERT_NE(native, nullptr);
  EXPECT_TRUE(decodesOnlyWithHwaccel(native));
  EXPECT_FALSE(decodesOnlyWithHwaccel(avcodec_find_decoder(AV_CODEC_ID_H264)));
  EXPECT_FALSE(decodesOnlyWithHwaccel(nullptr));
  if (const AVCodec* dav1d = avcodec_find_decoder_by_name("libdav1d")) {
    EXPECT_FALSE(decodesOnlyWithHwaccel(dav1d));
  }
  if (const AVCodec* cuvid = avcodec_find_decoder_by_name("h264_cuvid")) {
    EXPECT_TRUE(decodesOnlyWithHwaccel(cuvid));
  }
}

// The selection for a device: the refusal is asked only of a decoder with
// no software path, and a refused stream goes to the software decoder.
TEST(HwFallbackTest, RefusedAv1GoesToTheSoftwareDecoder) {
  int asked = 0;
  auto refuses = [&asked](const AVCodec* decoder) {
    ++asked;
    EXPECT_STREQ(decoder->name, "av1");
    return std::string("[av1] Hardware is lacking required capabilities");
  };
  auto takes = [&asked](const AVCodec*) {
    ++asked;
    return std::string();
  };
  const AVCodec* software = avcodec_find_decoder(AV_CODEC_ID_AV1);
  ASSERT_NE(software, nullptr);

  DecoderChoice refused = chooseDecoder(AV_CODEC_ID_AV1, AV_HWDEVICE_TYPE_CUDA, "NVDEC", refuses);
  EXPECT_EQ(asked, 1);
  if (!decodesOnlyWithHwaccel(software)) {  // this FFmpeg has libdav1d
    EXPECT_EQ(refused.decoder, software);
    EXPECT_FALSE(refused.hardware);
    EXPECT_TRUE(contains(refused.reason, "Hardware is lacking required capabilities"))
        << refused.reason;
    EXPECT_TRUE(contains(refused.reason, std::string("decoded by ") + software->name))
        << refused.reason;
  } else {  // nothing else decodes AV1: the hardware decoder, failing in FFmpeg's words
    EXPECT_STREQ(refused.decoder->name, "av1");
    EXPECT_TRUE(refused.hardware);
  }

  DecoderChoice taken = chooseDecoder(AV_CODEC_ID_AV1, AV_HWDEVICE_TYPE_CUDA, "NVDEC", takes);
  EXPECT_EQ(asked, 2);
  ASSERT_NE(taken.decoder, nullptr);
  EXPECT_STREQ(taken.decoder->name, "av1");
  EXPECT_TRUE(taken.hardware);

  // H.264's decoder decodes in software itself: nothing asked.
  DecoderChoice h264 = chooseDecoder(AV_CODEC_ID_H264, AV_HWDEVICE_TYPE_CUDA, "NVDEC", refuses);
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(h264.decoder, avcodec_find_decoder(AV_CODEC_ID_H264));
  EXPECT_TRUE(h264.hardware);

  DecoderChoice ffv1 = chooseDecoder(AV_CODEC_ID_FFV1, AV_HWDEVICE_TYPE_CUDA, "NVDEC", refuses);
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(ffv1.decoder, nullptr);
  EXPECT_FALSE(ffv1.hardware);
  EXPECT_EQ(ffv1.reason, "FFmpeg has no NVDEC decoder for it");
}

// The probe runs FFmpeg's native av1 decoder on the stream's sequence
// header: without a device it refuses as it does when NVDEC refuses, and
// the reason is FFmpeg's own line.
TEST(HwFallbackTest, Av1ProbeReportsFFmpegsRefusal) {
  OpenedInput input;
  ASSERT_NO_FATAL_FAILURE(open(input, "av1.mp4"));
  const AVStream* stream = input.video();
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->codecpar->codec_id, AV_CODEC_ID_AV1);
  const AVCodec* native = avcodec_find_decoder_by_name("av1");
  ASSERT_NE(native, nullptr);
  std::string why = probeHwDecoder(native, stream, nullptr);
  // (FFmpeg 5.1 spells it "suppport".)
  EXPECT_TRUE(contains(why, "hardware accelerated AV1 decoding")) << why;
  EXPECT_TRUE(contains(why, "[av1] Failed to get pixel format"))
      << why;

  // Other codecs, and streams without a sequence header, tell nothing.
  OpenedInput h264;
  ASSERT_NO_FATAL_FAILURE(open(h264, "h264_bframes.mp4"));
  EXPECT_EQ(probeHwDecoder(avcodec_find_decoder(AV_CODEC_ID_H264), h264.video(), nullptr), "");
}

}  // namespace
}  // namespace codecflow
