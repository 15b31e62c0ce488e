#include "device/cuda/CudaBackend.h"

#include "codecflow/Cuda.h"
#include "codecflow/Error.h"
#include "device/HwAccel.h"
#include "device/cuda/CudaEncoderInput.h"
#include "device/cuda/CudaFrameSink.h"
#include "device/cuda/NvdecCache.h"

namespace codecflow {

void CudaBackend::checkDevice(int index) const {
  int count = cudaDeviceCount();
  if (index < 0 || index >= count) {
    fail(ErrorKind::InvalidArgument, "device cuda:" + std::to_string(index) +
                                         " does not exist; this machine has " +
                                         std::to_string(count) + " CUDA device(s)");
  }
}

std::shared_ptr<CodecOpener> CudaBackend::decoderOpener(int index, const AVStream* stream) {
  // Not always FFmpeg's default decoder (libdav1d has no hwaccel for AV1).
  const AVCodec* decoder = hwDecoder(stream->codecpar->codec_id, AV_HWDEVICE_TYPE_CUDA);
  if (decoder == nullptr) {
    return makeSoftwareCodecOpener("FFmpeg has no NVDEC decoder for it");
  }
  // Fails here, naming the cause, when FFmpeg cannot open the device.
  AVBufferRef* device = NvdecCache::instance().device(index);
  return makeHwCodecOpener(index, device, &NvdecCache::instance(), decoder);
}

std::unique_ptr<FrameSink> CudaBackend::makeSink(const SinkSpec& spec) {
  return std::make_unique<CudaFrameSink>(spec);
}

const AVCodec* CudaBackend::hardwareEncoder(AVCodecID codec) const {
  const char* name = nullptr;
  switch (codec) {
    case AV_CODEC_ID_H264:
      name = "h264_nvenc";
      break;
    case AV_CODEC_ID_HEVC:
      name = "hevc_nvenc";
      break;
    case AV_CODEC_ID_AV1:
      name = "av1_nvenc";  // FFmpeg 6 and later
      break;
    default:
      return nullptr;
  }
  return avcodec_find_encoder_by_name(name);
}

std::unique_ptr<EncoderInput> CudaBackend::encoderInput(int index, AVCodecContext* context) {
  checkDevice(index);
  if (hwPixelFormat(context->codec, AV_HWDEVICE_TYPE_CUDA,
                    AV_CODEC_HW_CONFIG_METHOD_HW_FRAMES_CTX) == AV_PIX_FMT_CUDA) {
    return makeNvencInput(index, context);
  }
  return makeDownloadInput(index, context);
}

}  // namespace codecflow
