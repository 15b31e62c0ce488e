// Decoding with VideoDecoderOptions::device = CUDA. Without CUDA (in the
// build or on the machine) the decoder must refuse with an error naming
// what is missing; with a GPU, frames must match the CPU path.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "MediaPath.h"
#include "codecflow/Cuda.h"
#include "codecflow/Error.h"
#include "codecflow/VideoDecoder.h"

#ifdef CODECFLOW_TEST_EXPECT_CUDA
#include "cuda/CudaDevice.h"
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
    } else {
      EXPECT_NE(message.find("no CUDA support"), std::string::npos) << message;
    }
  }
}

#ifdef CODECFLOW_TEST_EXPECT_CUDA
TEST(CudaDecodeTest, FramesMatchTheCpuPath) {
  if (!gpuPresent()) {
    GTEST_SUCCEED() << "no GPU: covered by WithoutAGpuTheDecoderNamesWhatIsMissing";
    return;
  }
  for (const char* clip : {"color_bt709.mp4", "color_bt2020_10bit.mp4", "ffv1.mkv"}) {
    SCOPED_TRACE(clip);
    VideoDecoder cpu(Source::fromPath(mediaPath(clip)), {});
    VideoDecoder gpu(Source::fromPath(mediaPath(clip)), cudaOptions());
    std::vector<int64_t> indices{0, 5, 5, 2};
    DecodedFrames expected = cpu.framesAt(indices);
    DecodedFrames got = gpu.framesAt(indices);
    ASSERT_EQ(got.data.device(), Device::cuda(0));
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
  }
}
#endif
