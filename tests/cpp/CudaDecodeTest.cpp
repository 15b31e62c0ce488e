// Decoding with VideoDecoderOptions::device = CUDA. Without CUDA (in the
// build or on the machine) the decoder must refuse with an error naming
// what is missing; with a GPU, frames must match the CPU path.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include "MediaPath.h"
#include "codecflow/Cuda.h"
#include "codecflow/Error.h"
#include "codecflow/VideoDecoder.h"

#ifdef CODECFLOW_TEST_EXPECT_CUDA
#include <random>

#include "convert/YuvRgb.h"
#include "device/cuda/ColorKernels.h"
#include "device/cuda/CudaRuntime.h"

extern "C" {
#include <libavutil/pixfmt.h>
}
#endif

using namespace codecflow;

namespace {

bool gpuPresent() {
  if (!builtWithCuda()) {
    return false;
  }
  try {
    return cudaDeviceCount() > 0;
  } catch (const Error&) {
    return false;
  }
}

VideoDecoderOptions cudaOptions() {
  VideoDecoderOptions options;
  options.device = Device::cuda(0);
  return options;
}

}  // namespace


// "CUDA driver X.Y, runtime X.Y" or "CUDA driver none (no driver), runtime
// X.Y" somewhere in the message (plain string checks: GCC 12 warns inside
// <regex> under the sanitizers).
bool namesCudaVersions(const std::string& message) {
  auto version = [&](size_t& at) {
    size_t start = at;
    while (at < message.size() && std::isdigit(static_cast<unsigned char>(message[at]))) ++at;
    if (at == start || at >= message.size() || message[at] != '.') return false;
    size_t minor = ++at;
    while (at < message.size() && std::isdigit(static_cast<unsigned char>(message[at]))) ++at;
    return at > minor;
  };
  const std::string driver = "CUDA driver ";
  const std::string none = "none (no driver)";
  const std::string runtime = ", runtime ";
  for (size_t found = message.find(driver); found != std::string::npos;
       found = message.find(driver, found + 1)) {
    size_t at = found + driver.size();
    if (message.compare(at, none.size(), none) == 0) {
      at += none.size();
    } else if (!version(at)) {
      continue;
    }
    if (message.compare(at, runtime.size(), runtime) != 0) continue;
    at += runtime.size();
    if (version(at)) return true;
  }
  return false;
}

TEST(CudaDecodeTest, WithoutAGpuTheDecoderNamesWhatIsMissing) {
  if (gpuPresent()) {
    GTEST_SUCCEED() << "a GPU is present: covered by FramesMatchTheCpuPath";
    return;
  }
  try {
    VideoDecoder decoder(Source::fromPath(mediaPath("h264_bframes.mp4")), cudaOptions());
    FAIL() << "a CUDA decoder was created without a usable GPU";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Runtime);
    std::string message = e.what();
    if (builtWithCuda()) {
      EXPECT_NE(message.find("cudaGetDeviceCount failed"), std::string::npos) << message;
      // Both versions, the driver's "none" where there is no driver.
      EXPECT_TRUE(namesCudaVersions(message)) << message;
      EXPECT_NE(message.find(cudaVersions()), std::string::npos) << message;
#ifdef CODECFLOW_TEST_EXPECT_CUDA
      // The runtime's own words for why it has no device, not a guess.
      int count = 0;
      int rc = cuda::deviceCount(count);
      ASSERT_NE(rc, 0);
      EXPECT_NE(message.find(cuda::errorText(rc)), std::string::npos) << message;
#endif
    } else {
      EXPECT_NE(message.find("no CUDA support"), std::string::npos) << message;
    }
  }
}

