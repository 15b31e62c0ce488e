// The device layer: the registry, a test-only backend plugged in with one
// registration line and selected through the registry for decoding and
// encoding, separate decode and output devices, the choice of hardware
// encoders and their fallbacks, and NV12 encoder input through the CPU
// reference of the encoders' kernel.
#include <gtest/gtest.h>
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "EncoderTesting.h"
#include "MediaPath.h"
#include "codecflow/Cuda.h"
#include "codecflow/Encoder.h"
#include "codecflow/Error.h"
#include "codecflow/VideoDecoder.h"
#include "convert/YuvRgb.h"
#include "device/DeviceBackend.h"
#include "device/FrameSink.h"
#include "device/HwAccel.h"
#include "device/cpu/CpuBackend.h"

using namespace codecflow;

namespace {

// A device kind no real backend uses.
constexpr auto kTestKind = static_cast<Device::Kind>(100);
const Device kTestDevice{kTestKind, 0};

struct Calls {
  std::atomic<int> openers{0};
  std::atomic<int> sinks{0};
  std::atomic<int> inputs{0};
  std::atomic<int> referenceInputs{0};
};
Calls gCalls;

// NV12 (or P010) frames written by the CPU reference of the encoders'
// RGB -> NV12 kernel, as the CUDA backend writes NVENC's frames.
class ReferenceNv12Input final : public EncoderInput {
 public:
  explicit ReferenceNv12Input(const AVCodecContext* context)
      : width_(context->width), height_(context->height), format_(context->pix_fmt) {}

  void convert(const Tensor& frames, FrameLayout layout, int64_t i,
               UniqueAVFrame& frame) override {
    frame = allocFrame();
    frame->format = format_;
    frame->width = width_;
    frame->height = height_;
    ASSERT_EQ(av_frame_get_buffer(frame.get(), 0), 0);
    const auto& s = frames.strides();
    bool nchw = layout == FrameLayout::NCHW;
    color::RgbSource in{frames.dataAs<const uint8_t>() + i * s[0], s[nchw ? 2 : 1],
                        s[nchw ? 3 : 2], s[nchw ? 1 : 3]};
    rgbToNv12Reference(in, width_, height_, YuvMatrix::Bt601, false,
                       {frame->data[0], frame->linesize[0], frame->data[1], frame->linesize[1],
                        format_ == AV_PIX_FMT_P010LE});
  }

 private:
  int width_;
  int height_;
  AVPixelFormat format_;
};

// The CPU backend under another device kind, counting what it is asked
// for; its "hardware encoders" are FFmpeg's VAAPI ones, which never open
// without a VAAPI frames context, so fallbacks happen on every machine.
class TestBackend final : public CpuBackend {
 public:
  std::string name() const override { return "test"; }
  void checkDevice(int index) const override {
    if (index != 0) {
      fail(ErrorKind::InvalidArgument, "test device " + std::to_string(index) + " does not exist");
    }
  }
  std::shared_ptr<CodecOpener> decoderOpener(int, const AVStream*) override {
    ++gCalls.openers;
    return makeSoftwareCodecOpener("the test backend decodes in software");
  }
  std::unique_ptr<FrameSink> makeSink(const SinkSpec& spec) override {
    ++gCalls.sinks;
    return CpuBackend::makeSink(spec);
  }
  const AVCodec* hardwareEncoder(AVCodecID codec) const override {
    if (codec == AV_CODEC_ID_H264) return avcodec_find_encoder_by_name("h264_vaapi");
    if (codec == AV_CODEC_ID_HEVC) return avcodec_find_encoder_by_name("hevc_vaapi");
    return nullptr;
  }
  std::unique_ptr<EncoderInput> encoderInput(int index, AVCodecContext* context) override {
    ++gCalls.inputs;
    if (context->pix_fmt == AV_PIX_FMT_NV12 || context->pix_fmt == AV_PIX_FMT_P010LE) {
      ++gCalls.referenceInputs;
      return std::make_unique<ReferenceNv12Input>(context);
    }
    return CpuBackend::encoderInput(index, context);
  }
};

// The one line that plugs the backend in.
const bool kRegistered =
    registerDeviceBackend(kTestKind, [] { return std::make_unique<TestBackend>(); });

std::vector<int64_t> firstFrames(int64_t n) {
  std::vector<int64_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  return all;
}

double meanAbsDiff(const Tensor& a, const Tensor& b) {
  const auto* pa = static_cast<const uint8_t*>(a.data());
  const auto* pb = static_cast<const uint8_t*>(b.data());
  double sum = 0;
  for (int64_t k = 0; k < a.nbytes(); ++k) {
    sum += std::abs(static_cast<int>(pa[k]) - static_cast<int>(pb[k]));
  }
  return sum / static_cast<double>(a.nbytes());
}

bool hasLibcuda() {
  void* handle = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (handle != nullptr) {
    dlclose(handle);
  }
  return handle != nullptr;
}

}  // namespace

