#include "device/cuda/CudaFrameSink.h"

#include <cmath>

#include "codecflow/Cuda.h"
#include "codecflow/Error.h"
#include "convert/YuvRgb.h"
#include "device/HwAccel.h"
#include "device/cpu/CpuBackend.h"
#include "device/cuda/ColorKernels.h"
#include "device/cuda/CudaMemory.h"
#include "device/cuda/CudaRuntime.h"
#include "device/cuda/DeviceGuard.h"

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
      stream_(cuda::streamOf(device_)) {}

CudaFrameSink::~CudaFrameSink() = default;

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
  if (!direct_ || !supported || !kernelHasMatrix(frame->colorspace) || !evenCrop) {
    // Rotation, transforms, 4:4:4 layouts and the matrices the kernel lacks
    // (FCC, SMPTE 240M) run on the CPU sink.
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