#ifdef CODECFLOW_TEST_EXPECT_CUDA
TEST(CudaDecodeTest, FramesMatchTheCpuPath) {
  if (!gpuPresent()) {
    GTEST_SKIP() << "no GPU: covered by WithoutAGpuTheDecoderNamesWhatIsMissing";
  }
  for (const char* clip : {"color_bt709.mp4", "color_bt2020_10bit.mp4", "ffv1.mkv"}) {
    SCOPED_TRACE(clip);
    VideoDecoder cpu(Source::fromPath(mediaPath(clip)), {});
    VideoDecoder gpu(Source::fromPath(mediaPath(clip)), cudaOptions());
    std::vector<int64_t> indices{0, 5, 5, 2};
    DecodedFrames expected = cpu.framesAt(indices);
    DecodedFrames got = gpu.framesAt(indices);
    ASSERT_EQ(got.data.device().kind, Device::Kind::Cuda);
    ASSERT_EQ(got.data.device().index, 0);
    ASSERT_EQ(got.data.shape(), expected.data.shape());
    std::vector<uint8_t> host(static_cast<size_t>(got.data.nbytes()));
    ASSERT_EQ(cuda::copyDeviceToHost(host.data(), got.data.data(), host.size()), 0);
    const auto* ref = static_cast<const uint8_t*>(expected.data.data());
    size_t close = 0;
    int worst = 0;
    for (size_t i = 0; i < host.size(); ++i) {
      int d = std::abs(static_cast<int>(host[i]) - static_cast<int>(ref[i]));
      worst = std::max(worst, d);
      close += d <= 2 ? 1 : 0;
    }
    EXPECT_GE(static_cast<double>(close) / static_cast<double>(host.size()), 0.99);
    EXPECT_LE(worst, 3);
    CpuFallback fallback = gpu.cpuFallback();
    EXPECT_TRUE(fallback.known);
    EXPECT_EQ(fallback.fellBack, std::string(clip) == "ffv1.mkv") << fallback.reason;
    if (fallback.fellBack) {
      EXPECT_NE(fallback.reason.find("FFmpeg has no NVDEC decoder for it"), std::string::npos)
          << fallback.reason;
    }
  }
}

TEST(CudaDecodeTest, KernelEqualsTheCpuReference) {
  if (!gpuPresent()) {
    GTEST_SKIP() << "no GPU: the reference is checked against swscale in YuvRgbTest";
  }
  // Odd sizes (not multiples of the block size, a half chroma sample at the
  // right and bottom edges), and plane pitches wider than the width as
  // NVDEC's surfaces have them (256 and 512 bytes), their padding random.
  constexpr int w = 131, h = 67;
  constexpr int chromaRows = (h + 1) / 2;
  std::mt19937 rng(3);
  for (bool sixteen : {false, true}) {
    int bytes = sixteen ? 2 : 1;
    int planePitch = sixteen ? 512 : 256;
    std::vector<uint8_t> yPlane(planePitch * h), uvPlane(planePitch * chromaRows);
    for (auto& b : yPlane) b = static_cast<uint8_t>(rng());
    for (auto& b : uvPlane) b = static_cast<uint8_t>(rng());
    ASSERT_GE(planePitch, ((w + 1) / 2) * 2 * bytes);
    void* dy = nullptr;
    void* duv = nullptr;
    void* dout = nullptr;
    ASSERT_EQ(cuda::allocate(&dy, yPlane.size()), 0);
    ASSERT_EQ(cuda::allocate(&duv, uvPlane.size()), 0);
    ASSERT_EQ(cuda::allocate(&dout, w * h * 3 * 4), 0);
    ASSERT_EQ(cuda::copyHostToDevice(dy, yPlane.data(), yPlane.size()), 0);
    ASSERT_EQ(cuda::copyHostToDevice(duv, uvPlane.data(), uvPlane.size()), 0);
    for (int space : {AVCOL_SPC_BT470BG, AVCOL_SPC_BT709, AVCOL_SPC_BT2020_NCL, AVCOL_SPC_FCC,
                      AVCOL_SPC_SMPTE240M}) {
      for (bool full : {false, true}) {
        for (bool isFloat : {false, true}) {
          SCOPED_TRACE(std::to_string(sixteen) + " " + std::to_string(space) +
                       std::to_string(full) + std::to_string(isFloat));
          YuvToRgb coefficients = yuvToRgbFor(space, full);
          int64_t pitch = int64_t{w} * 3 * (isFloat ? 4 : 1);
          color::YuvPlanes host{yPlane.data(), planePitch, uvPlane.data(), planePitch, w, h,
                                sixteen};
          std::vector<uint8_t> expected(pitch * h), got(pitch * h);
          yuvToRgbReference(host, coefficients, {expected.data(), pitch, isFloat});
          color::YuvPlanes device{dy, planePitch, duv, planePitch, w, h, sixteen};
          ASSERT_EQ(cuda::launchYuvToRgb(device, coefficients, {dout, pitch, isFloat}, nullptr), 0);
          ASSERT_EQ(cuda::copyDeviceToHost(got.data(), dout, got.size()), 0);
          EXPECT_EQ(got, expected);
        }
      }
    }
    cuda::release(dy);
    cuda::release(duv);
    cuda::release(dout);
  }
}