TEST(DeviceBackendTest, RegistryHoldsTheBuiltInBackends) {
  ASSERT_TRUE(kRegistered);
  EXPECT_EQ(deviceBackend(Device::Kind::Cpu).name(), "cpu");
  EXPECT_EQ(deviceBackend(kTestKind).name(), "test");
  if (builtWithCuda()) {
    EXPECT_EQ(deviceBackend(Device::Kind::Cuda).name(), "cuda");
  } else {
    try {
      deviceBackend(Device::Kind::Cuda);
      FAIL() << "a build without CUDA has no CUDA backend";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Runtime);
      EXPECT_NE(std::string(e.what()).find("no CUDA support"), std::string::npos) << e.what();
    }
  }
  // A backend in use stays: decoders and encoders may hold it.
  EXPECT_THROW(registerDeviceBackend(Device::Kind::Cpu,
                                     [] { return std::make_unique<CpuBackend>(); }),
               Error);
  try {
    deviceBackend(static_cast<Device::Kind>(77));
    FAIL() << "no backend is registered for kind 77";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Runtime);
    EXPECT_NE(std::string(e.what()).find("no device backend"), std::string::npos) << e.what();
  }
}

TEST(DeviceBackendTest, DecodingOnTheTestBackendGoesThroughIt) {
  VideoDecoder cpu(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  DecodedFrames expected = cpu.framesAt(firstFrames(12));

  int openers = gCalls.openers, sinks = gCalls.sinks;
  VideoDecoderOptions options;
  options.device = kTestDevice;
  VideoDecoder decoder(Source::fromPath(mediaPath("h264_bframes.mp4")), options);
  EXPECT_EQ(gCalls.openers, openers + 1);
  EXPECT_EQ(gCalls.sinks, sinks + 1);
  EXPECT_FALSE(decoder.cpuFallback().known);
  DecodedFrames got = decoder.framesAt(firstFrames(12));
  ASSERT_EQ(got.data.nbytes(), expected.data.nbytes());
  EXPECT_EQ(std::memcmp(got.data.data(), expected.data.data(), got.data.nbytes()), 0);
  // Its opener said why it decodes in software: that is what cpuFallback reports.
  CpuFallback fallback = decoder.cpuFallback();
  EXPECT_TRUE(fallback.known);
  EXPECT_TRUE(fallback.fellBack);
  EXPECT_NE(fallback.reason.find("test:0"), std::string::npos) << fallback.reason;
  EXPECT_NE(fallback.reason.find("the test backend decodes in software"), std::string::npos)
      << fallback.reason;

  options.device = Device{kTestKind, 3};
  EXPECT_THROW(VideoDecoder(Source::fromPath(mediaPath("h264_bframes.mp4")), options), Error);
}

TEST(DeviceBackendTest, DecodeAndOutputDevicesAreSeparateSettings) {
  VideoDecoder cpu(Source::fromPath(mediaPath("h264_bframes.mp4")), {});
  DecodedFrames expected = cpu.framesAt(firstFrames(4));

  // Decoded on the test device, returned on the CPU: its opener, the CPU's sink.
  int openers = gCalls.openers, sinks = gCalls.sinks;
  VideoDecoderOptions options;
  options.decodeDevice = kTestDevice;
  VideoDecoder a(Source::fromPath(mediaPath("h264_bframes.mp4")), options);
  EXPECT_EQ(gCalls.openers, openers + 1);
  EXPECT_EQ(gCalls.sinks, sinks);
  DecodedFrames got = a.framesAt(firstFrames(4));
  EXPECT_EQ(std::memcmp(got.data.data(), expected.data.data(), got.data.nbytes()), 0);
  EXPECT_TRUE(a.cpuFallback().fellBack);

  // Decoded on the CPU, returned by the test device's sink.
  openers = gCalls.openers;
  sinks = gCalls.sinks;
  VideoDecoderOptions back;
  back.device = kTestDevice;
  back.decodeDevice = Device::cpu();
  VideoDecoder b(Source::fromPath(mediaPath("h264_bframes.mp4")), back);
  EXPECT_EQ(gCalls.openers, openers);
  EXPECT_EQ(gCalls.sinks, sinks + 1);
  got = b.framesAt(firstFrames(4));
  EXPECT_EQ(std::memcmp(got.data.data(), expected.data.data(), got.data.nbytes()), 0);
  CpuFallback fallback = b.cpuFallback();
  EXPECT_TRUE(fallback.known);
  EXPECT_FALSE(fallback.fellBack) << fallback.reason;
}

TEST(DeviceBackendTest, EncoderChoiceFollowsTheFallbackRule) {
  const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
  const AVCodec* x265 = avcodec_find_encoder_by_name("libx265");
  const AVCodec* vaapi = avcodec_find_encoder_by_name("h264_vaapi");
  const AVCodec* nvenc = avcodec_find_encoder_by_name("h264_nvenc");
  ASSERT_TRUE(x264 && x265 && vaapi && nvenc);
  EXPECT_TRUE(isHardwareEncoder(nvenc));
  EXPECT_TRUE(isHardwareEncoder(vaapi));
  EXPECT_FALSE(isHardwareEncoder(x264));

  // CPU frames: the CPU encoder, whatever the name.
  EncoderChoice c = chooseVideoEncoder("", x264, Device::cpu());
  EXPECT_EQ(c.first, x264);
  EXPECT_EQ(c.fallback, nullptr);
  c = chooseVideoEncoder("h264", x264, Device::cpu());
  EXPECT_EQ(c.first, x264);
  EXPECT_EQ(c.fallback, nullptr);
  // Device frames, codec by container or codec name: hardware, then CPU.
  c = chooseVideoEncoder("", x264, kTestDevice);
  EXPECT_EQ(c.first, vaapi);
  EXPECT_EQ(c.fallback, x264);
  c = chooseVideoEncoder("hevc", x265, kTestDevice);
  EXPECT_STREQ(c.first->name, "hevc_vaapi");
  EXPECT_EQ(c.fallback, x265);
  // An encoder named outright is used as named.
  c = chooseVideoEncoder("libx264", x264, kTestDevice);
  EXPECT_EQ(c.first, x264);
  EXPECT_EQ(c.fallback, nullptr);
  c = chooseVideoEncoder("h264_nvenc", nvenc, kTestDevice);
  EXPECT_EQ(c.first, nvenc);
  EXPECT_EQ(c.fallback, nullptr);
  EXPECT_TRUE(c.explicitHardware);
  // A codec the device has no encoder for: the CPU one.
  const AVCodec* vp9 = avcodec_find_encoder_by_name("libvpx-vp9");
  c = chooseVideoEncoder("vp9", vp9, kTestDevice);
  EXPECT_EQ(c.first, vp9);
  EXPECT_EQ(c.fallback, nullptr);
  if (builtWithCuda()) {
    // The CUDA backend names NVENC without touching a GPU.
    c = chooseVideoEncoder("h264", x264, Device::cuda(0));
    EXPECT_EQ(c.first, nvenc);
    EXPECT_EQ(c.fallback, x264);
    c = chooseVideoEncoder("hevc", x265, Device::cuda(0));
    EXPECT_STREQ(c.first->name, "hevc_nvenc");
    EXPECT_EQ(c.fallback, x265);
  }
}

TEST(DeviceBackendTest, DeviceFramesFallBackToTheCpuEncoderWithTheReason) {
  Tensor frames = gradientFrames(6, 64, 96, kTestDevice);
  int inputs = gCalls.inputs;
  Encoder encoder;
  int stream = encoder.addVideo(smallVideo("", kTestDevice));
  auto sink = std::make_shared<MemorySink>();
  encoder.openSink(sink, "mp4");
  // One input for the hardware encoder tried, one for the CPU encoder used.
  EXPECT_EQ(gCalls.inputs, inputs + 2);
  EncoderInfo info = encoder.streamInfo(stream);
  EXPECT_EQ(info.codec, "libx264");
  EXPECT_TRUE(info.cpuFallback);
  EXPECT_NE(info.cpuFallbackReason.find("h264_vaapi could not encode frames from test:0"),
            std::string::npos)
      << info.cpuFallbackReason;
  EXPECT_NE(info.cpuFallbackReason.find("libx264"), std::string::npos) << info.cpuFallbackReason;
  encoder.addFrames(stream, frames, FrameLayout::NHWC);
  encoder.close();
  VideoDecoder decoder(Source::fromTensor(sink->takeBytes()), {});
  ASSERT_EQ(decoder.numFrames(), 6);
  // CPU frames are rejected by a stream of the test device.
  Encoder other;
  int s = other.addVideo(smallVideo("libx264", kTestDevice));
  other.openSink(std::make_shared<MemorySink>(), "mp4");
  EXPECT_THROW(other.addFrames(s, gradientFrames(1, 64, 96, Device::cpu()), FrameLayout::NHWC),
               Error);
  EncoderInfo named = other.streamInfo(s);
  EXPECT_TRUE(named.cpuFallback);
  EXPECT_NE(named.cpuFallbackReason.find("the encoder asked for"), std::string::npos)
      << named.cpuFallbackReason;
}

TEST(DeviceBackendTest, ExplicitHardwareEncodersNeverFallBack) {
  auto path = tempPath("hw.mp4");
  std::filesystem::remove(path);
  auto expectRuntime = [&](VideoStreamOptions options, const std::string& fragment) {
    expectOpenFileFails(std::move(options), path, ErrorKind::Runtime, fragment);
  };
  expectRuntime(smallVideo("h264_vaapi", kTestDevice), "hardware encoder h264_vaapi");
  if (!hasLibcuda()) {
    // FFmpeg's reason, from its log, is in the message.
    expectRuntime(smallVideo("h264_nvenc", Device::cpu()), "Cannot load libcuda.so.1");
    expectRuntime(smallVideo("hevc_nvenc", Device::cpu()), "Cannot load libcuda.so.1");
  } else {
    // With a driver, h264_nvenc opens or fails (no NVENC engine) as a RuntimeError.
    Encoder encoder;
    encoder.addVideo(smallVideo("h264_nvenc", Device::cpu()));
    try {
      encoder.openFile(path.string());
      encoder.abort();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Runtime) << e.what();
      EXPECT_FALSE(std::filesystem::exists(path));
    }
    std::filesystem::remove(path);
  }
}

