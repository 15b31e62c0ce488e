#include "device/cuda/CudaBackend.h"

#include <map>
#include <mutex>
#include <string>

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

namespace {

// What probeHwDecoder said for a stream (a device and everything that shapes
// the decoder), so that each VideoDecoder of the same stream does not make
// and drop an NVDEC decoder to ask again.
std::string rememberedRefusal(int index, const AVCodec* decoder, const AVStream* stream,
                              AVBufferRef* device) {
  static std::mutex mutex;
  static std::map<std::string, std::string> known;
  const AVCodecParameters* p = stream->codecpar;
  std::string key = std::to_string(index) + "/" + decoder->name + "/" + std::to_string(p->width) +
                    "x" + std::to_string(p->height) + "/" + std::to_string(p->format) + "/" +
                    std::to_string(p->profile) + "/";
  if (p->extradata != nullptr) {
    key.append(reinterpret_cast<const char*>(p->extradata), p->extradata_size);
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = known.find(key);
    if (it != known.end()) {
      return it->second;
    }
  }
  std::string refusal = probeHwDecoder(decoder, stream, device);
  std::lock_guard<std::mutex> lock(mutex);
  if (known.size() >= 256) {
    known.clear();
  }
  known.emplace(std::move(key), refusal);
  return refusal;
}

}  // namespace

std::shared_ptr<CodecOpener> CudaBackend::decoderOpener(int index, const AVStream* stream) {
  // Not always FFmpeg's default decoder (libdav1d has no hwaccel for AV1),
  // and back to the software one when the decoder with the hwaccel has no
  // software path and NVDEC refuses the stream (FFmpeg's native av1).
  // Opening the device fails here, naming the cause, when FFmpeg cannot.
  DecoderChoice choice = chooseDecoder(
      stream->codecpar->codec_id, AV_HWDEVICE_TYPE_CUDA, "NVDEC", [&](const AVCodec* decoder) {
        return rememberedRefusal(index, decoder, stream, NvdecCache::instance().device(index));
      });
  if (!choice.hardware) {
    return makeSoftwareCodecOpener(choice.reason, choice.decoder);
  }
  AVBufferRef* device = NvdecCache::instance().device(index);
  return makeHwCodecOpener(index, device, &NvdecCache::instance(), choice.decoder);
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
