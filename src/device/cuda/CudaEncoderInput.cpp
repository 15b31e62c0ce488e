#include "device/cuda/CudaEncoderInput.h"

#include "codecflow/Error.h"
#include "convert/ColorMatrix.h"
#include "device/HwAccel.h"
#include "device/cpu/CpuBackend.h"
#include "device/cuda/ColorKernels.h"
#include "device/cuda/CudaMemory.h"
#include "device/cuda/CudaRuntime.h"
#include "device/cuda/DeviceGuard.h"
#include "device/cuda/NvdecCache.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace codecflow {

namespace {

void check(int rc, int device, const char* what) {
  if (rc != 0) {
    fail(ErrorKind::Runtime, std::string(what) + " on cuda:" + std::to_string(device) +
                                 " failed: " + cuda::errorText(rc));
  }
}

// Where frame i's samples are, for the kernel.
color::RgbSource rgbSource(const Tensor& frames, FrameLayout layout, int64_t i) {
  const auto& s = frames.strides();
  bool nchw = layout == FrameLayout::NCHW;
  color::RgbSource in;
  in.data = frames.dataAs<const uint8_t>() + i * s[0];
  in.rowPitch = s[nchw ? 2 : 1];
  in.pixelStride = s[nchw ? 3 : 2];
  in.channelStride = s[nchw ? 1 : 3];
  return in;
}

class NvencInput final : public EncoderInput {
 public:
  NvencInput(int device, AVCodecContext* context)
      : device_(device), stream_(cuda::streamOf(device)) {
    AVPixelFormat surface = nvencSurfaceFormat(context->pix_fmt);
    if (surface == AV_PIX_FMT_NONE) {
      fail(ErrorKind::InvalidArgument,
           std::string("frames on cuda:") + std::to_string(device) + " reach " +
               context->codec->name + " as NV12 or P010: pixel_format must be yuv420p, nv12, "
               "p010le or yuv420p10le, got " + av_get_pix_fmt_name(context->pix_fmt));
    }
    AVBufferRef* cudaDevice = NvdecCache::instance().device(device);
    frames_ = makeHwFramesContext(cudaDevice, AV_PIX_FMT_CUDA, surface, context->width,
                                  context->height, 0);
    context->hw_frames_ctx = av_buffer_ref(frames_.get());
    if (context->hw_frames_ctx == nullptr) {
      throw std::bad_alloc();
    }
    context->pix_fmt = AV_PIX_FMT_CUDA;
    context->sw_pix_fmt = surface;
    tenBit_ = surface == AV_PIX_FMT_P010;
    width_ = context->width;
    height_ = context->height;
  }

  void convert(const Tensor& frames, FrameLayout layout, int64_t i,
               UniqueAVFrame& frame) override {
    cuda::DeviceGuard guard(device_);
    // A fresh surface per frame: NVENC may still read the previous one.
    frame = allocFrame();
    int rc = av_hwframe_get_buffer(frames_.get(), frame.get(), 0);
    if (rc < 0) {
      failFFmpeg(ErrorKind::Runtime, "could not get a CUDA frame for the encoder", rc);
    }
    color::Nv12Image out{frame->data[0], frame->linesize[0], frame->data[1], frame->linesize[1],
                         tenBit_};
    check(cuda::launchRgbToNv12(rgbSource(frames, layout, i), width_, height_,
                                color::kRgbToYuv[color::tableIndex(YuvMatrix::Bt601, false)],
                                out, stream_),
          device_, "the RGB to NV12 kernel");
    // The caller may change its tensor once add_frames returns. Only
    // codecflow's stream is waited for (the tensor's producer stream was
    // made to wait ahead of it when the tensor came in through DLPack).
    check(cuda::synchronizeStream(stream_), device_, "the RGB to NV12 kernel");
  }

 private:
  int device_;
  void* stream_;
  UniqueAVBufferRef frames_;
  bool tenBit_ = false;
  int width_ = 0;
  int height_ = 0;
};

class DownloadInput final : public EncoderInput {
 public:
  DownloadInput(int device, const AVCodecContext* context)
      : device_(device), stream_(cuda::streamOf(device)), cpu_(makeCpuEncoderInput(context)) {}

  void convert(const Tensor& frames, FrameLayout layout, int64_t i,
               UniqueAVFrame& frame) override {
    cuda::DeviceGuard guard(device_);
    const auto& s = frames.strides();
    bool nchw = layout == FrameLayout::NCHW;
    int64_t h = frames.size(nchw ? 2 : 1);
    int64_t w = frames.size(nchw ? 3 : 2);
    if (!host_.defined()) {
      host_ = Tensor::empty({1, h, w, 3}, DType::UInt8);
    }
    auto* dst = host_.dataAs<uint8_t>();
    const uint8_t* src = frames.dataAs<const uint8_t>() + i * s[0];
    int64_t cStride = s[nchw ? 1 : 3];
    int64_t wStride = s[nchw ? 3 : 2];
    int64_t hStride = s[nchw ? 2 : 1];
    if (cStride == 1 && wStride == 3) {
      check(cuda::copy2DToHost(dst, static_cast<size_t>(w * 3), src,
                               static_cast<size_t>(hStride), static_cast<size_t>(w * 3),
                               static_cast<size_t>(h), stream_),
            device_, "downloading a frame");
      cpu_->convert(host_, FrameLayout::NHWC, 0, frame);
      return;
    }
    // Planes with contiguous rows: each downloaded as planes, then
    // converted from (1, 3, H, W).
    if (!planar_.defined()) {
      planar_ = Tensor::empty({1, 3, h, w}, DType::UInt8);
    }
    auto* planes = planar_.dataAs<uint8_t>();
    for (int c = 0; c < 3; ++c) {
      check(cuda::copy2DToHost(planes + c * h * w, static_cast<size_t>(w), src + c * cStride,
                               static_cast<size_t>(hStride), static_cast<size_t>(w),
                               static_cast<size_t>(h), stream_),
            device_, "downloading a frame");
    }
    cpu_->convert(planar_, FrameLayout::NCHW, 0, frame);
  }

 private:
  int device_;
  void* stream_;
  std::unique_ptr<EncoderInput> cpu_;
  Tensor host_;
  Tensor planar_;
};

}  // namespace

AVPixelFormat nvencSurfaceFormat(AVPixelFormat requested) {
  switch (requested) {
    case AV_PIX_FMT_YUV420P:
    case AV_PIX_FMT_NV12:
      return AV_PIX_FMT_NV12;
    case AV_PIX_FMT_P010LE:
    case AV_PIX_FMT_YUV420P10LE:
      return AV_PIX_FMT_P010;
    default:
      return AV_PIX_FMT_NONE;
  }
}

std::unique_ptr<EncoderInput> makeNvencInput(int device, AVCodecContext* context) {
  return std::make_unique<NvencInput>(device, context);
}

std::unique_ptr<EncoderInput> makeDownloadInput(int device, const AVCodecContext* context) {
  return std::make_unique<DownloadInput>(device, context);
}

}  // namespace codecflow