TEST(DeviceBackendTest, Nv12EncoderInputFromTheKernelReference) {
  // libx264 takes NV12: the test backend writes it with the CPU reference
  // of the encoders' kernel, as the CUDA backend writes NVENC's frames.
  Tensor frames = gradientFrames(5, 64, 96, kTestDevice);
  int reference = gCalls.referenceInputs;
  Encoder encoder;
  VideoStreamOptions options = smallVideo("libx264", kTestDevice, "nv12");
  options.crf = 0;
  int stream = encoder.addVideo(options);
  auto sink = std::make_shared<MemorySink>();
  encoder.openSink(sink, "matroska");
  EXPECT_EQ(gCalls.referenceInputs, reference + 1);
  encoder.addFrames(stream, frames, FrameLayout::NHWC);
  encoder.close();
  VideoDecoder decoder(Source::fromTensor(sink->takeBytes()), {});
  ASSERT_EQ(decoder.numFrames(), 5);
  DecodedFrames got = decoder.framesAt(firstFrames(5));
  // The same frames encoded from the CPU backend's swscale input.
  Encoder cpuEncoder;
  VideoStreamOptions cpuOptions = smallVideo("libx264", Device::cpu(), "nv12");
  cpuOptions.crf = 0;
  int cpuStream = cpuEncoder.addVideo(cpuOptions);
  auto cpuSink = std::make_shared<MemorySink>();
  cpuEncoder.openSink(cpuSink, "matroska");
  cpuEncoder.addFrames(cpuStream, gradientFrames(5, 64, 96, Device::cpu()), FrameLayout::NHWC);
  cpuEncoder.close();
  VideoDecoder cpuDecoder(Source::fromTensor(cpuSink->takeBytes()), {});
  DecodedFrames viaSwscale = cpuDecoder.framesAt(firstFrames(5));
  Tensor original = gradientFrames(5, 64, 96, Device::cpu());
  // 4:2:0 loses chroma detail either way; the kernel's arithmetic is as
  // close to the frames as swscale's (measured: 1.292 and 1.289 levels on
  // average).
  double kernel = meanAbsDiff(got.data, original);
  double swscale = meanAbsDiff(viaSwscale.data, original);
  EXPECT_LT(kernel, 2.0);
  EXPECT_LT(kernel, swscale + 0.1) << "swscale: " << swscale;
}

