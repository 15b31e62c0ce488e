#include "device/cuda/CudaFrameSink.h"

#include <cmath>

#include "device/cuda/NvdecCache.h"
#include "convert/YuvRgb.h"
#include "codecflow/Cuda.h"
#include "codecflow/Error.h"
#include "device/cuda/ColorKernels.h"
#include "device/cuda/CudaRuntime.h"

extern "C" {
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>
}

namespace codecflow {

namespace {

// Makes `index` the calling thread's current device for a scope, and
// restores the previous one (torch keeps its own notion of it there).
class DeviceGuard {
 public:
  explicit DeviceGuard(int index) {
    cuda::currentDevice(previous_);
    if (previous_ != index) {
      cuda::setDevice(index);
    } else {
      previous_ = -1;
    }
  }
  ~DeviceGuard() {
    if (previous_ >= 0) {
      cuda::setDevice(previous_);
    }
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

// Picks CUDA frames when FFmpeg offers them. When the hwaccel cannot
// handle the stream FFmpeg asks again without them: then the first
// software format, i.e. software decoding.
AVPixelFormat chooseFormat(AVCodecContext*, const AVPixelFormat* formats) {
  for (const AVPixelFormat* p = formats; *p != AV_PIX_FMT_NONE; ++p) {
    if (*p == AV_PIX_FMT_CUDA) {
      return *p;
    }
  }
  for (const AVPixelFormat* p = formats; *p != AV_PIX_FMT_NONE; ++p) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(*p);
    if (desc != nullptr && !(desc->flags & AV_PIX_FMT_FLAG_HWACCEL)) {
      return *p;
    }
  }
  return AV_PIX_FMT_NONE;
}

bool hasCudaHwaccel(const AVCodec* decoder) {
  for (int i = 0;; ++i) {
    const AVCodecHWConfig* config = avcodec_get_hw_config(decoder, i);
    if (config == nullptr) {
      return false;
    }
    if (config->device_type == AV_HWDEVICE_TYPE_CUDA &&
        (config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX)) {
      return true;
    }
  }
}

}  // namespace

// Attaches the GPU to new codec contexts and keeps opened ones in the
// NVDEC cache, keyed by everything that shapes the decoder.
class CudaCodecOpener final : public CodecOpener {
 public:
  CudaCodecOpener(int device, bool hwaccel) : device_(device), hwaccel_(hwaccel) {}

  bool hwaccel() const { return hwaccel_; }

  UniqueAVCodecContext reuse(const AVStream* stream, int numThreads) override {
    return hwaccel_ ? NvdecCache::instance().take(key(stream, numThreads)) : nullptr;
  }

  void configure(AVCodecContext* codec) override {
    if (hwaccel_) {
      codec->hw_device_ctx = av_buffer_ref(NvdecCache::instance().device(device_));
      if (codec->hw_device_ctx == nullptr) {
        throw std::bad_alloc();
      }
      codec->get_format = chooseFormat;
    }
  }

  void release(const AVStream* stream, int numThreads, UniqueAVCodecContext codec) override {
    if (hwaccel_) {
      NvdecCache::instance().put(key(stream, numThreads), std::move(codec));
    }
  }

 private:
  std::string key(const AVStream* stream, int numThreads) const {
    const AVCodecParameters* p = stream->codecpar;
    std::string k = std::to_string(device_) + "/" + std::to_string(p->codec_id) + "/" +
                    std::to_string(p->width) + "x" + std::to_string(p->height) + "/" +
                    std::to_string(p->format) + "/" + std::to_string(p->profile) + "/" +
                    std::to_string(p->level) + "/" + std::to_string(stream->time_base.num) +
                    ":" + std::to_string(stream->time_base.den) + "/" +
                    std::to_string(numThreads) + "/";
    if (p->extradata != nullptr) {
      k.append(reinterpret_cast<const char*>(p->extradata), p->extradata_size);
    }
    return k;
  }

