#include "device/cuda/CudaFrameSink.h"

#include <cmath>

#include "codecflow/Cuda.h"
#include "codecflow/Error.h"
#include "convert/FramePipeline.h"
#include "convert/YuvRgb.h"
#include "device/cpu/CpuBackend.h"
#include "device/cuda/ColorKernels.h"
#include "device/cuda/CudaMemory.h"
#include "device/cuda/CudaRuntime.h"
#include "device/cuda/DeviceGuard.h"
#include "device/cuda/TransformKernels.h"

extern "C" {
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
}

namespace codecflow {

namespace {

// The frame's matrix and range, from swscale's numbers (Note [Choosing the
// matrix] in convert/YuvRgb.h).
YuvToRgb coefficientsOf(const AVFrame* frame) {
  return yuvToRgbFor(frame->colorspace, frame->color_range == AVCOL_RANGE_JPEG);
}

// A frame of another size than the stream's first.
void checkSize(const color::YuvPlanes& planes, int width, int height) {
  if (planes.width != width || planes.height != height) {
    fail(ErrorKind::InvalidData, "frame size changed mid-stream from " + std::to_string(width) +
                                     "x" + std::to_string(height) + " to " +
                                     std::to_string(planes.width) + "x" +
                                     std::to_string(planes.height));
  }
}

}  // namespace

CudaFrameSink::CudaFrameSink(const SinkSpec& spec)
    : device_(spec.device.index),
      direct_(spec.transforms.empty() &&
              (!spec.rotation || std::lround(*spec.rotation) % 360 == 0)),
      floatOutput_(spec.floatOutput),
      cpu_(makeCpuFrameSink(spec)),
      stream_(cuda::streamOf(device_)),
      plan_(planFor(spec)),
      scratch_(std::make_unique<cuda::TransformScratch>(stream_)) {}

CudaFrameSink::~CudaFrameSink() {
  // The scratch memory goes back in the order of the GPU's stream, with the
  // GPU current; a forked child's copy of it is not its own to free.
  if (cuda::forkedAfterCudaUse()) {
    (void)scratch_.release();
    return;
  }
  cuda::DeviceGuard guard(device_);
  scratch_.reset();
}

bool CudaFrameSink::takesHardwareFrames(AVHWDeviceType type) const {
  return type == AV_HWDEVICE_TYPE_CUDA;
}

void CudaFrameSink::check(int rc, const char* what) const {
  if (rc != 0) {
    fail(ErrorKind::Runtime, std::string(what) + " on cuda:" + std::to_string(device_) +
                                 " failed: " + cuda::errorText(rc));
  }
}

Tensor CudaFrameSink::allocate(int64_t count) {
  cuda::DeviceGuard guard(device_);
  std::vector<int64_t> shape{count, outputHeight(), outputWidth(), 3};
  DType dtype = floatOutput_ ? DType::Float32 : DType::UInt8;
  size_t bytes = static_cast<size_t>(count * outputHeight() * outputWidth() * 3 * dtypeSize(dtype));
  // From torch's caching allocator where Python installed it, else
  // stream-ordered; either way in the order of codecflow's stream.
  std::shared_ptr<void> owner = cuda::outputMemory(bytes, device_);
  void* data = owner.get();
  return Tensor::fromBlob(data, std::move(shape), {}, dtype, Device::cuda(device_),
                          std::move(owner));
}

void CudaFrameSink::write(const AVFrame* frame, uint8_t* slot) {
  cuda::DeviceGuard guard(device_);
  if (frame->format != AV_PIX_FMT_CUDA) {
    // Decoded in software: converted on the CPU and uploaded.
    writeThroughCpu(frame, slot);
    return;
  }
  const auto* frames = reinterpret_cast<const AVHWFramesContext*>(frame->hw_frames_ctx->data);
  AVPixelFormat layout = frames->sw_format;
  bool supported =
      layout == AV_PIX_FMT_NV12 || layout == AV_PIX_FMT_P010 || layout == AV_PIX_FMT_P016;
  if (!direct_ || !supported) {
    // Rotation, transforms and 4:4:4 layouts: the transform kernels.
    if (writeTransformed(frame, layout, slot)) {
      return;
    }
    const char* name = av_get_pix_fmt_name(layout);
    fail(ErrorKind::Unsupported, std::string("CUDA frames of layout ") +
                                     (name != nullptr ? name : "unknown") +
                                     " have no colour kernel (nv12, p010, p016, yuv444p and "
                                     "yuv444p16 do)");
  }
  color::YuvPlanes planes;
  framePlanes(frame, layout, planes);
  int width = planes.width;
  checkSize(planes, outputWidth(), outputHeight());
  color::RgbImage out;
  out.data = slot;
  out.pitch = static_cast<int64_t>(width) * 3 * (floatOutput_ ? 4 : 1);
  out.isFloat = floatOutput_;
  check(cuda::launchYuvToRgb(planes, coefficientsOf(frame), out, stream_),
        "the colour conversion kernel");
}

// Note [GPU transforms]
// Rotation, resize and crops, and the 4:4:4 layouts, run as the transform
// kernels (TransformKernels.h) straight into the slot: no copy to the host.
// The plan comes from FramePipeline's resolution of the same steps, so
// centred crops land where the CPU path puts them and random crops where
// the host drew them.
TransformPlan CudaFrameSink::planFor(const SinkSpec& spec) {
  FramePipeline pipeline(spec.width, spec.height, spec.rotation, spec.transforms,
                         spec.floatOutput);
  return makeTransformPlan(spec.width, spec.height, pipeline.clockwiseQuarterTurns(),
                           pipeline.steps(), spec.floatOutput);
}

bool CudaFrameSink::writeTransformed(const AVFrame* frame, int layout, uint8_t* slot) {
  color::YuvPlanes planes;
  if (!framePlanes(frame, layout, planes)) {
    return false;
  }
  checkSize(planes, plan_.frameWidth, plan_.frameHeight);
  int64_t pitch = static_cast<int64_t>(plan_.outputWidth()) * 3 * (floatOutput_ ? 4 : 1);
  check(cuda::launchTransform(plan_, planes, coefficientsOf(frame), slot, pitch, *scratch_,
                              stream_),
        "the transform kernels");
  return true;
}

void CudaFrameSink::writeThroughCpu(const AVFrame* frame, uint8_t* slot) {
  if (!staging_.defined()) {
    staging_ = cpu_->allocate(1);
  }
  cpu_->write(frame, static_cast<uint8_t*>(staging_.data()));
  // Pageable memory: read before the call returns, so staging_ is free again.
  check(cuda::copyHostToDeviceAsync(slot, staging_.data(), static_cast<size_t>(staging_.nbytes()),
                                    stream_),
        "uploading a frame");
}

void CudaFrameSink::copySlot(uint8_t* dst, const uint8_t* src, int64_t bytes) {
  cuda::DeviceGuard guard(device_);
  check(cuda::copyDeviceToDeviceAsync(dst, src, static_cast<size_t>(bytes), stream_),
        "copying a frame");
}

void CudaFrameSink::finish() {
  // No host wait: the batch is ready in the order of codecflow's stream,
  // and its consumer waits for it there (the DLPack export's event).
}

}  // namespace codecflow