// The CUDA backend opens the decoder that has FFmpeg's CUDA hwaccel, which
// for AV1 is not FFmpeg's default decoder when it has libdav1d; software
// openers (the CPU path) keep the default.
TEST(DeviceBackendTest, HardwareDecoderIsTheOneWithTheHwaccel) {
  const AVCodec* av1Default = avcodec_find_decoder(AV_CODEC_ID_AV1);
  ASSERT_NE(av1Default, nullptr);
  EXPECT_STREQ(av1Default->name, "libdav1d");  // this FFmpeg's default
  const AVCodec* av1 = hwDecoder(AV_CODEC_ID_AV1, AV_HWDEVICE_TYPE_CUDA);
  ASSERT_NE(av1, nullptr);
  EXPECT_STREQ(av1->name, "av1");
  EXPECT_EQ(hwPixelFormat(av1, AV_HWDEVICE_TYPE_CUDA, AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX),
            AV_PIX_FMT_CUDA);
  const AVCodec* h264 = hwDecoder(AV_CODEC_ID_H264, AV_HWDEVICE_TYPE_CUDA);
  ASSERT_NE(h264, nullptr);
  EXPECT_EQ(h264, avcodec_find_decoder(AV_CODEC_ID_H264));  // the default has it
  EXPECT_EQ(hwDecoder(AV_CODEC_ID_PRORES, AV_HWDEVICE_TYPE_CUDA), nullptr);
  EXPECT_EQ(makeSoftwareCodecOpener()->decoder(), nullptr);
  EXPECT_EQ(makeHwCodecOpener(0, nullptr, nullptr, av1)->decoder(), av1);
}

// Hardware decoders run one thread whatever was asked: each frame thread
// would add a surface to the hwaccel's pool, beyond NVDEC's 32 on
// many-core machines.
TEST(DeviceBackendTest, HardwareOpenerDecodesWithOneThread) {
  const AVCodec* h264 = avcodec_find_decoder(AV_CODEC_ID_H264);
  ASSERT_NE(h264, nullptr);
  UniqueAVBufferRef device(av_buffer_allocz(16));  // only referenced by configure
  ASSERT_TRUE(device);
  UniqueAVCodecContext codec(avcodec_alloc_context3(h264));
  ASSERT_TRUE(codec);
  codec->thread_count = 0;  // automatic: cores + 1
  makeHwCodecOpener(0, device.get(), nullptr, h264)->configure(codec.get());
  EXPECT_EQ(codec->thread_count, 1);
  EXPECT_NE(codec->hw_device_ctx, nullptr);
  EXPECT_NE(codec->get_format, nullptr);
}