  int device_;
  bool hwaccel_;
};

CudaFrameSink::CudaFrameSink(const VideoDecoderOptions& options, bool floatOutput,
                             const AVStream* stream, int width, int height,
                             std::optional<double> rotation)
    : device_(options.device.index),
      direct_(options.transforms.empty() &&
              (!rotation || std::lround(*rotation) % 360 == 0)),
      floatOutput_(floatOutput),
      codecName_(avcodec_get_name(stream->codecpar->codec_id)),
      cpu_(makeCpuFrameSink(options, floatOutput, width, height, rotation)),
      downloaded_(allocFrame()) {
  int count = cudaDeviceCount();
  if (device_ < 0 || device_ >= count) {
    fail(ErrorKind::InvalidArgument, "device cuda:" + std::to_string(device_) +
                                         " does not exist; this machine has " +
                                         std::to_string(count) + " CUDA device(s)");
  }
  const AVCodec* decoder = avcodec_find_decoder(stream->codecpar->codec_id);
  bool hwaccel = decoder != nullptr && hasCudaHwaccel(decoder);
  if (hwaccel) {
    // Fails here, naming the cause, when FFmpeg cannot open the device.
    NvdecCache::instance().device(device_);
  }
  opener_ = std::make_shared<CudaCodecOpener>(device_, hwaccel);
}

CudaFrameSink::~CudaFrameSink() = default;

std::shared_ptr<CodecOpener> CudaFrameSink::codecOpener() { return opener_; }

void CudaFrameSink::check(int rc, const char* what) const {
  if (rc != 0) {
    fail(ErrorKind::Runtime, std::string(what) + " on cuda:" + std::to_string(device_) +
                                 " failed: " + cuda::errorText(rc));
  }
}

Tensor CudaFrameSink::allocate(int64_t count) {
  DeviceGuard guard(device_);
  std::vector<int64_t> shape{count, outputHeight(), outputWidth(), 3};
  DType dtype = floatOutput_ ? DType::Float32 : DType::UInt8;
  size_t bytes = static_cast<size_t>(count * outputHeight() * outputWidth() * 3 * dtypeSize(dtype));
  void* data = nullptr;
  check(cuda::allocate(&data, bytes > 0 ? bytes : 1), "allocating the output batch");
  std::shared_ptr<void> owner(data, [](void* p) { cuda::release(p); });
  return Tensor::fromBlob(data, std::move(shape), {}, dtype, Device::cuda(device_),
                          std::move(owner));
}

void CudaFrameSink::write(const AVFrame* frame, uint8_t* slot) {
  DeviceGuard guard(device_);
  if (frame->format != AV_PIX_FMT_CUDA) {
    // FFmpeg decoded in software: NVDEC lacks this codec, profile or size.
    if (!fallback_.known) {
      fallback_ = {true, true,
                   "cuda:" + std::to_string(device_) + "'s NVDEC cannot decode this " +
                       codecName_ + " stream" +
                       (opener_->hwaccel() ? " (profile, bit depth or size unsupported)"
                                           : " (FFmpeg has no NVDEC decoder for it)") +
                       "; it was decoded on the CPU and uploaded"};
    }
    writeThroughCpu(frame, slot);
    return;
  }
  if (!fallback_.known) {
    fallback_ = {true, false, "no fallback: decoded by NVDEC on cuda:" + std::to_string(device_)};
  }
  const auto* frames = reinterpret_cast<const AVHWFramesContext*>(frame->hw_frames_ctx->data);
  AVPixelFormat layout = frames->sw_format;
  bool supported =
      layout == AV_PIX_FMT_NV12 || layout == AV_PIX_FMT_P010 || layout == AV_PIX_FMT_P016;
  if (!direct_ || !supported) {
    // Rotation, transforms and 4:4:4 layouts run on the CPU sink.
    int rc = av_hwframe_transfer_data(downloaded_.get(), frame, 0);
    if (rc < 0) {
      failFFmpeg(ErrorKind::Runtime, "could not download a CUDA frame", rc);
    }
    av_frame_copy_props(downloaded_.get(), frame);
    writeThroughCpu(downloaded_.get(), slot);
    av_frame_unref(downloaded_.get());
    return;
  }
  if (frame->width != outputWidth() || frame->height != outputHeight()) {
    fail(ErrorKind::InvalidData, "frame size changed mid-stream from " +
                                     std::to_string(outputWidth()) + "x" +
                                     std::to_string(outputHeight()) + " to " +
                                     std::to_string(frame->width) + "x" +
                                     std::to_string(frame->height));
  }
  color::YuvPlanes planes;
  planes.y = frame->data[0];
  planes.yPitch = frame->linesize[0];
  planes.uv = frame->data[1];
  planes.uvPitch = frame->linesize[1];
  planes.width = frame->width;
  planes.height = frame->height;
  planes.sixteenBit = layout != AV_PIX_FMT_NV12;
  bool full = frame->color_range == AVCOL_RANGE_JPEG;
  YuvMatrix matrix = matrixForColorSpace(frame->colorspace);
  color::RgbImage out;
  out.data = slot;
  out.pitch = static_cast<int64_t>(frame->width) * 3 * (floatOutput_ ? 4 : 1);
  out.isFloat = floatOutput_;
  check(cuda::launchYuvToRgb(planes, color::kYuvToRgb[color::tableIndex(matrix, full)], out,
                             nullptr),
        "the colour conversion kernel");
}

void CudaFrameSink::writeThroughCpu(const AVFrame* frame, uint8_t* slot) {
  if (!staging_.defined()) {
    staging_ = cpu_->allocate(1);
  }
  cpu_->write(frame, static_cast<uint8_t*>(staging_.data()));
  // Pageable memory: the copy has finished when the call returns.
  check(cuda::copyHostToDevice(slot, staging_.data(), static_cast<size_t>(staging_.nbytes())),
        "uploading a frame");
}

void CudaFrameSink::copySlot(uint8_t* dst, const uint8_t* src, int64_t bytes) {
  DeviceGuard guard(device_);
  check(cuda::copyDeviceToDevice(dst, src, static_cast<size_t>(bytes)), "copying a frame");
}

void CudaFrameSink::finish() {
  DeviceGuard guard(device_);
  check(cuda::synchronize(), "finishing a batch");
}

}  // namespace codecflow
