#include "device/cuda/CudaFrameSink.h"

#include <cmath>

#include "codecflow/Cuda.h"
#include "codecflow/Error.h"
#include "convert/FramePipeline.h"
#include "convert/YuvRgb.h"
#include "device/HwAccel.h"
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

CudaFrameSink::CudaFrameSink(const SinkSpec& spec)
    : device_(spec.device.index),
      direct_(spec.transforms.empty() &&
              (!spec.rotation || std::lround(*spec.rotation) % 360 == 0)),
      floatOutput_(spec.floatOutput),
      cpu_(makeCpuFrameSink(spec)),
      downloaded_(allocFrame()),
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
  // The top/left crop libavcodec leaves to us (the right/bottom one is in
  // the width and height): the kernel starts there when it falls on a
  // chroma sample.
  bool evenCrop = frame->crop_top % 2 == 0 && frame->crop_left % 2 == 0;
  if (!direct_ || !supported) {
    // Rotation, transforms and 4:4:4 layouts: the transform kernels.
    if (writeTransformed(frame, layout, slot)) {
      return;
    }
  }
  if (!supported || !kernelHasMatrix(frame->colorspace) || !evenCrop || !direct_) {
    // The matrices the kernels lack (FCC, SMPTE 240M), odd top/left crops
    // of 4:2:0 frames and layouts NVDEC does not produce run on the CPU
    // sink.
    cuda::countDeviceToHostCopy();
    downloadFrame(frame, downloaded_.get());
    writeThroughCpu(downloaded_.get(), slot);
    av_frame_unref(downloaded_.get());
    return;
  }
  auto top = static_cast<int>(frame->crop_top);
  auto left = static_cast<int>(frame->crop_left);
  int width = frame->width - left;
  int height = frame->height - top;
  if (width != outputWidth() || height != outputHeight()) {
    fail(ErrorKind::InvalidData, "frame size changed mid-stream from " +
                                     std::to_string(outputWidth()) + "x" +
                                     std::to_string(outputHeight()) + " to " +
                                     std::to_string(width) + "x" + std::to_string(height));
  }
  color::YuvPlanes planes;
  planes.sixteenBit = layout != AV_PIX_FMT_NV12;
  int sampleBytes = planes.sixteenBit ? 2 : 1;
  planes.y = frame->data[0] + static_cast<ptrdiff_t>(top) * frame->linesize[0] + left * sampleBytes;
  planes.yPitch = frame->linesize[0];
  // Interleaved Cb/Cr at half resolution: left / 2 pairs of samples.
  planes.uv =
      frame->data[1] + static_cast<ptrdiff_t>(top / 2) * frame->linesize[1] + left * sampleBytes;
  planes.uvPitch = frame->linesize[1];
  planes.width = width;
  planes.height = height;
  bool full = frame->color_range == AVCOL_RANGE_JPEG;
  YuvMatrix matrix = matrixForColorSpace(frame->colorspace);
  color::RgbImage out;
  out.data = slot;
  out.pitch = static_cast<int64_t>(width) * 3 * (floatOutput_ ? 4 : 1);
  out.isFloat = floatOutput_;
  check(cuda::launchYuvToRgb(planes, color::kYuvToRgb[color::tableIndex(matrix, full)], out,
                             stream_),
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
  bool four44 = layout == AV_PIX_FMT_YUV444P || layout == AV_PIX_FMT_YUV444P16;
  bool sixteen =
      layout == AV_PIX_FMT_P010 || layout == AV_PIX_FMT_P016 || layout == AV_PIX_FMT_YUV444P16;
  bool known = four44 || layout == AV_PIX_FMT_NV12 || sixteen;
  bool evenCrop = frame->crop_top % 2 == 0 && frame->crop_left % 2 == 0;
  if (!known || !kernelHasMatrix(frame->colorspace) || (!four44 && !evenCrop)) {
    return false;
  }
  auto top = static_cast<int>(frame->crop_top);
  auto left = static_cast<int>(frame->crop_left);
  int width = frame->width - left;
  int height = frame->height - top;
  if (width != plan_.frameWidth || height != plan_.frameHeight) {
    fail(ErrorKind::InvalidData, "frame size changed mid-stream from " +
                                     std::to_string(plan_.frameWidth) + "x" +
                                     std::to_string(plan_.frameHeight) + " to " +
                                     std::to_string(width) + "x" + std::to_string(height));
  }
  int sampleBytes = sixteen ? 2 : 1;
  color::YuvPlanes planes;
  planes.sixteenBit = sixteen;
  planes.chroma444 = four44;
  planes.width = width;
  planes.height = height;
  planes.y = frame->data[0] + static_cast<ptrdiff_t>(top) * frame->linesize[0] + left * sampleBytes;
  planes.yPitch = frame->linesize[0];
  if (four44) {
    planes.uv =
        frame->data[1] + static_cast<ptrdiff_t>(top) * frame->linesize[1] + left * sampleBytes;
    planes.uvPitch = frame->linesize[1];
    planes.v =
        frame->data[2] + static_cast<ptrdiff_t>(top) * frame->linesize[2] + left * sampleBytes;
    planes.vPitch = frame->linesize[2];
  } else {
    planes.uv = frame->data[1] + static_cast<ptrdiff_t>(top / 2) * frame->linesize[1] +
                left * sampleBytes;
    planes.uvPitch = frame->linesize[1];
  }
  bool full = frame->color_range == AVCOL_RANGE_JPEG;
  YuvMatrix matrix = matrixForColorSpace(frame->colorspace);
  int64_t pitch = static_cast<int64_t>(plan_.outputWidth()) * 3 * (floatOutput_ ? 4 : 1);
  check(cuda::launchTransform(plan_, planes, color::kYuvToRgb[color::tableIndex(matrix, full)],
                              slot, pitch, *scratch_, stream_),
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