// The encoders' kernel (RGB -> NV12 / P010 into NVENC's frames) equals its
// CPU reference bit for bit: packed and planar RGB, odd sizes, output
// pitches wider than the width (as hardware frame pools align them).
TEST(CudaDecodeTest, EncoderKernelEqualsTheCpuReference) {
  if (!gpuPresent()) {
    GTEST_SKIP() << "no GPU: the reference is checked against swscale in YuvRgbTest";
  }
  constexpr int w = 131, h = 67;
  std::mt19937 rng(5);
  std::vector<uint8_t> rgb(w * h * 3);
  for (auto& b : rgb) b = static_cast<uint8_t>(rng());
  void* drgb = nullptr;
  ASSERT_EQ(cuda::allocate(&drgb, rgb.size()), 0);
  ASSERT_EQ(cuda::copyHostToDevice(drgb, rgb.data(), rgb.size()), 0);
  for (bool tenBit : {false, true}) {
    for (bool planar : {false, true}) {
      SCOPED_TRACE(std::string(tenBit ? "p010" : "nv12") + (planar ? " planar" : " packed"));
      int64_t pitch = 256 * (tenBit ? 2 : 1);
      int64_t chromaRows = (h + 1) / 2;
      size_t bytes = static_cast<size_t>(pitch * (h + chromaRows));
      std::vector<uint8_t> expected(bytes, 0), got(bytes, 0);
      color::RgbSource host = planar ? color::RgbSource{rgb.data(), w, 1, int64_t{w} * h}
                                     : color::RgbSource{rgb.data(), w * 3, 3, 1};
      rgbToNv12Reference(host, w, h, YuvMatrix::Bt601, false,
                         {expected.data(), pitch, expected.data() + pitch * h, pitch, tenBit});
      void* dout = nullptr;
      ASSERT_EQ(cuda::allocate(&dout, bytes), 0);
      ASSERT_EQ(cuda::copyHostToDevice(dout, got.data(), bytes), 0);
      auto* d = static_cast<uint8_t*>(dout);
      color::RgbSource device = host;
      device.data = static_cast<const uint8_t*>(drgb);
      ASSERT_EQ(cuda::launchRgbToNv12(device, w, h,
                                      color::kRgbToYuv[color::tableIndex(YuvMatrix::Bt601, false)],
                                      {d, pitch, d + pitch * h, pitch, tenBit}, nullptr),
                0);
      ASSERT_EQ(cuda::copyDeviceToHost(got.data(), dout, bytes), 0);
      EXPECT_EQ(got, expected);
      cuda::release(dout);
    }
  }
  cuda::release(drgb);
}
#endif

#include <sys/wait.h>
#include <unistd.h>

// A child forked after the parent used CUDA drops the inherited state and
// refuses CUDA with a message naming spawn workers; the parent is unchanged.
TEST(CudaDecodeTest, AForkedChildAsksForSpawnWorkers) {
  if (!builtWithCuda()) {
    EXPECT_FALSE(cudaForkedChild());
    return;
  }
  try {
    cudaDeviceCount();  // CUDA used here, with or without a GPU
  } catch (const Error&) {
  }
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int status = cudaForkedChild() ? 0 : 2;
    try {
      VideoDecoder decoder(Source::fromPath(mediaPath("h264_bframes.mp4")), cudaOptions());
      status = 3;
    } catch (const Error& e) {
      if (status == 0 && (e.kind() != ErrorKind::Runtime ||
                          std::string(e.what()).find("needs spawn workers") == std::string::npos)) {
        status = 4;
      }
    }
    _exit(status);
  }
  int status = -1;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: flag unset, 3: decoder opened, 4: wrong error";
  EXPECT_FALSE(cudaForkedChild());
}
